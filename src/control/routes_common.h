// Route pieces shared by the project, experiment and dataset REST routes.
#pragma once

#include <string>
#include <vector>

#include "control/control_plane.h"
#include "control/handler_util.h"
#include "meta/sql_where.h"

namespace tv::control {

// GET, PATCH and DELETE on /v1/<type>/:id, each behind the tenancy check.
// PATCH accepts `patch_rules`; references it names (base_exp_id, dataset_id)
// must be visible to the caller too.
void AddObjectByIdRoutes(http::Router& router, ControlPlane& cp, ObjectType type, std::vector<FieldRule> patch_rules);

// Adds "project_id IN (live projects of these orgs)" to a where clause.
void AddProjectsOfOrgs(meta::SqlWhere& w, const std::vector<std::string>& org_ids);

// Lists experiments or datasets visible to the caller, filtered by the query
// parameters project_id, project_name, org_name and `name_param`.
Result<std::vector<json::object>> ListProjectChildren(http::RequestContext& ctx, ControlPlane& cp,
                                                      const ObjectTable& table, std::string_view name_param);

// Checks that every object id a body references is the caller's.
Status RequireReferences(http::RequestContext& ctx, ControlPlane& cp, const json::object& fields);

}  // namespace tv::control

namespace tv::control {

// Fields an experiment carries besides its name and ids.
const std::vector<FieldRule>& ExperimentFieldRules();
const std::vector<FieldRule>& DatasetFieldRules();

}  // namespace tv::control
