// Accounts: organizations, users, memberships and API keys.
//
// API keys are "sk-" plus 48 random alphanumerics, shown once at creation.
// Only HMAC-SHA-256(server secret, key) is stored, so a leaked database alone
// does not reveal or let anyone verify keys; lookups are one indexed query.
//
// Thread-safety: safe for concurrent use (state lives in the MetaStore).
#pragma once

#include <string_view>

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/json.h"
#include "common/principal.h"
#include "meta/meta_store.h"

namespace tv::control {

// The tables of organizations, users, memberships and API keys: the first half of
// the control plane's migration 1 (schema.cc); never rewritten.
std::string_view AccountsSchemaSql();

struct NewApiKey {
  json::object record;  // the ApiKey object (no secret)
  std::string key;      // the secret, shown once
};

class Accounts {
 public:
  Accounts(meta::MetaStore& db, std::string secret, const Clock& clock)
      : db_(db), secret_(std::move(secret)), clock_(clock) {}

  // Each of these runs on `tx`, so callers can compose them in a transaction.
  Result<json::object> CreateOrg(meta::MetaStore& tx, const std::string& name) const;
  // The user with this email, created when absent (with the password, if any).
  Result<json::object> EnsureUser(meta::MetaStore& tx, const std::string& email,
                                  const std::optional<std::string>& password) const;
  Status AddMember(meta::MetaStore& tx, const std::string& org_id, const std::string& user_id,
                   const std::string& role) const;
  // Creates a key for the user. `org_id` restricts it to one organization;
  // `explicit_key` stores a caller-chosen secret instead of a random one.
  Result<NewApiKey> CreateApiKey(meta::MetaStore& tx, const std::string& user_id,
                                 const std::optional<std::string>& org_id, const std::string& name,
                                 const std::optional<std::string>& explicit_key) const;

  // Resolves a bearer token. Unauthenticated for unknown or revoked keys.
  Result<Principal> Authenticate(std::string_view token) const;
  // The user acting without an API key (a signed-in person's data-plane
  // token): every organization the user belongs to, and no api_key_id.
  // Unauthenticated when the user no longer exists.
  Result<Principal> UserPrincipal(const std::string& user_id) const;
  Result<json::object> GetUser(const std::string& user_id) const;

  std::string HashKey(std::string_view key) const;

 private:
  // Adds the memberships of p.user_id, only the one in `only_org` when set.
  Status AddMemberships(Principal& p, const std::optional<std::string>& only_org) const;

  meta::MetaStore& db_;
  const std::string secret_;
  const Clock& clock_;
};

std::string GenerateApiKey();
std::string PreviewOf(std::string_view key);

}  // namespace tv::control
