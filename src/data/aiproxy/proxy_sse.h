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
// A streamed call that failed before its first event: `status`, `headers`
// and the JSON error `body` instead of the event stream.
void WriteFailure(http::BodyWriter& out, int status, std::string_view body, const http::Headers& headers);
// A 200 text/event-stream response whose body `producer` writes.
http::Response StreamedResponse(http::BodyProducer producer);

}  // namespace tv::data
