// Trace-level reading for the `traces` and `summary` shapes: which traces a
// filter selects, and the one-row-per-trace summary.
//
// A trace qualifies when one of its spans satisfies every condition of the
// filter outside any_span(...), and each any_span(...) condition is met by
// some span (not necessarily the same one). Spans are grouped by
// root_span_id (a row without one is its own trace).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "btql/ast.h"
#include "btql/functions.h"
#include "common/json.h"

namespace tv::btql {

// The trace of a row: root_span_id, or id when the row has none.
std::string_view TraceOf(const json::object& row);
bool IsRootRow(const json::object& row);

class TraceFilter {
 public:
  TraceFilter(const std::optional<Expr>& filter, const EvalContext& ctx);
  // Bits of the conditions `span` satisfies (bit 0: the single-span part,
  // bit i: the i-th any_span condition).
  uint64_t Test(const json::object& span) const;
  uint64_t all_bits() const { return all_bits_; }
  bool has_any_span() const { return !any_span_.empty(); }

 private:
  std::vector<const Expr*> single_;
  std::vector<const Expr*> any_span_;
  const EvalContext& ctx_;
  uint64_t all_bits_ = 1;
};

struct TraceKey {
  uint64_t xact = 0;  // the trace's newest span
  std::string root;
};
// Newest first: xact descending, then root descending.
bool TraceBefore(const TraceKey& a, const TraceKey& b);

// Per-trace summary accumulation (summary shape). Memory per trace is small:
// sums, counts and the root's previews, never the spans themselves.
struct SummaryOptions {
  int64_t preview_length = 124;  // 0: keep whole values
  // Estimated cost of an llm span from its model and token counts.
  std::function<std::optional<double>(std::string_view model, double prompt_tokens, double completion_tokens,
                                      double cached_tokens)>
      price;
};

class TraceSummarizer {
 public:
  TraceSummarizer(const TraceFilter& filter, SummaryOptions options);
  ~TraceSummarizer();

  void Add(const json::object& span, uint64_t xact);
  size_t memory_bytes() const { return memory_bytes_; }
  size_t traces() const;
  // The qualifying traces' summary rows, newest first.
  std::vector<std::pair<TraceKey, json::object>> Finish();

  struct Trace;

 private:
  const TraceFilter& filter_;
  SummaryOptions options_;
  std::map<std::string, std::unique_ptr<Trace>, std::less<>> traces_;
  size_t memory_bytes_ = 0;
};

// A root field's preview: strings cut to `length` characters; other values
// kept when their JSON is at most `length` characters, else that JSON cut.
json::value Preview(const json::value& v, int64_t length);

}  // namespace tv::btql
