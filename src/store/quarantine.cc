#include "store/quarantine.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/crypto.h"
#include "store/codec.h"

namespace tv::store {
namespace {

// Whether `s` is UTF-8 a JSON parser takes (NUL allowed: JSON escapes it).
bool ValidUtf8(std::string_view s, bool allow_nul) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0 && !allow_nul) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Text a TEXT column of both engines takes: valid UTF-8 without NUL.
bool StorableText(std::string_view s) { return ValidUtf8(s, false); }

// Walks `v` depth-first, `path` naming each value ("a.b[2]"), and returns the
// first reason `check(value, path, depth)` gives.
template <class Check>
std::optional<std::string> FirstProblem(const json::value& v, std::string& path, size_t depth, const Check& check) {
  if (std::optional<std::string> r = check(v, path, depth)) return r;
  auto child = [&](const json::value& c, size_t keep) {
    std::optional<std::string> r = FirstProblem(c, path, depth + 1, check);
    path.resize(keep);
    return r;
  };
  if (const json::object* o = v.if_object()) {
    for (const auto& kv : *o) {
      size_t keep = path.size();
      if (!path.empty()) path += '.';
      path.append(kv.key());
      if (std::optional<std::string> r = child(kv.value(), keep)) return r;
    }
  } else if (const json::array* a = v.if_array()) {
    for (size_t i = 0; i < a->size(); ++i) {
      size_t keep = path.size();
      path += fmt::format("[{}]", i);
      if (std::optional<std::string> r = child((*a)[i], keep)) return r;
    }
  }
  return std::nullopt;
}

bool NonFinite(const json::value& v) { return v.is_double() && !std::isfinite(v.get_double()); }

std::optional<std::string> Unstorable(const json::value& v, const std::string& path, size_t depth) {
  if (depth > kMaxStoredDepth && (v.is_object() || v.is_array()))
    return fmt::format("'{}' is nested deeper than {} levels", path, kMaxStoredDepth);
  if (NonFinite(v)) return fmt::format("'{}' is not a finite number (JSON has no NaN or infinity)", path);
  if (v.is_string() && !ValidUtf8(v.get_string(), true)) return fmt::format("'{}' is not valid UTF-8", path);
  if (const json::object* o = v.if_object())
    for (const auto& kv : *o)
      if (!ValidUtf8(kv.key(), true))
        return fmt::format("the key '{}{}{}' is not valid UTF-8", path, path.empty() ? "" : ".", kv.key());
  return std::nullopt;
}

// Whether a record's raw text holds `needle`; a hex-encoded record (bytes
// that were not UTF-8) is searched in its encoding, at byte boundaries.
bool RawHolds(const std::string& raw, bool hex, const std::string& needle) {
  if (!hex) return raw.find(needle) != std::string::npos;
  std::string encoded = crypto::HexEncode(needle);
  for (size_t at = raw.find(encoded); at != std::string::npos; at = raw.find(encoded, at + 1))
    if (at % 2 == 0) return true;
  return false;
}

}  // namespace

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

json::object QuarantineRecord::ToJson() const {
  json::object o{{"object_id", object_id},
                 {"source_key", source_key},
                 {"position", position},
                 {"row_id", row_id.empty() ? json::value(nullptr) : json::value(row_id)},
                 {"xact", xact ? json::value(FormatXact(xact)) : json::value(nullptr)},
                 {"reason", reason},
                 {"raw_bytes", raw.size()},
                 {"created", created}};
  if (StorableText(raw)) {
    o["raw"] = raw;
  } else {
    o["raw_hex"] = crypto::HexEncode(raw);
  }
  return o;
}

