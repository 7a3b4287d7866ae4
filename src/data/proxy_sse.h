// Small shared pieces of the server-sent event answers of /v1/proxy and
// /function/invoke.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace tv::data {

// "data: <data>\n\n" — data holding newlines is split over several data lines.
std::string SseData(std::string_view data);
// "event: <event>\ndata: <data>\n\n".
std::string SseEvent(std::string_view event, std::string_view data);
// A 200 text/event-stream response whose body `producer` writes.
http::Response StreamedResponse(http::BodyProducer producer);

}  // namespace tv::data
