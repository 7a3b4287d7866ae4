// The JSON AST front end: the structured `{"query": {...}}` object the SDKs
// post to /btql (reference §5.6). This slice accepts select [star], from a
// source function, filter, limit and cursor; every other clause or op is
// InvalidArgument "BTQL: '<name>' is not supported yet", never ignored.
#pragma once

#include "btql/ast.h"
#include "common/json.h"
#include "common/status.h"

namespace tv::btql {

// `query` is the value of the request's "query" key. Clauses whose value is
// null (or an empty list) count as absent. `from` is required.
Result<Query> ParseJsonQuery(const json::object& query);

// One expression node: literal, ident, eq, ne, is (null), isnull, isnotnull,
// not, and/or (`left`/`right` and/or `children`), or `{"btql": "<text>"}`.
Result<Expr> ParseJsonExpr(const json::value& node);

}  // namespace tv::btql
