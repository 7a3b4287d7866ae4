#include "store/block_cache.h"

namespace tv::store {

std::shared_ptr<const DecodedBlock> DecodedBlock::FromText(std::string text) {
  auto b = std::make_shared<DecodedBlock>();
  b->text = std::move(text);
  b->starts.push_back(0);
  for (size_t i = 0; i < b->text.size(); ++i)
    if (b->text[i] == '\n') b->starts.push_back(static_cast<uint32_t>(i + 1));
  return b;
}

std::shared_ptr<const DecodedBlock> BlockCache::Get(const std::string& key) {
  MutexLock lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.block;
}

void BlockCache::Put(const std::string& key, std::shared_ptr<const DecodedBlock> block) {
  MutexLock lock(mu_);
  if (entries_.count(key)) return;
  size_t size = block->text.size() + block->starts.size() * 4;
  if (size > budget_) return;
  lru_.push_front(key);
  entries_[key] = Entry{std::move(block), lru_.begin()};
  bytes_ += size;
  while (bytes_ > budget_ && !lru_.empty()) {
    auto victim = entries_.find(lru_.back());
    bytes_ -= victim->second.block->text.size() + victim->second.block->starts.size() * 4;
    entries_.erase(victim);
    lru_.pop_back();
  }
}

void BlockCache::EraseWithPrefix(std::string_view prefix) {
  MutexLock lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (std::string_view(it->first).substr(0, prefix.size()) == prefix) {
      bytes_ -= it->second.block->text.size() + it->second.block->starts.size() * 4;
      lru_.erase(it->second.lru);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t BlockCache::bytes() const {
  MutexLock lock(mu_);
  return bytes_;
}

}  // namespace tv::store
