// REST for prompts and functions: /v1/prompt and /v1/function (create,
// create-or-replace, list, get, patch, delete) and POST /insert-functions
// (what the SDK's project.publish() sends). docs/prompts.md is the contract.
#include <charconv>

#include "common/ids.h"
#include "common/strings.h"
#include "data/functions/environment_routes.h"
#include "data/functions/functions.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

using functions::FamilyName;
using functions::FunctionFamily;
using functions::FunctionQuery;
using functions::FunctionVersion;
using functions::IfExists;
using functions::OwnedSpec;
using functions::ParseFunctionPatch;
using functions::ParseFunctionSpec;
using functions::WriteOutcome;

constexpr int64_t kMaxListLimit = 1000;

http::Response RowResponse(json::object row, bool found_existing = false) {
  http::Response r = http::JsonOk(row);
  if (found_existing) r.headers.Set("x-bt-found-existing", "true");
  return r;
}

Result<std::optional<store::XactId>> VersionParam(const http::Request& req) {
  auto v = req.QueryParam("version");
  if (!v) return std::optional<store::XactId>();
  TV_ASSIGN_OR_RETURN(store::XactId x, store::ParseXact(*v, "version"));
  return std::optional<store::XactId>(x);
}

Result<int64_t> LimitParam(const http::Request& req) {
  auto text = req.QueryParam("limit");
  if (!text) return kMaxListLimit;
  int64_t n = -1;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || p != text->data() + text->size() || n < 0)
    return InvalidArgument("Query parameter 'limit' must be a non-negative integer");
  return std::min(n, kMaxListLimit);
}

// `ids` repeated or comma-separated.
Result<std::vector<std::string>> IdsParam(const http::Request& req) {
  std::vector<std::string> ids;
  for (auto param : req.QueryParams("ids")) {
    for (std::string_view one : SplitList(param, ",", ListItems::kVerbatim)) {
      if (!IsUuid(std::string(one))) return InvalidArgument("'{}' in 'ids' is not a UUID", one);
      ids.emplace_back(one);
    }
  }
  return ids;
}

Result<FunctionQuery> ListQuery(Functions& fns, http::RequestContext& ctx, FunctionFamily family) {
  const http::Request& req = ctx.request();
  FunctionQuery q;
  auto org_name = http::QueryString(req, "org_name");
  TV_ASSIGN_OR_RETURN(q.org_ids, http::Tenancy::OrgScope(ctx.principal(), org_name));
  auto project_id = http::QueryString(req, "project_id");
  auto project_name = http::QueryString(req, "project_name");
  if (project_id || project_name) {
    TV_ASSIGN_OR_RETURN(ObjectInfo project, fns.RequireProject(ctx, project_id, project_name, org_name));
    if (std::find(q.org_ids.begin(), q.org_ids.end(), project.org_id) == q.org_ids.end())
      return NotFound("project '{}' not found", project_id ? *project_id : *project_name);
    q.org_ids = {project.org_id};
    q.project_ids = {project.id};
  }
  q.slug = http::QueryString(req, "slug");
  q.name = http::QueryString(req, family == FunctionFamily::kPrompt ? "prompt_name" : "function_name");
  q.function_type = http::QueryString(req, "function_type");
  q.prompts_only = family == FunctionFamily::kPrompt;
  TV_ASSIGN_OR_RETURN(q.ids, IdsParam(req));
  TV_ASSIGN_OR_RETURN(q.as_of, VersionParam(req));
  TV_ASSIGN_OR_RETURN(int64_t limit, LimitParam(req));
  q.limit = limit;
  q.starting_after = http::QueryString(req, "starting_after");
  q.ending_before = http::QueryString(req, "ending_before");
  if (q.starting_after && q.ending_before)
    return InvalidArgument("Pass at most one of 'starting_after' and 'ending_before'");
  return q;
}

Result<http::Response> List(Functions& fns, http::RequestContext& ctx, FunctionFamily family) {
  auto environment = http::QueryString(ctx.request(), "environment");
  if (environment && ctx.request().QueryParam("version"))
    return InvalidArgument("Pass at most one of 'version' and 'environment'");
  TV_ASSIGN_OR_RETURN(FunctionQuery q, ListQuery(fns, ctx, family));
  std::vector<FunctionVersion> found;
  if (environment) {
    int64_t limit = *q.limit;
    q.limit = 2;
    TV_ASSIGN_OR_RETURN(found, fns.store().List(q));
    if (found.size() > 1)
      return InvalidArgument(
          "'environment' needs the other filters to match a single {}; narrow with slug or "
          "project_id",
          FamilyName(family));
    if (!found.empty() && limit > 0) {
      TV_ASSIGN_OR_RETURN(found[0], fns.PickVersion(found[0], std::nullopt, environment, family));
    } else {
      found.clear();
    }
  } else {
    TV_ASSIGN_OR_RETURN(found, fns.store().List(q));
  }
  json::array objects;
  for (auto& v : found) objects.push_back(std::move(v.row));
  return http::JsonOk(json::object{{"objects", std::move(objects)}});
}

Result<http::Response> Get(Functions& fns, http::RequestContext& ctx, FunctionFamily family) {
  TV_ASSIGN_OR_RETURN(FunctionVersion live, fns.RequireLive(ctx, ctx.Param("id"), family));
  TV_ASSIGN_OR_RETURN(auto version, VersionParam(ctx.request()));
  auto environment = http::QueryString(ctx.request(), "environment");
  TV_ASSIGN_OR_RETURN(FunctionVersion picked, fns.PickVersion(live, version, environment, family));
  return RowResponse(std::move(picked.row));
}

