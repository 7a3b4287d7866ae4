// A SQLite MetaStore for a unit test: opened at a path with the given
// migrations applied (a room's tables from their owners' schema functions).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "meta/meta_store.h"
#include "meta/sqlite/sqlite_meta_store.h"

namespace tv::testing {

// Null, with the test failed, when the database does not open or migrate;
// callers ASSERT_TRUE on the result.
inline std::unique_ptr<meta::MetaStore> OpenMigratedDb(const std::string& path,
                                                       const std::vector<meta::Migration>& migrations) {
  auto db = meta::OpenSqliteMetaStore({.path = path});
  if (!db.ok()) {
    ADD_FAILURE() << "open " << path << ": " << db.status().ToString();
    return nullptr;
  }
  Status migrated = meta::Migrate(**db, migrations);
  if (!migrated.ok()) {
    ADD_FAILURE() << "migrate " << path << ": " << migrated.ToString();
    return nullptr;
  }
  return std::move(*db);
}

}  // namespace tv::testing
