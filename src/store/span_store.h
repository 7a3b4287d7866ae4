// SpanStore: the span store's front door — durable group-committed writes to
// the WAL in object storage, and realtime scans at a snapshot. Segments and
// compaction (part 2) slot in under Scan without changing this interface.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <memory>

#include "common/clock.h"
#include "meta/meta_store.h"
#include "objstore/object_store.h"
#include "store/catalog.h"
#include "store/scan.h"
#include "store/tail_cache.h"
#include "store/writer.h"

namespace tv::store {

struct SpanStoreOptions {
  WriterOptions writer;
  size_t tail_memory_bytes = size_t{1} << 30;
};

class SpanStore {
 public:
  // `db` must already carry the catalog tables (CatalogSchemaSql()).
  static Result<std::unique_ptr<SpanStore>> Open(meta::MetaStore& db, objstore::ObjectStore& objects,
                                                 const Clock& clock, SpanStoreOptions options);

  // Blocks until the batch is durable and visible; returns its _xact_id.
  Result<XactId> Write(WriteBatch batch) { return writer_->Commit(std::move(batch)); }
  // Reads at spec.as_of, or at the committed watermark. A snapshot newer
  // than the watermark is clipped to it.
  Result<ScanResult> Scan(const ScanSpec& spec);

  XactId watermark() const { return writer_->watermark(); }
  Catalog& catalog() { return catalog_; }
  objstore::ObjectStore& objects() { return objects_; }
  const TailCache& tails() const { return tails_; }

 private:
  SpanStore(meta::MetaStore& db, objstore::ObjectStore& objects, SpanStoreOptions options);

  Catalog catalog_;
  objstore::ObjectStore& objects_;
  TailCache tails_;
  std::unique_ptr<GroupCommitter> writer_;
};

}  // namespace tv::store
