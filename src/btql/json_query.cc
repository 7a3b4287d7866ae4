#include "btql/json_query.h"

#include <string>

#include "btql/clause_rules.h"
#include "btql/expr_builders.h"
#include "btql/text_query.h"

namespace tv::btql {

namespace {

using Op = Expr::Op;

// Clause values that say "nothing here", which JSON encoders often emit.
bool IsEmptyClause(const json::value& v) {
  return v.is_null() || (v.is_array() && v.get_array().empty());
}

const json::value* Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

std::string_view OpName(const json::object& node) {
  const json::value* op = node.if_contains("op");
  return op && op->is_string() ? std::string_view(op->get_string()) : std::string_view();
}

// --- expressions ---

Result<Expr> ParseIdent(const json::object& node) {
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
      return InvalidArgument("BTQL: 'ident' name parts must be strings or integers, got {}",
                             ToJson(part));
    }
  }
  return ident;
}

Result<Expr> ParseRequired(const json::object& node, std::string_view key, std::string_view op) {
  const json::value* child = Field(node, key);
  if (!child) return InvalidArgument("BTQL: '{}' needs '{}'", op, key);
  return ParseJsonExpr(*child);
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

bool IsNullLiteral(const Expr& e) { return e.op == Op::kLiteral && e.value.is_null(); }

// `x IS NULL`; IS against anything but null belongs to a later slice.
Result<Expr> ParseIs(const json::object& node) {
  TV_ASSIGN_OR_RETURN(Expr is, ParseBinary(node, "is", Op::kIsNull));
  if (IsNullLiteral(is.children[1])) {
    is.children.pop_back();
  } else if (IsNullLiteral(is.children[0])) {
    is.children.erase(is.children.begin());
  } else {
    return NotSupportedYet("is", " with a right side other than null");
  }
  return is;
}

// Clients send and/or either as {left, right} or as {children: [...]}.
Result<Expr> ParseJunction(const json::object& node, std::string_view op, Op kind) {
  Expr out = MakeNode(kind, {});
  for (std::string_view key : {"left", "right"}) {
    if (const json::value* side = Field(node, key)) {
      TV_ASSIGN_OR_RETURN(Expr child, ParseJsonExpr(*side));
      out.children.push_back(std::move(child));
    }
  }
  if (const json::value* children = Field(node, "children")) {
    if (!children->is_array()) return InvalidArgument("BTQL: '{}' children must be an array", op);
    for (const json::value& c : children->get_array()) {
      TV_ASSIGN_OR_RETURN(Expr child, ParseJsonExpr(c));
      out.children.push_back(std::move(child));
    }
  }
  // An empty AND is true and an empty OR is false, as in logic.
  if (out.children.empty()) return MakeLiteral(json::value(kind == Op::kAnd));
  if (out.children.size() == 1) return std::move(out.children[0]);
  return out;
}

Result<Expr> ParseEmbeddedText(const json::value& text) {
  if (!text.is_string()) return InvalidArgument("BTQL: 'btql' must be a string of BTQL text");
  return ParseTextExpr(text.get_string());
}

// --- clauses ---

Status ParseSelect(const json::value& select) {
  if (!select.is_array()) return InvalidArgument("BTQL: 'select' must be an array");
  const json::array& items = select.get_array();
  const json::object* first = items.size() == 1 ? items[0].if_object() : nullptr;
  if (first && OpName(*first) == "star" && !Field(*first, "replace")) return Status::Ok();
  return NotSupportedYet("select", " with anything but [{\"op\":\"star\"}]");
}

Result<std::string> SourceName(const json::object& from) {
  const json::value* name = Field(from, "name");
  const json::object* ident = name ? name->if_object() : nullptr;
  const json::value* parts = ident ? Field(*ident, "name") : nullptr;
  if (!ident || OpName(*ident) != "ident" || !parts || !parts->is_array() ||
      parts->get_array().size() != 1 || !parts->get_array()[0].is_string()) {
    return InvalidArgument("BTQL: 'from' function needs a name like "
                           "{{\"op\":\"ident\",\"name\":[\"experiment\"]}}");
  }
  return std::string(parts->get_array()[0].get_string());
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
      return InvalidArgument("BTQL: '{}' arguments must be string literals "
                             "{{\"op\":\"literal\",\"value\":\"<id>\"}}", fn);
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

Result<int64_t> ParseLimit(const json::value& v) {
  if (v.is_int64() && v.get_int64() >= 0) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double() && v.get_double() >= 0 && v.get_double() < 9.2e18 &&
      static_cast<double>(static_cast<int64_t>(v.get_double())) == v.get_double()) {
    return static_cast<int64_t>(v.get_double());
  }
  return InvalidArgument("BTQL: 'limit' must be a non-negative integer, got {}", ToJson(v));
}

Status ParseClause(std::string_view key, const json::value& v, Query& q) {
  if (key == "select") return ParseSelect(v);
  if (key == "from") {
    TV_ASSIGN_OR_RETURN(q.from, ParseFrom(v));
    return Status::Ok();
  }
  if (key == "filter") {
    TV_ASSIGN_OR_RETURN(q.filter, ParseJsonExpr(v));
    return Status::Ok();
  }
  if (key == "limit") {
    TV_ASSIGN_OR_RETURN(q.limit, ParseLimit(v));
    return Status::Ok();
  }
  if (key == "cursor") {
    if (!v.is_string()) return InvalidArgument("BTQL: 'cursor' must be a string");
    q.cursor = std::string(v.get_string());
    return Status::Ok();
  }
  return NotSupportedYet(key);
}

}  // namespace

