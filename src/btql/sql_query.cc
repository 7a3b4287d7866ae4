#include "btql/sql_query.h"

#include <array>
#include <charconv>
#include <map>

#include "btql/ast_text.h"
#include "btql/clause_rules.h"
#include "btql/expr_builders.h"
#include "btql/lexer.h"
#include "btql/text_expr.h"
#include "common/strings.h"

namespace tv::btql {

namespace {

// Words that would continue a statement this front end does not implement,
// and the advice given for each.
struct Refusal {
  std::string_view word;
  std::string_view message;
};
constexpr std::array<Refusal, 10> kRefusals = {{
    {"having", "HAVING is not supported; filter rows with WHERE"},
    {"join", "JOIN is not supported; a query reads one source"},
    {"inner", "JOIN is not supported; a query reads one source"},
    {"left", "JOIN is not supported; a query reads one source"},
    {"cross", "JOIN is not supported; a query reads one source"},
    {"union", "UNION is not supported"},
    {"intersect", "INTERSECT is not supported"},
    {"except", "EXCEPT is not supported"},
    {"offset", "OFFSET is not supported; page with the response's cursor"},
    {"pivot", "SQL PIVOT is not supported yet; use the BTQL pivot: clause"},
}};

struct SelectItem {
  AliasExpr item;
  Token at;
  bool aggregate = false;
};

class SqlParser {
 public:
  explicit SqlParser(TokenCursor& cursor) : c_(cursor) {}

  Result<Query> Parse() {
    if (c_.IsWord("with")) return ParseErrorAt(c_.Peek(), "WITH (common table expressions) is not supported");
    c_.Next();  // SELECT
    TV_RETURN_IF_ERROR(ParseSelectList());
    if (!c_.ConsumeWord("from")) return c_.Expected(star_ ? "FROM" : "',', AS, an operator or FROM");
    TV_RETURN_IF_ERROR(ParseSource());
    while (c_.IsWord("unpivot")) TV_RETURN_IF_ERROR(ParseUnpivot());
    TV_RETURN_IF_ERROR(Refuse());
    if (c_.IsWord("where")) TV_RETURN_IF_ERROR(ParseWhere());
    TV_RETURN_IF_ERROR(Refuse());
    if (c_.IsWord("group")) TV_RETURN_IF_ERROR(ParseGroupBy());
    TV_RETURN_IF_ERROR(Refuse());
    if (c_.IsWord("order")) TV_RETURN_IF_ERROR(ParseOrderBy());
    TV_RETURN_IF_ERROR(Refuse());
    if (c_.ConsumeWord("limit")) TV_RETURN_IF_ERROR(ParseLimit());
    TV_RETURN_IF_ERROR(Refuse());
    c_.ConsumeSymbol(";");
    if (!c_.AtEnd()) return c_.Expected(ExpectedNext());
    TV_RETURN_IF_ERROR(MapSelect());
    FinishQuery(query_);
    if (std::optional<QueryProblem> p = FindQueryProblem(query_)) {
      return ParseErrorAt(TokenOf(*p), p->message);
    }
    return std::move(query_);
  }

 private:
  std::string ExpectedNext() const {
    if (query_.limit) return "end of input";
    if (!order_tokens_.empty()) return "',', ASC, DESC, LIMIT or end of input";
    return "WHERE, GROUP BY, ORDER BY, LIMIT, an operator or end of input";
  }

  Status Refuse() const {
    for (const Refusal& r : kRefusals) {
      if (c_.IsWord(r.word)) return ParseErrorAt(c_.Peek(), r.message);
    }
    return Status::Ok();
  }

  const Token& TokenOf(const QueryProblem& p) const {
    auto it = item_tokens_.find(p.clause);
    if (it != item_tokens_.end() && p.index < it->second.size()) return it->second[p.index];
    return c_.Peek();
  }

