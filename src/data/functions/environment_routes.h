// Inside the functions room: the environment routes' part of
// AddFunctionsRoutes (routes_environments.cc).
#pragma once

#include "data/functions/functions.h"
#include "http/router.h"

namespace tv::data {

// /environment..., /environment-object/:object_type/:object_id[/:env].
void AddEnvironmentRoutes(http::Router& router, Functions& fns);

}  // namespace tv::data
