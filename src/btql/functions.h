// The BTQL function table: which names are scalar functions and which are
// aggregates, their arities, and the scalar implementations. Front ends call
// CheckCall so an unknown function or a wrong argument count is a parse-time
// error with a position; the evaluator calls CallScalar; the aggregate
// executor (aggregate.h) implements the aggregates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace tv::btql {

// Per-query inputs of functions that are not pure: now() and the time zone
// that day(), week(), ... truncate in.
struct EvalContext {
  int64_t now_micros = 0;       // now(), current_timestamp(), current_date()
  int tz_offset_minutes = 0;    // minutes WEST of UTC, as the request's tz_offset (480 = UTC-8)
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
json::value CallScalar(std::string_view lowercase_name, const std::vector<json::value>& args,
                       const EvalContext& ctx);

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

// A time value as microseconds since the epoch: an RFC 3339 string, or a
// number of seconds (the form of metrics.start / metrics.end).
std::optional<int64_t> TimeMicros(const json::value& v);
// `micros` moved by `sign` (+1 or -1) times `iv`, months on the UTC calendar
// (Jan 31 + 1 month is the last day of February).
int64_t ShiftMicros(int64_t micros, const Interval& iv, int sign);
// RFC 3339 UTC, with a fraction only when it is not zero: 2024-11-09T00:00:00Z.
std::string FormatTime(int64_t micros);

// Interval units, singular and lowercase: year, month, week, day, hour,
// minute, second, millisecond, microsecond. Plural forms are accepted by
// IntervalUnit, which returns the singular, or "" when the unit is unknown.
std::string IntervalUnit(std::string_view unit);

}  // namespace tv::btql
