// The BTQL clause-text front end: `select: * | from: experiment('<id>') |
// filter: ... | limit: 100 | cursor: '...'`, clauses on separate lines or
// joined with '|', keywords case-insensitive. docs/btql.md has the grammar of
// this slice. Errors are InvalidArgument naming the 1-based line and column.
#pragma once

#include <string_view>

#include "btql/ast.h"
#include "common/status.h"

namespace tv::btql {

// Parses a whole query. `from:` is required; a missing `select:` means `*`.
Result<Query> ParseTextQuery(std::string_view text);

// Parses a single expression, such as the text of an embedded `{"btql": ...}`
// node of the JSON AST. The whole text must be one expression.
Result<Expr> ParseTextExpr(std::string_view text);

}  // namespace tv::btql
