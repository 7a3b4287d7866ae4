// REST: /v1/project.
#include "control/routes_common.h"
#include "control/tables.h"

namespace tv::control {
namespace {

Result<http::Response> CreateProject(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string name, ReqString(body, "name"));
  TV_ASSIGN_OR_RETURN(auto description, OptString(body, "description"));
  TV_ASSIGN_OR_RETURN(auto org_name, OptString(body, "org_name"));
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
  TV_ASSIGN_OR_RETURN(Created c, cp.registry().EnsureProject(org.org_id, name, description, ctx.principal().user_id));
  ctx.Touch("project", std::string(c.object["id"].as_string()), name);
  return CreatedResponse(c);
}

Result<http::Response> ListProjects(ControlPlane& cp, http::RequestContext& ctx) {
  const auto& req = ctx.request();
  TV_ASSIGN_OR_RETURN(ListQuery q, ParseListQuery(req));
  TV_ASSIGN_OR_RETURN(auto orgs, http::Tenancy::OrgScope(ctx.principal(), QueryString(req, "org_name")));
  auto name = QueryString(req, "project_name");
  if (!name) name = QueryString(req, "name");
  TV_ASSIGN_OR_RETURN(auto objects, ProjectsTable().List(
                                        cp.db(),
                                        [&](meta::SqlWhere& w) {
                                          w.In("org_id", orgs);
                                          if (name) w.Add("name = ?", {*name});
                                        },
                                        q));
  return ListResponse(std::move(objects));
}

}  // namespace

void AddProjectRoutes(http::Router& router, ControlPlane& cp) {
  static constexpr Route kRoutes[] = {
      {http::Method::kPost, "/v1/project", CreateProject},
      {http::Method::kGet, "/v1/project", ListProjects},
  };
  AddRoutes(router, cp, kRoutes);
  AddObjectByIdRoutes(
      router, cp, ObjectType::kProject,
      {{"name", FieldKind::kString}, {"description", FieldKind::kString}, {"settings", FieldKind::kObject}});
}

}  // namespace tv::control
