#include "control/ai_secrets.h"

#include <boost/json/array.hpp>

#include "common/ids.h"
#include "common/names.h"
#include "meta/sealed_column.h"

namespace tv::control {

std::string_view AiSecretsSchemaSql() {
  return R"sql(
CREATE TABLE ai_secrets (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  type TEXT,
  metadata TEXT,
  secret_sealed TEXT,
  preview_secret TEXT,
  created TEXT NOT NULL,
  updated_at TEXT,
  secret_updated_at TEXT,
  secret_updated_by_user_id TEXT
);
CREATE UNIQUE INDEX ai_secrets_org_name ON ai_secrets(org_id, name);
CREATE INDEX ai_secrets_org_created ON ai_secrets(org_id, created, id);
)sql";
}
namespace {

constexpr std::string_view kKind = "ai_secret";

meta::SealedColumn SealedSecrets() {
  return {"ai_secrets", "secret_sealed", "org_id", std::string(kKind),
          [](const std::string& org_id, const std::string& id) { return crypto::SecretContext(kKind, org_id, id); }};
}

std::string Context(const json::object& obj) {
  return crypto::SecretContext(kKind, StringField(obj, "org_id"), StringField(obj, "id"));
}

Status CheckMetadata(const json::value& v) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_object()) return InvalidArgument("Field 'metadata' must be an object");
  const json::object& m = v.as_object();
  if (auto it = m.find("api_base"); it != m.end() && !it->value().is_null()) {
    if (!it->value().is_string()) return InvalidArgument("Field 'metadata.api_base' must be a string (a base URL)");
    std::string_view url = it->value().as_string();
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      return InvalidArgument("Field 'metadata.api_base' must be an http:// or https:// URL");
  }
  if (auto it = m.find("models"); it != m.end() && !it->value().is_null()) {
    bool ok = it->value().is_array();
    if (ok)
      for (const auto& e : it->value().as_array()) ok = ok && e.is_string();
    if (!ok) return InvalidArgument("Field 'metadata.models' must be an array of model names");
  }
  return Status::Ok();
}

}  // namespace

Result<AiSecretFields> ParseAiSecretFields(const json::object& body) {
  AiSecretFields f;
  if (auto it = body.find("name"); it != body.end()) {
    if (!it->value().is_string()) return InvalidArgument("Field 'name' must be a non-empty string");
    TV_RETURN_IF_ERROR(CheckName("name", it->value().as_string()));
    f.name = std::string(it->value().as_string());
  }
  if (auto it = body.find("type"); it != body.end()) {
    if (!it->value().is_null() && (!it->value().is_string() || it->value().as_string().empty()))
      return InvalidArgument("Field 'type' must be a provider name such as 'openai' or 'anthropic'");
    f.type = it->value();
  }
  if (auto it = body.find("metadata"); it != body.end()) {
    TV_RETURN_IF_ERROR(CheckMetadata(it->value()));
    f.metadata = it->value();
  }
  if (auto it = body.find("secret"); it != body.end()) {
    if (it->value().is_null()) {
      f.secret = std::optional<std::string>();
    } else if (it->value().is_string()) {
      f.secret = std::optional<std::string>(std::string(it->value().as_string()));
    } else {
      return InvalidArgument("Field 'secret' must be a string");
    }
  }
  return f;
}

const ObjectTable& AiSecretsTable() {
  constexpr ColumnKind kText = ColumnKind::kText;
  static const auto* t = new ObjectTable(TableSpec{"ai_secrets",
                                                   {{"id", "id", kText},
                                                    {"org_id", "org_id", kText},
                                                    {"name", "name", kText},
                                                    {"type", "type", kText},
                                                    {"metadata", "metadata", ColumnKind::kJson},
                                                    {"preview_secret", "preview_secret", kText},
                                                    {"updated_at", "updated_at", kText},
                                                    {"secret_updated_at", "secret_updated_at", kText},
                                                    {"secret_updated_by_user_id", "secret_updated_by_user_id", kText},
                                                    {"created", "created", kText}},
                                                   false});
  return *t;
}

AiSecretStore::AiSecretStore(meta::MetaStore& db, const Clock& clock, crypto::Keyring keys)
    : db_(db), clock_(clock), keys_(std::move(keys)) {}

Result<std::vector<std::string>> AiSecretStore::AllSealed(meta::MetaStore& db) {
  return meta::SealedValues(db, SealedSecrets());
}

Status AiSecretStore::CheckKeys() {
  TV_ASSIGN_OR_RETURN(auto sealed, AllSealed(db_));
  return crypto::CheckKeyIds(keys_, sealed, "the control plane database");
}

