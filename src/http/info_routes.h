// The routes every tracevault process answers without authentication:
// GET /v1 (hello), GET /version (build and feature flags) and GET /health
// (each dependency's status; 503 when one is down).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/status.h"
#include "http/pipeline.h"
#include "http/router.h"

namespace tv::http {

struct HealthCheck {
  std::string name;
  std::function<Status()> check;
};

struct ServerInfo {
  std::string role;  // "all-in-one", "control", "data"
  std::function<boost::json::object()> version;  // body of GET /version
  std::vector<HealthCheck> health_checks;
};

void AddInfoRoutes(Router& router, ServerInfo info);
// The routes above, plus CORS preflight and signed uploads, as public routes.
std::vector<PublicRoute> InfoPublicRoutes();

}  // namespace tv::http
