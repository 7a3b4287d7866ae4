// Secrets: project-level AI provider secrets (/v1/env_var with object_type
// "project"), sealed with envelope encryption (docs/security.md) in the data
// plane's `env_vars` table, and the resolution the AI proxy calls to learn
// every provider credential a request may use.
//
// Thread-safety: safe for concurrent use after EnableSecrets (the keyring is
// immutable; the database serializes writes).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/provider_secret.h"
#include "crypto/envelope.h"
#include "data/control_plane/control_plane_client.h"
#include "http/context.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "meta/meta_store.h"

namespace tv::data {

// The data plane's schema for env_vars (migration 5).
std::string_view EnvVarSchemaSql();

// Fields of an env_var write; absent fields are nullopt, a present null clears.
struct EnvVarFields {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> value;
  std::optional<json::value> metadata;     // object or null
  std::optional<json::value> secret_type;  // string or null
  std::optional<std::string> secret_category;
};
Result<EnvVarFields> ParseEnvVarFields(const json::object& body);

struct EnvVarList {
  std::vector<std::string> org_ids;  // the caller's organizations
  std::optional<std::string> object_id;
  std::optional<std::string> name;
  std::vector<std::string> ids;
  int64_t limit = 1000;
};

class Secrets {
 public:
  Secrets(meta::MetaStore& db, ControlPlaneClient& control, const http::Tenancy& tenancy, const Clock& clock);

  // Turns secrets on with this keyring; fails when a stored value is sealed
  // under a key it lacks. REQUIRES: called once, before serving.
  Status Enable(crypto::Keyring keys);

  // Every provider secret visible to the caller for (org, optional project):
  // the organization's (from the control plane) and, with a project, the
  // project's `ai_provider` env_vars, which replace org-level ones of the
  // same name. NotFound when the caller is not in `org_id` or the project is
  // not in that organization.
  Result<std::vector<ProviderSecret>> ResolveProviderSecrets(http::RequestContext& ctx, std::string_view org_id,
                                                             std::optional<std::string_view> project_id);

  // The env_var objects (EnvVar schema; preview only).
  Result<std::optional<json::object>> Find(std::string_view id);
  Result<std::vector<json::object>> List(const EnvVarList& q);
  // POST (found_existing: the env_var of that name, unchanged) and PUT.
  // REQUIRES: fields.name is set.
  Result<std::pair<json::object, bool>> Create(const std::string& org_id, const std::string& project_id,
                                               const EnvVarFields& fields, const std::string& user_id);
  Result<json::object> Replace(const std::string& org_id, const std::string& project_id, const EnvVarFields& fields,
                               const std::string& user_id);
  Result<json::object> Patch(const json::object& existing, const EnvVarFields& fields, const std::string& user_id);
  Status Delete(std::string_view id);

  // The keyring secrets are sealed with; FailedPrecondition-style Unavailable
  // until Enable(). The AI proxy's cache seals its entries with it too.
  Result<const crypto::Keyring*> keys() const { return Keys(); }
  // The tenancy rule the routes check env_var projects with.
  const http::Tenancy& tenancy() const { return tenancy_; }

  // Rotation: re-wraps every data key in `db` under keys.current(); one transaction.
  static Result<size_t> RewrapAll(meta::MetaStore& db, const crypto::Keyring& keys);
  static Result<std::vector<std::string>> AllSealed(meta::MetaStore& db);
  // Opens every stored value in `db` (discarding the plaintext); returns the
  // ids of those that fail.
  static Result<std::vector<std::string>> FailingToOpen(meta::MetaStore& db, const crypto::Keyring& keys);

 private:
  Result<const crypto::Keyring*> Keys() const;
  Result<std::vector<ProviderSecret>> ProjectSecrets(const std::string& project_id);
  Status WriteValue(meta::MetaStore& tx, const std::string& id, const std::string& project_id,
                    const std::optional<std::string>& value, const std::string& user_id);

  meta::MetaStore& db_;
  ControlPlaneClient& control_;
  const http::Tenancy& tenancy_;
  const Clock& clock_;
  std::optional<crypto::Keyring> keys_;  // set once by Enable, before serving
};

// /v1/env_var (routes_env_var.cc), served by `secrets`, which outlives the router.
void AddSecretsRoutes(http::Router& router, Secrets& secrets);

}  // namespace tv::data
