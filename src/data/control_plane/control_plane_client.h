// ControlPlaneClient: everything the data plane may ask the control plane —
// who a token belongs to, and which organization an object id is in. Two
// implementations: in-process (tracevault serve; cli/in_process_client.cc) and
// HTTP (tracevault data; http_control_plane_client.cc), usually wrapped in the
// CachingControlPlaneClient.
//
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/object_info.h"
#include "common/principal.h"
#include "common/provider_secret.h"
#include "common/status.h"

namespace tv::http {
class OutboundClient;
}  // namespace tv::http

namespace tv::data {

class ControlPlaneClient {
 public:
  virtual ~ControlPlaneClient() = default;

  // Unauthenticated for unknown or revoked tokens; Unavailable when the
  // control plane cannot be reached.
  virtual Result<Principal> Authenticate(std::string_view token) = 0;
  // NotFound when absent or not visible to `caller`.
  virtual Result<ObjectInfo> Resolve(ObjectType type, std::string_view id, const Principal& caller) = 0;
  // The live project named `name` in organization `org_id` (one of the
  // caller's); NotFound when there is none.
  virtual Result<ObjectInfo> FindProject(std::string_view org_id, std::string_view name, const Principal& caller) = 0;
  virtual Status Health() = 0;
  // The organization's AI provider secrets in plaintext, for the AI proxy
  // (data/secrets.h). NotFound when `caller` is not a member of `org_id`;
  // PermissionDenied or Unavailable when this deployment does not share them
  // (docs/security.md). Implementations must not cache the answer.
  virtual Result<std::vector<ProviderSecret>> OrgProviderSecrets(std::string_view org_id, const Principal& caller) {
    (void)caller;
    return Unavailable("Org-level AI secrets of '{}' are not available through this control plane client", org_id);
  }
};

// A client for a control plane at `base_url` (e.g. http://10.0.0.5:8100).
// `plane_token` (--plane-token) lets it reveal org-level secrets; empty: never.
// Every call goes through `outbound` (rate limit per caller token, retries),
// which must outlive the client.
std::unique_ptr<ControlPlaneClient> MakeHttpControlPlaneClient(std::string base_url, std::string plane_token,
                                                               http::OutboundClient& outbound);

}  // namespace tv::data
