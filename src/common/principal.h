// Principal: who a request acts as, resolved from its bearer token before
// routing. Built by the control plane; the data plane receives copies of it
// through its ControlPlaneClient.
#pragma once

#include <string>
#include <vector>

namespace tv {

struct OrgMembership {
  std::string org_id;
  std::string org_name;
  std::string role;  // "owner" or "member"
};

struct Principal {
  std::string user_id;
  std::string user_email;
  std::string api_key_id;      // the key that authenticated this request
  std::string api_key_org_id;  // non-empty when that key is restricted to one organization
  std::vector<OrgMembership> orgs;
  // The credential itself, kept so the data plane can act for the caller
  // towards the control plane. Never logged or serialized.
  std::string bearer_token;

  bool authenticated() const { return !user_id.empty(); }

  // The membership in org `org_id`, or nullptr when the principal is not a member.
  const OrgMembership* FindOrg(const std::string& org_id) const {
    for (const auto& m : orgs)
      if (m.org_id == org_id) return &m;
    return nullptr;
  }
  const OrgMembership* FindOrgByName(const std::string& name) const {
    for (const auto& m : orgs)
      if (m.org_name == name) return &m;
    return nullptr;
  }
};

}  // namespace tv
