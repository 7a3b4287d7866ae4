// ScanSpec: what the query engine asks of the span store — which objects, at
// which snapshot, narrowed by ids, traces, time and a residual predicate,
// ordered newest first and paged by a cursor key. Full-text terms are answered
// by the segments' posting lists and, for rows still in the WAL, by the same
// tokenizer on the row.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/merge.h"
#include "store/xact.h"

namespace tv::store {

// Newest first: by (_xact_id, tie) descending. `tie` is the row id for rows,
// the root_span_id for traces.
struct ScanKey {
  XactId xact = 0;
  std::string tie;
};

enum class LimitUnit { kRows, kTraces };

// `path MATCH query`: every token of `query` occurs among the string values
// under `path` (empty path: under any full-text field).
struct MatchTerm {
  std::vector<std::string> path;
  std::string query;
};

struct ScanSpec {
  std::vector<std::string> objects;  // object ids, e.g. "experiment:<uuid>"
  std::optional<XactId> as_of;       // snapshot; default: the committed watermark
  std::optional<std::vector<std::string>> ids;
  std::optional<std::vector<std::string>> root_span_ids;
  std::optional<std::string> created_from;          // inclusive, RFC 3339
  std::optional<std::string> created_until;         // exclusive
  std::vector<MatchTerm> match;                     // all must hold
  std::function<bool(const json::object&)> filter;  // residual predicate on the current row
  LimitUnit limit_unit = LimitUnit::kRows;
  size_t limit = 1000;
  std::optional<ScanKey> after;         // resume strictly after this key
  std::vector<std::string> projection;  // top-level fields; empty: all
  // A scan still running at this time stops with DeadlineExceeded.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Receives one current row (no comments) and its transaction id.
using RowVisitor = std::function<Status(const json::object& row, XactId xact)>;

struct ScanResult {
  XactId snapshot = 0;
  std::vector<RowPtr> rows;     // current rows, with `comments` attached
  std::optional<ScanKey> next;  // set when more rows may follow
};

}  // namespace tv::store
