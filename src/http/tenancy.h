// Tenancy: the one check that every object id a request names — in the path,
// the query or the body — belongs to an organization the caller is a member
// of. An id of another organization is indistinguishable from an id that does
// not exist: both are NotFound with the same message, and nothing about the
// object is returned. Each object resolved is recorded in the audit trail.
//
// The resolver is plane-specific (the control plane reads its database, the
// data plane asks its ControlPlaneClient); the rule is the same everywhere.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/object_info.h"
#include "common/principal.h"
#include "common/status.h"
#include "http/context.h"

namespace tv::http {

using ObjectResolver = std::function<Result<ObjectInfo>(ObjectType type, std::string_view id, const Principal& caller)>;

class Tenancy {
 public:
  explicit Tenancy(ObjectResolver resolve) : resolve_(std::move(resolve)) {}

  Result<ObjectInfo> Require(RequestContext& ctx, ObjectType type, std::string_view id) const;

  // The organization a write acts in: the one named by `org_id` or `org_name`
  // (which must be the caller's), else the caller's only organization. A
  // caller in several organizations must name one.
  static Result<OrgMembership> ChooseOrg(const Principal& caller, const std::optional<std::string>& org_id,
                                         const std::optional<std::string>& org_name);

  // The organizations a list or search covers: the ids of all the caller's
  // organizations, or only the one named `org_name` when given (NotFound when
  // the caller has no organization of that name).
  static Result<std::vector<std::string>> OrgScope(const Principal& caller, const std::optional<std::string>& org_name);

  // The owner-only stopgap (docs/security.md, "Owner-only operations"): OK
  // when the caller is an owner of organization `org_id`, else
  // PermissionDenied saying that `action` ("Purging rows") requires the owner
  // role. Roles and grants will replace it. REQUIRES: the caller passed the
  // tenancy check for an object of `org_id`.
  static Status RequireOwner(const Principal& caller, std::string_view org_id, std::string_view action);

 private:
  ObjectResolver resolve_;
};

}  // namespace tv::http
