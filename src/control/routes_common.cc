#include "control/routes_common.h"

namespace tv::control {

void AddProjectsOfOrgs(meta::SqlWhere& w, const std::vector<std::string>& org_ids) {
  w.Add("project_id IN (SELECT id FROM projects WHERE deleted_at IS NULL AND org_id IN (" + w.BindList(org_ids) + "))");
}

Result<std::vector<json::object>> ListProjectChildren(ControlPlane& cp, http::RequestContext& ctx,
                                                      const ObjectTable& table, std::string_view name_param) {
  const auto& req = ctx.request();
  TV_ASSIGN_OR_RETURN(ListQuery q, ParseListQuery(req));
  TV_ASSIGN_OR_RETURN(auto orgs, http::Tenancy::OrgScope(ctx.principal(), QueryString(req, "org_name")));
  auto project_id = QueryString(req, "project_id");
  if (project_id) TV_RETURN_IF_ERROR(cp.tenancy().Require(ctx, ObjectType::kProject, *project_id));
  auto project_name = QueryString(req, "project_name");
  auto name = QueryString(req, name_param);
  return table.List(
      cp.db(),
      [&](meta::SqlWhere& w) {
        AddProjectsOfOrgs(w, orgs);
        if (project_id) w.Add("project_id = ?", {*project_id});
        if (project_name)
          w.Add("project_id IN (SELECT id FROM projects WHERE deleted_at IS NULL AND name = ?)", {*project_name});
        if (name) w.Add("name = ?", {*name});
      },
      q);
}

Status RequireReferences(ControlPlane& cp, http::RequestContext& ctx, const json::object& fields) {
  static const std::pair<std::string_view, ObjectType> kRefs[] = {{"base_exp_id", ObjectType::kExperiment},
                                                                  {"dataset_id", ObjectType::kDataset}};
  for (const auto& [field, type] : kRefs) {
    auto it = fields.find(field);
    if (it == fields.end() || !it->value().is_string()) continue;
    TV_RETURN_IF_ERROR(cp.tenancy().Require(ctx, type, it->value().as_string()));
  }
  return Status::Ok();
}

namespace {

Result<http::Response> GetObject(ControlPlane& cp, ObjectType type, http::RequestContext& ctx) {
  TV_RETURN_IF_ERROR(cp.tenancy().Require(ctx, type, ctx.Param("id")));
  TV_ASSIGN_OR_RETURN(json::object o, cp.registry().Get(type, ctx.Param("id")));
  return JsonOk(o);
}

Result<http::Response> PatchObject(ControlPlane& cp, ObjectType type, const std::vector<FieldRule>& rules,
                                   http::RequestContext& ctx) {
  TV_RETURN_IF_ERROR(cp.tenancy().Require(ctx, type, ctx.Param("id")));
  if (type == ObjectType::kOrganization && ctx.principal().FindOrg(std::string(ctx.Param("id")))->role != "owner")
    return PermissionDenied("Only owners of this organization may change it");
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(json::object patch, PickFields(body, rules));
  if (auto it = patch.find("name"); it != patch.end() && !it->value().is_string())
    return InvalidArgument("Field 'name' must be a non-empty string");
  TV_RETURN_IF_ERROR(RequireReferences(cp, ctx, patch));
  TV_ASSIGN_OR_RETURN(json::object o, cp.registry().Patch(type, ctx.Param("id"), patch));
  return JsonOk(o);
}

Result<http::Response> DeleteObject(ControlPlane& cp, ObjectType type, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(ObjectInfo info, cp.tenancy().Require(ctx, type, ctx.Param("id")));
  TV_RETURN_IF_ERROR(
      http::Tenancy::RequireOwner(ctx.principal(), info.org_id, fmt::format("Deleting a {}", ObjectTypeName(type))));
  TV_ASSIGN_OR_RETURN(json::object o, cp.registry().SoftDelete(type, ctx.Param("id")));
  return JsonOk(o);
}

}  // namespace

void AddRoutes(http::Router& router, ControlPlane& cp, std::span<const Route> routes) {
  for (const Route& r : routes)
    router.Add(r.method, r.path, [&cp, handler = r.handler](http::RequestContext& ctx) { return handler(cp, ctx); });
}

void AddObjectByIdRoutes(http::Router& router, ControlPlane& cp, ObjectType type, std::vector<FieldRule> patch_rules) {
  std::string path = "/v1/" + std::string(ObjectTypeName(type)) + "/:id";
  router.Add(http::Method::kGet, path, [&cp, type](http::RequestContext& ctx) { return GetObject(cp, type, ctx); });
  router.Add(http::Method::kPatch, path, [&cp, type, rules = std::move(patch_rules)](http::RequestContext& ctx) {
    return PatchObject(cp, type, rules, ctx);
  });
  if (type == ObjectType::kOrganization) return;
  router.Add(http::Method::kDelete, path,
             [&cp, type](http::RequestContext& ctx) { return DeleteObject(cp, type, ctx); });
}

}  // namespace tv::control
