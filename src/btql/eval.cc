#include "btql/eval.h"

#include "text/tokenizer.h"

#include <cmath>
#include <optional>

namespace tv::btql {

namespace {

enum class Truth { kFalse, kTrue, kUnknown };

Truth FromBool(bool b) { return b ? Truth::kTrue : Truth::kFalse; }

Truth Negate(Truth t) {
  if (t == Truth::kUnknown) return t;
  return t == Truth::kTrue ? Truth::kFalse : Truth::kTrue;
}

// An expression's value: borrowed from the row or the AST, or computed.
struct Operand {
  const json::value* ref = nullptr;
  json::value owned;
  bool is_owned = false;

  const json::value* get() const { return is_owned ? &owned : ref; }
  bool IsNull() const { return get() == nullptr || get()->is_null(); }
};

bool IsNumber(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

// Compares exactly where both are integers; a double equals an integer only
// when it holds that integer's value.
bool NumbersEqual(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (a.is_double() && b.is_double()) return a.get_double() == b.get_double();
    const json::value& d = a.is_double() ? a : b;
    const json::value& i = a.is_double() ? b : a;
    double x = d.get_double();
    if (std::trunc(x) != x) return false;
    if (i.is_int64()) return x >= -9223372036854775808.0 && x < 9223372036854775808.0 &&
                             static_cast<int64_t>(x) == i.get_int64();
    return x >= 0 && x < 18446744073709551616.0 && static_cast<uint64_t>(x) == i.get_uint64();
  }
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  const json::value& s = a.is_int64() ? a : b;
  const json::value& u = a.is_int64() ? b : a;
  return s.get_int64() >= 0 && static_cast<uint64_t>(s.get_int64()) == u.get_uint64();
}

bool ValuesEqual(const json::value& a, const json::value& b);

bool ArraysEqual(const json::array& a, const json::array& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!ValuesEqual(a[i], b[i])) return false;
  }
  return true;
}

bool ObjectsEqual(const json::object& a, const json::object& b) {
  if (a.size() != b.size()) return false;
  for (const auto& kv : a) {
    const json::value* other = b.if_contains(kv.key());
    if (!other || !ValuesEqual(kv.value(), *other)) return false;
  }
  return true;
}

// Structural equality inside arrays and objects, where null equals null.
bool ValuesEqual(const json::value& a, const json::value& b) {
  if (IsNumber(a) && IsNumber(b)) return NumbersEqual(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::string: return a.get_string() == b.get_string();
    case json::kind::bool_: return a.get_bool() == b.get_bool();
    case json::kind::array: return ArraysEqual(a.get_array(), b.get_array());
    case json::kind::object: return ObjectsEqual(a.get_object(), b.get_object());
    default: return true;  // both null
  }
}

Truth Eval(const Expr& e, const json::object& row);

Operand Value(const Expr& e, const json::object& row) {
  Operand out;
  if (e.op == Expr::Op::kLiteral || e.op == Expr::Op::kIdent) {
    out.ref = e.op == Expr::Op::kLiteral ? &e.value : Lookup(row, e.path);
    return out;
  }
  out.is_owned = true;
  Truth t = Eval(e, row);
  if (t != Truth::kUnknown) out.owned = t == Truth::kTrue;
  return out;
}

Truth Equal(const Expr& left, const Expr& right, const json::object& row) {
  Operand a = Value(left, row);
  Operand b = Value(right, row);
  if (a.IsNull() || b.IsNull()) return Truth::kUnknown;
  return FromBool(ValuesEqual(*a.get(), *b.get()));
}

// Kleene AND/OR: `dominant` (false for AND, true for OR) decides at once.
Truth Junction(const std::vector<Expr>& children, Truth dominant, const json::object& row) {
  bool unknown = false;
  for (const Expr& child : children) {
    Truth t = Eval(child, row);
    if (t == dominant) return dominant;
    unknown = unknown || t == Truth::kUnknown;
  }
  return unknown ? Truth::kUnknown : Negate(dominant);
}

// `left MATCH 'words'`: every word of the right side occurs as a whole word
// in the string values under the left side.
Truth Match(const Expr& left, const Expr& right, const json::object& row) {
  Operand query = Value(right, row);
  if (query.IsNull()) return Truth::kUnknown;
  if (!query.get()->is_string()) return Truth::kFalse;
  Operand target = Value(left, row);
  if (target.IsNull()) return Truth::kUnknown;
  return FromBool(text::ContainsAllTokens(*target.get(), text::Tokens(query.get()->get_string())));
}

