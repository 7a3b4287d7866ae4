#include "control/accounts.h"

#include "common/ids.h"
#include "common/names.h"
#include "control/tables.h"
#include "crypto/crypto.h"

namespace tv::control {

std::string_view AccountsSchemaSql() {
  return R"sql(
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  api_url TEXT,
  proxy_url TEXT,
  realtime_url TEXT,
  is_universal_api BIGINT,
  is_dataplane_private BIGINT,
  image_rendering_mode TEXT,
  created TEXT NOT NULL
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  given_name TEXT,
  family_name TEXT,
  avatar_url TEXT,
  password_hash TEXT,
  created TEXT NOT NULL
);
CREATE TABLE org_members (
  org_id TEXT NOT NULL REFERENCES organizations(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members(user_id);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  preview_name TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id),
  org_id TEXT REFERENCES organizations(id),
  created TEXT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys(user_id, created, id);
)sql";
}

std::string GenerateApiKey() { return "sk-" + crypto::RandomAlphanumeric(48); }

std::string PreviewOf(std::string_view key) {
  std::string_view tail = key.size() > 4 ? key.substr(key.size() - 4) : key;
  std::string_view head = key.starts_with("sk-") ? "sk-" : "";
  return std::string(head) + "****" + std::string(tail);
}

std::string Accounts::HashKey(std::string_view key) const {
  return crypto::HexEncode(crypto::HmacSha256(secret_, key));
}

Result<json::object> Accounts::CreateOrg(meta::MetaStore& tx, const std::string& name) const {
  TV_RETURN_IF_ERROR(CheckName("name", name));
  TV_ASSIGN_OR_RETURN(meta::Rows existing, tx.Query("SELECT id FROM organizations WHERE name = $1", {name}));
  if (!existing.empty()) return AlreadyExists("An organization named '{}' already exists", name);
  json::object org{{"id", NewUuid()}, {"name", name}, {"created", FormatTimestamp(clock_.NowMicros())}};
  TV_RETURN_IF_ERROR(OrganizationsTable().Insert(tx, org));
  return OrganizationsTable().Get(tx, std::string(org["id"].as_string()), "Organization");
}

Result<json::object> Accounts::EnsureUser(meta::MetaStore& tx, const std::string& email,
                                          const std::optional<std::string>& password) const {
  if (email.empty() || email.find('@') == std::string::npos)
    return InvalidArgument("'{}' is not an email address", email);
  TV_ASSIGN_OR_RETURN(meta::Rows rows, tx.Query("SELECT id, email FROM users WHERE email = $1", {email}));
  if (!rows.empty()) return json::object{{"id", rows.Text(0, "id")}, {"email", rows.Text(0, "email")}};
  std::string id = NewUuid();
  meta::SqlValue hash = password ? meta::SqlValue(crypto::HashPassword(*password)) : meta::Null();
  TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO users (id, email, password_hash, created) VALUES ($1, $2, $3, $4)",
                                {id, email, hash, FormatTimestamp(clock_.NowMicros())}));
  return json::object{{"id", id}, {"email", email}};
}

Status Accounts::AddMember(meta::MetaStore& tx, const std::string& org_id, const std::string& user_id,
                           const std::string& role) const {
  return tx
      .Execute(
          "INSERT INTO org_members (org_id, user_id, role, created) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (org_id, user_id) DO NOTHING",
          {org_id, user_id, role, FormatTimestamp(clock_.NowMicros())})
      .status();
}

Result<NewApiKey> Accounts::CreateApiKey(meta::MetaStore& tx, const std::string& user_id,
                                         const std::optional<std::string>& org_id, const std::string& name,
                                         const std::optional<std::string>& explicit_key) const {
  std::string key = explicit_key ? *explicit_key : GenerateApiKey();
  if (key.size() < 8) return InvalidArgument("An API key must be at least 8 characters long");
  if (!name.empty()) TV_RETURN_IF_ERROR(CheckName("name", name));
  json::object rec{{"id", NewUuid()},
                   {"name", name.empty() ? "default" : name},
                   {"preview_name", PreviewOf(key)},
                   {"user_id", user_id},
                   {"org_id", org_id ? json::value(*org_id) : json::value(nullptr)},
                   {"created", FormatTimestamp(clock_.NowMicros())}};
  Status s = tx.Execute(
                   "INSERT INTO api_keys (id, key_hash, name, preview_name, user_id, org_id, created) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                   {std::string(rec["id"].as_string()), HashKey(key), std::string(rec["name"].as_string()),
                    std::string(rec["preview_name"].as_string()), user_id, meta::Opt(org_id),
                    std::string(rec["created"].as_string())})
                 .status();
  if (s.code() == StatusCode::kAlreadyExists) return AlreadyExists("That API key is already in use");
  TV_RETURN_IF_ERROR(s);
  return NewApiKey{std::move(rec), std::move(key)};
}

Result<Principal> Accounts::Authenticate(std::string_view token) const {
  TV_ASSIGN_OR_RETURN(meta::Rows key, db_.Query("SELECT k.id AS key_id, k.org_id, u.id AS user_id, u.email "
                                                "FROM api_keys k JOIN users u ON u.id = k.user_id "
                                                "WHERE k.key_hash = $1",
                                                {HashKey(token)}));
  if (key.empty()) return Unauthenticated("Invalid API key");
  Principal p;
  p.user_id = key.Text(0, "user_id");
  p.user_email = key.Text(0, "email");
  p.api_key_id = key.Text(0, "key_id");
  auto key_org = key.OptText(0, "org_id");
  p.api_key_org_id = key_org.value_or("");
  TV_RETURN_IF_ERROR(AddMemberships(p, key_org));
  return p;
}

Result<Principal> Accounts::UserPrincipal(const std::string& user_id) const {
  TV_ASSIGN_OR_RETURN(meta::Rows user, db_.Query("SELECT email FROM users WHERE id = $1", {user_id}));
  if (user.empty()) return Unauthenticated("Invalid API key");
  Principal p;
  p.user_id = user_id;
  p.user_email = user.Text(0, "email");
  TV_RETURN_IF_ERROR(AddMemberships(p, std::nullopt));
  return p;
}

Status Accounts::AddMemberships(Principal& p, const std::optional<std::string>& only_org) const {
  TV_ASSIGN_OR_RETURN(meta::Rows orgs, db_.Query("SELECT o.id, o.name, m.role FROM org_members m "
                                                 "JOIN organizations o ON o.id = m.org_id "
                                                 "WHERE m.user_id = $1 ORDER BY m.created, o.name",
                                                 {p.user_id}));
  for (size_t i = 0; i < orgs.size(); ++i) {
    if (only_org && *only_org != orgs.Text(i, "id")) continue;
    p.orgs.push_back({orgs.Text(i, "id"), orgs.Text(i, "name"), orgs.Text(i, "role")});
  }
  return Status::Ok();
}

Result<json::object> Accounts::GetUser(const std::string& user_id) const {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db_.Query("SELECT id, email, given_name, family_name, avatar_url, created FROM users "
                                "WHERE id = $1",
                                {user_id}));
  if (rows.empty()) return NotFound("User '{}' not found", user_id);
  json::object u;
  for (auto col : {"id", "email", "given_name", "family_name", "avatar_url", "created"}) {
    auto v = rows.OptText(0, col);
    u[col] = v ? json::value(*v) : json::value(nullptr);
  }
  return u;
}

}  // namespace tv::control
