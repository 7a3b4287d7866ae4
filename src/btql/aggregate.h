// Grouping and aggregation for `dimensions:` / `measures:`: rows are grouped
// by the values of the dimensions; each measure is an expression over
// aggregate calls (count, count_distinct, sum, avg, min, max, percentile),
// so `count(error) / count(1)` works. Pivot expressions group like
// dimensions and then become columns named `<value>_<measure alias>`.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "btql/ast.h"
#include "btql/functions.h"
#include "common/json.h"
#include "common/status.h"

namespace tv::btql {

class Aggregator {
 public:
  // InvalidArgument for a measure without an aggregate, nested aggregates,
  // or a percentile whose fraction is not a literal in [0, 1].
  static Result<std::unique_ptr<Aggregator>> Make(const Query& query, const EvalContext& ctx);
  ~Aggregator();

  void Add(const json::object& row);
  // Working memory held so far (approximate bytes).
  size_t memory_bytes() const { return memory_bytes_; }
  // One row per group: dimension aliases, then measure aliases (pivoted
  // measures as `<value>_<alias>`). Groups in order of first appearance; a
  // query with measures only and no rows gives one row (count 0, others null).
  json::array Finish();

  struct Slot;
  struct Group;

 private:
  Aggregator(const Query& query, const EvalContext& ctx);

  const Query& query_;
  const EvalContext& ctx_;
  std::vector<Slot> slots_;
  std::vector<Expr> measures_;  // with aggregate calls numbered (Expr::value = slot index)
  std::unordered_map<std::string, size_t> group_index_;
  std::vector<std::unique_ptr<Group>> groups_;
  size_t memory_bytes_ = 0;
};

// Approximate bytes a JSON value holds in memory, for budgets.
size_t ApproxBytes(const json::value& v);
size_t ApproxBytes(const json::object& o);

}  // namespace tv::btql
