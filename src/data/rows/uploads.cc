#include "data/rows/uploads.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "crypto/crypto.h"

namespace tv::data {
namespace {

constexpr int64_t kUploadLifetimeMicros = int64_t{3600} * 1000000;

std::string_view KindName(UploadKind k) {
  switch (k) {
    case UploadKind::kOverflow:
      return "overflow";
    case UploadKind::kAttachment:
      return "attachment";
    case UploadKind::kDownload:
      return "download";
  }
  return "";
}

UploadKind KindFrom(std::string_view s) {
  if (s == "attachment") return UploadKind::kAttachment;
  if (s == "download") return UploadKind::kDownload;
  return UploadKind::kOverflow;
}

}  // namespace

Status ValidateUploadKey(std::string_view key) {
  if (key.empty() || key.size() > 200) return InvalidArgument("'key' must be 1 to 200 characters");
  for (char c : key) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return InvalidArgument("'key' may contain only letters, digits, '.', '_' and '-'");
  }
  if (key == "." || key == "..") return InvalidArgument("'key' must not be '.' or '..'");
  return Status::Ok();
}

Status ValidateContentType(std::string_view content_type) {
  if (content_type.empty() || http::IsMediaType(content_type)) return Status::Ok();
  return InvalidArgument(
      "'content_type' must be a media type such as \"image/png\" or \"text/plain; charset=utf-8\": "
      "type/subtype with optional ;name=value parameters, token characters only, at most {} bytes",
      http::kMaxMediaTypeBytes);
}

http::Headers DownloadHeaders(const Upload& u) {
  // Shown inline: types no browser runs script in. Everything else (HTML, SVG,
  // XML, PDF, ...) is a download, so stored bytes never act as a page of this origin.
  static constexpr std::string_view kInline[] = {"image/png",  "image/jpeg", "image/gif",
                                                 "image/webp", "text/plain", "application/json"};
  // Rows stored before content types were checked may hold anything.
  std::string type = http::IsMediaType(u.content_type) ? u.content_type : "application/octet-stream";
  std::string essence = http::MediaTypeEssence(type);
  bool inline_ok = std::find(std::begin(kInline), std::end(kInline), essence) != std::end(kInline);
  http::Headers h;
  h.Set("Content-Type", type);
  h.Set("X-Content-Type-Options", "nosniff");
  h.Set("Content-Security-Policy", "sandbox; default-src 'none'");
  h.Set("Content-Disposition", inline_ok ? "inline" : http::AttachmentDisposition(u.filename));
  return h;
}

std::string Uploads::ObjectKey(const Upload& u) {
  if (u.kind == UploadKind::kOverflow) return "uploads/" + u.key;
  return fmt::format("attachments/{}/{}", u.org_id, u.key);
}

Result<Upload> Uploads::Create(UploadKind kind, std::string key, std::string org_id, std::string content_type,
                               std::string filename) {
  TV_RETURN_IF_ERROR(ValidateUploadKey(key));
  TV_RETURN_IF_ERROR(ValidateContentType(content_type));
  int64_t now = clock_.NowMicros();
  Upload u{crypto::HexEncode(crypto::RandomBytes(32)),
           kind,
           std::move(key),
           std::move(org_id),
           std::move(content_type),
           std::move(filename),
           kind == UploadKind::kDownload ? "done" : "pending",
           "",
           FormatTimestamp(now + kUploadLifetimeMicros)};
  std::string_view conflict = kind == UploadKind::kDownload
                                  ? ""
                                  : " ON CONFLICT (kind, org_id, key) DO UPDATE SET token = $1, status = $7, "
                                    "content_type = $5, filename = $6, expires_at = $8";
  // Download tokens are many per key; give each its own unique key slot.
  std::string stored_key = kind == UploadKind::kDownload ? u.key + "#" + u.token : u.key;
  TV_RETURN_IF_ERROR(db_.Execute(
      fmt::format("INSERT INTO upload (token, kind, key, org_id, content_type, filename, status, expires_at, created) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9){}",
                  conflict),
      {u.token, std::string(KindName(kind)), stored_key, u.org_id, u.content_type, u.filename, u.status, u.expires_at,
       FormatTimestamp(now)}));
  return u;
}

Result<Upload> Uploads::One(std::string_view where, const meta::SqlParams& params) {
  TV_ASSIGN_OR_RETURN(
      meta::Rows rows,
      db_.Query(fmt::format("SELECT token, kind, key, org_id, content_type, filename, status, error_message, "
                            "expires_at FROM upload WHERE {}",
                            where),
                params));
  if (rows.empty()) return NotFound("upload not found or expired");
  Upload u{rows.Text(0, "token"),  KindFrom(rows.Text(0, "kind")), rows.Text(0, "key"),
           rows.Text(0, "org_id"), rows.Text(0, "content_type"),   rows.Text(0, "filename"),
           rows.Text(0, "status"), rows.Text(0, "error_message"),  rows.Text(0, "expires_at")};
  if (u.kind == UploadKind::kDownload) u.key = u.key.substr(0, u.key.find('#'));
  return u;
}

Result<Upload> Uploads::ByToken(std::string_view token) {
  return One("token = $1 AND expires_at > $2", {std::string(token), FormatTimestamp(clock_.NowMicros())});
}

Result<Upload> Uploads::Attachment(std::string_view org_id, std::string_view key) {
  return One("kind = 'attachment' AND org_id = $1 AND key = $2", {std::string(org_id), std::string(key)});
}

Result<Upload> Uploads::Overflow(std::string_view org_id, std::string_view key) {
  return One("kind = 'overflow' AND org_id = $1 AND key = $2", {std::string(org_id), std::string(key)});
}

Status Uploads::Receive(const Upload& u, std::string_view bytes) {
  TV_RETURN_IF_ERROR(objects_.Put(ObjectKey(u), bytes));
  std::string status = u.kind == UploadKind::kOverflow ? "uploaded" : "uploading";
  return db_
      .Execute("UPDATE upload SET status = $1, size_bytes = $2 WHERE token = $3",
               {status, static_cast<int64_t>(bytes.size()), u.token})
      .status();
}

Result<std::string> Uploads::Read(const Upload& u) { return objects_.Get(ObjectKey(u)); }

Status Uploads::SetStatus(const Upload& u, std::string_view status, std::string_view error_message) {
  return db_
      .Execute("UPDATE upload SET status = $1, error_message = $2 WHERE token = $3",
               {std::string(status), error_message.empty() ? meta::Null() : meta::SqlValue(std::string(error_message)),
                u.token})
      .status();
}

Status Uploads::Consume(const Upload& u) {
  TV_RETURN_IF_ERROR(objects_.Delete(ObjectKey(u)));
  return db_.Execute("DELETE FROM upload WHERE token = $1", {u.token}).status();
}

Result<bool> Uploads::DeleteAttachment(std::string_view org_id, std::string_view key) {
  if (!ValidateUploadKey(key).ok()) return false;
  Upload u;
  u.kind = UploadKind::kAttachment;
  u.org_id = std::string(org_id);
  u.key = std::string(key);
  TV_RETURN_IF_ERROR(objects_.Delete(ObjectKey(u)));
  TV_ASSIGN_OR_RETURN(int64_t n,
                      db_.Execute("DELETE FROM upload WHERE org_id = $1 AND ((kind = 'attachment' AND key = $2) "
                                  "OR (kind = 'download' AND key LIKE $3))",
                                  {u.org_id, u.key, u.key + "#%"}));
  return n > 0;
}

}  // namespace tv::data
