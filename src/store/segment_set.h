// Segment sets in the catalog: which segments make up each object, through
// which xact, and the compare-and-swap that replaces them. Also the garbage
// list of superseded objects. docs/storage-format.md, "Segment sets and
// compaction".
//
// Thread-safety: safe for concurrent use (the MetaStore is); concurrent
// changes to one set are serialized by the generation check.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "meta/meta_store.h"
#include "store/xact.h"

namespace tv::store {

// The migration that creates the segment tables.
std::string_view SegmentSchemaSql();

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

Result<SegmentSet> LoadSegmentSet(meta::MetaStore& db, std::string_view object_id);

// One replacement of a set, applied only if the set is still at `from`.
struct SetChange {
  std::vector<std::string> remove;  // segment keys leaving the set
  std::vector<SegmentMeta> add;
  XactId through = 0;
  XactId history_from = 0;
  std::string now;           // RFC 3339
  std::string delete_after;  // when superseded objects may be deleted
};

// Commits `change` against `from`: fails with AlreadyExists when another
// compactor moved the set first (nothing is changed then). Drops the WAL
// sections at or below `change.through` and moves chunks no section refers to
// any more, and removed segments, into the garbage list.
Status CommitSetChange(meta::MetaStore& db, const SegmentSet& from, const SetChange& change);

struct Garbage {
  std::string key;
  std::string reason;
};
// Objects whose deletion is due at `now`.
Result<std::vector<Garbage>> DueGarbage(meta::MetaStore& db, const std::string& now, size_t limit);
Status ForgetGarbage(meta::MetaStore& db, const std::string& key);
Status AddGarbage(meta::MetaStore& tx, const std::string& key, const std::string& delete_after,
                  std::string_view reason);

// Objects with WAL sections not yet compacted: rows, bytes and the oldest xact.
struct Backlog {
  std::string object_id;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  XactId oldest = 0;
};
Result<std::vector<Backlog>> LoadBacklog(meta::MetaStore& db);

}  // namespace tv::store
