// Names and slugs users give objects (organizations, projects, experiments,
// datasets, prompts and functions, API keys, AI secrets). One rule for both
// planes, so a name accepted by one is accepted by the other:
//   * a name is 1 to kMaxNameBytes bytes of UTF-8 without control characters
//     (U+0000–U+001F, U+007F–U+009F);
//   * a slug is 1 to kMaxSlugBytes letters, digits, '-', '_' or '.'.
// The Status is InvalidArgument naming `field`.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace tv {

inline constexpr size_t kMaxNameBytes = 1024;
inline constexpr size_t kMaxSlugBytes = 256;

Status CheckName(std::string_view field, std::string_view name);
Status CheckSlug(std::string_view field, std::string_view slug);

}  // namespace tv