Status QuarantineLog::Record(QuarantineRecord r) {
  // One record per row, wherever it is seen again (a purge copies kept
  // lines into a new chunk).
  std::string hash = fmt::format("{:016x}", codec::Hash64(r.raw));
  auto key = std::make_pair(r.object_id, hash);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (seen_.count(key)) return Status::Ok();
  }
  r.created = FormatTimestamp(clock_.NowMicros());
  bool text = StorableText(r.raw);
  TV_ASSIGN_OR_RETURN(
      int64_t added,
      db_.Execute(
          "INSERT INTO store_quarantine (object_id, source_key, position, raw_hash, row_id, xact, "
          "reason, raw_encoding, raw, raw_bytes, created) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
          "ON CONFLICT (object_id, raw_hash) DO NOTHING",
          {r.object_id, r.source_key, r.position, hash, r.row_id.empty() ? meta::Null() : meta::SqlValue(r.row_id),
           static_cast<int64_t>(r.xact), r.reason, std::string(text ? "text" : "hex"),
           text ? r.raw : crypto::HexEncode(r.raw), static_cast<int64_t>(r.raw.size()), r.created}));
  if (added) {
    ++count_;
    spdlog::error("quarantined a row of {} ({} at {}): {}", r.object_id, r.source_key, r.position, r.reason);
  }
  std::lock_guard<std::mutex> lock(mu_);
  seen_.insert(std::move(key));
  return Status::Ok();
}

Result<std::vector<QuarantineRecord>> QuarantineLog::List(std::string_view object_id) {
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
    r.raw = rows.Text(i, "raw");
    if (rows.Text(i, "raw_encoding") == "hex") {
      std::string bytes;
      for (size_t k = 0; k + 1 < r.raw.size(); k += 2)
        bytes.push_back(static_cast<char>(std::stoi(r.raw.substr(k, 2), nullptr, 16)));
      r.raw = std::move(bytes);
    }
    r.created = rows.Text(i, "created");
    out.push_back(std::move(r));
  }
  return out;
}

Result<uint64_t> QuarantineLog::Count() {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT COUNT(*) AS n FROM store_quarantine"));
  count_ = static_cast<uint64_t>(rows.Int(0, "n"));
  return count_.load();
}

Status QuarantineLog::Forget(meta::MetaStore& tx, std::string_view object_id, const std::vector<std::string>* row_ids) {
  std::string object(object_id);
  if (!row_ids) {
    TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM store_quarantine WHERE object_id = $1", {object}).status());
  } else {
    // Records of a purged row: by its id when the line parsed, else by the
    // exact `"id":<id>` in the raw text (checked here, not with LIKE, whose
    // wildcards and case folding would take other rows' records).
    TV_ASSIGN_OR_RETURN(meta::Rows unnamed,
                        tx.Query("SELECT raw_hash, raw, raw_encoding FROM store_quarantine WHERE object_id = $1 AND "
                                 "(row_id IS NULL OR row_id = '')",
                                 {object}));
    for (const auto& id : *row_ids) {
      TV_RETURN_IF_ERROR(
          tx.Execute("DELETE FROM store_quarantine WHERE object_id = $1 AND row_id = $2", {object, id}).status());
      for (size_t i = 0; i < unnamed.size(); ++i) {
        if (!RawHolds(unnamed.Text(i, "raw"), unnamed.Text(i, "raw_encoding") == "hex", QuarantinedIdText(id)))
          continue;
        TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM store_quarantine WHERE object_id = $1 AND raw_hash = $2",
                                      {object, unnamed.Text(i, "raw_hash")})
                               .status());
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(seen_, [&](const auto& k) { return std::get<0>(k) == object; });
  return Status::Ok();
}

std::string QuarantinedIdText(std::string_view id) {
  return "\"id\":" + json::serialize(json::value(json::string_view(id)));
}

std::optional<std::string> UnstorableReason(const json::object& row) {
  std::string path;
  return FirstProblem(row, path, 1, Unstorable);
}

std::optional<std::string> NonFinitePath(const json::value& v, std::string_view prefix) {
  std::string path(prefix);
  return FirstProblem(v, path, 0, [](const json::value& x, const std::string& at, size_t) {
    return NonFinite(x) ? std::optional<std::string>(at) : std::nullopt;
  });
}

std::optional<std::string> UndecodableReason(std::string_view text, json::object* out) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return "not JSON: " + ec.message();
  if (!v.is_object()) return std::string("not a JSON object");
  std::optional<std::string> path = NonFinitePath(v, "");
  if (out) *out = std::move(v.as_object());
  if (path) return "a number JSON cannot carry at " + *path;
  return std::nullopt;
}

}  // namespace tv::store
