// Retries an operation that failed with Unavailable (object storage or the
// catalog being briefly unreachable), with exponential backoff, until it
// succeeds, fails otherwise, or `deadline` has passed.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "common/status.h"

namespace tv::store {

Status RetryUnavailable(std::string_view what, std::chrono::milliseconds deadline, const std::function<Status()>& op);

}  // namespace tv::store
