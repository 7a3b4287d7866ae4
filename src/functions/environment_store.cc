#include "functions/environment_store.h"

#include "common/ids.h"
#include "meta/sql_where.h"

namespace tv::functions {
namespace {

constexpr std::string_view kEnvColumns = "id, org_id, name, slug, description, created";
constexpr std::string_view kAssignmentColumns =
    "a.object_type, a.object_id, a.environment_id, e.slug AS environment_slug, a.object_version, a.org_id, a.created";

std::vector<json::object> Environments(const meta::Rows& rows) {
  std::vector<json::object> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto description = rows.OptText(i, "description");
    out.push_back(json::object{{"id", rows.Text(i, "id")},
                               {"org_id", rows.Text(i, "org_id")},
                               {"name", rows.Text(i, "name")},
                               {"slug", rows.Text(i, "slug")},
                               {"description", description ? json::value(*description) : json::value(nullptr)},
                               {"created", rows.Text(i, "created")},
                               {"deleted_at", nullptr}});
  }
  return out;
}

std::vector<json::object> AssignmentObjects(const meta::Rows& rows) {
  std::vector<json::object> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    out.push_back(
        json::object{{"object_type", rows.Text(i, "object_type")},
                     {"object_id", rows.Text(i, "object_id")},
                     {"environment_id", rows.Text(i, "environment_id")},
                     {"environment_slug", rows.Text(i, "environment_slug")},
                     {"object_version", store::FormatXact(static_cast<store::XactId>(rows.Int(i, "object_version")))},
                     {"org_id", rows.Text(i, "org_id")},
                     {"created", rows.Text(i, "created")}});
  }
  return out;
}

std::optional<json::object> FirstOf(std::vector<json::object> objects) {
  if (objects.empty()) return std::nullopt;
  return std::move(objects.front());
}

Result<std::optional<json::object>> GetIn(meta::MetaStore& db, std::string_view id) {
  TV_ASSIGN_OR_RETURN(
      meta::Rows rows,
      db.Query("SELECT " + std::string(kEnvColumns) + " FROM environments WHERE id = $1", {std::string(id)}));
  return FirstOf(Environments(rows));
}

Result<std::optional<json::object>> BySlugIn(meta::MetaStore& db, std::string_view org_id, std::string_view slug) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db.Query("SELECT " + std::string(kEnvColumns) +
                                                    " FROM environments WHERE org_id = $1 AND slug = $2",
                                                {std::string(org_id), std::string(slug)}));
  return FirstOf(Environments(rows));
}

Result<std::optional<json::object>> AssignmentIn(meta::MetaStore& db, const std::string& env_id,
                                                 std::string_view object_id) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db.Query("SELECT " + std::string(kAssignmentColumns) +
                                   " FROM environment_objects a JOIN environments e ON e.id = a.environment_id "
                                   "WHERE a.environment_id = $1 AND a.object_id = $2",
                               {env_id, std::string(object_id)}));
  return FirstOf(AssignmentObjects(rows));
}

}  // namespace

Result<std::optional<json::object>> EnvironmentStore::Get(std::string_view id) { return GetIn(db_, id); }

Result<std::optional<json::object>> EnvironmentStore::BySlug(std::string_view org_id, std::string_view slug) {
  return BySlugIn(db_, org_id, slug);
}

Result<std::vector<json::object>> EnvironmentStore::List(const std::vector<std::string>& org_ids,
                                                         const std::vector<std::string>& ids,
                                                         const std::optional<std::string>& name) {
  meta::SqlWhere w;
  w.In("org_id", org_ids);
  if (!ids.empty()) w.In("id", ids);
  if (name) w.Add("name = ?", {*name});
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT " + std::string(kEnvColumns) + " FROM environments" + w.Sql() +
                                                     " ORDER BY created DESC, id DESC",
                                                 w.params()));
  return Environments(rows);
}

