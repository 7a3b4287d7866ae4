// ScanSpec: what the query engine asks of the span store — which objects, at
// which snapshot, narrowed by ids, traces, time and a residual predicate,
// ordered newest first and paged by a cursor key. Part 2 of the store adds the
// full-text terms (an index lookup); until then a non-empty `match_terms` is
// answered by the residual predicate alone.
#pragma once

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

struct ScanSpec {
  std::vector<std::string> objects;  // object ids, e.g. "experiment:<uuid>"
  std::optional<XactId> as_of;       // snapshot; default: the committed watermark
  std::optional<std::vector<std::string>> ids;
  std::optional<std::vector<std::string>> root_span_ids;
  std::optional<std::string> created_from;   // inclusive, RFC 3339
  std::optional<std::string> created_until;  // exclusive
  std::vector<std::string> match_terms;      // full-text (part 2)
  std::function<bool(const json::object&)> filter;  // residual predicate on the current row
  LimitUnit limit_unit = LimitUnit::kRows;
  size_t limit = 1000;
  std::optional<ScanKey> after;  // resume strictly after this key
  std::vector<std::string> projection;  // top-level fields; empty: all
};

struct ScanResult {
  XactId snapshot = 0;
  std::vector<RowPtr> rows;     // current rows, with `comments` attached
  std::optional<ScanKey> next;  // set when more rows may follow
};

}  // namespace tv::store
