#include "meta/meta_store.h"

#include <spdlog/spdlog.h>

namespace tv::meta {

const SqlValue* Rows::Find(size_t row, std::string_view column) const {
  if (row >= rows_.size()) return nullptr;
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == column) return &rows_[row][i];
  return nullptr;
}

std::string Rows::Text(size_t row, std::string_view column) const { return OptText(row, column).value_or(""); }

std::optional<std::string> Rows::OptText(size_t row, std::string_view column) const {
  const SqlValue* v = Find(row, column);
  if (!v) return std::nullopt;
  if (auto* s = std::get_if<std::string>(v)) return *s;
  if (auto* i = std::get_if<int64_t>(v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(v)) return std::to_string(*d);
  return std::nullopt;
}

int64_t Rows::Int(size_t row, std::string_view column) const {
  const SqlValue* v = Find(row, column);
  if (!v) return 0;
  if (auto* i = std::get_if<int64_t>(v)) return *i;
  if (auto* d = std::get_if<double>(v)) return static_cast<int64_t>(*d);
  if (auto* s = std::get_if<std::string>(v)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

Status Migrate(MetaStore& store, const std::vector<Migration>& migrations) {
  TV_RETURN_IF_ERROR(
      store.ExecuteScript("CREATE TABLE IF NOT EXISTS schema_migrations ("
                          " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
  TV_ASSIGN_OR_RETURN(Rows current, store.Query("SELECT MAX(version) AS v FROM schema_migrations"));
  int64_t have = current.Int(0, "v");
  int64_t newest = migrations.empty() ? 0 : migrations.back().version;
  if (have > newest)
    return Internal(
        "The database schema is at version {}, newer than this binary knows ({}); "
        "upgrade tracevault",
        have, newest);
  for (const auto& m : migrations) {
    if (m.version <= have) continue;
    Status s = store.Transaction([&](MetaStore& tx) -> Status {
      // Another process may have migrated meanwhile; the primary key makes
      // that a no-op instead of a double application.
      TV_ASSIGN_OR_RETURN(Rows done,
                          tx.Query("SELECT version FROM schema_migrations WHERE version = $1", {int64_t{m.version}}));
      if (!done.empty()) return Status::Ok();
      TV_RETURN_IF_ERROR(tx.ExecuteScript(m.sql));
      TV_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, "
                     "CAST(CURRENT_TIMESTAMP AS TEXT))",
                     {int64_t{m.version}, std::string(m.name)}));
      return Status::Ok();
    });
    if (!s.ok()) return Internal("Migration {} ({}) failed: {}", m.version, m.name, s.message());
    spdlog::info("applied migration {} ({})", m.version, m.name);
  }
  return Status::Ok();
}

}  // namespace tv::meta
