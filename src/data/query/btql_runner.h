// Runs a parsed BTQL query for a request: resolves every id in `from` through
// the tenancy rule, plans the query onto span-store scans (btql/plan.h), feeds
// the rows through the executor (btql/exec.h) and returns the shaped rows.
// POST /btql and the summary / comparison endpoints all go through here, so
// an experiment summary is a BTQL query, not a separate code path.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "btql/ast.h"
#include "common/json.h"
#include "data/query/query.h"
#include "http/context.h"
#include "store/xact.h"

namespace tv::data {

struct QueryOptions {
  std::optional<store::XactId> version;  // snapshot; default: the committed watermark
  int tz_offset_minutes = 0;             // the request's tz_offset (minutes west of UTC)
  bool audit_log = false;                // the request's audit_log: every version (prompt and function sources)
  // Budgets: a query that needs more memory for its working state (groups,
  // sorted rows, traces) or more time fails with a clear error naming the
  // budget instead of hurting the server.
  // 0: the deps' (QueryDeps; --query-memory-mb, --query-timeout-ms).
  size_t memory_budget_bytes = 0;
  std::chrono::milliseconds timeout{0};
  // `limit` when the query has none, and the largest accepted.
  int64_t default_limit = 1000;
  int64_t max_limit = 100'000;
  // Summary rows carry root-field previews of this many characters unless the
  // query sets preview_length.
  int64_t default_preview_length = 124;
};

struct QueryOutput {
  json::array data;
  store::XactId snapshot = 0;
  std::optional<std::string> cursor;  // set when another page may follow
};

Result<QueryOutput> RunQuery(const QueryDeps& deps, http::RequestContext& ctx, const btql::Query& query,
                             const QueryOptions& options);

}  // namespace tv::data
