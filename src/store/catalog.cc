// The catalog's WAL tables: store_meta, wal_chunk, wal_section, store_object
// (docs/storage-format.md, "Catalog").
#include "store/catalog.h"

namespace tv::store {

// Migration 2 of the data plane database. Migrations are never renumbered or
// rewritten: this text stays exactly as it is, and a change to these tables
// is a new migration. The `upload` table is created here for history's sake
// but belongs to uploads (src/data/uploads.cc is its only user), not to the
// catalog.
std::string_view CatalogSchemaSql() {
  return R"sql(
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE wal_chunk (
  chunk_key TEXT PRIMARY KEY,
  bytes BIGINT NOT NULL,
  min_xact BIGINT NOT NULL,
  max_xact BIGINT NOT NULL,
  created TEXT NOT NULL
);
CREATE TABLE wal_section (
  object_id TEXT NOT NULL,
  min_xact BIGINT NOT NULL,
  chunk_key TEXT NOT NULL,
  byte_offset BIGINT NOT NULL,
  byte_length BIGINT NOT NULL,
  max_xact BIGINT NOT NULL,
  row_count BIGINT NOT NULL,
  PRIMARY KEY (object_id, min_xact, chunk_key)
);
CREATE TABLE store_object (
  object_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  project_id TEXT,
  created TEXT NOT NULL
);
CREATE TABLE upload (
  token TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  org_id TEXT NOT NULL,
  user_id TEXT,
  content_type TEXT,
  filename TEXT,
  status TEXT NOT NULL,
  error_message TEXT,
  size_bytes BIGINT,
  expires_at TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE UNIQUE INDEX upload_kind_key ON upload (kind, org_id, key);
)sql";
}

Result<XactId> Catalog::LoadWatermark() {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT value FROM store_meta WHERE key = 'xact_hwm'"));
  if (rows.empty()) return XactId{0};
  return ParseXact(rows.Text(0, "value"), "xact_hwm");
}

Status Catalog::Commit(const ChunkCommit& c) {
  return db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO wal_chunk (chunk_key, bytes, min_xact, max_xact, created) VALUES ($1, $2, $3, $4, $5)",
                   {c.chunk_key, static_cast<int64_t>(c.bytes), static_cast<int64_t>(c.min_xact),
                    static_cast<int64_t>(c.max_xact), c.created}));
    for (const auto& s : c.sections) {
      TV_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO wal_section (object_id, min_xact, chunk_key, byte_offset, byte_length, max_xact, row_count) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7)",
          {s.object_id, static_cast<int64_t>(s.min_xact), c.chunk_key, static_cast<int64_t>(s.offset),
           static_cast<int64_t>(s.length), static_cast<int64_t>(s.max_xact), static_cast<int64_t>(s.row_count)}));
    }
    for (const auto& o : c.objects) {
      TV_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO store_object (object_id, org_id, project_id, created) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (object_id) DO NOTHING",
          {o.object_id, o.org_id, o.project_id.empty() ? meta::Null() : meta::SqlValue(o.project_id), c.created}));
    }
    TV_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO store_meta (key, value) VALUES ('xact_hwm', $1) ON CONFLICT (key) DO UPDATE SET value = $1",
        {FormatXact(c.max_xact)}));
    return Status::Ok();
  });
}

Result<std::vector<SectionRef>> Catalog::Sections(std::string_view object_id) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db_.Query("SELECT chunk_key, byte_offset, byte_length, min_xact, max_xact FROM wal_section "
                                "WHERE object_id = $1 ORDER BY min_xact, chunk_key",
                                {std::string(object_id)}));
  std::vector<SectionRef> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    out.push_back({rows.Text(i, "chunk_key"), static_cast<uint64_t>(rows.Int(i, "byte_offset")),
                   static_cast<uint64_t>(rows.Int(i, "byte_length")), static_cast<XactId>(rows.Int(i, "min_xact")),
                   static_cast<XactId>(rows.Int(i, "max_xact"))});
  }
  return out;
}

