// The query room: BTQL over the span store and over prompts and functions
// (btql_runner.h, btql_functions.h), POST /btql, and the experiment and
// dataset summaries built on it. It reaches the rest of the data plane only
// through QueryDeps.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "btql/prices.h"
#include "common/clock.h"
#include "data/functions/functions.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "store/span_store.h"

namespace tv::data {

// What queries use. Every reference outlives the router the routes are
// added to (and any query run with these deps).
struct QueryDeps {
  const http::Tenancy& tenancy;
  store::SpanStore& store;
  const Clock& clock;
  // The prompt and function sources (btql_functions.h).
  Functions& functions;
  // Model list prices for `estimated_cost` when a span did not log its own.
  const btql::PriceTable& prices;
  // The budgets of one query unless it sets its own (QueryOptions).
  size_t memory_bytes = 0;
  std::chrono::milliseconds timeout{0};
  // The web app's URL, the base of the links in summaries (the form the SDK
  // prints; docs/webapp.md): set after the routes are added, so this names
  // the owner's string.
  const std::string& app_url;
};

// POST /btql, GET /experiment-comparison2, GET /v1/experiment/:id/summarize,
// GET /v1/dataset/:id/summarize.
void AddQueryRoutes(http::Router& router, const QueryDeps& deps);

}  // namespace tv::data
