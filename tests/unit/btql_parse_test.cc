// Unit tests for the three BTQL front ends (clause text, SQL, JSON AST): every
// construct of the language, the same query in all three forms giving equal
// trees, error positions, and limits on hostile input. Trees are compared as
// their BTQL text (ast_text.h), which also checks that the text parses back.
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "btql/ast.h"
#include "btql/ast_text.h"
#include "btql/json_query.h"
#include "btql/sql_query.h"
#include "btql/text_query.h"
#include "common/json.h"

namespace tv::btql {
namespace {

using Op = Expr::Op;

std::string ErrorOf(const Status& s) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  return s.message();
}
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? "<ok>" : ErrorOf(r.status());
}

// The text form of a parsed expression, after checking it parses back equal.
std::string Canon(std::string_view text) {
  Result<Expr> e = ParseTextExpr(text);
  if (!e.ok()) return "error: " + e.status().message();
  std::string printed = ExprText(*e);
  Result<Expr> again = ParseTextExpr(printed);
  EXPECT_TRUE(again.ok()) << printed << ": " << again.status().ToString();
  if (again.ok()) EXPECT_TRUE(SameExpr(*e, *again)) << text << " printed as " << printed;
  return printed;
}

std::string TextQ(std::string_view text) {
  Result<Query> q = ParseTextQuery(text);
  return q.ok() ? QueryText(*q) : "error: " + q.status().message();
}
std::string SqlQ(std::string_view text) {
  Result<Query> q = ParseSqlQuery(text);
  return q.ok() ? QueryText(*q) : "error: " + q.status().message();
}
std::string JsonQ(std::string_view text) {
  Result<json::object> o = ParseJsonObject(text);
  EXPECT_TRUE(o.ok()) << text;
  if (!o.ok()) return "bad json";
  Result<Query> q = ParseJsonQuery(*o);
  return q.ok() ? QueryText(*q) : "error: " + q.status().message();
}
Result<Expr> JsonE(std::string_view text) {
  Result<json::value> v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return ParseJsonExpr(*v);
}
std::string JsonCanon(std::string_view text) {
  Result<Expr> e = JsonE(text);
  return e.ok() ? ExprText(*e) : "error: " + e.status().message();
}

// JSON snippets: I("a.b") ident, L("1") literal, B(op, l, r) binary.
std::string I(std::string_view dotted) {
  std::string parts;
  for (size_t start = 0, dot = 0; dot != std::string_view::npos; start = dot + 1) {
    dot = dotted.find('.', start);
    if (!parts.empty()) parts += ",";
    parts += "\"" + std::string(dotted.substr(start, dot - start)) + "\"";
  }
  return R"({"op":"ident","name":[)" + parts + "]}";
}
std::string L(std::string_view value) { return fmt::format(R"({{"op":"literal","value":{}}})", value); }
std::string B(std::string_view op, std::string_view l, std::string_view r) {
  return fmt::format(R"({{"op":"{}","left":{},"right":{}}})", op, l, r);
}
std::string Fn(std::string_view name, std::string_view args) {
  return fmt::format(R"({{"op":"function","name":{{"op":"ident","name":["{}"]}},"args":[{}]}})", name, args);
}
std::string From(std::string_view fn = "experiment", std::string_view id = "e", std::string_view shape = "") {
  std::string s = fmt::format(R"("from":{{"op":"function","name":{{"op":"ident","name":["{}"]}},
      "args":[{{"op":"literal","value":"{}"}}])",
                              fn, id);
  if (!shape.empty()) s += fmt::format(R"(,"shape":"{}")", shape);
  return s + "}";
}

// --- Text expressions ---

TEST(TextGrammarTest, Precedence) {
  EXPECT_EQ(Canon("a + b * c - d / e % f"), "a + b * c - d / e % f");
  EXPECT_EQ(Canon("(a + b) * c"), "(a + b) * c");
  EXPECT_EQ(Canon("a - (b - c)"), "a - (b - c)");
  EXPECT_EQ(Canon("a + b > c * 2 and not d or e"), "a + b > c * 2 and not d or e");
  EXPECT_EQ(Canon("not (a or b) and c"), "not (a or b) and c");
  Result<Expr> e = ParseTextExpr("a + b * c");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kAdd);
  EXPECT_EQ(e->children[1].op, Op::kMul);
  e = ParseTextExpr("a - b - c");  // left-associative
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->children[0].op, Op::kSub);
}

TEST(TextGrammarTest, UnaryMinus) {
  Result<Expr> e = ParseTextExpr("-x");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kNeg);
  e = ParseTextExpr("-5");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kLiteral);
  EXPECT_EQ(e->value, json::value(-5));
  EXPECT_EQ(Canon("- -x"), "-(-x)");
  EXPECT_EQ(Canon("a - -1"), "a - -1");
  EXPECT_EQ(Canon("-(a + b) * 2"), "-(a + b) * 2");
  EXPECT_EQ(Canon("-(-1)"), "-(-1)");
}

