#include "http/memory_budget.h"

#include <fstream>
#include <string>

namespace tv::http {
namespace {

uint64_t ReadNumberFile(const char* path) {
  std::ifstream in(path);
  std::string s;
  if (!(in >> s) || s == "max") return 0;
  try {
    return std::stoull(s);
  } catch (...) {
    return 0;
  }
}

uint64_t MemTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemTotal:") return kb * 1024;
  }
  return 0;
}

}  // namespace

uint64_t MemoryBudget::DetectAvailableMemory() {
  uint64_t total = MemTotal();
  uint64_t cg = ReadNumberFile("/sys/fs/cgroup/memory.max");
  if (cg == 0) cg = ReadNumberFile("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  // cgroup v1 reports a huge sentinel when unlimited.
  if (cg > 0 && (total == 0 || cg < total)) return cg;
  return total > 0 ? total : (uint64_t{4} << 30);
}

bool MemoryBudget::TryReserve(uint64_t n) {
  uint64_t cur = used_.load(std::memory_order_relaxed);
  while (true) {
    if (cur + n > limit_) return false;
    if (used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed)) return true;
  }
}

}  // namespace tv::http
