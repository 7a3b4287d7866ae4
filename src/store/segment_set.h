// Segment sets: which segments make up each object, through which xact, and
// one replacement of a set (what a compaction or purge commits). The catalog
// stores them (store/catalog.h: LoadSegmentSet, CommitSetChange).
// docs/storage-format.md, "Segment sets and compaction".
//
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/xact.h"

namespace tv::store {

struct SegmentMeta {
  std::string key;
  XactId min_xact = 0;  // covers (min_xact, max_xact]
  XactId max_xact = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t raw_bytes = 0;
};

struct SegmentSet {
  std::string object_id;
  int64_t generation = 0;  // 0: the object has never been compacted
  XactId through = 0;
  XactId history_from = 0;
  std::vector<SegmentMeta> segments;  // oldest first
};

// The folder of an object's segments: "seg/<16 hex of XXH3(object id)>/".
std::string SegmentPrefix(std::string_view object_id);

// One replacement of a set, applied only if the set is still at `from`.
struct SetChange {
  std::vector<std::string> remove;  // segment keys leaving the set
  std::vector<SegmentMeta> add;
  XactId through = 0;
  XactId history_from = 0;
  std::string now;           // RFC 3339
  std::string delete_after;  // when superseded objects may be deleted
};

}  // namespace tv::store
