// MemoryBudget bounds the bytes the server buffers for request and response
// bodies, so a burst of large uploads answers 429 instead of exhausting the
// machine. The limit is a percentage of the memory available to the process:
// the cgroup limit when there is one (containers), else physical memory — the
// same idea as NODE_MEMORY_PERCENT in a Node deployment.
//
// Thread-safety: all methods are safe to call concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tv::http {

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}

  // Bytes of memory available to this process (cgroup v2/v1 limit or MemTotal).
  static uint64_t DetectAvailableMemory();

  bool TryReserve(uint64_t n);
  void Release(uint64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  uint64_t limit() const { return limit_; }
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

// Holds bytes of a MemoryBudget and releases them when destroyed.
class BudgetReservation {
 public:
  explicit BudgetReservation(MemoryBudget& budget) : budget_(&budget) {}
  BudgetReservation(const BudgetReservation&) = delete;
  BudgetReservation& operator=(const BudgetReservation&) = delete;
  ~BudgetReservation() { budget_->Release(bytes_); }

  bool Grow(uint64_t n) {
    if (!budget_->TryReserve(n)) return false;
    bytes_ += n;
    return true;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  MemoryBudget* budget_;
  uint64_t bytes_ = 0;
};

}  // namespace tv::http
