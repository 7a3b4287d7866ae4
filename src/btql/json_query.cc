#include "btql/json_query.h"

#include <algorithm>
#include <string>

#include "btql/clause_rules.h"
#include "btql/expr_builders.h"
#include "btql/functions.h"
#include "btql/text_expr.h"
#include "btql/text_query.h"
#include "common/strings.h"

namespace tv::btql {

namespace {

using Op = Expr::Op;

// Clause values that say "nothing here", which JSON encoders often emit.
bool IsEmptyClause(const json::value& v) { return v.is_null() || (v.is_array() && v.get_array().empty()); }

const json::value* Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

std::string_view OpName(const json::object& node) {
  const json::value* op = node.if_contains("op");
  return op && op->is_string() ? std::string_view(op->get_string()) : std::string_view();
}

bool IsNullLiteral(const Expr& e) { return e.op == Op::kLiteral && e.value.is_null(); }

// Appends " (in <where>)" to an error so a client can find the node.
Status InNode(Status s, std::string_view where) {
  if (s.ok()) return s;
  return Status(s.code(), fmt::format("{} (in {})", s.message(), where));
}

struct BinaryOp {
  std::string_view name;
  Op op;
};
constexpr BinaryOp kBinaryOps[] = {
    {"eq", Op::kEq},   {"ne", Op::kNe},       {"lt", Op::kLt},     {"le", Op::kLe},       {"gt", Op::kGt},
    {"ge", Op::kGe},   {"match", Op::kMatch}, {"like", Op::kLike}, {"ilike", Op::kILike}, {"in", Op::kIn},
    {"add", Op::kAdd}, {"sub", Op::kSub},     {"mul", Op::kMul},   {"div", Op::kDiv},     {"mod", Op::kMod},
};
constexpr BinaryOp kUnaryOps[] = {
    {"not", Op::kNot},
    {"neg", Op::kNeg},
    {"isnull", Op::kIsNull},
    {"isnotnull", Op::kIsNotNull},
    {"singlespanfilter", Op::kAnySpan},
};

// Reads expression nodes, counting nesting so hostile input cannot exhaust
// the stack (the same limit as the text grammar).
class JsonExprParser {
 public:
  Result<Expr> Parse(const json::value& value) {
    if (++depth_ > kMaxExprDepth) {
      return InvalidArgument("BTQL: expressions nest deeper than {} levels", kMaxExprDepth);
    }
    Result<Expr> e = ParseNode(value);
    --depth_;
    return e;
  }

 private:
  Result<Expr> ParseNode(const json::value& value) {
    const json::object* node = value.if_object();
    if (!node) return InvalidArgument("BTQL: an expression must be an object, got {}", ToJson(value));
    if (const json::value* text = node->if_contains("btql")) return ParseEmbeddedText(*text);
    std::string_view op = OpName(*node);
    if (op.empty()) return InvalidArgument("BTQL: an expression node needs an 'op' string");
    for (const BinaryOp& b : kBinaryOps) {
      if (b.name == op) return ParseBinary(*node, op, b.op);
    }
    for (const BinaryOp& u : kUnaryOps) {
      if (u.name == op) return ParseUnary(*node, op, u.op);
    }
    if (op == "literal") {
      const json::value* v = node->if_contains("value");
      return MakeLiteral(v ? *v : json::value(nullptr));
    }
    if (op == "ident") return ParseIdent(*node);
    if (op == "is") return ParseIs(*node);
    if (op == "and") return ParseJunction(*node, op, Op::kAnd);
    if (op == "or") return ParseJunction(*node, op, Op::kOr);
    if (op == "includes") return ParseIncludes(*node);
    if (op == "if") return ParseIf(*node);
    if (op == "function") return ParseFunction(*node);
    if (op == "interval") return ParseInterval(*node);
    // Keeps the spans that match; in the rows of a trace that is the filter itself.
    if (op == "matchingspansfilter") return ParseRequired(*node, "expr", op);
    if (op == "star") return InvalidArgument("BTQL: 'star' is allowed only as a select item");
    return InvalidArgument("BTQL: unknown expression op '{}'", op);
  }

