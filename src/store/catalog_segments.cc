// The catalog's segment tables: segment_set, segment, store_garbage
// (docs/storage-format.md, "Segment sets and compaction").
#include "store/catalog.h"

namespace tv::store {

// Migration 3 of the data plane database. Migrations are never renumbered or
// rewritten: this text stays exactly as it is, and a change to these tables
// is a new migration.
std::string_view SegmentSchemaSql() {
  return R"sql(
CREATE TABLE segment_set (
  object_id TEXT PRIMARY KEY,
  generation BIGINT NOT NULL,
  through_xact BIGINT NOT NULL,
  history_from BIGINT NOT NULL,
  updated TEXT NOT NULL
);
CREATE TABLE segment (
  segment_key TEXT PRIMARY KEY,
  object_id TEXT NOT NULL,
  min_xact BIGINT NOT NULL,
  max_xact BIGINT NOT NULL,
  row_count BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  raw_bytes BIGINT NOT NULL,
  created TEXT NOT NULL
);
CREATE INDEX segment_object ON segment (object_id, min_xact);
CREATE TABLE store_garbage (
  object_key TEXT PRIMARY KEY,
  delete_after TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX wal_section_chunk ON wal_section (chunk_key);
)sql";
}

Result<SegmentSet> Catalog::LoadSegmentSet(std::string_view object_id) {
  SegmentSet set;
  set.object_id = std::string(object_id);
  TV_ASSIGN_OR_RETURN(meta::Rows head, db_.Query("SELECT generation, through_xact, history_from FROM segment_set "
                                                 "WHERE object_id = $1",
                                                 {set.object_id}));
  if (head.empty()) return set;
  set.generation = head.Int(0, "generation");
  set.through = static_cast<XactId>(head.Int(0, "through_xact"));
  set.history_from = static_cast<XactId>(head.Int(0, "history_from"));
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT segment_key, min_xact, max_xact, row_count, bytes, raw_bytes "
                                                 "FROM segment WHERE object_id = $1 ORDER BY min_xact",
                                                 {set.object_id}));
  for (size_t i = 0; i < rows.size(); ++i) {
    set.segments.push_back(
        {rows.Text(i, "segment_key"), static_cast<XactId>(rows.Int(i, "min_xact")),
         static_cast<XactId>(rows.Int(i, "max_xact")), static_cast<uint64_t>(rows.Int(i, "row_count")),
         static_cast<uint64_t>(rows.Int(i, "bytes")), static_cast<uint64_t>(rows.Int(i, "raw_bytes"))});
  }
  return set;
}

Status Catalog::AddGarbage(meta::MetaStore& tx, const std::string& key, const std::string& delete_after,
                           std::string_view reason) {
  return tx
      .Execute(
          "INSERT INTO store_garbage (object_key, delete_after, reason) VALUES ($1, $2, $3) "
          "ON CONFLICT (object_key) DO UPDATE SET delete_after = $2",
          {key, delete_after, std::string(reason)})
      .status();
}

Status Catalog::CommitSetChange(const SegmentSet& from, const SetChange& c) {
  return db_.Transaction([&](meta::MetaStore& tx) -> Status {
    int64_t changed = 0;
    if (from.generation == 0) {
      TV_ASSIGN_OR_RETURN(changed, tx.Execute("INSERT INTO segment_set (object_id, generation, through_xact, "
                                              "history_from, updated) VALUES ($1, 1, $2, $3, $4) "
                                              "ON CONFLICT (object_id) DO NOTHING",
                                              {from.object_id, static_cast<int64_t>(c.through),
                                               static_cast<int64_t>(c.history_from), c.now}));
    } else {
      TV_ASSIGN_OR_RETURN(changed,
                          tx.Execute("UPDATE segment_set SET generation = generation + 1, through_xact = $3, "
                                     "history_from = $4, updated = $5 WHERE object_id = $1 AND generation = $2",
                                     {from.object_id, from.generation, static_cast<int64_t>(c.through),
                                      static_cast<int64_t>(c.history_from), c.now}));
    }
    if (changed != 1) return AlreadyExists("the segment set of {} changed under this compaction", from.object_id);
    for (const auto& key : c.remove) {
      TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM segment WHERE segment_key = $1", {key}).status());
      TV_RETURN_IF_ERROR(AddGarbage(tx, key, c.delete_after, "superseded segment"));
    }
    for (const auto& s : c.add) {
      TV_RETURN_IF_ERROR(
          tx.Execute(
                "INSERT INTO segment (segment_key, object_id, min_xact, max_xact, row_count, bytes, "
                "raw_bytes, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                {s.key, from.object_id, static_cast<int64_t>(s.min_xact), static_cast<int64_t>(s.max_xact),
                 static_cast<int64_t>(s.rows), static_cast<int64_t>(s.bytes), static_cast<int64_t>(s.raw_bytes), c.now})
              .status());
    }
    if (c.through > from.through) {
      TV_ASSIGN_OR_RETURN(meta::Rows chunks, tx.Query("SELECT DISTINCT chunk_key FROM wal_section "
                                                      "WHERE object_id = $1 AND max_xact <= $2",
                                                      {from.object_id, static_cast<int64_t>(c.through)}));
      TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM wal_section WHERE object_id = $1 AND max_xact <= $2",
                                    {from.object_id, static_cast<int64_t>(c.through)})
                             .status());
      for (size_t i = 0; i < chunks.size(); ++i) {
        std::string chunk = chunks.Text(i, "chunk_key");
        TV_ASSIGN_OR_RETURN(meta::Rows left,
                            tx.Query("SELECT 1 AS x FROM wal_section WHERE chunk_key = $1 LIMIT 1", {chunk}));
        if (!left.empty()) continue;
        TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM wal_chunk WHERE chunk_key = $1", {chunk}).status());
        TV_RETURN_IF_ERROR(AddGarbage(tx, chunk, c.delete_after, "compacted WAL chunk"));
      }
    }
    return Status::Ok();
  });
}

Result<std::vector<Garbage>> Catalog::DueGarbage(const std::string& now, size_t limit) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db_.Query("SELECT object_key, reason FROM store_garbage WHERE delete_after <= $1 "
                                "ORDER BY delete_after LIMIT $2",
                                {now, static_cast<int64_t>(limit)}));
  std::vector<Garbage> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back({rows.Text(i, "object_key"), rows.Text(i, "reason")});
  return out;
}

Status Catalog::ForgetGarbage(const std::string& key) {
  return db_.Execute("DELETE FROM store_garbage WHERE object_key = $1", {key}).status();
}

Result<std::vector<std::string>> Catalog::SegmentKeys() {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT segment_key AS k FROM segment"));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.Text(i, "k"));
  return out;
}

Result<std::vector<std::string>> Catalog::GarbageKeys() {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT object_key AS k FROM store_garbage"));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.Text(i, "k"));
  return out;
}

}  // namespace tv::store
