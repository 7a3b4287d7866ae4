#include "btql/eval.h"

#include <cmath>
#include <optional>

#include "btql/aggregate.h"
#include "btql/values.h"
#include "text/tokenizer.h"

namespace tv::btql {

namespace {

using Op = Expr::Op;

enum class Truth { kFalse, kTrue, kUnknown };

Truth FromBool(bool b) { return b ? Truth::kTrue : Truth::kFalse; }

Truth Negate(Truth t) {
  if (t == Truth::kUnknown) return t;
  return t == Truth::kTrue ? Truth::kFalse : Truth::kTrue;
}

// An expression's value: borrowed from the row or the AST, computed, or an
// interval (which has no JSON form until it meets a time).
struct Operand {
  const json::value* ref = nullptr;
  json::value owned;
  bool is_owned = false;
  std::optional<Interval> interval;

  const json::value* get() const { return is_owned ? &owned : ref; }
  bool IsNull() const { return !interval && (get() == nullptr || get()->is_null()); }
  static Operand Own(json::value v) {
    Operand o;
    o.owned = std::move(v);
    o.is_owned = true;
    return o;
  }
  json::value Take() && {
    if (interval) return json::value(IntervalText(*interval));
    if (is_owned) return std::move(owned);
    return ref ? *ref : json::value(nullptr);
  }
};

class Evaluator {
 public:
  Evaluator(const json::object& row, const EvalContext& ctx) : row_(row), ctx_(ctx) {}

  Truth Test(const Expr& e) {
    switch (e.op) {
      case Op::kEq:
        return Equal(e.children[0], e.children[1]);
      case Op::kNe:
        return Negate(Equal(e.children[0], e.children[1]));
      case Op::kIsNull:
        return FromBool(Value(e.children[0]).IsNull());
      case Op::kIsNotNull:
        return FromBool(!Value(e.children[0]).IsNull());
      case Op::kAnd:
        return Junction(e.children, Truth::kFalse);
      case Op::kOr:
        return Junction(e.children, Truth::kTrue);
      case Op::kNot:
        return Negate(Test(e.children[0]));
      case Op::kMatch:
        return Match(e.children[0], e.children[1]);
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        return Order(e);
      case Op::kIn:
        return In(e.children[0], e.children[1]);
      case Op::kLike:
      case Op::kILike:
        return Like(e);
      case Op::kIncludes:
        return Includes(e.children[0], e.children[1]);
      case Op::kAnySpan:
        return Test(e.children[0]);
      default:
        return Truthiness(Value(e));
    }
  }

  Operand Value(const Expr& e) {
    switch (e.op) {
      case Op::kLiteral: {
        Operand o;
        o.ref = &e.value;
        return o;
      }
      case Op::kIdent: {
        Operand o;
        o.ref = Lookup(row_, e.path);
        return o;
      }
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kMod:
        return Arithmetic(e);
      case Op::kNeg:
        return Negative(Value(e.children[0]));
      case Op::kIf:
        return If(e);
      case Op::kCall:
        return Call(e);
      case Op::kInterval: {
        Operand o;
        auto amount = AsDouble(e.value);
        if (amount) o.interval = MakeInterval(*amount, e.name);
        if (amount && !o.interval) Fail(InvalidArgument("BTQL: interval {} {} is out of range", *amount, e.name));
        return o;
      }
      case Op::kArray: {
        if (!Charge(32 + 16 * e.children.size())) return Operand::Own(nullptr);
        json::array a;
        a.reserve(e.children.size());
        for (const Expr& c : e.children) a.push_back(TakeCharged(Value(c)));
        if (ctx_.state && ctx_.state->failed()) return Operand::Own(nullptr);
        return Operand::Own(std::move(a));
      }
      default: {
        Truth t = Test(e);
        return Operand::Own(t == Truth::kUnknown ? json::value(nullptr) : json::value(t == Truth::kTrue));
      }
    }
  }

 private:
  static Truth Truthiness(const Operand& v) {
    if (v.IsNull() || v.interval) return Truth::kUnknown;
    return v.get()->is_bool() ? FromBool(v.get()->get_bool()) : Truth::kUnknown;
  }

