// Evaluates BTQL expressions against one row (a JSON object), with SQL's
// three-valued logic: a comparison with a null or absent side is unknown, NOT
// of unknown is unknown, and a filter keeps a row only when it is true.
// Pure functions; safe to call from any thread.
#pragma once

#include <vector>

#include "btql/ast.h"
#include "common/json.h"

namespace tv::btql {

// The value at `path` inside `row`, or nullptr when any step is absent: a key
// missing or applied to a non-object, an index out of range or applied to a
// non-array. Negative indices count from the end (-1 is the last element).
// An empty path is nullptr. The pointer borrows from `row`.
const json::value* Lookup(const json::object& row, const std::vector<PathPart>& path);

// True when `e` is true for `row`; false when it is false or unknown.
//   = / !=   unknown if either side is null or absent; numbers compare by
//            value (1 = 1.0), strings byte for byte, arrays and objects deeply.
//   IS NULL  true for absent and JSON null.
//   AND/OR   Kleene logic; a bare operand is true only if it is boolean true.
bool EvalPredicate(const Expr& e, const json::object& row);

}  // namespace tv::btql
