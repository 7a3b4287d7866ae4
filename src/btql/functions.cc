#include "btql/functions.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>

#include "btql/clause_rules.h"
#include "btql/values.h"
#include "common/clock.h"
#include "common/strings.h"

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

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::optional<int64_t> UnitMicros(std::string_view unit) {
  if (unit == "week") return 7 * kMicrosPerDay;
  if (unit == "day") return kMicrosPerDay;
  if (unit == "hour") return 3600 * kMicrosPerSecond;
  if (unit == "minute") return 60 * kMicrosPerSecond;
  if (unit == "second") return kMicrosPerSecond;
  if (unit == "millisecond") return 1000;
  if (unit == "microsecond") return 1;
  return std::nullopt;
}

// `micros` truncated to the start of its `unit` in local time (offset minutes
// west of UTC), as a UTC instant.
std::optional<int64_t> Truncate(int64_t micros, std::string_view unit, int tz_offset_minutes) {
  using namespace std::chrono;
  int64_t shift = int64_t{tz_offset_minutes} * 60 * kMicrosPerSecond;
  int64_t local = micros - shift;
  int64_t out;
  if (unit == "month" || unit == "year") {
    sys_days day{days{FloorDiv(local, kMicrosPerDay)}};
    year_month_day ymd{day};
    year_month_day first = unit == "year" ? year_month_day{ymd.year(), January, std::chrono::day{1}}
                                          : year_month_day{ymd.year(), ymd.month(), std::chrono::day{1}};
    out = int64_t{sys_days{first}.time_since_epoch().count()} * kMicrosPerDay;
  } else if (unit == "week") {
    int64_t day = FloorDiv(local, kMicrosPerDay);
    int64_t weekday = ((day % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday; Monday = 0
    out = (day - weekday) * kMicrosPerDay;
  } else {
    std::optional<int64_t> size = UnitMicros(unit);
    if (!size) return std::nullopt;
    out = FloorDiv(local, *size) * *size;
  }
  return out + shift;
}

json::value TimeOrNull(std::optional<int64_t> micros) {
  return micros ? json::value(FormatTime(*micros)) : json::value(nullptr);
}

std::string AsText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_double()) return fmt::format("{}", v.get_double());  // shortest round-trip form, not 2.5E0
  return ToJson(v);
}

