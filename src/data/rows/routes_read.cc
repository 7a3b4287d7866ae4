// The read routes outside BTQL: /v1/{experiment,dataset,project_logs}/{id}/fetch
// (GET and POST; newest first, `limit` counts traces, cursors pinned to a
// snapshot), GET /dataset-summary and GET /xact-id.
#include <charconv>

#include <boost/json/serialize.hpp>

#include "data/rows/cursor.h"
#include "data/rows/object_access.h"
#include "data/rows/row_routes.h"
#include "data/rows/rows_json.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

constexpr size_t kDefaultFetchLimit = 1000;
constexpr size_t kMaxFetchLimit = 10000;

struct FetchParams {
  std::optional<int64_t> limit;
  std::optional<store::XactId> version;
  std::optional<std::string> cursor, max_xact_id, max_root_span_id;
};

Result<int64_t> ParseLimit(std::string_view text) {
  int64_t n = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n < 0)
    return InvalidArgument("'limit' must be a non-negative integer");
  return n;
}

Result<FetchParams> FromQuery(const http::Request& req) {
  FetchParams p;
  if (auto v = req.QueryParam("limit")) {
    TV_ASSIGN_OR_RETURN(p.limit, ParseLimit(*v));
  }
  p.cursor = http::QueryString(req, "cursor");
  if (auto v = req.QueryParam("version")) {
    TV_ASSIGN_OR_RETURN(p.version, store::ParseXact(*v, "version"));
  }
  p.max_xact_id = http::QueryString(req, "max_xact_id");
  p.max_root_span_id = http::QueryString(req, "max_root_span_id");
  return p;
}

Result<FetchParams> FromBody(const http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  FetchParams p;
  TV_ASSIGN_OR_RETURN(p.limit, OptInt(body, "limit"));
  if (p.limit && *p.limit < 0) return InvalidArgument("'limit' must be a non-negative integer");
  TV_ASSIGN_OR_RETURN(p.cursor, OptString(body, "cursor"));
  TV_ASSIGN_OR_RETURN(p.max_xact_id, OptString(body, "max_xact_id"));
  TV_ASSIGN_OR_RETURN(p.max_root_span_id, OptString(body, "max_root_span_id"));
  TV_ASSIGN_OR_RETURN(p.version, VersionField(body));
  return p;
}

Result<http::Response> Fetch(const RowsDeps& deps, http::RequestContext& ctx, store::ObjectKind kind,
                             const FetchParams& p) {
  TV_ASSIGN_OR_RETURN(store::ObjectRef ref, PathObject(ctx, kind));
  TV_ASSIGN_OR_RETURN(store::ObjectOwner owner,
                      ResolveObject(ctx, deps.tenancy, deps.store.catalog(), ref, Access::kRead));
  store::ScanSpec spec;
  spec.objects = {owner.object_id};
  spec.limit_unit = store::LimitUnit::kTraces;
  spec.limit = p.limit ? std::min<size_t>(static_cast<size_t>(*p.limit), kMaxFetchLimit) : kDefaultFetchLimit;
  spec.as_of = p.version;
  if (p.cursor) {
    TV_RETURN_IF_ERROR(ApplyCursor(*p.cursor, spec));
  } else if (p.max_xact_id || p.max_root_span_id) {
    if (!p.max_xact_id || !p.max_root_span_id)
      return InvalidArgument("pass both 'max_xact_id' and 'max_root_span_id', or neither");
    TV_ASSIGN_OR_RETURN(store::XactId x, store::ParseXact(*p.max_xact_id, "max_xact_id"));
    spec.after = store::ScanKey{x, *p.max_root_span_id};
  }
  if (spec.limit == 0) return http::Response::Json(200, json::object{{"events", json::array()}});
  TV_ASSIGN_OR_RETURN(store::ScanResult result, deps.store.Scan(spec));
  json::object extra;
  if (result.next) extra["cursor"] = EncodeCursor({result.snapshot, *result.next});
  http::Response r = http::Response::Text(200, RowsBody("events", result.rows, extra), "application/json");
  return r;
}

Result<http::Response> DatasetSummary(const RowsDeps& deps, http::RequestContext& ctx) {
  auto id = http::QueryString(ctx.request(), "dataset_id");
  if (!id) return InvalidArgument("'dataset_id' is required");
  store::ObjectRef ref{store::ObjectKind::kDataset, *id};
  if (!IsUuid(ref.id)) return NotFound("dataset '{}' not found", ref.id);
  TV_ASSIGN_OR_RETURN(store::ObjectOwner owner,
                      ResolveObject(ctx, deps.tenancy, deps.store.catalog(), ref, Access::kRead));
  store::ScanSpec spec;
  spec.objects = {owner.object_id};
  spec.limit = SIZE_MAX;  // the rows are shared, not copied: counting them is cheap
  TV_ASSIGN_OR_RETURN(store::ScanResult result, deps.store.Scan(spec));
  return http::JsonOk(json::object{{"total_records", static_cast<int64_t>(result.rows.size())}});
}

}  // namespace

void AddReadRoutes(http::Router& router, const RowsDeps& deps) {
  for (auto kind : kRowObjectKinds) {
    std::string path = fmt::format("/v1/{}/:id/fetch", store::ObjectKindName(kind));
    router.Add(http::Method::kGet, path, [deps, kind](http::RequestContext& ctx) -> Result<http::Response> {
      TV_ASSIGN_OR_RETURN(FetchParams p, FromQuery(ctx.request()));
      return Fetch(deps, ctx, kind, p);
    });
    router.Add(http::Method::kPost, path, [deps, kind](http::RequestContext& ctx) -> Result<http::Response> {
      TV_ASSIGN_OR_RETURN(FetchParams p, FromBody(ctx));
      return Fetch(deps, ctx, kind, p);
    });
  }
  router.Add(
      http::Method::kGet, "/dataset-summary", [deps](http::RequestContext& ctx) { return DatasetSummary(deps, ctx); },
      http::RequestClass::kHeavy);
  router.Add(http::Method::kGet, "/xact-id", [deps](http::RequestContext&) -> Result<http::Response> {
    return http::Response::Text(200, store::FormatXact(deps.store.watermark()));
  });
}

}  // namespace tv::data
