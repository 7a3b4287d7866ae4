#include "btql/text_expr.h"

#include <array>
#include <charconv>
#include <string>

#include "btql/clause_rules.h"
#include "btql/expr_builders.h"

namespace tv::btql {

namespace {

// Words that start or continue an operator, so they cannot name a field
// without quotes.
constexpr std::array<std::string_view, 7> kReservedWords = {"and", "or",   "not",  "is",
                                                            "null", "true", "false"};
// Operators of the full language, recognized only to be refused clearly.
constexpr std::array<std::string_view, 6> kLaterSymbols = {"+", "-", "*", "/", "%", "?"};
constexpr std::array<std::string_view, 6> kLaterWords = {"like", "ilike", "includes", "contains", "in", "between"};

template <size_t N>
bool OneOf(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

Status Unsupported(const Token& at, std::string_view name) {
  return NotSupportedYet(name, WhereSuffix(at));
}

bool IsReservedWord(const Token& t) {
  return t.kind == TokenKind::kWord && OneOf(kReservedWords, Lowercase(t.text));
}

// Integers that fit 64 bits stay integers; everything else is a double.
Result<json::value> NumberValue(const Token& t, bool negative) {
  std::string text = (negative ? "-" : "") + t.text;
  int64_t i = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && end == text.data() + text.size()) return json::value(i);
  uint64_t u = 0;
  auto [uend, uec] = std::from_chars(text.data(), text.data() + text.size(), u);
  if (uec == std::errc() && uend == text.data() + text.size()) return json::value(u);
  double d = 0;
  auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec != std::errc() || dend != text.data() + text.size()) {
    return ParseErrorAt(t, fmt::format("the number {} is out of range", text));
  }
  return json::value(d);
}

class ExprParser {
 public:
  explicit ExprParser(TokenCursor& cursor) : c_(cursor) {}

  Result<Expr> ParseOr() { return ParseChain("or", Expr::Op::kOr); }

 private:
  Result<Expr> ParseChain(std::string_view keyword, Expr::Op op) {
    std::vector<Expr> terms;
    do {
      TV_ASSIGN_OR_RETURN(Expr term, op == Expr::Op::kOr ? ParseAnd() : ParseNot());
      terms.push_back(std::move(term));
    } while (c_.ConsumeWord(keyword));
    if (terms.size() == 1) return std::move(terms[0]);
    return MakeNode(op, std::move(terms));
  }

  Result<Expr> ParseAnd() { return ParseChain("and", Expr::Op::kAnd); }

  Result<Expr> ParseNot() {
    if (!c_.IsWord("not")) return ParseComparison();
    TV_RETURN_IF_ERROR(Descend(c_.Next()));
    TV_ASSIGN_OR_RETURN(Expr operand, ParseNot());
    --depth_;
    return MakeNode(Expr::Op::kNot, {std::move(operand)});
  }

  // Query text comes from clients; deep nesting must not exhaust the stack.
  Status Descend(const Token& at) {
    if (++depth_ <= kMaxDepth) return Status::Ok();
    return ParseErrorAt(at, fmt::format("expressions nest deeper than {} levels", kMaxDepth));
  }

