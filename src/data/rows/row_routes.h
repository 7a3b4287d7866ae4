// Inside the rows room: what its route files share, and each file's part of
// AddRowsRoutes.
#pragma once

#include <array>

#include "common/ids.h"
#include "data/rows/rows.h"
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

void AddWriteRoutes(http::Router& router, const RowsDeps& deps);   // routes_write.cc
void AddReadRoutes(http::Router& router, const RowsDeps& deps);    // routes_read.cc
void AddUploadRoutes(http::Router& router, const RowsDeps& deps);  // routes_uploads.cc
void AddPurgeRoutes(http::Router& router, const RowsDeps& deps);   // routes_purge.cc

}  // namespace tv::data
