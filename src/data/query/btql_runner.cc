#include "data/query/btql_runner.h"

#include <unordered_set>

#include "btql/aggregate.h"
#include "btql/eval.h"
#include "btql/exec.h"
#include "btql/plan.h"
#include "btql/traces.h"
#include "btql/values.h"
#include "common/ids.h"
#include "data/query/btql_functions.h"
#include "data/rows/cursor.h"
#include "data/rows/object_access.h"

namespace tv::data {
namespace {

using btql::Shape;

Result<store::ObjectRef> SourceRef(const btql::Source& from, const std::string& id) {
  std::string_view fn = from.function;
  std::optional<store::ObjectKind> kind;
  if (fn == "playground_logs") {
    kind = store::ObjectKind::kPromptSession;
  } else {
    kind = store::ParseObjectKind(fn);
  }
  if (!kind || (*kind == store::ObjectKind::kPromptSession && fn != "playground_logs"))
    return InvalidArgument("BTQL: from {}(...) is not available yet", fn);
  store::ObjectRef ref{*kind, id};
  if (!IsUuid(ref.id)) return NotFound("{} '{}' not found", fn, ref.id);
  return ref;
}

bool Streamable(const btql::Query& q) {
  return q.sort.empty() && !q.IsAggregate() && q.pivot.empty() && q.unpivot.empty() &&
         !(q.sample && !q.sample->is_rate);
}

bool HasAnySpan(const btql::Expr& e) {
  if (e.op == btql::Expr::Op::kAnySpan) return true;
  for (const auto& c : e.children)
    if (HasAnySpan(c)) return true;
  return false;
}

// Top-level fields the select list reads, so the store copies only those.
std::vector<std::string> ProjectionOf(const btql::Query& q) {
  std::vector<std::string> fields;
  if (q.select_star) return fields;
  std::function<void(const btql::Expr&)> walk = [&](const btql::Expr& e) {
    if (e.op == btql::Expr::Op::kIdent && !e.path.empty()) {
      if (const auto* first = std::get_if<std::string>(&e.path[0]))
        if (std::find(fields.begin(), fields.end(), *first) == fields.end()) fields.push_back(*first);
    }
    for (const auto& c : e.children) walk(c);
  };
  for (const auto& s : q.select) walk(s.expr);
  if (fields.empty()) fields.push_back("id");
  return fields;
}

class Runner {
 public:
  Runner(const QueryDeps& deps, const btql::Query& q, const QueryOptions& o)
      : deps_(deps),
        q_(q),
        o_(o),
        state_(o.memory_budget_bytes),
        ctx_{deps.clock.NowMicros(), o.tz_offset_minutes, &state_} {
    limits_.memory_budget_bytes = o.memory_budget_bytes;
    limits_.deadline = std::chrono::steady_clock::now() + o.timeout;
    limits_.timeout = o.timeout;
    base_.deadline = limits_.deadline;
  }

  Result<QueryOutput> Run(http::RequestContext& ctx) {
    if (q_.from.ids.empty()) return InvalidArgument("BTQL: from {}(...) needs at least one id", q_.from.function);
    for (const auto& id : q_.from.ids) {
      TV_ASSIGN_OR_RETURN(store::ObjectRef ref, SourceRef(q_.from, id));
      TV_ASSIGN_OR_RETURN(store::ObjectOwner owner,
                          ResolveObject(ctx, deps_.tenancy, deps_.store.catalog(), ref, Access::kRead));
      if (std::find(base_.objects.begin(), base_.objects.end(), owner.object_id) == base_.objects.end())
        base_.objects.push_back(owner.object_id);
    }
    int64_t limit = q_.limit.value_or(o_.default_limit);
    if (limit < 0 || limit > o_.max_limit) return InvalidArgument("BTQL: limit must be between 0 and {}", o_.max_limit);
    limit_ = static_cast<size_t>(limit);
    if (q_.sample && !q_.sample->is_rate && (q_.sample->value < 0 || q_.sample->value > 1e7))
      return InvalidArgument("BTQL: a count sample takes between 0 and 10000000 rows");
    base_.as_of = o_.version;
    if (q_.cursor && !q_.cursor->empty()) {
      if (!Streamable(q_) && q_.from.shape != Shape::kSummary)
        return InvalidArgument("BTQL: 'cursor' pages queries without sort, aggregates or a count sample; use limit");
      if (q_.from.shape == Shape::kSummary && (!q_.sort.empty() || q_.IsAggregate()))
        return InvalidArgument("BTQL: 'cursor' pages queries without sort, aggregates or a count sample; use limit");
      TV_RETURN_IF_ERROR(ApplyCursor(*q_.cursor, base_));
    }
    bool any_span = q_.filter && HasAnySpan(*q_.filter);
    if (any_span && q_.from.shape == Shape::kSpans)
      return InvalidArgument("BTQL: any_span(...) applies to the traces and summary shapes");
    if (q_.from.shape == Shape::kTraces && !q_.sort.empty())
      return InvalidArgument("BTQL: 'sort' applies to the spans and summary shapes; traces come newest first");
    Result<QueryOutput> out = Shaped(any_span);
    // An expression's error or the budget (the residual filter has no other
    // way to report it) wins over what the scan made of it.
    if (state_.failed()) return state_.status();
    if (!out.ok()) return out;
    TV_RETURN_IF_ERROR(ChargeResponse(*out));
    return out;
  }

