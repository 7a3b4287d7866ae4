// The one place where a Status becomes an HTTP status and a JSON error body:
// {"Code": "<ErrorClass>", "Message": "<what went wrong>"}.
#pragma once

#include "common/status.h"
#include "http/message.h"

namespace tv::http {

int HttpStatusFor(StatusCode code);
Response ErrorResponse(const Status& status);

}  // namespace tv::http
