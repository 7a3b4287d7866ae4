// ControlPlane: users, organizations, API keys and object names — the service
// behind `tracevault control` and the control half of `tracevault serve`.
//
// Owns its MetaStore. Route handlers live in routes_*.cc; this class wires
// them and exposes the calls the data plane makes (Authenticate, Resolve)
// for the in-process ControlPlaneClient.
//
// Thread-safety: all methods are safe to call concurrently after Open().
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/object_info.h"
#include "common/principal.h"
#include "control/accounts.h"
#include "control/ai_secrets.h"
#include "control/registry.h"
#include "control/sessions.h"
#include "http/pipeline.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "meta/meta_store.h"

namespace tv::control {

struct ControlPlaneOptions {
  std::string public_url;      // this plane's own URL
  std::string data_plane_url;  // what login returns as api_url / proxy_url
};

// Who to create on the first start of an empty database.
struct InitSettings {
  std::string org_name = "tracevault";
  std::string user_email = "admin@localhost";
  std::optional<std::string> user_password;
  std::optional<std::string> api_key;
};

struct NewOrg {
  json::object org;
  json::object user;
  std::string api_key;  // empty when no key was created
  std::string api_key_id;
};

class ControlPlane {
 public:
  static Result<std::unique_ptr<ControlPlane>> Open(std::unique_ptr<meta::MetaStore> db, std::string secret,
                                                    ControlPlaneOptions options, const Clock& clock);

  // On an empty database, creates the first organization, admin and key.
  // Returns nullopt when the database already has an organization.
  Result<std::optional<NewOrg>> BootstrapIfEmpty(const InitSettings& init);

  // A new organization whose admin is `user_email` (created if new, joined if
  // existing), with a new API key for that user.
  Result<NewOrg> CreateOrgWithAdmin(const std::string& org_name, const std::string& user_email,
                                    const std::optional<std::string>& api_key,
                                    const std::optional<std::string>& password);

  // Resolves a bearer token: an API key, or a signed-in person's data-plane
  // token (sessions.h), which acts for the user in all of their organizations.
  // Unauthenticated for anything else. The one place every route on either
  // plane resolves its caller.
  Result<Principal> Authenticate(std::string_view token) const;
  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id) const { return registry_.Resolve(type, id); }

  void RegisterRoutes(http::Router& router);

  // Turns on /v1/ai_secret with this master keyring; fails when a stored
  // secret is sealed under a key it lacks. REQUIRES: called before serving.
  Status EnableSecrets(crypto::Keyring keys);
  AiSecretStore* ai_secrets() { return ai_secrets_.get(); }  // null until EnableSecrets
  // The shared token a data plane must present to reveal org-level secrets
  // (docs/security.md); empty: never. REQUIRES: called before serving.
  void set_plane_token(std::string token) { plane_token_ = std::move(token); }
  const std::string& plane_token() const { return plane_token_; }

  const ControlPlaneOptions& options() const { return options_; }
  // REQUIRES: called before serving starts (options are read without locks).
  void set_options(ControlPlaneOptions options) { options_ = std::move(options); }
  Accounts& accounts() { return accounts_; }
  const Sessions& sessions() const { return sessions_; }
  // Failed sign-ins per account (5 in 15 minutes) and per client address (20).
  LoginThrottle& account_throttle() { return account_throttle_; }
  LoginThrottle& address_throttle() { return address_throttle_; }
  Registry& registry() { return registry_; }
  const http::Tenancy& tenancy() const { return tenancy_; }
  meta::MetaStore& db() { return *db_; }
  const Clock& clock() const { return clock_; }

 private:
  ControlPlane(std::unique_ptr<meta::MetaStore> db, std::string secret, ControlPlaneOptions options,
               const Clock& clock);

  std::unique_ptr<meta::MetaStore> db_;
  ControlPlaneOptions options_;
  const Clock& clock_;
  Accounts accounts_;
  Sessions sessions_;
  LoginThrottle account_throttle_;
  LoginThrottle address_throttle_;
  Registry registry_;
  http::Tenancy tenancy_;
  std::unique_ptr<AiSecretStore> ai_secrets_;
  std::string plane_token_;
};

// Route groups (routes_*.cc).
void AddSdkRoutes(http::Router& router, ControlPlane& cp);
void AddProjectRoutes(http::Router& router, ControlPlane& cp);
void AddExperimentRoutes(http::Router& router, ControlPlane& cp);
void AddDatasetRoutes(http::Router& router, ControlPlane& cp);
void AddOrganizationRoutes(http::Router& router, ControlPlane& cp);
void AddApiKeyRoutes(http::Router& router, ControlPlane& cp);
void AddAiSecretRoutes(http::Router& router, ControlPlane& cp);
void AddAuthRoutes(http::Router& router, ControlPlane& cp);

// The sign-in routes (routes_auth.cc), which take no bearer token: each
// authenticates by the session cookie itself. Passed to the pipeline with the
// other public routes wherever the control plane serves.
std::vector<http::PublicRoute> AuthPublicRoutes();

}  // namespace tv::control
