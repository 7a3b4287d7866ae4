#include "objstore/object_store.h"

namespace tv::objstore {

Status ValidateKey(std::string_view key) {
  if (key.empty() || key.size() > 1024) return InvalidArgument("object key must be 1 to 1024 bytes");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..")
      return InvalidArgument("object key '{}' has an empty or dot segment", key);
    for (char c : seg) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-';
      if (!ok) return InvalidArgument("object key '{}' has a character outside [A-Za-z0-9._-/]", key);
    }
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace tv::objstore