TEST(TextGrammarTest, Comparisons) {
  for (std::string_view op : {"=", "!=", "<", "<=", ">", ">="}) {
    EXPECT_EQ(Canon(fmt::format("a {} 1", op)), fmt::format("a {} 1", op));
  }
  EXPECT_EQ(Canon("a <> 1"), "a != 1");
  EXPECT_EQ(Canon("a is null"), "a is null");
  EXPECT_EQ(Canon("a IS NOT NULL"), "a is not null");
  EXPECT_EQ(Canon("a isnull"), "a is null");
  EXPECT_EQ(Canon("a ISNOTNULL"), "a is not null");
}

TEST(TextGrammarTest, InLikeMatchIncludes) {
  Result<Expr> in = ParseTextExpr("a IN [1, 'x', null]");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->op, Op::kIn);
  EXPECT_EQ(in->children[1].op, Op::kLiteral);
  EXPECT_EQ(in->children[1].value, *ParseJson(R"([1,"x",null])"));
  EXPECT_EQ(Canon("a in (1, 2)"), "a in [1, 2]");
  EXPECT_EQ(Canon("a in ()"), "a in []");
  EXPECT_EQ(Canon("a in [b, 1]"), "a in [b, 1]");
  Result<Expr> arr = ParseTextExpr("a in [b, 1]");
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ(arr->children[1].op, Op::kArray);
  EXPECT_EQ(Canon("a not in [1]"), "not a in [1]");
  EXPECT_EQ(Canon("NOT a IN [1]"), "not a in [1]");
  EXPECT_EQ(Canon("name LIKE 'a%'"), "name like 'a%'");
  EXPECT_EQ(Canon("name not ilike 'A\\%%'"), "not name ilike 'A\\\\%%'");
  EXPECT_EQ(Canon("output match 'fox'"), "output match 'fox'");
  EXPECT_EQ(Canon("output not match 'fox'"), "not output match 'fox'");
  EXPECT_EQ(Canon("tags includes 'x'"), "tags includes 'x'");
  EXPECT_EQ(Canon("tags contains 'x'"), "tags includes 'x'");
  EXPECT_EQ(Canon("tags not contains 'x'"), "not tags includes 'x'");
  // contains() is also a function where a value is expected.
  EXPECT_EQ(Canon("contains(tags, 'x')"), "contains(tags, 'x')");
  EXPECT_EQ(Canon("a + 1 in [2]"), "a + 1 in [2]");
}

TEST(TextGrammarTest, Ternary) {
  Result<Expr> e = ParseTextExpr("a > 1 ? 'big' : 'small'");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kIf);
  EXPECT_EQ(e->children.size(), 3u);
  EXPECT_EQ(e->children[0].op, Op::kGt);
  // Below OR: the whole OR is the condition.
  e = ParseTextExpr("a or b ? 1 : 2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->children[0].op, Op::kOr);
  // Else-chains flatten into one if, parenthesized or not.
  EXPECT_EQ(Canon("a ? 1 : b ? 2 : 3"), "a ? 1 : b ? 2 : 3");
  Result<Expr> chain = ParseTextExpr("a ? 1 : (b ? 2 : c ? 3 : 4)");
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->children.size(), 7u);
  EXPECT_EQ(Canon("a ? b ? 1 : 2 : 3"), "a ? b ? 1 : 2 : 3");
  EXPECT_EQ(Canon("(a ? 1 : 2) + 1"), "(a ? 1 : 2) + 1");
  EXPECT_EQ(Canon("x = (a ? 1 : 2)"), "x = (a ? 1 : 2)");
  EXPECT_EQ(Canon("(a ? b : c) ? 1 : 2"), "(a ? b : c) ? 1 : 2");
}

TEST(TextGrammarTest, CallsAndSpecialForms) {
  Result<Expr> e = ParseTextExpr("LOWER(metadata.model)");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kCall);
  EXPECT_EQ(e->name, "lower");
  EXPECT_EQ(Canon("count(*)"), "count(1)");
  EXPECT_EQ(Canon("now()"), "now()");
  EXPECT_EQ(Canon("concat(a, ' ', b)"), "concat(a, ' ', b)");
  EXPECT_EQ(Canon("round(avg(x), 2)"), "round(avg(x), 2)");
  EXPECT_EQ(Canon("percentile(metrics.latency, 0.95)"), "percentile(metrics.latency, 0.95)");
  e = ParseTextExpr("any_span(tags includes 'x')");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kAnySpan);
  EXPECT_EQ(Canon("cast(x as integer)"), "to_integer(x)");
  EXPECT_EQ(Canon("CAST(x AS text)"), "to_string(x)");
  EXPECT_EQ(Canon("case when a then 1 when b then 2 else 3 end"), "a ? 1 : b ? 2 : 3");
  EXPECT_EQ(Canon("case when a then 1 end"), "a ? 1 : null");
  EXPECT_EQ(Canon("case x when 1 then 'one' else 'other' end"), "x = 1 ? 'one' : 'other'");
}

