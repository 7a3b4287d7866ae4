// Object identifiers. Every organization, user, key and object id is a
// lowercase RFC 4122 version-4 UUID drawn from the OS CSPRNG.
#pragma once

#include <string>
#include <string_view>

namespace tv {

std::string NewUuid();
bool IsUuid(std::string_view s);

}  // namespace tv
