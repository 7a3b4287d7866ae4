// ObjectTable: maps one control-plane table to the JSON objects the API
// returns, so projects, experiments, datasets and organizations share one
// tested path for get / insert / update / keyset-paginated list.
//
// Every table has TEXT columns `id` and `created`; tables with `deleted_at`
// are soft-deleted (such rows read as absent). JSON-typed columns hold
// serialized JSON text. The object's field names come from the spec, which may
// differ from column names (Experiment.commit lives in `commit_sha`).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "meta/meta_store.h"
#include "meta/sql_where.h"

namespace tv::control {

enum class ColumnKind { kText, kJson, kBool };

struct Column {
  std::string_view name;
  std::string_view field;
  ColumnKind kind = ColumnKind::kText;
};

struct TableSpec {
  std::string_view table;
  std::vector<Column> columns;  // must include id and created
  bool soft_delete = true;
};

// Pagination of a list request: newest first, keyset cursors by object id.
struct ListQuery {
  int64_t limit = 1000;
  std::optional<std::string> starting_after;
  std::optional<std::string> ending_before;
  std::vector<std::string> ids;
};

class ObjectTable {
 public:
  explicit ObjectTable(TableSpec spec);

  // The live object with this id, or nullopt.
  Result<std::optional<json::object>> Find(meta::MetaStore& db, std::string_view id) const;
  // Like Find, but NotFound names the object type when absent.
  Result<json::object> Get(meta::MetaStore& db, std::string_view id, std::string_view type_name) const;
  // The first live object matching `where` (newest first), or nullopt.
  Result<std::optional<json::object>> FindWhere(meta::MetaStore& db, const meta::SqlWhere& where) const;

  Status Insert(meta::MetaStore& db, const json::object& obj) const;
  // Writes every column except id from `obj`.
  Status Update(meta::MetaStore& db, const json::object& obj) const;

  // Lists live objects newest first. `scope` adds the caller's filters
  // (organization, project, names); cursors are resolved inside that scope.
  Result<std::vector<json::object>> List(meta::MetaStore& db, const std::function<void(meta::SqlWhere&)>& scope,
                                         const ListQuery& q) const;

 private:
  json::object ToObject(const meta::Rows& rows, size_t i) const;
  meta::SqlWhere LiveScope(const std::function<void(meta::SqlWhere&)>& scope) const;

  TableSpec spec_;
  std::string select_;  // "SELECT c1, c2, ... FROM table"
};

}  // namespace tv::control
