#include "btql/aggregate.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "btql/eval.h"
#include "btql/values.h"

namespace tv::btql {

enum class AggKind { kCount, kCountDistinct, kSum, kAvg, kMin, kMax, kPercentile };

struct Aggregator::Slot {
  AggKind kind;
  const Expr* arg = nullptr;
  double fraction = 0;  // percentile
};

namespace {

struct Accumulator {
  int64_t count = 0;
  double sum = 0;
  int64_t int_sum = 0;
  bool all_int = true;
  json::value extreme;  // min / max
  std::unordered_set<std::string> distinct;
  std::vector<double> values;
};

AggKind KindOf(std::string_view name) {
  if (name == "count") return AggKind::kCount;
  if (name == "count_distinct") return AggKind::kCountDistinct;
  if (name == "sum") return AggKind::kSum;
  if (name == "avg") return AggKind::kAvg;
  if (name == "min") return AggKind::kMin;
  if (name == "max") return AggKind::kMax;
  return AggKind::kPercentile;
}

bool ContainsAggregate(const Expr& e) {
  if (e.op == Expr::Op::kCall && IsAggregateFunction(e.name)) return true;
  for (const auto& c : e.children)
    if (ContainsAggregate(c)) return true;
  return false;
}

json::value Percentile(std::vector<double>& v, double fraction) {
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  // Linear interpolation between the closest ranks.
  double rank = fraction * static_cast<double>(v.size() - 1);
  auto lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, v.size() - 1);
  double w = rank - static_cast<double>(lo);
  return NumberValue(v[lo] + (v[hi] - v[lo]) * w);
}

}  // namespace

struct Aggregator::Group {
  json::object dims;         // alias -> value
  json::array pivot_values;  // values of the pivot expressions
  std::vector<Accumulator> acc;
};

size_t ApproxBytes(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return 32 + v.get_string().size();
    case json::kind::array: {
      size_t n = 32;
      for (const auto& x : v.get_array()) n += ApproxBytes(x);
      return n;
    }
    case json::kind::object:
      return ApproxBytes(v.get_object());
    default:
      return 16;
  }
}

size_t ApproxBytes(const json::object& o) {
  size_t n = 48;
  for (const auto& kv : o) n += 32 + kv.key().size() + ApproxBytes(kv.value());
  return n;
}

Aggregator::Aggregator(const Query& query, const EvalContext& ctx) : query_(query), ctx_(ctx) {}
Aggregator::~Aggregator() = default;

Result<std::unique_ptr<Aggregator>> Aggregator::Make(const Query& query, const EvalContext& ctx) {
  std::unique_ptr<Aggregator> a(new Aggregator(query, ctx));
  for (const auto& d : query.dimensions)
    if (ContainsAggregate(d.expr))
      return InvalidArgument("BTQL: dimension '{}' contains an aggregate; move it to measures", d.alias);
  for (const auto& p : query.pivot)
    if (ContainsAggregate(p.expr)) return InvalidArgument("BTQL: pivot '{}' contains an aggregate", p.alias);
  // Number the aggregate calls of each measure; the measure keeps its shape
  // with those calls marked by their slot.
  for (const auto& m : query.measures) {
    if (!ContainsAggregate(m.expr))
      return InvalidArgument("BTQL: measure '{}' has no aggregate (count, sum, avg, ...); put it in dimensions",
                             m.alias);
    Expr copy = m.expr;
    Status st = Status::Ok();
    std::function<void(Expr&)> number = [&](Expr& e) {
      if (e.op == Expr::Op::kCall && IsAggregateFunction(e.name)) {
        Slot slot{KindOf(e.name), nullptr, 0};
        for (const auto& c : e.children)
          if (ContainsAggregate(c))
            st = InvalidArgument("BTQL: aggregates cannot nest ({} inside {})", "an aggregate", e.name);
        if (slot.kind == AggKind::kPercentile) {
          json::value f = EvalValue(e.children[1], json::object(), ctx);
          auto d = AsDouble(f);
          if (!d || *d < 0 || *d > 1)
            st = InvalidArgument("BTQL: percentile() takes a literal fraction between 0 and 1, got {}", ToJson(f));
          else
            slot.fraction = *d;
        }
        e.value = static_cast<int64_t>(a->slots_.size());
        a->slots_.push_back(slot);
        return;
      }
      for (auto& c : e.children) number(c);
    };
    number(copy);
    TV_RETURN_IF_ERROR(st);
    a->measures_.push_back(std::move(copy));
  }
  // Slot argument pointers into the numbered copies (stable now).
  size_t next = 0;
  std::function<void(const Expr&)> bind = [&](const Expr& e) {
    if (e.op == Expr::Op::kCall && IsAggregateFunction(e.name)) {
      a->slots_[next++].arg = &e.children[0];
      return;
    }
    for (const auto& c : e.children) bind(c);
  };
  for (const auto& m : a->measures_) bind(m);
  return a;
}