TEST(TextGrammarTest, Intervals) {
  for (std::string_view text : {"interval 1 day", "INTERVAL '1' DAY", "interval 1 days", "interval '1 day'"}) {
    Result<Expr> e = ParseTextExpr(text);
    ASSERT_TRUE(e.ok()) << text << ": " << e.status().ToString();
    EXPECT_EQ(e->op, Op::kInterval) << text;
    EXPECT_EQ(e->name, "day") << text;
    EXPECT_EQ(e->value, json::value(1)) << text;
  }
  EXPECT_EQ(Canon("created > now() - interval 2 hours"), "created > now() - interval 2 hour");
  EXPECT_EQ(Canon("interval -1.5 second"), "interval -1.5 second");
  EXPECT_EQ(ErrorOf(ParseTextExpr("interval 1 fortnight")),
            "BTQL parse error at line 1, column 12: expected an interval unit (year, month, week, "
            "day, hour, minute, second, millisecond, microsecond), found 'fortnight'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("interval 'x' day")),
            "BTQL parse error at line 1, column 10: expected a number after 'interval', found "
            "string 'x'");
  // Without an amount it is a field named interval.
  EXPECT_EQ(Canon("interval = 1"), "\"interval\" = 1");
}

TEST(TextGrammarTest, ArraysAndLiterals) {
  Result<Expr> e = ParseTextExpr("[1, [2, 'x'], true]");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kLiteral);
  EXPECT_EQ(e->value, *ParseJson(R"([1,[2,"x"],true])"));
  e = ParseTextExpr("[a, 1]");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kArray);
  EXPECT_EQ(Canon("[]"), "[]");
  EXPECT_EQ(Canon("'it''s\\n'"), "'it''s\\n'");
  EXPECT_EQ(Canon("2.5 + 1e3 + 3.0"), "2.5 + 1000.0 + 3.0");
  EXPECT_EQ(Canon("metadata.\"a b\"[0].`and`"), "metadata.\"a b\"[0].and");
  EXPECT_EQ(Canon("\"and\" = 1"), "\"and\" = 1");
}

TEST(TextGrammarTest, HugeLiterals) {
  std::string big(100000, 'x');
  Result<Expr> s = ParseTextExpr("a = '" + big + "'");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->children[1].value.get_string().size(), big.size());
  Result<Expr> n = ParseTextExpr("a = " + std::string(300, '9'));
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->children[1].value.is_double());
  EXPECT_NE(ErrorOf(ParseTextExpr("a = " + std::string(400, '9'))).find("is out of range"), std::string::npos);
  EXPECT_EQ(ErrorOf(ParseTextExpr("a = 1e999")),
            "BTQL parse error at line 1, column 5: the number 1e999 is out of range");
  EXPECT_EQ(Canon("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(Canon("18446744073709551615"), "18446744073709551615");
  std::string many = "a in [";
  for (int i = 0; i < 50000; ++i) many += std::to_string(i) + ",";
  many += "0]";
  Result<Expr> list = ParseTextExpr(many);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->children[1].value.get_array().size(), 50001u);
}

TEST(TextGrammarTest, CallErrorsArePositioned) {
  EXPECT_EQ(ErrorOf(ParseTextExpr("a = frob(1)")), "BTQL: unknown function 'frob' (at line 1, column 5)");
  EXPECT_EQ(ErrorOf(ParseTextExpr("x = 1 and\n  round(a, 1, 2) > 0")),
            "BTQL: round() takes 1 or 2 arguments, got 3 (at line 2, column 3)");
  EXPECT_EQ(ErrorOf(ParseTextExpr("any_span(a, b)")), "BTQL: any_span() takes 1 argument, got 2 (at line 1, column 1)");
  EXPECT_EQ(ErrorOf(ParseTextExpr("lower(a")),
            "BTQL parse error at line 1, column 8: expected ',' or ')', found end of input");
  EXPECT_EQ(ErrorOf(ParseTextExpr("[1, 2")),
            "BTQL parse error at line 1, column 6: expected ',' or ']', found end of input");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a ? b")),
            "BTQL parse error at line 1, column 6: expected ':' of 'condition ? then : else', "
            "found end of input");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a not b")),
            "BTQL parse error at line 1, column 3: expected an operator or end of input, found "
            "'not'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a + * b")),
            "BTQL parse error at line 1, column 5: expected a value after '+', found '*'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("cast(a as blob)")),
            "BTQL parse error at line 1, column 11: expected a type (string, boolean, integer, "
            "number, date, datetime, interval), found 'blob'");
}

TEST(TextGrammarTest, DepthLimitCoversEveryNestingConstruct) {
  auto nested = [](std::string_view open, std::string_view close, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += open;
    s += "a";
    for (int i = 0; i < n; ++i) s += close;
    return s;
  };
  const std::string kTooDeep = "expressions nest deeper than 200 levels";
  for (auto [open, close] :
       std::initializer_list<std::pair<std::string_view, std::string_view>>{{"(", ")"},
                                                                            {"lower(", ")"},
                                                                            {"[", "]"},
                                                                            {"- ", ""},
                                                                            {"not ", ""},
                                                                            {"any_span(", ")"},
                                                                            {"a ? ", " : 1"},
                                                                            {"case when a then ", " end"}}) {
    EXPECT_TRUE(ParseTextExpr(nested(open, close, 200)).ok()) << open;
    EXPECT_NE(ErrorOf(ParseTextExpr(nested(open, close, 20000))).find(kTooDeep), std::string::npos) << open;
  }
  // Arithmetic chains deepen the tree, so they count; AND / OR chains stay flat.
  std::string sum = "a";
  for (int i = 0; i < 200; ++i) sum += " + 1";
  EXPECT_TRUE(ParseTextExpr(sum).ok());
  EXPECT_EQ(ErrorOf(ParseTextExpr(sum + " * 2")),
            "BTQL parse error at line 1, column 803: expressions nest deeper than 200 levels");
  std::string ors = "a = 1";
  for (int i = 0; i < 100000; ++i) ors += " or a = 1";
  Result<Expr> flat = ParseTextExpr(ors);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->children.size(), 100001u);
  std::string ternaries = "a";
  for (int i = 0; i < 100000; ++i) ternaries += " ? 1 : a";
  Result<Expr> chain = ParseTextExpr(ternaries);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->children.size(), 200001u);
}

