#include "data/query/btql_functions.h"

#include <algorithm>
#include <array>

#include "btql/eval.h"
#include "btql/exec.h"
#include "btql/values.h"
#include "common/ids.h"

namespace tv::data {
namespace {

using functions::FunctionQuery;
using functions::FunctionVersion;

constexpr std::array<std::string_view, 6> kSources = {
    "prompt", "function", "project_prompts", "project_functions", "org_prompts", "org_functions"};

void AddUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// The FunctionQuery the source's ids name, after the tenancy check of each.
Result<FunctionQuery> ScopeOf(const QueryDeps& deps, http::RequestContext& ctx, const btql::Source& from) {
  std::string_view fn = from.function;
  FunctionQuery q;
  q.prompts_only = fn.find("prompt") != std::string_view::npos;
  for (const auto& id : from.ids) {
    if (fn == "prompt" || fn == "function") {
      TV_ASSIGN_OR_RETURN(std::string org, deps.functions.RequireOrgOf(ctx, id));
      AddUnique(q.org_ids, org);
      AddUnique(q.ids, id);
    } else if (fn.starts_with("project_")) {
      TV_ASSIGN_OR_RETURN(ObjectInfo project, deps.tenancy.Require(ctx, ObjectType::kProject, id));
      AddUnique(q.org_ids, project.org_id);
      AddUnique(q.project_ids, project.id);
    } else {
      if (!ctx.principal().FindOrg(id)) return NotFound("organization '{}' not found", id);
      AddUnique(q.org_ids, id);
    }
  }
  return q;
}

}  // namespace

bool IsFunctionSource(std::string_view source) {
  return std::find(kSources.begin(), kSources.end(), source) != kSources.end();
}

Result<QueryOutput> RunFunctionQuery(const QueryDeps& deps, http::RequestContext& ctx, const btql::Query& query,
                                     const QueryOptions& options) {
  if (query.from.ids.empty()) return InvalidArgument("BTQL: from {}(...) needs at least one id", query.from.function);
  if (query.from.shape != btql::Shape::kSpans)
    return InvalidArgument("BTQL: {}(...) has no traces; use the spans shape", query.from.function);
  if (query.cursor && !query.cursor->empty())
    return InvalidArgument("BTQL: 'cursor' does not page {}(...); use limit", query.from.function);
  int64_t limit = query.limit.value_or(options.default_limit);
  if (limit < 0 || limit > options.max_limit)
    return InvalidArgument("BTQL: limit must be between 0 and {}", options.max_limit);
  TV_ASSIGN_OR_RETURN(FunctionQuery scope, ScopeOf(deps, ctx, query.from));
  scope.as_of = options.version;
  TV_ASSIGN_OR_RETURN(auto versions,
                      options.audit_log ? deps.functions.store().History(scope) : deps.functions.store().List(scope));
  // The executor takes rows newest first.
  std::stable_sort(versions.begin(), versions.end(),
                   [](const FunctionVersion& a, const FunctionVersion& b) { return a.xact > b.xact; });

  btql::ExecLimits limits;
  limits.memory_budget_bytes = options.memory_budget_bytes ? options.memory_budget_bytes : deps.memory_bytes;
  btql::EvalState state(limits.memory_budget_bytes);
  btql::EvalContext eval{deps.clock.NowMicros(), options.tz_offset_minutes, &state};
  limits.timeout = options.timeout.count() ? options.timeout : deps.timeout;
  limits.deadline = std::chrono::steady_clock::now() + limits.timeout;
  bool unpivot = !query.unpivot.empty();  // the filter then reads unpivoted rows: the executor applies it
  TV_ASSIGN_OR_RETURN(auto pipeline,
                      btql::Pipeline::Make(query, eval, limits, static_cast<size_t>(limit), std::nullopt, unpivot));
  QueryOutput out;
  for (const auto& v : versions) {
    out.snapshot = std::max<store::XactId>(out.snapshot, v.xact);
    if (!unpivot && query.filter && !btql::EvalPredicate(*query.filter, v.row, eval)) {
      if (state.failed()) return state.status();
      continue;
    }
    TV_RETURN_IF_ERROR(pipeline->Add(v.row, {v.xact, v.function_id}));
  }
  if (options.version) out.snapshot = *options.version;
  out.data = std::move(pipeline->Finish().rows);
  for (const auto& row : out.data) {
    if (!state.Charge(btql::SerializedSize(row))) return state.status();
  }
  return out;
}

}  // namespace tv::data
