#include "http/outbound.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "crypto/crypto.h"
#include "http/error_response.h"

namespace tv::http {
namespace {

constexpr size_t kHeldBodyMax = 64 * 1024;

bool IsRetryableStatus(int status) { return status == 429 || status == 502 || status == 503 || status == 504; }

// Retry-After in delta-seconds; an HTTP date (rare from APIs) falls back to backoff.
std::optional<std::chrono::milliseconds> RetryAfterHeader(const Headers& headers) {
  auto v = headers.Get("retry-after");
  if (!v || v->empty() || v->size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return std::chrono::seconds(n);
}

std::string WindowText(std::chrono::milliseconds w) {
  if (w.count() % 60000 == 0) return fmt::format("{} minute(s)", w.count() / 60000);
  return fmt::format("{} ms", w.count());
}

}  // namespace

// One attempt: what Transfer said, plus a retryable response held back from the caller.
struct OutboundClient::Attempt {
  TransferResult result;
  int64_t duration_us = 0;
  bool delivered = false;  // on_headers reached a streaming caller
  bool held = false;
  int held_status = 0;
  Headers held_headers;
  std::string held_body;
};

int64_t HostStats::LatencyQuantileMs(double q) const {
  if (latency_count == 0) return -1;
  uint64_t target = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(latency_count))));
  uint64_t seen = 0;
  for (size_t i = 0; i < latency_buckets.size(); ++i) {
    seen += latency_buckets[i];
    if (seen >= target) return kLatencyBucketsMs[std::min(i, kLatencyBucketsMs.size() - 1)];
  }
  return kLatencyBucketsMs.back();
}

std::string UrlHost(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->encoded_host().empty()) return "";
  std::string host(parsed->encoded_host());
  if (parsed->has_port()) host += ":" + std::string(parsed->port());
  return host;
}

Response LimitedResponse(const Status& limited) { return ErrorResponse(limited); }

OutboundClient::OutboundClient(OutboundOptions options, std::unique_ptr<RateLimiter> limiter, const Clock& clock)
    : options_(std::move(options)), limiter_(std::move(limiter)), clock_(clock) {}

Result<ClientResponse> OutboundClient::Fetch(const ClientRequest& req, const OutboundCall& call) {
  ClientResponse res;
  auto head = [&res](int status, const Headers& headers) {
    res.status = status;
    res.headers = headers;
    res.body.clear();  // a failed attempt's partial body is dropped
    return true;
  };
  auto body = [&res](std::string_view bytes) {
    res.body.append(bytes);
    return true;
  };
  TV_ASSIGN_OR_RETURN(res.status, Run(req, call, head, body, /*buffered=*/true));
  return res;
}

Result<int> OutboundClient::FetchStream(const ClientRequest& req, const OutboundCall& call, const HeadHook& on_headers,
                                        const BodyHook& on_data) {
  return Run(req, call, on_headers, on_data, /*buffered=*/false);
}

Result<int> OutboundClient::Run(const ClientRequest& req, const OutboundCall& call, const HeadHook& on_headers,
                                const BodyHook& on_data, bool buffered) {
  const std::string host = UrlHost(req.url);
  const std::string key = call.token.empty() ? "" : crypto::HexEncode(crypto::Sha256(call.token));
  const bool idempotent = call.idempotent || req.method == Method::kGet || req.method == Method::kHead;
  const std::chrono::milliseconds idle = call.idle_timeout.count() > 0 ? call.idle_timeout
                                         : buffered                    ? std::chrono::milliseconds(0)
                                                                       : options_.idle_timeout;
  const TransferOptions topt{options_.connect_timeout, idle};

  // The outcome handed to the caller when no further attempt is made.
  auto finish = [&](Attempt& a) -> Result<int> {
    const TransferResult& r = a.result;
    switch (r.failure) {
      case TransferFailure::kNone:
      case TransferFailure::kAborted:
        break;
      case TransferFailure::kTimeout:
        return DeadlineExceeded("{} did not answer within {} ms", host, req.timeout.count());
      case TransferFailure::kIdle:
        return DeadlineExceeded("{} stopped sending: {}", host, r.error);
      case TransferFailure::kConnect:
      case TransferFailure::kTransport:
        return Unavailable("Request to {} failed: {}", host, r.error);
    }
    if (!a.held) return r.status;
    if (on_headers && !on_headers(a.held_status, a.held_headers)) return a.held_status;
    if (on_data && !a.held_body.empty()) on_data(a.held_body);
    return a.held_status;
  };

  std::optional<Attempt> previous;
  for (int n = 1;; ++n) {
    if (!key.empty()) {
      Status slot = TakeSlot(key, host, call.org_id);
      if (!slot.ok()) return previous ? finish(*previous) : Result<int>(slot);
    }
    Attempt a;
    const bool more_left = n < call.max_attempts;
    HeadHook head = [&](int status, const Headers& headers) {
      if (more_left && idempotent && IsRetryableStatus(status)) {
        a.held = true;
        a.held_status = status;
        a.held_headers = headers;
        return true;
      }
      a.delivered = !buffered;
      return on_headers ? on_headers(status, headers) : true;
    };
    BodyHook body = [&](std::string_view bytes) {
      if (a.held) {
        if (a.held_body.size() < kHeldBodyMax) a.held_body.append(bytes.substr(0, kHeldBodyMax - a.held_body.size()));
        return true;
      }
      return on_data ? on_data(bytes) : true;
    };
    int64_t start = clock_.NowMicros();
    a.result = Transfer(req, topt, head, body);
    a.duration_us = clock_.NowMicros() - start;
    Record(host, call.org_id, a, n > 1);

    const TransferResult& r = a.result;
    if (r.failure == TransferFailure::kAborted || (r.failure == TransferFailure::kNone && !a.held)) return finish(a);
    bool retry = !a.delivered && more_left && (idempotent || r.failure == TransferFailure::kConnect);
    if (!retry) return finish(a);
    std::chrono::milliseconds delay = Backoff(n);
    if (a.held && r.failure == TransferFailure::kNone) {
      if (auto after = RetryAfterHeader(a.held_headers)) delay = *after;
      if (delay > options_.retry_after_max) return finish(a);
    }
    Sleep(delay);
    previous = std::move(a);
  }
}

