// S3ObjectStore: objects in an S3 (or S3-compatible) bucket, under an optional
// key prefix, over libcurl with SigV4 signing (objstore/s3/sigv4.h).
//
// Puts at or above `multipart_threshold` go up as a multipart upload of
// `part_size` parts, aborted on failure; smaller ones are one PUT. Transport
// errors, 5xx and 429 are retried with exponential backoff and jitter up to
// `max_attempts` in all, then reported Unavailable; 404 is NotFound; any other
// 4xx is Internal, naming S3's error code and message.
//
// Thread-safety: safe for concurrent use; connections are kept alive in a
// small pool of curl handles.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "objstore/object_store.h"

namespace tv::objstore {

struct S3Options {
  std::string endpoint;  // "http://127.0.0.1:9000", "https://s3.us-east-1.amazonaws.com"; no path
  std::string bucket;
  std::string prefix;  // prepended to every key; a '/' is added when missing; may be empty
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // sent as x-amz-security-token when set
  bool path_style = true;     // false: virtual-hosted, bucket.host
  uint64_t multipart_threshold = 16 << 20;
  uint64_t part_size = 8 << 20;  // at least 5 MiB (S3's minimum for all but the last part)
  int max_attempts = 5;
  std::chrono::milliseconds base_backoff{100};
  std::chrono::seconds timeout{60};  // per HTTP request
};

// Checks the bucket with a one-key list and creates it when missing (test
// servers start empty). InvalidArgument for bad options.
Result<std::unique_ptr<ObjectStore>> OpenS3ObjectStore(S3Options options);

}  // namespace tv::objstore
