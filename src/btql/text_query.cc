#include "btql/text_query.h"

#include <charconv>
#include <set>
#include <string>

#include "btql/clause_rules.h"
#include "btql/lexer.h"
#include "btql/text_expr.h"

namespace tv::btql {

namespace {

constexpr std::string_view kClauseList = "select, from, filter, limit, cursor";

class ClauseParser {
 public:
  explicit ClauseParser(TokenCursor& cursor) : c_(cursor) {}

  Result<Query> Parse() {
    TV_RETURN_IF_ERROR(RejectSql());
    if (c_.AtEnd()) return c_.Expected("a clause such as 'from:'");
    while (true) {
      while (c_.ConsumeSymbol("|")) {
      }
      if (c_.AtEnd()) break;
      TV_RETURN_IF_ERROR(ParseClause());
      if (!c_.AtEnd() && !c_.IsSymbol("|") && !StartsClause()) {
        return c_.Expected("'|', a new clause or end of input");
      }
    }
    if (!seen_.count("from")) return c_.Expected("a 'from:' clause");
    return std::move(query_);
  }

 private:
  bool StartsClause() const { return c_.Peek().kind == TokenKind::kWord && c_.IsSymbol(":", 1); }

  // The SQL form starts with a keyword that is not followed by ':'.
  Status RejectSql() const {
    const Token& t = c_.Peek();
    bool sql_keyword = c_.IsWord("select") || c_.IsWord("with") || c_.IsWord("from");
    if (sql_keyword && !c_.IsSymbol(":", 1)) return NotSupportedYet("SQL syntax", WhereSuffix(t));
    return Status::Ok();
  }

  Status ParseClause() {
    const Token& name_token = c_.Peek();
    if (!StartsClause()) return c_.Expected(fmt::format("a clause ({})", kClauseList));
    std::string name = Lowercase(c_.Next().text);
    c_.Next();  // ':'
    if (!IsSupportedClause(name)) return UnknownOrLaterClause(name_token, name);
    if (!seen_.insert(name).second) {
      return ParseErrorAt(name_token, fmt::format("the '{}:' clause appears twice", name));
    }
    if (name == "select") return ParseSelect();
    if (name == "from") return ParseFrom();
    if (name == "filter") return ParseFilter();
    if (name == "limit") return ParseLimit();
    return ParseCursor();
  }

  static Status UnknownOrLaterClause(const Token& at, const std::string& name) {
    static const std::set<std::string, std::less<>> kLater = {
        "dimensions", "measures", "pivot", "unpivot", "sort", "sample", "preview_length",
        "infer", "comparison_key", "weighted_scores", "custom_columns", "inference_budget",
        "span_filter", "trace_filter", "final_filter", "final_dimensions", "final_measures"};
    if (kLater.count(name)) return NotSupportedYet(name, WhereSuffix(at));
    return ParseErrorAt(at, fmt::format("expected a clause ({}), found '{}'", kClauseList, at.raw));
  }

  Status ParseSelect() {
    if (c_.ConsumeSymbol("*")) return Status::Ok();
    if (c_.AtEnd() || c_.IsSymbol("|") || StartsClause()) return c_.Expected("'*' after 'select:'");
    return NotSupportedYet("select: <fields>", WhereSuffix(c_.Peek()) + "; use 'select: *'");
  }

  Status ParseFrom() {
    const Token& fn = c_.Peek();
    if (fn.kind != TokenKind::kWord) return c_.Expected("a source such as experiment('<id>')");
    std::string name = Lowercase(c_.Next().text);
    TV_RETURN_IF_ERROR(CheckSourceFunction(name, WhereSuffix(fn)));
    if (!c_.ConsumeSymbol("(")) return c_.Expected(fmt::format("'(' after '{}'", name));
    query_.from.function = name;
    do {
      const Token& arg = c_.Peek();
      if (arg.kind != TokenKind::kString && arg.kind != TokenKind::kQuotedName) {
        return c_.Expected(fmt::format("a quoted id in {}(...)", name));
      }
      query_.from.ids.push_back(c_.Next().text);
    } while (c_.ConsumeSymbol(","));
    if (!c_.ConsumeSymbol(")")) return c_.Expected("',' or ')' after the id");
    if (c_.Peek().kind == TokenKind::kWord && IsShapeName(c_.Peek().text) && !c_.IsSymbol(":", 1)) {
      query_.from.shape = ShapeFromName(c_.Next().text);
    }
    return Status::Ok();
  }

  Status ParseFilter() {
    TV_ASSIGN_OR_RETURN(Expr filter, ParseOrExpr(c_));
    query_.filter = std::move(filter);
    if (!c_.AtEnd() && !c_.IsSymbol("|") && !StartsClause()) {
      return c_.Expected("AND, OR, '|', a new clause or end of input");
    }
    return Status::Ok();
  }

  Status ParseLimit() {
    const Token& t = c_.Peek();
    int64_t limit = -1;
    if (t.kind == TokenKind::kNumber) {
      auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), limit);
      if (ec != std::errc() || end != t.text.data() + t.text.size()) limit = -1;
    }
    if (limit < 0) return c_.Expected("a non-negative integer after 'limit:'");
    c_.Next();
    query_.limit = limit;
    return Status::Ok();
  }

  Status ParseCursor() {
    if (c_.Peek().kind != TokenKind::kString) return c_.Expected("a quoted token after 'cursor:'");
    query_.cursor = c_.Next().text;
    return Status::Ok();
  }

  TokenCursor& c_;
  Query query_;
  std::set<std::string> seen_;
};

}  // namespace

Result<Query> ParseTextQuery(std::string_view text) {
  TV_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  TokenCursor cursor(std::move(tokens));
  return ClauseParser(cursor).Parse();
}

Result<Expr> ParseTextExpr(std::string_view text) {
  TV_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  TokenCursor cursor(std::move(tokens));
  TV_ASSIGN_OR_RETURN(Expr expr, ParseOrExpr(cursor));
  if (!cursor.AtEnd()) return cursor.Expected("AND, OR or end of input");
  return expr;
}

}  // namespace tv::btql
