#include "control/control_plane.h"

#include <chrono>

#include "control/schema.h"

namespace tv::control {

ControlPlane::ControlPlane(std::unique_ptr<meta::MetaStore> db, std::string secret, ControlPlaneOptions options,
                           const Clock& clock)
    : db_(std::move(db)),
      options_(std::move(options)),
      clock_(clock),
      accounts_(*db_, secret, clock),
      sessions_(*db_, std::move(secret), clock),
      account_throttle_(5, std::chrono::minutes(15), clock),
      address_throttle_(20, std::chrono::minutes(15), clock),
      registry_(*db_, clock),
      tenancy_([this](ObjectType type, std::string_view id, const Principal&) { return registry_.Resolve(type, id); }) {
}

Result<std::unique_ptr<ControlPlane>> ControlPlane::Open(std::unique_ptr<meta::MetaStore> db, std::string secret,
                                                         ControlPlaneOptions options, const Clock& clock) {
  if (secret.size() < 16) return InvalidArgument("The control plane secret must be at least 16 bytes");
  TV_RETURN_IF_ERROR(meta::Migrate(*db, ControlMigrations()));
  return std::unique_ptr<ControlPlane>(new ControlPlane(std::move(db), std::move(secret), std::move(options), clock));
}

Result<std::optional<NewOrg>> ControlPlane::BootstrapIfEmpty(const InitSettings& init) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_->Query("SELECT COUNT(*) AS n FROM organizations"));
  if (rows.Int(0, "n") > 0) return std::optional<NewOrg>();
  TV_ASSIGN_OR_RETURN(NewOrg created,
                      CreateOrgWithAdmin(init.org_name, init.user_email, init.api_key, init.user_password));
  return std::optional<NewOrg>(std::move(created));
}

Result<NewOrg> ControlPlane::CreateOrgWithAdmin(const std::string& org_name, const std::string& user_email,
                                                const std::optional<std::string>& api_key,
                                                const std::optional<std::string>& password) {
  NewOrg out;
  TV_RETURN_IF_ERROR(db_->Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(out.org, accounts_.CreateOrg(tx, org_name));
    TV_ASSIGN_OR_RETURN(out.user, accounts_.EnsureUser(tx, user_email, password));
    std::string org_id(out.org["id"].as_string());
    std::string user_id(out.user["id"].as_string());
    TV_RETURN_IF_ERROR(accounts_.AddMember(tx, org_id, user_id, "owner"));
    TV_ASSIGN_OR_RETURN(NewApiKey key, accounts_.CreateApiKey(tx, user_id, std::nullopt, "initial", api_key));
    out.api_key = std::move(key.key);
    out.api_key_id = std::string(key.record["id"].as_string());
    return Status::Ok();
  }));
  return out;
}

Result<Principal> ControlPlane::Authenticate(std::string_view token) const {
  if (IsDataToken(token)) {
    Result<std::string> user = sessions_.DataTokenUser(token);
    if (user.ok()) return accounts_.UserPrincipal(*user);
    if (user.status().code() != StatusCode::kUnauthenticated) return user.status();
    // Not a live data-plane token; an API key may still have been given this
    // form explicitly (InitSettings::api_key).
  }
  return accounts_.Authenticate(token);
}

void ControlPlane::RegisterRoutes(http::Router& router) {
  AddSdkRoutes(router, *this);
  AddProjectRoutes(router, *this);
  AddExperimentRoutes(router, *this);
  AddDatasetRoutes(router, *this);
  AddOrganizationRoutes(router, *this);
  AddApiKeyRoutes(router, *this);
  AddAiSecretRoutes(router, *this);
  AddAuthRoutes(router, *this);
}

Status ControlPlane::EnableSecrets(crypto::Keyring keys) {
  auto store = std::make_unique<AiSecretStore>(*db_, clock_, std::move(keys));
  TV_RETURN_IF_ERROR(store->CheckKeys());
  ai_secrets_ = std::move(store);
  return Status::Ok();
}

}  // namespace tv::control
