#include "data/rows/object_access.h"

#include "common/ids.h"

namespace tv::data {

Result<store::ObjectOwner> ResolveObject(http::RequestContext& ctx, const http::Tenancy& tenancy,
                                         store::Catalog& catalog, const store::ObjectRef& ref, Access access) {
  store::ObjectOwner owner{ref.ObjectId(), "", ""};
  switch (ref.kind) {
    case store::ObjectKind::kExperiment:
    case store::ObjectKind::kDataset: {
      ObjectType type = ref.kind == store::ObjectKind::kExperiment ? ObjectType::kExperiment : ObjectType::kDataset;
      TV_ASSIGN_OR_RETURN(ObjectInfo info, tenancy.Require(ctx, type, ref.id));
      owner.org_id = info.org_id;
      owner.project_id = info.project_id;
      return owner;
    }
    case store::ObjectKind::kProjectLogs: {
      TV_ASSIGN_OR_RETURN(ObjectInfo info, tenancy.Require(ctx, ObjectType::kProject, ref.id));
      owner.org_id = info.org_id;
      owner.project_id = info.id;
      return owner;
    }
    case store::ObjectKind::kPromptSession: {
      if (!IsUuid(ref.id)) return InvalidArgument("'{}' is not a valid prompt_session_id (expected a UUID)", ref.id);
      TV_ASSIGN_OR_RETURN(auto existing, catalog.Owner(owner.object_id));
      if (existing) {
        if (!ctx.principal().FindOrg(existing->org_id)) return NotFound("prompt session '{}' not found", ref.id);
        ctx.Touch("prompt_session", ref.id, "");
        return *existing;
      }
      if (access == Access::kRead) return NotFound("prompt session '{}' not found", ref.id);
      // The writer's organization, to be claimed when the write commits
      // (RowIntake::Take); a concurrent first write of another one may win.
      std::optional<std::string> org_name;
      if (auto h = ctx.request().headers.Get("x-bt-org-name")) org_name = std::string(*h);
      TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
      owner.org_id = org.org_id;
      return owner;
    }
  }
  return Internal("unknown object kind");
}

}  // namespace tv::data