// Seals `value` for the row (or clears it) and stamps who changed it.
Status AiSecretStore::WriteValue(meta::MetaStore& tx, const json::object& obj, const std::optional<std::string>& value,
                                 const std::string& user_id) {
  meta::SqlValue sealed = meta::Null(), preview = meta::Null();
  if (value) {
    TV_ASSIGN_OR_RETURN(std::string s, crypto::SealSecret(keys_, *value, Context(obj)));
    sealed = std::move(s);
    preview = crypto::PreviewSecret(*value);
  }
  std::string now = FormatTimestamp(clock_.NowMicros());
  return tx
      .Execute(
          "UPDATE ai_secrets SET secret_sealed = $2, preview_secret = $3, secret_updated_at = $4, "
          "secret_updated_by_user_id = $5, updated_at = $4 WHERE id = $1",
          {StringField(obj, "id"), sealed, preview, now, user_id.empty() ? meta::Null() : meta::SqlValue(user_id)})
      .status();
}

Result<Created> AiSecretStore::Create(const std::string& org_id, const AiSecretFields& f, const std::string& user_id) {
  Created out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    meta::SqlWhere w;
    w.Add("org_id = ?", {org_id}).Add("name = ?", {*f.name});
    TV_ASSIGN_OR_RETURN(auto existing, AiSecretsTable().FindWhere(tx, w));
    if (existing) {
      out = {std::move(*existing), true};
      return Status::Ok();
    }
    std::string now = FormatTimestamp(clock_.NowMicros());
    json::object obj{{"id", NewUuid()},
                     {"org_id", org_id},
                     {"name", *f.name},
                     {"type", f.type.value_or(nullptr)},
                     {"metadata", f.metadata.value_or(nullptr)},
                     {"created", now},
                     {"updated_at", now}};
    TV_RETURN_IF_ERROR(AiSecretsTable().Insert(tx, obj));
    if (f.secret && *f.secret) TV_RETURN_IF_ERROR(WriteValue(tx, obj, **f.secret, user_id));
    TV_ASSIGN_OR_RETURN(out.object, AiSecretsTable().Get(tx, StringField(obj, "id"), "ai_secret"));
    return Status::Ok();
  }));
  return out;
}

Result<json::object> AiSecretStore::Replace(const std::string& org_id, const AiSecretFields& f,
                                            const std::string& user_id) {
  TV_ASSIGN_OR_RETURN(Created c, Create(org_id, f, user_id));
  if (!c.found_existing) return std::move(c.object);
  AiSecretFields all = f;
  all.name.reset();
  if (!all.type) all.type = json::value(nullptr);
  if (!all.metadata) all.metadata = json::value(nullptr);
  return Patch(c.object, all, user_id);
}

Result<json::object> AiSecretStore::Patch(const json::object& existing, const AiSecretFields& f,
                                          const std::string& user_id) {
  std::string id = StringField(existing, "id");
  json::object out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    json::object obj = existing;
    if (f.name && *f.name != StringField(obj, "name")) {
      meta::SqlWhere w;
      w.Add("org_id = ?", {StringField(obj, "org_id")}).Add("name = ?", {*f.name}).Add("id <> ?", {id});
      TV_ASSIGN_OR_RETURN(auto clash, AiSecretsTable().FindWhere(tx, w));
      if (clash) return AlreadyExists("An ai_secret named '{}' already exists in this organization", *f.name);
      obj["name"] = *f.name;
    }
    if (f.type) obj["type"] = *f.type;
    if (f.metadata) obj["metadata"] = *f.metadata;
    obj["updated_at"] = FormatTimestamp(clock_.NowMicros());
    TV_RETURN_IF_ERROR(AiSecretsTable().Update(tx, obj));
    if (f.secret) TV_RETURN_IF_ERROR(WriteValue(tx, obj, *f.secret, user_id));
    TV_ASSIGN_OR_RETURN(out, AiSecretsTable().Get(tx, id, "ai_secret"));
    return Status::Ok();
  }));
  return out;
}

Status AiSecretStore::Delete(const std::string& id) {
  return db_.Execute("DELETE FROM ai_secrets WHERE id = $1", {id}).status();
}

Result<std::vector<ProviderSecret>> AiSecretStore::Reveal(const std::string& org_id) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db_.Query("SELECT id, org_id, name, type, metadata, secret_sealed FROM ai_secrets "
                                "WHERE org_id = $1 ORDER BY name",
                                {org_id}));
  std::vector<ProviderSecret> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    TV_ASSIGN_OR_RETURN(ProviderSecret s, meta::OpenProviderSecret(rows, i, keys_, SealedSecrets(), "type", org_id));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<std::string>> AiSecretStore::FailingToOpen(meta::MetaStore& db, const crypto::Keyring& keys) {
  return meta::RowsFailingToOpen(db, keys, SealedSecrets());
}

Result<size_t> AiSecretStore::RewrapAll(meta::MetaStore& db, const crypto::Keyring& keys) {
  return meta::RewrapColumn(db, keys, SealedSecrets());
}

}  // namespace tv::control
