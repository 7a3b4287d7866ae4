#include "functions/function_store.h"

#include <spdlog/spdlog.h>

#include "common/ids.h"
#include "meta/sql_where.h"

namespace tv::functions {
namespace {

constexpr int kWriteAttempts = 4;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE functions (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  slug TEXT NOT NULL,
  xact_id BIGINT NOT NULL,
  created TEXT NOT NULL
);
CREATE UNIQUE INDEX functions_project_slug ON functions (project_id, slug);
CREATE TABLE function_versions (
  xact_id BIGINT PRIMARY KEY,
  function_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  function_type TEXT,
  deleted INTEGER NOT NULL DEFAULT 0,
  created TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX function_versions_by_function ON function_versions (function_id, xact_id);
CREATE INDEX function_versions_by_project ON function_versions (project_id, xact_id);
CREATE TABLE environments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  description TEXT,
  created TEXT NOT NULL
);
CREATE UNIQUE INDEX environments_org_slug ON environments (org_id, slug);
CREATE TABLE environment_objects (
  environment_id TEXT NOT NULL,
  object_id TEXT NOT NULL,
  object_type TEXT NOT NULL,
  org_id TEXT NOT NULL,
  object_version BIGINT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY (environment_id, object_id)
);
CREATE INDEX environment_objects_by_object ON environment_objects (object_id);
)sql";

constexpr std::string_view kVersionColumns =
    "v.xact_id, v.function_id, v.org_id, v.project_id, v.slug, v.name, v.kind, v.created, v.deleted, v.body";

// The body of version `i`. A body an older build stored with a number JSON
// cannot carry (`Infinity`) no longer parses: such a version is served as its
// indexed columns alone, flagged, so lists keep working and the function can
// still be patched, replaced or deleted.
json::object VersionBody(const meta::Rows& rows, size_t i) {
  Result<json::object> body = ParseJsonObject(rows.Text(i, "body"));
  if (body.ok()) return std::move(*body);
  spdlog::warn("function {} version {}: stored body does not decode ({}); serving its columns only",
               rows.Text(i, "function_id"), rows.Int(i, "xact_id"), body.status().message());
  return json::object{{"id", rows.Text(i, "function_id")},
                      {"_xact_id", store::FormatXact(static_cast<store::XactId>(rows.Int(i, "xact_id")))},
                      {"org_id", rows.Text(i, "org_id")},
                      {"project_id", rows.Text(i, "project_id")},
                      {"log_id", "p"},
                      {"slug", rows.Text(i, "slug")},
                      {"name", rows.Text(i, "name")},
                      {"created", rows.Text(i, "created")},
                      {"metadata", json::object{{"_tracevault_undecodable_body", true}}}};
}

Result<std::vector<FunctionVersion>> ToVersions(const meta::Rows& rows) {
  std::vector<FunctionVersion> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    FunctionVersion v;
    v.xact = static_cast<store::XactId>(rows.Int(i, "xact_id"));
    v.function_id = rows.Text(i, "function_id");
    v.org_id = rows.Text(i, "org_id");
    v.project_id = rows.Text(i, "project_id");
    v.kind = rows.Text(i, "kind");
    v.deleted = rows.Int(i, "deleted") != 0;
    v.row = VersionBody(rows, i);
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::optional<FunctionVersion>> First(meta::MetaStore& db, std::string_view sql, const meta::SqlParams& p) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db.Query(sql, p));
  TV_ASSIGN_OR_RETURN(auto versions, ToVersions(rows));
  if (versions.empty()) return std::optional<FunctionVersion>();
  return std::optional<FunctionVersion>(std::move(versions.front()));
}

Result<std::optional<FunctionVersion>> CurrentIn(meta::MetaStore& db, std::string_view id) {
  return First(db,
               "SELECT " + std::string(kVersionColumns) +
                   " FROM functions f JOIN function_versions v ON v.xact_id = f.xact_id WHERE f.id = $1",
               {std::string(id)});
}

Result<std::optional<FunctionVersion>> BySlugIn(meta::MetaStore& db, const std::string& project_id,
                                                const std::string& slug) {
  return First(db,
               "SELECT " + std::string(kVersionColumns) +
                   " FROM functions f JOIN function_versions v ON v.xact_id = f.xact_id "
                   "WHERE f.project_id = $1 AND f.slug = $2",
               {project_id, slug});
}

// The conditions every list shares, on the versions alias `v`.
void AddFilters(meta::SqlWhere& w, const FunctionQuery& q) {
  w.In("v.org_id", q.org_ids);
  if (!q.project_ids.empty()) w.In("v.project_id", q.project_ids);
  if (!q.ids.empty()) w.In("v.function_id", q.ids);
  if (q.slug) w.Add("v.slug = ?", {*q.slug});
  if (q.name) w.Add("v.name = ?", {*q.name});
  if (q.function_type) w.Add("v.function_type = ?", {*q.function_type});
  if (q.prompts_only) w.Add("v.kind = 'prompt'");
}

