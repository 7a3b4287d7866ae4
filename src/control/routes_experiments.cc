// REST: /v1/experiment.
#include "control/routes_common.h"
#include "control/tables.h"

namespace tv::control {

const std::vector<FieldRule>& ExperimentFieldRules() {
  static const auto* rules = new std::vector<FieldRule>{{"description", FieldKind::kString},
                                                        {"repo_info", FieldKind::kObject},
                                                        {"base_exp_id", FieldKind::kUuid},
                                                        {"dataset_id", FieldKind::kUuid},
                                                        {"dataset_version", FieldKind::kString},
                                                        {"parameters_id", FieldKind::kUuid},
                                                        {"parameters_version", FieldKind::kString},
                                                        {"internal_metadata", FieldKind::kObject},
                                                        {"public", FieldKind::kBool},
                                                        {"metadata", FieldKind::kObject},
                                                        {"tags", FieldKind::kStringArray}};
  return *rules;
}

namespace {

Result<http::Response> CreateExperiment(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string project_id, ReqString(body, "project_id"));
  TV_ASSIGN_OR_RETURN(ObjectInfo project, cp.tenancy().Require(ctx, ObjectType::kProject, project_id));
  ExperimentSpec spec;
  spec.project_id = project.id;
  TV_ASSIGN_OR_RETURN(spec.name, OptString(body, "name"));
  TV_ASSIGN_OR_RETURN(spec.fields, PickFields(body, ExperimentFieldRules()));
  TV_RETURN_IF_ERROR(RequireReferences(cp, ctx, spec.fields));
  TV_ASSIGN_OR_RETURN(auto ensure_new, OptBool(body, "ensure_new"));
  spec.on_existing = ensure_new.value_or(false) ? OnExistingName::kSuffixName : OnExistingName::kReturnExisting;
  TV_ASSIGN_OR_RETURN(spec.base.base_exp_id, OptString(body, "base_exp_id"));
  spec.user_id = ctx.principal().user_id;
  TV_ASSIGN_OR_RETURN(Created c, cp.registry().CreateExperiment(spec));
  ctx.Touch("experiment", std::string(c.object["id"].as_string()), std::string(c.object["name"].as_string()));
  return CreatedResponse(c);
}

Result<http::Response> ListExperiments(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(auto objects, ListProjectChildren(cp, ctx, ExperimentsTable(), "experiment_name"));
  return ListResponse(std::move(objects));
}

}  // namespace

void AddExperimentRoutes(http::Router& router, ControlPlane& cp) {
  static constexpr Route kRoutes[] = {
      {http::Method::kPost, "/v1/experiment", CreateExperiment},
      {http::Method::kGet, "/v1/experiment", ListExperiments},
  };
  AddRoutes(router, cp, kRoutes);
  std::vector<FieldRule> patch = ExperimentFieldRules();
  patch.push_back({"name", FieldKind::kString});
  AddObjectByIdRoutes(router, cp, ObjectType::kExperiment, std::move(patch));
}

}  // namespace tv::control
