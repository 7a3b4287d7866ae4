// Uploads: the signed-URL flows of the SDK — /logs3 overflow payloads and
// attachments. Each upload is a row of the `upload` table with a random
// 256-bit token; `<public url>/upload/<token>` takes the bytes with an
// unauthenticated PUT (the token is the credential) and, for download
// tokens, serves them with GET. Bytes live in object storage
// (docs/storage-format.md, "Uploads").
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "http/message.h"
#include "meta/meta_store.h"
#include "objstore/object_store.h"

namespace tv::data {

enum class UploadKind { kOverflow, kAttachment, kDownload };

struct Upload {
  std::string token;
  UploadKind kind = UploadKind::kOverflow;
  std::string key;
  std::string org_id;
  std::string content_type;
  std::string filename;
  std::string status;  // "pending" | "uploading" | "uploaded" | "done" | "error"
  std::string error_message;
  std::string expires_at;
};

class Uploads {
 public:
  Uploads(meta::MetaStore& db, objstore::ObjectStore& objects, const Clock& clock)
      : db_(db), objects_(objects), clock_(clock) {}

  // A new upload slot; returns it with its token. Attachments are unique per
  // (org, key): a second create replaces the first's token.
  Result<Upload> Create(UploadKind kind, std::string key, std::string org_id, std::string content_type,
                        std::string filename);
  // The live (unexpired) upload behind `token`; NotFound otherwise.
  Result<Upload> ByToken(std::string_view token);
  Result<Upload> Attachment(std::string_view org_id, std::string_view key);
  Result<Upload> Overflow(std::string_view org_id, std::string_view key);

  // Stores the bytes of an overflow or attachment upload.
  Status Receive(const Upload& u, std::string_view bytes);
  Result<std::string> Read(const Upload& u);
  Status SetStatus(const Upload& u, std::string_view status, std::string_view error_message);
  // Deletes an ingested overflow payload and its row.
  Status Consume(const Upload& u);
  // Deletes an attachment's bytes and every row naming it (its upload and
  // download tokens). Returns whether there was one.
  Result<bool> DeleteAttachment(std::string_view org_id, std::string_view key);

  static std::string ObjectKey(const Upload& u);

 private:
  Result<Upload> One(std::string_view where, const meta::SqlParams& params);

  meta::MetaStore& db_;
  objstore::ObjectStore& objects_;
  const Clock& clock_;
};

// Upload keys from clients: 1-200 characters of [A-Za-z0-9._-].
Status ValidateUploadKey(std::string_view key);
// Content types from clients, which GET /upload/<token> later sends as its
// Content-Type: a media type (http::IsMediaType), or empty for none.
Status ValidateContentType(std::string_view content_type);
// The headers GET /upload/<token> serves stored bytes with: their Content-Type,
// nosniff, a sandboxing Content-Security-Policy, and Content-Disposition:
// attachment unless the type is one a browser shows without running anything
// (a few image types, text/plain, application/json).
http::Headers DownloadHeaders(const Upload& u);

}  // namespace tv::data
