// GroupCommitter: the write path. Requests queue up; one committer thread
// takes everything that arrived within the group-commit window (or up to the
// chunk size), gives each request its transaction id, writes one WAL chunk to
// object storage (retrying, within a deadline, when storage is slow or
// failing), commits it to the catalog, folds the rows into the loaded tails,
// raises the watermark, and only then answers the requests. A request that
// gets OK is durable and visible; one that gets an error wrote nothing
// visible.
//
// Thread-safety: Commit() may be called from any number of threads. `mu_`
// guards the queue only: the committer thread drops it before it writes the
// chunk, commits it or folds it into the tails (which never wait for a tail
// load: store/tail_cache.h).
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/mutex.h"
#include "objstore/object_store.h"
#include "store/catalog.h"
#include "store/tail_cache.h"

namespace tv::store {

// The rows one request writes to one object, validated and normalized.
struct ObjectWrite {
  ObjectOwner owner;  // owner.object_id names the object
  std::vector<json::object> rows;
};

struct WriteBatch {
  std::vector<ObjectWrite> objects;
};

struct WriterOptions {
  std::chrono::microseconds window{1000};
  size_t max_chunk_bytes = 16u << 20;
  // How long a commit keeps retrying object storage and the catalog before
  // it fails the requests (the SDK gives up on a batch after a few seconds of
  // errors, so waiting beats refusing).
  std::chrono::milliseconds deadline{20000};
  // zstd-compress WAL sections (off only for tests that grep the bytes).
  bool compress = true;
};

class GroupCommitter {
 public:
  GroupCommitter(Catalog& catalog, objstore::ObjectStore& objects, TailCache& tails, const Clock& clock,
                 WriterOptions options, XactId last_committed);
  ~GroupCommitter();  // finishes queued requests, then stops

  // Blocks until the batch is durable and visible; returns its _xact_id.
  // A batch with a row readers could not decode (UnstorableReason: a NaN or
  // infinite number, text that is not UTF-8, nesting past kMaxStoredDepth)
  // is refused whole: InvalidArgument naming the row and field path.
  Result<XactId> Commit(WriteBatch batch) EXCLUDES(mu_);
  XactId watermark() const { return watermark_.load(std::memory_order_acquire); }
  // Realtime lag of the last group commit: from the oldest request's arrival
  // to its rows being visible, in microseconds.
  int64_t last_visible_lag_us() const { return last_lag_us_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    WriteBatch batch;
    std::vector<std::vector<std::string>> lines;  // per object, per row: serialized without _xact_id
    size_t bytes = 0;
    XactId xact = 0;
    std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
    std::promise<Result<XactId>> done;
  };

  void Loop() EXCLUDES(mu_);
  void Process(std::vector<std::unique_ptr<Pending>>& group) EXCLUDES(mu_);
  Status WriteChunk(std::vector<std::unique_ptr<Pending>>& group) EXCLUDES(mu_);

  Catalog& catalog_;
  objstore::ObjectStore& objects_;
  TailCache& tails_;
  const Clock& clock_;
  WriterOptions options_;
  XactAllocator xacts_;
  std::atomic<XactId> watermark_;
  std::atomic<int64_t> last_lag_us_{0};

  Mutex mu_;
  CondVar cv_;
  std::deque<std::unique_ptr<Pending>> queue_ GUARDED_BY(mu_);
  size_t queued_bytes_ GUARDED_BY(mu_) = 0;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tv::store
