// OutboundClient: the one way the data plane calls another service — the
// control plane, model providers, anything else (docs/outbound.md). On top of
// http::Transfer it applies the outbound rate limit per caller token, retries
// what is safe to retry, bounds every wait, and counts per destination host.
//
// A call refused by the rate limit fails with kResourceExhausted and a message
// ending "(retry after N s)". Return that Status unchanged: http::ErrorResponse
// answers it with 429, a JSON error and `Retry-After: N`. LimitedResponse() is
// that answer for callers that build their Response themselves.
//
// Thread-safety: safe for concurrent use. Hooks run on the calling thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/status.h"
#include "http/client.h"
#include "http/rate_limiter.h"

namespace tv::http {

struct OutboundOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // FetchStream: a response that sends no byte (head or body) for this long is
  // aborted — a provider hanging mid-stream. Fetch relies on the request's
  // total timeout unless the call sets its own idle timeout.
  std::chrono::milliseconds idle_timeout{60000};
  // Backoff before retry n: uniform in [d/2, d], d = min(initial * 2^(n-1), max).
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{8000};
  // A Retry-After longer than this is not waited for: the response is returned.
  std::chrono::milliseconds retry_after_max{10000};
  // How the client waits between attempts; tests record instead of sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;  // default: this thread sleeps
};

// Per call.
struct OutboundCall {
  // The rate-limit key: the caller's bearer token (hashed before use, never
  // stored). Empty: a call made for no caller (health checks), not limited.
  std::string_view token = {};
  // The organization the call is made for (a model call with its provider
  // secrets): counted in that organization's StatsFor() as well as in
  // Stats(). Empty: counted in Stats() only.
  std::string_view org_id = {};
  // Safe to send twice. GET and HEAD are always treated as idempotent.
  bool idempotent = false;
  int max_attempts = 3;
  // 0: OutboundOptions::idle_timeout for FetchStream, none for Fetch.
  std::chrono::milliseconds idle_timeout{0};
};

// What happened to one destination host since start. Counts are per attempt.
struct HostStats {
  static constexpr std::array<int64_t, 13> kLatencyBucketsMs = {5,    10,   25,   50,    100,   250,  500,
                                                                1000, 2500, 5000, 10000, 30000, 60000};
  uint64_t requests = 0;
  uint64_t retries = 0;
  uint64_t limited = 0;
  uint64_t limiter_errors = 0;
  uint64_t aborted = 0;
  std::map<std::string, uint64_t>
      errors;  // kind → count: connect, timeout, idle_timeout, transport, http_4xx, http_5xx
  uint64_t latency_count = 0;
  double latency_sum_ms = 0;
  std::array<uint64_t, kLatencyBucketsMs.size() + 1> latency_buckets{};  // last: above the largest bound

  // The upper bound (ms) of the bucket holding quantile q (0 < q <= 1); -1 when empty.
  int64_t LatencyQuantileMs(double q) const;
};

class OutboundClient {
 public:
  OutboundClient(OutboundOptions options, std::unique_ptr<RateLimiter> limiter, const Clock& clock);

  // The whole response, buffered (so retries never show the caller a partial
  // one). Any HTTP status is a ClientResponse. Errors: kResourceExhausted
  // (rate limit), kUnavailable (transport), kDeadlineExceeded (timeouts).
  Result<ClientResponse> Fetch(const ClientRequest& req, const OutboundCall& call);

  // Streamed: on_headers once before any body, then on_data per received piece;
  // returning false from either aborts the transfer and FetchStream returns the
  // status it had. No retry once on_headers has been called (the head of a
  // retryable status is held back while a retry is still possible). Returns the
  // HTTP status; errors as Fetch.
  Result<int> FetchStream(const ClientRequest& req, const OutboundCall& call, const HeadHook& on_headers,
                          const BodyHook& on_data);

  // A snapshot, by "host[:port]": every call.
  std::map<std::string, HostStats> Stats() const;
  // A snapshot of the calls made for organization `org_id`.
  std::map<std::string, HostStats> StatsFor(std::string_view org_id) const;
  const RateLimit& limit() const { return limiter_->limit(); }

 private:
  struct Attempt;
  Result<int> Run(const ClientRequest& req, const OutboundCall& call, const HeadHook& on_headers,
                  const BodyHook& on_data, bool buffered);
  // Asks the rate limiter (which may be remote) before taking mu_.
  Status TakeSlot(const std::string& key, const std::string& host, std::string_view org_id) EXCLUDES(mu_);
  void Record(const std::string& host, std::string_view org_id, const Attempt& a, bool retry);
  HostStats& OrgHostLocked(std::string_view org_id, const std::string& host) REQUIRES(mu_);
  static void RecordLocked(HostStats& s, const Attempt& a, bool retry, double ms);
  std::chrono::milliseconds Backoff(int retry) const;
  void Sleep(std::chrono::milliseconds d) const;

  const OutboundOptions options_;
  const std::unique_ptr<RateLimiter> limiter_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::map<std::string, HostStats> hosts_ GUARDED_BY(mu_);
  // org id → host → stats, for calls that name their organization.
  std::map<std::string, std::map<std::string, HostStats>, std::less<>> org_hosts_ GUARDED_BY(mu_);
};

// The answer to a client whose call was refused by the rate limit: 429 with
// the JSON error and `Retry-After` from `limited` (ErrorResponse(limited)).
Response LimitedResponse(const Status& limited);

// "host[:port]" of an http(s) URL ("" when it has none).
std::string UrlHost(std::string_view url);

}  // namespace tv::http
