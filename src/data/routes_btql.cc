// POST /btql, first slice: the JSON AST the SDKs send and the same subset as
// text (docs/btql.md), planned onto one store scan: `id` / `root_span_id`
// equalities narrow the candidates, the whole filter is the residual
// predicate, `limit` counts rows, the cursor pins the snapshot.
#include <boost/json/serialize.hpp>

#include "btql/eval.h"
#include "common/ids.h"
#include "btql/json_query.h"
#include "btql/plan.h"
#include "btql/text_query.h"
#include "data/cursor.h"
#include "data/data_plane.h"
#include "data/object_access.h"
#include "data/rows_json.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

constexpr int64_t kDefaultLimit = 1000;
constexpr int64_t kMaxLimit = 10000;

Result<btql::Query> ParseQuery(const json::object& body) {
  const auto* q = body.if_contains("query");
  if (!q || q->is_null()) return InvalidArgument("'query' is required: BTQL text or the query object");
  if (q->is_string()) return btql::ParseTextQuery(q->as_string());
  if (q->is_object()) return btql::ParseJsonQuery(q->as_object());
  return InvalidArgument("'query' must be a string of BTQL or a query object");
}

Result<store::ObjectRef> SourceObject(const btql::Source& from) {
  auto kind = store::ParseObjectKind(from.function);
  if (!kind || *kind == store::ObjectKind::kPromptSession)
    return InvalidArgument("BTQL: from '{}' is not supported yet (experiment, dataset, project_logs)", from.function);
  if (from.ids.size() != 1)
    return InvalidArgument("BTQL: from {}(...) takes exactly one id for now, got {}", from.function, from.ids.size());
  if (from.shape != btql::Shape::kSpans)
    return InvalidArgument("BTQL: only the 'spans' shape is supported yet");
  store::ObjectRef ref{*kind, from.ids[0]};
  if (!IsUuid(ref.id)) return NotFound("{} '{}' not found", from.function, ref.id);
  return ref;
}

Result<http::Response> PostBtql(DataPlane& dp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(auto fmt, OptString(body, "fmt"));
  if (fmt && *fmt != "json") return InvalidArgument("BTQL: fmt '{}' is not supported yet (json)", *fmt);
  TV_ASSIGN_OR_RETURN(btql::Query query, ParseQuery(body));
  TV_ASSIGN_OR_RETURN(std::optional<store::XactId> version, VersionField(body));
  TV_ASSIGN_OR_RETURN(store::ObjectRef ref, SourceObject(query.from));
  TV_ASSIGN_OR_RETURN(store::ObjectOwner owner,
                      ResolveObject(ctx, dp.tenancy(), dp.store().catalog(), ref, Access::kRead));

  int64_t limit = query.limit.value_or(kDefaultLimit);
  if (limit < 0 || limit > kMaxLimit) return InvalidArgument("BTQL: limit must be between 0 and {}", kMaxLimit);
  store::ScanSpec spec;
  spec.objects = {owner.object_id};
  spec.limit = static_cast<size_t>(limit);
  spec.as_of = version;
  if (query.cursor && !query.cursor->empty()) TV_RETURN_IF_ERROR(ApplyCursor(*query.cursor, spec));
  if (query.filter) {
    btql::Pushdown push = btql::ExtractPushdown(*query.filter);
    spec.ids = std::move(push.ids);
    spec.root_span_ids = std::move(push.root_span_ids);
    for (auto& m : push.matches) spec.match.push_back({std::move(m.path), std::move(m.query)});
    spec.filter = [filter = *query.filter](const json::object& row) { return btql::EvalPredicate(filter, row); };
  }
  store::ScanResult result;
  if (spec.limit > 0) {
    TV_ASSIGN_OR_RETURN(result, dp.store().Scan(spec));
  } else {
    result.snapshot = dp.store().watermark();
  }
  std::string snapshot = store::FormatXact(result.snapshot);
  json::object extra{
      {"schema", json::object{{"type", "array"},
                              {"items", json::object{{"type", "object"}, {"properties", json::object()}}}}},
      {"cursor", result.next ? json::value(EncodeCursor({result.snapshot, *result.next})) : json::value(nullptr)},
      {"freshness_state", json::object{{"last_considered_xact_id", snapshot}, {"last_processed_xact_id", snapshot}}},
      {"realtime_state", json::object{{"type", "on"}, {"actual_xact_id", snapshot}, {"minimum_xact_id", snapshot}}},
  };
  return http::Response::Text(200, RowsBody("data", result.rows, extra), "application/json");
}

}  // namespace

void AddBtqlRoutes(DataPlane& dp, http::Router& router) {
  router.Add(http::Method::kPost, "/btql", [&dp](http::RequestContext& ctx) { return PostBtql(dp, ctx); });
}

}  // namespace tv::data