  static Result<Expr> ParseIdent(const json::object& node) {
    const json::value* name = Field(node, "name");
    if (!name || !name->is_array() || name->get_array().empty()) {
      return InvalidArgument("BTQL: 'ident' needs a non-empty 'name' array");
    }
    Expr ident = MakeIdent({});
    for (const json::value& part : name->get_array()) {
      if (part.is_string()) {
        ident.path.emplace_back(std::string(part.get_string()));
      } else if (part.is_int64()) {
        ident.path.emplace_back(part.get_int64());
      } else {
        return InvalidArgument("BTQL: 'ident' name parts must be strings or integers, got {}", ToJson(part));
      }
    }
    return ident;
  }

  Result<Expr> ParseRequired(const json::object& node, std::string_view key, std::string_view op) {
    const json::value* child = Field(node, key);
    if (!child) return InvalidArgument("BTQL: '{}' needs '{}'", op, key);
    return Parse(*child);
  }

  Result<Expr> ParseBinary(const json::object& node, std::string_view op, Op kind) {
    TV_ASSIGN_OR_RETURN(Expr left, ParseRequired(node, "left", op));
    TV_ASSIGN_OR_RETURN(Expr right, ParseRequired(node, "right", op));
    return MakeNode(kind, {std::move(left), std::move(right)});
  }

  Result<Expr> ParseUnary(const json::object& node, std::string_view op, Op kind) {
    TV_ASSIGN_OR_RETURN(Expr operand, ParseRequired(node, "expr", op));
    return MakeNode(kind, {std::move(operand)});
  }

  // `x IS NULL`. IS against anything else compares like eq (so a null side
  // is unknown, where SQL's IS would be false).
  Result<Expr> ParseIs(const json::object& node) {
    TV_ASSIGN_OR_RETURN(Expr is, ParseBinary(node, "is", Op::kIsNull));
    if (IsNullLiteral(is.children[1])) {
      is.children.pop_back();
    } else if (IsNullLiteral(is.children[0])) {
      is.children.erase(is.children.begin());
    } else {
      is.op = Op::kEq;
    }
    return is;
  }

  // Clients send and/or either as {left, right} or as {children: [...]}.
  Result<Expr> ParseJunction(const json::object& node, std::string_view op, Op kind) {
    Expr out = MakeNode(kind, {});
    for (std::string_view key : {"left", "right"}) {
      if (const json::value* side = Field(node, key)) {
        TV_ASSIGN_OR_RETURN(Expr child, Parse(*side));
        out.children.push_back(std::move(child));
      }
    }
    if (const json::value* children = Field(node, "children")) {
      if (!children->is_array()) return InvalidArgument("BTQL: '{}' children must be an array", op);
      for (const json::value& c : children->get_array()) {
        TV_ASSIGN_OR_RETURN(Expr child, Parse(c));
        out.children.push_back(std::move(child));
      }
    }
    // An empty AND is true and an empty OR is false, as in logic.
    if (out.children.empty()) return MakeLiteral(json::value(kind == Op::kAnd));
    if (out.children.size() == 1) return std::move(out.children[0]);
    return out;
  }

  Result<Expr> ParseIncludes(const json::object& node) {
    TV_ASSIGN_OR_RETURN(Expr haystack, ParseRequired(node, "haystack", "includes"));
    TV_ASSIGN_OR_RETURN(Expr needle, ParseRequired(node, "needle", "includes"));
    return MakeNode(Op::kIncludes, {std::move(haystack), std::move(needle)});
  }

