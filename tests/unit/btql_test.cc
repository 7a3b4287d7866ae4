// Unit tests for src/btql: the JSON AST and text front ends, the three-valued
// evaluator, and id / root_span_id pushdown.
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "btql/ast.h"
#include "btql/eval.h"
#include "btql/expr_builders.h"
#include "btql/json_query.h"
#include "btql/lexer.h"
#include "btql/plan.h"
#include "btql/text_query.h"
#include "common/json.h"

namespace tv::btql {
namespace {

using Op = Expr::Op;

json::object Obj(std::string_view text) {
  Result<json::object> o = ParseJsonObject(text);
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  return o.ok() ? *o : json::object();
}

Result<Query> JsonQuery(std::string_view text) { return ParseJsonQuery(Obj(text)); }

Result<Expr> JsonExpr(std::string_view text) {
  Result<json::value> v = ParseJson(text);
  EXPECT_TRUE(v.ok());
  return ParseJsonExpr(*v);
}

// Parses a JSON filter node and evaluates it on a row given as JSON text.
bool Matches(const Expr& e, std::string_view row) { return EvalPredicate(e, Obj(row)); }

bool TextMatches(std::string_view expr, std::string_view row) {
  Result<Expr> e = ParseTextExpr(expr);
  EXPECT_TRUE(e.ok()) << expr << ": " << e.status().ToString();
  return e.ok() && Matches(*e, row);
}

std::string ErrorOf(const Status& s) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  return s.message();
}
template <typename T>
std::string ErrorOf(const Result<T>& r) {
  EXPECT_FALSE(r.ok());
  return ErrorOf(r.status());
}

// JSON AST snippets: I("a.b") is an ident, L("1") a literal, B(op, l, r) a
// left/right node, C(op, {...}) a children node, U(op, e) a unary node.
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
std::string C(std::string_view op, std::initializer_list<std::string> children) {
  return fmt::format(R"({{"op":"{}","children":[{}]}})", op, fmt::join(children, ","));
}
std::string U(std::string_view op, std::string_view e) { return fmt::format(R"({{"op":"{}","expr":{}}})", op, e); }

std::vector<PathPart> Path(std::initializer_list<PathPart> parts) { return parts; }

constexpr std::string_view kFetchQuery =
    R"({"select":[{"op":"star"}],
        "from":{"op":"function","name":{"op":"ident","name":["dataset"]},
                "args":[{"op":"literal","value":"d-123"}]},
        "limit":1000})";

// The filter trace.getSpans() sends: one trace, without scorer spans.
constexpr std::string_view kTraceSpansFilter =
    R"({"op":"and","children":[
         {"op":"eq","left":{"op":"ident","name":["root_span_id"]},
                    "right":{"op":"literal","value":"root-1"}},
         {"op":"or","children":[
           {"op":"isnull","expr":{"op":"ident","name":["span_attributes","purpose"]}},
           {"op":"ne","left":{"op":"ident","name":["span_attributes","purpose"]},
                      "right":{"op":"literal","value":"scorer"}}]}]})";

// --- JSON AST: the SDK's fetch query ---

TEST(JsonQueryTest, SdkFetchQueryWithoutCursor) {
  Result<Query> q = JsonQuery(kFetchQuery);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(q->select_star);
  EXPECT_EQ(q->from.function, "dataset");
  EXPECT_EQ(q->from.ids, std::vector<std::string>{"d-123"});
  EXPECT_EQ(q->from.shape, Shape::kSpans);
  EXPECT_FALSE(q->filter.has_value());
  EXPECT_EQ(q->limit, 1000);
  EXPECT_FALSE(q->cursor.has_value());
}

TEST(JsonQueryTest, SdkFetchQueryWithCursorAndFilter) {
  json::object o = Obj(kFetchQuery);
  o["cursor"] = "opaque-token==";
  o["filter"] = *ParseJson(kTraceSpansFilter);
  Result<Query> q = ParseJsonQuery(o);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->cursor, "opaque-token==");
  ASSERT_TRUE(q->filter.has_value());
  EXPECT_EQ(q->filter->op, Op::kAnd);
  ASSERT_EQ(q->filter->children.size(), 2u);
  EXPECT_EQ(q->filter->children[1].op, Op::kOr);
}

TEST(JsonQueryTest, SourcesShapesAndSeveralIds) {
  Result<Query> q = JsonQuery(
      R"({"from":{"op":"function","name":{"op":"ident","name":["project_logs"]},
          "args":[{"op":"literal","value":"p1"},{"op":"literal","value":"p2"}],
          "shape":"traces"}})");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->from.function, "project_logs");
  EXPECT_EQ(q->from.ids, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(q->from.shape, Shape::kTraces);
  EXPECT_TRUE(q->select_star);
  EXPECT_FALSE(q->limit.has_value());

  q = JsonQuery(R"({"from":{"op":"function","name":{"op":"ident","name":["experiment"]},
                    "args":[{"op":"literal","value":"e1"}],"shape":"summary"},
                    "sort":null,"dimensions":[]})");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->from.function, "experiment");
  EXPECT_EQ(q->from.shape, Shape::kSummary);
}

TEST(JsonQueryTest, AstOnlyAndUnknownClausesAreRejectedByName) {
  std::string from =
      R"("from":{"op":"function","name":{"op":"ident","name":["dataset"]},
          "args":[{"op":"literal","value":"d"}]})";
  EXPECT_EQ(ErrorOf(JsonQuery("{" + from + R"(,"infer":[{"op":"star"}]})")), "BTQL: 'infer' is not supported yet");
  EXPECT_EQ(ErrorOf(JsonQuery("{" + from + R"(,"span_filter":{"op":"literal","value":true}})")),
            "BTQL: 'span_filter' is not supported yet");
  EXPECT_NE(ErrorOf(JsonQuery("{" + from + R"(,"wibble":1})")).find("unknown query clause 'wibble'"),
            std::string::npos);
}

