// Unit tests for the BTQL executor pieces that do not touch the store: LIKE,
// time functions, aggregation, the sort top-k, samples and trace summaries.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>

#include "btql/aggregate.h"
#include "btql/eval.h"
#include "btql/exec.h"
#include "btql/text_query.h"
#include "btql/traces.h"
#include "btql/values.h"
#include "common/clock.h"
#include "common/json.h"

namespace tv::btql {
namespace {

Query Parse(std::string_view text) {
  Result<Query> q = ParseTextQuery(text);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return q.ok() ? *q : Query();
}

json::object Obj(std::string_view text) {
  Result<json::object> o = ParseJsonObject(text);
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  return o.ok() ? *o : json::object();
}

json::value Eval(std::string_view expr, std::string_view row = "{}", EvalContext ctx = {}) {
  Result<Expr> e = ParseTextExpr(expr);
  EXPECT_TRUE(e.ok()) << expr << ": " << e.status().ToString();
  return e.ok() ? EvalValue(*e, Obj(row), ctx) : json::value();
}

TEST(Like, WildcardsEscapesAndCase) {
  EXPECT_TRUE(LikeMatch("hello world", "hello%", false));
  EXPECT_TRUE(LikeMatch("hello world", "%o w%", false));
  EXPECT_TRUE(LikeMatch("hello", "h_llo", false));
  EXPECT_FALSE(LikeMatch("hello", "h_lo", false));
  EXPECT_TRUE(LikeMatch("50%", "50\\%", false));
  EXPECT_FALSE(LikeMatch("500", "50\\%", false));
  EXPECT_TRUE(LikeMatch("HeLLo", "hello", true));
  EXPECT_FALSE(LikeMatch("HeLLo", "hello", false));
  EXPECT_TRUE(LikeMatch("héllo", "h_llo", false)) << "_ is one code point";
  EXPECT_TRUE(LikeMatch("", "%", false));
  EXPECT_FALSE(LikeMatch("", "_", false));
}

TEST(Like, PathologicalPatternIsFast) {
  std::string text(200000, 'a');
  // No timing assertion: finishing at all shows there is no exponential backtracking.
  EXPECT_FALSE(LikeMatch(text, "%a%a%a%a%a%a%a%a%a%a%b", false));
  EXPECT_TRUE(LikeMatch(text + "b", "%a%a%a%a%a%a%a%a%a%a%b", false));
}

TEST(Functions, TimeTruncationAndTimeZones) {
  EXPECT_EQ(Eval("day('2024-11-09T17:30:00Z')"), json::value("2024-11-09T00:00:00Z"));
  EXPECT_EQ(Eval("hour('2024-11-09T17:30:12.5Z')"), json::value("2024-11-09T17:00:00Z"));
  EXPECT_EQ(Eval("week('2024-11-09T17:30:00Z')"), json::value("2024-11-04T00:00:00Z")) << "a Monday";
  EXPECT_EQ(Eval("month('2024-11-09T17:30:00Z')"), json::value("2024-11-01T00:00:00Z"));
  EXPECT_EQ(Eval("year('2024-11-09T17:30:00Z')"), json::value("2024-01-01T00:00:00Z"));
  EXPECT_EQ(Eval("date_trunc('minute', '2024-11-09T17:30:59Z')"), json::value("2024-11-09T17:30:00Z"));
  EvalContext pacific{0, 480};
  // 03:00 UTC on the 10th is 19:00 on the 9th in UTC-8: that day starts at 08:00 UTC.
  EXPECT_EQ(Eval("day('2024-11-10T03:00:00Z')", "{}", pacific), json::value("2024-11-09T08:00:00Z"));
  EXPECT_EQ(Eval("day(1731110400)"), json::value("2024-11-09T00:00:00Z")) << "epoch seconds";
  EXPECT_TRUE(Eval("day('not a time')").is_null());
}

TEST(Functions, IntervalsMoveTimes) {
  EXPECT_EQ(Eval("'2024-01-31T00:00:00Z' + interval 1 month"), json::value("2024-02-29T00:00:00Z"));
  EXPECT_EQ(Eval("'2024-03-01T00:00:00Z' - interval 1 day"), json::value("2024-02-29T00:00:00Z"));
  EXPECT_EQ(Eval("'2024-03-01T00:00:00Z' - interval 90 minutes"), json::value("2024-02-29T22:30:00Z"));
  EXPECT_EQ(Eval("interval 2 hours + '2024-03-01T00:00:00Z'"), json::value("2024-03-01T02:00:00Z"));
  EXPECT_EQ(Eval("'2024-03-01T00:00:10Z' - '2024-03-01T00:00:00Z'"), json::value(10));
  EvalContext now{ParseTimestamp("2026-11-23T12:00:00Z").value(), 0};
  EXPECT_EQ(Eval("now() - interval 1 day", "{}", now), json::value("2026-11-22T12:00:00Z"));
  EXPECT_EQ(Eval("current_date()", "{}", now), json::value("2026-11-23T00:00:00Z"));
}

TEST(Functions, ArithmeticAndNulls) {
  EXPECT_EQ(Eval("7 / 2"), json::value(3.5));
  EXPECT_EQ(Eval("7 % 3"), json::value(1));
  EXPECT_EQ(Eval("2 * 3 + 1"), json::value(7));
  EXPECT_TRUE(Eval("1 / 0").is_null());
  EXPECT_TRUE(Eval("1 % 0").is_null());
  EXPECT_TRUE(Eval("'a' + 1").is_null());
  EXPECT_EQ(Eval("9223372036854775807 + 1"), json::value(9223372036854775808.0)) << "overflow becomes a double";
  EXPECT_EQ(Eval("coalesce(missing, 'x')"), json::value("x"));
  EXPECT_EQ(Eval("concat('a', null, 1)"), json::value("a1"));
  EXPECT_TRUE(Eval("nullif(1, 1)").is_null());
  EXPECT_EQ(Eval("greatest(1, null, 3)"), json::value(3));
  EXPECT_TRUE(Eval("least(1, 'a')").is_null());
  EXPECT_EQ(Eval("round(2.567, 2)"), json::value(2.57));
  EXPECT_EQ(Eval("to_string(2.5)"), json::value("2.5"));
  EXPECT_EQ(Eval("to_integer('7.9')"), json::value(7));
  EXPECT_EQ(Eval("len('héllo')"), json::value(5));
  EXPECT_EQ(Eval("json_extract('{\"a\": [1]}', 'a')"), json::value(json::array{1}));
  EXPECT_TRUE(Eval("json_extract('{bad', 'a')").is_null());
}

json::array RunQueryRows(std::string_view query, const std::vector<std::string>& rows, size_t limit = 1000) {
  Query q = Parse(query);
  EvalContext ctx;
  auto p = Pipeline::Make(q, ctx, ExecLimits{}, limit, std::nullopt);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return {};
  uint64_t xact = rows.size();
  for (const auto& r : rows) {
    json::object row = Obj(r);
    Status st = (*p)->Add(row, {xact--, std::string(row["id"].as_string())});
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return (*p)->Finish().rows;
}

TEST(Aggregate, MeasuresCombineAndIgnoreNulls) {
  std::vector<std::string> rows = {R"({"id":"a","m":"x","v":1,"error":"e"})", R"({"id":"b","m":"x","v":3})",
                                   R"({"id":"c","m":"y","v":null})", R"({"id":"d","m":"y","v":10})"};
  json::array out = RunQueryRows(
      "dimensions: m | measures: count(1) as n, count(v) as nv, sum(v) as s, avg(v) as a, min(v) as lo, "
      "max(v) as hi, count(error) / count(1) as err_rate, percentile(v, 0.5) as med | from: experiment('e') | sort: m",
      rows);
  ASSERT_EQ(out.size(), 2u);
  // Numbers compare by value (err_rate 0 is the double 0.0).
  EXPECT_TRUE(ValuesEqual(out[0], Obj(R"({"m":"x","n":2,"nv":2,"s":4,"a":2,"lo":1,"hi":3,"err_rate":0.5,"med":2})")))
      << ToJson(out[0]);
  EXPECT_TRUE(ValuesEqual(out[1], Obj(R"({"m":"y","n":2,"nv":1,"s":10,"a":10,"lo":10,"hi":10,"err_rate":0,"med":10})")))
      << ToJson(out[1]);
}

TEST(Aggregate, MeasuresWithoutRowsGiveOneRow) {
  json::array out = RunQueryRows("measures: count(1) as n, sum(v) as s | from: experiment('e')", {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], Obj(R"({"n":0,"s":null})"));
}

TEST(Aggregate, PivotMakesColumns) {
  json::array out = RunQueryRows("measures: count(1) as n | pivot: m | from: experiment('e')",
                                 {R"({"id":"a","m":"x"})", R"({"id":"b","m":"x"})", R"({"id":"c","m":"y"})"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], Obj(R"({"x_n":2,"y_n":1})"));
}

TEST(Pipeline, SortTopKEqualsAFullSort) {
  std::mt19937 rng(7);
  std::vector<std::string> rows;
  std::vector<std::pair<int, std::string>> expected;
  for (int i = 0; i < 3000; ++i) {
    int v = static_cast<int>(rng() % 500);
    std::string id = "r" + std::to_string(10000 + i);
    rows.push_back(R"({"id":")" + id + R"(","v":)" + std::to_string(v) + "}");
    expected.emplace_back(v, id);
  }
  // v descending; ties newest first (the later rows here carry the older xacts).
  std::stable_sort(expected.begin(), expected.end(), [](auto& a, auto& b) { return a.first > b.first; });
  json::array out = RunQueryRows("select: id, v | from: experiment('e') | sort: v desc | limit: 25", rows, 25);
  ASSERT_EQ(out.size(), 25u);
  for (size_t i = 0; i < 25; ++i) EXPECT_EQ(out[i].as_object().at("id"), json::value(expected[i].second)) << i;
}

TEST(Pipeline, NullsSortLastAscending) {
  json::array out = RunQueryRows("select: id | from: experiment('e') | sort: v",
                                 {R"({"id":"a"})", R"({"id":"b","v":2})", R"({"id":"c","v":1})"});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].as_object().at("id"), json::value("c"));
  EXPECT_EQ(out[2].as_object().at("id"), json::value("a"));
}

TEST(Pipeline, CountSampleIsStableAndExact) {
  std::vector<std::string> rows;
  for (int i = 0; i < 200; ++i) rows.push_back(R"({"id":"r)" + std::to_string(i) + R"("})");
  json::array a = RunQueryRows("select: id | from: experiment('e') | sample: 10 seed 3", rows);
  json::array b = RunQueryRows("select: id | from: experiment('e') | sample: 10 seed 3", rows);
  EXPECT_EQ(a.size(), 10u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, RunQueryRows("select: id | from: experiment('e') | sample: 10 seed 4", rows));
}

TEST(Pipeline, MemoryBudgetIsEnforced) {
  Query q = Parse("select: id, t | from: experiment('e') | sort: t | limit: 100000");
  EvalContext ctx;
  ExecLimits limits;
  limits.memory_budget_bytes = 64 << 10;
  auto p = Pipeline::Make(q, ctx, limits, 100000, std::nullopt);
  ASSERT_TRUE(p.ok());
  Status st = Status::Ok();
  for (int i = 0; i < 1000 && st.ok(); ++i) {
    json::object row{{"id", std::to_string(i)}, {"t", std::string(200, 'x')}};
    st = (*p)->Add(row, {static_cast<uint64_t>(i), std::to_string(i)});
  }
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("memory budget"), std::string::npos) << st.ToString();
}

