// The BTQL function table: which names are scalar functions and which are
// aggregates, their arities, and the scalar implementations. Front ends call
// CheckCall so an unknown function or a wrong argument count is a parse-time
// error with a position; the evaluator calls CallScalar; the aggregate
// executor (aggregate.h) implements the aggregates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace tv::btql {

// The one wording of a query past its memory budget: InvalidArgument (400)
// naming the budget and how to narrow the query.
Status MemoryBudgetExceeded(size_t budget_bytes);

// What evaluating one query's expressions may spend, and the first error that
// stops the query. The evaluator charges every string, array and object it
// builds against the budget (the big ones, like concat's output, before they
// are allocated), so a query holds at most its budget plus one row's values;
// it records the errors that are the query's own fault (date arithmetic out
// of range). Once failed, every further evaluation gives null at once, and
// the executor answers the query with status().
// `used` counts what the executor holds (kept rows, groups, the response);
// EvalValue and EvalPredicate release what they charged for their transient
// values before they return, and the caller charges what it keeps.
// Not thread-safe: one per query.
class EvalState {
 public:
  explicit EvalState(size_t memory_budget_bytes) : limit_(memory_budget_bytes) {}

  // Adds `bytes`; past the budget the state fails with MemoryBudgetExceeded
  // and this returns false (the bytes stay counted).
  bool Charge(size_t bytes);
  // Whether `bytes` more would fit, checked before allocating them; when
  // not, the state fails as Charge does. Charges nothing.
  bool Admit(size_t bytes);
  void Release(size_t bytes) { used_ = bytes < used_ ? used_ - bytes : 0; }
  // Keeps the first error.
  void Fail(Status status);

  bool failed() const { return !status_.ok(); }
  const Status& status() const { return status_; }
  size_t used() const { return used_; }
  size_t limit() const { return limit_; }

 private:
  size_t limit_;
  size_t used_ = 0;
  Status status_;
};

// Per-query inputs of functions that are not pure: now() and the time zone
// that day(), week(), ... truncate in; and the query's EvalState, if any
// (without one, values are not budgeted and errors give null).
struct EvalContext {
  int64_t now_micros = 0;      // now(), current_timestamp(), current_date()
  int tz_offset_minutes = 0;   // minutes WEST of UTC, as the request's tz_offset (480 = UTC-8)
  EvalState* state = nullptr;  // not owned; outlives the evaluations
};

// count, count_distinct, sum, avg, min, max, percentile.
bool IsAggregateFunction(std::string_view lowercase_name);

// OK when `lowercase_name` is a known function (scalar or aggregate) that
// takes `arg_count` arguments; otherwise InvalidArgument naming the function
// and what it takes ("BTQL: round() takes 1 or 2 arguments, got 3"). `where`
// is appended to the message (" (at line L, column C)" from the text parsers).
Status CheckCall(std::string_view lowercase_name, size_t arg_count, std::string_view where = "");

// Evaluates a scalar function on already evaluated arguments. A null argument
// gives null for most functions (coalesce, concat and nullif say otherwise in
// docs/btql.md); a value of the wrong kind gives null, never an error.
// REQUIRES: CheckCall(name, args.size()) is OK and the name is not an aggregate.
json::value CallScalar(std::string_view lowercase_name, const std::vector<json::value>& args, const EvalContext& ctx);

// A span of calendar time: months (years are 12) plus exact microseconds.
struct Interval {
  int64_t months = 0;
  int64_t micros = 0;
};

// `amount unit` (unit as IntervalUnit returns it); nullopt for an unknown
// unit or an amount out of range.
std::optional<Interval> MakeInterval(double amount, std::string_view unit);
// "1 day", "-2 hours", "3 month": nullopt when it is not such text.
std::optional<Interval> ParseInterval(std::string_view text);
std::string IntervalText(const Interval& iv);

// The times BTQL computes with: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z.
inline constexpr int64_t kMinTimeMicros = -62'135'596'800'000'000;
inline constexpr int64_t kMaxTimeMicros = 253'402'300'799'999'999;

// A time value as microseconds since the epoch: an RFC 3339 string, or a
// number of seconds (the form of metrics.start / metrics.end); nullopt when
// it is not a time or outside the range above.
std::optional<int64_t> TimeMicros(const json::value& v);
// `micros` moved by `sign` (+1 or -1) times `iv`, months on the UTC calendar
// (Jan 31 + 1 month is the last day of February). nullopt when the result
// leaves the range above (no arithmetic on the way wraps).
std::optional<int64_t> ShiftMicros(int64_t micros, const Interval& iv, int sign);
// iv ± other (sign +1 or -1); nullopt when a field overflows.
std::optional<Interval> CombineIntervals(const Interval& iv, const Interval& other, int sign);
// RFC 3339 UTC, with a fraction only when it is not zero: 2024-11-09T00:00:00Z.
std::string FormatTime(int64_t micros);

// Interval units, singular and lowercase: year, month, week, day, hour,
// minute, second, millisecond, microsecond. Plural forms are accepted by
// IntervalUnit, which returns the singular, or "" when the unit is unknown.
std::string IntervalUnit(std::string_view unit);

}  // namespace tv::btql
