// The routes serving the web app (webapp.h).
#include <utility>

#include "common/strings.h"
#include "http/message.h"
#include "webapp/webapp.h"

namespace tv::webapp {
namespace {

constexpr std::string_view kIndex = "index.html";

void AddSecurityHeaders(http::Response& res, const std::string& csp) {
  res.headers.Set("Content-Security-Policy", csp);
  res.headers.Set("X-Content-Type-Options", "nosniff");
  res.headers.Set("Referrer-Policy", "same-origin");
  res.headers.Set("X-Frame-Options", "DENY");
  res.headers.Set("Cross-Origin-Opener-Policy", "same-origin");
}

// One file: 304 when the client holds this version, the gzip copy when the
// client takes it. HEAD is answered by the server from the same response.
http::Response Serve(const http::Request& req, const Asset& asset, const std::string& csp) {
  http::Response res;
  AddSecurityHeaders(res, csp);
  res.headers.Set("ETag", asset.etag);
  res.headers.Set("Cache-Control", asset.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.headers.Set("Vary", "Accept-Encoding");
  if (auto inm = req.headers.Get("If-None-Match")) {
    for (std::string_view tag : SplitList(*inm)) {
      if (tag == asset.etag || tag == "W/" + asset.etag || tag == "*") {
        res.status = 304;
        return res;
      }
    }
  }
  res.headers.Set("Content-Type", asset.content_type);
  auto accept = req.headers.Get("Accept-Encoding");
  if (!asset.gzip.empty() && accept && http::AcceptsEncoding(*accept, "gzip")) {
    res.headers.Set("Content-Encoding", "gzip");
    res.body = asset.gzip;
  } else {
    res.body = asset.body;
  }
  return res;
}

http::Response NotBuilt(const std::string& csp) {
  http::Response res = http::Response::Text(
      404,
      "The web app is not part of this build (configured with -DTRACEVAULT_WEBAPP=OFF, or web/dist was empty).\n"
      "Build it with `make build`, or serve a built copy with --webapp-dir web/dist.\n");
  AddSecurityHeaders(res, csp);
  return res;
}

}  // namespace

std::string ContentSecurityPolicy(const ServeOptions& options) {
  std::string connect = "'self'";
  for (const std::string& o : options.connect_origins) {
    if (!o.empty() && connect.find(" " + o) == std::string::npos) connect += " " + o;
  }
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
         "connect-src " +
         connect + "; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
}

void AddWebAppRoutes(http::Router& router, std::shared_ptr<const WebApp> app, ServeOptions options) {
  auto csp = std::make_shared<const std::string>(ContentSecurityPolicy(options));
  auto index = [app, csp](http::RequestContext& ctx) -> Result<http::Response> {
    const Asset* page = app->Find(kIndex);
    if (!page) return NotBuilt(*csp);
    return Serve(ctx.request(), *page, *csp);
  };
  router.Add(http::Method::kGet, "/", index);
  router.Add(http::Method::kGet, "/app", index);
  router.Add(http::Method::kGet, "/app/*rest", index);
  router.Add(http::Method::kGet, "/assets/*rest", [app, csp](http::RequestContext& ctx) -> Result<http::Response> {
    std::string path = "assets/" + std::string(ctx.Param("rest"));
    const Asset* asset = app->Find(path);
    if (!asset) return NotFound("No such file: /{}", path);
    return Serve(ctx.request(), *asset, *csp);
  });
}

std::vector<http::PublicRoute> WebAppPublicRoutes() {
  return {{http::Method::kGet, "/", false},
          {http::Method::kGet, "/app", false},
          {http::Method::kGet, "/app/", true},
          {http::Method::kGet, "/assets/", true}};
}

}  // namespace tv::webapp
