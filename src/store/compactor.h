// Compactor: turns an object's WAL tail into segments and keeps the segment
// set small — an LSM over immutable segments. Folding writes the tail's
// states at or below the watermark as one new segment; merging joins the
// newest segments once `merge_fanin` of them share a size tier (or the set is
// too long), dropping history older than the retention and tombstones with
// nothing older under them. Every set change is a compare-and-swap on the
// set's generation, so concurrent compactors cannot both win; superseded
// objects are deleted after a grace period by the garbage sweep.
// docs/storage-format.md, "Segment sets and compaction".
//
// Thread-safety: safe for concurrent use; compactions in one process run one
// at a time (run_mu_, held across a compaction's object-storage I/O: only
// compactions, purges and the orphan sweep take it, never the ingest path or
// readers). The other locks guard bookkeeping and are never held across I/O.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/mutex.h"
#include "objstore/object_store.h"
#include "store/catalog.h"
#include "store/segment_set.h"
#include "store/segment_writer.h"
#include "store/tail_cache.h"

namespace tv::store {

struct CompactorOptions {
  bool background = true;
  std::chrono::milliseconds poll{500};
  // Fold an object's tail once this many rows or bytes wait, or once the
  // oldest waiting row is this old.
  uint64_t fold_rows = 20000;
  uint64_t fold_bytes = 32u << 20;
  std::chrono::seconds fold_age{10};
  // Merge the newest `merge_fanin` segments once they share a size tier; a
  // set longer than `max_segments` merges its newest ones regardless.
  size_t merge_fanin = 8;
  size_t max_segments = 24;
  std::chrono::seconds history_retention{7 * 24 * 3600};
  std::chrono::seconds grace{600};
  size_t block_bytes = 512u << 10;
  bool compress = true;
  // How long a compaction retries failing object storage before it gives up
  // (the set is unchanged then; the next round starts over).
  std::chrono::milliseconds storage_deadline{20000};  // zstd segment parts (off only for tests that grep the bytes)
  // An object whose compaction fails (or a garbage object whose deletion
  // fails) is retried by the background loop after retry_base, doubling
  // per failure in a row up to retry_max; other objects go on meanwhile.
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_max{300000};
};

// An object whose compaction (or a garbage key whose deletion) keeps failing.
struct CompactionFailure {
  std::string key;        // object id, or object storage key for garbage
  uint64_t failures = 0;  // in a row
  std::string last_error;
  int64_t next_retry_micros = 0;  // when the background loop tries it again
  json::object ToJson() const;
};

struct CompactReport {
  uint64_t objects = 0;
  uint64_t segments_written = 0;
  uint64_t segments_merged = 0;  // segments replaced by merges
  uint64_t rows = 0;             // rows written into new segments
  uint64_t raw_bytes = 0;        // their JSON, uncompressed
  uint64_t bytes = 0;            // segment bytes written
  double seconds = 0;
  std::vector<std::pair<std::string, std::string>> failed;  // (object id, error): the others went on
  void Add(const CompactReport& o);
  json::object ToJson() const;
};

class Compactor {
 public:
  Compactor(Catalog& catalog, objstore::ObjectStore& objects, TailCache& tails, const Clock& clock,
            std::function<XactId()> watermark, CompactorOptions options);
  ~Compactor();

  // Folds the object's tail and merges its set until no rule applies. A
  // failure is remembered for the object (Failures()) until it succeeds.
  Result<CompactReport> CompactObject(const std::string& object_id) EXCLUDES(run_mu_);
  // Every object with rows waiting (or every object in `only`, if given).
  // One object's failure does not stop the others: it is listed in the
  // report's `failed`. Refreshes the backlog figures whatever happened.
  Result<CompactReport> CompactAll(const std::vector<std::string>* only = nullptr) EXCLUDES(run_mu_);
  // Asks the background loop to compact these objects now, without waiting
  // for the fold thresholds (other objects keep theirs).
  void Request(const std::vector<std::string>& object_ids) EXCLUDES(mu_);
  // Deletes superseded objects whose grace period has passed; one that
  // cannot be deleted is retried later with backoff, the rest go on.
  Status SweepGarbage();
  // Deletes one object of the garbage list now, from storage, caches and the list.
  Status DeleteGarbage(const std::string& key);
  // Puts a built segment of `object_id` under a new key (retrying failing
  // storage) and returns its catalog entry.
  Result<SegmentMeta> WriteSegment(const std::string& object_id, BuiltSegment built, std::string_view label);
  // Deletes what crashed writes and compactions left behind: segments no set
  // lists, and WAL chunks the catalog never committed that are older than
  // `started` (newer ones may be commits in flight). Run before this
  // process compacts anything (the background loop runs it first).
  Status SweepOrphans(XactId started) EXCLUDES(run_mu_);

