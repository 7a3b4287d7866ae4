// Functions: prompts and functions behind the tenancy rule — the layer the
// /v1/prompt, /v1/function, /insert-functions, environment and BTQL routes
// share, and the C++ API other data-plane code (the AI proxy's
// /function/invoke) uses to load a function. docs/prompts.md is the contract.
//
// Every id is resolved to its organization before anything else is read; an
// id of an organization the caller is not in is NotFound, worded exactly as
// an unknown id. Resolved objects are recorded in the request's audit trail.
//
// Thread-safety: safe for concurrent use; owned by the DataPlane.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "data/control_plane/control_plane_client.h"
#include "functions/environment_store.h"
#include "functions/function_store.h"
#include "http/context.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "meta/meta_store.h"

namespace tv::data {

// Names one function: by `id`, or by `slug` in a project given by
// `project_id` or `project_name` (+ `org_name` when the caller is in several
// organizations with such a project). At most one of `version` and
// `environment` (an environment slug) picks a version other than the current.
struct FunctionLookup {
  std::optional<std::string> id;
  std::optional<std::string> project_id;
  std::optional<std::string> project_name;
  std::optional<std::string> org_name;
  std::optional<std::string> slug;
  std::optional<store::XactId> version;
  std::optional<std::string> environment;
  functions::FunctionFamily family = functions::FunctionFamily::kFunction;  // kPrompt: only prompts match
};

class Functions {
 public:
  Functions(meta::MetaStore& db, const Clock& clock, const http::Tenancy& tenancy, ControlPlaneClient& control)
      : store_(db, clock), environments_(db, clock), tenancy_(tenancy), control_(control) {}

  // The row of one function, exactly as GET /v1/function/{id} answers it.
  // NotFound when it does not exist, is not visible to the caller, or has no
  // such version / no version in that environment; InvalidArgument for a
  // malformed lookup (neither id nor project + slug, version with environment).
  Result<json::object> Find(http::RequestContext& ctx, const FunctionLookup& lookup);

  // The live function `id` of `family`, after the tenancy check.
  Result<functions::FunctionVersion> RequireLive(http::RequestContext& ctx, std::string_view id,
                                                 functions::FunctionFamily family);
  // The organization of a function that ever existed, after the tenancy check
  // (BTQL reads deleted functions' history).
  Result<std::string> RequireOrgOf(http::RequestContext& ctx, std::string_view id);
  // The version of `live` that `version` or `environment` picks (or `live`).
  Result<functions::FunctionVersion> PickVersion(const functions::FunctionVersion& live,
                                                 const std::optional<store::XactId>& version,
                                                 const std::optional<std::string>& environment,
                                                 functions::FunctionFamily family);
  // A project by id or by name, after the tenancy check.
  Result<ObjectInfo> RequireProject(http::RequestContext& ctx, const std::optional<std::string>& project_id,
                                    const std::optional<std::string>& project_name,
                                    const std::optional<std::string>& org_name);
  // The environment `id`, after the tenancy check.
  Result<json::object> RequireEnvironment(http::RequestContext& ctx, std::string_view id);
  // The environment with `slug` in organization `org_id` (already checked by the caller).
  Result<json::object> RequireEnvironmentSlug(std::string_view org_id, std::string_view slug);

  functions::FunctionStore& store() { return store_; }
  functions::EnvironmentStore& environments() { return environments_; }
  const http::Tenancy& tenancy() const { return tenancy_; }

 private:
  functions::FunctionStore store_;
  functions::EnvironmentStore environments_;
  const http::Tenancy& tenancy_;
  ControlPlaneClient& control_;
};

// /v1/prompt, /v1/function, /insert-functions and the environment routes,
// all served by `fns`, which outlives the router.
void AddFunctionsRoutes(http::Router& router, Functions& fns);

}  // namespace tv::data
