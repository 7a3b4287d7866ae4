#include "btql/text_expr.h"

#include <array>
#include <charconv>
#include <string>

#include "btql/clause_rules.h"
#include "btql/expr_builders.h"
#include "btql/functions.h"
#include "common/strings.h"

namespace tv::btql {

namespace {

using Op = Expr::Op;

// Words that start or continue an operator, so they cannot name a field
// without quotes.
constexpr std::array<std::string_view, 7> kReservedWords = {"and", "or", "not", "is", "null", "true", "false"};
// SQL clause words: where a value is expected they end the expression.
constexpr std::array<std::string_view, 12> kSqlReservedWords = {
    "select", "from", "where", "group", "order", "having", "limit", "union", "join", "with", "distinct", "as"};
// Operators that may follow NOT: `a NOT IN [...]`, `a NOT LIKE 'x%'`, ...
constexpr std::array<std::string_view, 6> kNegatableWords = {"in", "like", "ilike", "match", "includes", "contains"};

template <size_t N>
bool OneOf(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

Result<json::value> NumberFromText(std::string_view text) {
  int64_t i = 0;
  const char* end = text.data() + text.size();
  if (auto [p, ec] = std::from_chars(text.data(), end, i); ec == std::errc() && p == end) {
    return json::value(i);
  }
  uint64_t u = 0;
  if (auto [p, ec] = std::from_chars(text.data(), end, u); ec == std::errc() && p == end) {
    return json::value(u);
  }
  double d = 0;
  if (auto [p, ec] = std::from_chars(text.data(), end, d); ec == std::errc() && p == end) {
    return json::value(d);
  }
  return InvalidArgument("not a number");
}

// Integers that fit 64 bits stay integers; everything else is a double.
Result<json::value> NumberValue(const Token& t, bool negative) {
  std::string text = (negative ? "-" : "") + t.text;
  Result<json::value> v = NumberFromText(text);
  if (!v.ok()) return ParseErrorAt(t, fmt::format("the number {} is out of range", text));
  return v;
}

Op ComparisonOp(std::string_view symbol) {
  if (symbol == "=") return Op::kEq;
  if (symbol == "!=" || symbol == "<>") return Op::kNe;
  if (symbol == "<") return Op::kLt;
  if (symbol == "<=") return Op::kLe;
  if (symbol == ">") return Op::kGt;
  return Op::kGe;
}

Op WordOp(std::string_view lower) {
  if (lower == "in") return Op::kIn;
  if (lower == "like") return Op::kLike;
  if (lower == "ilike") return Op::kILike;
  if (lower == "match") return Op::kMatch;
  return Op::kIncludes;  // includes, contains
}

// SQL type names CAST accepts, and the conversion function each maps to.
std::string_view CastFunction(std::string_view lower_type) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kTypes = {{
      {"string", "to_string"},
      {"text", "to_string"},
      {"varchar", "to_string"},
      {"boolean", "to_boolean"},
      {"bool", "to_boolean"},
      {"integer", "to_integer"},
      {"int", "to_integer"},
      {"bigint", "to_integer"},
      {"number", "to_number"},
      {"double", "to_number"},
      {"float", "to_number"},
      {"real", "to_number"},
      {"numeric", "to_number"},
      {"decimal", "to_number"},
      {"date", "to_date"},
      {"datetime", "to_datetime"},
      {"timestamp", "to_datetime"},
      {"interval", "to_interval"},
  }};
  for (const auto& [type, fn] : kTypes) {
    if (type == lower_type) return fn;
  }
  return "";
}

class ExprParser {
 public:
  ExprParser(TokenCursor& cursor, Dialect dialect) : c_(cursor), dialect_(dialect) {}

  Result<Expr> ParseExpr() {
    TV_ASSIGN_OR_RETURN(Expr first, ParseOr());
    if (!c_.IsSymbol("?")) return first;
    Expr node = MakeNode(Op::kIf, {std::move(first)});
    while (c_.IsSymbol("?")) {
      TV_RETURN_IF_ERROR(Descend(c_.Next()));
      TV_ASSIGN_OR_RETURN(Expr then, ParseExpr());
      --depth_;
      if (!c_.ConsumeSymbol(":")) return c_.Expected("':' of 'condition ? then : else'");
      node.children.push_back(std::move(then));
      TV_ASSIGN_OR_RETURN(Expr next, ParseOr());  // the next condition, or the else
      node.children.push_back(std::move(next));
    }
    return FlattenElse(std::move(node));
  }

