// The BTQL clause-text front end: `select: ... | from: experiment('<id>') |
// filter: ... | sort: ... | limit: 100`, clauses on separate lines or joined
// with '|', keywords case-insensitive. Text that starts with SELECT or WITH
// (not followed by ':') is the SQL form (sql_query.h). docs/btql.md has the
// grammar. Errors are InvalidArgument naming the 1-based line and column.
#pragma once

#include <string_view>

#include "btql/ast.h"
#include "common/status.h"

namespace tv::btql {

// Parses a whole query. `from:` is required; no select/dimensions/measures
// means `*`. Items without `as` get DefaultAlias (clause_rules.h).
Result<Query> ParseTextQuery(std::string_view text);

// Parses a single expression, such as the text of an embedded `{"btql": ...}`
// node of the JSON AST. The whole text must be one expression.
Result<Expr> ParseTextExpr(std::string_view text);

}  // namespace tv::btql