  Truth Equal(const Expr& left, const Expr& right) {
    Operand a = Value(left), b = Value(right);
    if (a.IsNull() || b.IsNull() || a.interval || b.interval) return Truth::kUnknown;
    return FromBool(ValuesEqual(*a.get(), *b.get()));
  }

  // Kleene AND/OR: `dominant` (false for AND, true for OR) decides at once.
  Truth Junction(const std::vector<Expr>& children, Truth dominant) {
    bool unknown = false;
    for (const Expr& child : children) {
      Truth t = Test(child);
      if (t == dominant) return dominant;
      unknown = unknown || t == Truth::kUnknown;
    }
    return unknown ? Truth::kUnknown : Negate(dominant);
  }

  // `left MATCH 'words'`: every word of the right side occurs as a whole word
  // in the string values under the left side; an empty path searches every
  // full-text field of the row.
  Truth Match(const Expr& left, const Expr& right) {
    Operand query = Value(right);
    if (query.IsNull()) return Truth::kUnknown;
    if (!query.get()->is_string()) return Truth::kFalse;
    std::vector<std::string> tokens = text::Tokens(query.get()->get_string());
    if (left.op == Op::kIdent && left.path.empty()) return FromBool(text::RowContainsAllTokens(row_, tokens));
    Operand target = Value(left);
    if (target.IsNull()) return Truth::kUnknown;
    return FromBool(text::ContainsAllTokens(*target.get(), tokens));
  }

  Truth Order(const Expr& e) {
    Operand a = Value(e.children[0]), b = Value(e.children[1]);
    if (a.IsNull() || b.IsNull() || a.interval || b.interval) return Truth::kUnknown;
    std::optional<int> c = CompareScalars(*a.get(), *b.get());
    if (!c) return Truth::kUnknown;
    switch (e.op) {
      case Op::kLt:
        return FromBool(*c < 0);
      case Op::kLe:
        return FromBool(*c <= 0);
      case Op::kGt:
        return FromBool(*c > 0);
      default:
        return FromBool(*c >= 0);
    }
  }

  // `x IN list`: true if some element equals x; otherwise unknown when x or
  // an element is null, else false. A non-array right side is one element.
  Truth In(const Expr& left, const Expr& right) {
    Operand x = Value(left), list = Value(right);
    if (x.IsNull() || list.IsNull() || x.interval) return Truth::kUnknown;
    if (!list.get()->is_array()) return FromBool(ValuesEqual(*x.get(), *list.get()));
    bool unknown = false;
    for (const json::value& item : list.get()->get_array()) {
      if (item.is_null()) {
        unknown = true;
      } else if (ValuesEqual(*x.get(), item)) {
        return Truth::kTrue;
      }
    }
    return unknown ? Truth::kUnknown : Truth::kFalse;
  }

  Truth Like(const Expr& e) {
    Operand text = Value(e.children[0]), pattern = Value(e.children[1]);
    if (text.IsNull() || pattern.IsNull()) return Truth::kUnknown;
    if (!text.get()->is_string() || !pattern.get()->is_string()) return Truth::kUnknown;
    return FromBool(LikeMatch(text.get()->get_string(), pattern.get()->get_string(), e.op == Op::kILike));
  }

  // Arrays: an element equals the needle. Objects: a string needle is a key,
  // an object needle is a subset of entries. Strings: a substring.
  Truth Includes(const Expr& haystack_expr, const Expr& needle_expr) {
    Operand haystack = Value(haystack_expr), needle = Value(needle_expr);
    if (haystack.IsNull() || needle.IsNull() || haystack.interval || needle.interval) return Truth::kUnknown;
    const json::value& h = *haystack.get();
    const json::value& n = *needle.get();
    if (h.is_array()) {
      for (const json::value& item : h.get_array())
        if (ValuesEqual(item, n)) return Truth::kTrue;
      return Truth::kFalse;
    }
    if (h.is_object()) {
      if (n.is_string()) return FromBool(h.get_object().contains(n.get_string()));
      if (!n.is_object()) return Truth::kFalse;
      for (const auto& kv : n.get_object()) {
        const json::value* mine = h.get_object().if_contains(kv.key());
        if (!mine || !ValuesEqual(*mine, kv.value())) return Truth::kFalse;
      }
      return Truth::kTrue;
    }
    if (h.is_string() && n.is_string())
      return FromBool(std::string_view(h.get_string()).find(std::string_view(n.get_string())) !=
                      std::string_view::npos);
    return Truth::kFalse;
  }

