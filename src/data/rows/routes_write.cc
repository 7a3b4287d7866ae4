// The write routes: POST /logs3 (the SDK's path for every write), the REST
// /v1/{experiment,dataset,project_logs}/{id}/insert and /feedback, and the
// cross-object POST /v1/insert. Each request is one transaction: all of its
// rows are validated first and stored together, or none are.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "data/rows/row_intake.h"
#include "data/rows/row_routes.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

Result<http::Response> Commit(const RowsDeps& deps, RowIntake& intake, json::object reply) {
  if (intake.size() == 0) return http::JsonOk(reply);
  TV_ASSIGN_OR_RETURN(store::WriteBatch batch, intake.Take());
  TV_RETURN_IF_ERROR(deps.store.Write(std::move(batch)));
  return http::JsonOk(reply);
}

json::array Strings(const std::vector<std::string>& v, size_t from = 0, size_t to = SIZE_MAX) {
  json::array out;
  for (size_t i = from; i < std::min(to, v.size()); ++i) out.push_back(json::value(v[i]));
  return out;
}

Result<const json::array*> ArrayField(const json::object& body, std::string_view key, bool required) {
  const auto* v = body.if_contains(key);
  if (!v || v->is_null()) {
    if (required) return InvalidArgument("'{}' is required and must be an array", key);
    return static_cast<const json::array*>(nullptr);
  }
  if (!v->is_array()) return InvalidArgument("'{}' must be an array", key);
  return &v->as_array();
}

Status AddEvents(RowIntake& intake, const json::array& events, const store::ObjectRef& ref, std::string_view field) {
  for (size_t i = 0; i < events.size(); ++i) {
    std::string where = fmt::format("{}[{}]", field, i);
    if (!events[i].is_object()) return InvalidArgument("{} must be an object", where);
    TV_RETURN_IF_ERROR(intake.Add(events[i].as_object(), ref, where));
  }
  return Status::Ok();
}

Status AddFeedback(RowIntake& intake, const json::array& items, const store::ObjectRef& ref, std::string_view field) {
  for (size_t i = 0; i < items.size(); ++i) {
    std::string where = fmt::format("{}[{}]", field, i);
    if (!items[i].is_object()) return InvalidArgument("{} must be an object", where);
    TV_ASSIGN_OR_RETURN(auto rows, store::FeedbackRows(items[i].as_object(), ref.kind, where));
    for (auto& row : rows) {
      // Comments list oldest first, by `created`: the comments of one request
      // get times one microsecond apart, in the order they were sent.
      if (!store::CommentTarget(row).empty() && !row.contains("created"))
        row["created"] = FormatTimestamp(intake.now_micros() + static_cast<int64_t>(i));
      TV_RETURN_IF_ERROR(intake.Add(std::move(row), ref, where));
    }
  }
  return Status::Ok();
}

// The rows of a /logs3 body: inline, or a reference to an overflow upload
// (returned in `overflow`, to be consumed once its rows are stored).
Result<json::array> Logs3Rows(const RowsDeps& deps, http::RequestContext& ctx, json::object& body,
                              std::optional<Upload>& overflow) {
  auto* rows = body.if_contains("rows");
  if (rows && rows->is_object()) {
    const json::object& ref = rows->as_object();
    const auto* type = ref.if_contains("type");
    const auto* key = ref.if_contains("key");
    if (!type || *type != "logs3_overflow" || !key || !key->is_string())
      return InvalidArgument("'rows' must be an array, or {{\"type\": \"logs3_overflow\", \"key\": ...}}");
    // The upload must belong to one of the caller's organizations.
    for (const auto& org : ctx.principal().orgs) {
      auto upload = deps.uploads.Overflow(org.org_id, key->as_string());
      if (!upload.ok()) continue;
      if (upload->status != "uploaded")
        return InvalidArgument("overflow upload '{}' has not been uploaded", key->as_string());
      TV_ASSIGN_OR_RETURN(std::string payload, deps.uploads.Read(*upload));
      TV_ASSIGN_OR_RETURN(json::object inner, ParseJsonObject(payload));
      auto* inner_rows = inner.if_contains("rows");
      if (!inner_rows || !inner_rows->is_array())
        return InvalidArgument("the overflow payload '{}' is not a logs3 body with a 'rows' array", key->as_string());
      overflow = std::move(*upload);
      return std::move(inner_rows->as_array());
    }
    return NotFound("overflow upload '{}' not found", key->as_string());
  }
  if (!rows || !rows->is_array()) return InvalidArgument("'rows' is required and must be an array");
  return std::move(rows->as_array());
}

