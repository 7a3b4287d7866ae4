// The control plane's database schema, as ordered migrations. The SQL runs
// unchanged on SQLite and PostgreSQL (see meta/meta_store.h). Never edit or
// renumber a migration that has shipped; add a new one.
#pragma once

#include <vector>

#include "meta/meta_store.h"

namespace tv::control {

const std::vector<meta::Migration>& ControlMigrations();

}  // namespace tv::control