TEST(JsonQueryTest, SourceErrors) {
  auto with_source = [](std::string_view name) {
    return JsonQuery(fmt::format(R"({{"from":{{"op":"function","name":{{"op":"ident",
        "name":["{}"]}},"args":[{{"op":"literal","value":"x"}}]}}}})",
                                 name));
  };
  for (std::string_view source : {"playground_logs", "prompt", "function", "project_prompts", "project_functions",
                                  "org_prompts", "org_functions"}) {
    Result<Query> q = with_source(source);
    ASSERT_TRUE(q.ok()) << source << ": " << q.status().ToString();
    EXPECT_EQ(q->from.function, source);
  }
  EXPECT_EQ(ErrorOf(with_source("view")), "BTQL: 'view' is not supported yet");
  EXPECT_NE(ErrorOf(with_source("nonsense")).find("unknown source 'nonsense'"), std::string::npos);
  EXPECT_EQ(ErrorOf(JsonQuery(R"({"from":{"op":"ident","name":["experiment","e1"]}})")),
            "BTQL: 'from' is not supported yet as an identifier; use a function node");
  EXPECT_EQ(ErrorOf(JsonQuery(R"({"limit":5})")), "BTQL: the query needs a 'from' clause");
  EXPECT_NE(ErrorOf(JsonQuery(R"({"from":{"op":"function","name":{"op":"ident",
                                 "name":["dataset"]},"args":[]}})"))
                .find("needs at least one id"),
            std::string::npos);
  EXPECT_NE(ErrorOf(JsonQuery(R"({"from":{"op":"function","name":{"op":"ident",
                                 "name":["dataset"]},"args":[{"op":"literal","value":7}]}})"))
                .find("string literals"),
            std::string::npos);
  EXPECT_NE(ErrorOf(JsonQuery(R"({"from":{"op":"function","name":{"op":"ident",
                                 "name":["dataset"]},"args":[{"op":"literal","value":"d"}],
                                 "shape":"rows"}})"))
                .find("'shape'"),
            std::string::npos);
}

TEST(JsonQueryTest, LimitAndCursorTypes) {
  std::string from =
      R"("from":{"op":"function","name":{"op":"ident","name":["dataset"]},
          "args":[{"op":"literal","value":"d"}]})";
  Result<Query> zero = JsonQuery("{" + from + R"(,"limit":0})");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->limit, 0);
  Result<Query> dbl = JsonQuery("{" + from + R"(,"limit":25.0})");
  ASSERT_TRUE(dbl.ok());
  EXPECT_EQ(dbl->limit, 25);
  EXPECT_EQ(ErrorOf(JsonQuery("{" + from + R"(,"limit":-1})")), "BTQL: 'limit' must be a non-negative integer, got -1");
  EXPECT_EQ(ErrorOf(JsonQuery("{" + from + R"(,"limit":"10"})")),
            "BTQL: 'limit' must be a non-negative integer, got \"10\"");
  EXPECT_EQ(ErrorOf(JsonQuery("{" + from + R"(,"limit":2.5})")),
            "BTQL: 'limit' must be a non-negative integer, got 2.5E0");
  EXPECT_EQ(ErrorOf(JsonQuery("{" + from + R"(,"cursor":12})")), "BTQL: 'cursor' must be a string");
}

// --- JSON AST: expressions ---

TEST(JsonExprTest, IdentWithStringsAndInts) {
  Result<Expr> e = JsonExpr(R"({"op":"ident","name":["metadata","models",-1,"name"]})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->op, Op::kIdent);
  EXPECT_EQ(e->path, Path({"metadata", "models", int64_t{-1}, "name"}));
  EXPECT_NE(ErrorOf(JsonExpr(R"({"op":"ident","name":[]})")).find("non-empty"), std::string::npos);
  EXPECT_NE(ErrorOf(JsonExpr(R"({"op":"ident","name":["a",true]})")).find("strings or integers"), std::string::npos);
}

TEST(JsonExprTest, IsNullForms) {
  Result<Expr> is = JsonExpr(B("is", I("error"), L("null")));
  ASSERT_TRUE(is.ok()) << is.status().ToString();
  EXPECT_EQ(is->op, Op::kIsNull);
  ASSERT_EQ(is->children.size(), 1u);
  EXPECT_EQ(is->children[0].path, Path({"error"}));
  Result<Expr> notnull = JsonExpr(R"({"op":"isnotnull","expr":{"op":"ident","name":["error"]}})");
  ASSERT_TRUE(notnull.ok());
  EXPECT_EQ(notnull->op, Op::kIsNotNull);
  EXPECT_TRUE(Matches(*is, R"({"id":"a"})"));
  EXPECT_TRUE(Matches(*is, R"({"error":null})"));
  EXPECT_FALSE(Matches(*is, R"({"error":"boom"})"));
  EXPECT_TRUE(Matches(*notnull, R"({"error":"boom"})"));
  // IS with a non-null right side compares like eq.
  Result<Expr> is_true = JsonExpr(R"({"op":"is","left":{"op":"ident","name":["a"]},
                                      "right":{"op":"literal","value":true}})");
  ASSERT_TRUE(is_true.ok());
  EXPECT_EQ(is_true->op, Op::kEq);
  EXPECT_EQ(is_true->children.size(), 2u);
}

