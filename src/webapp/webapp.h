// The web app's files (web/dist) and the routes that serve them on `serve` and
// `control` (docs/webapp.md, "Shape").
//
// A WebApp holds every file with what serving it needs, computed once at
// startup: its content type, a strong ETag (SHA-256 of the bytes), a gzip copy
// when that is smaller, and whether its name is content-hashed (everything
// under assets/, cached for a year). The files come from the binary
// (embedded.h) or, for development, from a directory (--webapp-dir).
//
// Thread-safety: a WebApp is immutable after construction.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/pipeline.h"
#include "http/router.h"

namespace tv::webapp {

struct Asset {
  std::string content_type;
  std::string body;
  std::string gzip;  // empty when compressing does not pay
  std::string etag;  // "\"<sha-256 hex>\""
  bool immutable = false;
};

class WebApp {
 public:
  // The files compiled into the binary.
  static std::shared_ptr<const WebApp> Embedded();
  // Every regular file under `dir` (say web/dist), read now.
  static Result<std::shared_ptr<const WebApp>> FromDirectory(const std::string& dir);

  // `path` relative to the app's root: "index.html", "assets/index-3f2a.js".
  const Asset* Find(std::string_view path) const;
  bool empty() const { return assets_.empty(); }
  size_t size() const { return assets_.size(); }

  void Add(std::string path, std::string bytes);

 private:
  std::map<std::string, Asset, std::less<>> assets_;
};

struct ServeOptions {
  // Origins besides 'self' the app may call (the data plane's, when it is on
  // another site): the CSP's connect-src.
  std::vector<std::string> connect_origins;
};

// GET / and /app/... (index.html, never cached: the app routes in the
// browser), GET /assets/... (hashed, immutable). Unknown assets are 404 JSON.
void AddWebAppRoutes(http::Router& router, std::shared_ptr<const WebApp> app, ServeOptions options);
// The paths above, which need no bearer token (the app signs in by itself).
std::vector<http::PublicRoute> WebAppPublicRoutes();
// The Content-Security-Policy every app response carries.
std::string ContentSecurityPolicy(const ServeOptions& options);
// "http://host:port" of a URL, or "" when it is not an http(s) URL.
std::string OriginOf(std::string_view url);

}  // namespace tv::webapp
