// What the three BTQL front ends (JSON AST, clause text, SQL) agree on: the
// clause and source names, the "recognized, not implemented yet" wording,
// default aliases, and the rules a whole query must satisfy (which clauses
// combine, where aggregates may appear, unique aliases). This is the one
// place that lists clauses and sources.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "btql/ast.h"
#include "common/status.h"

namespace tv::btql {

// InvalidArgument "BTQL: '<name>' is not supported yet<where>". `where` is
// appended verbatim (the text parsers pass " (at line L, column C)").
Status NotSupportedYet(std::string_view name, std::string_view where = "");

enum class ClauseKind {
  kSupported,  // select, dimensions, measures, pivot, unpivot, from, filter, sort, limit, cursor, sample,
               // preview_length
  kLater,      // AST-only clauses: infer, comparison_key, weighted_scores, ..., final_*
  kUnknown,
};
ClauseKind ClassifyClause(std::string_view lowercase_name);
// "select, dimensions, ..., preview_length", for "expected a clause (...)".
std::string SupportedClauseList();

// OK for experiment, dataset, project_logs, playground_logs, prompt,
// function, project_prompts, project_functions, org_prompts, org_functions.
// view and prompt_session are NotSupportedYet; anything else is an unknown
// source. `where` is appended to the message.
Status CheckSourceFunction(std::string_view lowercase_name, std::string_view where = "");

// True for spans, traces and summary (case-insensitive).
bool IsShapeName(std::string_view name);
// REQUIRES: IsShapeName(name).
Shape ShapeFromName(std::string_view name);

// The alias of an item written without one: an identifier's last key
// (`metadata.model` -> "model"), a call's name (`count(1)` -> "count"),
// otherwise the expression's text (ast_text.h), or "_<index + 1>" when that
// text is long.
std::string DefaultAlias(const Expr& e, size_t index);

bool ContainsAggregate(const Expr& e);

// A rule a parsed query breaks: `clause` and `index` locate the item
// ("select", 2), so the text front end can point at it and the JSON front
// end can name it; `message` says what is wrong.
struct QueryProblem {
  std::string clause;
  size_t index = 0;
  std::string message;
};

// Fills empty aliases with DefaultAlias and sets select_star to false when
// there is a projection or grouping. Call once a front end has read every
// clause, then FindQueryProblem.
void FinishQuery(Query& q);

// The first broken rule, or nullopt:
//  * select cannot be combined with dimensions or measures;
//  * select, dimensions, filter and unpivot hold no aggregate, and without
//    measures neither does sort; every measure holds one; aggregates do
//    not nest;
//  * aliases are unique within a clause and across dimensions + measures.
std::optional<QueryProblem> FindQueryProblem(const Query& q);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace tv::btql
