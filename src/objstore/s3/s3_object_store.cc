#include "objstore/s3/s3_object_store.h"

#include <algorithm>
#include <limits>

#include "objstore/s3/s3_client.h"
#include "objstore/s3/s3_xml.h"

namespace tv::objstore {
namespace {

using s3::S3Call;
using s3::S3Client;
using s3::S3Response;

constexpr uint64_t kMinPartSize = 5 << 20;

bool Ok2xx(const S3Response& r) { return r.status >= 200 && r.status < 300; }

// "bytes=FIRST-LAST" for a non-empty range; open-ended when LAST would overflow.
std::string RangeHeader(const ByteRange& r) {
  if (r.length - 1 > std::numeric_limits<uint64_t>::max() - r.offset) return fmt::format("bytes={}-", r.offset);
  return fmt::format("bytes={}-{}", r.offset, r.offset + r.length - 1);
}

class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(S3Options options, std::unique_ptr<S3Client> client)
      : o_(std::move(options)), client_(std::move(client)) {}

  Status Put(std::string_view key, std::string_view data) override {
    TV_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = o_.prefix + std::string(key);
    if (data.size() < o_.multipart_threshold || data.size() <= o_.part_size) return PutSingle(full, data);
    return PutMultipart(full, data);
  }

  Result<std::string> Get(std::string_view key, std::optional<ByteRange> range) override {
    TV_RETURN_IF_ERROR(ValidateKey(key));
    S3Call call{"GET", o_.prefix + std::string(key), {}, {}, {}};
    // A zero-length range cannot be written as a Range header; only existence matters.
    if (range && range->length == 0) call.method = "HEAD";
    if (range && range->length > 0) call.headers.emplace_back("range", RangeHeader(*range));
    TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(call));
    if (call.method == "HEAD" && r.status == 200) return std::string();
    if (r.status == 206) return std::move(r.body);
    if (r.status == 416) return std::string();  // the range starts at or past the end
    if (r.status != 200) return s3::ErrorStatus(r, "get " + call.key);
    if (!range) return std::move(r.body);
    // The server ignored the Range header: clip here, as the local store does.
    uint64_t offset = std::min<uint64_t>(range->offset, r.body.size());
    return r.body.substr(offset, std::min<uint64_t>(range->length, r.body.size() - offset));
  }

