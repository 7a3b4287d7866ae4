// Row rules: which object a row names, what a valid row is, and how it is
// normalized before it is stored (docs/storage-format.md; the SDK's row schema
// in docs/api.md). Pure functions: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

namespace tv::store {

enum class ObjectKind { kExperiment, kDataset, kProjectLogs, kPromptSession };

std::string_view ObjectKindName(ObjectKind kind);  // "experiment", "dataset", "project_logs", "prompt_session"
std::optional<ObjectKind> ParseObjectKind(std::string_view name);

struct ObjectRef {
  ObjectKind kind = ObjectKind::kExperiment;
  std::string id;
  std::string ObjectId() const;  // "experiment:<id>"
};

// The object a /logs3 row names: experiment_id | dataset_id |
// project_id + log_id "g" | prompt_session_id + log_id "x". `where` prefixes
// error messages ("rows[3]").
Result<ObjectRef> RowObject(const json::object& row, std::string_view where);

// Checks every known field's type and range and normalizes the row for
// storage: id (a new UUID when absent), created, the object's id fields and
// project_id, dataset span ids. Unknown keys are kept.
Status NormalizeRow(json::object& row, const ObjectRef& ref, std::string_view project_id, int64_t now_micros,
                    std::string_view where);

// The rows a feedback item turns into, as the SDK's logFeedback does: a merge
// row for scores / expected / tags, a comment row for `comment`. The item's
// `metadata` goes to `_audit_metadata`, never into the row.
Result<std::vector<json::object>> FeedbackRows(const json::object& item, ObjectKind kind, std::string_view where);

}  // namespace tv::store
