#include "common/json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tv {

Result<json::object> ParseJsonObject(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  TV_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  if (!v.is_object()) return InvalidArgument("The request body must be a JSON object");
  return std::move(v.as_object());
}

std::string ToJson(const json::value& v) { return json::serialize(v); }

namespace {

const json::value* Find(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

}  // namespace

Result<std::optional<std::string>> OptString(const json::object& o, std::string_view key) {
  const json::value* v = Find(o, key);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return InvalidArgument("Field '{}' must be a string", key);
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::string> ReqString(const json::object& o, std::string_view key) {
  TV_ASSIGN_OR_RETURN(auto s, OptString(o, key));
  if (!s) return InvalidArgument("Missing required field '{}'", key);
  return std::move(*s);
}

Result<std::optional<bool>> OptBool(const json::object& o, std::string_view key) {
  const json::value* v = Find(o, key);
  if (!v) return std::optional<bool>();
  if (!v->is_bool()) return InvalidArgument("Field '{}' must be a boolean", key);
  return std::optional<bool>(v->as_bool());
}

Result<std::optional<int64_t>> OptInt(const json::object& o, std::string_view key) {
  const json::value* v = Find(o, key);
  if (!v) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return std::optional<int64_t>(static_cast<int64_t>(v->as_uint64()));
  return InvalidArgument("Field '{}' must be an integer", key);
}

Result<std::optional<json::object>> OptObject(const json::object& o, std::string_view key) {
  const json::value* v = Find(o, key);
  if (!v) return std::optional<json::object>();
  if (!v->is_object()) return InvalidArgument("Field '{}' must be an object", key);
  return std::optional<json::object>(v->as_object());
}

Result<std::optional<std::vector<std::string>>> OptStringArray(const json::object& o, std::string_view key) {
  const json::value* v = Find(o, key);
  if (!v) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return InvalidArgument("Field '{}' must be an array of strings", key);
  std::vector<std::string> out;
  for (const auto& e : v->as_array()) {
    if (!e.is_string()) return InvalidArgument("Field '{}' must be an array of strings", key);
    out.emplace_back(e.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

std::string StringField(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

void DeepMerge(json::object& target, const json::object& patch) {
  for (const auto& kv : patch) {
    auto it = target.find(kv.key());
    if (it != target.end() && it->value().is_object() && kv.value().is_object()) {
      DeepMerge(it->value().as_object(), kv.value().as_object());
    } else {
      target[kv.key()] = kv.value();
    }
  }
}

}  // namespace tv