  // {conds: [{cond, then}, ...], else}; a missing else is null. An if in the
  // else position joins this one, as the text grammar's else-chains do.
  Result<Expr> ParseIf(const json::object& node) {
    const json::value* conds = Field(node, "conds");
    if (!conds || !conds->is_array() || conds->get_array().empty()) {
      return InvalidArgument("BTQL: 'if' needs a non-empty 'conds' array of {{cond, then}}");
    }
    Expr out = MakeNode(Op::kIf, {});
    for (const json::value& c : conds->get_array()) {
      const json::object* branch = c.if_object();
      if (!branch) return InvalidArgument("BTQL: 'if' conds must be objects {{cond, then}}");
      TV_ASSIGN_OR_RETURN(Expr cond, ParseRequired(*branch, "cond", "if"));
      TV_ASSIGN_OR_RETURN(Expr then, ParseRequired(*branch, "then", "if"));
      out.children.push_back(std::move(cond));
      out.children.push_back(std::move(then));
    }
    Expr otherwise = MakeLiteral(json::value(nullptr));
    if (const json::value* e = Field(node, "else")) {
      TV_ASSIGN_OR_RETURN(otherwise, Parse(*e));
    }
    if (otherwise.op == Op::kIf) {
      for (Expr& child : otherwise.children) out.children.push_back(std::move(child));
    } else {
      out.children.push_back(std::move(otherwise));
    }
    return out;
  }

  static Result<std::string> FunctionName(const json::object& node) {
    const json::value* name = Field(node, "name");
    if (name && name->is_string()) return AsciiLower(name->get_string());
    const json::object* ident = name ? name->if_object() : nullptr;
    const json::value* parts = ident ? Field(*ident, "name") : nullptr;
    if (!ident || OpName(*ident) != "ident" || !parts || !parts->is_array() || parts->get_array().size() != 1 ||
        !parts->get_array()[0].is_string()) {
      return InvalidArgument("BTQL: 'function' needs a name like {{\"op\":\"ident\",\"name\":[\"lower\"]}}");
    }
    return AsciiLower(parts->get_array()[0].get_string());
  }

  Result<Expr> ParseFunction(const json::object& node) {
    TV_ASSIGN_OR_RETURN(std::string name, FunctionName(node));
    const json::value* args = node.if_contains("args");
    if (args && !args->is_array() && !args->is_null()) {
      return InvalidArgument("BTQL: '{}()' args must be an array", name);
    }
    std::vector<Expr> children;
    for (const json::value& a : args && args->is_array() ? args->get_array() : json::array()) {
      const json::object* arg = a.if_object();
      if (name == "count" && arg && OpName(*arg) == "star") {  // count(*)
        children.push_back(MakeLiteral(json::value(1)));
        continue;
      }
      TV_ASSIGN_OR_RETURN(Expr child, Parse(a));
      children.push_back(std::move(child));
    }
    if (name == "any_span") {
      if (children.size() != 1) return InvalidArgument("BTQL: any_span() takes 1 argument, got {}", children.size());
      return MakeNode(Op::kAnySpan, std::move(children));
    }
    TV_RETURN_IF_ERROR(CheckCall(name, children.size()));
    Expr call = MakeNode(Op::kCall, std::move(children));
    call.name = std::move(name);
    return call;
  }

  static Result<Expr> ParseInterval(const json::object& node) {
    const json::value* value = Field(node, "value");
    const json::value* unit = Field(node, "unit");
    if (!value || !value->is_number()) return InvalidArgument("BTQL: 'interval' needs a numeric 'value'");
    std::string name = unit && unit->is_string() ? IntervalUnit(unit->get_string()) : "";
    if (name.empty()) {
      return InvalidArgument(
          "BTQL: 'interval' needs a 'unit' (year, month, week, day, hour, "
          "minute, second, millisecond, microsecond)");
    }
    Expr e = MakeLiteral(*value);
    e.op = Op::kInterval;
    e.name = std::move(name);
    return e;
  }

  static Result<Expr> ParseEmbeddedText(const json::value& text) {
    if (!text.is_string()) return InvalidArgument("BTQL: 'btql' must be a string of BTQL text");
    return ParseTextExpr(text.get_string());
  }