std::string MapAscii(std::string_view s, bool upper) {
  std::string out(s);
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<double> ParseNumber(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double d = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return d;
}

json::value ToNumber(const json::value& v) {
  if (IsNumber(v)) return v;
  if (v.is_bool()) return json::value(int64_t{v.get_bool()});
  if (v.is_string()) {
    std::string_view text = v.get_string();
    int64_t i = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return json::value(i);
    if (auto d = ParseNumber(text); d && std::isfinite(*d)) return json::value(*d);
  }
  return nullptr;
}

json::value ToInteger(const json::value& v) {
  json::value n = ToNumber(v);
  if (n.is_int64() || n.is_uint64()) return n;
  if (!n.is_double()) return nullptr;
  double d = std::trunc(n.get_double());
  if (!(d >= -9.2e18 && d <= 9.2e18)) return nullptr;
  return json::value(static_cast<int64_t>(d));
}

json::value ToBoolean(const json::value& v) {
  if (v.is_bool()) return v;
  if (IsNumber(v)) return json::value(v.to_number<double>() != 0);
  if (v.is_string()) {
    std::string lower = AsciiLower(v.get_string());
    if (lower == "true" || lower == "1" || lower == "t" || lower == "yes") return json::value(true);
    if (lower == "false" || lower == "0" || lower == "f" || lower == "no") return json::value(false);
  }
  return nullptr;
}

json::value Round(const json::value& x, const json::value* places) {
  if (!IsNumber(x)) return nullptr;
  int64_t p = 0;
  if (places) {
    if (!IsNumber(*places)) return nullptr;
    p = static_cast<int64_t>(places->to_number<double>());
    if (p < -18 || p > 18) return x;
  }
  if ((x.is_int64() || x.is_uint64()) && p >= 0) return x;
  double scale = std::pow(10.0, static_cast<double>(p));
  double r = std::round(x.to_number<double>() * scale) / scale;
  if (!std::isfinite(r)) return x;
  return p <= 0 ? NumberValue(r) : json::value(r);
}

// least / greatest over the non-null arguments; mixed kinds give null.
json::value Extreme(const std::vector<json::value>& args, int want) {
  const json::value* best = nullptr;
  for (const auto& a : args) {
    if (a.is_null()) continue;
    if (!best) {
      best = &a;
      continue;
    }
    std::optional<int> c = CompareScalars(a, *best);
    if (!c) return nullptr;
    if (*c == want) best = &a;
  }
  return best ? *best : json::value(nullptr);
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

json::value JsonExtract(const json::value& text, const json::value& key) {
  if (!text.is_string()) return nullptr;
  auto parsed = ParseJson(text.get_string());
  if (!parsed.ok()) return nullptr;
  json::value doc = std::move(*parsed);
  if (key.is_string()) {
    const json::object* o = doc.if_object();
    const json::value* v = o ? o->if_contains(key.get_string()) : nullptr;
    return v ? *v : json::value(nullptr);
  }
  if (key.is_int64()) {
    const json::array* a = doc.if_array();
    int64_t i = key.get_int64();
    if (a && i < 0) i += static_cast<int64_t>(a->size());
    return a && i >= 0 && i < static_cast<int64_t>(a->size()) ? (*a)[static_cast<size_t>(i)] : json::value(nullptr);
  }
  return nullptr;
}

bool Includes(const json::value& haystack, const json::value& needle) {
  if (haystack.is_array()) {
    for (const auto& item : haystack.get_array())
      if (ValuesEqual(item, needle)) return true;
    return false;
  }
  if (haystack.is_object() && needle.is_string()) return haystack.get_object().contains(needle.get_string());
  if (haystack.is_string() && needle.is_string())
    return std::string_view(haystack.get_string()).find(std::string_view(needle.get_string())) !=
           std::string_view::npos;
  return false;
}

bool NullPropagating(std::string_view name) {
  return name != "coalesce" && name != "concat" && name != "nullif" && name != "least" && name != "greatest" &&
         name != "now" && name != "current_timestamp" && name != "current_date";
}

constexpr std::array<std::string_view, 7> kTruncUnits = {"second", "minute", "hour", "day", "week", "month", "year"};

}  // namespace

std::optional<Interval> MakeInterval(double amount, std::string_view unit) {
  if (!std::isfinite(amount) || std::fabs(amount) > 1e12) return std::nullopt;
  if (unit == "year") return Interval{static_cast<int64_t>(std::llround(amount * 12)), 0};
  if (unit == "month") return Interval{static_cast<int64_t>(std::llround(amount)), 0};
  std::optional<int64_t> size = UnitMicros(unit);
  if (!size) return std::nullopt;
  double micros = amount * static_cast<double>(*size);
  if (std::fabs(micros) > 9e18) return std::nullopt;
  return Interval{0, static_cast<int64_t>(std::llround(micros))};
}

std::optional<Interval> ParseInterval(std::string_view text) {
  size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::optional<double> amount = ParseNumber(text.substr(0, space));
  std::string unit = IntervalUnit(text.substr(space + 1));
  if (!amount || unit.empty()) return std::nullopt;
  return MakeInterval(*amount, unit);
}

std::string IntervalText(const Interval& iv) {
  if (iv.micros == 0) return fmt::format("{} month{}", iv.months, iv.months == 1 ? "" : "s");
  if (iv.months == 0) {
    if (iv.micros % kMicrosPerDay == 0)
      return fmt::format("{} day{}", iv.micros / kMicrosPerDay, iv.micros == kMicrosPerDay ? "" : "s");
    if (iv.micros % kMicrosPerSecond == 0) return fmt::format("{} seconds", iv.micros / kMicrosPerSecond);
    return fmt::format("{} microseconds", iv.micros);
  }
  return fmt::format("{} months {} microseconds", iv.months, iv.micros);
}

std::optional<int64_t> TimeMicros(const json::value& v) {
  std::optional<int64_t> t;
  if (v.is_string()) {
    t = ParseTimestamp(v.get_string());
  } else if (IsNumber(v)) {
    double s = v.to_number<double>();
    if (!std::isfinite(s) || std::fabs(s) > 9e12) return std::nullopt;
    t = static_cast<int64_t>(std::llround(s * 1e6));
  }
  if (!t || *t < kMinTimeMicros || *t > kMaxTimeMicros) return std::nullopt;
  return t;
}

std::optional<int64_t> ShiftMicros(int64_t micros, const Interval& iv, int sign) {
  using namespace std::chrono;
  int64_t out = micros;
  if (iv.months != 0) {
    int64_t day_index = FloorDiv(out, kMicrosPerDay);
    int64_t within = out - day_index * kMicrosPerDay;
    year_month_day ymd{sys_days{days{day_index}}};
    // chrono's year is 16 bits: compute the target month as a plain integer
    // and refuse it before it reaches the calendar.
    int64_t month_index = int64_t{int{ymd.year()}} * 12 + (unsigned{ymd.month()} - 1);
    int64_t moved_index = 0;
    if (__builtin_mul_overflow(iv.months, int64_t{sign}, &moved_index) ||
        __builtin_add_overflow(month_index, moved_index, &moved_index) || moved_index < 12 || moved_index >= 10000 * 12)
      return std::nullopt;
    year_month_day moved{year{static_cast<int>(moved_index / 12)}, month{static_cast<unsigned>(moved_index % 12 + 1)},
                         ymd.day()};
    if (!moved.ok()) moved = year_month_day{moved.year() / moved.month() / last};
    out = int64_t{sys_days{moved}.time_since_epoch().count()} * kMicrosPerDay + within;
  }
  int64_t delta = 0;
  if (__builtin_mul_overflow(iv.micros, int64_t{sign}, &delta) || __builtin_add_overflow(out, delta, &out))
    return std::nullopt;
  if (out < kMinTimeMicros || out > kMaxTimeMicros) return std::nullopt;
  return out;
}

std::optional<Interval> CombineIntervals(const Interval& iv, const Interval& other, int sign) {
  Interval out;
  int64_t months = 0, micros = 0;
  if (__builtin_mul_overflow(other.months, int64_t{sign}, &months) ||
      __builtin_mul_overflow(other.micros, int64_t{sign}, &micros) ||
      __builtin_add_overflow(iv.months, months, &out.months) || __builtin_add_overflow(iv.micros, micros, &out.micros))
    return std::nullopt;
  return out;
}

std::string FormatTime(int64_t micros) {
  std::string text = FormatTimestamp(micros);
  if (auto dot = text.find(".000000Z"); dot != std::string::npos) text.replace(dot, 8, "Z");
  return text;
}

Status MemoryBudgetExceeded(size_t budget_bytes) {
  std::string size = budget_bytes % (size_t{1} << 20) == 0 ? fmt::format("{} MiB", budget_bytes >> 20)
                                                           : fmt::format("{} bytes", budget_bytes);
  return InvalidArgument(
      "BTQL: the query needs more than its memory budget of {}; narrow it with a filter, fewer or smaller "
      "selected values (concat, arrays, objects), fewer dimensions or a smaller limit",
      size);
}

bool EvalState::Charge(size_t bytes) {
  used_ = bytes > SIZE_MAX - used_ ? SIZE_MAX : used_ + bytes;
  if (used_ <= limit_) return true;
  Fail(MemoryBudgetExceeded(limit_));
  return false;
}

bool EvalState::Admit(size_t bytes) {
  if (!failed() && bytes <= limit_ && used_ <= limit_ - bytes) return true;
  Fail(MemoryBudgetExceeded(limit_));
  return false;
}

void EvalState::Fail(Status status) {
  if (status_.ok()) status_ = std::move(status);
}

json::value CallScalar(std::string_view name, const std::vector<json::value>& args, const EvalContext& ctx) {
  if (NullPropagating(name)) {
    for (const auto& a : args)
      if (a.is_null()) return nullptr;
  }
  for (auto unit : kTruncUnits) {
    if (name == unit) {
      auto t = TimeMicros(args[0]);
      return TimeOrNull(t ? Truncate(*t, unit, ctx.tz_offset_minutes) : std::nullopt);
    }
  }
  if (name == "date_trunc") {
    if (!args[0].is_string()) return nullptr;
    auto t = TimeMicros(args[1]);
    return TimeOrNull(t ? Truncate(*t, IntervalUnit(args[0].get_string()), ctx.tz_offset_minutes) : std::nullopt);
  }
  if (name == "now" || name == "current_timestamp") return json::value(FormatTime(ctx.now_micros));
  if (name == "current_date") return TimeOrNull(Truncate(ctx.now_micros, "day", ctx.tz_offset_minutes));
  if (name == "lower" || name == "upper") {
    if (!args[0].is_string()) return nullptr;
    if (ctx.state && !ctx.state->Admit(args[0].get_string().size())) return nullptr;
    return json::value(MapAscii(args[0].get_string(), name == "upper"));
  }
  if (name == "concat") {
    // Nested concats multiply sizes: the output is admitted before it exists.
    size_t size = 0;
    for (const auto& a : args) size += a.is_null() ? 0 : a.is_string() ? a.get_string().size() : SerializedSize(a);
    if (ctx.state && !ctx.state->Admit(size)) return nullptr;
    std::string out;
    out.reserve(size);
    for (const auto& a : args) {
      if (a.is_string()) {
        out += a.get_string();
      } else if (!a.is_null()) {
        out += AsText(a);
      }
    }
    return json::value(std::move(out));
  }
  if (name == "len" || name == "length") {
    if (args[0].is_string()) return json::value(static_cast<int64_t>(CodePoints(args[0].get_string())));
    if (args[0].is_array()) return json::value(static_cast<int64_t>(args[0].get_array().size()));
    if (args[0].is_object()) return json::value(static_cast<int64_t>(args[0].get_object().size()));
    return nullptr;
  }
  if (name == "contains") return json::value(Includes(args[0], args[1]));
  if (name == "json_extract") {
    if (ctx.state && args[0].is_string() && !ctx.state->Admit(args[0].get_string().size())) return nullptr;
    return JsonExtract(args[0], args[1]);
  }
  if (name == "coalesce") {
    for (const auto& a : args)
      if (!a.is_null()) return a;
    return nullptr;
  }
  if (name == "nullif") {
    if (args[0].is_null() || args[1].is_null()) return args[0];
    return ValuesEqual(args[0], args[1]) ? json::value(nullptr) : args[0];
  }
  if (name == "least") return Extreme(args, -1);
  if (name == "greatest") return Extreme(args, 1);
  if (name == "round") return Round(args[0], args.size() > 1 ? &args[1] : nullptr);
  if (name == "abs") {
    if (args[0].is_int64() && args[0].get_int64() != INT64_MIN) return json::value(std::llabs(args[0].get_int64()));
    if (IsNumber(args[0])) return json::value(std::fabs(args[0].to_number<double>()));
    return nullptr;
  }
  if (name == "to_string") {
    if (ctx.state && !args[0].is_string() && !ctx.state->Admit(SerializedSize(args[0]))) return nullptr;
    return json::value(AsText(args[0]));
  }
  if (name == "to_boolean") return ToBoolean(args[0]);
  if (name == "to_integer") return ToInteger(args[0]);
  if (name == "to_number") return ToNumber(args[0]);
  if (name == "to_datetime") return TimeOrNull(TimeMicros(args[0]));
  if (name == "to_date") {
    auto t = TimeMicros(args[0]);
    if (!t) return nullptr;
    return json::value(FormatTime(FloorDiv(*t, kMicrosPerDay) * kMicrosPerDay).substr(0, 10));
  }
  return nullptr;
}

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
  static constexpr std::array<std::string_view, 9> kUnits = {"year",   "month",  "week",        "day",        "hour",
                                                             "minute", "second", "millisecond", "microsecond"};
  std::string lower = AsciiLower(unit);
  if (!lower.empty() && lower.back() == 's') lower.pop_back();
  for (auto u : kUnits) {
    if (u == lower) return lower;
  }
  return "";
}

}  // namespace tv::btql
