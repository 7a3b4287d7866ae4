// Route pieces shared by the project, experiment and dataset REST routes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "control/control_plane.h"
#include "control/handler_util.h"
#include "meta/sql_where.h"

namespace tv::control {

// A control-plane route handler: the plane, then the request (the data
// plane's handlers take the same order).
using RouteHandler = Result<http::Response> (*)(ControlPlane& cp, http::RequestContext& ctx);

// One row of the registration table at the end of each routes_*.cc.
struct Route {
  http::Method method;
  std::string_view path;
  RouteHandler handler;
};

// Adds every row of `routes` to `router`, each handler bound to `cp`.
// REQUIRES: `cp` outlives `router`.
void AddRoutes(http::Router& router, ControlPlane& cp, std::span<const Route> routes);

// GET, PATCH and DELETE on /v1/<type>/:id, each behind the tenancy check.
// PATCH accepts `patch_rules`; references it names (base_exp_id, dataset_id)
// must be visible to the caller too.
void AddObjectByIdRoutes(http::Router& router, ControlPlane& cp, ObjectType type, std::vector<FieldRule> patch_rules);

// Adds "project_id IN (live projects of these orgs)" to a where clause.
void AddProjectsOfOrgs(meta::SqlWhere& w, const std::vector<std::string>& org_ids);

// Lists experiments or datasets visible to the caller, filtered by the query
// parameters project_id, project_name, org_name and `name_param`.
Result<std::vector<json::object>> ListProjectChildren(ControlPlane& cp, http::RequestContext& ctx,
                                                      const ObjectTable& table, std::string_view name_param);

// Checks that every object id a body references is the caller's.
Status RequireReferences(ControlPlane& cp, http::RequestContext& ctx, const json::object& fields);

}  // namespace tv::control

namespace tv::control {

// Fields an experiment carries besides its name and ids.
const std::vector<FieldRule>& ExperimentFieldRules();
const std::vector<FieldRule>& DatasetFieldRules();

}  // namespace tv::control
