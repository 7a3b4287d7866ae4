// The executor: what happens to rows after the store (or the trace
// summarizer) produced them, in this order: sample, unpivot, then either
// group and aggregate (dimensions / measures / pivot) or project (select),
// then sort, then limit. Rows come in newest first with their natural key
// (transaction id, tie); with no sort that order is kept.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "btql/aggregate.h"
#include "btql/ast.h"
#include "btql/functions.h"
#include "common/json.h"
#include "common/status.h"

namespace tv::btql {

struct RowKey {
  uint64_t xact = 0;
  std::string tie;  // the row id, or the root_span_id for traces
};

struct ExecLimits {
  size_t memory_budget_bytes = size_t{512} << 20;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::chrono::milliseconds timeout{0};  // for the message only

  // The one wording of each budget's failure: InvalidArgument (400) past the
  // memory budget, DeadlineExceeded (504) past the deadline.
  Status CheckMemory(size_t bytes) const;
  Status CheckTime() const;
  Status TimedOut() const;
};

// Project one row by the select list: `*` keeps it whole (plus any extra
// items), otherwise only the aliases. With ctx.state, the items built so far
// count against the budget while the next is evaluated; nothing stays charged
// (the caller charges the row it keeps). After a failure the row is partial:
// check ctx.state.
json::object Project(const Query& query, const json::object& row, const EvalContext& ctx);

// Rate sampling: whether the row with this id is kept (a hash of the seed and
// the id below rate · 2^64), so a sample is stable across pages and restarts.
bool SampledIn(const Sample& sample, std::string_view id);

class Pipeline {
 public:
  // `limit`: output rows to keep (counted after grouping); `after`: with no
  // sort, rows at or before this key were on earlier pages.
  // `filter_after_unpivot`: the query's filter applies to the unpivoted rows
  // here (spans shape with unpivot), not to the store's rows.
  static Result<std::unique_ptr<Pipeline>> Make(const Query& query, const EvalContext& ctx, ExecLimits limits,
                                                size_t limit, std::optional<RowKey> after,
                                                bool filter_after_unpivot = false);
  ~Pipeline();

  // Feeds one input row. Errors: the memory budget or the deadline was hit,
  // or an expression failed (EvalState).
  Status Add(const json::object& row, RowKey key);

  struct Output {
    json::array rows;
    std::optional<RowKey> next;  // the last row's key when more rows may follow (no sort only)
  };
  Output Finish();

 private:
  Pipeline(const Query& query, const EvalContext& ctx, ExecLimits limits, size_t limit, std::optional<RowKey> after);
  Status Charge(size_t bytes);  // adds to the working memory and checks the budget
  Status AddOne(const json::object& r, const RowKey& key);
  void Emit(json::object row, const json::object& source, RowKey key);

  struct Kept;
  const Query& query_;
  // The caller's context, or its copy pointing at own_state_ when it has no
  // EvalState: every evaluation here is budgeted.
  std::unique_ptr<EvalState> own_state_;
  EvalContext ctx_;
  EvalState& state_;
  size_t aggregator_charged_ = 0;
  ExecLimits limits_;
  size_t limit_;
  std::optional<RowKey> after_;
  std::unique_ptr<Aggregator> aggregator_;
  std::vector<Kept> kept_;
  size_t memory_bytes_ = 0;
  size_t added_ = 0;
  bool filter_after_unpivot_ = false;
};

}  // namespace tv::btql
