#include "store/span_store.h"

#include <algorithm>
#include <thread>

#include "store/reader.h"

namespace tv::store {

SpanStore::SpanStore(meta::MetaStore& db, objstore::ObjectStore& objects, const Clock& clock, SpanStoreOptions options)
    : catalog_(db),
      objects_(objects),
      clock_(clock),
      options_(options),
      quarantine_(catalog_, clock),
      segments_(objects, options.cache),
      tails_(catalog_, objects, segments_, options.tail_memory_bytes) {
  segments_.set_quarantine(&quarantine_);
  tails_.set_quarantine(&quarantine_);
}

SpanStore::~SpanStore() {
  compactor_.reset();  // stop compacting before the writer and caches go
  writer_.reset();
}

Result<std::unique_ptr<SpanStore>> SpanStore::Open(meta::MetaStore& db, objstore::ObjectStore& objects,
                                                   const Clock& clock, SpanStoreOptions options) {
  std::unique_ptr<SpanStore> store(new SpanStore(db, objects, clock, options));
  TV_ASSIGN_OR_RETURN(XactId last, store->catalog_.LoadWatermark());
  TV_RETURN_IF_ERROR(store->quarantine_.Count().status());
  store->writer_ =
      std::make_unique<GroupCommitter>(store->catalog_, objects, store->tails_, clock, options.writer, last);
  SpanStore* self = store.get();
  store->compactor_ = std::make_unique<Compactor>(
      store->catalog_, objects, store->tails_, clock, [self] { return self->watermark(); }, options.compactor);
  // Back-pressure reads the backlog: it must be true from the first write.
  TV_RETURN_IF_ERROR(store->compactor_->RefreshBacklog());
  return store;
}

Result<XactId> SpanStore::Write(WriteBatch batch) {
  auto deadline = std::chrono::steady_clock::now() + options_.writer.deadline;
  while (compactor_->backlog_bytes() > options_.max_backlog_bytes) {
    if (std::chrono::steady_clock::now() >= deadline)
      return Unavailable("ingest is paused: {} bytes of WAL wait for compaction; retry shortly",
                         compactor_->backlog_bytes());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return writer_->Commit(std::move(batch));
}

Result<ScanResult> SpanStore::Scan(const ScanSpec& spec) {
  XactId now = watermark();
  XactId snapshot = spec.as_of ? std::min(*spec.as_of, now) : now;
  return RunScan(tails_, spec, snapshot);
}

Result<XactId> SpanStore::Visit(const ScanSpec& spec, const RowVisitor& visit) {
  XactId now = watermark();
  XactId snapshot = spec.as_of ? std::min(*spec.as_of, now) : now;
  TV_RETURN_IF_ERROR(RunVisit(tails_, spec, snapshot, visit));
  return snapshot;
}

}  // namespace tv::store
