// BTQL over prompts and functions: the sources prompt(...), function(...),
// project_prompts(...), project_functions(...), org_prompts(...) and
// org_functions(...) read the FunctionStore (not the span store) and feed its
// rows through the same executor (btql/exec.h). docs/prompts.md, "BTQL sources".
#pragma once

#include <string_view>

#include "btql/ast.h"
#include "data/query/btql_runner.h"
#include "data/query/query.h"
#include "http/context.h"

namespace tv::data {

bool IsFunctionSource(std::string_view source);

// REQUIRES: IsFunctionSource(query.from.function). The current version of each
// function, or with options.audit_log every version (tombstones included),
// newest first; options.version reads as of that transaction.
Result<QueryOutput> RunFunctionQuery(const QueryDeps& deps, http::RequestContext& ctx, const btql::Query& query,
                                     const QueryOptions& options);

}  // namespace tv::data