  Result<Expr> ParseComparison() {
    TV_ASSIGN_OR_RETURN(Expr left, ParseOperand("an expression"));
    const Token& t = c_.Peek();
    if (c_.IsSymbol("=") || c_.IsSymbol("!=") || c_.IsSymbol("<>")) {
      std::string op = c_.Next().text;
      TV_ASSIGN_OR_RETURN(Expr right, ParseOperand(fmt::format("a value after '{}'", op)));
      Expr::Op kind = op == "=" ? Expr::Op::kEq : Expr::Op::kNe;
      return MakeNode(kind, {std::move(left), std::move(right)});
    }
    if (c_.IsSymbol("<") || c_.IsSymbol("<=") || c_.IsSymbol(">") || c_.IsSymbol(">=")) {
      std::string op = c_.Next().text;
      TV_ASSIGN_OR_RETURN(Expr right, ParseOperand(fmt::format("a value after '{}'", op)));
      Expr::Op kind = op == "<" ? Expr::Op::kLt : op == "<=" ? Expr::Op::kLe : op == ">" ? Expr::Op::kGt : Expr::Op::kGe;
      return MakeNode(kind, {std::move(left), std::move(right)});
    }
    if (c_.ConsumeWord("is")) return ParseIsNull(std::move(left));
    if (c_.ConsumeWord("match")) {
      TV_ASSIGN_OR_RETURN(Expr right, ParseOperand("a string after 'MATCH'"));
      return MakeNode(Expr::Op::kMatch, {std::move(left), std::move(right)});
    }
    if (t.kind == TokenKind::kSymbol && OneOf(kLaterSymbols, t.text)) {
      return Unsupported(t, t.text);
    }
    if (t.kind == TokenKind::kWord && OneOf(kLaterWords, Lowercase(t.text))) {
      return Unsupported(t, Lowercase(t.text));
    }
    if (c_.IsWord("not") && c_.Peek(1).kind == TokenKind::kWord &&
        OneOf(kLaterWords, Lowercase(c_.Peek(1).text))) {
      return Unsupported(t, "not " + Lowercase(c_.Peek(1).text));
    }
    return left;
  }

  Result<Expr> ParseIsNull(Expr operand) {
    bool negated = c_.ConsumeWord("not");
    if (!c_.ConsumeWord("null")) {
      return c_.Expected(negated ? "NULL after 'IS NOT'" : "NULL or NOT NULL after 'IS'");
    }
    Expr::Op op = negated ? Expr::Op::kIsNotNull : Expr::Op::kIsNull;
    return MakeNode(op, {std::move(operand)});
  }

  Result<Expr> ParseOperand(std::string_view expected) {
    const Token& t = c_.Peek();
    switch (t.kind) {
      case TokenKind::kString: return MakeLiteral(json::value(c_.Next().text));
      case TokenKind::kNumber: {
        TV_ASSIGN_OR_RETURN(json::value v, NumberValue(c_.Next(), false));
        return MakeLiteral(std::move(v));
      }
      case TokenKind::kQuotedName: return ParsePath();
      case TokenKind::kWord: return ParseWordOperand(expected);
      case TokenKind::kSymbol: return ParseSymbolOperand(expected);
      case TokenKind::kEnd: break;
    }
    return c_.Expected(expected);
  }

  Result<Expr> ParseWordOperand(std::string_view expected) {
    const Token& t = c_.Peek();
    std::string lower = Lowercase(t.text);
    if (lower == "true" || lower == "false") {
      c_.Next();
      return MakeLiteral(json::value(lower == "true"));
    }
    if (lower == "null") {
      c_.Next();
      return MakeLiteral(json::value(nullptr));
    }
    if (IsReservedWord(t)) return c_.Expected(expected);
    if (c_.IsSymbol("(", 1)) return Unsupported(t, lower + "()");
    return ParsePath();
  }

  Result<Expr> ParseSymbolOperand(std::string_view expected) {
    const Token& t = c_.Peek();
    if (c_.IsSymbol("(")) {
      TV_RETURN_IF_ERROR(Descend(c_.Next()));
      TV_ASSIGN_OR_RETURN(Expr inner, ParseOr());
      --depth_;
      if (!c_.ConsumeSymbol(")")) return c_.Expected("')' or an operator");
      return inner;
    }
    if (t.text == "-" && c_.Peek(1).kind == TokenKind::kNumber) {
      c_.Next();
      TV_ASSIGN_OR_RETURN(json::value v, NumberValue(c_.Next(), true));
      return MakeLiteral(std::move(v));
    }
    if (t.text == "[" || t.text == "{" || t.text == "-" || t.text == "*") {
      return Unsupported(t, t.text);
    }
    return c_.Expected(expected);
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

  static constexpr int kMaxDepth = 200;
  TokenCursor& c_;
  int depth_ = 0;
};

}  // namespace

Result<Expr> ParseOrExpr(TokenCursor& cursor) { return ExprParser(cursor).ParseOr(); }

}  // namespace tv::btql
