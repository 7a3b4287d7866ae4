#include "store/row_rules.h"

#include <cmath>

#include <boost/json/array.hpp>

#include "common/clock.h"
#include "common/ids.h"
#include "store/merge.h"

namespace tv::store {
namespace {

Status Bad(std::string_view where, std::string_view field, std::string_view what) {
  return InvalidArgument("{}.{} {}", where, field, what);
}

Status CheckString(const json::object& row, std::string_view where, std::string_view field, bool nullable = true) {
  const auto* v = row.if_contains(field);
  if (!v || (nullable && v->is_null()) || v->is_string()) return Status::Ok();
  return Bad(where, field, "must be a string");
}

Status CheckObject(const json::object& row, std::string_view where, std::string_view field) {
  const auto* v = row.if_contains(field);
  if (!v || v->is_null() || v->is_object()) return Status::Ok();
  return Bad(where, field, "must be an object");
}

Status CheckStringArray(const json::object& row, std::string_view where, std::string_view field) {
  const auto* v = row.if_contains(field);
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_array()) return Bad(where, field, "must be an array of strings");
  for (const auto& e : v->as_array())
    if (!e.is_string()) return Bad(where, field, "must be an array of strings");
  return Status::Ok();
}

Status CheckBool(const json::object& row, std::string_view where, std::string_view field) {
  const auto* v = row.if_contains(field);
  if (!v || v->is_null() || v->is_bool()) return Status::Ok();
  return Bad(where, field, "must be a boolean");
}

// Scores: name → number in [0, 1] or null; booleans become 0 / 1.
Status CheckScores(json::object& row, std::string_view where) {
  auto* v = row.if_contains("scores");
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_object()) return Bad(where, "scores", "must be an object of numbers between 0 and 1");
  for (auto& kv : v->as_object()) {
    json::value& s = kv.value();
    if (s.is_bool()) s = s.as_bool() ? 1 : 0;
    if (s.is_null()) continue;
    if (!s.is_number())
      return Bad(where, fmt::format("scores.{}", std::string_view(kv.key())),
                 "must be a number between 0 and 1 or null");
    double d = s.to_number<double>();
    if (!std::isfinite(d) || d < 0 || d > 1)
      return Bad(where, fmt::format("scores.{}", std::string_view(kv.key())), "must be between 0 and 1");
  }
  return Status::Ok();
}

Status CheckMetrics(const json::object& row, std::string_view where) {
  const auto* v = row.if_contains("metrics");
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_object()) return Bad(where, "metrics", "must be an object of numbers");
  for (const auto& kv : v->as_object()) {
    if (kv.value().is_null()) continue;
    if (!kv.value().is_number() || !std::isfinite(kv.value().to_number<double>()))
      return Bad(where, fmt::format("metrics.{}", std::string_view(kv.key())), "must be a number");
  }
  return Status::Ok();
}

Status CheckMergePaths(const json::object& row, std::string_view where) {
  const auto* v = row.if_contains("_merge_paths");
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_array()) return Bad(where, "_merge_paths", "must be an array of key paths");
  for (const auto& p : v->as_array()) {
    if (!p.is_array()) return Bad(where, "_merge_paths", "must be an array of key paths (arrays of strings)");
    for (const auto& k : p.as_array())
      if (!k.is_string()) return Bad(where, "_merge_paths", "must be an array of key paths (arrays of strings)");
  }
  return Status::Ok();
}

Status CheckArrayDelete(const json::object& row, std::string_view where) {
  const auto* v = row.if_contains("_array_delete");
  if (!v || v->is_null()) return Status::Ok();
  if (!v->is_array()) return Bad(where, "_array_delete", "must be an array of {path, delete}");
  for (const auto& spec : v->as_array()) {
    const json::object* o = spec.if_object();
    const json::value* path = o ? o->if_contains("path") : nullptr;
    const json::value* del = o ? o->if_contains("delete") : nullptr;
    bool ok = path && path->is_array() && del && del->is_array();
    for (const auto& k : ok ? path->as_array() : json::array()) ok = ok && k.is_string();
    if (!ok) return Bad(where, "_array_delete", "entries must be {\"path\": [keys], \"delete\": [values]}");
  }
  return Status::Ok();
}

