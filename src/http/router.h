// Router: maps (method, path) to a handler, with path parameters.
//
// Patterns are '/'-separated segments. A segment ":name" captures one path
// segment; a final segment "*name" captures the rest of the path (possibly
// empty). Literal segments win over captures when both match. Routes are
// added at startup; Find() is thread-safe once serving begins.
//
// Each route declares its RequestClass (request_class.h), kLight unless said
// otherwise: the server picks the worker pool from it before the handler runs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/context.h"
#include "http/message.h"
#include "http/request_class.h"

namespace tv::http {

using Handler = std::function<Result<Response>(RequestContext&)>;

class Router {
 public:
  struct Route {
    Method method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    RequestClass request_class = RequestClass::kLight;
  };

  struct Match {
    const Route* route = nullptr;  // null when nothing matched
    bool path_matched = false;     // some route had this path (→ 405, not 404)
    std::vector<Method> allowed;   // the methods routes have for this path
    PathParams params;
  };

  void Add(Method method, std::string_view pattern, Handler handler, RequestClass request_class = RequestClass::kLight);
  Match Find(Method method, std::string_view path) const;

  // The audit form of a route pattern: "/v1/project/:id" → "/v1/project/[id]".
  static std::string NormalizePattern(std::string_view pattern);

 private:
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace tv::http
