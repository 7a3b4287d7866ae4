// Evaluates BTQL expressions against one row (a JSON object), with SQL's
// three-valued logic: a comparison with a null or absent side is unknown, NOT
// of unknown is unknown, and a filter keeps a row only when it is true.
// Pure functions; safe to call from any thread.
#pragma once

#include <vector>

#include "btql/ast.h"
#include "btql/functions.h"
#include "common/json.h"

namespace tv::btql {

// The value at `path` inside `row`, or nullptr when any step is absent: a key
// missing or applied to a non-object, an index out of range or applied to a
// non-array. Negative indices count from the end (-1 is the last element).
// An empty path is nullptr. The pointer borrows from `row`.
const json::value* Lookup(const json::object& row, const std::vector<PathPart>& path);

// The value of `e` for `row`: null for unknown and for anything that cannot
// be computed (a missing field, 1/0, a function applied to the wrong kind).
// A boolean expression gives true, false or null. An aggregate call gives
// null here; the executor (aggregate.h) evaluates aggregates. An interval
// that is not added to a time gives its text ("1 day").
// With ctx.state (functions.h): the values built on the way are charged to its
// budget and released before returning (the caller charges what it keeps);
// past the budget, or on an error that is the query's (date arithmetic out of
// range), the state fails and this gives null, as every later call does.
json::value EvalValue(const Expr& e, const json::object& row, const EvalContext& ctx = {});

// True when `e` is true for `row`; false when it is false or unknown, or when
// ctx.state failed (as EvalValue).
//   = / !=   unknown if either side is null or absent; numbers compare by
//            value (1 = 1.0), strings byte for byte, arrays and objects deeply.
//   IS NULL  true for absent and JSON null.
//   AND/OR   Kleene logic; a bare operand is true only if it is boolean true.
bool EvalPredicate(const Expr& e, const json::object& row, const EvalContext& ctx = {});

// `text LIKE pattern`: % any run, _ one character (a UTF-8 code point),
// backslash escapes the next character. Linear in practice: a failed match
// backtracks only to the last %. `fold_case` folds ASCII letters (ILIKE).
bool LikeMatch(std::string_view text, std::string_view pattern, bool fold_case);

}  // namespace tv::btql