TEST(JsonExprTest, UnknownOpsAreNamed) {
  EXPECT_EQ(ErrorOf(JsonExpr(B("frobnicate", I("a"), L("1")))), "BTQL: unknown expression op 'frobnicate'");
  // Nested deep inside other ops, still rejected.
  EXPECT_EQ(ErrorOf(JsonExpr(R"({"op":"and","children":[{"op":"literal","value":true},
            {"op":"not","expr":{"op":"wobble","left":{"op":"ident","name":["a"]},
                                 "right":{"op":"literal","value":1}}}]})")),
            "BTQL: unknown expression op 'wobble'");
  EXPECT_EQ(ErrorOf(JsonExpr(R"({"op":"star"})")), "BTQL: 'star' is allowed only as a select item");
}

TEST(JsonExprTest, MalformedNodes) {
  EXPECT_EQ(ErrorOf(JsonExpr(R"({"op":"eq","left":{"op":"ident","name":["a"]}})")), "BTQL: 'eq' needs 'right'");
  EXPECT_EQ(ErrorOf(JsonExpr(R"({"op":"not"})")), "BTQL: 'not' needs 'expr'");
  EXPECT_EQ(ErrorOf(JsonExpr(R"({"left":1})")), "BTQL: an expression node needs an 'op' string");
  EXPECT_EQ(ErrorOf(JsonExpr(R"("id")")), "BTQL: an expression must be an object, got \"id\"");
  EXPECT_EQ(ErrorOf(JsonExpr(R"({"op":"or","children":{}})")), "BTQL: 'or' children must be an array");
}

TEST(JsonExprTest, EmbeddedTextExpression) {
  Result<Expr> e = JsonExpr(R"({"btql":"metadata.model = 'gpt-4' and tags[0] = 'a'"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->op, Op::kAnd);
  EXPECT_TRUE(Matches(*e, R"({"metadata":{"model":"gpt-4"},"tags":["a","b"]})"));
  EXPECT_FALSE(Matches(*e, R"({"metadata":{"model":"gpt-4"},"tags":["b","a"]})"));
  EXPECT_EQ(ErrorOf(JsonExpr(R"({"btql":"a ="})")),
            "BTQL parse error at line 1, column 4: expected a value after '=', found end of input");
}

TEST(JsonExprTest, LeftRightAndChildrenFormsAgree) {
  std::string a_is_1 = B("eq", I("a"), L("1"));
  std::string b_is_x = B("eq", I("b"), L(R"("x")"));
  std::string c_set = U("isnotnull", I("c"));
  Result<Expr> lr = JsonExpr(B("or", a_is_1, B("and", b_is_x, c_set)));
  Result<Expr> ch = JsonExpr(C("or", {a_is_1, C("and", {b_is_x, c_set})}));
  ASSERT_TRUE(lr.ok()) << lr.status().ToString();
  ASSERT_TRUE(ch.ok()) << ch.status().ToString();
  EXPECT_EQ(lr->children.size(), 2u);
  EXPECT_EQ(ch->children.size(), 2u);
  const char* rows[] = {R"({"a":1})",
                        R"({"a":2})",
                        R"({"b":"x","c":0})",
                        R"({"b":"x"})",
                        R"({"a":null,"b":"y"})",
                        R"({"a":1.0,"b":"x","c":null})"};
  const bool expected[] = {true, false, true, false, false, true};
  for (size_t i = 0; i < std::size(rows); ++i) {
    EXPECT_EQ(Matches(*lr, rows[i]), expected[i]) << rows[i];
    EXPECT_EQ(Matches(*ch, rows[i]), expected[i]) << rows[i];
  }
}

TEST(JsonExprTest, EmptyAndSingleJunctions) {
  Result<Expr> empty_and = JsonExpr(R"({"op":"and","children":[]})");
  Result<Expr> empty_or = JsonExpr(R"({"op":"or"})");
  ASSERT_TRUE(empty_and.ok());
  ASSERT_TRUE(empty_or.ok());
  EXPECT_TRUE(Matches(*empty_and, "{}"));
  EXPECT_FALSE(Matches(*empty_or, "{}"));
  Result<Expr> single = JsonExpr(C("and", {B("eq", I("a"), L("1"))}));
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->op, Op::kEq);
}

// --- The SDK's trace-span filter, evaluated ---

TEST(TraceSpanFilterTest, KeepsTheTraceWithoutScorerSpans) {
  Result<Expr> f = JsonExpr(kTraceSpansFilter);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(Matches(*f, R"({"root_span_id":"root-1","span_attributes":{"name":"task"}})"));
  EXPECT_TRUE(Matches(*f, R"({"root_span_id":"root-1"})"));
  EXPECT_TRUE(Matches(*f, R"({"root_span_id":"root-1","span_attributes":{"purpose":null}})"));
  EXPECT_TRUE(Matches(*f, R"({"root_span_id":"root-1","span_attributes":{"purpose":"other"}})"));
  EXPECT_FALSE(Matches(*f, R"({"root_span_id":"root-1","span_attributes":{"purpose":"scorer"}})"));
  EXPECT_FALSE(Matches(*f, R"({"root_span_id":"root-2","span_attributes":{"name":"task"}})"));
  EXPECT_FALSE(Matches(*f, R"({"span_attributes":{"name":"task"}})"));
}