// --- Text clauses ---

TEST(TextClausesTest, SelectWithAliasesAndDefaults) {
  Result<Query> q = ParseTextQuery(
      "select: metadata.model, scores.Factuality as f, count, lower(name), a + 1, tags[0] | "
      "from: project_logs('p')");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_FALSE(q->select_star);
  ASSERT_EQ(q->select.size(), 6u);
  EXPECT_EQ(q->select[0].alias, "model");
  EXPECT_EQ(q->select[1].alias, "f");
  EXPECT_EQ(q->select[2].alias, "count");
  EXPECT_EQ(q->select[3].alias, "lower");
  EXPECT_EQ(q->select[4].alias, "a + 1");
  EXPECT_EQ(q->select[5].alias, "tags");
  q = ParseTextQuery(
      fmt::format("select: {} | from: dataset('d')", std::string(40, 'a') + " + " + std::string(40, 'b')));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->select[0].alias, "_1");
  EXPECT_EQ(ErrorOf(ParseTextQuery("select: a.x, b.x | from: dataset('d')")),
            "BTQL parse error at line 1, column 14: the alias 'x' appears twice; give one of "
            "them another name with 'as'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("select: a as \"\" | from: dataset('d')")),
            "BTQL parse error at line 1, column 14: expected a non-empty alias name after 'as', "
            "found \"\"");
}

TEST(TextClausesTest, EveryClause) {
  std::string text =
      "dimensions: metadata.model, day(created) as d\n"
      "measures: count(1) as n, percentile(metrics.latency, 0.95) as p95, count(error) / count(1) as rate\n"
      "pivot: metadata.provider as provider\n"
      "unpivot: scores as (score, value), tags as tag\n"
      "from: experiment('e1', 'e2') summary\n"
      "filter: created > now() - interval 1 day and tags includes 'x'\n"
      "sort: d desc, n\n"
      "limit: 10 | cursor: 'c' | sample: 25% seed 42 | preview_length: 80";
  EXPECT_EQ(TextQ(text),
            "dimensions: metadata.model as model, day(created) as d | measures: count(1) as n, "
            "percentile(metrics.latency, 0.95) as p95, count(error) / count(1) as rate | pivot: "
            "metadata.provider as provider | unpivot: scores as (score, value), tags as tag | "
            "from: experiment('e1', 'e2') summary | filter: created > now() - interval 1 day and "
            "tags includes 'x' | sort: d desc, n asc | limit: 10 | cursor: 'c' | sample: 25% "
            "seed 42 | preview_length: 80");
  Result<Query> q = ParseTextQuery("from: dataset('d') | sample: 10");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->sample->is_rate);
  EXPECT_EQ(q->sample->value, 10);
  EXPECT_FALSE(q->sample->seed.has_value());
  q = ParseTextQuery("from: dataset('d') | sample: 0.5%");
  ASSERT_TRUE(q.ok());
  EXPECT_DOUBLE_EQ(q->sample->value, 0.005);
  EXPECT_TRUE(q->select_star);
  // measures without dimensions: one group.
  q = ParseTextQuery("measures: count(*) | from: dataset('d')");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->IsAggregate());
  EXPECT_FALSE(q->select_star);
  EXPECT_EQ(q->measures[0].alias, "count");
}

TEST(TextClausesTest, AllSources) {
  for (std::string_view src : {"experiment", "dataset", "project_logs", "playground_logs", "prompt", "function",
                               "project_prompts", "project_functions", "org_prompts", "org_functions"}) {
    Result<Query> q = ParseTextQuery(fmt::format("from: {}('a', 'b') traces", src));
    ASSERT_TRUE(q.ok()) << src << ": " << q.status().ToString();
    EXPECT_EQ(q->from.function, src);
    EXPECT_EQ(q->from.ids.size(), 2u);
    EXPECT_EQ(q->from.shape, Shape::kTraces);
  }
}

