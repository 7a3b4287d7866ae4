#include "http/rate_limiter.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "common/mutex.h"

namespace tv::http {
namespace {

class LocalRateLimiter final : public RateLimiter {
 public:
  LocalRateLimiter(RateLimit limit, const Clock& clock)
      : limit_(limit), window_us_(std::chrono::microseconds(limit.window).count()), clock_(clock) {}

  Result<RateDecision> Take(std::string_view key) override {
    if (!limit_.enabled()) return RateDecision{};
    int64_t now = clock_.NowMicros();
    MutexLock lock(mu_);
    MaybeSweep(now);
    Window& w = windows_[std::string(key)];
    if (w.count == 0 || now >= w.ends_us) w = Window{now + window_us_, 0};
    if (w.count >= limit_.max_requests) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(w.ends_us - now));
      return RateDecision{false, std::max(wait, std::chrono::milliseconds(1)), 0};
    }
    ++w.count;
    return RateDecision{true, std::chrono::milliseconds(0), limit_.max_requests - w.count};
  }

  const RateLimit& limit() const override { return limit_; }

 private:
  struct Window {
    int64_t ends_us = 0;
    int64_t count = 0;
  };

  // Drops ended windows once the map has doubled since the last sweep, so the
  // cost stays amortized O(1) per Take and idle keys do not pile up.
  void MaybeSweep(int64_t now) REQUIRES(mu_) {
    if (windows_.size() < sweep_at_) return;
    std::erase_if(windows_, [now](const auto& kv) { return now >= kv.second.ends_us; });
    sweep_at_ = std::max<size_t>(1024, windows_.size() * 2);
  }

  const RateLimit limit_;
  const int64_t window_us_;
  const Clock& clock_;
  Mutex mu_;
  std::unordered_map<std::string, Window> windows_ GUARDED_BY(mu_);
  size_t sweep_at_ GUARDED_BY(mu_) = 1024;
};

}  // namespace

std::unique_ptr<RateLimiter> MakeLocalRateLimiter(RateLimit limit, const Clock& clock) {
  return std::make_unique<LocalRateLimiter>(limit, clock);
}

}  // namespace tv::http
