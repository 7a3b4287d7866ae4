#include "btql/ast_text.h"

#include <array>
#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "btql/clause_rules.h"
#include "common/strings.h"

namespace tv::btql {

namespace {

using Op = Expr::Op;

// Binding strength, loosest first; mirrors the grammar in text_expr.h.
enum Prec { kTernary, kOrPrec, kAndPrec, kNotPrec, kCompare, kAdditive, kMultiplicative, kUnary, kPrimary };

Prec PrecOf(const Expr& e) {
  switch (e.op) {
    case Op::kIf:
      return kTernary;
    case Op::kOr:
      return kOrPrec;
    case Op::kAnd:
      return kAndPrec;
    case Op::kNot:
      return kNotPrec;
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kIn:
    case Op::kLike:
    case Op::kILike:
    case Op::kMatch:
    case Op::kIncludes:
    case Op::kIsNull:
    case Op::kIsNotNull:
      return kCompare;
    case Op::kAdd:
    case Op::kSub:
      return kAdditive;
    case Op::kMul:
    case Op::kDiv:
    case Op::kMod:
      return kMultiplicative;
    case Op::kNeg:
      return kUnary;
    case Op::kLiteral:
      // "-1" reads as unary minus applied to 1.
      if ((e.value.is_int64() && e.value.get_int64() < 0) ||
          (e.value.is_double() && std::signbit(e.value.get_double()))) {
        return kUnary;
      }
      return kPrimary;
    default:
      return kPrimary;
  }
}

std::string_view InfixText(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kIn:
      return "in";
    case Op::kLike:
      return "like";
    case Op::kILike:
      return "ilike";
    case Op::kMatch:
      return "match";
    case Op::kIncludes:
      return "includes";
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kMod:
      return "%";
    case Op::kAnd:
      return "and";
    case Op::kOr:
      return "or";
    default:
      return "?";
  }
}

std::string QuoteString(std::string_view s, char quote) {
  std::string out(1, quote);
  for (char c : s) {
    if (c == quote) {
      out += quote;
      out += quote;
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out + quote;
}

bool IsPlainWord(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Words the text grammar reads as keywords where a path could start.
bool IsKeyword(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kKeywords = {"and",  "or",    "not",      "is",  "null",
                                                                "true", "false", "interval", "case"};
  std::string lower = AsciiLower(name);
  for (auto k : kKeywords) {
    if (k == lower) return true;
  }
  return false;
}

std::string LiteralText(const json::value& v) {
  if (v.is_string()) return QuoteString(v.get_string(), '\'');
  if (v.is_double()) {
    std::string s = fmt::format("{}", v.get_double());
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // stays a double when parsed back
    return s;
  }
  if (v.is_array()) {
    std::string out = "[";
    for (const json::value& item : v.get_array()) {
      if (out.size() > 1) out += ", ";
      out += LiteralText(item);
    }
    return out + "]";
  }
  return ToJson(v);  // integers, booleans, null; objects as JSON
}

std::string PathText(const std::vector<PathPart>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (const auto* index = std::get_if<int64_t>(&path[i])) {
      out += fmt::format("[{}]", *index);
      continue;
    }
    const auto& key = std::get<std::string>(path[i]);
    if (i > 0) out += '.';
    bool bare = IsPlainWord(key) && (i > 0 || !IsKeyword(key));
    out += bare ? key : QuoteString(key, '"');
  }
  return out;
}

std::string Text(const Expr& e, Prec min);

std::string ListText(const std::vector<Expr>& items, size_t begin = 0) {
  std::string out;
  for (size_t i = begin; i < items.size(); ++i) {
    if (i > begin) out += ", ";
    out += Text(items[i], kTernary);
  }
  return out;
}

std::string IfText(const Expr& e) {
  std::string out;
  size_t i = 0;
  for (; i + 1 < e.children.size(); i += 2) {
    out += Text(e.children[i], kOrPrec) + " ? " + Text(e.children[i + 1], kTernary) + " : ";
  }
  // A nested if in the else position would parse back flattened into this one.
  const Expr& otherwise = e.children.back();
  return out + (otherwise.op == Op::kIf ? "(" + ExprText(otherwise) + ")" : Text(otherwise, kTernary));
}

std::string JunctionText(const Expr& e, Prec child_min) {
  std::string out;
  for (const Expr& child : e.children) {
    if (!out.empty()) out += fmt::format(" {} ", InfixText(e.op));
    out += Text(child, child_min);
  }
  return out;
}

std::string Unparenthesized(const Expr& e) {
  switch (e.op) {
    case Op::kLiteral:
      return LiteralText(e.value);
    case Op::kIdent:
      return PathText(e.path);
    case Op::kCall:
      return e.name + "(" + ListText(e.children) + ")";
    case Op::kAnySpan:
      return "any_span(" + ListText(e.children) + ")";
    case Op::kArray:
      return "[" + ListText(e.children) + "]";
    case Op::kInterval:
      return fmt::format("interval {} {}", LiteralText(e.value), e.name);
    case Op::kIf:
      return IfText(e);
    case Op::kOr:
      return JunctionText(e, kAndPrec);
    case Op::kAnd:
      return JunctionText(e, kNotPrec);
    case Op::kNot:
      return "not " + Text(e.children[0], kNotPrec);
    case Op::kNeg:
      return "-" + Text(e.children[0], kPrimary);
    case Op::kIsNull:
      return Text(e.children[0], kAdditive) + " is null";
    case Op::kIsNotNull:
      return Text(e.children[0], kAdditive) + " is not null";
    default:
      break;
  }
  Prec p = PrecOf(e);
  Prec left_min = p == kCompare ? kAdditive : p;
  Prec right_min = static_cast<Prec>(p == kCompare ? kAdditive : p + 1);
  return fmt::format("{} {} {}", Text(e.children[0], left_min), InfixText(e.op), Text(e.children[1], right_min));
}

std::string Text(const Expr& e, Prec min) {
  std::string inner = Unparenthesized(e);
  return PrecOf(e) < min ? "(" + inner + ")" : inner;
}

std::string AliasListText(const std::vector<AliasExpr>& items) {
  std::string out;
  for (const AliasExpr& item : items) {
    if (!out.empty()) out += ", ";
    out += ExprText(item.expr) + " as " + PathText({item.alias});
  }
  return out;
}

std::string_view ShapeText(Shape s) {
  switch (s) {
    case Shape::kSpans:
      return "spans";
    case Shape::kTraces:
      return "traces";
    case Shape::kSummary:
      return "summary";
  }
  return "spans";
}

std::string SourceText(const Source& from) {
  std::string ids;
  for (const std::string& id : from.ids) {
    if (!ids.empty()) ids += ", ";
    ids += QuoteString(id, '\'');
  }
  return fmt::format("{}({}) {}", from.function, ids, ShapeText(from.shape));
}

std::string UnpivotText(const std::vector<Unpivot>& items) {
  std::string out;
  for (const Unpivot& u : items) {
    if (!out.empty()) out += ", ";
    out += ExprText(u.expr) + " as ";
    if (u.aliases.size() == 1) {
      out += PathText({u.aliases[0]});
    } else {
      std::vector<std::string> names;
      for (const auto& a : u.aliases) names.push_back(PathText({a}));
      out += "(" + fmt::format("{}", fmt::join(names, ", ")) + ")";
    }
  }
  return out;
}

std::string SortText(const std::vector<SortItem>& items) {
  std::string out;
  for (const SortItem& s : items) {
    if (!out.empty()) out += ", ";
    out += ExprText(s.expr) + (s.descending ? " desc" : " asc");
  }
  return out;
}

std::string SampleText(const Sample& s) {
  std::string out = s.is_rate ? fmt::format("{}%", s.value * 100) : fmt::format("{}", s.value);
  if (s.seed) out += fmt::format(" seed {}", *s.seed);
  return out;
}

}  // namespace

std::string ExprText(const Expr& e) { return Text(e, kTernary); }

std::string QueryText(const Query& q) {
  std::vector<std::string> clauses;
  auto add = [&](std::string_view name, const std::string& value) {
    clauses.push_back(fmt::format("{}: {}", name, value));
  };
  if (q.select_star) add("select", "*");
  if (!q.select.empty()) add("select", AliasListText(q.select));
  if (!q.dimensions.empty()) add("dimensions", AliasListText(q.dimensions));
  if (!q.measures.empty()) add("measures", AliasListText(q.measures));
  if (!q.pivot.empty()) add("pivot", AliasListText(q.pivot));
  if (!q.unpivot.empty()) add("unpivot", UnpivotText(q.unpivot));
  add("from", SourceText(q.from));
  if (q.filter) add("filter", ExprText(*q.filter));
  if (!q.sort.empty()) add("sort", SortText(q.sort));
  if (q.limit) add("limit", std::to_string(*q.limit));
  if (q.cursor) add("cursor", QuoteString(*q.cursor, '\''));
  if (q.sample) add("sample", SampleText(*q.sample));
  if (q.preview_length) add("preview_length", std::to_string(*q.preview_length));
  return fmt::format("{}", fmt::join(clauses, " | "));
}

bool SameExpr(const Expr& a, const Expr& b) {
  if (a.op != b.op || a.value != b.value || a.path != b.path || a.name != b.name ||
      a.children.size() != b.children.size()) {
    return false;
  }
  for (size_t i = 0; i < a.children.size(); ++i) {
    if (!SameExpr(a.children[i], b.children[i])) return false;
  }
  return true;
}

}  // namespace tv::btql
