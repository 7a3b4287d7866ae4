// The control-plane RPCs the Braintrust SDKs call under {app_url}/api/.
// Shapes follow the SDK's expectations (see docs/api.md): login returns the
// caller's organizations with the data plane's URL; register calls are
// idempotent by name; base_experiment/get_id answers 400 when there is none.
#include <boost/json/array.hpp>

#include "control/routes_common.h"
#include "control/tables.h"

namespace tv::control {
namespace {

using http::Method;
using http::RequestContext;
using http::Response;

Result<json::object> OrgInfo(ControlPlane& cp, const OrgMembership& m) {
  TV_ASSIGN_OR_RETURN(json::object org, OrganizationsTable().Get(cp.db(), m.org_id, "Organization"));
  std::string api_url = StringField(org, "api_url");
  if (api_url.empty()) api_url = cp.options().data_plane_url;
  std::string proxy_url = StringField(org, "proxy_url");
  if (proxy_url.empty()) proxy_url = api_url;
  return json::object{{"id", m.org_id},         {"name", m.org_name},      {"api_url", api_url},
                      {"proxy_url", proxy_url}, {"realtime_url", nullptr}, {"git_metadata", nullptr}};
}

Result<json::object> ProjectById(ControlPlane& cp, RequestContext& ctx, const std::string& id) {
  TV_RETURN_IF_ERROR(cp.tenancy().Require(ctx, ObjectType::kProject, id));
  return cp.registry().Get(ObjectType::kProject, id);
}

// The project a register call names: by project_id (must be the caller's), or
// by project_name in the chosen organization, created when `create` is set.
Result<json::object> ProjectFor(ControlPlane& cp, RequestContext& ctx, const json::object& body, bool create) {
  TV_ASSIGN_OR_RETURN(auto project_id, OptString(body, "project_id"));
  if (project_id) return ProjectById(cp, ctx, *project_id);
  TV_ASSIGN_OR_RETURN(auto project_name, OptString(body, "project_name"));
  if (!project_name) return InvalidArgument("Pass either 'project_id' or 'project_name'");
  TV_ASSIGN_OR_RETURN(auto org_id, OptString(body, "org_id"));
  TV_ASSIGN_OR_RETURN(auto org_name, OptString(body, "org_name"));
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), org_id, org_name));
  if (create) {
    TV_ASSIGN_OR_RETURN(Created c,
                        cp.registry().EnsureProject(org.org_id, *project_name, std::nullopt, ctx.principal().user_id));
    ctx.Touch("project", StringField(c.object, "id"), *project_name);
    return std::move(c.object);
  }
  meta::SqlWhere w;
  w.Add("deleted_at IS NULL").Add("org_id = ?", {org.org_id}).Add("name = ?", {*project_name});
  TV_ASSIGN_OR_RETURN(auto found, ProjectsTable().FindWhere(cp.db(), w));
  if (!found) return NotFound("project '{}' not found", *project_name);
  ctx.Touch("project", StringField(*found, "id"), *project_name);
  return std::move(*found);
}

Result<Response> Login(ControlPlane& cp, RequestContext& ctx) {
  json::array orgs;
  for (const auto& m : ctx.principal().orgs) {
    TV_ASSIGN_OR_RETURN(json::object info, OrgInfo(cp, m));
    orgs.push_back(std::move(info));
  }
  return JsonOk(json::object{{"org_info", std::move(orgs)}});
}

Result<Response> RegisterProject(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  if (!body.contains("project_name") && !body.contains("project_id")) body["project_name"] = "Global";
  TV_ASSIGN_OR_RETURN(json::object project, ProjectFor(cp, ctx, body, true));
  return JsonOk(json::object{{"project", std::move(project)}});
}

Result<Response> RegisterExperiment(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(json::object project, ProjectFor(cp, ctx, body, true));
  ExperimentSpec spec;
  spec.project_id = StringField(project, "id");
  spec.user_id = ctx.principal().user_id;
  TV_ASSIGN_OR_RETURN(spec.name, OptString(body, "experiment_name"));
  TV_ASSIGN_OR_RETURN(spec.fields, PickFields(body, ExperimentFieldRules()));
  spec.fields.erase("base_exp_id");
  TV_RETURN_IF_ERROR(RequireReferences(cp, ctx, spec.fields));
  TV_ASSIGN_OR_RETURN(auto update, OptBool(body, "update"));
  spec.on_existing = update.value_or(false) ? OnExistingName::kReturnExisting : OnExistingName::kSuffixName;
  TV_ASSIGN_OR_RETURN(spec.base.base_exp_id, OptString(body, "base_exp_id"));
  if (spec.base.base_exp_id) {
    Result<ObjectInfo> base = cp.tenancy().Require(ctx, ObjectType::kExperiment, *spec.base.base_exp_id);
    if (!base.ok()) return NotFound("base experiment '{}' not found", *spec.base.base_exp_id);
  }
  TV_ASSIGN_OR_RETURN(spec.base.base_experiment_name, OptString(body, "base_experiment"));
  TV_ASSIGN_OR_RETURN(spec.base.ancestor_commits, OptStringArray(body, "ancestor_commits"));
  spec.base.fall_back_to_latest = true;
  TV_ASSIGN_OR_RETURN(Created c, cp.registry().CreateExperiment(spec));
  ctx.Touch("experiment", StringField(c.object, "id"), StringField(c.object, "name"));
  return JsonOk(json::object{{"project", std::move(project)}, {"experiment", std::move(c.object)}});
}

