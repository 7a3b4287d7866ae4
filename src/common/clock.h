// Time. Code that needs "now" takes a Clock so tests can use a fake one.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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

}  // namespace tv