 private:
  // `c1 ? a : (c2 ? b : e)` is the same as one if with two conditions.
  static Expr FlattenElse(Expr node) {
    while (node.children.back().op == Op::kIf) {
      Expr nested = std::move(node.children.back());
      node.children.pop_back();
      for (Expr& child : nested.children) node.children.push_back(std::move(child));
    }
    return node;
  }

  Result<Expr> ParseChain(std::string_view keyword, Op op) {
    std::vector<Expr> terms;
    do {
      TV_ASSIGN_OR_RETURN(Expr term, op == Op::kOr ? ParseAnd() : ParseNot());
      terms.push_back(std::move(term));
    } while (c_.ConsumeWord(keyword));
    if (terms.size() == 1) return std::move(terms[0]);
    return MakeNode(op, std::move(terms));
  }

  Result<Expr> ParseOr() { return ParseChain("or", Op::kOr); }
  Result<Expr> ParseAnd() { return ParseChain("and", Op::kAnd); }

  Result<Expr> ParseNot() {
    if (!c_.IsWord("not")) return ParseComparison();
    TV_RETURN_IF_ERROR(Descend(c_.Next()));
    TV_ASSIGN_OR_RETURN(Expr operand, ParseNot());
    --depth_;
    return MakeNode(Op::kNot, {std::move(operand)});
  }

  // Query text comes from clients; deep nesting must not exhaust the stack.
  Status Descend(const Token& at) {
    if (++depth_ <= kMaxExprDepth) return Status::Ok();
    return ParseErrorAt(at, fmt::format("expressions nest deeper than {} levels", kMaxExprDepth));
  }

  bool AtNegatableWord(size_t ahead) const {
    const Token& t = c_.Peek(ahead);
    return t.kind == TokenKind::kWord && OneOf(kNegatableWords, AsciiLower(t.text));
  }

  Result<Expr> ParseComparison() {
    TV_ASSIGN_OR_RETURN(Expr left, ParseAdditive("an expression"));
    const Token& t = c_.Peek();
    if (t.kind == TokenKind::kSymbol && (t.text == "=" || t.text == "!=" || t.text == "<>" || t.text == "<" ||
                                         t.text == "<=" || t.text == ">" || t.text == ">=")) {
      std::string op = c_.Next().text;
      TV_ASSIGN_OR_RETURN(Expr right, ParseAdditive(fmt::format("a value after '{}'", op)));
      return MakeNode(ComparisonOp(op), {std::move(left), std::move(right)});
    }
    if (c_.ConsumeWord("is")) return ParseIsNull(std::move(left));
    if (c_.ConsumeWord("isnull")) return MakeNode(Op::kIsNull, {std::move(left)});
    if (c_.ConsumeWord("isnotnull")) return MakeNode(Op::kIsNotNull, {std::move(left)});
    bool negated = c_.IsWord("not") && AtNegatableWord(1);
    if (!negated && !AtNegatableWord(0)) return left;
    if (negated) c_.Next();
    std::string word = AsciiLower(c_.Next().text);
    Result<Expr> right = word == "in" ? ParseInList() : ParseAdditive(fmt::format("a value after '{}'", word));
    TV_RETURN_IF_ERROR(right.status());
    Expr node = MakeNode(WordOp(word), {std::move(left), std::move(*right)});
    return negated ? MakeNode(Op::kNot, {std::move(node)}) : std::move(node);
  }

  // After IN: SQL's `(a, b)`, or any value (usually an array literal `[a, b]`).
  Result<Expr> ParseInList() {
    if (!c_.IsSymbol("(")) return ParseAdditive("a list after 'IN'");
    TV_RETURN_IF_ERROR(Descend(c_.Next()));
    TV_RETURN_IF_ERROR(RefuseSubquery());
    TV_ASSIGN_OR_RETURN(std::vector<Expr> items, ParseList(")"));
    --depth_;
    return MakeArrayExpr(std::move(items));
  }

  Result<Expr> ParseIsNull(Expr operand) {
    bool negated = c_.ConsumeWord("not");
    if (!c_.ConsumeWord("null")) {
      return c_.Expected(negated ? "NULL after 'IS NOT'" : "NULL or NOT NULL after 'IS'");
    }
    return MakeNode(negated ? Op::kIsNotNull : Op::kIsNull, {std::move(operand)});
  }