TEST(TextClausesTest, QueryRulesArePositioned) {
  EXPECT_EQ(ErrorOf(ParseTextQuery("select: a | dimensions: b | from: dataset('d')")),
            "BTQL parse error at line 1, column 25: select: and dimensions: cannot be combined; "
            "list the grouped columns in dimensions: and the aggregates in measures:");
  EXPECT_EQ(ErrorOf(ParseTextQuery("select: a, count(b) as n\nfrom: dataset('d')")),
            "BTQL parse error at line 1, column 12: 'count(b)' is an aggregate, which select: "
            "cannot hold; use dimensions: and measures: (in SQL, GROUP BY) to aggregate");
  EXPECT_EQ(ErrorOf(ParseTextQuery("dimensions: a | measures: b + 1 | from: dataset('d')")),
            "BTQL parse error at line 1, column 27: 'b + 1' has no aggregate function (count, "
            "sum, avg, ...); put it in dimensions:");
  EXPECT_EQ(ErrorOf(ParseTextQuery("measures: sum(count(a)) | from: dataset('d')")),
            "BTQL parse error at line 1, column 11: 'sum(count(a))' nests an aggregate function "
            "inside another");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: dataset('d') | filter: count(a) > 1")),
            "BTQL parse error at line 1, column 30: filter: cannot hold aggregate functions; it "
            "is applied to rows before grouping");
  EXPECT_EQ(ErrorOf(ParseTextQuery("dimensions: a.x | measures: count(1) as x | from: dataset('d')")),
            "BTQL parse error at line 1, column 29: the alias 'x' appears twice; give one of "
            "them another name with 'as'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: dataset('d') | sample: 150%")),
            "BTQL parse error at line 1, column 30: expected a percentage between 0% and 100%, "
            "found 150");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: dataset('d') | sample: 2.5")),
            "BTQL parse error at line 1, column 30: expected a percentage (25%) or a whole row "
            "count (10) after 'sample:', found 2.5");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: dataset('d') | unpivot: scores as (a, b, c)")),
            "BTQL parse error at line 1, column 46: expected ')' after (key, value), found ','");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: dataset('d') | sort: a sideways")),
            "BTQL parse error at line 1, column 30: expected an operator, ASC, DESC, ',', '|', a "
            "new clause or end of input, found 'sideways'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: dataset('d') | preview_length: -1")),
            "BTQL parse error at line 1, column 38: expected a non-negative integer after "
            "'preview_length:', found '-'");
}

// --- SQL ---

TEST(SqlTest, DispatchAndBasics) {
  Result<Query> q = ParseTextQuery(
      "SELECT id, metadata.model AS m FROM project_logs('p', shape => 'traces') "
      "WHERE tags IN ('a', 'b') AND name LIKE 'x%' ORDER BY created DESC, id LIMIT 5;");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(QueryText(*q),
            "select: id as id, metadata.model as m | from: project_logs('p') traces | filter: "
            "tags in ['a', 'b'] and name like 'x%' | sort: created desc, id asc | limit: 5");
  EXPECT_EQ(SqlQ("select * from experiment('e')"), "select: * | from: experiment('e') spans");
  // `select:` with a colon is the clause form.
  EXPECT_EQ(TextQ("select: * | from: dataset('d')"), "select: * | from: dataset('d') spans");
  EXPECT_EQ(SqlQ("SELECT CAST(x AS number) AS n, COUNT(DISTINCT user) AS u FROM dataset('d') "
                 "GROUP BY 1"),
            "dimensions: to_number(x) as n | measures: count_distinct(user) as u | from: "
            "dataset('d') spans");
  EXPECT_EQ(SqlQ("SELECT \"select\" FROM dataset('d') WHERE \"from\" = 'x'"),
            "select: select as select | from: dataset('d') spans | filter: from = 'x'");
}

TEST(SqlTest, GroupByMapping) {
  EXPECT_EQ(SqlQ("SELECT metadata.model AS model, day(created) AS d, count(*) AS n, "
                 "avg(scores.f) FROM experiment('e') GROUP BY 1, day(created) ORDER BY n DESC"),
            "dimensions: metadata.model as model, day(created) as d | measures: count(1) as n, "
            "avg(scores.f) as avg | from: experiment('e') spans | sort: n desc");
  // By alias, and a key that is not selected becomes a dimension too.
  EXPECT_EQ(SqlQ("SELECT metadata.model AS model, sum(x) AS s FROM dataset('d') "
                 "GROUP BY model, span_attributes.type ORDER BY 2"),
            "dimensions: metadata.model as model, span_attributes.type as type | measures: "
            "sum(x) as s | from: dataset('d') spans | sort: s asc");
  // Only aggregates: measures without dimensions.
  EXPECT_EQ(SqlQ("SELECT count(*), max(created) AS last FROM dataset('d') WHERE a = 1"),
            "measures: count(1) as count, max(created) as last | from: dataset('d') spans | "
            "filter: a = 1");
  EXPECT_EQ(SqlQ("SELECT score, AVG(value) AS v FROM project_logs('p') "
                 "UNPIVOT (value FOR score IN (scores)) GROUP BY score"),
            "dimensions: score as score | measures: avg(value) as v | unpivot: scores as (score, "
            "value) | from: project_logs('p') spans");
  EXPECT_EQ(SqlQ("SELECT tag FROM dataset('d') UNPIVOT (tag FOR _ IN (tags))"),
            "select: tag as tag | unpivot: tags as tag | from: dataset('d') spans");
}