// concat(x, x, ... `width` times), nested `depth` levels deep.
std::string NestedConcat(std::string inner, int width, int depth) {
  for (int d = 0; d < depth; ++d) {
    std::string args;
    for (int i = 0; i < width; ++i) args += (i ? ", " : "") + inner;
    inner = "concat(" + args + ")";
  }
  return inner;
}

TEST(EvalBudget, NestedConcatStopsBeforeItsOutputExists) {
  EvalState state(1 << 20);
  EvalContext ctx{0, 0, &state};
  json::object row{{"input", std::string(1024, 'x')}};
  // 1 KB · 8^4 = 4 MB for the outermost concat alone.
  Result<Expr> e = ParseTextExpr(NestedConcat("input", 8, 4));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(EvalValue(*e, row, ctx).is_null());
  ASSERT_TRUE(state.failed());
  EXPECT_NE(state.status().message().find("memory budget of 1 MiB"), std::string::npos) << state.status().ToString();
  EXPECT_EQ(state.status().code(), StatusCode::kInvalidArgument);
  EXPECT_LE(state.used(), size_t{1} << 20) << "the 4 MB string was never charged, so never built";
  // Once failed, every evaluation is null at once.
  EXPECT_TRUE(EvalValue(*ParseTextExpr("concat('a', 'b')"), row, ctx).is_null());
}

