// MetaStore: the relational metadata database behind each plane.
//
// Two implementations share one SQL dialect and one set of migrations: SQLite
// (embedded default) and PostgreSQL (distributed mode). Statements use $1, $2,
// ... placeholders, TEXT for ids, JSON and timestamps, BIGINT for integers, and
// only syntax both engines accept (ON CONFLICT, RETURNING, partial indexes,
// row-value comparisons).
//
// Thread-safety: implementations are safe to use from many threads. A
// Transaction's MetaStore& argument is bound to one connection and must only
// be used inside the callback, on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace tv::meta {

using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;
using SqlParams = std::vector<SqlValue>;

inline SqlValue Null() { return std::monostate{}; }
inline SqlValue Opt(const std::optional<std::string>& s) { return s ? SqlValue(*s) : Null(); }

class Rows {
 public:
  Rows() = default;
  Rows(std::vector<std::string> columns, std::vector<std::vector<SqlValue>> rows)
      : columns_(std::move(columns)), rows_(std::move(rows)) {}

  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }

  // Typed access by row index and column name. Missing columns and NULLs read
  // as the empty string / 0 / nullopt.
  std::string Text(size_t row, std::string_view column) const;
  std::optional<std::string> OptText(size_t row, std::string_view column) const;
  int64_t Int(size_t row, std::string_view column) const;

 private:
  const SqlValue* Find(size_t row, std::string_view column) const;
  std::vector<std::string> columns_;
  std::vector<std::vector<SqlValue>> rows_;
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;

  virtual std::string_view dialect() const = 0;  // "sqlite" or "postgres"

  virtual Result<Rows> Query(std::string_view sql, const SqlParams& params = {}) = 0;
  // Returns the number of rows changed.
  virtual Result<int64_t> Execute(std::string_view sql, const SqlParams& params = {}) = 0;
  // Runs a parameterless script of several statements (migrations).
  virtual Status ExecuteScript(std::string_view sql) = 0;
  // Runs `fn` in one transaction: committed when it returns OK, rolled back
  // otherwise. A Transaction inside `fn` joins the outer one.
  virtual Status Transaction(const std::function<Status(MetaStore&)>& fn) = 0;
};

// A schema change. Versions are dense from 1 and never renumbered.
struct Migration {
  int version;  // On disk: never renumber or reorder; append only.
  std::string_view name;
  std::string_view sql;
};

// Applies every migration newer than the database's schema version, each in
// its own transaction. Fails if the database is newer than this binary.
Status Migrate(MetaStore& store, const std::vector<Migration>& migrations);

}  // namespace tv::meta
