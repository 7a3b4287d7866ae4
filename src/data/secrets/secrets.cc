#include "data/secrets/secrets.h"

#include <boost/json/array.hpp>

#include "common/ids.h"
#include "meta/sealed_column.h"
#include "meta/sql_where.h"

namespace tv::data {
namespace {

constexpr std::string_view kKind = "env_var";
constexpr std::string_view kColumns =
    "SELECT id, object_type, object_id, name, created, secret_updated_at, secret_updated_by_user_id, used, "
    "metadata, preview_secret, secret_type, secret_category FROM env_vars";

std::string Context(std::string_view project_id, std::string_view id) {
  return crypto::SecretContext(kKind, "project:" + std::string(project_id), id);
}

meta::SealedColumn SealedEnvVars() {
  return {"env_vars", "secret_sealed", "object_id", std::string(kKind),
          [](const std::string& project_id, const std::string& id) { return Context(project_id, id); }};
}

json::value TextOrNull(const meta::Rows& rows, size_t i, std::string_view col) {
  auto v = rows.OptText(i, col);
  return v ? json::value(*v) : json::value(nullptr);
}

json::object ToObject(const meta::Rows& rows, size_t i) {
  json::object o;
  for (auto col : {"id", "object_type", "object_id", "name", "created", "secret_updated_at",
                   "secret_updated_by_user_id", "used", "preview_secret", "secret_type", "secret_category"})
    o[col] = TextOrNull(rows, i, col);
  o["metadata"] = nullptr;
  if (auto m = rows.OptText(i, "metadata"))
    if (auto parsed = ParseJsonObject(*m); parsed.ok()) o["metadata"] = std::move(*parsed);
  return o;
}

meta::SqlValue JsonOrNull(const json::value& v) { return v.is_null() ? meta::Null() : meta::SqlValue(ToJson(v)); }

Status CheckCategory(std::string_view c) {
  if (c == "env_var" || c == "ai_provider" || c == "sandbox_provider") return Status::Ok();
  return InvalidArgument("Field 'secret_category' must be one of env_var, ai_provider, sandbox_provider");
}

}  // namespace

std::string_view EnvVarSchemaSql() {
  return R"sql(
CREATE TABLE env_vars (
  id TEXT PRIMARY KEY,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  metadata TEXT,
  secret_type TEXT,
  secret_category TEXT NOT NULL,
  secret_sealed TEXT,
  preview_secret TEXT,
  created TEXT NOT NULL,
  secret_updated_at TEXT,
  secret_updated_by_user_id TEXT,
  used TEXT
);
CREATE UNIQUE INDEX env_vars_object_name ON env_vars(object_type, object_id, name);
CREATE INDEX env_vars_org_created ON env_vars(org_id, created, id);
)sql";
}

Result<EnvVarFields> ParseEnvVarFields(const json::object& body) {
  EnvVarFields f;
  if (auto it = body.find("name"); it != body.end()) {
    if (!it->value().is_string() || it->value().as_string().empty())
      return InvalidArgument("Field 'name' must be a non-empty string");
    f.name = std::string(it->value().as_string());
  }
  if (auto it = body.find("value"); it != body.end()) {
    if (it->value().is_null())
      f.value = std::optional<std::string>();
    else if (it->value().is_string())
      f.value = std::optional<std::string>(std::string(it->value().as_string()));
    else
      return InvalidArgument("Field 'value' must be a string");
  }
  if (auto it = body.find("metadata"); it != body.end()) {
    if (!it->value().is_null() && !it->value().is_object())
      return InvalidArgument("Field 'metadata' must be an object");
    f.metadata = it->value();
  }
  if (auto it = body.find("secret_type"); it != body.end()) {
    if (!it->value().is_null() && (!it->value().is_string() || it->value().as_string().empty()))
      return InvalidArgument("Field 'secret_type' must be a provider name such as 'openai'");
    f.secret_type = it->value();
  }
  if (auto it = body.find("secret_category"); it != body.end() && !it->value().is_null()) {
    if (!it->value().is_string()) return InvalidArgument("Field 'secret_category' must be a string");
    TV_RETURN_IF_ERROR(CheckCategory(it->value().as_string()));
    f.secret_category = std::string(it->value().as_string());
  }
  return f;
}

Secrets::Secrets(meta::MetaStore& db, ControlPlaneClient& control, const http::Tenancy& tenancy, const Clock& clock)
    : db_(db), control_(control), tenancy_(tenancy), clock_(clock) {}

