// gzip (RFC 1952) over zlib, for response bodies and audit headers.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tv::http {

std::string GzipCompress(std::string_view data, int level = 6);
Result<std::string> GzipDecompress(std::string_view data, size_t max_output);

}  // namespace tv::http