Result<OwnedSpec> Owned(Functions& fns, http::RequestContext& ctx, const json::object& body, FunctionFamily family) {
  OwnedSpec owned;
  if (family == FunctionFamily::kFunction && !body.contains("function_data") && body.contains("prompt_data")) {
    json::object with_kind = body;
    with_kind["function_data"] = json::object{{"type", "prompt"}};
    TV_ASSIGN_OR_RETURN(owned.spec, ParseFunctionSpec(with_kind, family));
  } else {
    TV_ASSIGN_OR_RETURN(owned.spec, ParseFunctionSpec(body, family));
  }
  TV_ASSIGN_OR_RETURN(ObjectInfo project, fns.RequireProject(ctx, owned.spec.project_id, std::nullopt, std::nullopt));
  owned.org_id = project.org_id;
  return owned;
}

Result<http::Response> Create(Functions& fns, http::RequestContext& ctx, FunctionFamily family, IfExists mode) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(OwnedSpec owned, Owned(fns, ctx, body, family));
  owned.spec.if_exists = mode;
  TV_ASSIGN_OR_RETURN(WriteOutcome out, fns.store().Put(owned));
  ctx.Touch(std::string(FamilyName(family)), StringField(out.row, "id"), StringField(out.row, "name"));
  return RowResponse(std::move(out.row), out.found_existing);
}

Result<http::Response> Patch(Functions& fns, http::RequestContext& ctx, FunctionFamily family) {
  TV_ASSIGN_OR_RETURN(FunctionVersion live, fns.RequireLive(ctx, ctx.Param("id"), family));
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(json::object patch, ParseFunctionPatch(body, family));
  TV_ASSIGN_OR_RETURN(json::object row, fns.store().Patch(live.function_id, patch));
  return RowResponse(std::move(row));
}

Result<http::Response> Delete(Functions& fns, http::RequestContext& ctx, FunctionFamily family) {
  TV_ASSIGN_OR_RETURN(FunctionVersion live, fns.RequireLive(ctx, ctx.Param("id"), family));
  TV_ASSIGN_OR_RETURN(json::object row, fns.store().Delete(live.function_id));
  return RowResponse(std::move(row));
}

Result<http::Response> InsertFunctions(Functions& fns, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  const json::value* items = body.if_contains("functions");
  if (!items || !items->is_array()) return InvalidArgument("Field 'functions' must be an array of functions");
  std::vector<OwnedSpec> specs;
  for (size_t i = 0; i < items->as_array().size(); ++i) {
    const json::value& item = items->as_array()[i];
    if (!item.is_object()) return InvalidArgument("functions[{}] must be an object", i);
    Result<OwnedSpec> owned = Owned(fns, ctx, item.as_object(), FunctionFamily::kFunction);
    if (!owned.ok())
      return Status(owned.status().code(), fmt::format("functions[{}]: {}", i, owned.status().message()));
    specs.push_back(std::move(*owned));
  }
  TV_ASSIGN_OR_RETURN(auto outcomes, fns.store().PutAll(specs));
  json::array answer;
  for (const auto& out : outcomes) {
    ctx.Touch("function", StringField(out.row, "id"), StringField(out.row, "name"));
    answer.push_back(json::object{{"id", StringField(out.row, "id")},
                                  {"slug", StringField(out.row, "slug")},
                                  {"project_id", StringField(out.row, "project_id")},
                                  {"_xact_id", StringField(out.row, "_xact_id")},
                                  {"found_existing", out.found_existing}});
  }
  return http::JsonOk(json::object{{"functions", std::move(answer)}});
}

void AddFamily(http::Router& router, Functions& fns, FunctionFamily family) {
  std::string base = "/v1/" + std::string(FamilyName(family));
  router.Add(http::Method::kPost, base,
             [&fns, family](http::RequestContext& ctx) { return Create(fns, ctx, family, IfExists::kIgnore); });
  router.Add(http::Method::kPut, base,
             [&fns, family](http::RequestContext& ctx) { return Create(fns, ctx, family, IfExists::kReplace); });
  router.Add(http::Method::kGet, base, [&fns, family](http::RequestContext& ctx) { return List(fns, ctx, family); });
  router.Add(http::Method::kGet, base + "/:id",
             [&fns, family](http::RequestContext& ctx) { return Get(fns, ctx, family); });
  router.Add(http::Method::kPatch, base + "/:id",
             [&fns, family](http::RequestContext& ctx) { return Patch(fns, ctx, family); });
  router.Add(http::Method::kDelete, base + "/:id",
             [&fns, family](http::RequestContext& ctx) { return Delete(fns, ctx, family); });
}

}  // namespace

void AddFunctionsRoutes(http::Router& router, Functions& fns) {
  AddFamily(router, fns, FunctionFamily::kPrompt);
  AddFamily(router, fns, FunctionFamily::kFunction);
  router.Add(http::Method::kPost, "/insert-functions",
             [&fns](http::RequestContext& ctx) { return InsertFunctions(fns, ctx); });
  AddEnvironmentRoutes(router, fns);
}

}  // namespace tv::data
