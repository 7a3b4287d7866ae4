#include "http/info_routes.h"

#include <memory>

#include <boost/json/object.hpp>

namespace tv::http {

void AddInfoRoutes(Router& router, ServerInfo info) {
  auto shared = std::make_shared<ServerInfo>(std::move(info));
  router.Add(Method::kGet, "/v1", [](RequestContext&) -> Result<Response> {
    return Response::Text(200, "Hello, World!");
  });
  router.Add(Method::kGet, "/version", [shared](RequestContext&) -> Result<Response> {
    return Response::Json(200, shared->version());
  });
  router.Add(Method::kGet, "/health", [shared](RequestContext&) -> Result<Response> {
    boost::json::object checks;
    bool healthy = true;
    for (const auto& hc : shared->health_checks) {
      Status s = hc.check();
      healthy = healthy && s.ok();
      checks[hc.name] = s.ok() ? boost::json::object{{"status", "ok"}}
                               : boost::json::object{{"status", "error"}, {"message", s.message()}};
    }
    boost::json::object body{{"status", healthy ? "ok" : "degraded"}, {"role", shared->role}, {"checks", checks}};
    return Response::Json(healthy ? 200 : 503, body);
  });
}

std::vector<PublicRoute> InfoPublicRoutes() {
  return {
      {Method::kGet, "/v1", false},
      {std::nullopt, "/version", false},
      {std::nullopt, "/health", false},
      {std::nullopt, "/upload/", true},  // signed upload URLs carry their own credential
  };
}

}  // namespace tv::http
