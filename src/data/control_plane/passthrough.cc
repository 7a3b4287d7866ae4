// The data plane's pass-through of control-plane routes. The data plane has
// already authenticated the request (auth runs first).
#include "data/control_plane/passthrough.h"

#include <spdlog/spdlog.h>

#include "http/error_response.h"
#include "http/outbound.h"

namespace tv::data {
namespace {

constexpr std::string_view kForwardedRequestHeaders[] = {"authorization", "content-type",      "accept",
                                                         "x-bt-org-name", "x-bt-enable-audit", "x-request-id"};
constexpr std::string_view kForwardedResponseHeaders[] = {
    "content-type",         "x-bt-found-existing",   "x-bt-cursor",
    "x-bt-audit-user-id",   "x-bt-audit-user-email", "x-bt-audit-normalized-url",
    "x-bt-audit-resources", "www-authenticate",      "retry-after"};

// The organization a forwarded call acts in, for the per-organization
// outbound statistics: the one x-bt-org-name names, else the caller's only
// one; "" when that is ambiguous.
std::string ActingOrg(const http::RequestContext& ctx) {
  const Principal& p = ctx.principal();
  if (auto name = ctx.request().headers.Get("x-bt-org-name")) {
    const OrgMembership* m = p.FindOrgByName(std::string(*name));
    return m ? m->org_id : "";
  }
  return p.orgs.size() == 1 ? p.orgs.front().org_id : "";
}

Result<http::Response> Forward(http::OutboundClient& outbound, const std::string& base, http::RequestContext& ctx) {
  const http::Request& in = ctx.request();
  http::ClientRequest out;
  out.method = in.method;
  out.url = base + in.target;
  for (auto name : kForwardedRequestHeaders)
    if (auto v = in.headers.Get(name)) out.headers.Add(std::string(name), std::string(*v));
  out.body = in.body;
  out.timeout = std::chrono::milliseconds(60000);
  // Counted against the caller's token; GETs may be retried, other methods
  // only when the control plane was never reached.
  const std::string org_id = ActingOrg(ctx);
  Result<http::ClientResponse> res = outbound.Fetch(out, {.token = ctx.principal().bearer_token, .org_id = org_id});
  if (!res.ok()) {
    if (res.status().code() == StatusCode::kResourceExhausted) return res.status();  // 429 + Retry-After
    spdlog::warn("control plane proxy: {}", res.status().message());
    return Unavailable("The control plane is unreachable from this data plane");
  }
  http::Response r;
  r.status = res->status;
  r.body = std::move(res->body);
  for (auto name : kForwardedResponseHeaders)
    if (auto v = res->headers.Get(name)) r.headers.Set(name, std::string(*v));
  return r;
}

}  // namespace

void AddControlPlanePassthrough(http::Router& router, http::OutboundClient& outbound, std::string control_plane_url,
                                PassthroughHooks hooks) {
  while (!control_plane_url.empty() && control_plane_url.back() == '/') control_plane_url.pop_back();
  auto forward = [&outbound, base = control_plane_url](http::RequestContext& ctx) {
    return Forward(outbound, base, ctx);
  };
  const http::Method methods[] = {http::Method::kGet, http::Method::kPost, http::Method::kPut, http::Method::kPatch,
                                  http::Method::kDelete};
  for (auto m : methods) {
    router.Add(m, "/api/*rest", forward);
    for (std::string_view type : {"project", "experiment", "dataset", "organization", "api_key", "ai_secret"}) {
      router.Add(m, "/v1/" + std::string(type), forward);
      router.Add(m, "/v1/" + std::string(type) + "/*rest", forward);
    }
  }
  router.Add(http::Method::kDelete, "/v1/api_key/:id",
             [forward, hooks](http::RequestContext& ctx) -> Result<http::Response> {
               TV_ASSIGN_OR_RETURN(http::Response r, forward(ctx));
               if (r.status == 200) hooks.on_key_deleted(std::string(ctx.Param("id")));
               return r;
             });
  for (ObjectType type : {ObjectType::kProject, ObjectType::kExperiment, ObjectType::kDataset}) {
    router.Add(http::Method::kDelete, "/v1/" + std::string(ObjectTypeName(type)) + "/:id",
               [forward, hooks, type](http::RequestContext& ctx) -> Result<http::Response> {
                 TV_ASSIGN_OR_RETURN(http::Response r, forward(ctx));
                 if (r.status == 200) hooks.on_object_deleted(type, std::string(ctx.Param("id")));
                 return r;
               });
  }
}

}  // namespace tv::data
