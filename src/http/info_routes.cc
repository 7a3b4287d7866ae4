#include "http/info_routes.h"

#include <memory>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace tv::http {

void AddInfoRoutes(Router& router, ServerInfo info) {
  auto shared = std::make_shared<ServerInfo>(std::move(info));
  router.Add(Method::kGet, "/v1",
             [](RequestContext&) -> Result<Response> { return Response::Text(200, "Hello, World!"); });
  router.Add(Method::kGet, "/version",
             [shared](RequestContext&) -> Result<Response> { return Response::Json(200, shared->version()); });
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

void AddReadinessRoute(Router& router, std::function<std::array<PoolLoad, kRequestClassCount>()> load) {
  router.Add(Method::kGet, "/ready", [load = std::move(load)](RequestContext&) -> Result<Response> {
    std::array<PoolLoad, kRequestClassCount> loads = load();
    boost::json::object classes;
    boost::json::array saturated;
    for (const auto& info : kRequestClasses) {
      const PoolLoad& l = loads[RequestClassIndex(info.id)];
      if (l.saturated()) saturated.emplace_back(info.name);
      classes[info.name] =
          boost::json::object{{"threads", l.threads}, {"queue_limit", l.queue_limit}, {"running", l.running},
                              {"queued", l.queued},   {"rejected", l.rejected},       {"saturated", l.saturated()}};
    }
    // Only the classes every client needs decide readiness: a full heavy or
    // model pool is that class's own back-pressure (429s), and taking the
    // node out of a load balancer for it would stop light and ingest traffic
    // too — exactly what the classes exist to prevent.
    bool ready = !loads[RequestClassIndex(RequestClass::kLight)].saturated() &&
                 !loads[RequestClassIndex(RequestClass::kIngest)].saturated();
    std::string_view status = !ready ? "saturated" : saturated.empty() ? "ready" : "degraded";
    boost::json::object body{{"status", status}, {"saturated", saturated}, {"classes", classes}};
    return Response::Json(ready ? 200 : 503, body);
  });
}

std::vector<PublicRoute> InfoPublicRoutes() {
  return {
      {Method::kGet, "/v1", false},    {std::nullopt, "/version", false}, {std::nullopt, "/health", false},
      {std::nullopt, "/ready", false}, {std::nullopt, "/upload/", true},  // signed upload URLs carry their own
                                                                          // credential
  };
}

}  // namespace tv::http