Result<std::optional<ObjectOwner>> Catalog::Owner(std::string_view object_id) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT org_id, project_id FROM store_object WHERE object_id = $1",
                                                 {std::string(object_id)}));
  if (rows.empty()) return std::optional<ObjectOwner>();
  return std::optional<ObjectOwner>(
      ObjectOwner{std::string(object_id), rows.Text(0, "org_id"), rows.Text(0, "project_id")});
}

Result<ObjectOwner> Catalog::Claim(const ObjectOwner& o, std::string_view created) {
  std::optional<ObjectOwner> now;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO store_object (object_id, org_id, project_id, created) VALUES ($1, $2, $3, $4) "
                   "ON CONFLICT (object_id) DO NOTHING",
                   {o.object_id, o.org_id, o.project_id.empty() ? meta::Null() : meta::SqlValue(o.project_id),
                    std::string(created)})
            .status());
    TV_ASSIGN_OR_RETURN(meta::Rows rows,
                        tx.Query("SELECT org_id, project_id FROM store_object WHERE object_id = $1", {o.object_id}));
    if (rows.empty()) return Internal("object '{}' has no owner after its claim", o.object_id);
    now = ObjectOwner{o.object_id, rows.Text(0, "org_id"), rows.Text(0, "project_id")};
    return Status::Ok();
  }));
  return std::move(*now);
}

Result<std::vector<std::string>> Catalog::ObjectsOf(std::string_view org_id) {
  TV_ASSIGN_OR_RETURN(
      meta::Rows rows,
      db_.Query("SELECT object_id FROM store_object WHERE org_id = $1 ORDER BY object_id", {std::string(org_id)}));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.Text(i, "object_id"));
  return out;
}

Result<std::vector<std::string>> Catalog::AllObjects() {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT object_id FROM store_object UNION "
                                                 "SELECT object_id FROM segment_set UNION "
                                                 "SELECT object_id FROM wal_section ORDER BY object_id"));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.Text(i, "object_id"));
  return out;
}

Status Catalog::ReplaceChunk(const std::string& old_key, const ChunkRewrite& with, const std::string& delete_after) {
  return db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(meta::Rows old, tx.Query("SELECT bytes, min_xact, max_xact, created FROM wal_chunk "
                                                 "WHERE chunk_key = $1",
                                                 {old_key}));
    if (old.empty()) return Unavailable("WAL chunk {} changed during the purge; retry it", old_key);
    TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM wal_section WHERE chunk_key = $1", {old_key}).status());
    TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM wal_chunk WHERE chunk_key = $1", {old_key}).status());
    if (!with.key.empty()) {
      TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO wal_chunk (chunk_key, bytes, min_xact, max_xact, created) "
                                    "VALUES ($1, $2, $3, $4, $5)",
                                    {with.key, static_cast<int64_t>(with.bytes), old.Int(0, "min_xact"),
                                     old.Int(0, "max_xact"), old.Text(0, "created")})
                             .status());
      for (const auto& s : with.sections) {
        TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO wal_section (object_id, min_xact, chunk_key, byte_offset, "
                                      "byte_length, max_xact, row_count) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                      {s.object_id, static_cast<int64_t>(s.min_xact), with.key,
                                       static_cast<int64_t>(s.offset), static_cast<int64_t>(s.length),
                                       static_cast<int64_t>(s.max_xact), static_cast<int64_t>(s.row_count)})
                               .status());
      }
    }
    return AddGarbage(tx, old_key, delete_after, "purged WAL chunk");
  });
}

Result<std::vector<std::string>> Catalog::ChunkKeys() {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT chunk_key AS k FROM wal_chunk"));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.Text(i, "k"));
  return out;
}

Result<std::vector<Backlog>> Catalog::LoadBacklog() {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db_.Query("SELECT object_id, SUM(row_count) AS row_count, SUM(byte_length) AS bytes, "
                                "MIN(min_xact) AS oldest FROM wal_section GROUP BY object_id"));
  std::vector<Backlog> out;
  for (size_t i = 0; i < rows.size(); ++i)
    out.push_back({rows.Text(i, "object_id"), static_cast<uint64_t>(rows.Int(i, "row_count")),
                   static_cast<uint64_t>(rows.Int(i, "bytes")), static_cast<XactId>(rows.Int(i, "oldest"))});
  return out;
}

}  // namespace tv::store
