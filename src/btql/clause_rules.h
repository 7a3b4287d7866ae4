// What both BTQL front ends (JSON AST and clause text) agree on: which
// clauses, sources and shapes this slice accepts, and the one wording for
// "recognized, but not implemented yet".
#pragma once

#include <string>
#include <string_view>

#include "btql/ast.h"
#include "common/status.h"

namespace tv::btql {

// InvalidArgument "BTQL: '<name>' is not supported yet<where>". `where` is
// appended verbatim (the text parser passes " (at line L, column C)").
Status NotSupportedYet(std::string_view name, std::string_view where = "");

// The clauses this slice implements: select, from, filter, limit, cursor.
bool IsSupportedClause(std::string_view name);

// OK for experiment, dataset and project_logs. Other sources of the full
// language are NotSupportedYet; anything else is an unknown source.
Status CheckSourceFunction(std::string_view name, std::string_view where = "");

// True for spans, traces and summary (case-insensitive).
bool IsShapeName(std::string_view name);
// REQUIRES: IsShapeName(name).
Shape ShapeFromName(std::string_view name);

std::string Lowercase(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace tv::btql
