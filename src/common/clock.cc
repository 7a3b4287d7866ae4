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
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

namespace {

// Reads exactly `n` digits at `pos`.
bool Digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

}  // namespace

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  size_t pos = 0;
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!Digits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-' || !Digits(s, pos, 2, month) || pos >= s.size() ||
      s[pos++] != '-' || !Digits(s, pos, 2, day))
    return std::nullopt;
  int64_t frac = 0;
  int offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    if (!Digits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':' || !Digits(s, pos, 2, minute) ||
        pos >= s.size() || s[pos++] != ':' || !Digits(s, pos, 2, second))
      return std::nullopt;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int64_t scale = 100000;
      size_t start = pos;
      for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
        frac += (s[pos] - '0') * scale;
        scale /= 10;
      }
      if (pos == start) return std::nullopt;
    }
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
      ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
      int sign = s[pos++] == '-' ? -1 : 1, oh, om;
      if (!Digits(s, pos, 2, oh) || pos >= s.size() || s[pos++] != ':' || !Digits(s, pos, 2, om)) return std::nullopt;
      offset_minutes = sign * (oh * 60 + om);
    }
    if (pos != s.size()) return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  auto ymd = std::chrono::year{year} / month / day;
  if (!ymd.ok()) return std::nullopt;
  int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * 1000000 + frac;
}

}  // namespace tv
