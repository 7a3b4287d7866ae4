// Catalog: the span store's tables in the data plane's database — which WAL
// chunks exist, where each object's section is in them, who owns each object,
// and the committed watermark. A chunk becomes visible by one Commit().
// Tables: docs/storage-format.md ("Catalog").
//
// Thread-safety: safe for concurrent use (the MetaStore is).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meta/meta_store.h"
#include "store/wal_chunk.h"
#include "store/xact.h"

namespace tv::store {

// The migration that creates the catalog tables.
std::string_view CatalogSchemaSql();

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

class Catalog {
 public:
  explicit Catalog(meta::MetaStore& db) : db_(db) {}

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
  meta::MetaStore& db() { return db_; }

 private:
  meta::MetaStore& db_;
};

}  // namespace tv::store
