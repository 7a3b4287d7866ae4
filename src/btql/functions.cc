#include "btql/functions.h"

#include <array>

#include "btql/clause_rules.h"

namespace tv::btql {

namespace {

// Arity: [min, max]; max -1 is unbounded.
struct FunctionSpec {
  std::string_view name;
  int min_args;
  int max_args;
  bool aggregate;
};

constexpr std::array<FunctionSpec, 38> kFunctions = {{
    // aggregates
    {"count", 1, 1, true},
    {"count_distinct", 1, 1, true},
    {"sum", 1, 1, true},
    {"avg", 1, 1, true},
    {"min", 1, 1, true},
    {"max", 1, 1, true},
    {"percentile", 2, 2, true},
    // time
    {"second", 1, 1, false},
    {"minute", 1, 1, false},
    {"hour", 1, 1, false},
    {"day", 1, 1, false},
    {"week", 1, 1, false},
    {"month", 1, 1, false},
    {"year", 1, 1, false},
    {"date_trunc", 2, 2, false},
    {"now", 0, 0, false},
    {"current_timestamp", 0, 0, false},
    {"current_date", 0, 0, false},
    // strings and collections
    {"lower", 1, 1, false},
    {"upper", 1, 1, false},
    {"concat", 1, -1, false},
    {"len", 1, 1, false},
    {"length", 1, 1, false},
    {"contains", 2, 2, false},
    {"json_extract", 2, 2, false},
    // null handling and numbers
    {"coalesce", 1, -1, false},
    {"nullif", 2, 2, false},
    {"least", 1, -1, false},
    {"greatest", 1, -1, false},
    {"round", 1, 2, false},
    {"abs", 1, 1, false},
    // casts
    {"to_string", 1, 1, false},
    {"to_boolean", 1, 1, false},
    {"to_integer", 1, 1, false},
    {"to_number", 1, 1, false},
    {"to_date", 1, 1, false},
    {"to_datetime", 1, 1, false},
    {"to_interval", 1, 1, false},
}};

const FunctionSpec* Find(std::string_view name) {
  for (const auto& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string ArityText(const FunctionSpec& f) {
  if (f.max_args < 0) return fmt::format("at least {} argument{}", f.min_args, f.min_args == 1 ? "" : "s");
  if (f.min_args == f.max_args) return fmt::format("{} argument{}", f.min_args, f.min_args == 1 ? "" : "s");
  return fmt::format("{} or {} arguments", f.min_args, f.max_args);
}

}  // namespace

bool IsAggregateFunction(std::string_view name) {
  const FunctionSpec* f = Find(name);
  return f && f->aggregate;
}

Status CheckCall(std::string_view name, size_t arg_count, std::string_view where) {
  const FunctionSpec* f = Find(name);
  if (!f) return InvalidArgument("BTQL: unknown function '{}'{}", name, where);
  auto n = static_cast<int>(arg_count);
  if (n < f->min_args || (f->max_args >= 0 && n > f->max_args))
    return InvalidArgument("BTQL: {}() takes {}, got {}{}", name, ArityText(*f), arg_count, where);
  return Status::Ok();
}

std::string IntervalUnit(std::string_view unit) {
  static constexpr std::array<std::string_view, 9> kUnits = {
      "year", "month", "week", "day", "hour", "minute", "second", "millisecond", "microsecond"};
  std::string lower = Lowercase(unit);
  if (!lower.empty() && lower.back() == 's') lower.pop_back();
  for (auto u : kUnits) {
    if (u == lower) return lower;
  }
  return "";
}

}  // namespace tv::btql
