#include "objstore/s3/sigv4.h"

#include <algorithm>
#include <ctime>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "crypto/crypto.h"

namespace tv::objstore::s3 {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Trims both ends and collapses runs of spaces to one, as SigV4 requires.
std::string CanonicalHeaderValue(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      fmt::format_to(std::back_inserter(out), "%{:02X}", c);
    }
  }
  return out;
}

std::string CanonicalQueryString(const QueryList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) encoded.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += k + "=" + v;
  }
  return out;
}

std::string FormatAmzDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string DeriveSigningKey(std::string_view secret_key, std::string_view date, std::string_view region,
                             std::string_view service) {
  std::string k = crypto::HmacSha256("AWS4" + std::string(secret_key), date);
  k = crypto::HmacSha256(k, region);
  k = crypto::HmacSha256(k, service);
  return crypto::HmacSha256(k, "aws4_request");
}

SigV4Signature SignV4(const SigV4Request& req, const SigV4Credentials& creds, const SigV4Scope& scope) {
  // Sorted by lower-case name; a repeated header's values join with ','.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : req.headers) {
    std::string& slot = headers[Lower(name)];
    if (!slot.empty()) slot.push_back(',');
    slot += CanonicalHeaderValue(value);
  }
  std::string canonical_headers, signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ":" + value + "\n";
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += name;
  }

  SigV4Signature out;
  out.canonical_request =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", req.method, req.path.empty() ? "/" : UriEncode(req.path, true),
                  CanonicalQueryString(req.query), canonical_headers, signed_headers, req.payload_hash);
  std::string date = scope.amz_date.substr(0, 8);
  std::string credential_scope = fmt::format("{}/{}/{}/aws4_request", date, scope.region, scope.service);
  out.string_to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", scope.amz_date, credential_scope,
                                   crypto::HexEncode(crypto::Sha256(out.canonical_request)));
  std::string key = DeriveSigningKey(creds.secret_key, date, scope.region, scope.service);
  out.signature = crypto::HexEncode(crypto::HmacSha256(key, out.string_to_sign));
  out.authorization = fmt::format("AWS4-HMAC-SHA256 Credential={}/{},SignedHeaders={},Signature={}", creds.access_key,
                                  credential_scope, signed_headers, out.signature);
  return out;
}

}  // namespace tv::objstore::s3