Result<EnvironmentWrite> EnvironmentStore::Ensure(const std::string& org_id, const std::string& name,
                                                  const std::string& slug,
                                                  const std::optional<std::string>& description) {
  EnvironmentWrite out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(auto existing, BySlugIn(tx, org_id, slug));
    if (existing) {
      out = {std::move(*existing), true};
      return Status::Ok();
    }
    std::string id = NewUuid();
    TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO environments (id, org_id, name, slug, description, created) "
                                  "VALUES ($1, $2, $3, $4, $5, $6)",
                                  {id, org_id, name, slug, meta::Opt(description), FormatTimestamp(clock_.NowMicros())})
                           .status());
    TV_ASSIGN_OR_RETURN(auto created, GetIn(tx, id));
    out = {std::move(*created), false};
    return Status::Ok();
  }));
  return out;
}

Result<json::object> EnvironmentStore::Patch(std::string_view id, const json::object& patch) {
  json::object out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(auto env, GetIn(tx, id));
    if (!env) return NotFound("environment '{}' not found", id);
    for (const auto& kv : patch) (*env)[kv.key()] = kv.value();
    std::string slug = StringField(*env, "slug");
    TV_ASSIGN_OR_RETURN(auto taken, BySlugIn(tx, StringField(*env, "org_id"), slug));
    if (taken && StringField(*taken, "id") != id)
      return AlreadyExists("An environment with slug '{}' already exists", slug);
    const json::value& d = env->at("description");
    TV_RETURN_IF_ERROR(tx.Execute("UPDATE environments SET name = $2, slug = $3, description = $4 WHERE id = $1",
                                  {std::string(id), StringField(*env, "name"), slug,
                                   d.is_string() ? meta::SqlValue(std::string(d.as_string())) : meta::Null()})
                           .status());
    out = std::move(*env);
    return Status::Ok();
  }));
  return out;
}

Result<json::object> EnvironmentStore::Delete(std::string_view id) {
  json::object out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(auto env, GetIn(tx, id));
    if (!env) return NotFound("environment '{}' not found", id);
    TV_RETURN_IF_ERROR(
        tx.Execute("DELETE FROM environment_objects WHERE environment_id = $1", {std::string(id)}).status());
    TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM environments WHERE id = $1", {std::string(id)}).status());
    out = std::move(*env);
    return Status::Ok();
  }));
  return out;
}

Result<json::object> EnvironmentStore::Assign(const json::object& env, std::string_view object_id,
                                              store::XactId version) {
  std::string env_id = StringField(env, "id");
  json::object out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO environment_objects (environment_id, object_id, object_type, org_id, "
                                  "object_version, created) VALUES ($1, $2, 'function', $3, $4, $5) "
                                  "ON CONFLICT (environment_id, object_id) DO UPDATE SET object_version = $4",
                                  {env_id, std::string(object_id), StringField(env, "org_id"),
                                   static_cast<int64_t>(version), FormatTimestamp(clock_.NowMicros())})
                           .status());
    TV_ASSIGN_OR_RETURN(auto a, AssignmentIn(tx, env_id, object_id));
    if (!a) return Internal("environment assignment vanished inside its transaction");
    out = std::move(*a);
    return Status::Ok();
  }));
  return out;
}

Result<std::optional<json::object>> EnvironmentStore::Assignment(const json::object& env, std::string_view object_id) {
  return AssignmentIn(db_, StringField(env, "id"), object_id);
}

Result<std::vector<json::object>> EnvironmentStore::Assignments(std::string_view object_id) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db_.Query("SELECT " + std::string(kAssignmentColumns) +
                                    " FROM environment_objects a JOIN environments e ON e.id = a.environment_id "
                                    "WHERE a.object_id = $1 ORDER BY e.slug",
                                {std::string(object_id)}));
  return AssignmentObjects(rows);
}

Result<std::optional<json::object>> EnvironmentStore::Unassign(const json::object& env, std::string_view object_id) {
  std::optional<json::object> out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(out, AssignmentIn(tx, StringField(env, "id"), object_id));
    if (!out) return Status::Ok();
    return tx
        .Execute("DELETE FROM environment_objects WHERE environment_id = $1 AND object_id = $2",
                 {StringField(env, "id"), std::string(object_id)})
        .status();
  }));
  return out;
}

}  // namespace tv::functions
