// Quarantine: rows the store cannot decode (a WAL line or a segment row that is
// not JSON, or holds a number JSON cannot carry) are set aside instead of
// failing their whole object. Each one is recorded once in the catalog's
// `store_quarantine` table with its raw bytes, so nothing leaves the only copy
// unrecorded and an operator can inspect or repair it; reads then go on
// without it. docs/storage-format.md, "Quarantine".
//
// Thread-safety: QuarantineLog is safe for concurrent use.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/mutex.h"
#include "store/xact.h"

namespace tv::store {

class Catalog;

struct QuarantineRecord {
  std::string object_id;
  std::string source_key;  // the WAL chunk or segment holding the row
  int64_t position = 0;    // line of the object's section, or row number of the segment
  std::string row_id;      // when it could be read ("" otherwise)
  XactId xact = 0;         // when it could be read (0 otherwise)
  std::string reason;
  std::string raw;      // the row's bytes as stored
  std::string created;  // RFC 3339, set by Record
  json::object ToJson() const;
};

// Where readers report an undecodable row. Record() returns OK only once
// the record is durable; a reader that cannot record must not skip the row.
class QuarantineSink {
 public:
  virtual ~QuarantineSink() = default;
  virtual Status Record(QuarantineRecord record) = 0;
};

// The catalog-backed sink: one record per (object, raw bytes) — the place
// it was first seen is kept — written once per process (later reports of
// the same row are free).
class QuarantineLog final : public QuarantineSink {
 public:
  QuarantineLog(Catalog& catalog, const Clock& clock) : catalog_(catalog), clock_(clock) {}

  Status Record(QuarantineRecord record) EXCLUDES(mu_) override;
  // Every record, or the object's, oldest first.
  Result<std::vector<QuarantineRecord>> List(std::string_view object_id = {});
  // Records in the catalog (refreshed by Count()).
  Result<uint64_t> Count();
  uint64_t last_count() const { return count_.load(); }
  // Forgets the object's records (purge of every row), or those of `row_ids`,
  // or those whose raw bytes name one of them.
  Status Forget(std::string_view object_id, const std::vector<std::string>* row_ids) EXCLUDES(mu_);

 private:
  Catalog& catalog_;
  const Clock& clock_;
  Mutex mu_;
  std::set<std::pair<std::string, std::string>> seen_ GUARDED_BY(mu_);  // (object id, hash of raw)
  std::atomic<uint64_t> count_{0};
};

// How deeply a stored row may nest: json::parse's default limit, which every
// reader of WAL lines and segment blocks parses with.
inline constexpr size_t kMaxStoredDepth = 32;

// Why readers could not decode `row` once stored — a NaN or infinite number,
// a string or key that is not UTF-8, nesting deeper than kMaxStoredDepth —
// naming the field path, or nullopt when it is storable.
std::optional<std::string> UnstorableReason(const json::object& row);

// Whether `s` is text a TEXT column of both engines takes: valid UTF-8
// without NUL (else a record keeps its bytes as hex).
bool StorableText(std::string_view s);

// How a row's id appears in the text the writer stores (`"id":"<id>"`, JSON
// escaped): what purge looks for in a quarantined line that did not parse.
std::string QuarantinedIdText(std::string_view id);

// The path of the first number in `v` that JSON cannot carry (NaN or an
// infinity), like "metadata.scores[2]", or nullopt. `prefix` names `v`.
std::optional<std::string> NonFinitePath(const json::value& v, std::string_view prefix);

// Why a stored row cannot be served: it is not a JSON object, or it holds a
// number JSON cannot carry. nullopt when it decodes. `out` gets the row
// whenever the text is a JSON object (to name its id in a record).
std::optional<std::string> UndecodableReason(std::string_view text, json::object* out);

}  // namespace tv::store