std::string_view FieldFor(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kExperiment:
      return "experiment_id";
    case ObjectKind::kDataset:
      return "dataset_id";
    case ObjectKind::kProjectLogs:
      return "project_id";
    case ObjectKind::kPromptSession:
      return "prompt_session_id";
  }
  return "";
}

}  // namespace

std::string_view ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kExperiment:
      return "experiment";
    case ObjectKind::kDataset:
      return "dataset";
    case ObjectKind::kProjectLogs:
      return "project_logs";
    case ObjectKind::kPromptSession:
      return "prompt_session";
  }
  return "object";
}

std::optional<ObjectKind> ParseObjectKind(std::string_view name) {
  for (auto k : {ObjectKind::kExperiment, ObjectKind::kDataset, ObjectKind::kProjectLogs, ObjectKind::kPromptSession})
    if (name == ObjectKindName(k)) return k;
  return std::nullopt;
}

std::string ObjectRef::ObjectId() const { return fmt::format("{}:{}", ObjectKindName(kind), id); }

Result<ObjectRef> RowObject(const json::object& row, std::string_view where) {
  std::vector<ObjectRef> found;
  auto str = [&](std::string_view k) -> std::optional<std::string_view> {
    const auto* v = row.if_contains(k);
    if (v && v->is_string() && !v->as_string().empty()) return std::string_view(v->as_string());
    return std::nullopt;
  };
  for (auto k : {"experiment_id", "dataset_id", "prompt_session_id", "project_id", "log_id"}) {
    const auto* v = row.if_contains(k);
    if (v && !v->is_null() && !v->is_string()) return Bad(where, k, "must be a string");
  }
  std::optional<std::string_view> log_id = str("log_id");
  if (auto id = str("experiment_id")) found.push_back({ObjectKind::kExperiment, std::string(*id)});
  if (auto id = str("dataset_id")) found.push_back({ObjectKind::kDataset, std::string(*id)});
  if (auto id = str("prompt_session_id")) {
    if (log_id && *log_id != "x") return Bad(where, "log_id", "must be \"x\" with prompt_session_id");
    found.push_back({ObjectKind::kPromptSession, std::string(*id)});
  }
  if (log_id && *log_id == "g") {
    auto id = str("project_id");
    if (!id) return Bad(where, "project_id", "is required with log_id \"g\"");
    found.push_back({ObjectKind::kProjectLogs, std::string(*id)});
  } else if (log_id && *log_id != "x") {
    return Bad(where, "log_id", "must be \"g\" (project logs) or \"x\" (playground)");
  }
  if (found.empty())
    return InvalidArgument(
        "{} names no object: set experiment_id, dataset_id, project_id with log_id \"g\", or prompt_session_id with "
        "log_id \"x\"",
        where);
  if (found.size() > 1) return InvalidArgument("{} names more than one object", where);
  if (found[0].kind != ObjectKind::kPromptSession && !IsUuid(found[0].id))
    return Bad(where, FieldFor(found[0].kind), "must be a UUID");
  return found[0];
}

