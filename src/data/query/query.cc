#include "data/query/query.h"

#include "data/query/query_routes.h"

namespace tv::data {

void AddQueryRoutes(http::Router& router, const QueryDeps& deps) {
  AddBtqlRoutes(router, deps);
  AddSummaryRoutes(router, deps);
}

}  // namespace tv::data
