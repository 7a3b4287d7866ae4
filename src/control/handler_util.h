// Helpers shared by the control plane's route handlers: body parsing, field
// validation, list parameters and the standard response shapes.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "control/object_table.h"
#include "control/registry.h"
#include "http/context.h"
#include "http/json_io.h"
#include "http/message.h"

namespace tv::control {

enum class FieldKind { kString, kUuid, kBool, kObject, kStringArray, kAny };

struct FieldRule {
  std::string_view name;
  FieldKind kind;
};

// Copies the listed fields present in `body` (null included), checking their
// types. Unknown fields are ignored, as the SDKs send extras.
Result<json::object> PickFields(const json::object& body, const std::vector<FieldRule>& rules);

Result<ListQuery> ParseListQuery(const http::Request& req);

// 200 with the object; x-bt-found-existing: true when it already existed.
http::Response CreatedResponse(const Created& created);
http::Response ListResponse(std::vector<json::object> objects);

using http::JsonOk;
using http::ParseBody;
using http::QueryString;

}  // namespace tv::control