TEST(SqlTest, ErrorsAndRefusals) {
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT a, count(*) FROM dataset('d')")),
            "BTQL parse error at line 1, column 8: 'a' is not an aggregate; add GROUP BY to "
            "group by it");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT a, b, count(*) FROM dataset('d') GROUP BY a")),
            "BTQL parse error at line 1, column 11: 'b' is neither an aggregate nor in GROUP BY");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT a, count(*) FROM dataset('d') GROUP BY 2")),
            "BTQL parse error at line 1, column 47: GROUP BY cannot name the aggregate 'count(1)'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT a FROM dataset('d') GROUP BY 3")),
            "BTQL parse error at line 1, column 37: 3 is not the position of a select item (1 to 1)");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM dataset('d') GROUP BY a")),
            "BTQL parse error at line 1, column 37: GROUP BY needs a select list, not *");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT a, count(*) FROM dataset('d') GROUP BY a HAVING count(*) > 1")),
            "BTQL parse error at line 1, column 49: HAVING is not supported; filter rows with WHERE");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM dataset('d') JOIN dataset('e')")),
            "BTQL parse error at line 1, column 28: JOIN is not supported; a query reads one source");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM dataset('d'), dataset('e')")),
            "BTQL parse error at line 1, column 27: JOIN is not supported; a query reads one source");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM dataset('d') UNION SELECT * FROM dataset('e')")),
            "BTQL parse error at line 1, column 28: UNION is not supported");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM dataset('d') WHERE id IN (SELECT id FROM dataset('e'))")),
            "BTQL parse error at line 1, column 41: subqueries are not supported");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM (SELECT 1)")),
            "BTQL parse error at line 1, column 15: expected a source such as experiment('<id>') "
            "after FROM, found '('");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT rank() OVER (ORDER BY a) FROM dataset('d')")),
            "BTQL parse error at line 1, column 15: window functions (OVER) are not supported");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT sum(a) OVER (ORDER BY a) FROM dataset('d')")),
            "BTQL parse error at line 1, column 15: window functions (OVER) are not supported");
  EXPECT_EQ(ErrorOf(ParseTextQuery("WITH x AS (SELECT 1) SELECT * FROM x")),
            "BTQL parse error at line 1, column 1: WITH (common table expressions) is not supported");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT DISTINCT a FROM dataset('d')")),
            "BTQL parse error at line 1, column 8: SELECT DISTINCT is not supported; use GROUP BY");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM dataset('d') LIMIT 5 OFFSET 10")),
            "BTQL parse error at line 1, column 36: OFFSET is not supported; page with the "
            "response's cursor");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT a b FROM dataset('d')")),
            "BTQL parse error at line 1, column 10: expected ',', AS, an operator or FROM, found 'b'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT FROM dataset('d')")),
            "BTQL parse error at line 1, column 8: expected an expression, found 'FROM'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT *\nFROM dataset('d', shape => 'rows')")),
            "BTQL parse error at line 2, column 28: expected 'spans', 'traces' or 'summary' after "
            "'shape =>', found string 'rows'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM dataset('d') WHERE a = 1 b")),
            "BTQL parse error at line 1, column 40: expected WHERE, GROUP BY, ORDER BY, LIMIT, an "
            "operator or end of input, found 'b'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("SELECT * FROM widgets('d')")),
            "BTQL: unknown source 'widgets' (at line 1, column 15); expected one of experiment, "
            "dataset, project_logs, playground_logs, prompt, function, project_prompts, "
            "project_functions, org_prompts, org_functions");
}

// --- JSON AST ---

TEST(JsonAstTest, EveryExpressionOp) {
  EXPECT_EQ(JsonCanon(B("add", I("a"), B("mul", I("b"), L("2")))), "a + b * 2");
  EXPECT_EQ(JsonCanon(B("sub", I("a"), B("div", I("b"), B("mod", I("c"), L("3"))))), "a - b / (c % 3)");
  EXPECT_EQ(JsonCanon(R"({"op":"neg","expr":{"op":"ident","name":["x"]}})"), "-x");
  EXPECT_EQ(JsonCanon(B("in", I("a"), L("[1,2]"))), "a in [1, 2]");
  EXPECT_EQ(JsonCanon(B("like", I("a"), L(R"("x%")"))), "a like 'x%'");
  EXPECT_EQ(JsonCanon(B("ilike", I("a"), L(R"("x%")"))), "a ilike 'x%'");
  EXPECT_EQ(JsonCanon(R"({"op":"includes","haystack":{"op":"ident","name":["tags"]},
                          "needle":{"op":"literal","value":"x"}})"),
            "tags includes 'x'");
  EXPECT_EQ(JsonCanon(fmt::format(R"({{"op":"if","conds":[{{"cond":{},"then":{}}},
                                     {{"cond":{},"then":{}}}],"else":{}}})",
                                  I("a"), L("1"), I("b"), L("2"), L("3"))),
            "a ? 1 : b ? 2 : 3");
  EXPECT_EQ(JsonCanon(fmt::format(R"({{"op":"if","conds":[{{"cond":{},"then":{}}}]}})", I("a"), L("1"))),
            "a ? 1 : null");
  EXPECT_EQ(JsonCanon(Fn("LOWER", I("a"))), "lower(a)");
  EXPECT_EQ(JsonCanon(Fn("count", R"({"op":"star"})")), "count(1)");
  EXPECT_EQ(JsonCanon(Fn("any_span", B("eq", I("a"), L("1")))), "any_span(a = 1)");
  EXPECT_EQ(JsonCanon(R"({"op":"interval","value":2,"unit":"hours"})"), "interval 2 hour");
  EXPECT_EQ(JsonCanon(R"({"op":"singlespanfilter","expr":{"op":"ident","name":["a"]}})"), "any_span(a)");
  EXPECT_EQ(JsonCanon(R"({"op":"matchingspansfilter","expr":{"op":"ident","name":["a"]}})"), "a");
  EXPECT_EQ(JsonCanon(R"({"btql":"a + 1 > 2 ? 'x' : 'y'"})"), "a + 1 > 2 ? 'x' : 'y'");
}