// Orders two numbers exactly where both are integers: -1, 0 or 1.
int CompareNumbers(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    double x = a.to_number<double>(), y = b.to_number<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_int64() && b.is_int64()) return a.get_int64() < b.get_int64() ? -1 : a.get_int64() > b.get_int64() ? 1 : 0;
  if (a.is_uint64() && b.is_uint64())
    return a.get_uint64() < b.get_uint64() ? -1 : a.get_uint64() > b.get_uint64() ? 1 : 0;
  if (a.is_int64()) return a.get_int64() < 0 ? -1 : -CompareNumbers(b, json::value(static_cast<uint64_t>(a.get_int64())));
  return -CompareNumbers(b, a);
}

// `left <op> right` for <, <=, >, >=: numbers by value, strings byte by byte,
// booleans false < true; null or values of different kinds are unknown.
Truth Order(const Expr& e, const json::object& row) {
  Operand a = Value(e.children[0], row), b = Value(e.children[1], row);
  if (a.IsNull() || b.IsNull()) return Truth::kUnknown;
  const json::value& x = *a.get();
  const json::value& y = *b.get();
  int c;
  if (IsNumber(x) && IsNumber(y)) {
    if ((x.is_double() && std::isnan(x.get_double())) || (y.is_double() && std::isnan(y.get_double())))
      return Truth::kUnknown;
    c = CompareNumbers(x, y);
  } else if (x.is_string() && y.is_string()) {
    int r = std::string_view(x.get_string()).compare(std::string_view(y.get_string()));
    c = r < 0 ? -1 : r > 0 ? 1 : 0;
  } else if (x.is_bool() && y.is_bool()) {
    c = static_cast<int>(x.get_bool()) - static_cast<int>(y.get_bool());
  } else {
    return Truth::kUnknown;
  }
  switch (e.op) {
    case Expr::Op::kLt: return FromBool(c < 0);
    case Expr::Op::kLe: return FromBool(c <= 0);
    case Expr::Op::kGt: return FromBool(c > 0);
    default: return FromBool(c >= 0);
  }
}

Truth Truthiness(const Operand& v) {
  if (v.IsNull()) return Truth::kUnknown;
  return v.get()->is_bool() ? FromBool(v.get()->get_bool()) : Truth::kUnknown;
}

Truth Eval(const Expr& e, const json::object& row) {
  switch (e.op) {
    case Expr::Op::kEq: return Equal(e.children[0], e.children[1], row);
    case Expr::Op::kNe: return Negate(Equal(e.children[0], e.children[1], row));
    case Expr::Op::kIsNull: return FromBool(Value(e.children[0], row).IsNull());
    case Expr::Op::kIsNotNull: return FromBool(!Value(e.children[0], row).IsNull());
    case Expr::Op::kAnd: return Junction(e.children, Truth::kFalse, row);
    case Expr::Op::kOr: return Junction(e.children, Truth::kTrue, row);
    case Expr::Op::kNot: return Negate(Eval(e.children[0], row));
    case Expr::Op::kMatch: return Match(e.children[0], e.children[1], row);
    case Expr::Op::kLt:
    case Expr::Op::kLe:
    case Expr::Op::kGt:
    case Expr::Op::kGe: return Order(e, row);
    case Expr::Op::kLiteral:
    case Expr::Op::kIdent: return Truthiness(Value(e, row));
  }
  return Truth::kUnknown;
}

const json::value* Step(const json::value& v, const PathPart& part) {
  if (const std::string* key = std::get_if<std::string>(&part)) {
    const json::object* o = v.if_object();
    return o ? o->if_contains(*key) : nullptr;
  }
  const json::array* a = v.if_array();
  if (!a) return nullptr;
  int64_t index = std::get<int64_t>(part);
  int64_t size = static_cast<int64_t>(a->size());
  if (index < 0) index += size;
  return index >= 0 && index < size ? &(*a)[static_cast<size_t>(index)] : nullptr;
}

}  // namespace

const json::value* Lookup(const json::object& row, const std::vector<PathPart>& path) {
  if (path.empty()) return nullptr;
  const std::string* first = std::get_if<std::string>(&path[0]);
  if (!first) return nullptr;
  const json::value* v = row.if_contains(*first);
  for (size_t i = 1; v && i < path.size(); ++i) v = Step(*v, path[i]);
  return v;
}

bool EvalPredicate(const Expr& e, const json::object& row) {
  return Eval(e, row) == Truth::kTrue;
}

}  // namespace tv::btql