// Live functions now, or the newest live version of each at q.as_of.
void AddLiveScope(meta::SqlWhere& w, const FunctionQuery& q) {
  AddFilters(w, q);
  if (q.as_of) {
    w.Add(
        "v.xact_id = (SELECT MAX(w.xact_id) FROM function_versions w WHERE w.function_id = v.function_id "
        "AND w.xact_id <= ?)",
        {static_cast<int64_t>(*q.as_of)});
    w.Add("v.deleted = 0");
  } else {
    w.Add("v.xact_id IN (SELECT xact_id FROM functions)");
  }
}

// Appends one version row; `row` is the body the API returns for it.
Status InsertVersion(meta::MetaStore& tx, store::XactId xact, const FunctionVersion& base, const json::object& row,
                     bool deleted) {
  const json::value* type = row.if_contains("function_type");
  return tx
      .Execute(
          "INSERT INTO function_versions (xact_id, function_id, org_id, project_id, slug, name, kind, "
          "function_type, deleted, created, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
          {static_cast<int64_t>(xact), base.function_id, base.org_id, base.project_id, StringField(row, "slug"),
           StringField(row, "name"), FunctionKind(row),
           type && type->is_string() ? meta::SqlValue(std::string(type->as_string())) : meta::Null(),
           int64_t{deleted ? 1 : 0}, StringField(row, "created"), ToJson(row)})
      .status();
}

}  // namespace

std::string_view FunctionSchemaSql() { return kSchema; }

Status FunctionStore::Retrying(const std::function<Status(meta::MetaStore&)>& fn) {
  Status s;
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    s = db_.Transaction(fn);
    // A constraint hit means a concurrent writer took our xact id or slug;
    // the next attempt sees its commit.
    if (s.code() != StatusCode::kAlreadyExists || s.message().rfind("constraint", 0) != 0) return s;
  }
  return s;
}

Result<std::optional<FunctionVersion>> FunctionStore::Current(std::string_view id) { return CurrentIn(db_, id); }

Result<std::optional<FunctionVersion>> FunctionStore::AsOf(std::string_view id, store::XactId as_of) {
  TV_ASSIGN_OR_RETURN(auto v, First(db_,
                                    "SELECT " + std::string(kVersionColumns) +
                                        " FROM function_versions v WHERE v.function_id = $1 AND v.xact_id <= $2 "
                                        "ORDER BY v.xact_id DESC LIMIT 1",
                                    {std::string(id), static_cast<int64_t>(as_of)}));
  if (v && v->deleted) return std::optional<FunctionVersion>();
  return v;
}

Result<std::optional<std::string>> FunctionStore::OrgOf(std::string_view id) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT org_id FROM function_versions WHERE function_id = $1 LIMIT 1",
                                                 {std::string(id)}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(rows.Text(0, "org_id"));
}

Result<bool> FunctionStore::HasVersion(std::string_view id, store::XactId xact) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db_.Query("SELECT 1 AS ok FROM function_versions WHERE function_id = $1 AND xact_id = $2 "
                                "AND deleted = 0",
                                {std::string(id), static_cast<int64_t>(xact)}));
  return !rows.empty();
}

Result<std::vector<FunctionVersion>> FunctionStore::List(const FunctionQuery& q) {
  meta::SqlWhere w;
  AddLiveScope(w, q);
  bool backwards = q.ending_before.has_value();
  if (const auto& anchor = q.starting_after ? q.starting_after : q.ending_before) {
    meta::SqlWhere aw;
    AddLiveScope(aw, q);
    aw.Add("v.function_id = ?", {*anchor});
    TV_ASSIGN_OR_RETURN(meta::Rows a, db_.Query("SELECT v.created FROM function_versions v" + aw.Sql(), aw.params()));
    if (a.empty()) return InvalidArgument("Pagination cursor '{}' does not name an object in this list", *anchor);
    std::string created = a.Text(0, "created");
    w.Add(backwards ? "(v.created > ? OR (v.created = ? AND v.function_id > ?))"
                    : "(v.created < ? OR (v.created = ? AND v.function_id < ?))",
          {created, created, *anchor});
  }
  std::string sql =
      "SELECT " + std::string(kVersionColumns) + " FROM function_versions v" + w.Sql() +
      (backwards ? " ORDER BY v.created ASC, v.function_id ASC" : " ORDER BY v.created DESC, v.function_id DESC");
  if (q.limit) sql += " LIMIT " + w.Bind(*q.limit);
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query(sql, w.params()));
  TV_ASSIGN_OR_RETURN(auto out, ToVersions(rows));
  if (backwards) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<FunctionVersion>> FunctionStore::History(const FunctionQuery& q) {
  meta::SqlWhere w;
  AddFilters(w, q);
  if (q.as_of) w.Add("v.xact_id <= ?", {static_cast<int64_t>(*q.as_of)});
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT " + std::string(kVersionColumns) +
                                                     " FROM function_versions v" + w.Sql() + " ORDER BY v.xact_id DESC",
                                                 w.params()));
  return ToVersions(rows);
}