  // A left-associative chain of binary operators. Every operator deepens the
  // tree by one level, so it counts against the depth limit.
  Result<Expr> ParseAdditive(std::string_view expected) {
    TV_ASSIGN_OR_RETURN(Expr left, ParseMultiplicative(expected));
    int levels = 0;
    while (c_.IsSymbol("+") || c_.IsSymbol("-")) {
      const Token& op = c_.Next();
      TV_RETURN_IF_ERROR(Descend(op));
      ++levels;
      Op kind = op.text == "+" ? Op::kAdd : Op::kSub;
      TV_ASSIGN_OR_RETURN(Expr right, ParseMultiplicative(fmt::format("a value after '{}'", op.text)));
      left = MakeNode(kind, {std::move(left), std::move(right)});
    }
    depth_ -= levels;
    return left;
  }

  Result<Expr> ParseMultiplicative(std::string_view expected) {
    TV_ASSIGN_OR_RETURN(Expr left, ParseUnary(expected));
    int levels = 0;
    while (c_.IsSymbol("*") || c_.IsSymbol("/") || c_.IsSymbol("%")) {
      const Token& op = c_.Next();
      TV_RETURN_IF_ERROR(Descend(op));
      ++levels;
      Op kind = op.text == "*" ? Op::kMul : op.text == "/" ? Op::kDiv : Op::kMod;
      TV_ASSIGN_OR_RETURN(Expr right, ParseUnary(fmt::format("a value after '{}'", op.text)));
      left = MakeNode(kind, {std::move(left), std::move(right)});
    }
    depth_ -= levels;
    return left;
  }

  Result<Expr> ParseUnary(std::string_view expected) {
    if (!c_.IsSymbol("-")) return ParsePrimary(expected);
    const Token& minus = c_.Next();
    if (c_.Peek().kind == TokenKind::kNumber) {
      TV_ASSIGN_OR_RETURN(json::value v, NumberValue(c_.Next(), true));
      return MakeLiteral(std::move(v));
    }
    TV_RETURN_IF_ERROR(Descend(minus));
    TV_ASSIGN_OR_RETURN(Expr operand, ParseUnary("a value after '-'"));
    --depth_;
    return MakeNode(Op::kNeg, {std::move(operand)});
  }

  Result<Expr> ParsePrimary(std::string_view expected) {
    const Token& t = c_.Peek();
    switch (t.kind) {
      case TokenKind::kString:
        return MakeLiteral(json::value(c_.Next().text));
      case TokenKind::kNumber: {
        TV_ASSIGN_OR_RETURN(json::value v, NumberValue(c_.Next(), false));
        return MakeLiteral(std::move(v));
      }
      case TokenKind::kQuotedName:
        return ParsePath();
      case TokenKind::kWord:
        return ParseWordPrimary(expected);
      case TokenKind::kSymbol:
        return ParseSymbolPrimary(expected);
      case TokenKind::kEnd:
        break;
    }
    return c_.Expected(expected);
  }

  bool IsReserved(std::string_view lower) const {
    return OneOf(kReservedWords, lower) || (dialect_ == Dialect::kSql && OneOf(kSqlReservedWords, lower));
  }

  Result<Expr> ParseWordPrimary(std::string_view expected) {
    const Token& t = c_.Peek();
    std::string lower = AsciiLower(t.text);
    if (lower == "true" || lower == "false") {
      c_.Next();
      return MakeLiteral(json::value(lower == "true"));
    }
    if (lower == "null") {
      c_.Next();
      return MakeLiteral(json::value(nullptr));
    }
    if (IsReserved(lower)) return c_.Expected(expected);
    const Token& after = c_.Peek(1);
    if (lower == "interval" && (after.kind == TokenKind::kNumber || after.kind == TokenKind::kString ||
                                (after.kind == TokenKind::kSymbol && after.text == "-"))) {
      return ParseInterval();
    }
    if (lower == "case" && after.kind != TokenKind::kSymbol) return ParseCase();
    if (lower == "match" && after.kind == TokenKind::kString) {
      // A bare search: `MATCH 'words'` looks in every full-text field.
      c_.Next();
      return MakeNode(Op::kMatch, {MakeIdent({}), MakeLiteral(json::value(c_.Next().text))});
    }
    if (c_.IsSymbol("(", 1)) {
      if (lower == "cast") return ParseCast();
      return ParseCall();
    }
    return ParsePath();
  }