TEST(EvalBudget, ValuesWithinTheBudgetAreReleasedAfterEachEvaluation) {
  EvalState state(1 << 20);
  EvalContext ctx{0, 0, &state};
  json::object row{{"input", std::string(1024, 'x')}};
  Result<Expr> e = ParseTextExpr(NestedConcat("input", 8, 2));  // 64 KB
  ASSERT_TRUE(e.ok());
  for (int i = 0; i < 100; ++i) {
    json::value v = EvalValue(*e, row, ctx);
    ASSERT_TRUE(v.is_string());
    EXPECT_EQ(v.get_string().size(), 64u * 1024);
  }
  EXPECT_FALSE(state.failed()) << state.status().ToString();
  EXPECT_EQ(state.used(), 0u);
  // Arrays, lower/upper and to_string are charged too.
  json::object big{{"input", std::string(600 << 10, 'x')}};
  EXPECT_TRUE(EvalValue(*ParseTextExpr("[input, input]"), big, ctx).is_null());
  EXPECT_TRUE(state.failed());
  EvalState second(1 << 20);
  EvalContext ctx2{0, 0, &second};
  EXPECT_TRUE(EvalValue(*ParseTextExpr("concat(upper(input), input)"), big, ctx2).is_null());
  EXPECT_TRUE(second.failed());
}

