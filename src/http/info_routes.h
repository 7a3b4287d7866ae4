// The routes every tracevault process answers without authentication:
// GET /v1 (hello), GET /version (build and feature flags), GET /health
// (each dependency's status; 503 when one is down) and GET /ready (503 while a
// request class's worker pool is saturated, i.e. new requests of that class
// are refused with 429).
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/status.h"
#include "http/pipeline.h"
#include "http/router.h"
#include "http/worker_pools.h"

namespace tv::http {

struct HealthCheck {
  std::string name;
  std::function<Status()> check;
};

struct ServerInfo {
  std::string role;                              // "all-in-one", "control", "data"
  std::function<boost::json::object()> version;  // body of GET /version
  std::vector<HealthCheck> health_checks;
};

void AddInfoRoutes(Router& router, ServerInfo info);
// GET /ready: each class's load from `load` (the server's Server::Load), and
// 503 listing the saturated classes while any is. Added once the server exists.
void AddReadinessRoute(Router& router, std::function<std::array<PoolLoad, kRequestClassCount>()> load);
// The routes above, plus CORS preflight and signed uploads, as public routes.
std::vector<PublicRoute> InfoPublicRoutes();

}  // namespace tv::http