Result<std::vector<std::string>> Secrets::AllSealed(meta::MetaStore& db) {
  return meta::SealedValues(db, SealedEnvVars());
}

Status Secrets::Enable(crypto::Keyring keys) {
  TV_ASSIGN_OR_RETURN(auto sealed, AllSealed(db_));
  TV_RETURN_IF_ERROR(crypto::CheckKeyIds(keys, sealed, "the data plane database"));
  keys_.emplace(std::move(keys));
  return Status::Ok();
}

Result<const crypto::Keyring*> Secrets::Keys() const {
  if (!keys_) return Unavailable("Secrets are unavailable: this data plane was started without a master key");
  return &*keys_;
}

Result<std::optional<json::object>> Secrets::Find(std::string_view id) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query(std::string(kColumns) + " WHERE id = $1", {std::string(id)}));
  if (rows.empty()) return std::optional<json::object>();
  return std::optional<json::object>(ToObject(rows, 0));
}

Result<std::vector<json::object>> Secrets::List(const EnvVarList& q) {
  meta::SqlWhere w;
  w.In("org_id", q.org_ids);
  if (q.object_id) w.Add("object_type = 'project'").Add("object_id = ?", {*q.object_id});
  if (q.name) w.Add("name = ?", {*q.name});
  if (!q.ids.empty()) w.In("id", q.ids);
  std::string sql = std::string(kColumns) + w.Sql() + " ORDER BY created DESC, id DESC LIMIT " + w.Bind(q.limit);
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query(sql, w.params()));
  std::vector<json::object> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(ToObject(rows, i));
  return out;
}

Status Secrets::WriteValue(meta::MetaStore& tx, const std::string& id, const std::string& project_id,
                           const std::optional<std::string>& value, const std::string& user_id) {
  TV_ASSIGN_OR_RETURN(const crypto::Keyring* keys, Keys());
  meta::SqlValue sealed = meta::Null(), preview = meta::Null();
  if (value) {
    TV_ASSIGN_OR_RETURN(std::string s, crypto::SealSecret(*keys, *value, Context(project_id, id)));
    sealed = std::move(s);
    preview = crypto::PreviewSecret(*value);
  }
  return tx
      .Execute(
          "UPDATE env_vars SET secret_sealed = $2, preview_secret = $3, secret_updated_at = $4, "
          "secret_updated_by_user_id = $5 WHERE id = $1",
          {id, sealed, preview, FormatTimestamp(clock_.NowMicros()),
           user_id.empty() ? meta::Null() : meta::SqlValue(user_id)})
      .status();
}

Result<std::pair<json::object, bool>> Secrets::Create(const std::string& org_id, const std::string& project_id,
                                                      const EnvVarFields& f, const std::string& user_id) {
  TV_RETURN_IF_ERROR(Keys().status());
  std::string id;
  bool existed = false;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(
        meta::Rows rows,
        tx.Query("SELECT id FROM env_vars WHERE object_type = 'project' AND object_id = $1 AND name = $2",
                 {project_id, *f.name}));
    if (!rows.empty()) {
      id = rows.Text(0, "id");
      existed = true;
      return Status::Ok();
    }
    id = NewUuid();
    json::value type = f.secret_type.value_or(nullptr);
    std::string category = f.secret_category.value_or(type.is_string() ? "ai_provider" : "env_var");
    TV_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO env_vars (id, object_type, object_id, org_id, name, metadata, secret_type, secret_category, "
        "created) VALUES ($1, 'project', $2, $3, $4, $5, $6, $7, $8)",
        {id, project_id, org_id, *f.name, JsonOrNull(f.metadata.value_or(nullptr)),
         type.is_string() ? meta::SqlValue(std::string(type.as_string())) : meta::Null(), category,
         FormatTimestamp(clock_.NowMicros())}));
    if (f.value && *f.value) TV_RETURN_IF_ERROR(WriteValue(tx, id, project_id, **f.value, user_id));
    return Status::Ok();
  }));
  TV_ASSIGN_OR_RETURN(auto obj, Find(id));
  if (!obj) return Internal("env_var '{}' vanished after its write", id);
  return std::make_pair(std::move(*obj), existed);
}

Result<json::object> Secrets::Replace(const std::string& org_id, const std::string& project_id, const EnvVarFields& f,
                                      const std::string& user_id) {
  TV_ASSIGN_OR_RETURN(auto created, Create(org_id, project_id, f, user_id));
  if (!created.second) return std::move(created.first);
  EnvVarFields all = f;
  all.name.reset();
  if (!all.metadata) all.metadata = json::value(nullptr);
  if (!all.secret_type) all.secret_type = json::value(nullptr);
  return Patch(created.first, all, user_id);
}

