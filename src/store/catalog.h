// Catalog: the span store's tables in the data plane's database — which WAL
// chunks exist, where each object's section is in them, who owns each object,
// the committed watermark, each object's segment set, the garbage list of
// superseded objects, and the quarantine of rows that cannot be decoded. A
// chunk becomes visible by one Commit(); a set changes by one
// CommitSetChange(). Tables: docs/storage-format.md ("Catalog", "Segment sets
// and compaction", "Quarantine").
//
// This class is the only code that runs SQL on these tables (store_meta,
// wal_chunk, wal_section, store_object, segment_set, segment, store_garbage,
// store_quarantine); the rest of the store calls its named operations. It is
// one class, not one per table family, because its transactions cross the
// families (a set change drops WAL sections and fills the garbage list; a
// purge's chunk rewrite repoints sections and fills it too). Its definitions
// are split by family, each file beside the DDL of the tables it owns:
//   catalog.cc             store_meta, wal_chunk, wal_section, store_object
//   catalog_segments.cc    segment_set, segment, store_garbage
//   catalog_quarantine.cc  store_quarantine
//
// Thread-safety: safe for concurrent use (the MetaStore is); concurrent
// changes to one segment set are serialized by its generation check.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meta/meta_store.h"
#include "store/quarantine.h"
#include "store/segment_set.h"
#include "store/wal_chunk.h"
#include "store/xact.h"

namespace tv::store {

// The migrations that create the catalog tables (migrations 2, 3 and 7 of the
// data plane database). Migrations are never renumbered or rewritten: a
// change to these tables is a new migration.
std::string_view CatalogSchemaSql();
std::string_view SegmentSchemaSql();
std::string_view QuarantineSchemaSql();

struct ObjectOwner {
  std::string object_id;
  std::string org_id;
  std::string project_id;
};

struct SectionRef {
  std::string chunk_key;
  uint64_t offset = 0;
  uint64_t length = 0;
  XactId min_xact = 0;
  XactId max_xact = 0;
};

struct ChunkCommit {
  std::string chunk_key;
  uint64_t bytes = 0;
  XactId min_xact = 0;
  XactId max_xact = 0;
  std::vector<SectionInfo> sections;
  std::vector<ObjectOwner> objects;  // owners of the objects written; recorded on first sight
  std::string created;
};

// A chunk written in place of another (purge): its key, size and sections.
// An empty key means the old chunk has nothing left and just goes.
struct ChunkRewrite {
  std::string key;
  uint64_t bytes = 0;
  std::vector<SectionInfo> sections;
};

// Objects with WAL sections not yet compacted: rows, bytes and the oldest xact.
struct Backlog {
  std::string object_id;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  XactId oldest = 0;
};

struct Garbage {
  std::string key;
  std::string reason;
};

class Catalog {
 public:
  explicit Catalog(meta::MetaStore& db) : db_(db) {}

  // --- WAL (catalog.cc) ---

  // The newest committed transaction id (0 for an empty store).
  Result<XactId> LoadWatermark();
  // Records the chunk and raises the watermark to its max_xact, atomically.
  Status Commit(const ChunkCommit& commit);
  // The object's sections, oldest first.
  Result<std::vector<SectionRef>> Sections(std::string_view object_id);
  Result<std::optional<ObjectOwner>> Owner(std::string_view object_id);
  // Records `owner` as the object's owner unless it already has one, and
  // returns the owner now recorded: `owner` itself, or the one that got there
  // first. Atomic, so of two concurrent claims exactly one wins.
  Result<ObjectOwner> Claim(const ObjectOwner& owner, std::string_view created);
  // Every object the organization has written to.
  Result<std::vector<std::string>> ObjectsOf(std::string_view org_id);
  // Every object the catalog knows: owners, segment sets and WAL sections.
  Result<std::vector<std::string>> AllObjects();
  // Replaces chunk `old_key` by `with` (sections repointed; the old chunk's
  // xact range and creation time kept), or drops it when `with.key` is
  // empty, and lists the old chunk as garbage due at `delete_after`.
  // Unavailable when the old chunk is gone (a compaction or purge got there
  // first).
  Status ReplaceChunk(const std::string& old_key, const ChunkRewrite& with, const std::string& delete_after);
  // The keys of every committed chunk.
  Result<std::vector<std::string>> ChunkKeys();
  // Per object, its WAL sections not yet compacted.
  Result<std::vector<Backlog>> LoadBacklog();

  // --- Segment sets and garbage (catalog_segments.cc) ---

  Result<SegmentSet> LoadSegmentSet(std::string_view object_id);
  // Commits `change` against `from`: fails with AlreadyExists when another
  // compactor moved the set first (nothing is changed then). Drops the WAL
  // sections at or below `change.through` and moves chunks no section refers
  // to any more, and removed segments, into the garbage list.
  Status CommitSetChange(const SegmentSet& from, const SetChange& change);
  // The keys of every segment of every set.
  Result<std::vector<std::string>> SegmentKeys();
  // Objects whose deletion is due at `now` (every listed one for "9999").
  Result<std::vector<Garbage>> DueGarbage(const std::string& now, size_t limit);
  // The keys of the whole garbage list.
  Result<std::vector<std::string>> GarbageKeys();
  Status ForgetGarbage(const std::string& key);

  // --- Quarantine (catalog_quarantine.cc) ---

  // Records `record` under `raw_hash` unless the object has a record of the
  // same bytes; whether it was added.
  Result<bool> AddQuarantined(const QuarantineRecord& record, const std::string& raw_hash);
  // Every record, or the object's, oldest first.
  Result<std::vector<QuarantineRecord>> Quarantined(std::string_view object_id);
  Result<uint64_t> CountQuarantined();
  // Forgets the object's records (every one when `row_ids` is null), or
  // those of `row_ids`: by row_id, or whose raw text names one of them.
  Status ForgetQuarantined(std::string_view object_id, const std::vector<std::string>* row_ids);

 private:
  // Lists `key` as garbage due at `delete_after`, inside transaction `tx`.
  static Status AddGarbage(meta::MetaStore& tx, const std::string& key, const std::string& delete_after,
                           std::string_view reason);

  meta::MetaStore& db_;
};

}  // namespace tv::store
