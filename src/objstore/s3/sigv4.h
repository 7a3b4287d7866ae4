// AWS Signature Version 4 for S3 requests, header-based and with a signed
// payload hash. Pure functions of their inputs (no clock, no I/O), so the AWS
// published examples can be checked byte for byte. Hashing is tv::crypto.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tv::objstore::s3 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryList = std::vector<std::pair<std::string, std::string>>;

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
};

struct SigV4Scope {
  std::string amz_date;  // "20130524T000000Z"; its first 8 characters are the date
  std::string region;    // "us-east-1"
  std::string service = "s3";
};

// One request as it will be sent. `path` and `query` are unencoded; every
// header in `headers` is signed, so callers add host, x-amz-date,
// x-amz-content-sha256 (and x-amz-security-token) before signing.
struct SigV4Request {
  std::string method;
  std::string path;  // "/bucket/key"
  QueryList query;
  HeaderList headers;
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // hex
  std::string authorization;  // the Authorization header value
};

// RFC 3986 percent-encoding: [A-Za-z0-9-._~] kept, all else %XX (upper-case);
// '/' is kept when `keep_slash`.
std::string UriEncode(std::string_view s, bool keep_slash);

// "k1=v1&k2=v2", keys and values encoded, sorted by key then value, '=' always
// present. Also the exact query string to send, so the URL matches the signature.
std::string CanonicalQueryString(const QueryList& query);

// "20130524T000000Z" for `t` in UTC.
std::string FormatAmzDate(std::chrono::system_clock::time_point t);

// The raw 32-byte key HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
std::string DeriveSigningKey(std::string_view secret_key, std::string_view date, std::string_view region,
                             std::string_view service);

SigV4Signature SignV4(const SigV4Request& req, const SigV4Credentials& creds, const SigV4Scope& scope);

}  // namespace tv::objstore::s3