TEST(EvalBudget, FilterValuesCountInThePipeline) {
  Query q = Parse("select: id | from: experiment('e') | filter: len(" + NestedConcat("input", 8, 4) + ") > 0");
  EvalContext ctx;
  ExecLimits limits;
  limits.memory_budget_bytes = 1 << 20;
  auto p = Pipeline::Make(q, ctx, limits, 10, std::nullopt, /*filter_after_unpivot=*/false);
  ASSERT_TRUE(p.ok());
  EvalState state(1 << 20);
  EvalContext budgeted{0, 0, &state};
  json::object row{{"id", "r1"}, {"input", std::string(1024, 'x')}};
  EXPECT_FALSE(EvalPredicate(*q.filter, row, budgeted));
  EXPECT_TRUE(state.failed());
  EXPECT_NE(state.status().message().find("memory budget"), std::string::npos);
}

TEST(EvalBudget, ProjectedValuesAndUnpivotCopiesCount) {
  // Each row projects 64 KB: the budget of 1 MiB holds about 15 of them.
  Query q = Parse("select: " + NestedConcat("input", 8, 2) + " as c | from: experiment('e')");
  EvalContext ctx;
  ExecLimits limits;
  limits.memory_budget_bytes = 1 << 20;
  auto p = Pipeline::Make(q, ctx, limits, 100000, std::nullopt);
  ASSERT_TRUE(p.ok());
  Status st = Status::Ok();
  int added = 0;
  for (; added < 1000 && st.ok(); ++added) {
    json::object row{{"id", std::to_string(added)}, {"input", std::string(1024, 'x')}};
    st = (*p)->Add(row, {static_cast<uint64_t>(1000 - added), std::to_string(added)});
  }
  EXPECT_FALSE(st.ok());
  EXPECT_LT(added, 20);
  // An unpivot copies the row once per element: 2000 copies of a 1 KB row.
  Query u = Parse("select: id, e | from: experiment('e') | unpivot: list as e");
  auto up = Pipeline::Make(u, ctx, limits, 100000, std::nullopt);
  ASSERT_TRUE(up.ok());
  json::array list;
  for (int i = 0; i < 2000; ++i) list.push_back(i);
  json::object row{{"id", "r"}, {"input", std::string(1024, 'x')}, {"list", list}};
  Status ust = (*up)->Add(row, {1, "r"});
  EXPECT_FALSE(ust.ok());
  EXPECT_NE(ust.message().find("memory budget"), std::string::npos) << ust.ToString();
}

