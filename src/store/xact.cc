#include "store/xact.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace tv::store {
namespace {

constexpr uint64_t kToPretty = 205891132094649ULL;
constexpr uint64_t kFromPretty = 1522336535492693385ULL;
constexpr uint64_t kLow48 = (uint64_t{1} << 48) - 1;

}  // namespace

std::string FormatXact(XactId x) { return fmt::format("{:019d}", x); }

std::string PrettyXact(XactId x) { return fmt::format("{:016x}", x * kToPretty); }

Result<XactId> ParseXact(std::string_view text, std::string_view what) {
  auto bad = [&] {
    return InvalidArgument("'{}' is not a transaction id: pass the 19-digit decimal _xact_id or its 16-hex form", what);
  };
  if (text.empty() || text.size() > 20) return bad();
  uint64_t v = 0;
  // A decimal id has 19 digits, so 16 hex digits are always the pretty form.
  if (text.size() == 16 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
    if (ec != std::errc() || p != text.data() + text.size()) return bad();
    return kXactPrefix | ((v * kFromPretty) & kLow48);
  }
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
  if (ec != std::errc() || p != text.data() + text.size()) return bad();
  return v;
}

XactId XactAllocator::Next(int64_t now_micros) {
  uint64_t seconds = now_micros > 0 ? static_cast<uint64_t>(now_micros / 1000000) : 0;
  XactId from_clock = kXactPrefix | ((seconds << 16) & kLow48);
  last_ = std::max(last_ + 1, from_clock);
  return last_;
}

}  // namespace tv::store