TEST(TraceSpanFilterTest, JsonAndTextFormsAgree) {
  Result<Expr> json_form = JsonExpr(C("and", {B("eq", I("root_span_id"), L(R"("r")")),
                                              C("or", {U("isnull", I("span_attributes.purpose")),
                                                       B("ne", I("span_attributes.purpose"), L(R"("scorer")"))})}));
  Result<Expr> text_form = ParseTextExpr(
      "root_span_id = 'r' AND (span_attributes.purpose IS NULL OR "
      "span_attributes.purpose <> 'scorer')");
  ASSERT_TRUE(json_form.ok()) << json_form.status().ToString();
  ASSERT_TRUE(text_form.ok()) << text_form.status().ToString();
  for (std::string_view row :
       {R"({"root_span_id":"r"})", R"({"root_span_id":"r","span_attributes":{"purpose":"scorer"}})",
        R"({"root_span_id":"r","span_attributes":{"purpose":"x"}})", R"({"root_span_id":"q"})"}) {
    EXPECT_EQ(Matches(*json_form, row), Matches(*text_form, row)) << row;
  }
  EXPECT_TRUE(Matches(*json_form, R"({"root_span_id":"r","span_attributes":{}})"));
  EXPECT_FALSE(Matches(*text_form, R"({"root_span_id":"r","span_attributes":{"purpose":"scorer"}})"));
}

// --- Evaluator: lookup and null semantics ---

TEST(LookupTest, KeysIndicesAndAbsence) {
  json::object row = Obj(R"({"tags":["a","b","c"],"metadata":{"m":[{"n":1}]},"x":null})");
  ASSERT_NE(Lookup(row, Path({"tags", int64_t{0}})), nullptr);
  EXPECT_EQ(*Lookup(row, Path({"tags", int64_t{0}})), json::value("a"));
  EXPECT_EQ(*Lookup(row, Path({"tags", int64_t{-1}})), json::value("c"));
  EXPECT_EQ(*Lookup(row, Path({"tags", int64_t{-3}})), json::value("a"));
  EXPECT_EQ(Lookup(row, Path({"tags", int64_t{-4}})), nullptr);
  EXPECT_EQ(Lookup(row, Path({"tags", int64_t{3}})), nullptr);
  EXPECT_EQ(*Lookup(row, Path({"metadata", "m", int64_t{0}, "n"})), json::value(1));
  EXPECT_EQ(Lookup(row, Path({"metadata", "missing"})), nullptr);
  EXPECT_EQ(Lookup(row, Path({"tags", "a"})), nullptr);
  EXPECT_EQ(Lookup(row, Path({"metadata", int64_t{0}})), nullptr);
  EXPECT_EQ(Lookup(row, Path({int64_t{0}})), nullptr);
  EXPECT_EQ(Lookup(row, Path({})), nullptr);
  ASSERT_NE(Lookup(row, Path({"x"})), nullptr);
  EXPECT_TRUE(Lookup(row, Path({"x"}))->is_null());
}

TEST(EvalTest, EqualityComparesNumbersByValue) {
  EXPECT_TRUE(TextMatches("n = 1", R"({"n":1.0})"));
  EXPECT_TRUE(TextMatches("n = 1.0", R"({"n":1})"));
  EXPECT_TRUE(TextMatches("n = -2", R"({"n":-2})"));
  EXPECT_FALSE(TextMatches("n = 1", R"({"n":1.5})"));
  EXPECT_FALSE(TextMatches("n = '1'", R"({"n":1})"));
  EXPECT_TRUE(TextMatches("n = 18446744073709551615", R"({"n":18446744073709551615})"));
  EXPECT_FALSE(TextMatches("n = -1", R"({"n":18446744073709551615})"));
  EXPECT_TRUE(TextMatches("s = 'Abc'", R"({"s":"Abc"})"));
  EXPECT_FALSE(TextMatches("s = 'abc'", R"({"s":"Abc"})"));
  EXPECT_TRUE(TextMatches("b = true", R"({"b":true})"));
  EXPECT_FALSE(TextMatches("b = false", R"({"b":true})"));
  EXPECT_TRUE(TextMatches("a = b", R"({"a":{"x":[1,2]},"b":{"x":[1.0,2]}})"));
  EXPECT_FALSE(TextMatches("a = b", R"({"a":{"x":[1,2]},"b":{"x":[2,1]}})"));
  EXPECT_TRUE(TextMatches("'x' = 'x'", "{}"));
}

TEST(EvalTest, NullAndAbsentAreUnknownInComparisons) {
  // ne against a missing field is not a match, nor is NOT of it.
  EXPECT_FALSE(TextMatches("missing != 'x'", "{}"));
  EXPECT_FALSE(TextMatches("NOT missing = 'x'", "{}"));
  EXPECT_FALSE(TextMatches("missing = 'x'", "{}"));
  EXPECT_FALSE(TextMatches("a != 'x'", R"({"a":null})"));
  // a = null is unknown, so NOT(a = null) is unknown too.
  EXPECT_FALSE(TextMatches("a = null", R"({"a":null})"));
  EXPECT_FALSE(TextMatches("NOT (a = null)", R"({"a":1})"));
  EXPECT_FALSE(TextMatches("NOT (a != null)", R"({"a":1})"));
  EXPECT_FALSE(TextMatches("null = null", "{}"));
  EXPECT_TRUE(TextMatches("a IS NULL", "{}"));
  EXPECT_TRUE(TextMatches("a IS NULL", R"({"a":null})"));
  EXPECT_FALSE(TextMatches("a IS NOT NULL", R"({"a":null})"));
  EXPECT_TRUE(TextMatches("a IS NOT NULL", R"({"a":0})"));
  EXPECT_TRUE(TextMatches("NOT (a IS NULL)", R"({"a":""})"));

  Result<Expr> json_not = JsonExpr(U("not", B("eq", I("a"), L("null"))));
  ASSERT_TRUE(json_not.ok());
  EXPECT_FALSE(Matches(*json_not, R"({"a":1})"));
  EXPECT_FALSE(Matches(*json_not, "{}"));
}

