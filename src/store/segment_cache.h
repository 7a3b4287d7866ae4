// SegmentCache: how readers reach segments. Open segments stay in memory
// (their columns and maps) up to a budget; JSON blocks sit in the block cache;
// segment files from a remote object store are copied whole to a local disk
// cache folder with a size limit (the NVMe cache in front of object storage).
// A local object store's files are read in place. Object storage stays the
// truth: with empty caches a read answers the same, only slower.
//
// Thread-safety: safe for concurrent use. `mu_` guards the maps and is never
// held while a segment is fetched from object storage or opened.
#pragma once

#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/mutex.h"
#include "objstore/object_store.h"
#include "store/block_cache.h"
#include "store/segment.h"

namespace tv::store {

struct SegmentCacheOptions {
  std::string disk_dir;                     // empty: no disk cache (remote segments read into memory)
  uint64_t disk_bytes = uint64_t{8} << 30;  // local copies of remote segments
  size_t block_bytes = size_t{256} << 20;   // decoded JSON blocks
  size_t open_bytes = size_t{512} << 20;    // open segments' columns and maps
};

class SegmentCache {
 public:
  SegmentCache(objstore::ObjectStore& objects, SegmentCacheOptions options);

  Result<std::shared_ptr<const Segment>> Open(const std::string& key, uint64_t size) EXCLUDES(mu_);
  // Drops every cached trace of `key`: open segment, blocks, disk copy.
  void Forget(const std::string& key) EXCLUDES(mu_);

  // Where segments opened from now on report rows they cannot decode.
  void set_quarantine(QuarantineSink* sink) { quarantine_ = sink; }

  BlockCache& blocks() { return blocks_; }
  uint64_t disk_bytes() const EXCLUDES(mu_);
  size_t open_bytes() const EXCLUDES(mu_);

 private:
  Result<std::shared_ptr<const SegmentFile>> File(const std::string& key, uint64_t size) EXCLUDES(mu_);
  std::string DiskPath(const std::string& key) const;
  void TrimDisk() EXCLUDES(mu_);

  objstore::ObjectStore& objects_;
  SegmentCacheOptions options_;
  BlockCache blocks_;
  QuarantineSink* quarantine_ = nullptr;
  mutable Mutex mu_;
  // Open segments, most recent first.
  std::list<std::string> open_lru_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::pair<std::shared_ptr<const Segment>, std::list<std::string>::iterator>> open_
      GUARDED_BY(mu_);
  size_t open_total_ GUARDED_BY(mu_) = 0;
  // Disk copies, most recent first.
  std::list<std::string> disk_lru_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::pair<uint64_t, std::list<std::string>::iterator>> disk_ GUARDED_BY(mu_);
  uint64_t disk_total_ GUARDED_BY(mu_) = 0;
};

}  // namespace tv::store
