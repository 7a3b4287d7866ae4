#include "store/open_set.h"

#include <unordered_set>

namespace tv::store {

Result<RowPtr> OpenSet::StateOf(std::string_view id, XactId as_of, bool* found) const {
  if (found) *found = false;
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    const Segment& seg = **it;
    if (seg.min_xact() >= as_of) continue;  // every state here is newer than as_of
    for (uint32_t r : seg.RowsWithId(id)) {
      if (seg.xact(r) > as_of) continue;
      if (found) *found = true;
      return seg.Row(r);
    }
  }
  return RowPtr();
}

const std::vector<Roaring>& OpenSet::Latest() const {
  std::call_once(latest_once_, [this] {
    latest_.resize(segments_.size());
    std::unordered_set<std::string_view> seen;
    for (size_t s = segments_.size(); s-- > 0;) {
      const Segment& seg = *segments_[s];
      for (uint32_t r = 0; r < seg.rows(); ++r)
        if (seen.insert(seg.id(r)).second) latest_[s].add(r);
      latest_[s].runOptimize();
    }
  });
  return latest_;
}

bool OpenSet::IsCurrent(size_t s, uint32_t r, XactId as_of, bool bulk) const {
  const Segment& seg = *segments_[s];
  if (seg.xact(r) > as_of) return false;
  if (bulk && as_of >= meta_.through) return Latest()[s].contains(r);
  // An older snapshot: the newest state at or below as_of must be this one.
  std::string_view id = seg.id(r);
  for (size_t n = segments_.size(); n-- > s + 1;) {
    const Segment& newer = *segments_[n];
    if (newer.min_xact() >= as_of) continue;
    for (uint32_t nr : newer.RowsWithId(id))
      if (newer.xact(nr) <= as_of) return false;
  }
  for (uint32_t other : seg.RowsWithId(id)) {
    if (other == r) return true;
    if (seg.xact(other) <= as_of) return false;  // a newer state at or below as_of
  }
  return true;
}

}  // namespace tv::store