Result<json::object> Secrets::Patch(const json::object& existing, const EnvVarFields& f, const std::string& user_id) {
  TV_RETURN_IF_ERROR(Keys().status());
  std::string id = StringField(existing, "id"), project_id = StringField(existing, "object_id");
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    if (f.name && *f.name != StringField(existing, "name")) {
      TV_ASSIGN_OR_RETURN(meta::Rows clash, tx.Query("SELECT id FROM env_vars WHERE object_type = 'project' AND "
                                                     "object_id = $1 AND name = $2 AND id <> $3",
                                                     {project_id, *f.name, id}));
      if (!clash.empty()) return AlreadyExists("An env_var named '{}' already exists in this project", *f.name);
      TV_RETURN_IF_ERROR(tx.Execute("UPDATE env_vars SET name = $2 WHERE id = $1", {id, *f.name}));
    }
    if (f.metadata)
      TV_RETURN_IF_ERROR(tx.Execute("UPDATE env_vars SET metadata = $2 WHERE id = $1", {id, JsonOrNull(*f.metadata)}));
    if (f.secret_type)
      TV_RETURN_IF_ERROR(tx.Execute(
          "UPDATE env_vars SET secret_type = $2 WHERE id = $1",
          {id, f.secret_type->is_string() ? meta::SqlValue(std::string(f.secret_type->as_string())) : meta::Null()}));
    if (f.secret_category)
      TV_RETURN_IF_ERROR(
          tx.Execute("UPDATE env_vars SET secret_category = $2 WHERE id = $1", {id, *f.secret_category}));
    if (f.value) TV_RETURN_IF_ERROR(WriteValue(tx, id, project_id, *f.value, user_id));
    return Status::Ok();
  }));
  TV_ASSIGN_OR_RETURN(auto obj, Find(id));
  if (!obj) return NotFound("env_var '{}' not found", id);
  return std::move(*obj);
}

Status Secrets::Delete(std::string_view id) {
  return db_.Execute("DELETE FROM env_vars WHERE id = $1", {std::string(id)}).status();
}

Result<std::vector<ProviderSecret>> Secrets::ProjectSecrets(const std::string& project_id) {
  TV_ASSIGN_OR_RETURN(const crypto::Keyring* keys, Keys());
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db_.Query("SELECT id, name, secret_type, metadata, secret_sealed FROM env_vars WHERE "
                                "object_type = 'project' AND object_id = $1 AND secret_category = 'ai_provider' "
                                "ORDER BY name",
                                {project_id}));
  std::vector<ProviderSecret> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    TV_ASSIGN_OR_RETURN(ProviderSecret s,
                        meta::OpenProviderSecret(rows, i, *keys, SealedEnvVars(), "secret_type", project_id));
    s.project_level = true;
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<ProviderSecret>> Secrets::ResolveProviderSecrets(http::RequestContext& ctx, std::string_view org_id,
                                                                    std::optional<std::string_view> project_id) {
  if (!ctx.principal().FindOrg(std::string(org_id))) return NotFound("organization '{}' not found", org_id);
  std::vector<ProviderSecret> project;
  if (project_id) {
    TV_ASSIGN_OR_RETURN(ObjectInfo info, tenancy_.Require(ctx, ObjectType::kProject, *project_id));
    if (info.org_id != org_id) return NotFound("project '{}' not found", *project_id);
    TV_ASSIGN_OR_RETURN(project, ProjectSecrets(info.id));
  }
  TV_ASSIGN_OR_RETURN(std::vector<ProviderSecret> out, control_.OrgProviderSecrets(org_id, ctx.principal()));
  for (auto& p : project) {
    auto same = std::find_if(out.begin(), out.end(), [&](const ProviderSecret& o) { return o.name == p.name; });
    if (same != out.end())
      *same = std::move(p);
    else
      out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<std::string>> Secrets::FailingToOpen(meta::MetaStore& db, const crypto::Keyring& keys) {
  return meta::RowsFailingToOpen(db, keys, SealedEnvVars());
}

Result<size_t> Secrets::RewrapAll(meta::MetaStore& db, const crypto::Keyring& keys) {
  return meta::RewrapColumn(db, keys, SealedEnvVars());
}

}  // namespace tv::data