  Status ParseSelectList() {
    if (c_.IsWord("distinct")) return ParseErrorAt(c_.Peek(), "SELECT DISTINCT is not supported; use GROUP BY");
    if (c_.ConsumeSymbol("*")) {
      star_ = true;
      if (c_.IsSymbol(",")) return NotSupportedYet("SELECT *, <fields>", WhereSuffix(c_.Peek()));
      return Status::Ok();
    }
    do {
      SelectItem s;
      s.at = c_.Peek();
      TV_ASSIGN_OR_RETURN(s.item.expr, ParseExpr(c_, Dialect::kSql));
      if (c_.ConsumeWord("as")) {
        const Token& alias = c_.Peek();
        if ((alias.kind != TokenKind::kWord && alias.kind != TokenKind::kQuotedName) || alias.text.empty()) {
          return c_.Expected("an alias name after AS");
        }
        s.item.alias = c_.Next().text;
      }
      s.aggregate = ContainsAggregate(s.item.expr);
      items_.push_back(std::move(s));
    } while (c_.ConsumeSymbol(","));
    return Status::Ok();
  }

  // source('id', ..., shape => 'traces')
  Status ParseSource() {
    const Token& fn = c_.Peek();
    if (fn.kind != TokenKind::kWord) return c_.Expected("a source such as experiment('<id>') after FROM");
    if (c_.IsSymbol("(")) return ParseErrorAt(fn, "subqueries are not supported");
    std::string name = AsciiLower(c_.Next().text);
    TV_RETURN_IF_ERROR(CheckSourceFunction(name, WhereSuffix(fn)));
    if (!c_.ConsumeSymbol("(")) return c_.Expected(fmt::format("'(' after '{}'", name));
    query_.from.function = name;
    do {
      if (c_.IsWord("shape") && c_.IsSymbol("=", 1) && c_.IsSymbol(">", 2)) {
        TV_RETURN_IF_ERROR(ParseShapeArgument());
        break;
      }
      if (c_.Peek().kind != TokenKind::kString) {
        return c_.Expected(fmt::format("a quoted id in {}(...)", name));
      }
      query_.from.ids.push_back(c_.Next().text);
    } while (c_.ConsumeSymbol(","));
    if (query_.from.ids.empty()) return ParseErrorAt(fn, fmt::format("{}() needs at least one id", name));
    if (!c_.ConsumeSymbol(")")) return c_.Expected("',' or ')' after the id");
    if (c_.IsSymbol(",")) return ParseErrorAt(c_.Peek(), "JOIN is not supported; a query reads one source");
    return Status::Ok();
  }

  Status ParseShapeArgument() {
    c_.Next();
    c_.Next();
    c_.Next();  // shape = >
    const Token& t = c_.Peek();
    if (t.kind != TokenKind::kString || !IsShapeName(t.text)) {
      return c_.Expected("'spans', 'traces' or 'summary' after 'shape =>'");
    }
    query_.from.shape = ShapeFromName(c_.Next().text);
    return Status::Ok();
  }

  Result<std::string> ParseName(std::string_view expected) {
    const Token& t = c_.Peek();
    if ((t.kind != TokenKind::kWord && t.kind != TokenKind::kQuotedName) || t.text.empty()) {
      return c_.Expected(expected);
    }
    return c_.Next().text;
  }

  // UNPIVOT (value FOR key IN (expr)); a key named _ unpivots an array.
  Status ParseUnpivot() {
    const Token& at = c_.Next();
    if (!c_.ConsumeSymbol("(")) return c_.Expected("'(' after UNPIVOT");
    TV_ASSIGN_OR_RETURN(std::string value, ParseName("a value column name"));
    if (!c_.ConsumeWord("for")) return c_.Expected("FOR in UNPIVOT (value FOR key IN (column))");
    TV_ASSIGN_OR_RETURN(std::string key, ParseName("a key column name or _ after FOR"));
    if (!c_.ConsumeWord("in") || !c_.ConsumeSymbol("(")) return c_.Expected("IN (column)");
    Unpivot u;
    item_tokens_["unpivot"].push_back(at);
    TV_ASSIGN_OR_RETURN(u.expr, ParseExpr(c_, Dialect::kSql));
    if (!c_.ConsumeSymbol(")") || !c_.ConsumeSymbol(")")) return c_.Expected("'))' closing UNPIVOT");
    u.aliases = key == "_" ? std::vector<std::string>{value} : std::vector<std::string>{key, value};
    query_.unpivot.push_back(std::move(u));
    return Status::Ok();
  }

