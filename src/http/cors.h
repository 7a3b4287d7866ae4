// CORS for the browser UI, which calls the data plane directly.
//
// Rules: an Origin is allowed when it equals a configured origin exactly, or
// matches a configured "scheme://*.domain" wildcard. Allowed origins are echoed
// back (never "*") with Access-Control-Allow-Credentials: true; disallowed
// origins get no CORS headers, and their preflights get 403. Credentials are
// the Authorization header: the API sets no cookies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace tv::http {

class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> allowed_origins) : allowed_(std::move(allowed_origins)) {}

  bool IsAllowed(std::string_view origin) const;
  static bool IsPreflight(const Request& req);

  // Answers a preflight request.
  Response Preflight(const Request& req) const;
  // Adds CORS headers to the response of an actual cross-origin request.
  void Decorate(const Request& req, Response& res) const;

 private:
  std::vector<std::string> allowed_;
};

}  // namespace tv::http
