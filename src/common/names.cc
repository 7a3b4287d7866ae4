#include "common/names.h"

#include <algorithm>

namespace tv {
namespace {

bool SlugChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// C0 controls and DEL as single bytes; C1 controls as their UTF-8 form C2 80–C2 9F.
bool HasControl(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9f) return true;
  }
  return false;
}

}  // namespace

Status CheckName(std::string_view field, std::string_view name) {
  if (name.empty()) return InvalidArgument("Field '{}' must be a non-empty string", field);
  if (name.size() > kMaxNameBytes) return InvalidArgument("Field '{}' must be at most {} bytes", field, kMaxNameBytes);
  if (HasControl(name)) return InvalidArgument("Field '{}' must not contain control characters", field);
  return Status::Ok();
}

Status CheckSlug(std::string_view field, std::string_view slug) {
  if (slug.empty() || slug.size() > kMaxSlugBytes || !std::all_of(slug.begin(), slug.end(), SlugChar))
    return InvalidArgument("Field '{}' must be 1 to {} letters, digits, '-', '_' or '.'", field, kMaxSlugBytes);
  return Status::Ok();
}

}  // namespace tv
