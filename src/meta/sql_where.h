// SqlWhere: builds a WHERE clause and its $n parameters together, so dynamic
// filters (id lists, optional name filters, keyset cursors) never splice
// values into SQL text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "meta/meta_store.h"

namespace tv::meta {

class SqlWhere {
 public:
  // Adds a condition in which each '?' stands for the next value.
  SqlWhere& Add(std::string_view condition, SqlParams values = {});
  // column IN (...). An empty list matches nothing.
  SqlWhere& In(std::string_view column, const std::vector<std::string>& values);

  // " WHERE a = $1 AND b IN ($2, $3)" or "" when there are no conditions.
  std::string Sql() const;
  const SqlParams& params() const { return params_; }
  // Appends a value and returns its placeholder, for use after the WHERE.
  std::string Bind(SqlValue v);
  // Binds each value; returns "$i, $j, ..." or "NULL" for an empty list
  // (so "x IN (NULL)" matches nothing).
  std::string BindList(const std::vector<std::string>& values);

 private:
  std::vector<std::string> conditions_;
  SqlParams params_;
};

}  // namespace tv::meta
