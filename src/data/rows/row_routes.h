// Shared by the /v1/{experiment,dataset,project_logs}/{id}/... routes.
#pragma once

#include <array>

#include "common/ids.h"
#include "http/context.h"
#include "store/row_rules.h"

namespace tv::data {

inline constexpr std::array<store::ObjectKind, 3> kRowObjectKinds = {
    store::ObjectKind::kExperiment, store::ObjectKind::kDataset, store::ObjectKind::kProjectLogs};

// The object named by the route's `:id`; a malformed id is simply not found.
inline Result<store::ObjectRef> PathObject(const http::RequestContext& ctx, store::ObjectKind kind) {
  store::ObjectRef ref{kind, std::string(ctx.Param("id"))};
  if (!IsUuid(ref.id)) return NotFound("{} '{}' not found", store::ObjectKindName(kind), ref.id);
  return ref;
}

}  // namespace tv::data
