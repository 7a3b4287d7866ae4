// Process logging: human-readable diagnostics on stderr through spdlog, and
// one JSON access-log line per request on stdout.
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace tv {

// Sets the global level from a name ("debug", "info", "warn", "error", "off").
void ConfigureLogging(std::string_view level);

// Writes one line to stdout atomically with respect to other access-log lines.
void WriteAccessLogLine(std::string_view line);

}  // namespace tv