  Operand Arithmetic(const Expr& e) {
    Operand a = Value(e.children[0]), b = Value(e.children[1]);
    if (a.IsNull() || b.IsNull()) return Operand::Own(nullptr);
    if (a.interval || b.interval) return TimeArithmetic(e.op, std::move(a), std::move(b));
    const json::value& x = *a.get();
    const json::value& y = *b.get();
    if (e.op == Op::kSub && x.is_string() && y.is_string()) {
      // time - time: seconds between them
      auto tx = TimeMicros(x), ty = TimeMicros(y);
      if (tx && ty) return Operand::Own(NumberValue(static_cast<double>(*tx - *ty) / 1e6));
      return Operand::Own(nullptr);
    }
    if (!IsNumber(x) || !IsNumber(y)) return Operand::Own(nullptr);
    if (x.is_int64() && y.is_int64()) {
      int64_t p = x.get_int64(), q = y.get_int64(), r = 0;
      switch (e.op) {
        case Op::kAdd:
          if (!__builtin_add_overflow(p, q, &r)) return Operand::Own(r);
          break;
        case Op::kSub:
          if (!__builtin_sub_overflow(p, q, &r)) return Operand::Own(r);
          break;
        case Op::kMul:
          if (!__builtin_mul_overflow(p, q, &r)) return Operand::Own(r);
          break;
        case Op::kMod:
          if (q == 0) return Operand::Own(nullptr);
          if (q == -1) return Operand::Own(int64_t{0});
          return Operand::Own(p % q);
        default:
          break;
      }
    }
    double p = x.to_number<double>(), q = y.to_number<double>(), r = 0;
    switch (e.op) {
      case Op::kAdd:
        r = p + q;
        break;
      case Op::kSub:
        r = p - q;
        break;
      case Op::kMul:
        r = p * q;
        break;
      case Op::kDiv:
        if (q == 0) return Operand::Own(nullptr);
        r = p / q;
        break;
      default:
        if (q == 0) return Operand::Own(nullptr);
        r = std::fmod(p, q);
    }
    if (!std::isfinite(r)) return Operand::Own(nullptr);
    return Operand::Own(r);
  }

  // time ± interval, interval + time, interval ± interval. A result past the
  // time range or an int64 is the query's error, never a wrapped value.
  Operand TimeArithmetic(Op op, Operand a, Operand b) {
    if (op != Op::kAdd && op != Op::kSub) return Operand::Own(nullptr);
    int sign = op == Op::kAdd ? 1 : -1;
    const char* op_text = sign > 0 ? "+" : "-";
    if (a.interval && b.interval) {
      Operand o;
      o.interval = CombineIntervals(*a.interval, *b.interval, sign);
      if (!o.interval) {
        Fail(InvalidArgument("BTQL: interval arithmetic overflows: {} {} {}", IntervalText(*a.interval), op_text,
                             IntervalText(*b.interval)));
        return Operand::Own(nullptr);
      }
      return o;
    }
    if (a.interval && sign < 0) return Operand::Own(nullptr);  // interval - time
    const Operand& time = a.interval ? b : a;
    const Interval& iv = a.interval ? *a.interval : *b.interval;
    std::optional<int64_t> t = TimeMicros(*time.get());
    if (!t) return Operand::Own(nullptr);
    std::optional<int64_t> shifted = ShiftMicros(*t, iv, sign);
    if (!shifted) {
      Fail(InvalidArgument("BTQL: date arithmetic out of range: {} {} {} is outside {} to {}", FormatTime(*t), op_text,
                           IntervalText(iv), FormatTime(kMinTimeMicros), FormatTime(kMaxTimeMicros)));
      return Operand::Own(nullptr);
    }
    if (time.get()->is_string()) return Operand::Own(json::value(FormatTime(*shifted)));
    return Operand::Own(NumberValue(static_cast<double>(*shifted) / 1e6));
  }