TEST(JsonAstTest, ErrorsNameTheNode) {
  EXPECT_EQ(JsonCanon(R"({"op":"add","left":{"op":"ident","name":["a"]}})"), "error: BTQL: 'add' needs 'right'");
  EXPECT_EQ(JsonCanon(R"({"op":"includes","haystack":{"op":"ident","name":["a"]}})"),
            "error: BTQL: 'includes' needs 'needle'");
  EXPECT_EQ(JsonCanon(R"({"op":"if","conds":[]})"),
            "error: BTQL: 'if' needs a non-empty 'conds' array of {cond, then}");
  EXPECT_EQ(JsonCanon(Fn("frob", "")), "error: BTQL: unknown function 'frob'");
  EXPECT_EQ(JsonCanon(Fn("lower", "")), "error: BTQL: lower() takes 1 argument, got 0");
  EXPECT_EQ(JsonCanon(R"({"op":"function","name":"x y z"})"), "error: BTQL: unknown function 'x y z'");
  EXPECT_EQ(JsonCanon(R"({"op":"function","name":{"op":"literal","value":1}})"),
            "error: BTQL: 'function' needs a name like {\"op\":\"ident\",\"name\":[\"lower\"]}");
  EXPECT_EQ(JsonCanon(R"({"op":"interval","value":1,"unit":"eon"})"),
            "error: BTQL: 'interval' needs a 'unit' (year, month, week, day, hour, minute, second, "
            "millisecond, microsecond)");
  std::string from = From("dataset", "d");
  EXPECT_EQ(JsonQ("{" + from + R"(,"measures":[{"expr":{"op":"nope"},"alias":"n"}]})"),
            "error: BTQL: unknown expression op 'nope' (in measures[0])");
  EXPECT_EQ(JsonQ("{" + from + R"(,"select":[{"op":"star"},{"expr":{"op":"ident","name":["a"]}}]})"),
            "error: BTQL: select[0]: '*' must be the only select item");
  EXPECT_EQ(JsonQ("{" + from + R"(,"sort":[{"expr":{"op":"ident","name":["a"]},"dir":"up"}]})"),
            "error: BTQL: sort[0] 'dir' must be \"asc\" or \"desc\"");
  EXPECT_EQ(JsonQ("{" + from + R"(,"unpivot":[{"expr":{"op":"ident","name":["a"]},"alias":["k"]}]})"),
            "error: BTQL: unpivot[0] 'alias' must be a name or [key, value] names");
  EXPECT_EQ(JsonQ("{" + from + R"(,"sample":{"method":{"type":"rate","value":2}}})"),
            "error: BTQL: 'sample' rate must be between 0 and 1");
  EXPECT_EQ(JsonQ("{" + from + R"(,"sample":{"method":{"type":"count","value":1.5}}})"),
            "error: BTQL: 'sample count' must be a non-negative integer, got 1.5E0");
  EXPECT_EQ(JsonQ("{" + from + R"(,"preview_length":-3})"),
            "error: BTQL: 'preview_length' must be a non-negative integer, got -3");
  EXPECT_EQ(JsonQ("{" + from + R"(,"select":[{"expr":)" + Fn("count", L("1")) + "}]}"),
            "error: BTQL: select[0]: 'count(1)' is an aggregate, which select: cannot hold; use "
            "dimensions: and measures: (in SQL, GROUP BY) to aggregate");
}

TEST(JsonAstTest, DepthIsCapped) {
  // Built directly: the request body parser stops far sooner, at its own limit.
  auto nest = [](int levels) {
    json::value v = *ParseJson(I("a"));
    for (int i = 0; i < levels; ++i) {
      json::object o;
      o["op"] = i % 2 ? "not" : "neg";
      o["expr"] = std::move(v);
      v = std::move(o);
    }
    return v;
  };
  EXPECT_TRUE(ParseJsonExpr(nest(199)).ok());
  EXPECT_EQ(ErrorOf(ParseJsonExpr(nest(200))), "BTQL: expressions nest deeper than 200 levels");
  EXPECT_EQ(ErrorOf(ParseJsonExpr(nest(20000))), "BTQL: expressions nest deeper than 200 levels");
}

// --- The same query in all three front ends ---

