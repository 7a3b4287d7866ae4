// Folding row versions into current rows: the SDK's merge rules (not JSON
// Merge Patch). docs/storage-format.md, "Row versions and folding".
#pragma once

#include <memory>

#include "common/json.h"
#include "store/xact.h"

namespace tv::store {

using RowPtr = std::shared_ptr<const json::object>;

// Applies `version` (a stored row version, control fields included) at
// `xact` to `prev` (null when the row does not exist). Returns the new row,
// or null when the version deletes it. The result carries `_xact_id` and
// `is_root` and no write-only control fields.
RowPtr ApplyVersion(const json::object* prev, const json::object& version, XactId xact);

// True for the write-only control fields a row version may carry.
bool IsControlField(std::string_view key);

// A comment row (`comment`, `origin.id`, no `span_id`) is listed under its
// target rather than as a row. Returns the target id, or empty.
std::string_view CommentTarget(const json::object& row);

}  // namespace tv::store
