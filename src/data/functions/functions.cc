#include "data/functions/functions.h"

#include "common/ids.h"

namespace tv::data {

using functions::FamilyName;
using functions::FunctionFamily;
using functions::FunctionQuery;
using functions::FunctionVersion;

Result<std::string> Functions::RequireOrgOf(http::RequestContext& ctx, std::string_view id) {
  auto not_found = [&] { return NotFound("function '{}' not found", id); };
  if (!IsUuid(id)) return not_found();
  TV_ASSIGN_OR_RETURN(auto org, store_.OrgOf(id));
  if (!org || !ctx.principal().FindOrg(*org)) return not_found();
  return *org;
}

Result<FunctionVersion> Functions::RequireLive(http::RequestContext& ctx, std::string_view id, FunctionFamily family) {
  auto not_found = [&] { return NotFound("{} '{}' not found", FamilyName(family), id); };
  if (!IsUuid(id)) return not_found();
  TV_ASSIGN_OR_RETURN(auto org, store_.OrgOf(id));
  if (!org || !ctx.principal().FindOrg(*org)) return not_found();
  TV_ASSIGN_OR_RETURN(auto live, store_.Current(id));
  if (!live || (family == FunctionFamily::kPrompt && live->kind != "prompt")) return not_found();
  ctx.Touch(std::string(FamilyName(family)), live->function_id, StringField(live->row, "name"));
  return std::move(*live);
}

Result<FunctionVersion> Functions::PickVersion(const FunctionVersion& live, const std::optional<store::XactId>& version,
                                               const std::optional<std::string>& environment, FunctionFamily family) {
  if (version && environment) return InvalidArgument("Pass at most one of 'version' and 'environment'");
  std::optional<store::XactId> at = version;
  if (environment) {
    TV_ASSIGN_OR_RETURN(json::object env, RequireEnvironmentSlug(live.org_id, *environment));
    TV_ASSIGN_OR_RETURN(auto assigned, environments_.Assignment(env, live.function_id));
    if (!assigned)
      return NotFound("{} '{}' has no version in environment '{}'", FamilyName(family), StringField(live.row, "slug"),
                      *environment);
    TV_ASSIGN_OR_RETURN(at, store::ParseXact(StringField(*assigned, "object_version"), "object_version"));
  }
  if (!at) return live;
  TV_ASSIGN_OR_RETURN(auto picked, store_.AsOf(live.function_id, *at));
  if (!picked)
    return NotFound("{} '{}' has no version at or before {}", FamilyName(family), live.function_id,
                    store::FormatXact(*at));
  return std::move(*picked);
}

Result<ObjectInfo> Functions::RequireProject(http::RequestContext& ctx, const std::optional<std::string>& project_id,
                                             const std::optional<std::string>& project_name,
                                             const std::optional<std::string>& org_name) {
  if (project_id) {
    TV_ASSIGN_OR_RETURN(ObjectInfo info, tenancy_.Require(ctx, ObjectType::kProject, *project_id));
    if (project_name && info.name != *project_name)
      return InvalidArgument("project_id and project_name name different projects");
    return info;
  }
  if (!project_name) return InvalidArgument("Pass 'project_id' or 'project_name'");
  TV_ASSIGN_OR_RETURN(auto orgs, http::Tenancy::OrgScope(ctx.principal(), org_name));
  std::vector<ObjectInfo> found;
  for (const auto& org : orgs) {
    Result<ObjectInfo> info = control_.FindProject(org, *project_name, ctx.principal());
    if (info.ok()) {
      found.push_back(std::move(*info));
    } else if (info.status().code() != StatusCode::kNotFound) {
      return info.status();
    }
  }
  if (found.empty()) return NotFound("project '{}' not found", *project_name);
  if (found.size() > 1)
    return InvalidArgument("{} of your organizations have a project named '{}'; pass org_name", found.size(),
                           *project_name);
  ctx.Touch("project", found[0].id, found[0].name);
  return std::move(found[0]);
}

Result<json::object> Functions::RequireEnvironment(http::RequestContext& ctx, std::string_view id) {
  auto not_found = [&] { return NotFound("environment '{}' not found", id); };
  if (!IsUuid(id)) return not_found();
  TV_ASSIGN_OR_RETURN(auto env, environments_.Get(id));
  if (!env || !ctx.principal().FindOrg(StringField(*env, "org_id"))) return not_found();
  ctx.Touch("environment", std::string(id), StringField(*env, "name"));
  return std::move(*env);
}

Result<json::object> Functions::RequireEnvironmentSlug(std::string_view org_id, std::string_view slug) {
  TV_ASSIGN_OR_RETURN(auto env, environments_.BySlug(org_id, slug));
  if (!env) return NotFound("environment '{}' not found", slug);
  return std::move(*env);
}

Result<json::object> Functions::Find(http::RequestContext& ctx, const FunctionLookup& lookup) {
  if (lookup.version && lookup.environment) return InvalidArgument("Pass at most one of 'version' and 'environment'");
  FunctionVersion live;
  if (lookup.id) {
    TV_ASSIGN_OR_RETURN(live, RequireLive(ctx, *lookup.id, lookup.family));
  } else {
    if (!lookup.slug) return InvalidArgument("Name a function by 'id', or by project and 'slug'");
    TV_ASSIGN_OR_RETURN(ObjectInfo project,
                        RequireProject(ctx, lookup.project_id, lookup.project_name, lookup.org_name));
    FunctionQuery q;
    q.org_ids = {project.org_id};
    q.project_ids = {project.id};
    q.slug = lookup.slug;
    q.prompts_only = lookup.family == FunctionFamily::kPrompt;
    TV_ASSIGN_OR_RETURN(auto found, store_.List(q));
    if (found.empty())
      return NotFound("{} '{}' not found in project '{}'", FamilyName(lookup.family), *lookup.slug, project.name);
    live = std::move(found.front());
    ctx.Touch(std::string(FamilyName(lookup.family)), live.function_id, StringField(live.row, "name"));
  }
  TV_ASSIGN_OR_RETURN(FunctionVersion picked, PickVersion(live, lookup.version, lookup.environment, lookup.family));
  return std::move(picked.row);
}

}  // namespace tv::data
