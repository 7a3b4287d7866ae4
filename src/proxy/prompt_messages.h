// One stored chat message rendered as the Braintrust SDK's `renderMessage` does, after
// the SDK's schema parse has kept only the fields it knows for the message's role.
//
// Rendered: string content, text parts, image URLs, audio data, file fields, tool call
// ids/names/arguments and tool_call_id. Everything else is copied. A null content is
// dropped. An image_url whose URL is exactly one tag naming an array of http(s) URLs
// (or attachment references) becomes one image part per element.
// Thread-safe; pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/status.h"

namespace tv::proxy {

using TemplateRenderFn = std::function<Result<std::string>(std::string_view)>;

// `variables` is the template root ({input, ...args}); `render` renders one template
// string over it. `index` names the message in errors ("messages[2].role ...").
Result<boost::json::object> RenderChatMessage(const boost::json::value& message, const boost::json::value& variables,
                                              const TemplateRenderFn& render, size_t index);

}  // namespace tv::proxy
