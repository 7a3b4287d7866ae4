#include "control/schema.h"

#include <string>

#include "control/accounts.h"
#include "control/ai_secrets.h"
#include "control/registry.h"
#include "control/sessions.h"

namespace tv::control {

// Each table's DDL lives beside the code that owns it. Migrations are never
// renumbered, reordered or rewritten once released (a database records only
// the numbers it has run): a schema change is a new entry at the end.
// tests/unit/migrations_test.cc pins every released migration's text.
const std::vector<meta::Migration>& ControlMigrations() {
  // Migration 1 was released as one script; its two owners' halves join back
  // into exactly that text.
  static const auto* first = new std::string(std::string(AccountsSchemaSql()) + std::string(RegistrySchemaSql()));
  static const auto* migrations = new std::vector<meta::Migration>{
      {1, "organizations, users, keys, projects, experiments, datasets", *first},
      {2, "org-level AI provider secrets", AiSecretsSchemaSql()},
      {3, "human sign-in sessions", SessionsSchemaSql()},
      {4, "data-plane tokens of sessions", SessionTokensSchemaSql()},
  };
  return *migrations;
}

}  // namespace tv::control