TEST(FrontEndsAgreeTest, Projection) {
  std::string text = TextQ(
      "select: id, metadata.model as model, scores.f * 100 as pct | "
      "from: project_logs('p') traces | filter: tags includes 'x' and a in [1, 2] and not (b like 'q%') | "
      "sort: created desc | limit: 50");
  std::string sql = SqlQ(
      "SELECT id, metadata.model AS model, scores.f * 100 AS pct "
      "FROM project_logs('p', shape => 'traces') WHERE tags INCLUDES 'x' AND a IN (1, 2) AND "
      "NOT (b LIKE 'q%') ORDER BY created DESC LIMIT 50");
  std::string json = JsonQ(fmt::format(
      R"({{"select":[{{"expr":{},"alias":"id"}},{{"expr":{},"alias":"model"}},{{"expr":{},"alias":"pct"}}],
          {},
          "filter":{{"op":"and","children":[
            {{"op":"includes","haystack":{},"needle":{}}},
            {},
            {{"op":"not","expr":{}}}]}},
          "sort":[{{"expr":{},"dir":"desc"}}],"limit":50}})",
      I("id"), I("metadata.model"), B("mul", I("scores.f"), L("100")), From("project_logs", "p", "traces"), I("tags"),
      L(R"("x")"), B("in", I("a"), L("[1,2]")), B("like", I("b"), L(R"("q%")")), I("created")));
  EXPECT_EQ(text, sql);
  EXPECT_EQ(text, json);
  EXPECT_EQ(text.rfind("select: id as id, metadata.model as model, scores.f * 100 as pct", 0), 0u) << text;
}

TEST(FrontEndsAgreeTest, Aggregation) {
  std::string text = TextQ(
      "dimensions: metadata.model as model | measures: count(1) as n, avg(scores.f) as f | "
      "from: experiment('e') | filter: created > now() - interval 7 day | sort: n desc | limit: 10");
  std::string sql = SqlQ(
      "SELECT metadata.model AS model, COUNT(1) AS n, AVG(scores.f) AS f FROM experiment('e') "
      "WHERE created > now() - INTERVAL '7' DAY GROUP BY 1 ORDER BY n DESC LIMIT 10");
  std::string json = JsonQ(fmt::format(
      R"({{"dimensions":[{{"expr":{},"alias":"model"}}],
          "measures":[{{"expr":{},"alias":"n"}},{{"expr":{},"alias":"f"}}],
          {},
          "filter":{},
          "sort":[{{"expr":{},"dir":"desc"}}],"limit":10}})",
      I("metadata.model"), Fn("count", L("1")), Fn("avg", I("scores.f")), From(),
      B("gt", I("created"), B("sub", Fn("now", ""), R"({"op":"interval","value":7,"unit":"day"})")), I("n")));
  EXPECT_EQ(text, sql);
  EXPECT_EQ(text, json);
  EXPECT_NE(text.find("dimensions: metadata.model as model | measures: count(1) as n"), std::string::npos) << text;
}

TEST(FrontEndsAgreeTest, TextAndJsonOnlyClauses) {
  std::string text = TextQ(
      "dimensions: a | measures: sum(x) as s | pivot: b | unpivot: scores as (k, v) | "
      "from: dataset('d') summary | sample: 50% seed 7 | preview_length: 10 | cursor: 'tok'");
  std::string json = JsonQ(fmt::format(
      R"({{"dimensions":[{{"expr":{}}}],"measures":[{{"expr":{},"alias":"s"}}],
          "pivot":[{{"expr":{}}}],"unpivot":[{{"expr":{},"alias":["k","v"]}}],{},
          "sample":{{"method":{{"type":"rate","value":0.5}},"seed":7}},"preview_length":10,
          "cursor":"tok"}})",
      I("a"), Fn("sum", I("x")), I("b"), I("scores"), From("dataset", "d", "summary")));
  EXPECT_EQ(text, json);
  EXPECT_EQ(text,
            "dimensions: a as a | measures: sum(x) as s | pivot: b as b | unpivot: scores as "
            "(k, v) | from: dataset('d') summary | cursor: 'tok' | sample: 50% seed 7 | "
            "preview_length: 10");
}

TEST(FrontEndsAgreeTest, ExpressionsRoundTripThroughText) {
  for (std::string_view text :
       {"a.b[0].c = 'x' or (d != 1 and e is not null)", "-(a + b) % 3 <= 2.5", "x ? [1, y] : any_span(z includes 'q')",
        "coalesce(a, b, 'z') ilike '%x\\\\%'", "not not a in [1, [2]]", "day(created) >= interval 1 week + now()",
        "metadata.\"odd key\".`x y` match 'fox'", "a = b = c"}) {
    Result<Expr> e = ParseTextExpr(text);
    if (!e.ok()) continue;  // some of these are deliberately not single expressions
    Result<Expr> again = ParseTextExpr(ExprText(*e));
    ASSERT_TRUE(again.ok()) << ExprText(*e);
    EXPECT_TRUE(SameExpr(*e, *again)) << text << " -> " << ExprText(*e);
  }
}

}  // namespace
}  // namespace tv::btql
