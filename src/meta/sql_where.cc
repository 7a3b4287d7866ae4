#include "meta/sql_where.h"

namespace tv::meta {

std::string SqlWhere::Bind(SqlValue v) {
  params_.push_back(std::move(v));
  return "$" + std::to_string(params_.size());
}

SqlWhere& SqlWhere::Add(std::string_view condition, SqlParams values) {
  std::string out;
  size_t next = 0;
  for (char c : condition) {
    if (c == '?' && next < values.size())
      out += Bind(std::move(values[next++]));
    else
      out.push_back(c);
  }
  conditions_.push_back(std::move(out));
  return *this;
}

std::string SqlWhere::BindList(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + Bind(v);
  return out.empty() ? "NULL" : out;
}

SqlWhere& SqlWhere::In(std::string_view column, const std::vector<std::string>& values) {
  if (values.empty()) {
    conditions_.emplace_back("1 = 0");
    return *this;
  }
  conditions_.push_back(std::string(column) + " IN (" + BindList(values) + ")");
  return *this;
}

std::string SqlWhere::Sql() const {
  std::string out;
  for (size_t i = 0; i < conditions_.size(); ++i) out += (i ? " AND " : " WHERE ") + conditions_[i];
  return out;
}

}  // namespace tv::meta
