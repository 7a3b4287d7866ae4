// SpanStore: the span store's front door — durable group-committed writes to
// the WAL in object storage, realtime scans over segments plus the WAL tail at
// a snapshot, and background compaction of the tail into segments.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <memory>

#include "common/clock.h"
#include "meta/meta_store.h"
#include "objstore/object_store.h"
#include "store/catalog.h"
#include "store/compactor.h"
#include "store/purge.h"
#include "store/quarantine.h"
#include "store/scan.h"
#include "store/segment_cache.h"
#include "store/tail_cache.h"
#include "store/writer.h"

namespace tv::store {

struct SpanStoreOptions {
  WriterOptions writer;
  size_t tail_memory_bytes = size_t{1} << 30;
  SegmentCacheOptions cache;
  CompactorOptions compactor;
  // Ingest waits (up to the writer's deadline, then 503) while more than this
  // many bytes of WAL wait for compaction: back-pressure instead of an
  // unbounded tail.
  uint64_t max_backlog_bytes = uint64_t{256} << 20;
};

class SpanStore {
 public:
  // `db` must already carry the catalog tables (CatalogSchemaSql(),
  // SegmentSchemaSql(), QuarantineSchemaSql()).
  static Result<std::unique_ptr<SpanStore>> Open(meta::MetaStore& db, objstore::ObjectStore& objects,
                                                 const Clock& clock, SpanStoreOptions options);
  ~SpanStore();

  // Blocks until the batch is durable and visible; returns its _xact_id.
  Result<XactId> Write(WriteBatch batch);
  // Reads at spec.as_of, or at the committed watermark. A snapshot newer
  // than the watermark is clipped to it.
  Result<ScanResult> Scan(const ScanSpec& spec);
  // Visits every row `spec` matches, newest first, without collecting them
  // (store/reader.h RunVisit); returns the snapshot read.
  Result<XactId> Visit(const ScanSpec& spec, const RowVisitor& visit);

  // Removes rows for good; see store/purge.h. Runs exclusive of compaction.
  Result<PurgeReceipt> Purge(const PurgeRequest& request);

  XactId watermark() const { return writer_->watermark(); }
  const GroupCommitter& writer() const { return *writer_; }
  Catalog& catalog() { return catalog_; }
  objstore::ObjectStore& objects() { return objects_; }
  const TailCache& tails() const { return tails_; }
  TailCache& tails() { return tails_; }
  Compactor& compactor() { return *compactor_; }
  SegmentCache& segment_cache() { return segments_; }
  QuarantineLog& quarantine() { return quarantine_; }

 private:
  SpanStore(meta::MetaStore& db, objstore::ObjectStore& objects, const Clock& clock, SpanStoreOptions options);

  Catalog catalog_;
  objstore::ObjectStore& objects_;
  const Clock& clock_;
  SpanStoreOptions options_;
  QuarantineLog quarantine_;
  SegmentCache segments_;
  TailCache tails_;
  std::unique_ptr<GroupCommitter> writer_;
  std::unique_ptr<Compactor> compactor_;
};

}  // namespace tv::store