  const btql::ExecLimits& limits() const { return limits_; }

 private:
  Result<QueryOutput> Shaped(bool any_span) {
    if (q_.from.shape == Shape::kSummary) return Summary();
    if (q_.from.shape == Shape::kTraces && !any_span && Streamable(q_)) return Stream(store::LimitUnit::kTraces);
    if (q_.from.shape == Shape::kTraces) return Traces();
    if (Streamable(q_)) return Stream(store::LimitUnit::kRows);
    return Spans();
  }

  // The response is built from the rows: their JSON text counts against the
  // budget too (streamed rows were charged as they were projected).
  Status ChargeResponse(const QueryOutput& out) {
    if (response_charged_) return Status::Ok();
    for (const auto& row : out.data) {
      if (!state_.Charge(btql::SerializedSize(row))) return state_.status();
    }
    return Status::Ok();
  }

  void Narrow(store::ScanSpec& spec) const {
    if (!q_.filter) return;
    btql::Pushdown push = btql::ExtractPushdown(*q_.filter);
    spec.ids = std::move(push.ids);
    spec.root_span_ids = std::move(push.root_span_ids);
    for (auto& m : push.matches) spec.match.push_back({std::move(m.path), std::move(m.query)});
  }

  // The filter as the store's residual predicate; with `sample` also the
  // rate sample (streamed queries, which have no executor to sample them).
  std::function<bool(const json::object&)> Residual(bool sample) const {
    const btql::Query& q = q_;
    const btql::EvalContext& ctx = ctx_;
    sample = sample && q.sample && q.sample->is_rate;
    if (!q.filter && !sample) return nullptr;
    return [&q, &ctx, sample](const json::object& row) {
      if (sample && !btql::SampledIn(*q.sample, btql::StringAt(row, "id"))) return false;
      return !q.filter || btql::EvalPredicate(*q.filter, row, ctx);
    };
  }

  // spans / traces with no sort or grouping: the store filters, pages and stops at the limit.
  Result<QueryOutput> Stream(store::LimitUnit unit) {
    store::ScanSpec spec = base_;
    Narrow(spec);
    spec.filter = Residual(true);
    spec.limit_unit = unit;
    spec.limit = limit_;
    spec.projection = ProjectionOf(q_);
    QueryOutput out;
    if (limit_ == 0) {
      out.snapshot = spec.as_of ? std::min(*spec.as_of, deps_.store.watermark()) : deps_.store.watermark();
      return out;
    }
    TV_ASSIGN_OR_RETURN(store::ScanResult result, deps_.store.Scan(spec));
    out.snapshot = result.snapshot;
    out.data.reserve(result.rows.size());
    for (const auto& row : result.rows) {
      json::object projected = btql::Project(q_, *row, ctx_);
      if (state_.failed()) return state_.status();
      if (!state_.Charge(btql::ApproxBytes(projected) + btql::SerializedSize(projected))) return state_.status();
      out.data.push_back(std::move(projected));
    }
    response_charged_ = true;
    if (result.next) out.cursor = EncodeCursor({result.snapshot, *result.next});
    return out;
  }

