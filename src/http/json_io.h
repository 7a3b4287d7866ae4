// The small pieces every JSON handler needs: the body as an object, a 200
// JSON response, and a query parameter as an owned string.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"
#include "http/context.h"
#include "http/message.h"

namespace tv::http {

// The request body as a JSON object; an empty body is an empty object.
Result<json::object> ParseBody(const RequestContext& ctx);
Response JsonOk(const json::value& body);
std::optional<std::string> QueryString(const Request& req, std::string_view name);

}  // namespace tv::http
