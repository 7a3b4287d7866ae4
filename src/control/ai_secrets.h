// AiSecretStore: org-level AI provider secrets (/v1/ai_secret), sealed with
// envelope encryption (docs/security.md) in the control plane's `ai_secrets`
// table. Objects returned carry `preview_secret`, never the value; only
// Reveal() decrypts, for the data plane's resolution call.
//
// Thread-safety: safe for concurrent use (the keyring is immutable; the
// database serializes writes).
#pragma once

#include <string_view>

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/provider_secret.h"
#include "control/object_table.h"
#include "control/registry.h"
#include "crypto/envelope.h"
#include "meta/meta_store.h"

namespace tv::control {

// The ai_secrets table: the control plane's migration 2 (schema.cc); never rewritten.
std::string_view AiSecretsSchemaSql();

// The fields of a create, replace or patch; absent fields are nullopt. For
// `secret`, a present null clears the value.
struct AiSecretFields {
  std::optional<std::string> name;
  std::optional<json::value> type;      // string or null
  std::optional<json::value> metadata;  // object or null
  std::optional<std::optional<std::string>> secret;
};

// Parses and checks a request body (name, type, metadata{api_base, models}, secret).
Result<AiSecretFields> ParseAiSecretFields(const json::object& body);

const ObjectTable& AiSecretsTable();

class AiSecretStore {
 public:
  AiSecretStore(meta::MetaStore& db, const Clock& clock, crypto::Keyring keys);

  // Fails when a stored secret is sealed under a key not in the keyring.
  Status CheckKeys();

  // POST: the existing secret of that name is returned unchanged.
  // REQUIRES: fields.name is set.
  Result<Created> Create(const std::string& org_id, const AiSecretFields& fields, const std::string& user_id);
  // PUT: create, or replace type and metadata (and the value when given).
  Result<json::object> Replace(const std::string& org_id, const AiSecretFields& fields, const std::string& user_id);
  Result<json::object> Patch(const json::object& existing, const AiSecretFields& fields, const std::string& user_id);
  Status Delete(const std::string& id);

  // Every secret of the organization, decrypted.
  Result<std::vector<ProviderSecret>> Reveal(const std::string& org_id);

  // Rotation: re-wraps every data key in `db` under keys.current(); returns
  // how many rows changed. One transaction.
  static Result<size_t> RewrapAll(meta::MetaStore& db, const crypto::Keyring& keys);
  // Every stored sealed value in `db` (for key id checks).
  static Result<std::vector<std::string>> AllSealed(meta::MetaStore& db);
  // Opens every stored value in `db` (discarding the plaintext); returns the
  // ids of those that fail.
  static Result<std::vector<std::string>> FailingToOpen(meta::MetaStore& db, const crypto::Keyring& keys);

 private:
  Status WriteValue(meta::MetaStore& tx, const json::object& obj, const std::optional<std::string>& value,
                    const std::string& user_id);

  meta::MetaStore& db_;
  const Clock& clock_;
  const crypto::Keyring keys_;
};

}  // namespace tv::control
