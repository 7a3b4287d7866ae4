// Transaction ids (`_xact_id`): one per accepted write request, increasing,
// formatted as fixed-width 19-digit decimal strings so that string order is
// numeric order. See docs/storage-format.md, "Transaction ids".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tv::store {

using XactId = uint64_t;

inline constexpr XactId kXactPrefix = XactId{0x0DE1} << 48;

// "1000192656880881099".
std::string FormatXact(XactId x);
// 16 lowercase hex digits ("81cd05ee665fdfb3").
std::string PrettyXact(XactId x);
// Accepts the decimal or the 16-hex pretty form; anything else is
// InvalidArgument naming `what`.
Result<XactId> ParseXact(std::string_view text, std::string_view what = "version");

// The smallest id handed out at or after `unix_micros`, and the Unix second an
// id was handed out in (ids carry their time in bits 16..47).
inline XactId XactAtTime(int64_t unix_micros) {
  return kXactPrefix | (static_cast<XactId>(unix_micros / 1000000) << 16);
}
inline int64_t XactSeconds(XactId x) { return static_cast<int64_t>((x & ((XactId{1} << 48) - 1)) >> 16); }

// Hands out ids: 0x0DE1 << 48 | max(last + 1, unix_seconds << 16). Not
// thread-safe; the single committer owns it.
class XactAllocator {
 public:
  explicit XactAllocator(XactId last) : last_(last) {}
  XactId Next(int64_t now_micros);
  XactId last() const { return last_; }

 private:
  XactId last_;
};

}  // namespace tv::store
