#include "control/object_table.h"

#include <algorithm>

namespace tv::control {
namespace {

meta::SqlValue ToSqlValue(const Column& c, const json::object& obj) {
  auto it = obj.find(c.field);
  if (it == obj.end() || it->value().is_null()) return meta::Null();
  const json::value& v = it->value();
  switch (c.kind) {
    case ColumnKind::kText:
      return v.is_string() ? meta::SqlValue(std::string(v.as_string())) : meta::SqlValue(ToJson(v));
    case ColumnKind::kJson:
      return meta::SqlValue(ToJson(v));
    case ColumnKind::kBool:
      return meta::SqlValue(int64_t{v.is_bool() && v.as_bool() ? 1 : 0});
  }
  return meta::Null();
}

}  // namespace

ObjectTable::ObjectTable(TableSpec spec) : spec_(std::move(spec)) {
  select_ = "SELECT ";
  for (size_t i = 0; i < spec_.columns.size(); ++i) {
    if (i) select_ += ", ";
    select_ += spec_.columns[i].name;
  }
  select_ += " FROM " + std::string(spec_.table);
}

json::object ObjectTable::ToObject(const meta::Rows& rows, size_t i) const {
  json::object o;
  for (const auto& c : spec_.columns) {
    auto text = rows.OptText(i, c.name);
    if (!text) {
      o[c.field] = nullptr;
      continue;
    }
    switch (c.kind) {
      case ColumnKind::kText:
        o[c.field] = *text;
        break;
      case ColumnKind::kBool:
        o[c.field] = rows.Int(i, c.name) != 0;
        break;
      case ColumnKind::kJson: {
        auto parsed = ParseJson(*text);
        o[c.field] = parsed.ok() ? std::move(*parsed) : json::value(nullptr);
        break;
      }
    }
  }
  return o;
}

meta::SqlWhere ObjectTable::LiveScope(const std::function<void(meta::SqlWhere&)>& scope) const {
  meta::SqlWhere w;
  if (spec_.soft_delete) w.Add("deleted_at IS NULL");
  if (scope) scope(w);
  return w;
}

Result<std::optional<json::object>> ObjectTable::FindWhere(meta::MetaStore& db, const meta::SqlWhere& where) const {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db.Query(select_ + where.Sql() + " ORDER BY created DESC, id DESC LIMIT 1", where.params()));
  if (rows.empty()) return std::optional<json::object>();
  return std::optional<json::object>(ToObject(rows, 0));
}

Result<std::optional<json::object>> ObjectTable::Find(meta::MetaStore& db, std::string_view id) const {
  return FindWhere(db, LiveScope([&](meta::SqlWhere& w) { w.Add("id = ?", {std::string(id)}); }));
}

Result<json::object> ObjectTable::Get(meta::MetaStore& db, std::string_view id, std::string_view type_name) const {
  TV_ASSIGN_OR_RETURN(auto found, Find(db, id));
  if (!found) return NotFound("{} '{}' not found", type_name, id);
  return std::move(*found);
}

Status ObjectTable::Insert(meta::MetaStore& db, const json::object& obj) const {
  std::string cols, marks;
  meta::SqlParams params;
  for (size_t i = 0; i < spec_.columns.size(); ++i) {
    if (i) {
      cols += ", ";
      marks += ", ";
    }
    cols += spec_.columns[i].name;
    marks += "$" + std::to_string(i + 1);
    params.push_back(ToSqlValue(spec_.columns[i], obj));
  }
  return db.Execute("INSERT INTO " + std::string(spec_.table) + " (" + cols + ") VALUES (" + marks + ")", params)
      .status();
}

Status ObjectTable::Update(meta::MetaStore& db, const json::object& obj) const {
  std::string sets;
  meta::SqlParams params;
  params.push_back(ToSqlValue(spec_.columns[0], obj));  // id
  for (size_t i = 1; i < spec_.columns.size(); ++i) {
    if (i > 1) sets += ", ";
    sets += std::string(spec_.columns[i].name) + " = $" + std::to_string(i + 1);
    params.push_back(ToSqlValue(spec_.columns[i], obj));
  }
  return db.Execute("UPDATE " + std::string(spec_.table) + " SET " + sets + " WHERE id = $1", params).status();
}

Result<std::vector<json::object>> ObjectTable::List(meta::MetaStore& db,
                                                    const std::function<void(meta::SqlWhere&)>& scope,
                                                    const ListQuery& q) const {
  meta::SqlWhere where = LiveScope(scope);
  if (!q.ids.empty()) where.In("id", q.ids);
  bool backwards = false;
  const std::optional<std::string>& anchor_id = q.starting_after ? q.starting_after : q.ending_before;
  if (anchor_id) {
    meta::SqlWhere anchor_where = LiveScope(scope);
    anchor_where.Add("id = ?", {*anchor_id});
    TV_ASSIGN_OR_RETURN(auto anchor, FindWhere(db, anchor_where));
    if (!anchor) return InvalidArgument("Pagination cursor '{}' does not name an object in this list", *anchor_id);
    std::string created(anchor->at("created").as_string());
    backwards = !q.starting_after.has_value();
    const char* cond =
        backwards ? "(created > ? OR (created = ? AND id > ?))" : "(created < ? OR (created = ? AND id < ?))";
    where.Add(cond, {created, created, *anchor_id});
  }
  std::string order = backwards ? " ORDER BY created ASC, id ASC" : " ORDER BY created DESC, id DESC";
  std::string limit = " LIMIT " + where.Bind(q.limit);
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db.Query(select_ + where.Sql() + order + limit, where.params()));
  std::vector<json::object> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(ToObject(rows, i));
  if (backwards) std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace tv::control
