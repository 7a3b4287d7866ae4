// Environments: /environment (organization-level named environments) and
// /environment-object/{object_type}/{object_id}[/{environment_slug}] (which
// version of a prompt or function an environment serves). docs/prompts.md.
#include "common/ids.h"
#include "data/functions/environment_routes.h"
#include "data/functions/functions.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

using functions::EnvironmentWrite;
using functions::FunctionFamily;
using functions::FunctionVersion;

http::Response ObjectResponse(json::object o, bool found_existing = false) {
  http::Response r = http::JsonOk(o);
  if (found_existing) r.headers.Set("x-bt-found-existing", "true");
  return r;
}

http::Response ListResponse(std::vector<json::object> objects) {
  json::array arr;
  for (auto& o : objects) arr.push_back(std::move(o));
  return http::JsonOk(json::object{{"objects", std::move(arr)}});
}

Result<std::string> NonEmpty(const json::object& body, std::string_view key) {
  TV_ASSIGN_OR_RETURN(std::string s, ReqString(body, key));
  if (s.empty()) return InvalidArgument("Field '{}' must not be empty", key);
  return s;
}

Result<http::Response> ListEnvironments(Functions& fns, http::RequestContext& ctx) {
  const http::Request& req = ctx.request();
  TV_ASSIGN_OR_RETURN(auto orgs, http::Tenancy::OrgScope(ctx.principal(), http::QueryString(req, "org_name")));
  std::vector<std::string> ids;
  for (auto id : req.QueryParams("ids")) {
    if (!IsUuid(id)) return InvalidArgument("'{}' in 'ids' is not a UUID", id);
    ids.emplace_back(id);
  }
  TV_ASSIGN_OR_RETURN(auto envs, fns.environments().List(orgs, ids, http::QueryString(req, "name")));
  return ListResponse(std::move(envs));
}

Result<http::Response> CreateEnvironment(Functions& fns, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string name, NonEmpty(body, "name"));
  TV_ASSIGN_OR_RETURN(std::string slug, NonEmpty(body, "slug"));
  TV_ASSIGN_OR_RETURN(auto description, OptString(body, "description"));
  TV_ASSIGN_OR_RETURN(auto org_name, OptString(body, "org_name"));
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
  TV_ASSIGN_OR_RETURN(EnvironmentWrite out, fns.environments().Ensure(org.org_id, name, slug, description));
  ctx.Touch("environment", StringField(out.environment, "id"), name);
  return ObjectResponse(std::move(out.environment), out.found_existing);
}

Result<http::Response> PatchEnvironment(Functions& fns, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object env, fns.RequireEnvironment(ctx, ctx.Param("id")));
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  json::object patch;
  for (std::string_view key : {"name", "slug", "description"}) {
    TV_ASSIGN_OR_RETURN(auto v, OptString(body, key));
    if (!v) continue;
    if (v->empty() && key != "description") return InvalidArgument("Field '{}' must not be empty", key);
    patch[key] = *v;
  }
  TV_ASSIGN_OR_RETURN(json::object out, fns.environments().Patch(StringField(env, "id"), patch));
  return ObjectResponse(std::move(out));
}

// The function an /environment-object path names, after the tenancy check.
Result<FunctionVersion> PathFunction(Functions& fns, http::RequestContext& ctx) {
  std::string_view type = ctx.Param("object_type");
  if (type != "prompt" && type != "function")
    return InvalidArgument("Environments hold prompts and functions; '{}' is not supported", type);
  return fns.RequireLive(ctx, ctx.Param("object_id"),
                         type == "prompt" ? FunctionFamily::kPrompt : FunctionFamily::kFunction);
}

Result<http::Response> GetAssignment(Functions& fns, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(FunctionVersion fn, PathFunction(fns, ctx));
  TV_ASSIGN_OR_RETURN(json::object env, fns.RequireEnvironmentSlug(fn.org_id, ctx.Param("env")));
  TV_ASSIGN_OR_RETURN(auto assigned, fns.environments().Assignment(env, fn.function_id));
  if (!assigned) return NotFound("'{}' has no version in environment '{}'", fn.function_id, ctx.Param("env"));
  return ObjectResponse(std::move(*assigned));
}