TEST(DateArithmetic, OverflowIsAnErrorNotAWrappedDate) {
  const char* cases[] = {
      "'2026-01-01T00:00:00Z' + interval 2147483647 month",
      "'2026-01-01T00:00:00Z' - interval 2147483647 month",
      "'2026-01-01T00:00:00Z' + interval 7975 year",
      "'2026-01-01T00:00:00Z' - interval 2026 year",
      "'2026-01-01T00:00:00Z' + interval 500000 week",
      "'2026-01-01T00:00:00Z' - interval 800000 day",
      "'2026-01-01T00:00:00Z' + interval 100000000 hour",
      "'2026-01-01T00:00:00Z' + interval 9000000000 minute",
      "'2026-01-01T00:00:00Z' - interval 999999999999 second",
      "'9999-12-31T00:00:00Z' + interval 999999999999 millisecond",
      "'9999-12-31T00:00:00Z' + interval 999999999999 microsecond",
      "'9999-12-31T23:59:59.999999Z' + interval 1 microsecond",
      "'0001-01-01T00:00:00Z' - interval 1 microsecond",
      "1767225600 + interval 2147483647 month",
      "'2026-01-01T00:00:00Z' + (interval 2500000000 hour + interval 2500000000 hour)",
      "'2026-01-01T00:00:00Z' - (interval 2500000000 hour - interval -2500000000 hour)",
      "'2026-01-01T00:00:00Z' + interval 1e13 day",
  };
  for (const char* expr : cases) {
    EvalState state(1 << 20);
    EvalContext ctx{0, 0, &state};
    Result<Expr> e = ParseTextExpr(expr);
    ASSERT_TRUE(e.ok()) << expr << ": " << e.status().ToString();
    json::value v = EvalValue(*e, json::object(), ctx);
    EXPECT_TRUE(v.is_null()) << expr << " gave " << ToJson(v);
    EXPECT_TRUE(state.failed()) << expr;
    EXPECT_EQ(state.status().code(), StatusCode::kInvalidArgument) << expr;
    EXPECT_TRUE(state.status().message().find("out of range") != std::string::npos ||
                state.status().message().find("overflows") != std::string::npos)
        << expr << ": " << state.status().ToString();
  }
  // Without an EvalState (no query to fail) they are null, never a wrapped date.
  EXPECT_TRUE(Eval("'2026-01-01T00:00:00Z' + interval 2147483647 month").is_null());
  // The edges themselves are fine.
  EXPECT_EQ(Eval("'9999-12-31T23:59:59Z' + interval 999999 microsecond"), json::value("9999-12-31T23:59:59.999999Z"));
  EXPECT_EQ(Eval("'0001-01-31T00:00:00Z' + interval 1 month"), json::value("0001-02-28T00:00:00Z"));
  EXPECT_EQ(Eval("'2026-01-01T00:00:00Z' + interval 7973 year"), json::value("9999-01-01T00:00:00Z"));
  EXPECT_EQ(Eval("'2026-03-31T00:00:00Z' - interval 24301 month"), json::value("0001-02-28T00:00:00Z"));
}

