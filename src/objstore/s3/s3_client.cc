#include "objstore/s3/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "common/strings.h"
#include "crypto/crypto.h"
#include "objstore/s3/s3_xml.h"

namespace tv::objstore::s3 {
namespace {

constexpr size_t kMaxIdleHandles = 16;
constexpr std::chrono::milliseconds kMaxBackoff{10000};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Where curl's header callback collects one response's headers.
struct HeaderSink {
  HeaderList headers;  // names lower-case
  // s3rver answers a Range on an empty object with 206, "Content-Range:
  // bytes 0-0/0" and a Content-Length of 1 it never sends (S3 answers 416).
  // Seeing a total of 0, the transfer stops at the headers instead of waiting
  // for the server to close the connection.
  bool empty_object = false;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  std::string_view line(data, size * n);
  size_t colon = line.find(':');
  if (line.starts_with("HTTP/")) {
    sink->headers.clear();  // a new response, e.g. after 100 Continue
  } else if (colon != std::string_view::npos) {
    std::string name = AsciiLower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    sink->headers.emplace_back(std::move(name), std::string(value));
  } else if (line == "\r\n" || line == "\n") {
    for (const auto& [k, v] : sink->headers)
      if (k == "content-range" && v.ends_with("/0")) sink->empty_object = true;
    if (sink->empty_object) return 0;  // stop here; curl reports a write error
  }
  return size * n;
}

bool Retryable(const S3Response& r) {
  if (r.status >= 500 || r.status == 429) return true;
  // S3 closes idle upload sockets with 400 RequestTimeout; the SDKs retry it.
  return r.status == 400 && ParseErrorBody(r.body).code == "RequestTimeout";
}

std::chrono::milliseconds Backoff(std::chrono::milliseconds base, int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto cap = std::min(kMaxBackoff, base * (int64_t{1} << std::min(attempt - 1, 16)));
  // Half fixed, half random: spreads retries without ever waiting ~0.
  std::uniform_int_distribution<int64_t> jitter(0, cap.count() / 2);
  return std::chrono::milliseconds(cap.count() - cap.count() / 2 + jitter(rng));
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string S3Response::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return "";
}

Result<std::unique_ptr<S3Client>> S3Client::Create(const S3Options& options) {
  std::string_view ep = options.endpoint;
  size_t sep = ep.find("://");
  std::string scheme(sep == std::string_view::npos ? "" : ep.substr(0, sep));
  if (scheme != "http" && scheme != "https")
    return InvalidArgument("S3 endpoint '{}' must start with http:// or https://", ep);
  std::string_view authority = ep.substr(sep + 3);
  if (authority.ends_with('/')) authority.remove_suffix(1);
  if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos)
    return InvalidArgument("S3 endpoint '{}' must be scheme://host[:port] with no path", ep);
  InitCurlOnce();
  return std::unique_ptr<S3Client>(new S3Client(options, std::move(scheme), std::string(authority)));
}

S3Client::S3Client(const S3Options& options, std::string scheme, std::string authority)
    : options_(options),
      scheme_(std::move(scheme)),
      host_(options.path_style ? std::move(authority) : options.bucket + "." + authority) {}

S3Client::~S3Client() {
  for (void* h : idle_handles_) curl_easy_cleanup(h);
}

void* S3Client::AcquireHandle() {
  {
    MutexLock lock(mu_);
    if (!idle_handles_.empty()) {
      void* h = idle_handles_.back();
      idle_handles_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void S3Client::ReleaseHandle(void* handle) {
  {
    MutexLock lock(mu_);
    if (idle_handles_.size() < kMaxIdleHandles) {
      idle_handles_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(handle);
}

Result<S3Response> S3Client::Send(const S3Call& call) {
  Status last;
  for (int attempt = 1; attempt <= std::max(1, options_.max_attempts); ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(Backoff(options_.base_backoff, attempt - 1));
    Result<S3Response> r = SendOnce(call);
    if (r.ok() && !Retryable(*r)) return r;
    last = r.ok() ? ErrorStatus(*r, call.method) : r.status();
  }
  return Unavailable("S3 {} {} failed after {} attempts: {}", call.method, call.key.empty() ? "bucket" : call.key,
                     std::max(1, options_.max_attempts), last.message());
}

S3Client::SignedCall S3Client::Sign(const S3Call& call) const {
  SigV4Request req;
  req.method = call.method;
  req.path = "/";
  if (options_.path_style) req.path += options_.bucket + (call.key.empty() ? "" : "/");
  req.path += call.key;
  req.query = call.query;
  req.payload_hash = crypto::HexEncode(crypto::Sha256(call.body));
  std::string amz_date = FormatAmzDate(std::chrono::system_clock::now());
  req.headers = call.headers;
  bool has_type =
      std::any_of(req.headers.begin(), req.headers.end(), [](const auto& kv) { return kv.first == "content-type"; });
  // Without one, curl would label the body a form.
  if (!has_type && (call.method == "PUT" || call.method == "POST"))
    req.headers.emplace_back("content-type", "application/octet-stream");
  req.headers.emplace_back("host", host_);
  req.headers.emplace_back("x-amz-content-sha256", req.payload_hash);
  req.headers.emplace_back("x-amz-date", amz_date);
  if (!options_.session_token.empty()) req.headers.emplace_back("x-amz-security-token", options_.session_token);
  SigV4Signature sig = SignV4(req, {options_.access_key, options_.secret_key}, {amz_date, options_.region, "s3"});

  SignedCall out;
  // The URL carries the path and query exactly as signed.
  out.url = scheme_ + "://" + host_ + UriEncode(req.path, true);
  if (!req.query.empty()) out.url += "?" + CanonicalQueryString(req.query);
  for (const auto& [k, v] : req.headers) out.header_lines.push_back(k + ": " + v);
  out.header_lines.push_back("authorization: " + sig.authorization);
  out.header_lines.push_back("Expect:");  // no 100-continue round trip
  return out;
}

Result<S3Response> S3Client::Perform(const S3Call& call, const SignedCall& signed_call) {
  void* h = AcquireHandle();
  if (!h) return Internal("curl_easy_init failed");
  curl_easy_reset(h);  // keeps the handle's live connections
  curl_slist* list = nullptr;
  for (const auto& line : signed_call.header_lines) list = curl_slist_append(list, line.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, curl_slist_free_all);
  S3Response res;
  HeaderSink sink;
  curl_easy_setopt(h, CURLOPT_URL, signed_call.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (call.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (call.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    if (call.method == "PUT" || call.method == "POST") {
      // A non-null pointer even when empty, or curl would read the body from stdin.
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, call.body.empty() ? "" : call.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
  }
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count() * 1000));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &res.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  ReleaseHandle(h);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && sink.empty_object))
    return Unavailable("{} {}: {}", call.method, signed_call.url, curl_easy_strerror(rc));
  res.status = static_cast<int>(status);
  res.headers = std::move(sink.headers);
  return res;
}

Result<S3Response> S3Client::SendOnce(const S3Call& call) {
  TV_ASSIGN_OR_RETURN(S3Response res, Perform(call, Sign(call)));
  if (res.status == 200 && call.method == "POST") {
    // CompleteMultipartUpload reports failures found after it started
    // replying inside a 200; give them the status they stand for.
    std::string code = ParseErrorBody(res.body).code;
    if (!code.empty()) res.status = code == "InternalError" || code == "SlowDown" ? 503 : 400;
  }
  return res;
}

Status ErrorStatus(const S3Response& response, std::string_view what) {
  S3ErrorBody e = ParseErrorBody(response.body);
  std::string detail = e.code.empty() ? fmt::format("HTTP {}", response.status)
                                      : fmt::format("HTTP {} {}: {}", response.status, e.code, e.message);
  if (response.status == 404) return NotFound("S3 {}: {}", what, detail);
  return Internal("S3 {}: {}", what, detail);
}

}  // namespace tv::objstore::s3