TEST(EvalTest, MatchIsWholeWordsCaseInsensitiveWithinThePath) {
  const char* row = R"({"input":"only here: xylophone","output":"The Quick brown fox","metadata":{"note":"X-ray"}})";
  EXPECT_TRUE(TextMatches("output MATCH 'quick'", row));
  EXPECT_TRUE(TextMatches("output MATCH 'FOX quick'", row));
  EXPECT_FALSE(TextMatches("output MATCH 'fox zebra'", row));  // every word must occur
  EXPECT_FALSE(TextMatches("output MATCH 'here'", row));       // only in input
  EXPECT_FALSE(TextMatches("input MATCH 'x'", row));           // x is not a word of xylophone
  EXPECT_TRUE(TextMatches("metadata MATCH 'x'", row));         // X-ray: X and ray
  EXPECT_TRUE(TextMatches("metadata.note MATCH 'RAY'", row));
  EXPECT_FALSE(TextMatches("missing MATCH 'fox'", row));
  EXPECT_FALSE(TextMatches("NOT output MATCH 'fox'", row));
  Result<Expr> j = JsonExpr(R"({"op":"match","left":{"op":"ident","name":["output"]},
                                "right":{"op":"literal","value":"brown"}})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_TRUE(Matches(*j, row));
  Pushdown p = ExtractPushdown(*ParseTextExpr("output MATCH 'brown' and id = 'a'"));
  ASSERT_EQ(p.matches.size(), 1u);
  EXPECT_EQ(p.matches[0].path, std::vector<std::string>{"output"});
  EXPECT_EQ(p.matches[0].query, "brown");
  EXPECT_TRUE(ExtractPushdown(*ParseTextExpr("output MATCH 'a' or id = 'b'")).matches.empty());
}

TEST(EvalTest, OrderingComparesNumbersStringsAndBooleans) {
  const char* row = R"({"n":3,"f":2.5,"big":18446744073709551615,"neg":-4,"s":"beta","t":true,"z":null})";
  EXPECT_TRUE(TextMatches("n > 2", row));
  EXPECT_TRUE(TextMatches("n >= 3", row));
  EXPECT_FALSE(TextMatches("n < 3", row));
  EXPECT_TRUE(TextMatches("n <= 3.0", row));
  EXPECT_TRUE(TextMatches("f < n", row));
  EXPECT_TRUE(TextMatches("big > n", row));
  EXPECT_TRUE(TextMatches("neg < big", row));
  EXPECT_FALSE(TextMatches("big < neg", row));
  EXPECT_TRUE(TextMatches("s > 'alpha'", row));
  EXPECT_TRUE(TextMatches("s < 'beta2'", row));
  EXPECT_TRUE(TextMatches("t > false", row));
  // Null, missing and mixed kinds are unknown: neither the test nor its NOT matches.
  for (std::string e : {"z < 1", "missing > 0", "s > 1", "n < 'x'"}) {
    EXPECT_FALSE(TextMatches(e, row)) << e;
    EXPECT_FALSE(TextMatches("not (" + e + ")", row)) << e;
  }
  EXPECT_TRUE(TextMatches("n > 1 and n < 5", row));
  Result<Expr> j = JsonExpr(R"({"op":"ge","left":{"op":"ident","name":["f"]},"right":{"op":"literal","value":2.5}})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_TRUE(Matches(*j, row));
  // Created ranges compare RFC 3339 strings, which sort in time order.
  EXPECT_TRUE(
      TextMatches("created >= '2026-01-01' and created < '2027-01-01'", R"({"created":"2026-11-23T09:20:29Z"})"));
}

TEST(EvalTest, KleeneAndOr) {
  // unknown OR true = true; unknown AND false = false; unknown AND true = unknown.
  EXPECT_TRUE(TextMatches("missing = 1 OR a = 1", R"({"a":1})"));
  EXPECT_FALSE(TextMatches("missing = 1 OR a = 2", R"({"a":1})"));
  EXPECT_FALSE(TextMatches("NOT (missing = 1 OR a = 2)", R"({"a":1})"));
  EXPECT_TRUE(TextMatches("NOT (missing = 1 AND a = 2)", R"({"a":1})"));
  EXPECT_FALSE(TextMatches("NOT (missing = 1 AND a = 1)", R"({"a":1})"));
  EXPECT_TRUE(TextMatches("NOT NOT a = 1", R"({"a":1})"));
}

TEST(EvalTest, BareOperandsAndNestedBooleans) {
  EXPECT_TRUE(TextMatches("is_root", R"({"is_root":true})"));
  EXPECT_FALSE(TextMatches("is_root", R"({"is_root":false})"));
  EXPECT_FALSE(TextMatches("is_root", "{}"));
  EXPECT_FALSE(TextMatches("NOT is_root", "{}"));
  EXPECT_TRUE(TextMatches("NOT is_root", R"({"is_root":false})"));
  EXPECT_FALSE(TextMatches("name", R"({"name":"x"})"));
  EXPECT_TRUE(TextMatches("true", "{}"));
  EXPECT_TRUE(TextMatches("(a = 1) = (b = 2)", R"({"a":1,"b":2})"));
  EXPECT_TRUE(TextMatches("(a = 1) = false", R"({"a":3})"));
  EXPECT_TRUE(TextMatches("(missing = 1) IS NULL", "{}"));
}

// --- Text queries ---

TEST(TextQueryTest, PipeJoinedQuery) {
  Result<Query> q = ParseTextQuery(
      "select: * | from: experiment('e-1') traces | filter: id = 'r1' | limit: 100 | "
      "cursor: 'tok=='");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(q->select_star);
  EXPECT_EQ(q->from.function, "experiment");
  EXPECT_EQ(q->from.ids, std::vector<std::string>{"e-1"});
  EXPECT_EQ(q->from.shape, Shape::kTraces);
  ASSERT_TRUE(q->filter.has_value());
  EXPECT_EQ(q->filter->op, Op::kEq);
  EXPECT_EQ(q->limit, 100);
  EXPECT_EQ(q->cursor, "tok==");
}

TEST(TextQueryTest, MultiLineCaseInsensitiveWithComments) {
  Result<Query> q = ParseTextQuery(
      "SELECT: *   -- everything\n"
      "From: Project_Logs('p1', 'p2') SUMMARY\n"
      "Filter: metadata.model = 'gpt-4'\n"
      "   AND tags[-1] = 'triage'\n"
      "LIMIT: 5\n");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->from.function, "project_logs");
  EXPECT_EQ(q->from.ids, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(q->from.shape, Shape::kSummary);
  ASSERT_TRUE(q->filter.has_value());
  EXPECT_EQ(q->filter->op, Op::kAnd);
  EXPECT_EQ(q->limit, 5);
  EXPECT_TRUE(Matches(*q->filter, R"({"metadata":{"model":"gpt-4"},"tags":["x","triage"]})"));
  EXPECT_FALSE(Matches(*q->filter, R"({"metadata":{"model":"gpt-4"},"tags":["triage","x"]})"));
}

TEST(TextQueryTest, DefaultsAndDataset) {
  Result<Query> q = ParseTextQuery("from: dataset('d1')");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(q->select_star);
  EXPECT_EQ(q->from.function, "dataset");
  EXPECT_EQ(q->from.shape, Shape::kSpans);
  EXPECT_FALSE(q->filter.has_value());
  EXPECT_FALSE(q->limit.has_value());
  EXPECT_FALSE(q->cursor.has_value());
  // Clauses on one line without '|' still split at the next "name:".
  q = ParseTextQuery("from: dataset('d1') spans filter: a = 1 limit: 0");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->limit, 0);
  EXPECT_EQ(q->filter->op, Op::kEq);
}