  // spans with sort, grouping, unpivot or a count sample: every matching row
  // flows through the executor, which keeps only what can be output.
  Result<QueryOutput> Spans() {
    store::ScanSpec spec = base_;
    bool unpivot = !q_.unpivot.empty();  // the filter may read the unpivoted columns: it runs after
    if (!unpivot) {
      Narrow(spec);
      spec.filter = Residual(false);
    }
    TV_ASSIGN_OR_RETURN(auto pipeline, btql::Pipeline::Make(q_, ctx_, limits_, limit_, std::nullopt, unpivot));
    TV_ASSIGN_OR_RETURN(store::XactId snapshot,
                        deps_.store.Visit(spec, [&](const json::object& row, store::XactId xact) {
                          return pipeline->Add(row, {xact, std::string(btql::StringAt(row, "id"))});
                        }));
    QueryOutput out;
    out.snapshot = snapshot;
    out.data = std::move(pipeline->Finish().rows);
    return out;
  }

  // The traces a filter's indexable terms can reach, or nullopt for all.
  Result<std::optional<std::vector<std::string>>> CandidateTraces() {
    store::ScanSpec spec = base_;
    spec.after.reset();
    Narrow(spec);
    if (!spec.ids && !spec.root_span_ids && spec.match.empty()) return std::optional<std::vector<std::string>>();
    std::unordered_set<std::string> seen;
    std::vector<std::string> roots;
    TV_RETURN_IF_ERROR(deps_.store
                           .Visit(spec,
                                  [&](const json::object& row, store::XactId) -> Status {
                                    if (seen.insert(std::string(btql::TraceOf(row))).second)
                                      roots.emplace_back(btql::TraceOf(row));
                                    return limits_.CheckTime();
                                  })
                           .status());
    return std::optional<std::vector<std::string>>(std::move(roots));
  }

  // Every span of the candidate traces, newest first, to `visit`.
  Result<store::XactId> VisitTraces(const store::RowVisitor& visit) {
    TV_ASSIGN_OR_RETURN(auto candidates, CandidateTraces());
    store::ScanSpec spec;
    spec.objects = base_.objects;
    spec.deadline = base_.deadline;
    spec.as_of = base_.as_of;
    if (candidates) {
      if (candidates->empty()) {
        return base_.as_of ? std::min(*base_.as_of, deps_.store.watermark()) : deps_.store.watermark();
      }
      spec.root_span_ids = std::move(*candidates);
    }
    return deps_.store.Visit(spec, visit);
  }

  std::optional<btql::RowKey> CursorKey() const {
    if (!base_.after) return std::nullopt;
    return btql::RowKey{base_.after->xact, base_.after->tie};
  }

  Result<QueryOutput> Summary() {
    btql::TraceFilter filter(q_.filter, ctx_);
    btql::SummaryOptions options;
    options.preview_length = q_.preview_length.value_or(o_.default_preview_length);
    options.price = [&prices = deps_.prices](std::string_view model, double prompt, double completion, double cached) {
      return prices.Cost(model, prompt, completion, cached);
    };
    btql::TraceSummarizer summarizer(filter, options);
    size_t n = 0;
    TV_ASSIGN_OR_RETURN(store::XactId snapshot, VisitTraces([&](const json::object& row, store::XactId xact) -> Status {
                          summarizer.Add(row, xact);
                          if (state_.failed()) return state_.status();
                          if ((++n & 255) == 0) {
                            TV_RETURN_IF_ERROR(limits_.CheckTime());
                            TV_RETURN_IF_ERROR(limits_.CheckMemory(summarizer.memory_bytes()));
                          }
                          return Status::Ok();
                        }));
    TV_RETURN_IF_ERROR(limits_.CheckMemory(summarizer.memory_bytes()));
    auto rows = summarizer.Finish();
    TV_ASSIGN_OR_RETURN(auto pipeline, btql::Pipeline::Make(q_, ctx_, limits_, limit_, CursorKey()));
    for (auto& [key, row] : rows) {
      TV_RETURN_IF_ERROR(pipeline->Add(row, {key.xact, key.root}));
    }
    btql::Pipeline::Output result = pipeline->Finish();
    QueryOutput out;
    out.snapshot = snapshot;
    out.data = std::move(result.rows);
    if (result.next) out.cursor = EncodeCursor({snapshot, store::ScanKey{result.next->xact, result.next->tie}});
    return out;
  }

