#include "store/segment_set.h"

#include <fmt/format.h>

#include "store/codec.h"

namespace tv::store {

std::string SegmentPrefix(std::string_view object_id) { return fmt::format("seg/{:016x}/", codec::Hash64(object_id)); }

}  // namespace tv::store