  Result<Expr> ParseSymbolPrimary(std::string_view expected) {
    if (c_.IsSymbol("(")) {
      TV_RETURN_IF_ERROR(Descend(c_.Next()));
      TV_RETURN_IF_ERROR(RefuseSubquery());
      TV_ASSIGN_OR_RETURN(Expr inner, ParseExpr());
      --depth_;
      if (!c_.ConsumeSymbol(")")) return c_.Expected("')' or an operator");
      return inner;
    }
    if (c_.IsSymbol("[")) {
      TV_RETURN_IF_ERROR(Descend(c_.Next()));
      TV_ASSIGN_OR_RETURN(std::vector<Expr> items, ParseList("]"));
      --depth_;
      return MakeArrayExpr(std::move(items));
    }
    if (c_.IsSymbol("{")) return NotSupportedYet("object literals", WhereSuffix(c_.Peek()));
    return c_.Expected(expected);
  }

  Status RefuseSubquery() const {
    if (dialect_ == Dialect::kSql && (c_.IsWord("select") || c_.IsWord("with"))) {
      return ParseErrorAt(c_.Peek(), "subqueries are not supported");
    }
    return Status::Ok();
  }

  // Elements up to and including `close`, after the opening bracket.
  Result<std::vector<Expr>> ParseList(std::string_view close) {
    std::vector<Expr> items;
    if (c_.ConsumeSymbol(close)) return items;
    do {
      TV_ASSIGN_OR_RETURN(Expr item, ParseExpr());
      items.push_back(std::move(item));
    } while (c_.ConsumeSymbol(","));
    if (!c_.ConsumeSymbol(close)) return c_.Expected(fmt::format("',' or '{}'", close));
    return items;
  }

  Result<Expr> ParseCall() {
    const Token& name_token = c_.Next();
    std::string name = AsciiLower(name_token.text);
    TV_RETURN_IF_ERROR(Descend(c_.Next()));  // '('
    std::vector<Expr> args;
    if (name == "count" && c_.IsSymbol("*") && c_.IsSymbol(")", 1)) {
      c_.Next();
      c_.Next();
      args.push_back(MakeLiteral(json::value(1)));
    } else {
      if (dialect_ == Dialect::kSql && c_.IsWord("distinct")) {
        if (name != "count") return ParseErrorAt(c_.Peek(), "DISTINCT is supported only in COUNT(DISTINCT x)");
        c_.Next();
        name = "count_distinct";
      }
      TV_ASSIGN_OR_RETURN(args, ParseList(")"));
    }
    --depth_;
    if (dialect_ == Dialect::kSql && c_.IsWord("over")) {
      return ParseErrorAt(c_.Peek(), "window functions (OVER) are not supported");
    }
    if (name == "any_span") {
      if (args.size() != 1) {
        return InvalidArgument("BTQL: any_span() takes 1 argument, got {}{}", args.size(), WhereSuffix(name_token));
      }
      return MakeNode(Op::kAnySpan, std::move(args));
    }
    TV_RETURN_IF_ERROR(CheckCall(name, args.size(), WhereSuffix(name_token)));
    Expr call = MakeNode(Op::kCall, std::move(args));
    call.name = std::move(name);
    return call;
  }

  // CAST(x AS type) is the conversion function to_<type>.
  Result<Expr> ParseCast() {
    c_.Next();
    TV_RETURN_IF_ERROR(Descend(c_.Next()));  // '('
    TV_ASSIGN_OR_RETURN(Expr value, ParseExpr());
    if (!c_.ConsumeWord("as")) return c_.Expected("AS in CAST(value AS type)");
    const Token& type = c_.Peek();
    std::string_view fn = type.kind == TokenKind::kWord ? CastFunction(AsciiLower(type.text)) : "";
    if (fn.empty()) {
      return c_.Expected("a type (string, boolean, integer, number, date, datetime, interval)");
    }
    c_.Next();
    if (!c_.ConsumeSymbol(")")) return c_.Expected("')' after the CAST type");
    --depth_;
    Expr call = MakeNode(Op::kCall, {std::move(value)});
    call.name = std::string(fn);
    return call;
  }