TEST(TextExprTest, PathsQuotedKeysAndIndices) {
  Result<Expr> e = ParseTextExpr("metadata.\"field-name\".`odd key`[2]['k'][-1] = 'v'");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->op, Op::kEq);
  EXPECT_EQ(e->children[0].path, Path({"metadata", "field-name", "odd key", int64_t{2}, "k", int64_t{-1}}));
  EXPECT_EQ(e->children[1].value, json::value("v"));
  Result<Expr> quoted_first = ParseTextExpr("\"select\" = 1 and metadata.and = 2");
  ASSERT_TRUE(quoted_first.ok()) << quoted_first.status().ToString();
  EXPECT_EQ(quoted_first->children[0].children[0].path, Path({"select"}));
  EXPECT_EQ(quoted_first->children[1].children[0].path, Path({"metadata", "and"}));
}

TEST(TextExprTest, Literals) {
  auto literal_of = [](std::string_view text) {
    Result<Expr> e = ParseTextExpr(std::string("x = ") + std::string(text));
    EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
    return e.ok() ? e->children[1].value : json::value("<error>");
  };
  EXPECT_EQ(literal_of("'it''s'"), json::value("it's"));
  EXPECT_EQ(literal_of(R"('it\'s')"), json::value("it's"));
  EXPECT_EQ(literal_of(R"('a\\b\nc')"), json::value("a\\b\nc"));
  EXPECT_EQ(literal_of(R"('50\%')"), json::value("50\\%"));
  EXPECT_EQ(literal_of("''"), json::value(""));
  EXPECT_EQ(literal_of("42"), json::value(42));
  EXPECT_TRUE(literal_of("42").is_int64());
  EXPECT_EQ(literal_of("-7"), json::value(-7));
  EXPECT_EQ(literal_of("2.5"), json::value(2.5));
  EXPECT_EQ(literal_of("- 0.25"), json::value(-0.25));
  EXPECT_EQ(literal_of("1e3"), json::value(1000.0));
  EXPECT_EQ(literal_of("99999999999999999999"), json::value(1e20));
  EXPECT_EQ(literal_of("TRUE"), json::value(true));
  EXPECT_EQ(literal_of("false"), json::value(false));
  EXPECT_TRUE(literal_of("Null").is_null());
}

TEST(TextExprTest, PrecedenceNotAndOr) {
  // a OR b AND c  ==  a OR (b AND c)
  Result<Expr> e = ParseTextExpr("a = 1 or b = 1 and c = 1");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->op, Op::kOr);
  EXPECT_EQ(e->children[0].op, Op::kEq);
  EXPECT_EQ(e->children[1].op, Op::kAnd);
  EXPECT_TRUE(TextMatches("a = 1 or b = 1 and c = 1", R"({"a":1,"b":0,"c":0})"));
  EXPECT_FALSE(TextMatches("(a = 1 or b = 1) and c = 1", R"({"a":1,"b":0,"c":0})"));
  // NOT binds tighter than AND: (NOT a) AND b.
  Result<Expr> n = ParseTextExpr("not a = 1 and b = 1");
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->op, Op::kAnd);
  EXPECT_EQ(n->children[0].op, Op::kNot);
  EXPECT_TRUE(TextMatches("not a = 1 and b = 1", R"({"a":2,"b":1})"));
  EXPECT_FALSE(TextMatches("not (a = 1 and b = 1)", R"({"a":1,"b":1})"));
  // Chains flatten into one node.
  Result<Expr> chain = ParseTextExpr("a = 1 AND b = 2 AND c = 3 AND d <> 4");
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->children.size(), 4u);
  EXPECT_EQ(chain->children[3].op, Op::kNe);
  EXPECT_TRUE(TextMatches("((a = 1))", R"({"a":1})"));
}