  static Operand Negative(Operand v) {
    if (v.interval) {
      v.interval = Interval{-v.interval->months, -v.interval->micros};
      return v;
    }
    if (v.IsNull()) return Operand::Own(nullptr);
    const json::value& x = *v.get();
    if (x.is_int64() && x.get_int64() != INT64_MIN) return Operand::Own(-x.get_int64());
    if (IsNumber(x)) return Operand::Own(-x.to_number<double>());
    return Operand::Own(nullptr);
  }

  Operand If(const Expr& e) {
    size_t i = 0;
    for (; i + 1 < e.children.size(); i += 2)
      if (Test(e.children[i]) == Truth::kTrue) return Value(e.children[i + 1]);
    if (i < e.children.size()) return Value(e.children[i]);
    return Operand::Own(nullptr);
  }

  // Charges a computed string, array or object against the query's budget.
  bool Charge(size_t bytes) { return !ctx_.state || ctx_.state->Charge(bytes); }
  void Fail(Status status) {
    if (ctx_.state) ctx_.state->Fail(std::move(status));
  }

  // The operand's value, owned; a value borrowed from the row or the query is
  // copied only once the budget admits it.
  json::value TakeCharged(Operand v) {
    if (!v.is_owned && !v.interval && v.ref && (v.ref->is_string() || v.ref->is_structured()) &&
        !Charge(ApproxBytes(*v.ref)))
      return nullptr;
    return std::move(v).Take();
  }

  Operand Call(const Expr& e) {
    if (IsAggregateFunction(e.name)) return Operand::Own(nullptr);
    if (e.name == "to_interval") {
      Operand arg = Value(e.children[0]);
      if (arg.interval) return arg;
      Operand o;
      if (!arg.IsNull() && arg.get()->is_string()) o.interval = ParseInterval(arg.get()->get_string());
      return o;
    }
    std::vector<json::value> args;
    args.reserve(e.children.size());
    for (const Expr& c : e.children) args.push_back(TakeCharged(Value(c)));
    json::value out = CallScalar(e.name, args, ctx_);
    if ((out.is_string() || out.is_structured()) && !Charge(ApproxBytes(out))) return Operand::Own(nullptr);
    return Operand::Own(std::move(out));
  }

  const json::object& row_;
  const EvalContext& ctx_;
};

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

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

char Fold(char c, bool fold) { return fold && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

const json::value* Lookup(const json::object& row, const std::vector<PathPart>& path) {
  if (path.empty()) return nullptr;
  const std::string* first = std::get_if<std::string>(&path[0]);
  if (!first) return nullptr;
  const json::value* v = row.if_contains(*first);
  for (size_t i = 1; v && i < path.size(); ++i) v = Step(*v, path[i]);
  return v;
}

json::value EvalValue(const Expr& e, const json::object& row, const EvalContext& ctx) {
  if (!ctx.state) return Evaluator(row, ctx).Value(e).Take();
  if (ctx.state->failed()) return nullptr;
  size_t mark = ctx.state->used();
  json::value v = Evaluator(row, ctx).Value(e).Take();
  ctx.state->Release(ctx.state->used() - mark);  // the transients are gone; the caller charges what it keeps
  return v;
}

bool EvalPredicate(const Expr& e, const json::object& row, const EvalContext& ctx) {
  if (!ctx.state) return Evaluator(row, ctx).Test(e) == Truth::kTrue;
  if (ctx.state->failed()) return false;
  size_t mark = ctx.state->used();
  bool keep = Evaluator(row, ctx).Test(e) == Truth::kTrue;
  ctx.state->Release(ctx.state->used() - mark);
  return keep && !ctx.state->failed();
}

bool LikeMatch(std::string_view text, std::string_view pattern, bool fold_case) {
  size_t t = 0, p = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      if (pattern[p] == '_') {
        t += Utf8Length(static_cast<unsigned char>(text[t]));
        ++p;
        continue;
      }
      size_t lit = p;
      if (pattern[lit] == '\\' && lit + 1 < pattern.size()) ++lit;
      if (Fold(pattern[lit], fold_case) == Fold(text[t], fold_case)) {
        p = lit + 1;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    // Backtrack: the last % swallows one more character.
    star_t += Utf8Length(static_cast<unsigned char>(text[star_t]));
    t = star_t;
    p = star_p;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

}  // namespace tv::btql
