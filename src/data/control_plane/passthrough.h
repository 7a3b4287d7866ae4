// The pass-through of control-plane routes a data plane serves when it runs
// apart from the control plane, so SDKs can be pointed at the data plane
// alone (/api/..., /v1/project, ...). The caller's own credential is
// forwarded and the control plane applies its own checks.
#pragma once

#include <functional>
#include <string>

#include "common/object_info.h"
#include "http/outbound.h"
#include "http/router.h"

namespace tv::data {

// Run after a forwarded deletion succeeds, so caches forget at once.
struct PassthroughHooks {
  std::function<void(const std::string& key_id)> on_key_deleted;
  std::function<void(ObjectType type, const std::string& id)> on_object_deleted;
};

// Forwards the control plane's public routes to `control_plane_url` through
// `outbound` (which must outlive the router).
void AddControlPlanePassthrough(http::Router& router, http::OutboundClient& outbound, std::string control_plane_url,
                                PassthroughHooks hooks);

}  // namespace tv::data
