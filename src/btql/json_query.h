// The JSON AST front end: the structured `{"query": {...}}` object the SDKs
// post to /btql (reference §5.6). Every clause and op of the language is read
// into the same Query the text front ends produce; AST-only clauses this
// server lacks (infer, comparison_key, ...) are InvalidArgument
// "BTQL: '<name>' is not supported yet", never ignored. Errors name the bad
// node ("BTQL: 'in' needs 'right'", "... (in measures[1])").
#pragma once

#include "btql/ast.h"
#include "common/json.h"
#include "common/status.h"

namespace tv::btql {

// `query` is the value of the request's "query" key. Clauses whose value is
// null (or an empty list) count as absent. `from` is required.
Result<Query> ParseJsonQuery(const json::object& query);

// One expression node (docs/btql.md lists them), nested at most
// kMaxExprDepth (text_expr.h) levels deep.
Result<Expr> ParseJsonExpr(const json::value& node);

}  // namespace tv::btql
