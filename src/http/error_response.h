// The one place where a Status becomes an HTTP status and a JSON error body:
// {"Code": "<ErrorClass>", "Message": "<what went wrong>"}.
#pragma once

#include <chrono>
#include <optional>

#include "common/status.h"
#include "http/message.h"

namespace tv::http {

int HttpStatusFor(StatusCode code);
// 429 and 503 carry `Retry-After`: the status's own hint (below), else 1.
Response ErrorResponse(const Status& status);

// A status that says when to retry: its message gains " (retry after N s)",
// N = `after` rounded up to whole seconds, at least 1. RetryAfterOf reads it back.
Status WithRetryAfter(const Status& status, std::chrono::milliseconds after);
std::optional<int64_t> RetryAfterOf(const Status& status);

}  // namespace tv::http