  int depth_ = 0;
};

Result<Expr> ParseItemExpr(const json::value& v, std::string_view where) {
  Result<Expr> e = ParseJsonExpr(v);
  if (!e.ok()) return InNode(e.status(), where);
  return e;
}

// --- clauses ---

Result<const json::array*> ClauseArray(const json::value& v, std::string_view clause) {
  if (!v.is_array()) return InvalidArgument("BTQL: '{}' must be an array", clause);
  return &v.get_array();
}

Result<const json::object*> ItemObject(const json::value& v, std::string_view where) {
  const json::object* o = v.if_object();
  if (!o) return InvalidArgument("BTQL: {} must be an object, got {}", where, ToJson(v));
  return o;
}

Result<std::vector<AliasExpr>> ParseAliasList(const json::value& v, std::string_view clause) {
  TV_ASSIGN_OR_RETURN(const json::array* items, ClauseArray(v, clause));
  std::vector<AliasExpr> out;
  for (size_t i = 0; i < items->size(); ++i) {
    std::string where = fmt::format("{}[{}]", clause, i);
    TV_ASSIGN_OR_RETURN(const json::object* item, ItemObject((*items)[i], where));
    if (OpName(*item) == "star") {
      return InvalidArgument("BTQL: {}: '*' must be the only select item", where);
    }
    const json::value* expr = Field(*item, "expr");
    if (!expr) return InvalidArgument("BTQL: {} needs 'expr' ({{expr, alias}})", where);
    AliasExpr a;
    TV_ASSIGN_OR_RETURN(a.expr, ParseItemExpr(*expr, where));
    if (const json::value* alias = Field(*item, "alias")) {
      if (!alias->is_string()) return InvalidArgument("BTQL: {} 'alias' must be a string", where);
      a.alias = std::string(alias->get_string());
    }
    out.push_back(std::move(a));
  }
  return out;
}

Status ParseSelect(const json::value& select, Query& q) {
  TV_ASSIGN_OR_RETURN(const json::array* items, ClauseArray(select, "select"));
  const json::object* first = items->size() == 1 ? (*items)[0].if_object() : nullptr;
  if (first && OpName(*first) == "star") {
    if (Field(*first, "replace")) return NotSupportedYet("star", " with 'replace'");
    q.select_star = true;
    return Status::Ok();
  }
  TV_ASSIGN_OR_RETURN(q.select, ParseAliasList(select, "select"));
  return Status::Ok();
}

Result<std::vector<Unpivot>> ParseUnpivot(const json::value& v) {
  TV_ASSIGN_OR_RETURN(const json::array* items, ClauseArray(v, "unpivot"));
  std::vector<Unpivot> out;
  for (size_t i = 0; i < items->size(); ++i) {
    std::string where = fmt::format("unpivot[{}]", i);
    TV_ASSIGN_OR_RETURN(const json::object* item, ItemObject((*items)[i], where));
    const json::value* expr = Field(*item, "expr");
    if (!expr) return InvalidArgument("BTQL: {} needs 'expr'", where);
    Unpivot u;
    TV_ASSIGN_OR_RETURN(u.expr, ParseItemExpr(*expr, where));
    const json::value* alias = Field(*item, "alias");
    if (alias && alias->is_string()) {
      u.aliases.emplace_back(alias->get_string());
    } else if (alias && alias->is_array() && alias->get_array().size() == 2 && alias->get_array()[0].is_string() &&
               alias->get_array()[1].is_string()) {
      u.aliases.emplace_back(alias->get_array()[0].get_string());
      u.aliases.emplace_back(alias->get_array()[1].get_string());
    }
    if (u.aliases.empty() ||
        std::any_of(u.aliases.begin(), u.aliases.end(), [](const std::string& a) { return a.empty(); })) {
      return InvalidArgument("BTQL: {} 'alias' must be a name or [key, value] names", where);
    }
    out.push_back(std::move(u));
  }
  return out;
}

Result<std::vector<SortItem>> ParseSort(const json::value& v) {
  TV_ASSIGN_OR_RETURN(const json::array* items, ClauseArray(v, "sort"));
  std::vector<SortItem> out;
  for (size_t i = 0; i < items->size(); ++i) {
    std::string where = fmt::format("sort[{}]", i);
    TV_ASSIGN_OR_RETURN(const json::object* item, ItemObject((*items)[i], where));
    const json::value* expr = Field(*item, "expr");
    if (!expr) return InvalidArgument("BTQL: {} needs 'expr' ({{expr, dir}})", where);
    SortItem s;
    TV_ASSIGN_OR_RETURN(s.expr, ParseItemExpr(*expr, where));
    if (const json::value* dir = Field(*item, "dir")) {
      std::string d = dir->is_string() ? AsciiLower(dir->get_string()) : "";
      if (d != "asc" && d != "desc") return InvalidArgument("BTQL: {} 'dir' must be \"asc\" or \"desc\"", where);
      s.descending = d == "desc";
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::string> SourceName(const json::object& from) {
  const json::value* name = Field(from, "name");
  const json::object* ident = name ? name->if_object() : nullptr;
  const json::value* parts = ident ? Field(*ident, "name") : nullptr;
  if (!ident || OpName(*ident) != "ident" || !parts || !parts->is_array() || parts->get_array().size() != 1 ||
      !parts->get_array()[0].is_string()) {
    return InvalidArgument(
        "BTQL: 'from' function needs a name like "
        "{{\"op\":\"ident\",\"name\":[\"experiment\"]}}");
  }
  return AsciiLower(parts->get_array()[0].get_string());
}

Result<std::vector<std::string>> SourceIds(const json::object& from, std::string_view fn) {
  const json::value* args = Field(from, "args");
  if (!args || !args->is_array() || args->get_array().empty()) {
    return InvalidArgument("BTQL: '{}' in 'from' needs at least one id argument", fn);
  }
  std::vector<std::string> ids;
  for (const json::value& arg : args->get_array()) {
    const json::object* lit = arg.if_object();
    const json::value* value = lit && OpName(*lit) == "literal" ? Field(*lit, "value") : nullptr;
    if (!value || !value->is_string()) {
      return InvalidArgument(
          "BTQL: '{}' arguments must be string literals "
          "{{\"op\":\"literal\",\"value\":\"<id>\"}}",
          fn);
    }
    ids.emplace_back(value->get_string());
  }
  return ids;
}

Result<Shape> SourceShape(const json::object& from) {
  const json::value* shape = Field(from, "shape");
  if (!shape) return Shape::kSpans;
  if (!shape->is_string() || !IsShapeName(shape->get_string())) {
    return InvalidArgument("BTQL: 'shape' must be \"spans\", \"traces\" or \"summary\"");
  }
  return ShapeFromName(shape->get_string());
}

Result<Source> ParseFrom(const json::value& value) {
  const json::object* from = value.if_object();
  if (!from) return InvalidArgument("BTQL: 'from' must be an object");
  std::string_view op = OpName(*from);
  if (op == "ident") return NotSupportedYet("from", " as an identifier; use a function node");
  if (op != "function") return InvalidArgument("BTQL: 'from' must be a function node");
  Source source;
  TV_ASSIGN_OR_RETURN(source.function, SourceName(*from));
  TV_RETURN_IF_ERROR(CheckSourceFunction(source.function));
  TV_ASSIGN_OR_RETURN(source.ids, SourceIds(*from, source.function));
  TV_ASSIGN_OR_RETURN(source.shape, SourceShape(*from));
  return source;
}

Result<int64_t> ParseNonNegative(const json::value& v, std::string_view clause) {
  if (v.is_int64() && v.get_int64() >= 0) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double() && v.get_double() >= 0 && v.get_double() < 9.2e18 &&
      static_cast<double>(static_cast<int64_t>(v.get_double())) == v.get_double()) {
    return static_cast<int64_t>(v.get_double());
  }
  return InvalidArgument("BTQL: '{}' must be a non-negative integer, got {}", clause, ToJson(v));
}

// {method: {type: "rate", value: 0..1} | {type: "count", value: n}, seed?}
Result<Sample> ParseSample(const json::value& v) {
  const json::object* o = v.if_object();
  const json::value* method = o ? Field(*o, "method") : nullptr;
  const json::object* m = method ? method->if_object() : nullptr;
  const json::value* type = m ? Field(*m, "type") : nullptr;
  const json::value* value = m ? Field(*m, "value") : nullptr;
  if (!type || !type->is_string() || !value || !value->is_number()) {
    return InvalidArgument("BTQL: 'sample' must be {{\"method\":{{\"type\":\"rate\"|\"count\",\"value\":n}}}}");
  }
  Sample s;
  s.is_rate = type->get_string() == "rate";
  if (s.is_rate) {
    s.value = value->to_number<double>();
    if (!(s.value >= 0 && s.value <= 1)) return InvalidArgument("BTQL: 'sample' rate must be between 0 and 1");
  } else if (type->get_string() == "count") {
    TV_ASSIGN_OR_RETURN(int64_t n, ParseNonNegative(*value, "sample count"));
    s.value = static_cast<double>(n);
  } else {
    return InvalidArgument("BTQL: 'sample' method type must be \"rate\" or \"count\"");
  }
  if (const json::value* seed = Field(*o, "seed")) {
    TV_ASSIGN_OR_RETURN(int64_t n, ParseNonNegative(*seed, "sample seed"));
    s.seed = static_cast<uint64_t>(n);
  }
  return s;
}

Status ParseClause(std::string_view key, const json::value& v, Query& q) {
  if (key == "select") return ParseSelect(v, q);
  if (key == "from") {
    TV_ASSIGN_OR_RETURN(q.from, ParseFrom(v));
    return Status::Ok();
  }
  if (key == "filter") {
    TV_ASSIGN_OR_RETURN(q.filter, ParseItemExpr(v, "filter"));
    return Status::Ok();
  }
  if (key == "dimensions" || key == "measures" || key == "pivot") {
    auto& target = key == "dimensions" ? q.dimensions : key == "measures" ? q.measures : q.pivot;
    TV_ASSIGN_OR_RETURN(target, ParseAliasList(v, key));
    return Status::Ok();
  }
  if (key == "unpivot") {
    TV_ASSIGN_OR_RETURN(q.unpivot, ParseUnpivot(v));
    return Status::Ok();
  }
  if (key == "sort") {
    TV_ASSIGN_OR_RETURN(q.sort, ParseSort(v));
    return Status::Ok();
  }
  if (key == "limit" || key == "preview_length") {
    TV_ASSIGN_OR_RETURN(int64_t n, ParseNonNegative(v, key));
    (key == "limit" ? q.limit : q.preview_length) = n;
    return Status::Ok();
  }
  if (key == "sample") {
    TV_ASSIGN_OR_RETURN(q.sample, ParseSample(v));
    return Status::Ok();
  }
  if (key == "cursor") {
    if (!v.is_string()) return InvalidArgument("BTQL: 'cursor' must be a string");
    q.cursor = std::string(v.get_string());
    return Status::Ok();
  }
  if (ClassifyClause(key) == ClauseKind::kLater) return NotSupportedYet(key);
  return InvalidArgument("BTQL: unknown query clause '{}'; expected one of {}", key, SupportedClauseList());
}

}  // namespace

Result<Expr> ParseJsonExpr(const json::value& value) { return JsonExprParser().Parse(value); }

Result<Query> ParseJsonQuery(const json::object& query) {
  Query q;
  bool has_from = false;
  for (const auto& kv : query) {
    if (IsEmptyClause(kv.value())) continue;
    TV_RETURN_IF_ERROR(ParseClause(kv.key(), kv.value(), q));
    has_from = has_from || kv.key() == "from";
  }
  if (!has_from) return InvalidArgument("BTQL: the query needs a 'from' clause");
  FinishQuery(q);
  if (std::optional<QueryProblem> p = FindQueryProblem(q)) {
    return InvalidArgument("BTQL: {}[{}]: {}", p->clause, p->index, p->message);
  }
  return q;
}

}  // namespace tv::btql
