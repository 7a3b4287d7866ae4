// REST: /v1/env_var for project-scoped secrets (object_type "project"); the
// value is write-only, reads show preview_secret (docs/security.md).
#include <charconv>

#include <boost/json/array.hpp>

#include "common/ids.h"
#include "common/strings.h"
#include "data/secrets/secrets.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

using http::JsonOk;
using http::QueryString;

// The project an env_var body or query names, resolved for the caller.
Result<ObjectInfo> RequireProject(Secrets& secrets, http::RequestContext& ctx, const std::optional<std::string>& type,
                                  const std::optional<std::string>& id) {
  if (!type || !id) return InvalidArgument("Fields 'object_type' and 'object_id' are required");
  if (*type != "project")
    return InvalidArgument(
        "object_type '{}' is not supported: env_vars are scoped to a project (object_type "
        "\"project\"); organization-wide provider secrets are /v1/ai_secret",
        *type);
  return secrets.tenancy().Require(ctx, ObjectType::kProject, *id);
}

// The env_var `id` if its project is the caller's.
Result<json::object> OwnEnvVar(Secrets& secrets, http::RequestContext& ctx, std::string_view id) {
  if (!IsUuid(id)) return InvalidArgument("'{}' is not a valid env_var id (expected a UUID)", id);
  TV_ASSIGN_OR_RETURN(auto found, secrets.Find(id));
  if (!found) return NotFound("env_var '{}' not found", id);
  Result<ObjectInfo> project = secrets.tenancy().Require(ctx, ObjectType::kProject, StringField(*found, "object_id"));
  if (!project.ok()) {
    if (project.status().code() == StatusCode::kNotFound) return NotFound("env_var '{}' not found", id);
    return project.status();
  }
  ctx.Touch("env_var", std::string(id), StringField(*found, "name"));
  return std::move(*found);
}

struct WriteRequest {
  ObjectInfo project;
  EnvVarFields fields;
};

Result<WriteRequest> ParseWrite(Secrets& secrets, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  WriteRequest w;
  TV_ASSIGN_OR_RETURN(w.fields, ParseEnvVarFields(body));
  if (!w.fields.name) return InvalidArgument("Field 'name' is required");
  TV_ASSIGN_OR_RETURN(auto type, OptString(body, "object_type"));
  TV_ASSIGN_OR_RETURN(auto id, OptString(body, "object_id"));
  TV_ASSIGN_OR_RETURN(w.project, RequireProject(secrets, ctx, type, id));
  return w;
}

Result<EnvVarList> ParseList(Secrets& secrets, http::RequestContext& ctx) {
  const auto& req = ctx.request();
  EnvVarList q;
  for (const auto& m : ctx.principal().orgs) q.org_ids.push_back(m.org_id);
  auto type = QueryString(req, "object_type");
  q.object_id = QueryString(req, "object_id");
  if (type || q.object_id) {
    TV_ASSIGN_OR_RETURN(ObjectInfo project, RequireProject(secrets, ctx, type.value_or("project"), q.object_id));
    q.object_id = project.id;
  }
  q.name = QueryString(req, "env_var_name");
  if (auto limit = req.QueryParam("limit")) {
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), q.limit);
    if (ec != std::errc() || p != limit->data() + limit->size() || q.limit < 0)
      return InvalidArgument("Query parameter 'limit' must be a non-negative integer");
    q.limit = std::min<int64_t>(q.limit, 1000);
  }
  for (auto ids : req.QueryParams("ids")) {
    for (std::string_view one : SplitList(ids, ",", ListItems::kVerbatim)) {
      if (!IsUuid(std::string(one))) return InvalidArgument("'{}' in 'ids' is not a UUID", one);
      q.ids.emplace_back(one);
    }
  }
  return q;
}

}  // namespace

void AddSecretsRoutes(http::Router& router, Secrets& secrets) {
  router.Add(http::Method::kPost, "/v1/env_var", [&secrets](http::RequestContext& ctx) -> Result<http::Response> {
    TV_ASSIGN_OR_RETURN(WriteRequest w, ParseWrite(secrets, ctx));
    TV_ASSIGN_OR_RETURN(auto created,
                        secrets.Create(w.project.org_id, w.project.id, w.fields, ctx.principal().user_id));
    ctx.Touch("env_var", StringField(created.first, "id"), *w.fields.name);
    http::Response r = JsonOk(created.first);
    if (created.second) r.headers.Set("x-bt-found-existing", "true");
    return r;
  });
  router.Add(http::Method::kPut, "/v1/env_var", [&secrets](http::RequestContext& ctx) -> Result<http::Response> {
    TV_ASSIGN_OR_RETURN(WriteRequest w, ParseWrite(secrets, ctx));
    TV_ASSIGN_OR_RETURN(json::object o,
                        secrets.Replace(w.project.org_id, w.project.id, w.fields, ctx.principal().user_id));
    ctx.Touch("env_var", StringField(o, "id"), *w.fields.name);
    return JsonOk(o);
  });
  router.Add(http::Method::kGet, "/v1/env_var", [&secrets](http::RequestContext& ctx) -> Result<http::Response> {
    TV_ASSIGN_OR_RETURN(EnvVarList q, ParseList(secrets, ctx));
    TV_ASSIGN_OR_RETURN(auto objects, secrets.List(q));
    json::array arr;
    for (auto& o : objects) arr.push_back(std::move(o));
    return JsonOk(json::object{{"objects", std::move(arr)}});
  });
  router.Add(http::Method::kGet, "/v1/env_var/:id", [&secrets](http::RequestContext& ctx) -> Result<http::Response> {
    TV_ASSIGN_OR_RETURN(json::object o, OwnEnvVar(secrets, ctx, ctx.Param("id")));
    return JsonOk(o);
  });
  router.Add(http::Method::kPatch, "/v1/env_var/:id", [&secrets](http::RequestContext& ctx) -> Result<http::Response> {
    TV_ASSIGN_OR_RETURN(json::object existing, OwnEnvVar(secrets, ctx, ctx.Param("id")));
    TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
    TV_ASSIGN_OR_RETURN(EnvVarFields fields, ParseEnvVarFields(body));
    TV_ASSIGN_OR_RETURN(json::object o, secrets.Patch(existing, fields, ctx.principal().user_id));
    return JsonOk(o);
  });
  router.Add(http::Method::kDelete, "/v1/env_var/:id", [&secrets](http::RequestContext& ctx) -> Result<http::Response> {
    TV_ASSIGN_OR_RETURN(json::object existing, OwnEnvVar(secrets, ctx, ctx.Param("id")));
    TV_RETURN_IF_ERROR(secrets.Delete(StringField(existing, "id")));
    return JsonOk(existing);
  });
}

}  // namespace tv::data