TEST(Traces, SummaryAveragesScoresOverSpansAndSumsMetrics) {
  Query q = Parse("from: experiment('e') summary");
  EvalContext ctx;
  TraceFilter filter(q.filter, ctx);
  SummaryOptions options;
  options.preview_length = 5;
  options.price = [](std::string_view model, double p, double c, double) -> std::optional<double> {
    if (model != "m1") return std::nullopt;
    return (p + 2 * c) / 1e6;
  };
  TraceSummarizer s(filter, options);
  s.Add(Obj(R"({"id":"root","span_id":"root","root_span_id":"root","is_root":true,"input":"hello world",
               "metrics":{"start":10,"end":20}})"),
        3);
  s.Add(Obj(R"({"id":"s1","span_id":"s1","root_span_id":"root","span_parents":["root"],"scores":{"acc":1},
               "span_attributes":{"type":"score"}})"),
        4);
  s.Add(Obj(R"({"id":"s2","span_id":"s2","root_span_id":"root","span_parents":["root"],"scores":{"acc":0,"f":0.5}})"),
        5);
  s.Add(Obj(R"({"id":"l1","span_id":"l1","root_span_id":"root","span_parents":["root"],"metadata":{"model":"m1"},
               "span_attributes":{"type":"llm"},"metrics":{"start":11,"end":13,"prompt_tokens":100,"completion_tokens":50}})"),
        6);
  auto rows = s.Finish();
  ASSERT_EQ(rows.size(), 1u);
  const json::object& r = rows[0].second;
  EXPECT_EQ(rows[0].first.xact, 6u);
  EXPECT_EQ(r.at("input"), json::value("hello"));
  EXPECT_EQ(r.at("scores"), json::value(Obj(R"({"acc":0.5,"f":0.5})")));
  const json::object& m = r.at("metrics").as_object();
  EXPECT_EQ(m.at("duration"), json::value(10));
  EXPECT_EQ(m.at("prompt_tokens"), json::value(100));
  EXPECT_EQ(m.at("llm_calls"), json::value(1));
  EXPECT_EQ(m.at("llm_duration"), json::value(2));
  EXPECT_DOUBLE_EQ(m.at("estimated_cost").as_double(), 200 / 1e6);
  EXPECT_EQ(r.at("num_spans"), json::value(4));
  EXPECT_EQ(r.at("comparison_key"), json::value(CanonicalHash(json::value("hello world"))));
}

TEST(Traces, AnySpanLetsDifferentSpansMeetDifferentConditions) {
  Query q = Parse("from: experiment('e') summary | filter: any_span(a = 1) and any_span(b = 1)");
  Query single = Parse("from: experiment('e') summary | filter: a = 1 and b = 1");
  EvalContext ctx;
  for (auto* query : {&q, &single}) {
    TraceFilter filter(query->filter, ctx);
    TraceSummarizer s(filter, {});
    s.Add(Obj(R"({"id":"x","root_span_id":"t","a":1})"), 1);
    s.Add(Obj(R"({"id":"y","root_span_id":"t","b":1})"), 2);
    EXPECT_EQ(s.Finish().size(), query == &q ? 1u : 0u);
  }
}

}  // namespace
}  // namespace tv::btql
