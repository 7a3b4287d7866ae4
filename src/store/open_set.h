// OpenSet: one object's segment set opened for reading — the catalog entry
// and its open segments, with the lookups reads and folding need across
// segments: the newest state of an id, and which segment rows are the newest
// state of their id (computed once per set, on first use).
//
// Thread-safety: immutable after construction except the lazily computed
// `latest` bitmaps, which are guarded; safe to share.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <roaring/roaring.hh>

#include "store/segment.h"
#include "store/segment_set.h"

namespace tv::store {

class OpenSet {
 public:
  OpenSet(SegmentSet meta, std::vector<std::shared_ptr<const Segment>> segments)
      : meta_(std::move(meta)), segments_(std::move(segments)) {}

  const SegmentSet& meta() const { return meta_; }
  XactId through() const { return meta_.through; }
  // Oldest first, as in the catalog.
  const std::vector<std::shared_ptr<const Segment>>& segments() const { return segments_; }
  bool empty() const { return segments_.empty(); }

  // The newest state of `id` at or below `as_of` in any segment: the row,
  // or null when absent or deleted. `found` tells the two apart.
  Result<RowPtr> StateOf(std::string_view id, XactId as_of, bool* found = nullptr) const;

  // Whether row `r` of segment `s` is the current state of its id at
  // snapshot `as_of` among the segments (the tail is checked by the caller).
  // `bulk`: the caller will ask about most rows, so computing the per-set
  // bitmaps once pays; otherwise each row is checked through the id maps.
  bool IsCurrent(size_t s, uint32_t r, XactId as_of, bool bulk) const;

 private:
  const std::vector<Roaring>& Latest() const;

  SegmentSet meta_;
  std::vector<std::shared_ptr<const Segment>> segments_;
  mutable std::once_flag latest_once_;
  mutable std::vector<Roaring> latest_;  // per segment: rows that are their id's newest state
};

}  // namespace tv::store