TEST(TextExprTest, IsNullAndIsNotNull) {
  Result<Expr> e = ParseTextExpr("span_attributes.purpose IS NULL OR span_attributes.purpose != 'scorer'");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->op, Op::kOr);
  EXPECT_EQ(e->children[0].op, Op::kIsNull);
  EXPECT_EQ(e->children[1].op, Op::kNe);
  Result<Expr> nn = ParseTextExpr("comment is not null");
  ASSERT_TRUE(nn.ok());
  EXPECT_EQ(nn->op, Op::kIsNotNull);
}

// --- Errors ---

TEST(TextErrorTest, ParseErrorsNameLineColumnAndExpectation) {
  EXPECT_EQ(ErrorOf(ParseTextQuery("filter: foo =")),
            "BTQL parse error at line 1, column 14: expected a value after '=', found end of "
            "input");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e')\nfilter: a = 1 b")),
            "BTQL parse error at line 2, column 15: expected an operator, '|', a new clause or end "
            "of input, found 'b'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("")),
            "BTQL parse error at line 1, column 1: expected a clause such as 'from:', found end "
            "of input");
  EXPECT_EQ(ErrorOf(ParseTextQuery("select: *\nlimit: 5")),
            "BTQL parse error at line 2, column 9: expected a 'from:' clause, found end of input");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e') | limit: -1")),
            "BTQL parse error at line 1, column 32: expected a non-negative integer after "
            "'limit:', found '-'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e') | limit: 1.5")),
            "BTQL parse error at line 1, column 32: expected a non-negative integer after "
            "'limit:', found 1.5");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e') | cursor: abc")),
            "BTQL parse error at line 1, column 33: expected a quoted token after 'cursor:', "
            "found 'abc'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e) | limit: 1")),
            "BTQL parse error at line 1, column 18: expected a closing ' for this quoted text, "
            "found end of input");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment() ")),
            "BTQL parse error at line 1, column 18: expected a quoted id in experiment(...), "
            "found ')'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('a' 'b')")),
            "BTQL parse error at line 1, column 22: expected ',' or ')' after the id, found "
            "string 'b'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e') | wibble: 1")),
            "BTQL parse error at line 1, column 25: expected a clause (select, dimensions, "
            "measures, pivot, unpivot, from, filter, sort, limit, cursor, sample, "
            "preview_length), found 'wibble'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e') | limit: 1 | limit: 2")),
            "BTQL parse error at line 1, column 36: the 'limit:' clause appears twice");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e') limit 5")),
            "BTQL parse error at line 1, column 23: expected a shape (spans, traces, summary), '|', "
            "a new clause or end of input, found 'limit'");
  EXPECT_EQ(ErrorOf(ParseTextQuery("select:\nfrom: experiment('e')")),
            "BTQL parse error at line 2, column 1: expected '*' or a list of expressions after "
            "'select:', found 'from'");
}

TEST(TextErrorTest, ExpressionErrors) {
  EXPECT_EQ(ErrorOf(ParseTextExpr("a = 1 and")),
            "BTQL parse error at line 1, column 10: expected an expression, found end of input");
  EXPECT_EQ(ErrorOf(ParseTextExpr("(a = 1")),
            "BTQL parse error at line 1, column 7: expected ')' or an operator, found end of "
            "input");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a = 1)")),
            "BTQL parse error at line 1, column 6: expected an operator or end of input, found ')'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a is 'x'")),
            "BTQL parse error at line 1, column 6: expected NULL or NOT NULL after 'IS', found "
            "string 'x'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a is not 1")),
            "BTQL parse error at line 1, column 10: expected NULL after 'IS NOT', found 1");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a. = 1")),
            "BTQL parse error at line 1, column 4: expected a field name after '.', found '='");
  EXPECT_EQ(ErrorOf(ParseTextExpr("tags[x] = 1")),
            "BTQL parse error at line 1, column 6: expected an integer index or a quoted key "
            "after '[', found 'x'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("tags[1.5] = 1")),
            "BTQL parse error at line 1, column 6: expected an integer index or a quoted key "
            "after '[', found 1.5");
  EXPECT_EQ(ErrorOf(ParseTextExpr("tags[0 = 1")), "BTQL parse error at line 1, column 8: expected ']', found '='");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a = and")),
            "BTQL parse error at line 1, column 5: expected a value after '=', found 'and'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a = #")), "BTQL parse error at line 1, column 5: unexpected character '#'");
  // Columns count characters, not bytes; non-ASCII letters may name fields.
  EXPECT_EQ(ErrorOf(ParseTextExpr("m.\"é\" = #")), "BTQL parse error at line 1, column 9: unexpected character '#'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("é = ~")), "BTQL parse error at line 1, column 5: unexpected character '~'");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a = 'x'\n  and\n b = `q")),
            "BTQL parse error at line 3, column 6: expected a closing ` for this quoted text, "
            "found end of input");
  std::string deep = std::string(200, '(') + "a = 1" + std::string(200, ')');
  EXPECT_TRUE(ParseTextExpr(deep).ok());
  EXPECT_EQ(ErrorOf(ParseTextExpr("(" + deep + ")")),
            "BTQL parse error at line 1, column 201: expressions nest deeper than 200 levels");
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  EXPECT_EQ(ErrorOf(ParseTextExpr(nots + "a")),
            "BTQL parse error at line 1, column 801: expressions nest deeper than 200 levels");
  EXPECT_EQ(ErrorOf(ParseTextExpr("")),
            "BTQL parse error at line 1, column 1: expected an expression, found end of input");
}

