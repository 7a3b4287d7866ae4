#include "btql/exec.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>

#include "btql/eval.h"
#include "btql/values.h"

namespace tv::btql {

struct Pipeline::Kept {
  std::vector<json::value> sort_values;
  RowKey key;
  json::object row;
  uint64_t hash = 0;
  size_t bytes = 0;
};

namespace {

uint64_t SampleHash(const Sample& sample, std::string_view id) {
  return XXH3_64bits_withSeed(id.data(), id.size(), sample.seed.value_or(0));
}

// Newest first: a larger transaction id, then a larger tie, comes first.
bool KeyBefore(const RowKey& a, const RowKey& b) { return a.xact != b.xact ? a.xact > b.xact : a.tie > b.tie; }

// Sort order: nulls after every value ascending, before them descending.
int SortCompare(const json::value& a, const json::value& b) {
  if (a.is_null() || b.is_null()) return static_cast<int>(a.is_null()) - static_cast<int>(b.is_null());
  return CompareForSort(a, b);
}

// The order of two rows' `sort_values` under `sort`: negative when `a` comes
// first, positive when `b` does, 0 when the sort leaves them tied.
int CompareSortValues(const std::vector<SortItem>& sort, const std::vector<json::value>& a,
                      const std::vector<json::value>& b) {
  for (size_t i = 0; i < sort.size(); ++i) {
    int c = SortCompare(a[i], b[i]);
    if (c != 0) return sort[i].descending == (c > 0) ? -1 : 1;
  }
  return 0;
}

// `expr AS (key, value)` over an object, `expr AS elem` over an array: the
// row once per entry with the alias(es) bound at the top level. Every copy is
// charged to `state` before it is made; the caller releases `charged`.
void ExpandUnpivot(const Query& q, size_t i, json::object row, const EvalContext& ctx, std::vector<json::object>& out,
                   size_t& charged) {
  if (i == q.unpivot.size()) {
    out.push_back(std::move(row));
    return;
  }
  const auto& u = q.unpivot[i];
  json::value v = EvalValue(u.expr, row, ctx);
  size_t row_bytes = ApproxBytes(row);
  auto admit = [&](const json::value& entry) {
    size_t n = row_bytes + ApproxBytes(entry) + 64;
    if (!ctx.state->Charge(n)) return false;
    charged += n;
    return true;
  };
  if (u.aliases.size() == 2 && v.is_object()) {
    for (const auto& kv : v.get_object()) {
      if (!admit(kv.value())) return;
      json::object copy = row;
      copy[u.aliases[0]] = kv.key();
      copy[u.aliases[1]] = kv.value();
      ExpandUnpivot(q, i + 1, std::move(copy), ctx, out, charged);
    }
  } else if (u.aliases.size() == 1 && v.is_array()) {
    for (const auto& elem : v.get_array()) {
      if (!admit(elem)) return;
      json::object copy = row;
      copy[u.aliases[0]] = elem;
      ExpandUnpivot(q, i + 1, std::move(copy), ctx, out, charged);
    }
  }
}

bool IsAliasRef(const Query& q, const Expr& e) {
  if (q.select_star || e.op != Expr::Op::kIdent || e.path.empty()) return false;
  const std::string* first = std::get_if<std::string>(&e.path[0]);
  if (!first) return false;
  return std::any_of(q.select.begin(), q.select.end(), [&](const AliasExpr& a) { return a.alias == *first; });
}

}  // namespace

json::object Project(const Query& query, const json::object& row, const EvalContext& ctx) {
  if (query.select_star && query.select.empty()) return row;
  json::object out;
  if (query.select_star) out = row;
  size_t charged = 0;
  for (const auto& item : query.select) {
    json::value& v = out[item.alias] = EvalValue(item.expr, row, ctx);
    if (!ctx.state) continue;
    size_t n = ApproxBytes(v);
    if (!ctx.state->Charge(n)) break;
    charged += n;
  }
  if (ctx.state) ctx.state->Release(charged);
  return out;
}

bool SampledIn(const Sample& sample, std::string_view id) {
  if (!sample.is_rate) return true;
  if (sample.value >= 1) return true;
  if (sample.value <= 0) return false;
  return static_cast<double>(SampleHash(sample, id)) < sample.value * 18446744073709551616.0;
}

Pipeline::Pipeline(const Query& query, const EvalContext& ctx, ExecLimits limits, size_t limit,
                   std::optional<RowKey> after)
    : query_(query),
      own_state_(ctx.state ? nullptr : std::make_unique<EvalState>(limits.memory_budget_bytes)),
      ctx_{ctx.now_micros, ctx.tz_offset_minutes, ctx.state ? ctx.state : own_state_.get()},
      state_(*ctx_.state),
      limits_(limits),
      limit_(limit),
      after_(std::move(after)) {}
Pipeline::~Pipeline() = default;

Result<std::unique_ptr<Pipeline>> Pipeline::Make(const Query& query, const EvalContext& ctx, ExecLimits limits,
                                                 size_t limit, std::optional<RowKey> after, bool filter_after_unpivot) {
  std::unique_ptr<Pipeline> p(new Pipeline(query, ctx, limits, limit, std::move(after)));
  p->filter_after_unpivot_ = filter_after_unpivot && query.filter && !query.unpivot.empty();
  if (query.IsAggregate() || !query.pivot.empty()) {
    TV_ASSIGN_OR_RETURN(p->aggregator_, Aggregator::Make(query, p->ctx_));
  }
  return p;
}

Status ExecLimits::CheckMemory(size_t bytes) const {
  if (bytes <= memory_budget_bytes) return Status::Ok();
  return MemoryBudgetExceeded(memory_budget_bytes);
}

Status ExecLimits::CheckTime() const {
  return std::chrono::steady_clock::now() <= deadline ? Status::Ok() : TimedOut();
}

Status ExecLimits::TimedOut() const {
  return DeadlineExceeded("BTQL: the query ran past its timeout of {} ms; narrow it with a filter or a limit",
                          timeout.count());
}

Status Pipeline::Charge(size_t bytes) {
  memory_bytes_ += bytes;
  state_.Charge(bytes);
  size_t aggregated = aggregator_ ? aggregator_->memory_bytes() : 0;
  if (aggregated > aggregator_charged_) {
    state_.Charge(aggregated - aggregator_charged_);
    aggregator_charged_ = aggregated;
  }
  return state_.status();
}

Status Pipeline::Add(const json::object& row, RowKey key) {
  if ((++added_ & 255) == 0) TV_RETURN_IF_ERROR(limits_.CheckTime());
  if (after_ && query_.sort.empty() && !KeyBefore(*after_, key)) return Status::Ok();
  if (query_.sample && query_.sample->is_rate && !SampledIn(*query_.sample, StringAt(row, "id"))) return Status::Ok();
  if (query_.unpivot.empty()) {
    return AddOne(row, key);
  }
  std::vector<json::object> rows;
  size_t charged = 0;
  ExpandUnpivot(query_, 0, row, ctx_, rows, charged);
  Status status = state_.status();
  for (auto& r : rows) {
    if (!status.ok()) break;
    status = AddOne(r, key);
  }
  state_.Release(charged);
  return status.ok() ? state_.status() : status;
}

Status Pipeline::AddOne(const json::object& r, const RowKey& key) {
  if (filter_after_unpivot_ && !EvalPredicate(*query_.filter, r, ctx_)) return state_.status();
  if (aggregator_) {
    aggregator_->Add(r);
    return Charge(0);
  }
  Emit(Project(query_, r, ctx_), r, key);
  TV_RETURN_IF_ERROR(Charge(kept_.back().bytes));
  // Keep the working set bounded: only the best `cap` rows can be output.
  bool count_sample = query_.sample && !query_.sample->is_rate;
  if (query_.sort.empty() && !count_sample) return Status::Ok();
  size_t cap = count_sample ? static_cast<size_t>(query_.sample->value) : limit_;
  if (kept_.size() <= 2 * cap + 64) return Status::Ok();
  auto better = [&](const Kept& a, const Kept& b) {
    if (count_sample) return a.hash < b.hash;
    if (int c = CompareSortValues(query_.sort, a.sort_values, b.sort_values)) return c < 0;
    return KeyBefore(a.key, b.key);
  };
  std::nth_element(kept_.begin(), kept_.begin() + static_cast<ptrdiff_t>(cap), kept_.end(), better);
  for (size_t i = cap; i < kept_.size(); ++i) {
    memory_bytes_ -= kept_[i].bytes;
    state_.Release(kept_[i].bytes);
  }
  kept_.resize(cap);
  return Status::Ok();
}

void Pipeline::Emit(json::object row, const json::object& source, RowKey key) {
  Kept k;
  for (const auto& s : query_.sort)
    k.sort_values.push_back(EvalValue(s.expr, IsAliasRef(query_, s.expr) ? row : source, ctx_));
  if (query_.sample && !query_.sample->is_rate) k.hash = SampleHash(*query_.sample, StringAt(source, "id"));
  k.bytes = ApproxBytes(row) + 64;
  for (const auto& v : k.sort_values) k.bytes += ApproxBytes(v);
  k.key = std::move(key);
  k.row = std::move(row);
  kept_.push_back(std::move(k));
}

Pipeline::Output Pipeline::Finish() {
  Output out;
  if (aggregator_) {
    json::array groups = aggregator_->Finish();
    kept_.clear();
    for (auto& g : groups) {
      Kept k;
      for (const auto& s : query_.sort) k.sort_values.push_back(EvalValue(s.expr, g.as_object(), ctx_));
      k.row = std::move(g.as_object());
      kept_.push_back(std::move(k));
    }
  }
  bool count_sample = query_.sample && !query_.sample->is_rate && !aggregator_;
  if (count_sample) {
    auto n = static_cast<size_t>(query_.sample->value);
    std::stable_sort(kept_.begin(), kept_.end(), [](const Kept& a, const Kept& b) { return a.hash < b.hash; });
    if (kept_.size() > n) kept_.resize(n);
    if (query_.sort.empty())
      std::stable_sort(kept_.begin(), kept_.end(),
                       [](const Kept& a, const Kept& b) { return KeyBefore(a.key, b.key); });
  }
  if (!query_.sort.empty()) {
    std::stable_sort(kept_.begin(), kept_.end(), [&](const Kept& a, const Kept& b) {
      if (int c = CompareSortValues(query_.sort, a.sort_values, b.sort_values)) return c < 0;
      return !aggregator_ && KeyBefore(a.key, b.key);
    });
  }
  bool pageable = !aggregator_ && query_.sort.empty() && !count_sample;
  if (kept_.size() > limit_) {
    if (pageable && limit_ > 0) out.next = kept_[limit_ - 1].key;
    kept_.resize(limit_);
  }
  out.rows.reserve(kept_.size());
  for (auto& k : kept_) out.rows.push_back(std::move(k.row));
  return out;
}

}  // namespace tv::btql