  Status ParseWhere() {
    item_tokens_["filter"].push_back(c_.Next());
    TV_ASSIGN_OR_RETURN(Expr filter, ParseExpr(c_, Dialect::kSql));
    query_.filter = std::move(filter);
    return Status::Ok();
  }

  Status ParseGroupBy() {
    c_.Next();
    if (!c_.ConsumeWord("by")) return c_.Expected("BY after GROUP");
    do {
      group_tokens_.push_back(c_.Peek());
      TV_ASSIGN_OR_RETURN(Expr key, ParseExpr(c_, Dialect::kSql));
      group_by_.push_back(std::move(key));
    } while (c_.ConsumeSymbol(","));
    return Status::Ok();
  }

  Status ParseOrderBy() {
    c_.Next();
    if (!c_.ConsumeWord("by")) return c_.Expected("BY after ORDER");
    do {
      order_tokens_.push_back(c_.Peek());
      SortItem s;
      TV_ASSIGN_OR_RETURN(s.expr, ParseExpr(c_, Dialect::kSql));
      if (c_.ConsumeWord("desc")) {
        s.descending = true;
      } else {
        c_.ConsumeWord("asc");
      }
      if (c_.IsWord("nulls")) return ParseErrorAt(c_.Peek(), "NULLS FIRST / LAST is not supported");
      query_.sort.push_back(std::move(s));
    } while (c_.ConsumeSymbol(","));
    return Status::Ok();
  }

  Status ParseLimit() {
    const Token& t = c_.Peek();
    int64_t n = -1;
    if (t.kind == TokenKind::kNumber) {
      auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
      if (ec != std::errc() || end != t.text.data() + t.text.size()) n = -1;
    }
    if (n < 0) return c_.Expected("a non-negative integer after LIMIT");
    c_.Next();
    query_.limit = n;
    return Status::Ok();
  }

  // --- mapping SELECT / GROUP BY onto select, dimensions and measures ---

  std::string AliasOf(size_t i) const {
    const AliasExpr& a = items_[i].item;
    return a.alias.empty() ? DefaultAlias(a.expr, i) : a.alias;
  }

  // The 1-based select item an integer literal names, or nullopt for any
  // other expression.
  Result<std::optional<size_t>> Ordinal(const Expr& e, const Token& at) const {
    if (e.op != Expr::Op::kLiteral || !e.value.is_int64()) return std::optional<size_t>();
    int64_t n = e.value.get_int64();
    if (n < 1 || static_cast<size_t>(n) > items_.size()) {
      return ParseErrorAt(at, fmt::format("{} is not the position of a select item (1 to {})", n, items_.size()));
    }
    return std::optional<size_t>(static_cast<size_t>(n - 1));
  }

  // The select item a GROUP BY key names: by ordinal, by expression, or by
  // alias; nullopt for a key that is not selected.
  Result<std::optional<size_t>> GroupTarget(size_t g) const {
    const Expr& key = group_by_[g];
    TV_ASSIGN_OR_RETURN(std::optional<size_t> ordinal, Ordinal(key, group_tokens_[g]));
    if (ordinal) return ordinal;
    for (size_t i = 0; i < items_.size(); ++i) {
      if (SameExpr(items_[i].item.expr, key)) return std::optional<size_t>(i);
    }
    if (key.op == Expr::Op::kIdent && key.path.size() == 1) {
      const auto* name = std::get_if<std::string>(&key.path[0]);
      for (size_t i = 0; name && i < items_.size(); ++i) {
        if (AliasOf(i) == *name) return std::optional<size_t>(i);
      }
    }
    return std::optional<size_t>();
  }