Status NormalizeRow(json::object& row, const ObjectRef& ref, std::string_view project_id, int64_t now_micros,
                    std::string_view where) {
  for (auto f : {"id", "span_id", "root_span_id", "created"}) TV_RETURN_IF_ERROR(CheckString(row, where, f));
  for (auto f : {"metadata", "span_attributes", "context", "origin", "comment"})
    TV_RETURN_IF_ERROR(CheckObject(row, where, f));
  for (auto f : {"tags", "span_parents"}) TV_RETURN_IF_ERROR(CheckStringArray(row, where, f));
  for (auto f : {"_is_merge", "_object_delete"}) TV_RETURN_IF_ERROR(CheckBool(row, where, f));
  TV_RETURN_IF_ERROR(CheckScores(row, where));
  TV_RETURN_IF_ERROR(CheckMetrics(row, where));
  TV_RETURN_IF_ERROR(CheckMergePaths(row, where));
  TV_RETURN_IF_ERROR(CheckArrayDelete(row, where));

  const auto* id = row.if_contains("id");
  if (!id || id->is_null() || id->as_string().empty()) {
    row["id"] = NewUuid();
  } else if (id->as_string().size() > 1024) {
    return Bad(where, "id", "must be at most 1024 characters");
  }
  row.erase("_xact_id");
  row.erase("is_root");
  row.erase("org_id");
  bool deleting = row.contains("_object_delete") && row["_object_delete"].is_bool() && row["_object_delete"].as_bool();
  const auto* created = row.if_contains("created");
  if (!deleting && (!created || created->is_null())) row["created"] = FormatTimestamp(now_micros);

  row[FieldFor(ref.kind)] = ref.id;
  if (ref.kind == ObjectKind::kProjectLogs) row["log_id"] = "g";
  if (ref.kind == ObjectKind::kPromptSession) row["log_id"] = "x";
  if (!project_id.empty()) row["project_id"] = project_id;
  if (ref.kind == ObjectKind::kDataset && !deleting && CommentTarget(row).empty()) {
    // Dataset rows have no spans, but readers expect span ids: the row's id.
    std::string rid(row["id"].as_string());
    for (auto f : {"span_id", "root_span_id"}) {
      const auto* v = row.if_contains(f);
      if (!v || v->is_null()) row[f] = rid;
    }
  }
  return Status::Ok();
}

Result<std::vector<json::object>> FeedbackRows(const json::object& item, ObjectKind kind, std::string_view where) {
  const auto* id = item.if_contains("id");
  if (!id || !id->is_string() || id->as_string().empty()) return Bad(where, "id", "is required (the row to annotate)");
  const auto* source = item.if_contains("source");
  std::string_view src = "external";
  if (source && !source->is_null()) {
    if (!source->is_string() ||
        (source->as_string() != "app" && source->as_string() != "api" && source->as_string() != "external"))
      return Bad(where, "source", "must be \"app\", \"api\" or \"external\"");
    src = source->as_string();
  }
  TV_RETURN_IF_ERROR(CheckObject(item, where, "metadata"));
  TV_RETURN_IF_ERROR(CheckStringArray(item, where, "tags"));
  if (kind == ObjectKind::kDataset && item.contains("scores"))
    return Bad(where, "scores", "is not accepted on datasets");
  json::object audit_meta;
  if (const auto* m = item.if_contains("metadata"); m && m->is_object()) audit_meta = m->as_object();

  std::vector<json::object> rows;
  json::object merge{{"id", *id}, {"_is_merge", true}, {"_audit_source", src}, {"_audit_metadata", audit_meta}};
  bool has_change = false;
  for (auto f : {"scores", "expected", "tags"}) {
    if (const auto* v = item.if_contains(f)) {
      merge[f] = *v;
      has_change = true;
    }
  }
  if (has_change) rows.push_back(std::move(merge));
  if (const auto* c = item.if_contains("comment"); c && !c->is_null()) {
    if (!c->is_string()) return Bad(where, "comment", "must be a string");
    rows.push_back(json::object{{"id", NewUuid()},
                                {"origin", json::object{{"id", *id}}},
                                {"comment", json::object{{"text", *c}}},
                                {"_audit_source", src},
                                {"_audit_metadata", audit_meta}});
  }
  if (rows.empty()) return InvalidArgument("{} has nothing to record: give scores, expected, tags or comment", where);
  return rows;
}

}  // namespace tv::store
