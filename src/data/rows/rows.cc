#include "data/rows/rows.h"

#include "data/rows/row_routes.h"

namespace tv::data {

void AddRowsRoutes(http::Router& router, const RowsDeps& deps) {
  AddWriteRoutes(router, deps);
  AddReadRoutes(router, deps);
  AddUploadRoutes(router, deps);
  AddPurgeRoutes(router, deps);
}

}  // namespace tv::data
