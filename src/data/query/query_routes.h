// Inside the query room: each route file's part of AddQueryRoutes.
#pragma once

#include "data/query/query.h"
#include "http/router.h"

namespace tv::data {

void AddBtqlRoutes(http::Router& router, const QueryDeps& deps);     // routes_btql.cc
void AddSummaryRoutes(http::Router& router, const QueryDeps& deps);  // routes_summary.cc

}  // namespace tv::data
