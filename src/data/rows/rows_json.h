// Serializes a page of rows into a response body without copying the rows
// into a JSON array first (a page may hold 20 MB spans).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "store/merge.h"

namespace tv::data {

// {"<array_key>":[rows...], <extra's members>}
std::string RowsBody(std::string_view array_key, const std::vector<store::RowPtr>& rows, const json::object& extra);

}  // namespace tv::data
