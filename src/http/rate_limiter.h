// RateLimiter: "take one slot for this key, or tell me when one frees" — the
// outbound rate limit's store (docs/outbound.md). The local implementation
// keeps fixed windows in memory; a Redis one (distributed mode) keeps the
// same windows in Redis so every node shares one budget.
//
// Keys are opaque strings chosen by the caller; they must not be credentials
// (the outbound client passes a SHA-256 of the token).
//
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace tv::http {

struct RateLimit {
  int64_t max_requests = 100;  // per window per key; 0 disables the limit
  std::chrono::milliseconds window = std::chrono::minutes(1);

  bool enabled() const { return max_requests > 0 && window.count() > 0; }
};

struct RateDecision {
  bool allowed = true;
  // When refused: how long until the key's window resets (> 0).
  std::chrono::milliseconds retry_after{0};
  // Slots left in the window after this one (when allowed).
  int64_t remaining = 0;
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Atomically takes one slot of `key`'s current window; when the window is
  // full takes nothing and says how long until it resets. An error means the
  // limiter's store failed, not that the key is limited.
  virtual Result<RateDecision> Take(std::string_view key) = 0;
  virtual const RateLimit& limit() const = 0;
};

// Fixed windows in memory: a key's window opens at its first Take and lasts
// `limit.window`. With a disabled limit every Take is allowed.
std::unique_ptr<RateLimiter> MakeLocalRateLimiter(RateLimit limit, const Clock& clock);

}  // namespace tv::http
