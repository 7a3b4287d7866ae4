// The ControlPlaneClient of the embedded server: direct calls into the
// ControlPlane living in the same process.
#pragma once

#include <memory>

#include "control/control_plane.h"
#include "data/control_plane/control_plane_client.h"

namespace tv::cli {

std::unique_ptr<data::ControlPlaneClient> MakeInProcessClient(control::ControlPlane& cp);

}  // namespace tv::cli