TEST(TextErrorTest, UnsupportedSyntaxIsNamedWithItsPosition) {
  EXPECT_EQ(ErrorOf(ParseTextExpr("a < ")),
            "BTQL parse error at line 1, column 5: expected a value after '<', found end of input");
  EXPECT_EQ(ErrorOf(ParseTextExpr("a = {'k': 1}")),
            "BTQL: 'object literals' is not supported yet (at line 1, column 5)");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: experiment('e')\ninfer: *")),
            "BTQL: 'infer' is not supported yet (at line 2, column 1)");
  EXPECT_EQ(ErrorOf(ParseTextQuery("final_filter: a | from: experiment('e')")),
            "BTQL: 'final_filter' is not supported yet (at line 1, column 1)");
  EXPECT_EQ(ErrorOf(ParseTextQuery("select: *, id | from: experiment('e')")),
            "BTQL: 'select: *, <fields>' is not supported yet (at line 1, column 10)");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: view('p')")), "BTQL: 'view' is not supported yet (at line 1, column 7)");
  EXPECT_EQ(ErrorOf(ParseTextQuery("from: widgets('p')")),
            "BTQL: unknown source 'widgets' (at line 1, column 7); expected one of experiment, "
            "dataset, project_logs, playground_logs, prompt, function, project_prompts, "
            "project_functions, org_prompts, org_functions");
}

// --- Lexer ---

TEST(LexerTest, TokensCarryPositions) {
  Result<std::vector<Token>> tokens = Tokenize("a <> 'b'\n  `c d` 1.5e2 != |");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 8u);
  EXPECT_EQ((*tokens)[1].text, "<>");
  EXPECT_EQ((*tokens)[1].column, 3);
  EXPECT_EQ((*tokens)[2].kind, TokenKind::kString);
  EXPECT_EQ((*tokens)[2].text, "b");
  EXPECT_EQ((*tokens)[3].kind, TokenKind::kQuotedName);
  EXPECT_EQ((*tokens)[3].text, "c d");
  EXPECT_EQ((*tokens)[3].line, 2);
  EXPECT_EQ((*tokens)[3].column, 3);
  EXPECT_EQ((*tokens)[4].kind, TokenKind::kNumber);
  EXPECT_EQ((*tokens)[4].text, "1.5e2");
  EXPECT_EQ((*tokens)[5].text, "!=");
  EXPECT_EQ((*tokens)[6].text, "|");
  EXPECT_EQ((*tokens)[7].kind, TokenKind::kEnd);
  EXPECT_EQ((*tokens)[7].line, 2);
  EXPECT_EQ((*tokens)[7].column, 19);
}

// --- Pushdown ---

TEST(PushdownTest, CollectsIdAndRootSpanIdFromConjunctions) {
  Result<Expr> f = ParseTextExpr("id = 'r1' and ('root' = root_span_id and (x = 1 and id = 'r2')) and id = 'r1'");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Pushdown p = ExtractPushdown(*f);
  ASSERT_TRUE(p.ids.has_value());
  EXPECT_EQ(*p.ids, (std::vector<std::string>{"r1", "r2"}));
  ASSERT_TRUE(p.root_span_ids.has_value());
  EXPECT_EQ(*p.root_span_ids, std::vector<std::string>{"root"});
}

TEST(PushdownTest, SdkTraceFilterPushesRootSpanId) {
  Result<Expr> f = JsonExpr(kTraceSpansFilter);
  ASSERT_TRUE(f.ok());
  Pushdown p = ExtractPushdown(*f);
  EXPECT_FALSE(p.ids.has_value());
  ASSERT_TRUE(p.root_span_ids.has_value());
  EXPECT_EQ(*p.root_span_ids, std::vector<std::string>{"root-1"});
}

TEST(PushdownTest, SingleTermAndNonPushableShapes) {
  Result<Expr> single = ParseTextExpr("id = 'only'");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(ExtractPushdown(*single).ids, std::vector<std::string>{"only"});
  for (std::string_view text : {"id = 'a' or id = 'b'", "not id = 'a'", "id != 'a'", "id = 5", "metadata.id = 'a'",
                                "id = other", "id is null", "x = 'a' and tags[0] = 'b'"}) {
    Result<Expr> e = ParseTextExpr(text);
    ASSERT_TRUE(e.ok()) << text;
    Pushdown p = ExtractPushdown(*e);
    EXPECT_FALSE(p.ids.has_value()) << text;
    EXPECT_FALSE(p.root_span_ids.has_value()) << text;
  }
}

TEST(ExprBuildersTest, BuildersMatchParsedTrees) {
  Expr built = MakeNode(Op::kEq, {MakeIdent({"a"}), MakeLiteral(json::value(1))});
  EXPECT_TRUE(EvalPredicate(built, Obj(R"({"a":1})")));
  EXPECT_FALSE(EvalPredicate(built, Obj(R"({"a":2})")));
}

}  // namespace
}  // namespace tv::btql
