// S3Client: one signed HTTP exchange with an S3 bucket, retried on transport
// errors, 5xx and 429. Owns the endpoint, credentials and a pool of curl easy
// handles (each keeps its connection alive between requests).
//
// Thread-safety: Send may be called from any number of threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "objstore/s3/s3_object_store.h"
#include "objstore/s3/sigv4.h"

namespace tv::objstore::s3 {

struct S3Call {
  std::string method;  // "GET", "PUT", "POST", "DELETE", "HEAD"
  std::string key;     // the full key in the bucket (prefix applied); empty for the bucket itself
  QueryList query;
  HeaderList headers;  // sent and signed, besides host and x-amz-*
  std::string_view body;
};

struct S3Response {
  int status = 0;
  HeaderList headers;  // names lower-case
  std::string body;

  std::string Header(std::string_view lower_name) const;
};

class S3Client {
 public:
  // InvalidArgument when the endpoint is not "http[s]://host[:port]".
  static Result<std::unique_ptr<S3Client>> Create(const S3Options& options);
  ~S3Client();

  // The final response, whatever its status, unless transport errors, 5xx or
  // 429 replies lasted through every attempt: then Unavailable.
  Result<S3Response> Send(const S3Call& call);

 private:
  struct SignedCall {
    std::string url;
    std::vector<std::string> header_lines;  // "name: value", Authorization included
  };

  S3Client(const S3Options& options, std::string scheme, std::string authority);
  Result<S3Response> SendOnce(const S3Call& call);
  SignedCall Sign(const S3Call& call) const;  // stamped with the current time
  Result<S3Response> Perform(const S3Call& call, const SignedCall& signed_call);
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  const S3Options options_;
  const std::string scheme_;
  const std::string host_;  // the Host header: authority, or bucket.authority when virtual-hosted
  Mutex mu_;
  std::vector<void*> idle_handles_ GUARDED_BY(mu_);  // CURL*
};

// The Status for a failed exchange: 404 → NotFound, anything else → Internal,
// with S3's error code and message from the body. `what` names the operation.
Status ErrorStatus(const S3Response& response, std::string_view what);

}  // namespace tv::objstore::s3
