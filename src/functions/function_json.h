// The JSON of prompts and functions (docs/prompts.md): validation of create
// and patch bodies, and the row shape every API answer uses. Pure functions;
// no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"
#include "common/status.h"

namespace tv::functions {

// Which route family a request came through: /v1/prompt sees only functions
// whose function_data.type is "prompt".
enum class FunctionFamily { kPrompt, kFunction };

inline std::string_view FamilyName(FunctionFamily f) { return f == FunctionFamily::kPrompt ? "prompt" : "function"; }

enum class IfExists { kError, kReplace, kIgnore };

// A validated create body. `fields` holds the content fields (name, slug,
// description, prompt_data, tags, metadata, function_type, function_data,
// function_schema, origin), each present, absent ones as null.
struct FunctionSpec {
  std::string project_id;
  std::string slug;
  std::optional<std::string> org_name;
  IfExists if_exists = IfExists::kError;
  json::object fields;
};

Result<FunctionSpec> ParseFunctionSpec(const json::object& body, FunctionFamily family);

// A validated PATCH body: the allowed fields that are present and not null.
Result<json::object> ParseFunctionPatch(const json::object& body, FunctionFamily family);

// Deep-merges `patch` (from ParseFunctionPatch) into a row's content fields;
// nulls inside nested objects of `patch` are ignored, so nothing is unset.
void MergeFunctionPatch(json::object& fields, const json::object& patch);

// The content fields of a stored row (to patch or replace it).
json::object ContentFields(const json::object& row);

// function_data.type of content fields or a row ("" when absent).
std::string FunctionKind(const json::object& fields_or_row);

struct FunctionKeys {
  std::string id;
  std::string xact;  // 19-digit decimal
  std::string project_id;
  std::string org_id;
  std::string created;
};

// The row the API returns, in the documented field order.
json::object BuildFunctionRow(const FunctionKeys& keys, const json::object& fields);

}  // namespace tv::functions
