#include "store/retry.h"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

namespace tv::store {

Status RetryUnavailable(std::string_view what, std::chrono::milliseconds deadline, const std::function<Status()>& op) {
  auto give_up = std::chrono::steady_clock::now() + deadline;
  auto backoff = std::chrono::milliseconds(20);
  for (int attempt = 1;; ++attempt) {
    Status s = op();
    if (s.ok()) return s;
    if (s.code() != StatusCode::kUnavailable || std::chrono::steady_clock::now() + backoff > give_up) {
      spdlog::error("span store: {} failed after {} attempts: {}", what, attempt, s.message());
      return s;
    }
    spdlog::warn("span store: {} failed (attempt {}), retrying in {} ms: {}", what, attempt, backoff.count(),
                 s.message());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace tv::store