  // traces with any_span, grouping, unpivot or a count sample: whole traces
  // are gathered, qualified, paged, then run through the executor.
  Result<QueryOutput> Traces() {
    btql::TraceFilter filter(q_.filter, ctx_);
    struct Gathered {
      uint64_t bits = 0;
      uint64_t xact = 0;
      std::vector<json::object> spans;
    };
    std::map<std::string, Gathered, std::less<>> traces;
    size_t bytes = 0, n = 0;
    TV_ASSIGN_OR_RETURN(store::XactId snapshot, VisitTraces([&](const json::object& row, store::XactId xact) -> Status {
                          auto& t = traces[std::string(btql::TraceOf(row))];
                          t.bits |= filter.Test(row);
                          if (state_.failed()) return state_.status();
                          t.xact = std::max<uint64_t>(t.xact, xact);
                          t.spans.push_back(row);
                          size_t row_bytes = btql::ApproxBytes(row);
                          bytes += row_bytes;
                          if (!state_.Charge(row_bytes)) return state_.status();
                          if ((++n & 63) == 0) {
                            TV_RETURN_IF_ERROR(limits_.CheckTime());
                            TV_RETURN_IF_ERROR(limits_.CheckMemory(bytes));
                          }
                          return Status::Ok();
                        }));
    TV_RETURN_IF_ERROR(limits_.CheckMemory(bytes));
    std::vector<btql::TraceKey> keys;
    for (const auto& [root, t] : traces) {
      if (t.bits != filter.all_bits()) continue;
      btql::TraceKey key{t.xact, root};
      if (base_.after && !btql::TraceBefore(btql::TraceKey{base_.after->xact, base_.after->tie}, key)) continue;
      keys.push_back(std::move(key));
    }
    std::sort(keys.begin(), keys.end(), btql::TraceBefore);
    QueryOutput out;
    out.snapshot = snapshot;
    bool pageable = Streamable(q_);
    size_t take = pageable ? std::min(keys.size(), limit_) : keys.size();
    if (pageable && take < keys.size() && take > 0)
      out.cursor = EncodeCursor({snapshot, store::ScanKey{keys[take - 1].xact, keys[take - 1].root}});
    TV_ASSIGN_OR_RETURN(auto pipeline,
                        btql::Pipeline::Make(q_, ctx_, limits_, pageable ? SIZE_MAX : limit_, std::nullopt));
    for (size_t i = 0; i < take; ++i) {
      auto& spans = traces.find(keys[i].root)->second.spans;
      for (auto& span : spans)
        TV_RETURN_IF_ERROR(pipeline->Add(span, {keys[i].xact, std::string(btql::StringAt(span, "id"))}));
    }
    out.data = std::move(pipeline->Finish().rows);
    return out;
  }

  const QueryDeps& deps_;
  const btql::Query& q_;
  const QueryOptions& o_;
  btql::EvalState state_;
  btql::EvalContext ctx_;
  btql::ExecLimits limits_;
  store::ScanSpec base_;
  size_t limit_ = 0;
  bool response_charged_ = false;
};

}  // namespace

// `sort: _xact_id desc` is the store's own order: such a query streams and
// stops at its limit instead of sorting every match.
bool SortsInStoreOrder(const btql::Query& q) {
  if (q.sort.size() != 1 || !q.sort[0].descending) return false;
  const btql::Expr& e = q.sort[0].expr;
  return e.op == btql::Expr::Op::kIdent && e.path.size() == 1 && e.path[0] == btql::PathPart(std::string("_xact_id")) &&
         !q.IsAggregate() && q.pivot.empty() && q.from.shape != Shape::kSummary;
}

Result<QueryOutput> RunQuery(const QueryDeps& deps, http::RequestContext& ctx, const btql::Query& given_query,
                             const QueryOptions& given) {
  if (IsFunctionSource(given_query.from.function)) return RunFunctionQuery(deps, ctx, given_query, given);
  std::optional<btql::Query> unsorted;
  if (SortsInStoreOrder(given_query)) {
    unsorted = given_query;
    unsorted->sort.clear();
  }
  const btql::Query& query = unsorted ? *unsorted : given_query;
  QueryOptions options = given;
  if (options.memory_budget_bytes == 0) options.memory_budget_bytes = deps.memory_bytes;
  if (options.timeout.count() == 0) options.timeout = deps.timeout;
  Runner runner(deps, query, options);
  Result<QueryOutput> out = runner.Run(ctx);
  // The store's scans stop at the same deadline with their own wording.
  if (!out.ok() && out.status().code() == StatusCode::kDeadlineExceeded) return runner.limits().TimedOut();
  return out;
}

}  // namespace tv::data
