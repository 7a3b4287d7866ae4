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

#include "common/object_info.h"
#include "common/principal.h"
#include "common/status.h"

namespace tv::data {

class ControlPlaneClient {
 public:
  virtual ~ControlPlaneClient() = default;

  // Unauthenticated for unknown or revoked tokens; Unavailable when the
  // control plane cannot be reached.
  virtual Result<Principal> Authenticate(std::string_view token) = 0;
  // NotFound when absent or not visible to `caller`.
  virtual Result<ObjectInfo> Resolve(ObjectType type, std::string_view id, const Principal& caller) = 0;
  virtual Status Health() = 0;
};

// A client for a control plane at `base_url` (e.g. http://10.0.0.5:8100).
std::unique_ptr<ControlPlaneClient> MakeHttpControlPlaneClient(std::string base_url);

}  // namespace tv::data
