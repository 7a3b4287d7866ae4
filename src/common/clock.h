// Time. Code that needs "now" takes a Clock so tests can use a fake one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tv {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;

  // The process-wide real clock. Never destroyed.
  static const Clock& Real();
};

// RFC 3339 UTC with microseconds: 2026-11-23T09:20:29.024123Z. Fixed width, so
// strings sort in time order.
std::string FormatTimestamp(int64_t micros);

// Parses RFC 3339 ("2026-11-23T09:20:29Z", fractions to microseconds, "Z" or
// "+hh:mm" offsets; a date alone is midnight UTC) to microseconds since the
// epoch; nullopt when `text` is not such a time.
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace tv
