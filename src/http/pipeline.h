// Pipeline: the fixed order every request goes through, whatever the route.
//
//   request id → CORS preflight → authentication → routing → handler
//   → error mapping → CORS headers → audit headers → gzip
//
// Authentication runs before routing: every path not listed as public needs a
// valid bearer token, so an unknown path with a bad key is 401, not 404, and a
// route added later is protected without doing anything.
//
// A heavy route (RequestClass::kHeavy) runs only when the caller's API key and
// organization have a heavy slot free (LimitHeavy, tenant_slots.h); otherwise
// it is a 429 with Retry-After, before the handler reads anything.
//
// Thread-safety: Handle() is const and may run on many threads at once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/principal.h"
#include "common/status.h"
#include "http/cors.h"
#include "http/message.h"
#include "http/request_class.h"
#include "http/router.h"
#include "http/tenant_slots.h"

namespace tv::http {

struct PublicRoute {
  std::optional<Method> method;  // nullopt: any method
  std::string path;
  bool prefix = false;  // match every path under `path`
};

// Resolves a bearer token to a Principal. Returns Unauthenticated for unknown
// or revoked tokens.
using Authenticator = std::function<Result<Principal>(std::string_view token)>;

class Pipeline {
 public:
  Pipeline(const Router& router, Authenticator authenticate, CorsPolicy cors, std::vector<PublicRoute> public_routes);

  // Bounds heavy requests per API key and organization. Call before serving;
  // without it heavy routes are bounded only by their worker pool.
  void LimitHeavy(TenantLimits limits) { heavy_slots_ = std::make_unique<TenantSlots>(limits); }

  // Never throws: an exception anywhere (authenticator included) is a 500.
  Response Handle(const Request& req) const;

  // A refusal made before a handler ran (say a full worker pool): the error of
  // `status` with the request id and CORS headers, so a browser can read it.
  Response Refuse(const Request& req, const Status& status) const;

  // The class of the route `req` goes to (kLight when none matches). Cheap and
  // non-blocking: the server calls it on a socket thread to pick a pool.
  RequestClass Classify(const Request& req) const;

  // The request id echoed as x-request-id: the client's when it is a sane
  // token, otherwise a fresh random one.
  static std::string RequestIdFor(const Request& req);

 private:
  Response HandleUnsafe(RequestContext& ctx) const;
  bool IsPublic(const Request& req) const;
  Response Route(RequestContext& ctx) const;
  void Finish(const RequestContext& ctx, Response& res) const;

  const Router& router_;
  Authenticator authenticate_;
  CorsPolicy cors_;
  std::vector<PublicRoute> public_routes_;
  std::unique_ptr<TenantSlots> heavy_slots_;  // null: no per-tenant bound
};

}  // namespace tv::http