  Result<std::vector<ObjectEntry>> List(std::string_view prefix) override {
    std::vector<ObjectEntry> out;
    std::string token;
    do {
      S3Call call{"GET", "", {{"list-type", "2"}, {"prefix", o_.prefix + std::string(prefix)}}, {}, {}};
      if (!token.empty()) call.query.emplace_back("continuation-token", token);
      TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(call));
      if (r.status != 200) return s3::ErrorStatus(r, "list " + o_.prefix + std::string(prefix));
      auto page = s3::ParseListObjectsV2(r.body);
      if (!page.ok()) return Internal("{}", page.status().message());
      for (auto& e : page->entries) {
        if (!e.key.starts_with(o_.prefix)) return Internal("S3 listed key '{}' outside prefix '{}'", e.key, o_.prefix);
        out.push_back({e.key.substr(o_.prefix.size()), e.size});
      }
      if (page->truncated && page->next_token == token) return Internal("S3 list repeated its continuation token");
      token = page->truncated ? page->next_token : "";
    } while (!token.empty());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return out;
  }

  Status Delete(std::string_view key) override {
    TV_RETURN_IF_ERROR(ValidateKey(key));
    S3Call call{"DELETE", o_.prefix + std::string(key), {}, {}, {}};
    TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(call));
    if (Ok2xx(r)) return Status::Ok();
    Status s = s3::ErrorStatus(r, "delete " + call.key);
    // Deletes are idempotent, but a missing bucket is a real error.
    if (r.status == 404 && s3::ParseErrorBody(r.body).code != "NoSuchBucket") return Status::Ok();
    return s;
  }

  std::string Describe() const override {
    std::string prefix = o_.prefix.empty() ? "" : "/" + o_.prefix.substr(0, o_.prefix.size() - 1);
    return "s3://" + o_.bucket + prefix;
  }

  // A one-key list: OK when the bucket exists.
  Status ProbeBucket() {
    S3Call call{"GET", "", {{"list-type", "2"}, {"max-keys", "1"}}, {}, {}};
    TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(call));
    return r.status == 200 ? Status::Ok() : s3::ErrorStatus(r, "list bucket " + o_.bucket);
  }

  Status CreateBucket() {
    std::string body;
    if (o_.region != "us-east-1") {
      body = fmt::format(
          "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
          o_.region);
    }
    S3Call call{"PUT", "", {}, {}, body};
    TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(call));
    return Ok2xx(r) ? Status::Ok() : s3::ErrorStatus(r, "create bucket " + o_.bucket);
  }

 private:
  Status PutSingle(const std::string& full, std::string_view data) {
    S3Call call{"PUT", full, {}, {}, data};
    TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(call));
    return Ok2xx(r) ? Status::Ok() : s3::ErrorStatus(r, "put " + full);
  }

  Status PutMultipart(const std::string& full, std::string_view data) {
    S3Call create{"POST", full, {{"uploads", ""}}, {}, {}};
    TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(create));
    if (r.status != 200) return s3::ErrorStatus(r, "create multipart upload " + full);
    auto upload_id = s3::XmlElementText(r.body, "UploadId");
    if (!upload_id || upload_id->empty()) return Internal("S3 create multipart upload {}: no UploadId", full);
    Status s = UploadParts(full, *upload_id, data);
    if (!s.ok()) {
      // Best effort: an upload left behind only costs storage until a lifecycle rule removes it.
      (void)client_->Send({"DELETE", full, {{"uploadId", *upload_id}}, {}, {}});
      // Whether a lost reply completed the upload is unknown; say so rather than NotFound.
      if (s.code() == StatusCode::kNotFound) return Unavailable("{}", s.message());
    }
    return s;
  }

  Status UploadParts(const std::string& full, const std::string& upload_id, std::string_view data) {
    std::string manifest = "<CompleteMultipartUpload>";
    for (uint64_t off = 0, n = 1; off < data.size(); off += o_.part_size, ++n) {
      std::string part = std::to_string(n);
      S3Call call{"PUT", full, {{"partNumber", part}, {"uploadId", upload_id}}, {}, data.substr(off, o_.part_size)};
      TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(call));
      if (r.status != 200) return s3::ErrorStatus(r, fmt::format("upload part {} of {}", part, full));
      std::string etag = r.Header("etag");
      if (etag.empty()) return Internal("S3 upload part {} of {}: no ETag", part, full);
      manifest += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part, etag);
    }
    manifest += "</CompleteMultipartUpload>";
    S3Call complete{"POST", full, {{"uploadId", upload_id}}, {{"content-type", "application/xml"}}, manifest};
    TV_ASSIGN_OR_RETURN(S3Response r, client_->Send(complete));
    return r.status == 200 ? Status::Ok() : s3::ErrorStatus(r, "complete multipart upload " + full);
  }

  const S3Options o_;
  std::unique_ptr<S3Client> client_;
};

Status CheckOptions(S3Options& o) {
  if (o.bucket.empty()) return InvalidArgument("S3 bucket is required");
  if (o.region.empty()) return InvalidArgument("S3 region is required");
  if (o.access_key.empty() || o.secret_key.empty()) return InvalidArgument("S3 access key and secret key are required");
  if (o.part_size < kMinPartSize) return InvalidArgument("S3 part size must be at least 5 MiB, got {}", o.part_size);
  if (o.max_attempts < 1) return InvalidArgument("S3 max attempts must be at least 1");
  if (o.prefix.empty()) return Status::Ok();
  if (o.prefix.back() == '/') o.prefix.pop_back();
  Status s = ValidateKey(o.prefix);
  if (!s.ok()) return InvalidArgument("S3 prefix: {}", s.message());
  o.prefix.push_back('/');
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(S3Options options) {
  TV_RETURN_IF_ERROR(CheckOptions(options));
  TV_ASSIGN_OR_RETURN(auto client, S3Client::Create(options));
  auto store = std::make_unique<S3ObjectStore>(std::move(options), std::move(client));
  Status probe = store->ProbeBucket();
  if (probe.code() == StatusCode::kNotFound) {
    // Another process may create it first; the second probe is what counts.
    Status created = store->CreateBucket();
    probe = store->ProbeBucket();
    if (!probe.ok() && !created.ok()) return created;
  }
  TV_RETURN_IF_ERROR(probe);
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace tv::objstore