Result<Expr> ParseJsonExpr(const json::value& value) {
  const json::object* node = value.if_object();
  if (!node) return InvalidArgument("BTQL: an expression must be an object, got {}", ToJson(value));
  if (const json::value* text = node->if_contains("btql")) return ParseEmbeddedText(*text);
  std::string_view op = OpName(*node);
  if (op.empty()) return InvalidArgument("BTQL: an expression node needs an 'op' string");
  if (op == "literal") {
    const json::value* v = node->if_contains("value");
    return MakeLiteral(v ? *v : json::value(nullptr));
  }
  if (op == "ident") return ParseIdent(*node);
  if (op == "eq") return ParseBinary(*node, op, Op::kEq);
  if (op == "ne") return ParseBinary(*node, op, Op::kNe);
  if (op == "match") return ParseBinary(*node, op, Op::kMatch);
  if (op == "lt") return ParseBinary(*node, op, Op::kLt);
  if (op == "le") return ParseBinary(*node, op, Op::kLe);
  if (op == "gt") return ParseBinary(*node, op, Op::kGt);
  if (op == "ge") return ParseBinary(*node, op, Op::kGe);
  if (op == "is") return ParseIs(*node);
  if (op == "isnull") return ParseUnary(*node, op, Op::kIsNull);
  if (op == "isnotnull") return ParseUnary(*node, op, Op::kIsNotNull);
  if (op == "not") return ParseUnary(*node, op, Op::kNot);
  if (op == "and") return ParseJunction(*node, op, Op::kAnd);
  if (op == "or") return ParseJunction(*node, op, Op::kOr);
  return NotSupportedYet(op);
}

Result<Query> ParseJsonQuery(const json::object& query) {
  Query q;
  bool has_from = false;
  for (const auto& kv : query) {
    if (IsEmptyClause(kv.value())) continue;
    TV_RETURN_IF_ERROR(ParseClause(kv.key(), kv.value(), q));
    has_from = has_from || kv.key() == "from";
  }
  if (!has_from) return InvalidArgument("BTQL: the query needs a 'from' clause");
  return q;
}

}  // namespace tv::btql
