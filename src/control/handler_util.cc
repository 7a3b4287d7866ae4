#include "control/handler_util.h"

#include <charconv>

#include <boost/json/array.hpp>

#include "common/ids.h"
#include "common/strings.h"

namespace tv::control {
namespace {

Status CheckKind(std::string_view name, const json::value& v, FieldKind kind) {
  if (v.is_null()) return Status::Ok();
  switch (kind) {
    case FieldKind::kString:
      if (!v.is_string()) return InvalidArgument("Field '{}' must be a string", name);
      break;
    case FieldKind::kUuid:
      if (!v.is_string() || !IsUuid(v.as_string())) return InvalidArgument("Field '{}' must be a UUID", name);
      break;
    case FieldKind::kBool:
      if (!v.is_bool()) return InvalidArgument("Field '{}' must be a boolean", name);
      break;
    case FieldKind::kObject:
      if (!v.is_object()) return InvalidArgument("Field '{}' must be an object", name);
      break;
    case FieldKind::kStringArray:
      if (!v.is_array()) return InvalidArgument("Field '{}' must be an array of strings", name);
      for (const auto& e : v.as_array())
        if (!e.is_string()) return InvalidArgument("Field '{}' must be an array of strings", name);
      break;
    case FieldKind::kAny:
      break;
  }
  return Status::Ok();
}

}  // namespace

Result<json::object> PickFields(const json::object& body, const std::vector<FieldRule>& rules) {
  json::object out;
  for (const auto& r : rules) {
    auto it = body.find(r.name);
    if (it == body.end()) continue;
    TV_RETURN_IF_ERROR(CheckKind(r.name, it->value(), r.kind));
    out[r.name] = it->value();
  }
  return out;
}

Result<ListQuery> ParseListQuery(const http::Request& req) {
  ListQuery q;
  if (auto limit = req.QueryParam("limit")) {
    int64_t n = -1;
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || p != limit->data() + limit->size() || n < 0)
      return InvalidArgument("Query parameter 'limit' must be a non-negative integer");
    q.limit = std::min<int64_t>(n, 1000);
  }
  q.starting_after = QueryString(req, "starting_after");
  q.ending_before = QueryString(req, "ending_before");
  if (q.starting_after && q.ending_before)
    return InvalidArgument("Pass at most one of 'starting_after' and 'ending_before'");
  for (auto cursor : {&q.starting_after, &q.ending_before})
    if (*cursor && !IsUuid(**cursor)) return InvalidArgument("Pagination cursors must be object ids (UUIDs)");
  for (auto id : req.QueryParams("ids")) {
    // Accept both repeated ids=... and a comma-separated list.
    for (std::string_view one : SplitList(id, ",", ListItems::kVerbatim)) {
      if (!IsUuid(std::string(one))) return InvalidArgument("'{}' in 'ids' is not a UUID", one);
      q.ids.emplace_back(one);
    }
  }
  return q;
}

http::Response CreatedResponse(const Created& created) {
  http::Response r = JsonOk(created.object);
  if (created.found_existing) r.headers.Set("x-bt-found-existing", "true");
  return r;
}

http::Response ListResponse(std::vector<json::object> objects) {
  json::array arr;
  for (auto& o : objects) arr.push_back(std::move(o));
  return JsonOk(json::object{{"objects", std::move(arr)}});
}

}  // namespace tv::control
