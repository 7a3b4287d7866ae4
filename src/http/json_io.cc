#include "http/json_io.h"

namespace tv::http {

Result<json::object> ParseBody(const RequestContext& ctx) { return ParseJsonObject(ctx.request().body); }

Response JsonOk(const json::value& body) { return Response::Json(200, body); }

std::optional<std::string> QueryString(const Request& req, std::string_view name) {
  auto v = req.QueryParam(name);
  if (!v) return std::nullopt;
  return std::string(*v);
}

}  // namespace tv::http