Result<http::Response> PostLogs3(const RowsDeps& deps, http::RequestContext& ctx) {
  if (ctx.request().body.size() > deps.logs3_payload_max_bytes)
    return PayloadTooLarge(
        "The request body is {} bytes; the limit is {} (GET /version, logs3_payload_max_bytes). "
        "Send larger batches through POST /logs3/overflow.",
        ctx.request().body.size(), deps.logs3_payload_max_bytes);
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  if (const auto* v = body.if_contains("api_version"); v && !v->is_null() && !(v->is_int64() || v->is_uint64()))
    return InvalidArgument("'api_version' must be an integer");
  std::optional<Upload> overflow;
  TV_ASSIGN_OR_RETURN(json::array rows, Logs3Rows(deps, ctx, body, overflow));
  RowIntake intake(ctx, deps.tenancy, deps.store.catalog(), deps.clock);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string where = fmt::format("rows[{}]", i);
    if (!rows[i].is_object()) return InvalidArgument("{} must be an object", where);
    TV_RETURN_IF_ERROR(intake.Add(std::move(rows[i].as_object()), std::nullopt, where));
  }
  json::object reply{{"row_ids", Strings(intake.row_ids())}};
  TV_ASSIGN_OR_RETURN(http::Response r, Commit(deps, intake, std::move(reply)));
  // An ingested overflow payload is no longer needed.
  if (overflow) (void)deps.uploads.Consume(*overflow);
  return r;
}

Result<http::Response> PostInsert(const RowsDeps& deps, http::RequestContext& ctx, store::ObjectKind kind) {
  TV_ASSIGN_OR_RETURN(store::ObjectRef ref, PathObject(ctx, kind));
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(const json::array* events, ArrayField(body, "events", true));
  RowIntake intake(ctx, deps.tenancy, deps.store.catalog(), deps.clock);
  TV_RETURN_IF_ERROR(AddEvents(intake, *events, ref, "events"));
  return Commit(deps, intake, json::object{{"row_ids", Strings(intake.row_ids())}});
}

Result<http::Response> PostFeedback(const RowsDeps& deps, http::RequestContext& ctx, store::ObjectKind kind) {
  TV_ASSIGN_OR_RETURN(store::ObjectRef ref, PathObject(ctx, kind));
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(const json::array* items, ArrayField(body, "feedback", true));
  RowIntake intake(ctx, deps.tenancy, deps.store.catalog(), deps.clock);
  TV_RETURN_IF_ERROR(AddFeedback(intake, *items, ref, "feedback"));
  return Commit(deps, intake, json::object{{"status", "success"}});
}

// POST /v1/insert: {"experiment": {<id>: {events, feedback}}, "dataset": ..., "project_logs": ...}.
Result<http::Response> PostCrossObjectInsert(const RowsDeps& deps, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  RowIntake intake(ctx, deps.tenancy, deps.store.catalog(), deps.clock);
  json::object reply;
  for (const auto& kv : body) {
    auto kind = store::ParseObjectKind(kv.key());
    if (!kind || *kind == store::ObjectKind::kPromptSession)
      return InvalidArgument("unknown object type '{}' (experiment, dataset or project_logs)",
                             std::string_view(kv.key()));
    if (kv.value().is_null()) continue;
    if (!kv.value().is_object())
      return InvalidArgument("'{}' must map object ids to {{events, feedback}}", std::string_view(kv.key()));
    json::object per_object;
    for (const auto& entry : kv.value().as_object()) {
      store::ObjectRef ref{*kind, std::string(entry.key())};
      if (!IsUuid(ref.id)) return NotFound("{} '{}' not found", std::string_view(kv.key()), ref.id);
      if (!entry.value().is_object())
        return InvalidArgument("'{}.{}' must be {{events, feedback}}", std::string_view(kv.key()), ref.id);
      std::string where = fmt::format("{}.{}", std::string_view(kv.key()), ref.id);
      const json::object& spec = entry.value().as_object();
      TV_ASSIGN_OR_RETURN(const json::array* events, ArrayField(spec, "events", false));
      TV_ASSIGN_OR_RETURN(const json::array* feedback, ArrayField(spec, "feedback", false));
      size_t first = intake.size();
      if (events) TV_RETURN_IF_ERROR(AddEvents(intake, *events, ref, where + ".events"));
      size_t last = intake.size();
      if (feedback) TV_RETURN_IF_ERROR(AddFeedback(intake, *feedback, ref, where + ".feedback"));
      per_object[ref.id] = json::object{{"row_ids", Strings(intake.row_ids(), first, last)}};
    }
    reply[kv.key()] = std::move(per_object);
  }
  return Commit(deps, intake, std::move(reply));
}

}  // namespace

void AddWriteRoutes(http::Router& router, const RowsDeps& deps) {
  router.Add(
      http::Method::kPost, "/logs3", [deps](http::RequestContext& ctx) { return PostLogs3(deps, ctx); },
      http::RequestClass::kIngest);
  router.Add(
      http::Method::kPost, "/v1/insert", [deps](http::RequestContext& ctx) { return PostCrossObjectInsert(deps, ctx); },
      http::RequestClass::kIngest);
  for (auto kind : kRowObjectKinds) {
    std::string base = fmt::format("/v1/{}/:id/", store::ObjectKindName(kind));
    router.Add(
        http::Method::kPost, base + "insert",
        [deps, kind](http::RequestContext& ctx) { return PostInsert(deps, ctx, kind); }, http::RequestClass::kIngest);
    router.Add(
        http::Method::kPost, base + "feedback",
        [deps, kind](http::RequestContext& ctx) { return PostFeedback(deps, ctx, kind); }, http::RequestClass::kIngest);
  }
}

}  // namespace tv::data
