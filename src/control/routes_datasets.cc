// REST: /v1/dataset.
#include "control/routes_common.h"
#include "control/tables.h"

namespace tv::control {

const std::vector<FieldRule>& DatasetFieldRules() {
  static const auto* rules = new std::vector<FieldRule>{
      {"description", FieldKind::kString}, {"metadata", FieldKind::kObject}, {"tags", FieldKind::kStringArray}};
  return *rules;
}

namespace {

Result<http::Response> CreateDataset(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string project_id, ReqString(body, "project_id"));
  TV_ASSIGN_OR_RETURN(std::string name, ReqString(body, "name"));
  TV_ASSIGN_OR_RETURN(ObjectInfo project, cp.tenancy().Require(ctx, ObjectType::kProject, project_id));
  TV_ASSIGN_OR_RETURN(json::object fields, PickFields(body, DatasetFieldRules()));
  TV_ASSIGN_OR_RETURN(Created c, cp.registry().EnsureDataset(project.id, name, fields, ctx.principal().user_id));
  ctx.Touch("dataset", std::string(c.object["id"].as_string()), name);
  return CreatedResponse(c);
}

Result<http::Response> ListDatasets(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(auto objects, ListProjectChildren(cp, ctx, DatasetsTable(), "dataset_name"));
  for (auto& o : objects) o = DatasetView(std::move(o));
  return ListResponse(std::move(objects));
}

}  // namespace

void AddDatasetRoutes(http::Router& router, ControlPlane& cp) {
  static constexpr Route kRoutes[] = {
      {http::Method::kPost, "/v1/dataset", CreateDataset},
      {http::Method::kGet, "/v1/dataset", ListDatasets},
  };
  AddRoutes(router, cp, kRoutes);
  std::vector<FieldRule> patch = DatasetFieldRules();
  patch.push_back({"name", FieldKind::kString});
  AddObjectByIdRoutes(router, cp, ObjectType::kDataset, std::move(patch));
}

}  // namespace tv::control
