#include "btql/clause_rules.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "btql/ast_text.h"
#include "btql/functions.h"
#include "common/strings.h"

namespace tv::btql {

namespace {

constexpr std::array<std::string_view, 12> kClauses = {"select",  "dimensions", "measures", "pivot",
                                                       "unpivot", "from",       "filter",   "sort",
                                                       "limit",   "cursor",     "sample",   "preview_length"};
constexpr std::array<std::string_view, 10> kLaterClauses = {
    "infer",       "comparison_key", "weighted_scores", "custom_columns",   "inference_budget",
    "span_filter", "trace_filter",   "final_filter",    "final_dimensions", "final_measures"};
constexpr std::array<std::string_view, 10> kSources = {
    "experiment", "dataset",         "project_logs",      "playground_logs", "prompt",
    "function",   "project_prompts", "project_functions", "org_prompts",     "org_functions"};
constexpr std::array<std::string_view, 2> kLaterSources = {"view", "prompt_session"};

// Longer generated aliases are unreadable as column names.
constexpr size_t kMaxTextAlias = 64;

template <size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool NestsAggregate(const Expr& e, bool inside_aggregate) {
  bool here = e.op == Expr::Op::kCall && IsAggregateFunction(e.name);
  if (here && inside_aggregate) return true;
  for (const Expr& child : e.children) {
    if (NestsAggregate(child, inside_aggregate || here)) return true;
  }
  return false;
}

void FillAliases(std::vector<AliasExpr>& items) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].alias.empty()) items[i].alias = DefaultAlias(items[i].expr, i);
  }
}

std::optional<QueryProblem> Problem(std::string_view clause, size_t index, std::string message) {
  return QueryProblem{std::string(clause), index, std::move(message)};
}

// Aggregates where rows, not groups, are evaluated.
std::optional<QueryProblem> AggregateIn(std::string_view clause, const std::vector<AliasExpr>& items,
                                        std::string_view advice) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (ContainsAggregate(items[i].expr)) {
      return Problem(
          clause, i,
          fmt::format("'{}' is an aggregate, which {}: cannot hold; {}", ExprText(items[i].expr), clause, advice));
    }
  }
  return std::nullopt;
}

std::optional<QueryProblem> AggregateRules(const Query& q) {
  if (auto p = AggregateIn("select", q.select, "use dimensions: and measures: (in SQL, GROUP BY) to aggregate")) {
    return p;
  }
  if (auto p = AggregateIn("dimensions", q.dimensions, "put it in measures:")) return p;
  for (size_t i = 0; i < q.measures.size(); ++i) {
    const Expr& m = q.measures[i].expr;
    if (!ContainsAggregate(m)) {
      return Problem("measures", i,
                     fmt::format("'{}' has no aggregate function (count, sum, avg, "
                                 "...); put it in dimensions:",
                                 ExprText(m)));
    }
    if (NestsAggregate(m, false)) {
      return Problem("measures", i, fmt::format("'{}' nests an aggregate function inside another", ExprText(m)));
    }
  }
  if (q.filter && ContainsAggregate(*q.filter)) {
    return Problem("filter", 0,
                   "filter: cannot hold aggregate functions; it is applied to rows "
                   "before grouping");
  }
  for (size_t i = 0; i < q.unpivot.size(); ++i) {
    if (ContainsAggregate(q.unpivot[i].expr)) {
      return Problem("unpivot", i, "unpivot: cannot hold aggregate functions");
    }
  }
  for (size_t i = 0; i < q.sort.size() && q.measures.empty(); ++i) {
    if (ContainsAggregate(q.sort[i].expr)) {
      return Problem("sort", i, "sort: can hold aggregate functions only in a query with measures:");
    }
  }
  return std::nullopt;
}

std::optional<QueryProblem> DuplicateIn(std::string_view clause, const std::vector<AliasExpr>& items,
                                        std::set<std::string>& seen) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(items[i].alias).second) {
      return Problem(clause, i,
                     fmt::format("the alias '{}' appears twice; give one of them "
                                 "another name with 'as'",
                                 items[i].alias));
    }
  }
  return std::nullopt;
}

std::optional<QueryProblem> AliasRules(const Query& q) {
  std::set<std::string> seen;
  if (auto p = DuplicateIn("select", q.select, seen)) return p;
  seen.clear();
  if (auto p = DuplicateIn("dimensions", q.dimensions, seen)) return p;
  if (auto p = DuplicateIn("measures", q.measures, seen)) return p;
  seen.clear();
  return DuplicateIn("pivot", q.pivot, seen);
}

}  // namespace

Status NotSupportedYet(std::string_view name, std::string_view where) {
  return InvalidArgument("BTQL: '{}' is not supported yet{}", name, where);
}

ClauseKind ClassifyClause(std::string_view name) {
  if (Contains(kClauses, name)) return ClauseKind::kSupported;
  if (Contains(kLaterClauses, name)) return ClauseKind::kLater;
  return ClauseKind::kUnknown;
}

std::string SupportedClauseList() { return fmt::format("{}", fmt::join(kClauses, ", ")); }

Status CheckSourceFunction(std::string_view name, std::string_view where) {
  if (Contains(kSources, name)) return Status::Ok();
  if (Contains(kLaterSources, name)) return NotSupportedYet(name, where);
  return InvalidArgument("BTQL: unknown source '{}'{}; expected one of {}", name, where, fmt::join(kSources, ", "));
}

bool IsShapeName(std::string_view name) {
  std::string lower = AsciiLower(name);
  return lower == "spans" || lower == "traces" || lower == "summary";
}

Shape ShapeFromName(std::string_view name) {
  std::string lower = AsciiLower(name);
  if (lower == "traces") return Shape::kTraces;
  if (lower == "summary") return Shape::kSummary;
  return Shape::kSpans;
}

std::string DefaultAlias(const Expr& e, size_t index) {
  if (e.op == Expr::Op::kIdent) {
    for (auto it = e.path.rbegin(); it != e.path.rend(); ++it) {
      if (const auto* key = std::get_if<std::string>(&*it)) return *key;
    }
  }
  if (e.op == Expr::Op::kCall) return e.name;
  std::string text = ExprText(e);
  return text.size() <= kMaxTextAlias ? text : fmt::format("_{}", index + 1);
}

bool ContainsAggregate(const Expr& e) {
  if (e.op == Expr::Op::kCall && IsAggregateFunction(e.name)) return true;
  return std::any_of(e.children.begin(), e.children.end(), ContainsAggregate);
}

void FinishQuery(Query& q) {
  FillAliases(q.select);
  FillAliases(q.dimensions);
  FillAliases(q.measures);
  FillAliases(q.pivot);
  if (!q.select.empty() || q.IsAggregate()) q.select_star = false;
}

std::optional<QueryProblem> FindQueryProblem(const Query& q) {
  if (!q.select.empty() && !q.dimensions.empty()) {
    return Problem("dimensions", 0,
                   "select: and dimensions: cannot be combined; list the grouped "
                   "columns in dimensions: and the aggregates in measures:");
  }
  if (!q.select.empty() && !q.measures.empty()) {
    return Problem("measures", 0,
                   "select: and measures: cannot be combined; list the grouped "
                   "columns in dimensions: and the aggregates in measures:");
  }
  if (auto p = AggregateRules(q)) return p;
  return AliasRules(q);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && AsciiLower(a) == AsciiLower(b);
}

}  // namespace tv::btql
