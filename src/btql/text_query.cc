#include "btql/text_query.h"

#include <charconv>
#include <map>
#include <set>
#include <string>

#include "btql/clause_rules.h"
#include "btql/lexer.h"
#include "btql/sql_query.h"
#include "btql/text_expr.h"
#include "common/strings.h"

namespace tv::btql {

namespace {

std::optional<int64_t> NonNegativeInt(const Token& t) {
  int64_t n = -1;
  if (t.kind != TokenKind::kNumber) return std::nullopt;
  auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
  if (ec != std::errc() || end != t.text.data() + t.text.size() || n < 0) return std::nullopt;
  return n;
}

class ClauseParser {
 public:
  explicit ClauseParser(TokenCursor& cursor) : c_(cursor) {}

  Result<Query> Parse() {
    if (c_.AtEnd()) return c_.Expected("a clause such as 'from:'");
    while (true) {
      while (c_.ConsumeSymbol("|")) {
      }
      if (c_.AtEnd()) break;
      TV_RETURN_IF_ERROR(ParseClause());
    }
    if (!clause_tokens_.count("from")) return c_.Expected("a 'from:' clause");
    FinishQuery(query_);
    if (std::optional<QueryProblem> p = FindQueryProblem(query_)) {
      return ParseErrorAt(TokenOf(*p), p->message);
    }
    return std::move(query_);
  }

 private:
  bool StartsClause() const { return c_.Peek().kind == TokenKind::kWord && c_.IsSymbol(":", 1); }
  bool AtClauseEnd() const { return c_.AtEnd() || c_.IsSymbol("|") || StartsClause(); }

  // `after` lists what else could have continued the clause: "',', ".
  Status ExpectClauseEnd(std::string_view after) const {
    if (AtClauseEnd()) return Status::Ok();
    return c_.Expected(fmt::format("{}'|', a new clause or end of input", after));
  }

  const Token& TokenOf(const QueryProblem& p) const {
    auto items = item_tokens_.find(p.clause);
    if (items != item_tokens_.end() && p.index < items->second.size()) return items->second[p.index];
    auto clause = clause_tokens_.find(p.clause);
    return clause != clause_tokens_.end() ? clause->second : c_.Peek();
  }

  Status ParseClause() {
    const Token& name_token = c_.Peek();
    if (!StartsClause()) {
      return c_.Expected(fmt::format("a clause ({})", SupportedClauseList()));
    }
    std::string name = AsciiLower(c_.Next().text);
    c_.Next();  // ':'
    switch (ClassifyClause(name)) {
      case ClauseKind::kSupported:
        break;
      case ClauseKind::kLater:
        return NotSupportedYet(name, WhereSuffix(name_token));
      case ClauseKind::kUnknown:
        return ParseErrorAt(name_token,
                            fmt::format("expected a clause ({}), found '{}'", SupportedClauseList(), name_token.raw));
    }
    if (!clause_tokens_.emplace(name, name_token).second) {
      return ParseErrorAt(name_token, fmt::format("the '{}:' clause appears twice", name));
    }
    return ParseClauseValue(name);
  }

  Status ParseClauseValue(const std::string& name) {
    if (name == "select") return ParseSelect();
    if (name == "dimensions") return ParseAliasList(name, query_.dimensions);
    if (name == "measures") return ParseAliasList(name, query_.measures);
    if (name == "pivot") return ParseAliasList(name, query_.pivot);
    if (name == "unpivot") return ParseUnpivot();
    if (name == "from") return ParseFrom();
    if (name == "filter") return ParseFilter();
    if (name == "sort") return ParseSort();
    if (name == "limit") return ParseCount("limit", query_.limit);
    if (name == "preview_length") return ParseCount("preview_length", query_.preview_length);
    if (name == "sample") return ParseSample();
    return ParseCursor();
  }

  Status ParseSelect() {
    if (c_.IsSymbol("*")) {
      c_.Next();
      query_.select_star = true;
      if (c_.IsSymbol(",")) return NotSupportedYet("select: *, <fields>", WhereSuffix(c_.Peek()));
      return ExpectClauseEnd("");
    }
    if (AtClauseEnd()) return c_.Expected("'*' or a list of expressions after 'select:'");
    return ParseAliasList("select", query_.select);
  }

  Result<Expr> ParseItemExpr(const std::string& clause) {
    if (AtClauseEnd()) return c_.Expected(fmt::format("an expression after '{}:'", clause));
    item_tokens_[clause].push_back(c_.Peek());
    return ParseExpr(c_);
  }

  // After AS: a word or a quoted name.
  Result<std::string> ParseAliasName() {
    const Token& t = c_.Peek();
    if (t.kind != TokenKind::kWord && t.kind != TokenKind::kQuotedName && t.kind != TokenKind::kString) {
      return c_.Expected("an alias name after 'as'");
    }
    if (t.text.empty()) return c_.Expected("a non-empty alias name after 'as'");
    return c_.Next().text;
  }

  // expr [AS alias] (',' expr [AS alias])*
  Status ParseAliasList(const std::string& clause, std::vector<AliasExpr>& out) {
    do {
      AliasExpr item;
      TV_ASSIGN_OR_RETURN(item.expr, ParseItemExpr(clause));
      if (c_.ConsumeWord("as")) {
        TV_ASSIGN_OR_RETURN(item.alias, ParseAliasName());
      }
      out.push_back(std::move(item));
    } while (c_.ConsumeSymbol(","));
    return ExpectClauseEnd("an operator, AS, ',', ");
  }

