#include "http/cors.h"

#include "common/status.h"
#include "http/error_response.h"

namespace tv::http {
namespace {

constexpr std::string_view kAllowMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
constexpr std::string_view kAllowHeaders =
    "Authorization, Content-Type, Accept, Accept-Encoding, X-Amz-Date, X-Amz-Content-Sha256, "
    "X-Api-Key, X-Request-Id, x-bt-auth-token, x-bt-parent, x-bt-org-name, x-bt-project-id, "
    "x-bt-stream-fmt, x-bt-use-cache, x-bt-enable-audit, x-bt-use-gateway";
constexpr std::string_view kExposeHeaders =
    "x-bt-cursor, x-bt-found-existing, x-bt-span-id, x-bt-span-export, x-request-id, "
    "x-bt-audit-user-id, x-bt-audit-user-email, x-bt-audit-normalized-url, x-bt-audit-resources";

bool MatchesWildcard(std::string_view pattern, std::string_view origin) {
  size_t star = pattern.find("://*.");
  if (star == std::string_view::npos) return false;
  std::string_view scheme = pattern.substr(0, star + 3);  // "https://"
  std::string_view suffix = pattern.substr(star + 4);     // ".domain"
  if (!origin.starts_with(scheme) || !origin.ends_with(suffix)) return false;
  return origin.size() > scheme.size() + suffix.size();
}

}  // namespace

bool CorsPolicy::IsAllowed(std::string_view origin) const {
  for (const auto& a : allowed_) {
    if (a == "*" || a == origin || MatchesWildcard(a, origin)) return true;
  }
  return false;
}

bool CorsPolicy::IsPreflight(const Request& req) {
  return req.method == Method::kOptions && req.headers.Has("origin") &&
         req.headers.Has("access-control-request-method");
}

Response CorsPolicy::Preflight(const Request& req) const {
  std::string origin(req.headers.Get("origin").value_or(""));
  if (!IsAllowed(origin))
    return ErrorResponse(PermissionDenied("Origin '{}' is not allowed by this server's CORS policy", origin));
  Response res = Response::Empty(204);
  res.headers.Set("Access-Control-Allow-Origin", origin);
  res.headers.Set("Access-Control-Allow-Credentials", "true");
  res.headers.Set("Access-Control-Allow-Methods", std::string(kAllowMethods));
  auto requested = req.headers.Get("access-control-request-headers");
  res.headers.Set("Access-Control-Allow-Headers", requested ? std::string(*requested) : std::string(kAllowHeaders));
  res.headers.Set("Access-Control-Max-Age", "86400");
  if (req.headers.Get("access-control-request-private-network") == "true")
    res.headers.Set("Access-Control-Allow-Private-Network", "true");
  res.headers.Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return res;
}

void CorsPolicy::Decorate(const Request& req, Response& res) const {
  auto origin = req.headers.Get("origin");
  if (!origin || !IsAllowed(*origin)) return;
  res.headers.Set("Access-Control-Allow-Origin", std::string(*origin));
  res.headers.Set("Access-Control-Allow-Credentials", "true");
  res.headers.Set("Access-Control-Expose-Headers", std::string(kExposeHeaders));
  res.headers.Set("Vary", "Origin");
}

}  // namespace tv::http