void Aggregator::Add(const json::object& row) {
  json::object dims;
  for (const auto& d : query_.dimensions) dims[d.alias] = EvalValue(d.expr, row, ctx_);
  json::array pivots;
  for (const auto& p : query_.pivot) pivots.push_back(EvalValue(p.expr, row, ctx_));
  std::string key = CanonicalJson(json::array{json::value(dims), json::value(pivots)});
  auto [it, inserted] = group_index_.try_emplace(key, groups_.size());
  if (inserted) {
    auto g = std::make_unique<Group>();
    memory_bytes_ += key.size() * 2 + ApproxBytes(dims) + ApproxBytes(pivots) + slots_.size() * sizeof(Accumulator);
    g->dims = std::move(dims);
    g->pivot_values = std::move(pivots);
    g->acc.resize(slots_.size());
    groups_.push_back(std::move(g));
  }
  Group& g = *groups_[it->second];
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    Accumulator& acc = g.acc[i];
    json::value v = EvalValue(*s.arg, row, ctx_);
    if (v.is_null()) continue;
    switch (s.kind) {
      case AggKind::kCount:
        ++acc.count;
        break;
      case AggKind::kCountDistinct: {
        std::string text = CanonicalJson(v);
        size_t size = text.size();
        if (acc.distinct.insert(std::move(text)).second) memory_bytes_ += size + 48;
        break;
      }
      case AggKind::kSum:
      case AggKind::kAvg:
        if (!IsNumber(v)) break;
        ++acc.count;
        acc.sum += v.to_number<double>();
        if (acc.all_int && v.is_int64()) {
          acc.all_int = !__builtin_add_overflow(acc.int_sum, v.get_int64(), &acc.int_sum);
        } else {
          acc.all_int = false;
        }
        break;
      case AggKind::kMin:
      case AggKind::kMax: {
        if (acc.extreme.is_null()) {
          acc.extreme = v;
        } else {
          int c = CompareForSort(v, acc.extreme);
          if ((s.kind == AggKind::kMin && c < 0) || (s.kind == AggKind::kMax && c > 0)) acc.extreme = v;
        }
        ++acc.count;
        break;
      }
      case AggKind::kPercentile:
        if (auto d = AsDouble(v)) {
          acc.values.push_back(*d);
          memory_bytes_ += sizeof(double);
        }
        break;
    }
  }
}

namespace {

json::value Final(const Aggregator::Slot& s, Accumulator& acc) {
  switch (s.kind) {
    case AggKind::kCount:
      return json::value(acc.count);
    case AggKind::kCountDistinct:
      return json::value(static_cast<int64_t>(acc.distinct.size()));
    case AggKind::kSum:
      if (acc.count == 0) return nullptr;
      if (acc.all_int) return json::value(acc.int_sum);
      return std::isfinite(acc.sum) ? json::value(acc.sum) : json::value(nullptr);
    case AggKind::kAvg:
      if (acc.count == 0) return nullptr;
      return NumberValue(acc.sum / static_cast<double>(acc.count));
    case AggKind::kMin:
    case AggKind::kMax:
      return acc.extreme;
    case AggKind::kPercentile:
      return Percentile(acc.values, s.fraction);
  }
  return nullptr;
}

// The measure with each aggregate call replaced by its group's result.
Expr Substitute(const Expr& e, const std::vector<json::value>& results) {
  if (e.op == Expr::Op::kCall && IsAggregateFunction(e.name)) {
    Expr lit;
    lit.op = Expr::Op::kLiteral;
    lit.value = results[static_cast<size_t>(e.value.as_int64())];
    return lit;
  }
  Expr out = e;
  for (auto& c : out.children) c = Substitute(c, results);
  return out;
}

}  // namespace

json::array Aggregator::Finish() {
  if (groups_.empty() && query_.dimensions.empty() && query_.pivot.empty()) {
    auto g = std::make_unique<Group>();
    g->acc.resize(slots_.size());
    groups_.push_back(std::move(g));
  }
  json::array out;
  std::unordered_map<std::string, size_t> by_dims;  // pivot: one output row per dimension tuple
  for (auto& g : groups_) {
    std::vector<json::value> results;
    results.reserve(slots_.size());
    for (size_t i = 0; i < slots_.size(); ++i) results.push_back(Final(slots_[i], g->acc[i]));
    json::object values;
    for (size_t m = 0; m < measures_.size(); ++m)
      values[query_.measures[m].alias] = EvalValue(Substitute(measures_[m], results), g->dims, ctx_);
    if (query_.pivot.empty()) {
      json::object row = g->dims;
      for (auto& kv : values) row[kv.key()] = std::move(kv.value());
      out.push_back(std::move(row));
      continue;
    }
    std::string prefix;
    for (const auto& v : g->pivot_values) {
      if (!prefix.empty()) prefix += '_';
      prefix += v.is_string() ? std::string(v.get_string()) : ToJson(v);
    }
    std::string key = CanonicalJson(g->dims);
    auto [it, inserted] = by_dims.try_emplace(key, out.size());
    if (inserted) out.push_back(g->dims);
    json::object& row = out[it->second].as_object();
    for (auto& kv : values) row[prefix + "_" + std::string(kv.key())] = std::move(kv.value());
  }
  return out;
}

}  // namespace tv::btql
