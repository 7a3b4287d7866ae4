// JSON helpers over Boost.JSON: parsing request bodies into objects and reading
// typed fields with error messages a client can act on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/status.h"

namespace tv {

namespace json = boost::json;

// Parses `text` as JSON, refusing what JSON texts allow but values cannot
// carry faithfully: a number outside the range of a double (it would become
// an infinity, which no JSON text can hold) and a key repeated in one object
// (parsers disagree on which one wins). The InvalidArgument names the field
// ("events[0].metadata.n"). Every request body goes through here.
Result<json::value> ParseJson(std::string_view text);
// As ParseJson, for a text that must be an object. An empty or all-whitespace
// text is an empty object (some SDK calls POST without a body).
Result<json::object> ParseJsonObject(std::string_view text);

std::string ToJson(const json::value& v);

// Field readers. Absent and null fields read as std::nullopt; a present field
// of the wrong type is InvalidArgument naming the field.
Result<std::optional<std::string>> OptString(const json::object& o, std::string_view key);
Result<std::string> ReqString(const json::object& o, std::string_view key);
Result<std::optional<bool>> OptBool(const json::object& o, std::string_view key);
Result<std::optional<int64_t>> OptInt(const json::object& o, std::string_view key);
Result<std::optional<json::object>> OptObject(const json::object& o, std::string_view key);
Result<std::optional<std::vector<std::string>>> OptStringArray(const json::object& o, std::string_view key);

// The string at `key`, or "" when absent or not a string (for objects this
// process built itself, where a missing field is not a client error).
std::string StringField(const json::object& o, std::string_view key);

// Deep merge: objects merge recursively, anything else in `patch` replaces the
// value in `target` (a JSON null included).
void DeepMerge(json::object& target, const json::object& patch);

}  // namespace tv