  // expr AS (key, value) | expr AS element, comma-separated.
  Status ParseUnpivot() {
    do {
      Unpivot item;
      TV_ASSIGN_OR_RETURN(item.expr, ParseItemExpr("unpivot"));
      if (!c_.ConsumeWord("as")) return c_.Expected("AS (key, value) or AS name after the unpivot expression");
      if (c_.ConsumeSymbol("(")) {
        do {
          TV_ASSIGN_OR_RETURN(std::string alias, ParseAliasName());
          item.aliases.push_back(std::move(alias));
        } while (item.aliases.size() < 2 && c_.ConsumeSymbol(","));
        if (!c_.ConsumeSymbol(")")) {
          return c_.Expected(item.aliases.size() < 2 ? "',' or ')'" : "')' after (key, value)");
        }
      } else {
        TV_ASSIGN_OR_RETURN(std::string alias, ParseAliasName());
        item.aliases.push_back(std::move(alias));
      }
      query_.unpivot.push_back(std::move(item));
    } while (c_.ConsumeSymbol(","));
    return ExpectClauseEnd("',', ");
  }

  Status ParseFrom() {
    const Token& fn = c_.Peek();
    if (fn.kind != TokenKind::kWord) return c_.Expected("a source such as experiment('<id>')");
    std::string name = AsciiLower(c_.Next().text);
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
    return ExpectClauseEnd("a shape (spans, traces, summary), ");
  }

  Status ParseFilter() {
    TV_ASSIGN_OR_RETURN(Expr filter, ParseItemExpr("filter"));
    query_.filter = std::move(filter);
    return ExpectClauseEnd("an operator, ");
  }

  Status ParseSort() {
    do {
      SortItem item;
      TV_ASSIGN_OR_RETURN(item.expr, ParseItemExpr("sort"));
      if (c_.ConsumeWord("desc")) {
        item.descending = true;
      } else {
        c_.ConsumeWord("asc");
      }
      query_.sort.push_back(std::move(item));
    } while (c_.ConsumeSymbol(","));
    return ExpectClauseEnd("an operator, ASC, DESC, ',', ");
  }

  Status ParseCount(std::string_view clause, std::optional<int64_t>& out) {
    std::optional<int64_t> n = NonNegativeInt(c_.Peek());
    if (!n) return c_.Expected(fmt::format("a non-negative integer after '{}:'", clause));
    c_.Next();
    out = *n;
    return ExpectClauseEnd("");
  }

  // `25%` (a rate) or `10` (a count), then optionally `seed 42`.
  Status ParseSample() {
    const Token& t = c_.Peek();
    if (t.kind != TokenKind::kNumber) {
      return c_.Expected("a percentage (25%) or a row count (10) after 'sample:'");
    }
    Sample sample;
    if (c_.IsSymbol("%", 1)) {
      double percent = 0;
      auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), percent);
      if (ec != std::errc() || end != t.text.data() + t.text.size() || percent > 100) {
        return c_.Expected("a percentage between 0% and 100%");
      }
      c_.Next();
      c_.Next();
      sample.value = percent / 100;
    } else {
      std::optional<int64_t> n = NonNegativeInt(t);
      if (!n) return c_.Expected("a percentage (25%) or a whole row count (10) after 'sample:'");
      c_.Next();
      sample.is_rate = false;
      sample.value = static_cast<double>(*n);
    }
    if (c_.ConsumeWord("seed")) {
      std::optional<int64_t> seed = NonNegativeInt(c_.Peek());
      if (!seed) return c_.Expected("a non-negative integer after 'seed'");
      c_.Next();
      sample.seed = static_cast<uint64_t>(*seed);
    }
    query_.sample = sample;
    return ExpectClauseEnd("SEED, ");
  }

  Status ParseCursor() {
    if (c_.Peek().kind != TokenKind::kString) return c_.Expected("a quoted token after 'cursor:'");
    query_.cursor = c_.Next().text;
    return ExpectClauseEnd("");
  }

  TokenCursor& c_;
  Query query_;
  std::map<std::string, Token> clause_tokens_;
  std::map<std::string, std::vector<Token>> item_tokens_;  // first token of each item
};

// The SQL form starts with SELECT or WITH not followed by ':'.
bool LooksLikeSql(const TokenCursor& c) { return (c.IsWord("select") || c.IsWord("with")) && !c.IsSymbol(":", 1); }

}  // namespace

Result<Query> ParseTextQuery(std::string_view text) {
  TV_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  TokenCursor cursor(std::move(tokens));
  if (LooksLikeSql(cursor)) return ParseSqlQuery(text);
  return ClauseParser(cursor).Parse();
}

Result<Expr> ParseTextExpr(std::string_view text) {
  TV_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  TokenCursor cursor(std::move(tokens));
  TV_ASSIGN_OR_RETURN(Expr expr, ParseExpr(cursor));
  if (!cursor.AtEnd()) return cursor.Expected("an operator or end of input");
  return expr;
}

}  // namespace tv::btql