Result<Response> GetExperiments(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(json::object project, ProjectFor(cp, ctx, body, false));
  TV_ASSIGN_OR_RETURN(auto name, OptString(body, "experiment_name"));
  ListQuery q;
  TV_ASSIGN_OR_RETURN(auto found, ExperimentsTable().List(
                                      cp.db(),
                                      [&](meta::SqlWhere& w) {
                                        w.Add("project_id = ?", {StringField(project, "id")});
                                        if (name) w.Add("name = ?", {*name});
                                      },
                                      q));
  json::array out;
  for (auto& e : found) {
    ctx.Touch("experiment", StringField(e, "id"), StringField(e, "name"));
    out.push_back(std::move(e));
  }
  return JsonOk(out);
}

Result<Response> BaseExperimentId(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string id, ReqString(body, "id"));
  TV_RETURN_IF_ERROR(cp.tenancy().Require(ctx, ObjectType::kExperiment, id));
  Result<json::object> base = cp.registry().BaseExperimentOf(id);
  // The SDK reads 400 as "no base experiment"; any other error aborts it.
  if (!base.ok() && base.status().code() == StatusCode::kNotFound)
    return InvalidArgument("Experiment '{}' has no base experiment", id);
  TV_RETURN_IF_ERROR(base.status());
  return JsonOk(*base);
}

Result<Response> RegisterDataset(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string name, ReqString(body, "dataset_name"));
  TV_ASSIGN_OR_RETURN(json::object project, ProjectFor(cp, ctx, body, true));
  TV_ASSIGN_OR_RETURN(json::object fields, PickFields(body, DatasetFieldRules()));
  TV_ASSIGN_OR_RETURN(Created c,
                      cp.registry().EnsureDataset(StringField(project, "id"), name, fields, ctx.principal().user_id));
  ctx.Touch("dataset", StringField(c.object, "id"), name);
  return JsonOk(json::object{{"project", std::move(project)}, {"dataset", std::move(c.object)}});
}

Result<Response> ObjectInfoFor(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string type_name, ReqString(body, "object_type"));
  auto type = ParseObjectType(type_name);
  if (!type) return InvalidArgument("Unsupported object_type '{}'", type_name);
  TV_ASSIGN_OR_RETURN(auto ids, OptStringArray(body, "object_ids"));
  if (!ids) return InvalidArgument("Missing required field 'object_ids'");
  json::array out;
  for (const auto& id : *ids) {
    TV_ASSIGN_OR_RETURN(ObjectInfo info, cp.tenancy().Require(ctx, *type, id));
    json::object parents{{"organization", json::object{{"id", info.org_id}}}};
    if (!info.project_id.empty())
      parents["project"] = json::object{{"id", info.project_id}, {"name", info.project_name}};
    out.push_back(json::object{{"object_type", type_name},
                               {"object_id", info.id},
                               {"object_name", info.name},
                               {"org_id", info.org_id},
                               {"parent_cols", std::move(parents)}});
  }
  return JsonOk(out);
}

Result<Response> Self(ControlPlane&, RequestContext& ctx) {
  const Principal& p = ctx.principal();
  json::array orgs;
  for (const auto& m : p.orgs) orgs.push_back(json::object{{"id", m.org_id}, {"name", m.org_name}, {"role", m.role}});
  return JsonOk(
      json::object{{"user_id", p.user_id},
                   {"user_email", p.user_email},
                   {"api_key_id", p.api_key_id},
                   {"api_key_org_id", p.api_key_org_id.empty() ? json::value(nullptr) : json::value(p.api_key_org_id)},
                   {"organizations", std::move(orgs)}});
}

Result<Response> GetProject(ControlPlane& cp, RequestContext& ctx) {
  auto id = QueryString(ctx.request(), "id");
  if (!id) return InvalidArgument("Missing query parameter 'id'");
  TV_ASSIGN_OR_RETURN(json::object p, ProjectById(cp, ctx, *id));
  return JsonOk(p);
}

Result<Response> GetProjects(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string id, ReqString(body, "id"));
  TV_ASSIGN_OR_RETURN(json::object p, ProjectById(cp, ctx, id));
  return JsonOk(json::array{std::move(p)});
}

}  // namespace

void AddSdkRoutes(http::Router& router, ControlPlane& cp) {
  static constexpr Route kRoutes[] = {
      {Method::kPost, "/api/apikey/login", Login},
      {Method::kPost, "/api/project/register", RegisterProject},
      {Method::kPost, "/api/experiment/register", RegisterExperiment},
      {Method::kPost, "/api/experiment/get", GetExperiments},
      {Method::kPost, "/api/base_experiment/get_id", BaseExperimentId},
      {Method::kPost, "/api/dataset/register", RegisterDataset},
      {Method::kPost, "/api/self/get_object_info", ObjectInfoFor},
      {Method::kGet, "/api/self/me", Self},
      {Method::kGet, "/api/project", GetProject},
      {Method::kPost, "/api/project/get", GetProjects},
  };
  AddRoutes(router, cp, kRoutes);
}

}  // namespace tv::control
