// TailCache: the decoded tails of the objects readers use, loaded on first
// use (the object's segment set, then its WAL sections newer than the set),
// kept current by the writer after each commit, and evicted
// least-recently-used past a memory budget (an evicted tail reloads on its
// next read; object storage is the truth). Compaction invalidates a tail when
// it replaces the object's segment set.
//
// Thread-safety: safe for concurrent use. The locking rule:
//  * No lock is held while a tail loads. A load reads the catalog and object
//    storage (with retries) into a tail nobody else can see, then installs
//    it. While it runs the object is "loading": readers of that object wait
//    for the install (one load per object at a time), and ApplyCommitted —
//    the single committer — never waits: it leaves a copy of the committed
//    versions with the load, which folds them in at install.
//  * `mu_` guards the map and is held only for map work, never for I/O or
//    for folding rows.
//  * Each installed tail has its own lock (Entry::mu), held while a reader
//    runs its callback (in-memory: it takes a view of the tail) and while
//    committed versions fold in. A thread holding an Entry::mu may take
//    `mu_`; one holding `mu_` only ever TryLock()s an Entry::mu (eviction).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"
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

  // Runs `fn` with the object's loaded tail, locked. Loads it first when it
  // is not in memory (or waits for the load another reader started).
  Status With(const std::string& object_id, const std::function<Status(const ObjectTail&)>& fn) EXCLUDES(mu_);
  // After a catalog commit: folds the new versions into the tail if loaded,
  // or hands them to the load under way. Never waits for a load.
  void ApplyCommitted(const std::string& object_id, const std::vector<CommittedVersion>& versions) EXCLUDES(mu_);

  // Drops the object's tail (or the result of a load under way); the next
  // read loads it afresh.
  void Invalidate(const std::string& object_id) EXCLUDES(mu_);
  // After a compaction replaced the object's set `from` with `to`: moves a
  // loaded tail onto `to` in place (no reload), or drops it when it was not
  // on `from` or `to` cannot be opened.
  void Rebase(const std::string& object_id, int64_t from_generation, const SegmentSet& to) EXCLUDES(mu_);

  // Where loads report WAL rows they cannot decode (set before first use);
  // without one such a row fails the load.
  void set_quarantine(QuarantineSink* sink) { quarantine_ = sink; }

  size_t bytes() const { return total_bytes_.load(); }
  SegmentCache& segment_cache() { return segments_; }

 private:
  // One installed tail.
  struct Entry {
    Mutex mu;
    ObjectTail tail GUARDED_BY(mu);
    bool evicted GUARDED_BY(mu) = false;  // dropped from the cache; readers take a fresh one
  };
  struct Slot {
    std::shared_ptr<Entry> entry;
    uint64_t last_used = 0;
  };
  // A version committed while the object's tail was loading, owned.
  struct OwnedVersion {
    XactId xact;
    json::object row;
    size_t bytes;
  };
  // A load under way. Its fields are read and written only under mu_ (the
  // analysis cannot name the cache's lock from here).
  struct Loading {
    std::vector<OwnedVersion> committed;  // handed over by ApplyCommitted, in commit order
    bool stale = false;                   // invalidated meanwhile: do not install
  };

  // Loads the object's tail with no lock held, then installs it and folds in
  // what the committer handed over meanwhile; `load` is this caller's entry
  // in loading_. Returns the tail for this caller to read: the installed
  // one, or a private one when the load went stale (never installed).
  Result<std::shared_ptr<Entry>> LoadAndInstall(const std::string& object_id, const std::shared_ptr<Loading>& load)
      EXCLUDES(mu_);
  Status Load(const std::string& object_id, ObjectTail& tail);
  Status LoadOnce(const std::string& object_id, const SegmentSet& set, ObjectTail& tail);
  // Folds `versions` into `entry`'s tail; false (and a warning) when one
  // cannot be folded and the tail must be reloaded.
  bool Fold(const std::string& object_id, Entry& entry, const std::vector<CommittedVersion>& versions)
      REQUIRES(entry.mu);
  void EvictIfOverBudget(const std::string& keep) EXCLUDES(mu_);

  Catalog& catalog_;
  objstore::ObjectStore& objects_;
  SegmentCache& segments_;
  size_t budget_;
  QuarantineSink* quarantine_ = nullptr;
  Mutex mu_;
  CondVar load_done_;  // signalled when a load installs, fails or goes stale
  std::unordered_map<std::string, Slot> tails_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::shared_ptr<Loading>> loading_ GUARDED_BY(mu_);
  uint64_t tick_ GUARDED_BY(mu_) = 0;
  std::atomic<size_t> total_bytes_{0};
};

}  // namespace tv::store
