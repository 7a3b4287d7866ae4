// POST /btql: the query as the JSON AST the SDKs send, BTQL text or SQL
// (docs/btql.md), run by RunQuery (btql_runner.h). Answers
// {data, schema, cursor, freshness_state, realtime_state}, or JSON lines
// with fmt "jsonl".
#include <boost/json/serialize.hpp>

#include "btql/json_query.h"
#include "btql/text_query.h"
#include "data/query/btql_runner.h"
#include "data/query/query_routes.h"
#include "data/rows/cursor.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

Result<btql::Query> ParseQuery(const json::object& body) {
  const auto* q = body.if_contains("query");
  if (!q || q->is_null()) return InvalidArgument("'query' is required: BTQL text or the query object");
  if (q->is_string()) return btql::ParseTextQuery(q->as_string());
  if (q->is_object()) return btql::ParseJsonQuery(q->as_object());
  return InvalidArgument("'query' must be a string of BTQL or a query object");
}

Result<int> TzOffset(const json::object& body) {
  const json::value* v = body.if_contains("tz_offset");
  if (!v || v->is_null()) return 0;
  if (v->is_int64() && v->get_int64() >= -24 * 60 && v->get_int64() <= 24 * 60) return static_cast<int>(v->get_int64());
  if (v->is_double() && v->get_double() >= -1440 && v->get_double() <= 1440) return static_cast<int>(v->get_double());
  return InvalidArgument("'tz_offset' must be minutes between -1440 and 1440 (480 is UTC-8)");
}

Result<http::Response> PostBtql(const QueryDeps& deps, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(auto fmt, OptString(body, "fmt"));
  if (fmt && *fmt != "json" && *fmt != "jsonl")
    return InvalidArgument("BTQL: fmt '{}' is not supported (json, jsonl)", *fmt);
  TV_ASSIGN_OR_RETURN(btql::Query query, ParseQuery(body));
  QueryOptions options;
  TV_ASSIGN_OR_RETURN(options.version, VersionField(body));
  TV_ASSIGN_OR_RETURN(options.tz_offset_minutes, TzOffset(body));
  TV_ASSIGN_OR_RETURN(auto audit_log, OptBool(body, "audit_log"));
  options.audit_log = audit_log.value_or(false);
  TV_ASSIGN_OR_RETURN(QueryOutput out, RunQuery(deps, ctx, query, options));
  if (fmt && *fmt == "jsonl") {
    std::string text;
    for (const auto& row : out.data) {
      text += json::serialize(row);
      text += '\n';
    }
    return http::Response::Text(200, std::move(text), "application/x-ndjson");
  }
  std::string snapshot = store::FormatXact(out.snapshot);
  json::object response{
      {"data", std::move(out.data)},
      {"schema",
       json::object{{"type", "array"}, {"items", json::object{{"type", "object"}, {"properties", json::object()}}}}},
      {"cursor", out.cursor ? json::value(*out.cursor) : json::value(nullptr)},
      {"freshness_state", json::object{{"last_considered_xact_id", snapshot}, {"last_processed_xact_id", snapshot}}},
      {"realtime_state", json::object{{"type", "on"}, {"actual_xact_id", snapshot}, {"minimum_xact_id", snapshot}}},
  };
  return http::Response::Text(200, json::serialize(response), "application/json");
}

}  // namespace

void AddBtqlRoutes(http::Router& router, const QueryDeps& deps) {
  // Heavy even when the query is an id or root_span_id lookup: the class is
  // chosen before the body is read (docs/configuration.md, request classes).
  router.Add(
      http::Method::kPost, "/btql", [deps](http::RequestContext& ctx) { return PostBtql(deps, ctx); },
      http::RequestClass::kHeavy);
}

}  // namespace tv::data
