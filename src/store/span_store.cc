#include "store/span_store.h"

#include <algorithm>

#include "store/reader.h"

namespace tv::store {

SpanStore::SpanStore(meta::MetaStore& db, objstore::ObjectStore& objects, SpanStoreOptions options)
    : catalog_(db), objects_(objects), tails_(catalog_, objects, options.tail_memory_bytes) {}

Result<std::unique_ptr<SpanStore>> SpanStore::Open(meta::MetaStore& db, objstore::ObjectStore& objects,
                                                   const Clock& clock, SpanStoreOptions options) {
  std::unique_ptr<SpanStore> store(new SpanStore(db, objects, options));
  TV_ASSIGN_OR_RETURN(XactId last, store->catalog_.LoadWatermark());
  store->writer_ = std::make_unique<GroupCommitter>(store->catalog_, objects, store->tails_, clock, options.writer, last);
  return store;
}

Result<ScanResult> SpanStore::Scan(const ScanSpec& spec) {
  XactId now = watermark();
  XactId snapshot = spec.as_of ? std::min(*spec.as_of, now) : now;
  return RunScan(tails_, spec, snapshot);
}

}  // namespace tv::store
