#include "functions/function_json.h"

#include <algorithm>
#include <array>

#include "common/ids.h"
#include "common/names.h"

namespace tv::functions {
namespace {

enum class Kind { kName, kSlug, kText, kObject, kTags, kFunctionType, kFunctionData, kOrigin };

struct Field {
  std::string_view name;
  Kind kind;
};

// The content fields, in row order.
constexpr std::array<Field, 10> kContent = {{{"name", Kind::kName},
                                             {"slug", Kind::kSlug},
                                             {"description", Kind::kText},
                                             {"tags", Kind::kTags},
                                             {"metadata", Kind::kObject},
                                             {"prompt_data", Kind::kObject},
                                             {"function_type", Kind::kFunctionType},
                                             {"function_data", Kind::kFunctionData},
                                             {"function_schema", Kind::kObject},
                                             {"origin", Kind::kOrigin}}};

constexpr std::array<std::string_view, 11> kFunctionTypes = {"llm",         "scorer",       "task",   "tool",
                                                             "custom_view", "preprocessor", "facet",  "classifier",
                                                             "tag",         "parameters",   "sandbox"};

Status CheckSlugValue(const json::value& v) {
  if (!v.is_string()) return InvalidArgument("Field 'slug' must be a string");
  return CheckSlug("slug", v.as_string());
}

// Checks a present, non-null value of a content field.
Status CheckValue(const Field& f, const json::value& v) {
  switch (f.kind) {
    case Kind::kName:
      if (!v.is_string()) return InvalidArgument("Field 'name' must be a non-empty string");
      return CheckName("name", v.as_string());
    case Kind::kSlug:
      return CheckSlugValue(v);
    case Kind::kText:
      if (!v.is_string()) return InvalidArgument("Field '{}' must be a string", f.name);
      return Status::Ok();
    case Kind::kObject:
      if (!v.is_object()) return InvalidArgument("Field '{}' must be an object", f.name);
      return Status::Ok();
    case Kind::kTags:
      if (!v.is_array() ||
          !std::all_of(v.as_array().begin(), v.as_array().end(), [](const json::value& e) { return e.is_string(); }))
        return InvalidArgument("Field 'tags' must be an array of strings");
      return Status::Ok();
    case Kind::kFunctionType:
      if (!v.is_string() || std::find(kFunctionTypes.begin(), kFunctionTypes.end(), std::string_view(v.as_string())) ==
                                kFunctionTypes.end())
        return InvalidArgument(
            "Field 'function_type' must be one of llm, scorer, task, tool, custom_view, "
            "preprocessor, facet, classifier, tag, parameters, sandbox");
      return Status::Ok();
    case Kind::kFunctionData: {
      const json::value* type = v.is_object() ? v.as_object().if_contains("type") : nullptr;
      if (!type || !type->is_string() || type->as_string().empty())
        return InvalidArgument("Field 'function_data' must be an object with a string 'type' (e.g. \"prompt\")");
      return Status::Ok();
    }
    case Kind::kOrigin: {
      const auto* o = v.is_object() ? &v.as_object() : nullptr;
      const json::value* type = o ? o->if_contains("object_type") : nullptr;
      const json::value* id = o ? o->if_contains("object_id") : nullptr;
      if (!type || !type->is_string() || !id || !id->is_string())
        return InvalidArgument("Field 'origin' must be an object with string 'object_type' and 'object_id'");
      return Status::Ok();
    }
  }
  return Status::Ok();
}

bool PatchableFor(std::string_view name, FunctionFamily family) {
  for (std::string_view n : {"name", "slug", "description", "prompt_data", "tags", "metadata"})
    if (n == name) return true;
  return family == FunctionFamily::kFunction;
}

json::value WithoutNulls(const json::value& v) {
  if (!v.is_object()) return v;
  json::object out;
  for (const auto& kv : v.as_object())
    if (!kv.value().is_null()) out[kv.key()] = WithoutNulls(kv.value());
  return out;
}

Result<IfExists> ParseIfExists(const json::object& body) {
  TV_ASSIGN_OR_RETURN(auto text, OptString(body, "if_exists"));
  if (!text || *text == "error") return IfExists::kError;
  if (*text == "replace") return IfExists::kReplace;
  if (*text == "ignore") return IfExists::kIgnore;
  return InvalidArgument("Field 'if_exists' must be one of error, replace, ignore");
}

}  // namespace

Result<FunctionSpec> ParseFunctionSpec(const json::object& body, FunctionFamily family) {
  FunctionSpec spec;
  TV_ASSIGN_OR_RETURN(spec.project_id, ReqString(body, "project_id"));
  if (!IsUuid(spec.project_id)) return InvalidArgument("'project_id' must be a project id (a UUID)");
  TV_ASSIGN_OR_RETURN(spec.org_name, OptString(body, "org_name"));
  TV_ASSIGN_OR_RETURN(spec.if_exists, ParseIfExists(body));
  for (const Field& f : kContent) {
    const json::value* v = body.if_contains(f.name);
    if (f.kind == Kind::kFunctionData && family == FunctionFamily::kPrompt) {
      spec.fields[f.name] = json::object{{"type", "prompt"}};
      continue;
    }
    if (!v || v->is_null()) {
      if (f.kind == Kind::kName || f.kind == Kind::kSlug || f.kind == Kind::kFunctionData)
        return InvalidArgument("Field '{}' is required", f.name);
      spec.fields[f.name] = nullptr;
      continue;
    }
    TV_RETURN_IF_ERROR(CheckValue(f, *v));
    spec.fields[f.name] = *v;
  }
  spec.slug = std::string(spec.fields["slug"].as_string());
  return spec;
}

Result<json::object> ParseFunctionPatch(const json::object& body, FunctionFamily family) {
  json::object patch;
  for (const Field& f : kContent) {
    const json::value* v = body.if_contains(f.name);
    if (!v || v->is_null() || !PatchableFor(f.name, family)) continue;
    TV_RETURN_IF_ERROR(CheckValue(f, *v));
    patch[f.name] = WithoutNulls(*v);
  }
  return patch;
}

void MergeFunctionPatch(json::object& fields, const json::object& patch) { DeepMerge(fields, patch); }

json::object ContentFields(const json::object& row) {
  json::object out;
  for (const Field& f : kContent) {
    const json::value* v = row.if_contains(f.name);
    out[f.name] = v ? *v : json::value(nullptr);
  }
  return out;
}

std::string FunctionKind(const json::object& fields_or_row) {
  const json::value* fd = fields_or_row.if_contains("function_data");
  if (!fd || !fd->is_object()) return "";
  return StringField(fd->as_object(), "type");
}

json::object BuildFunctionRow(const FunctionKeys& keys, const json::object& fields) {
  json::object row;
  row["id"] = keys.id;
  row["_xact_id"] = keys.xact;
  row["project_id"] = keys.project_id;
  row["org_id"] = keys.org_id;
  row["log_id"] = "p";
  for (const Field& f : kContent) {
    if (f.name == "tags") row["created"] = keys.created;  // keeps the documented order
    const json::value* v = fields.if_contains(f.name);
    row[f.name] = v ? *v : json::value(nullptr);
  }
  return row;
}

}  // namespace tv::functions