Result<http::Response> Assign(Functions& fns, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(FunctionVersion fn, PathFunction(fns, ctx));
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string text, ReqString(body, "object_version"));
  TV_ASSIGN_OR_RETURN(store::XactId version, store::ParseXact(text, "object_version"));
  TV_ASSIGN_OR_RETURN(bool exists, fns.store().HasVersion(fn.function_id, version));
  if (!exists) return InvalidArgument("'{}' is not a version of '{}'", text, fn.function_id);
  TV_ASSIGN_OR_RETURN(json::object env, fns.RequireEnvironmentSlug(fn.org_id, ctx.Param("env")));
  TV_ASSIGN_OR_RETURN(json::object out, fns.environments().Assign(env, fn.function_id, version));
  return ObjectResponse(std::move(out));
}

Result<http::Response> Unassign(Functions& fns, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(FunctionVersion fn, PathFunction(fns, ctx));
  TV_ASSIGN_OR_RETURN(json::object env, fns.RequireEnvironmentSlug(fn.org_id, ctx.Param("env")));
  TV_ASSIGN_OR_RETURN(auto removed, fns.environments().Unassign(env, fn.function_id));
  if (!removed) return NotFound("'{}' has no version in environment '{}'", fn.function_id, ctx.Param("env"));
  return ObjectResponse(std::move(*removed));
}

}  // namespace

void AddEnvironmentRoutes(http::Router& router, Functions& fns) {
  router.Add(http::Method::kGet, "/environment",
             [&fns](http::RequestContext& ctx) { return ListEnvironments(fns, ctx); });
  router.Add(http::Method::kPost, "/environment",
             [&fns](http::RequestContext& ctx) { return CreateEnvironment(fns, ctx); });
  router.Add(http::Method::kGet, "/environment/:id", [&fns](http::RequestContext& ctx) -> Result<http::Response> {
    TV_ASSIGN_OR_RETURN(json::object env, fns.RequireEnvironment(ctx, ctx.Param("id")));
    return ObjectResponse(std::move(env));
  });
  router.Add(http::Method::kPatch, "/environment/:id",
             [&fns](http::RequestContext& ctx) { return PatchEnvironment(fns, ctx); });
  router.Add(http::Method::kDelete, "/environment/:id", [&fns](http::RequestContext& ctx) -> Result<http::Response> {
    TV_ASSIGN_OR_RETURN(json::object env, fns.RequireEnvironment(ctx, ctx.Param("id")));
    TV_ASSIGN_OR_RETURN(json::object out, fns.environments().Delete(StringField(env, "id")));
    return ObjectResponse(std::move(out));
  });
  router.Add(http::Method::kGet, "/environment-object/:object_type/:object_id",
             [&fns](http::RequestContext& ctx) -> Result<http::Response> {
               TV_ASSIGN_OR_RETURN(FunctionVersion fn, PathFunction(fns, ctx));
               TV_ASSIGN_OR_RETURN(auto all, fns.environments().Assignments(fn.function_id));
               return ListResponse(std::move(all));
             });
  const std::string one = "/environment-object/:object_type/:object_id/:env";
  router.Add(http::Method::kGet, one, [&fns](http::RequestContext& ctx) { return GetAssignment(fns, ctx); });
  router.Add(http::Method::kPut, one, [&fns](http::RequestContext& ctx) { return Assign(fns, ctx); });
  router.Add(http::Method::kPost, one, [&fns](http::RequestContext& ctx) { return Assign(fns, ctx); });
  router.Add(http::Method::kDelete, one, [&fns](http::RequestContext& ctx) { return Unassign(fns, ctx); });
}

}  // namespace tv::data
