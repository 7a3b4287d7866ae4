// BlockCache: decoded segment blocks (JSON column lines) kept in memory under
// a byte budget, least recently used first out. Keys name the segment, block
// and column; a purge drops a segment's blocks by prefix.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"

namespace tv::store {

// One decoded JSON column of one block: its lines.
struct DecodedBlock {
  std::string text;
  std::vector<uint32_t> starts;  // line i is [starts[i], starts[i+1] - 1)
  static std::shared_ptr<const DecodedBlock> FromText(std::string text);
  std::string_view line(size_t i) const {
    return std::string_view(text).substr(starts[i], starts[i + 1] - starts[i] - 1);
  }
  size_t lines() const { return starts.empty() ? 0 : starts.size() - 1; }
};

class BlockCache {
 public:
  explicit BlockCache(size_t budget_bytes) : budget_(budget_bytes) {}

  std::shared_ptr<const DecodedBlock> Get(const std::string& key) EXCLUDES(mu_);
  void Put(const std::string& key, std::shared_ptr<const DecodedBlock> block) EXCLUDES(mu_);
  void EraseWithPrefix(std::string_view prefix) EXCLUDES(mu_);
  size_t bytes() const EXCLUDES(mu_);

 private:
  struct Entry {
    std::shared_ptr<const DecodedBlock> block;
    std::list<std::string>::iterator lru;
  };
  mutable Mutex mu_;
  const size_t budget_;
  size_t bytes_ GUARDED_BY(mu_) = 0;
  std::list<std::string> lru_ GUARDED_BY(mu_);  // front: most recent
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mu_);
};

}  // namespace tv::store
