#include "http/tenancy.h"

#include "common/ids.h"

namespace tv::http {

Result<ObjectInfo> Tenancy::Require(RequestContext& ctx, ObjectType type, std::string_view id) const {
  if (!IsUuid(id)) return InvalidArgument("'{}' is not a valid {} id (expected a UUID)", id, ObjectTypeName(type));
  auto not_found = [&] { return NotFound("{} '{}' not found", ObjectTypeName(type), id); };
  Result<ObjectInfo> info = resolve_(type, id, ctx.principal());
  if (!info.ok()) {
    if (info.status().code() == StatusCode::kNotFound) return not_found();
    return info.status();
  }
  if (!ctx.principal().FindOrg(info->org_id)) return not_found();
  ctx.Touch(std::string(ObjectTypeName(type)), info->id, info->name);
  return info;
}

Result<OrgMembership> Tenancy::ChooseOrg(const Principal& caller, const std::optional<std::string>& org_id,
                                         const std::optional<std::string>& org_name) {
  if (org_id) {
    if (const auto* m = caller.FindOrg(*org_id)) {
      if (org_name && m->org_name != *org_name)
        return InvalidArgument("org_id and org_name name different organizations");
      return *m;
    }
    return NotFound("organization '{}' not found", *org_id);
  }
  if (org_name) {
    if (const auto* m = caller.FindOrgByName(*org_name)) return *m;
    return NotFound("organization '{}' not found", *org_name);
  }
  if (caller.orgs.empty()) return PermissionDenied("This API key's user is not a member of any organization");
  if (caller.orgs.size() > 1)
    return InvalidArgument("This API key belongs to {} organizations; name one with org_name", caller.orgs.size());
  return caller.orgs.front();
}

Result<std::vector<std::string>> Tenancy::OrgScope(const Principal& caller,
                                                   const std::optional<std::string>& org_name) {
  std::vector<std::string> ids;
  if (org_name) {
    const OrgMembership* m = caller.FindOrgByName(*org_name);
    if (!m) return NotFound("organization '{}' not found", *org_name);
    ids.push_back(m->org_id);
    return ids;
  }
  for (const auto& m : caller.orgs) ids.push_back(m.org_id);
  return ids;
}

Status Tenancy::RequireOwner(const Principal& caller, std::string_view org_id, std::string_view action) {
  const OrgMembership* m = caller.FindOrg(std::string(org_id));
  if (m && m->role == "owner") return Status::Ok();
  return PermissionDenied("{} requires the owner role in organization '{}'; this user is {}", action,
                          m ? m->org_name : std::string(org_id), m ? "a " + m->role : "not a member");
}

}  // namespace tv::http
