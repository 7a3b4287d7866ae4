// The catalog's quarantine table: store_quarantine (docs/storage-format.md,
// "Quarantine").
#include "store/catalog.h"

#include <string>

#include "crypto/crypto.h"

namespace tv::store {
namespace {

// Whether a record's raw text holds `needle`; a hex-encoded record (bytes
// that were not UTF-8) is searched in its encoding, at byte boundaries.
bool RawHolds(const std::string& raw, bool hex, const std::string& needle) {
  if (!hex) return raw.find(needle) != std::string::npos;
  std::string encoded = crypto::HexEncode(needle);
  for (size_t at = raw.find(encoded); at != std::string::npos; at = raw.find(encoded, at + 1))
    if (at % 2 == 0) return true;
  return false;
}

// A record's raw bytes as stored: the text, or its hex when it is not text
// a TEXT column takes.
std::string DecodeRaw(const std::string& stored, bool hex) {
  if (!hex) return stored;
  std::string bytes;
  for (size_t k = 0; k + 1 < stored.size(); k += 2)
    bytes.push_back(static_cast<char>(std::stoi(stored.substr(k, 2), nullptr, 16)));
  return bytes;
}

}  // namespace

// Migration 7 of the data plane database. Migrations are never renumbered or
// rewritten: this text stays exactly as it is, and a change to this table is
// a new migration.
std::string_view QuarantineSchemaSql() {
  return R"sql(
CREATE TABLE store_quarantine (
  object_id TEXT NOT NULL,
  source_key TEXT NOT NULL,
  position BIGINT NOT NULL,
  raw_hash TEXT NOT NULL,
  row_id TEXT,
  xact BIGINT NOT NULL,
  reason TEXT NOT NULL,
  raw_encoding TEXT NOT NULL,
  raw TEXT NOT NULL,
  raw_bytes BIGINT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY (object_id, raw_hash)
);
)sql";
}

Result<bool> Catalog::AddQuarantined(const QuarantineRecord& r, const std::string& raw_hash) {
  bool text = StorableText(r.raw);
  TV_ASSIGN_OR_RETURN(
      int64_t added,
      db_.Execute(
          "INSERT INTO store_quarantine (object_id, source_key, position, raw_hash, row_id, xact, "
          "reason, raw_encoding, raw, raw_bytes, created) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
          "ON CONFLICT (object_id, raw_hash) DO NOTHING",
          {r.object_id, r.source_key, r.position, raw_hash, r.row_id.empty() ? meta::Null() : meta::SqlValue(r.row_id),
           static_cast<int64_t>(r.xact), r.reason, std::string(text ? "text" : "hex"),
           text ? r.raw : crypto::HexEncode(r.raw), static_cast<int64_t>(r.raw.size()), r.created}));
  return added != 0;
}

Result<std::vector<QuarantineRecord>> Catalog::Quarantined(std::string_view object_id) {
  TV_ASSIGN_OR_RETURN(
      meta::Rows rows,
      db_.Query("SELECT object_id, source_key, position, row_id, xact, reason, raw_encoding, raw, created "
                "FROM store_quarantine WHERE ($1 = '' OR object_id = $1) "
                "ORDER BY created, object_id, source_key, position",
                {std::string(object_id)}));
  std::vector<QuarantineRecord> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    QuarantineRecord r;
    r.object_id = rows.Text(i, "object_id");
    r.source_key = rows.Text(i, "source_key");
    r.position = rows.Int(i, "position");
    r.row_id = rows.Text(i, "row_id");
    r.xact = static_cast<XactId>(rows.Int(i, "xact"));
    r.reason = rows.Text(i, "reason");
    r.raw = DecodeRaw(rows.Text(i, "raw"), rows.Text(i, "raw_encoding") == "hex");
    r.created = rows.Text(i, "created");
    out.push_back(std::move(r));
  }
  return out;
}

Result<uint64_t> Catalog::CountQuarantined() {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT COUNT(*) AS n FROM store_quarantine"));
  return static_cast<uint64_t>(rows.Int(0, "n"));
}

Status Catalog::ForgetQuarantined(std::string_view object_id, const std::vector<std::string>* row_ids) {
  std::string object(object_id);
  if (!row_ids) return db_.Execute("DELETE FROM store_quarantine WHERE object_id = $1", {object}).status();
  // Records of a purged row: by its id when the line parsed, else by the
  // exact `"id":<id>` in the raw text (checked here, not with LIKE, whose
  // wildcards and case folding would take other rows' records).
  TV_ASSIGN_OR_RETURN(meta::Rows unnamed,
                      db_.Query("SELECT raw_hash, raw, raw_encoding FROM store_quarantine WHERE object_id = $1 AND "
                                "(row_id IS NULL OR row_id = '')",
                                {object}));
  for (const auto& id : *row_ids) {
    TV_RETURN_IF_ERROR(
        db_.Execute("DELETE FROM store_quarantine WHERE object_id = $1 AND row_id = $2", {object, id}).status());
    for (size_t i = 0; i < unnamed.size(); ++i) {
      if (!RawHolds(unnamed.Text(i, "raw"), unnamed.Text(i, "raw_encoding") == "hex", QuarantinedIdText(id))) continue;
      TV_RETURN_IF_ERROR(db_.Execute("DELETE FROM store_quarantine WHERE object_id = $1 AND raw_hash = $2",
                                     {object, unnamed.Text(i, "raw_hash")})
                             .status());
    }
  }
  return Status::Ok();
}

}  // namespace tv::store