  void AddItem(std::string_view clause, std::vector<AliasExpr>& out, const SelectItem& s) {
    out.push_back(s.item);
    item_tokens_[std::string(clause)].push_back(s.at);
  }

  Status MapSelect() {
    if (star_) {
      if (!group_by_.empty()) return ParseErrorAt(group_tokens_[0], "GROUP BY needs a select list, not *");
      return MapOrderOrdinals(false);
    }
    if (group_by_.empty()) return MapUngrouped();
    std::vector<bool> grouped(items_.size(), false);
    std::vector<size_t> extra_keys;
    for (size_t g = 0; g < group_by_.size(); ++g) {
      TV_ASSIGN_OR_RETURN(std::optional<size_t> target, GroupTarget(g));
      if (target && items_[*target].aggregate) {
        return ParseErrorAt(group_tokens_[g], fmt::format("GROUP BY cannot name the aggregate '{}'",
                                                          ExprText(items_[*target].item.expr)));
      }
      if (target) {
        grouped[*target] = true;
      } else {
        extra_keys.push_back(g);
      }
    }
    for (size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].aggregate) {
        AddItem("measures", query_.measures, items_[i]);
      } else if (grouped[i]) {
        AddItem("dimensions", query_.dimensions, items_[i]);
      } else {
        return ParseErrorAt(items_[i].at,
                            fmt::format("'{}' is neither an aggregate nor in GROUP BY", ExprText(items_[i].item.expr)));
      }
    }
    for (size_t g : extra_keys) {
      AddItem("dimensions", query_.dimensions, SelectItem{AliasExpr{group_by_[g], ""}, group_tokens_[g], false});
    }
    return MapOrderOrdinals(true);
  }

  Status MapUngrouped() {
    size_t aggregates = 0;
    for (const SelectItem& s : items_) aggregates += s.aggregate ? 1 : 0;
    bool all = aggregates == items_.size();
    for (const SelectItem& s : items_) {
      if (aggregates > 0 && !s.aggregate) {
        return ParseErrorAt(
            s.at, fmt::format("'{}' is not an aggregate; add GROUP BY to group by it", ExprText(s.item.expr)));
      }
      AddItem(all ? "measures" : "select", all ? query_.measures : query_.select, s);
    }
    return MapOrderOrdinals(all);
  }

  // ORDER BY 2 sorts by the second select item: by its alias in an aggregate
  // query (the output column), by its expression otherwise.
  Status MapOrderOrdinals(bool aggregate) {
    for (size_t k = 0; k < query_.sort.size(); ++k) {
      TV_ASSIGN_OR_RETURN(std::optional<size_t> ordinal, Ordinal(query_.sort[k].expr, order_tokens_[k]));
      if (!ordinal) continue;
      query_.sort[k].expr = aggregate ? MakeIdent({AliasOf(*ordinal)}) : items_[*ordinal].item.expr;
    }
    item_tokens_["sort"] = order_tokens_;
    return Status::Ok();
  }

  TokenCursor& c_;
  Query query_;
  bool star_ = false;
  std::vector<SelectItem> items_;
  std::vector<Expr> group_by_;
  std::vector<Token> group_tokens_;
  std::vector<Token> order_tokens_;
  std::map<std::string, std::vector<Token>> item_tokens_;  // per Query clause, for FindQueryProblem
};

}  // namespace

Result<Query> ParseSqlQuery(std::string_view text) {
  TV_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  TokenCursor cursor(std::move(tokens));
  if (!cursor.IsWord("select") && !cursor.IsWord("with")) return cursor.Expected("SELECT");
  return SqlParser(cursor).Parse();
}

}  // namespace tv::btql
