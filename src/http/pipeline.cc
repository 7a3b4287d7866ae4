#include "http/pipeline.h"

#include <exception>

#include <spdlog/spdlog.h>

#include "crypto/crypto.h"
#include "http/audit.h"
#include "http/error_response.h"
#include "http/gzip.h"

namespace tv::http {
namespace {

constexpr size_t kMinGzipBytes = 1024;

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void MaybeGzip(const Request& req, Response& res) {
  if (res.body.size() < kMinGzipBytes || res.headers.Has("content-encoding")) return;
  auto accept = req.headers.Get("accept-encoding");
  if (!accept || !AcceptsEncoding(*accept, "gzip")) return;
  res.body = GzipCompress(res.body);
  res.headers.Set("Content-Encoding", "gzip");
  res.headers.Set("Vary", res.headers.Has("vary") ? std::string(*res.headers.Get("vary")) + ", Accept-Encoding"
                                                  : std::string("Accept-Encoding"));
}

}  // namespace

Pipeline::Pipeline(const Router& router, Authenticator authenticate, CorsPolicy cors,
                   std::vector<PublicRoute> public_routes)
    : router_(router),
      authenticate_(std::move(authenticate)),
      cors_(std::move(cors)),
      public_routes_(std::move(public_routes)) {}

std::string Pipeline::RequestIdFor(const Request& req) {
  auto given = req.headers.Get("x-request-id");
  if (given && IsSaneRequestId(*given)) return std::string(*given);
  return crypto::HexEncode(crypto::RandomBytes(12));
}

bool Pipeline::IsPublic(const Request& req) const {
  for (const auto& r : public_routes_) {
    if (r.method && *r.method != req.method && !(*r.method == Method::kGet && req.method == Method::kHead)) continue;
    if (r.prefix ? req.path.starts_with(r.path) : req.path == r.path) return true;
  }
  return false;
}

Response Pipeline::Handle(const Request& req) const {
  RequestContext ctx(req, RequestIdFor(req));
  ctx.set_normalized_path(req.path);
  Response res;
  try {
    res = HandleUnsafe(ctx);
  } catch (const std::exception& e) {
    spdlog::error("request {}: unhandled exception in {} {}: {}", ctx.request_id(), MethodName(req.method),
                  PathForLog(req), e.what());
    res = ErrorResponse(Internal("Internal error (request id {})", ctx.request_id()));
  }
  Finish(ctx, res);
  return res;
}

Response Pipeline::Refuse(const Request& req, const Status& status) const {
  RequestContext ctx(req, RequestIdFor(req));
  ctx.set_normalized_path(req.path);
  Response res = ErrorResponse(status);
  Finish(ctx, res);
  return res;
}

RequestClass Pipeline::Classify(const Request& req) const {
  if (CorsPolicy::IsPreflight(req)) return RequestClass::kLight;
  Router::Match m = router_.Find(req.method, req.path);
  return m.route ? m.route->request_class : RequestClass::kLight;
}

Response Pipeline::HandleUnsafe(RequestContext& ctx) const {
  const Request& req = ctx.request();
  Response res;
  if (CorsPolicy::IsPreflight(req)) {
    res = cors_.Preflight(req);
  } else if (!IsPublic(req)) {
    auto token = req.BearerToken();
    Result<Principal> principal =
        token ? authenticate_(*token)
              : Result<Principal>(Unauthenticated("Missing 'Authorization: Bearer <api key>' header"));
    if (principal.ok()) {
      ctx.set_principal(std::move(*principal));
      res = Route(ctx);
    } else {
      res = ErrorResponse(principal.status());
    }
  } else {
    res = Route(ctx);
  }
  return res;
}

Response Pipeline::Route(RequestContext& ctx) const {
  const Request& req = ctx.request();
  Router::Match m = router_.Find(req.method, req.path);
  if (!m.route) {
    if (m.path_matched) {
      Response r =
          ErrorResponse(MethodNotAllowed("Method {} is not supported on {}", MethodName(req.method), req.path));
      std::string allow;
      for (Method a : m.allowed) allow += (allow.empty() ? "" : ", ") + std::string(MethodName(a));
      r.headers.Set("Allow", allow);
      return r;
    }
    return ErrorResponse(NotFound("No route for {} {}", MethodName(req.method), req.path));
  }
  ctx.set_params(std::move(m.params));
  ctx.set_normalized_path(Router::NormalizePattern(m.route->pattern));
  TenantSlots::Lease heavy_slot;
  if (m.route->request_class == RequestClass::kHeavy && heavy_slots_ && ctx.principal().authenticated()) {
    Result<TenantSlots::Lease> lease = heavy_slots_->Acquire(ctx.principal());
    if (!lease.ok()) return ErrorResponse(lease.status());
    heavy_slot = std::move(*lease);
  }
  Result<Response> r = m.route->handler(ctx);
  return r.ok() ? std::move(*r) : ErrorResponse(r.status());
}

void Pipeline::Finish(const RequestContext& ctx, Response& res) const {
  res.headers.Set("x-request-id", ctx.request_id());
  cors_.Decorate(ctx.request(), res);
  // A response proxied from the other plane carries that plane's audit view.
  if (ctx.principal().authenticated() && AuditRequested(ctx.request()) && !res.headers.Has("x-bt-audit-normalized-url"))
    AddAuditHeaders(ctx, res);
  MaybeGzip(ctx.request(), res);
}

}  // namespace tv::http
