// Planner helpers: what a filter lets the store narrow before rows are read.
// Pushdown only narrows candidates; the caller still evaluates the whole
// filter on every candidate row, so correctness never depends on it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "btql/ast.h"

namespace tv::btql {

struct Pushdown {
  // When set, a matching row's `id` is one of these (deduplicated, in the
  // order they appear). Unset means no restriction.
  std::optional<std::vector<std::string>> ids;
  // The same for `root_span_id`.
  std::optional<std::vector<std::string>> root_span_ids;
  // `path MATCH 'words'` terms that every matching row satisfies.
  struct Match {
    std::vector<std::string> path;
    std::string query;
  };
  std::vector<Match> matches;
};

// Collects `id = '<string>'` and `root_span_id = '<string>'` terms (either
// operand order) and `<key path> MATCH '<string>'` terms from `filter` itself or, when it is an AND, from its
// children and nested ANDs. Terms under OR or NOT are not collected.
Pushdown ExtractPushdown(const Expr& filter);

}  // namespace tv::btql