  // INTERVAL 1 DAY, INTERVAL '1' DAY, INTERVAL -2 hours, INTERVAL '3 days'.
  Result<Expr> ParseInterval() {
    c_.Next();
    bool negative = c_.ConsumeSymbol("-");
    const Token& amount = c_.Next();
    std::string text = (negative ? "-" : "") + amount.text;
    std::string unit_text;
    if (amount.kind == TokenKind::kString) {
      size_t space = text.find(' ');
      if (space != std::string::npos && c_.Peek().kind != TokenKind::kWord) {
        unit_text = text.substr(space + 1);
        text.resize(space);
      }
    } else if (amount.kind != TokenKind::kNumber) {
      return ParseErrorAt(amount, fmt::format("expected a number after 'interval', found {}", Describe(amount)));
    }
    Result<json::value> value = NumberFromText(text);
    if (!value.ok()) {
      return ParseErrorAt(amount, fmt::format("expected a number after 'interval', found {}", Describe(amount)));
    }
    const Token& unit_token = c_.Peek();
    if (unit_text.empty() && unit_token.kind == TokenKind::kWord) unit_text = c_.Next().text;
    std::string unit = IntervalUnit(unit_text);
    if (unit.empty()) {
      return ParseErrorAt(unit_token, fmt::format("expected an interval unit (year, month, week, "
                                                  "day, hour, minute, second, millisecond, "
                                                  "microsecond), found {}",
                                                  unit_text.empty() ? Describe(unit_token) : "'" + unit_text + "'"));
    }
    Expr e = MakeLiteral(std::move(*value));
    e.op = Op::kInterval;
    e.name = std::move(unit);
    return e;
  }

  // CASE WHEN c THEN a ... [ELSE e] END, or CASE x WHEN v THEN a ... END.
  Result<Expr> ParseCase() {
    TV_RETURN_IF_ERROR(Descend(c_.Next()));
    std::optional<Expr> subject;
    if (!c_.IsWord("when")) {
      TV_ASSIGN_OR_RETURN(subject, ParseExpr());
    }
    Expr node = MakeNode(Op::kIf, {});
    while (c_.ConsumeWord("when")) {
      TV_ASSIGN_OR_RETURN(Expr cond, ParseExpr());
      if (subject) cond = MakeNode(Op::kEq, {*subject, std::move(cond)});
      if (!c_.ConsumeWord("then")) return c_.Expected("THEN");
      TV_ASSIGN_OR_RETURN(Expr then, ParseExpr());
      node.children.push_back(std::move(cond));
      node.children.push_back(std::move(then));
    }
    if (node.children.empty()) return c_.Expected("WHEN");
    Expr otherwise = MakeLiteral(json::value(nullptr));
    if (c_.ConsumeWord("else")) {
      TV_ASSIGN_OR_RETURN(otherwise, ParseExpr());
    }
    if (!c_.ConsumeWord("end")) return c_.Expected("WHEN, ELSE or END");
    --depth_;
    node.children.push_back(std::move(otherwise));
    return FlattenElse(std::move(node));
  }

  Result<Expr> ParsePath() {
    Expr ident = MakeIdent({c_.Next().text});
    while (true) {
      if (c_.ConsumeSymbol(".")) {
        const Token& key = c_.Peek();
        if (key.kind != TokenKind::kWord && key.kind != TokenKind::kQuotedName) {
          return c_.Expected("a field name after '.'");
        }
        ident.path.emplace_back(c_.Next().text);
      } else if (c_.ConsumeSymbol("[")) {
        TV_ASSIGN_OR_RETURN(PathPart part, ParseSubscript());
        ident.path.push_back(std::move(part));
      } else {
        return ident;
      }
    }
  }

  // After '[': an integer index (negative counts from the end) or a 'key'.
  Result<PathPart> ParseSubscript() {
    PathPart part;
    if (c_.Peek().kind == TokenKind::kString) {
      part = c_.Next().text;
    } else {
      bool negative = c_.ConsumeSymbol("-");
      const Token& t = c_.Peek();
      json::value v;
      if (t.kind == TokenKind::kNumber) {
        TV_ASSIGN_OR_RETURN(v, NumberValue(t, negative));
      }
      if (!v.is_int64()) return c_.Expected("an integer index or a quoted key after '['");
      c_.Next();
      part = v.as_int64();
    }
    if (!c_.ConsumeSymbol("]")) return c_.Expected("']'");
    return part;
  }

  TokenCursor& c_;
  Dialect dialect_;
  int depth_ = 0;
};

}  // namespace

Result<Expr> ParseExpr(TokenCursor& cursor, Dialect dialect) { return ExprParser(cursor, dialect).ParseExpr(); }

Expr MakeArrayExpr(std::vector<Expr> elements) {
  bool all_literal = true;
  for (const Expr& e : elements) all_literal = all_literal && e.op == Op::kLiteral;
  if (!all_literal) return MakeNode(Op::kArray, std::move(elements));
  json::array values;
  values.reserve(elements.size());
  for (Expr& e : elements) values.push_back(std::move(e.value));
  return MakeLiteral(json::value(std::move(values)));
}

}  // namespace tv::btql