  // Holds off compaction in this process while it lives (a caller changing
  // sets itself, like a purge).
  class SCOPED_CAPABILITY ExclusiveScope {
   public:
    explicit ExclusiveScope(Compactor& compactor) ACQUIRE(compactor.run_mu_) : mu_(compactor.run_mu_) { mu_.Lock(); }
    ~ExclusiveScope() RELEASE() { mu_.Unlock(); }
    ExclusiveScope(const ExclusiveScope&) = delete;
    ExclusiveScope& operator=(const ExclusiveScope&) = delete;

   private:
    Mutex& mu_;
  };
  const CompactorOptions& options() const { return options_; }

  // Metrics.
  uint64_t backlog_rows() const { return backlog_rows_.load(); }
  uint64_t backlog_bytes() const { return backlog_bytes_.load(); }
  double indexing_lag_seconds() const;  // age of the oldest uncompacted row
  // Objects whose last compaction failed, and failures since start.
  std::vector<CompactionFailure> Failures() const EXCLUDES(failures_mu_);
  std::optional<CompactionFailure> FailureOf(const std::string& object_id) const EXCLUDES(failures_mu_);
  uint64_t failing_objects() const EXCLUDES(failures_mu_);
  uint64_t failures_total() const { return failures_total_.load(); }
  // Recomputes the WAL backlog figures (the loop does this every round).
  Status RefreshBacklog();
  CompactReport totals() const EXCLUDES(totals_mu_) {
    MutexLock lock(totals_mu_);
    return totals_;
  }

 private:
  Result<CompactReport> Fold(const std::string& object_id) REQUIRES(run_mu_);
  Result<CompactReport> MergeTiers(const std::string& object_id) REQUIRES(run_mu_);
  // Merges segments [first, first + count) of `set` into one.
  Result<CompactReport> MergeRun(const SegmentSet& set, size_t first, size_t count) REQUIRES(run_mu_);
  static CompactReport Report(const BuiltSegment& built, uint64_t merged);
  // Commits `change` against `from` (CAS). On success the loaded tail moves
  // onto the new set; on failure the segments it would add are deleted.
  Status Swap(const SegmentSet& from, SetChange change) REQUIRES(run_mu_);
  std::string Now() const;
  std::string Later(std::chrono::seconds by) const;
  void Loop() EXCLUDES(mu_, run_mu_);
  Result<CompactReport> CompactObjectOnce(const std::string& object_id) EXCLUDES(run_mu_);
  // Backoff bookkeeping, per object (compactions) or per key (garbage).
  using FailureMap = std::map<std::string, CompactionFailure>;
  enum class Failing { kObject, kGarbage };
  FailureMap& FailuresOf(Failing which) REQUIRES(failures_mu_);
  const FailureMap& FailuresOf(Failing which) const REQUIRES(failures_mu_);
  void NoteFailure(Failing which, const std::string& key, const Status& s, std::string_view what)
      EXCLUDES(failures_mu_);
  void NoteSuccess(Failing which, const std::string& key, std::string_view what) EXCLUDES(failures_mu_);
  bool RetryDue(Failing which, const std::string& key) const EXCLUDES(failures_mu_);

  Catalog& catalog_;
  objstore::ObjectStore& objects_;
  TailCache& tails_;
  const Clock& clock_;
  std::function<XactId()> watermark_;
  CompactorOptions options_;

  Mutex run_mu_;  // one compaction at a time
  mutable Mutex totals_mu_;
  CompactReport totals_ GUARDED_BY(totals_mu_);
  std::atomic<uint64_t> backlog_rows_{0}, backlog_bytes_{0};
  std::atomic<XactId> oldest_waiting_{0};
  mutable Mutex failures_mu_;
  FailureMap objects_failing_ GUARDED_BY(failures_mu_);
  FailureMap garbage_failing_ GUARDED_BY(failures_mu_);
  std::atomic<uint64_t> failures_total_{0};

  Mutex mu_;  // the background loop's wake-ups
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::set<std::string> requested_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace tv::store
