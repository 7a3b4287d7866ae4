#include "common/clock.h"

#include <ctime>

#include <fmt/format.h>

namespace tv {
namespace {

class RealClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

const Clock& Clock::Real() {
  static const RealClock* clock = new RealClock();
  return *clock;
}

std::string FormatTimestamp(int64_t micros) {
  int64_t frac = micros % 1000000;
  if (frac < 0) frac += 1000000;  // floor division for times before 1970
  time_t secs = static_cast<time_t>((micros - frac) / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

}  // namespace tv
