// TailCache: the decoded tails of the objects readers use, loaded on first
// use (the object's segment set, then its WAL sections newer than the set),
// kept current by the writer after each commit, and evicted
// least-recently-used past a memory budget (an evicted tail reloads on its
// next read; object storage is the truth). Compaction invalidates a tail when
// it replaces the object's segment set.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "objstore/object_store.h"
#include "store/catalog.h"
#include "store/object_tail.h"
#include "store/quarantine.h"
#include "store/segment_cache.h"

namespace tv::store {

struct CommittedVersion {
  XactId xact;
  const json::object* row;
  size_t bytes;
};

class TailCache {
 public:
  TailCache(Catalog& catalog, objstore::ObjectStore& objects, SegmentCache& segments, size_t memory_budget)
      : catalog_(catalog), objects_(objects), segments_(segments), budget_(memory_budget) {}

  // Runs `fn` with the object's loaded tail, locked.
  Status With(const std::string& object_id, const std::function<Status(const ObjectTail&)>& fn);
  // After a catalog commit: folds the new versions into the tail if loaded.
  void ApplyCommitted(const std::string& object_id, const std::vector<CommittedVersion>& versions);

  // Drops the object's tail; the next read loads it afresh.
  void Invalidate(const std::string& object_id);
  // After a compaction replaced the object's set `from` with `to`: moves a
  // loaded tail onto `to` in place (no reload), or drops it when it was not
  // on `from` or `to` cannot be opened.
  void Rebase(const std::string& object_id, int64_t from_generation, const SegmentSet& to);

  // Where loads report WAL rows they cannot decode (set before first use);
  // without one such a row fails the load.
  void set_quarantine(QuarantineSink* sink) { quarantine_ = sink; }

  size_t bytes() const { return total_bytes_.load(); }
  SegmentCache& segment_cache() { return segments_; }

 private:
  Status Load(const std::string& object_id, ObjectTail& tail);
  Status LoadOnce(const std::string& object_id, const SegmentSet& set, ObjectTail& tail);
  void EvictIfOverBudget(const std::string& keep);

  Catalog& catalog_;
  objstore::ObjectStore& objects_;
  SegmentCache& segments_;
  size_t budget_;
  QuarantineSink* quarantine_ = nullptr;
  std::mutex mu_;  // guards tails_ and tick_
  std::unordered_map<std::string, std::shared_ptr<ObjectTail>> tails_;
  uint64_t tick_ = 0;
  std::atomic<size_t> total_bytes_{0};
};

}  // namespace tv::store
