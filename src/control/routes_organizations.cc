// REST: /v1/organization (list, get, patch).
#include "control/routes_common.h"
#include "control/tables.h"

namespace tv::control {
namespace {

Result<http::Response> ListOrganizations(ControlPlane& cp, http::RequestContext& ctx) {
  const auto& req = ctx.request();
  TV_ASSIGN_OR_RETURN(ListQuery q, ParseListQuery(req));
  TV_ASSIGN_OR_RETURN(auto orgs, http::Tenancy::OrgScope(ctx.principal(), QueryString(req, "org_name")));
  TV_ASSIGN_OR_RETURN(auto objects, OrganizationsTable().List(
                                        cp.db(), [&](meta::SqlWhere& w) { w.In("id", orgs); }, q));
  return ListResponse(std::move(objects));
}

}  // namespace

void AddOrganizationRoutes(http::Router& router, ControlPlane& cp) {
  static constexpr Route kRoutes[] = {
      {http::Method::kGet, "/v1/organization", ListOrganizations},
  };
  AddRoutes(router, cp, kRoutes);
  AddObjectByIdRoutes(router, cp, ObjectType::kOrganization,
                      {{"name", FieldKind::kString},
                       {"api_url", FieldKind::kString},
                       {"proxy_url", FieldKind::kString},
                       {"realtime_url", FieldKind::kString},
                       {"is_universal_api", FieldKind::kBool},
                       {"is_dataplane_private", FieldKind::kBool},
                       {"image_rendering_mode", FieldKind::kString}});
}

}  // namespace tv::control