Status OutboundClient::TakeSlot(const std::string& key, const std::string& host, std::string_view org_id) {
  Result<RateDecision> d = limiter_->Take(key);
  MutexLock lock(mu_);
  auto count = [&](uint64_t HostStats::*field) REQUIRES(mu_) {
    ++(hosts_[host].*field);
    if (!org_id.empty()) ++(OrgHostLocked(org_id, host).*field);
  };
  if (!d.ok()) {
    count(&HostStats::limiter_errors);  // fail open: the limit protects others, not our data
    return Status::Ok();
  }
  if (d->allowed) return Status::Ok();
  count(&HostStats::limited);
  const RateLimit& l = limiter_->limit();
  return WithRetryAfter(
      ResourceExhausted("Outbound rate limit reached: at most {} requests per {} per API key to other services",
                        l.max_requests, WindowText(l.window)),
      d->retry_after);
}

void OutboundClient::Record(const std::string& host, std::string_view org_id, const Attempt& a, bool retry) {
  double ms = static_cast<double>(a.duration_us) / 1000.0;
  MutexLock lock(mu_);
  RecordLocked(hosts_[host], a, retry, ms);
  if (!org_id.empty()) RecordLocked(OrgHostLocked(org_id, host), a, retry, ms);
}

HostStats& OutboundClient::OrgHostLocked(std::string_view org_id, const std::string& host) {
  auto it = org_hosts_.find(org_id);
  if (it == org_hosts_.end()) it = org_hosts_.emplace(std::string(org_id), std::map<std::string, HostStats>{}).first;
  return it->second[host];
}

void OutboundClient::RecordLocked(HostStats& s, const Attempt& a, bool retry, double ms) {
  auto bucket = std::lower_bound(HostStats::kLatencyBucketsMs.begin(), HostStats::kLatencyBucketsMs.end(),
                                 static_cast<int64_t>(std::ceil(ms)));
  ++s.requests;
  if (retry) ++s.retries;
  const TransferResult& r = a.result;
  if (r.failure == TransferFailure::kAborted)
    ++s.aborted;
  else if (r.failure != TransferFailure::kNone)
    ++s.errors[std::string(TransferFailureName(r.failure))];
  int status = a.held ? a.held_status : r.status;
  if (status >= 500)
    ++s.errors["http_5xx"];
  else if (status >= 400)
    ++s.errors["http_4xx"];
  ++s.latency_count;
  s.latency_sum_ms += ms;
  ++s.latency_buckets[static_cast<size_t>(bucket - HostStats::kLatencyBucketsMs.begin())];
}

std::chrono::milliseconds OutboundClient::Backoff(int retry) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t d = options_.backoff_initial.count();
  for (int i = 1; i < retry && d < options_.backoff_max.count(); ++i) d *= 2;
  d = std::min<int64_t>(d, options_.backoff_max.count());
  return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(d / 2, d)(rng));
}

void OutboundClient::Sleep(std::chrono::milliseconds d) const {
  if (options_.sleep)
    options_.sleep(d);
  else
    std::this_thread::sleep_for(d);
}

std::map<std::string, HostStats> OutboundClient::Stats() const {
  MutexLock lock(mu_);
  return hosts_;
}

std::map<std::string, HostStats> OutboundClient::StatsFor(std::string_view org_id) const {
  MutexLock lock(mu_);
  auto it = org_hosts_.find(org_id);
  return it == org_hosts_.end() ? std::map<std::string, HostStats>{} : it->second;
}

}  // namespace tv::http