Result<store::XactId> FunctionStore::NextXact(meta::MetaStore& tx) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, tx.Query("SELECT MAX(xact_id) AS last FROM function_versions"));
  store::XactAllocator alloc(static_cast<store::XactId>(rows.Int(0, "last")));
  return alloc.Next(clock_.NowMicros());
}

// Appends a version of `base` (its id, org, project, created) with `fields`,
// and points the head at it.
Result<json::object> FunctionStore::WriteVersion(meta::MetaStore& tx, const FunctionVersion& base,
                                                 const json::object& fields, bool is_new) {
  TV_ASSIGN_OR_RETURN(store::XactId xact, NextXact(tx));
  std::string created = is_new ? FormatTimestamp(clock_.NowMicros()) : StringField(base.row, "created");
  json::object row =
      BuildFunctionRow({base.function_id, store::FormatXact(xact), base.project_id, base.org_id, created}, fields);
  std::string slug = StringField(fields, "slug");
  TV_RETURN_IF_ERROR(InsertVersion(tx, xact, base, row, false));
  if (is_new) {
    TV_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO functions (id, org_id, project_id, slug, xact_id, created) "
                   "VALUES ($1, $2, $3, $4, $5, $6)",
                   {base.function_id, base.org_id, base.project_id, slug, static_cast<int64_t>(xact), created})
            .status());
  } else {
    TV_RETURN_IF_ERROR(tx.Execute("UPDATE functions SET slug = $2, xact_id = $3 WHERE id = $1",
                                  {base.function_id, slug, static_cast<int64_t>(xact)})
                           .status());
  }
  return row;
}

Result<WriteOutcome> FunctionStore::PutIn(meta::MetaStore& tx, const OwnedSpec& owned) {
  const FunctionSpec& spec = owned.spec;
  TV_ASSIGN_OR_RETURN(auto existing, BySlugIn(tx, spec.project_id, spec.slug));
  WriteOutcome out;
  if (existing) {
    if (spec.if_exists == IfExists::kError)
      return AlreadyExists("A function with slug '{}' already exists in project '{}'", spec.slug, spec.project_id);
    if (spec.if_exists == IfExists::kIgnore) {
      out.row = std::move(existing->row);
      out.found_existing = true;
      return out;
    }
    TV_ASSIGN_OR_RETURN(out.row, WriteVersion(tx, *existing, spec.fields, false));
    return out;
  }
  FunctionVersion base;
  base.function_id = NewUuid();
  base.org_id = owned.org_id;
  base.project_id = spec.project_id;
  TV_ASSIGN_OR_RETURN(out.row, WriteVersion(tx, base, spec.fields, true));
  return out;
}

Result<WriteOutcome> FunctionStore::Put(const OwnedSpec& spec) {
  WriteOutcome out;
  TV_RETURN_IF_ERROR(Retrying([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(out, PutIn(tx, spec));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<WriteOutcome>> FunctionStore::PutAll(const std::vector<OwnedSpec>& specs) {
  std::vector<WriteOutcome> out;
  TV_RETURN_IF_ERROR(Retrying([&](meta::MetaStore& tx) -> Status {
    out.clear();
    for (const auto& spec : specs) {
      TV_ASSIGN_OR_RETURN(WriteOutcome one, PutIn(tx, spec));
      out.push_back(std::move(one));
    }
    return Status::Ok();
  }));
  return out;
}

Result<json::object> FunctionStore::Patch(std::string_view id, const json::object& patch) {
  json::object row;
  TV_RETURN_IF_ERROR(Retrying([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(auto current, CurrentIn(tx, id));
    if (!current) return NotFound("function '{}' not found", id);
    json::object fields = ContentFields(current->row);
    MergeFunctionPatch(fields, patch);
    std::string slug = StringField(fields, "slug");
    if (slug != StringField(current->row, "slug")) {
      TV_ASSIGN_OR_RETURN(auto taken, BySlugIn(tx, current->project_id, slug));
      if (taken) return AlreadyExists("A function with slug '{}' already exists in this project", slug);
    }
    TV_ASSIGN_OR_RETURN(row, WriteVersion(tx, *current, fields, false));
    return Status::Ok();
  }));
  return row;
}

Result<json::object> FunctionStore::Delete(std::string_view id) {
  json::object row;
  TV_RETURN_IF_ERROR(Retrying([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(auto current, CurrentIn(tx, id));
    if (!current) return NotFound("function '{}' not found", id);
    row = current->row;
    TV_ASSIGN_OR_RETURN(store::XactId xact, NextXact(tx));
    json::object tombstone = current->row;
    tombstone["_xact_id"] = store::FormatXact(xact);
    tombstone["_object_delete"] = true;
    TV_RETURN_IF_ERROR(InsertVersion(tx, xact, *current, tombstone, true));
    TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM environment_objects WHERE object_id = $1", {std::string(id)}).status());
    return tx.Execute("DELETE FROM functions WHERE id = $1", {std::string(id)}).status();
  }));
  return row;
}

}  // namespace tv::functions
