#include "store/merge.h"

#include <array>
#include <vector>

#include <boost/json/array.hpp>

namespace tv::store {
namespace {

using Path = std::vector<std::string_view>;

constexpr std::array<std::string_view, 3> kKeptOnMerge = {"created", "span_id", "root_span_id"};

bool IsMergePath(const std::vector<Path>& merge_paths, const Path& path) {
  for (const auto& p : merge_paths)
    if (p == path) return true;
  return false;
}

void MergeInto(json::object& target, const json::object& patch, Path& path, const std::vector<Path>& merge_paths) {
  for (const auto& kv : patch) {
    path.push_back(kv.key());
    auto it = target.find(kv.key());
    if (it != target.end() && it->value().is_object() && kv.value().is_object() && !IsMergePath(merge_paths, path)) {
      MergeInto(it->value().as_object(), kv.value().as_object(), path, merge_paths);
    } else {
      target[kv.key()] = kv.value();
    }
    path.pop_back();
  }
}

std::vector<Path> MergePaths(const json::object& version) {
  std::vector<Path> out;
  auto it = version.find("_merge_paths");
  if (it == version.end() || !it->value().is_array()) return out;
  for (const auto& p : it->value().as_array()) {
    if (!p.is_array()) continue;
    Path path;
    for (const auto& k : p.as_array())
      if (k.is_string()) path.push_back(k.as_string());
    out.push_back(std::move(path));
  }
  return out;
}

void UnionTags(json::object& row, const json::value& incoming) {
  auto it = row.find("tags");
  if (it == row.end() || !it->value().is_array() || !incoming.is_array()) {
    row["tags"] = incoming;
    return;
  }
  json::array& tags = it->value().as_array();
  for (const auto& t : incoming.as_array()) {
    bool seen = false;
    for (const auto& e : tags) seen = seen || e == t;
    if (!seen) tags.push_back(t);
  }
}

json::value* Navigate(json::object& row, const json::array& path) {
  json::value* cur = nullptr;
  json::object* obj = &row;
  for (const auto& k : path) {
    if (!obj || !k.is_string()) return nullptr;
    auto it = obj->find(k.as_string());
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    obj = cur->is_object() ? &cur->as_object() : nullptr;
  }
  return cur;
}

void ApplyArrayDeletes(json::object& row, const json::object& version) {
  auto it = version.find("_array_delete");
  if (it == version.end() || !it->value().is_array()) return;
  for (const auto& spec : it->value().as_array()) {
    if (!spec.is_object()) continue;
    const auto* path = spec.as_object().if_contains("path");
    const auto* del = spec.as_object().if_contains("delete");
    if (!path || !path->is_array() || !del || !del->is_array()) continue;
    json::value* target = Navigate(row, path->as_array());
    if (!target || !target->is_array()) continue;
    json::array kept;
    for (const auto& e : target->as_array()) {
      bool drop = false;
      for (const auto& d : del->as_array()) drop = drop || e == d;
      if (!drop) kept.push_back(e);
    }
    *target = std::move(kept);
  }
}

bool Truthy(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

}  // namespace

bool IsControlField(std::string_view key) {
  return key == "_is_merge" || key == "_merge_paths" || key == "_array_delete" || key == "_object_delete" ||
         key == "_audit_source" || key == "_audit_metadata" || key == "_parent_id" || key == "_async_scoring_control" ||
         key == "_skip_async_scoring" || key == "_xact_id";
}

std::string_view CommentTarget(const json::object& row) {
  if (row.contains("span_id")) return {};
  const auto* comment = row.if_contains("comment");
  const auto* origin = row.if_contains("origin");
  if (!comment || comment->is_null() || !origin || !origin->is_object()) return {};
  const auto* id = origin->as_object().if_contains("id");
  if (!id || !id->is_string()) return {};
  return id->as_string();
}

RowPtr ApplyVersion(const json::object* prev, const json::object& version, XactId xact) {
  if (Truthy(version, "_object_delete")) return nullptr;
  auto out = std::make_shared<json::object>();
  if (prev && Truthy(version, "_is_merge")) {
    *out = *prev;
    std::vector<Path> merge_paths = MergePaths(version);
    Path path;
    for (const auto& kv : version) {
      std::string_view k = kv.key();
      if (IsControlField(k) || k == "is_root") continue;
      // A merge never moves a span: `created` and the span ids stay once set,
      // and the parents stay as they are (absent parents mean a root).
      bool kept = k == "span_parents";
      for (auto keep : kKeptOnMerge) kept = kept || (k == keep && out->contains(k));
      if (kept) continue;
      if (k == "tags") {
        UnionTags(*out, kv.value());
        continue;
      }
      path.assign(1, k);
      auto it = out->find(k);
      if (it != out->end() && it->value().is_object() && kv.value().is_object() && !IsMergePath(merge_paths, path)) {
        MergeInto(it->value().as_object(), kv.value().as_object(), path, merge_paths);
      } else {
        (*out)[k] = kv.value();
      }
    }
    ApplyArrayDeletes(*out, version);
  } else {
    // A comment keeps who wrote it: its audit fields are part of what is listed.
    bool is_comment = !CommentTarget(version).empty();
    for (const auto& kv : version) {
      bool audit = kv.key() == "_audit_source" || kv.key() == "_audit_metadata";
      if ((!IsControlField(kv.key()) || (is_comment && audit)) && kv.key() != "is_root") (*out)[kv.key()] = kv.value();
    }
    if (prev) {
      if (const auto* created = prev->if_contains("created")) (*out)["created"] = *created;
    }
    if (Truthy(version, "_is_merge")) ApplyArrayDeletes(*out, version);
  }
  (*out)["_xact_id"] = FormatXact(xact);
  const auto* parents = out->if_contains("span_parents");
  (*out)["is_root"] = !parents || parents->is_null() || (parents->is_array() && parents->as_array().empty());
  return out;
}

}  // namespace tv::store
