#include "btql/traces.h"

#include <algorithm>

#include "btql/aggregate.h"
#include "btql/eval.h"
#include "btql/values.h"

namespace tv::btql {

namespace {

const json::value* Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

double Num(const json::object* o, std::string_view key, bool* present = nullptr) {
  const json::value* v = o ? o->if_contains(key) : nullptr;
  auto d = v ? AsDouble(*v) : std::nullopt;
  if (present) *present = d.has_value();
  return d.value_or(0);
}

void CollectConjuncts(const Expr& e, std::vector<const Expr*>& single, std::vector<const Expr*>& any) {
  if (e.op == Expr::Op::kAnd) {
    for (const auto& c : e.children) CollectConjuncts(c, single, any);
  } else if (e.op == Expr::Op::kAnySpan) {
    any.push_back(&e.children[0]);
  } else {
    single.push_back(&e);
  }
}

size_t CodePointPrefix(std::string_view s, int64_t chars) {
  size_t i = 0;
  for (int64_t n = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (n == chars) break;
      ++n;
    }
  }
  return i;
}

constexpr std::string_view kTokenMetrics[] = {"prompt_tokens", "completion_tokens", "total_tokens",
                                              "prompt_cached_tokens", "prompt_cache_creation_tokens"};
constexpr std::string_view kRootFields[] = {"id",         "span_id",    "root_span_id", "created", "experiment_id",
                                            "dataset_id", "project_id", "log_id",       "org_id",  "span_attributes",
                                            "tags",       "origin"};
constexpr std::string_view kPreviewFields[] = {"input", "output", "expected", "error", "metadata"};

}  // namespace

std::string_view TraceOf(const json::object& row) {
  std::string_view root = StringAt(row, "root_span_id");
  return root.empty() ? StringAt(row, "id") : root;
}

bool IsRootRow(const json::object& row) {
  if (const json::value* r = row.if_contains("is_root"); r && r->is_bool()) return r->get_bool();
  std::string_view root = StringAt(row, "root_span_id");
  return root.empty() || root == StringAt(row, "span_id");
}

TraceFilter::TraceFilter(const std::optional<Expr>& filter, const EvalContext& ctx) : ctx_(ctx) {
  if (filter) CollectConjuncts(*filter, single_, any_span_);
  if (any_span_.size() > 62) any_span_.resize(62);
  all_bits_ = (uint64_t{1} << (any_span_.size() + 1)) - 1;
}

uint64_t TraceFilter::Test(const json::object& span) const {
  uint64_t bits = 1;
  for (const Expr* e : single_) {
    if (!EvalPredicate(*e, span, ctx_)) {
      bits = 0;
      break;
    }
  }
  for (size_t i = 0; i < any_span_.size(); ++i)
    if (EvalPredicate(*any_span_[i], span, ctx_)) bits |= uint64_t{2} << i;
  return bits;
}

bool TraceBefore(const TraceKey& a, const TraceKey& b) { return a.xact != b.xact ? a.xact > b.xact : a.root > b.root; }

json::value Preview(const json::value& v, int64_t length) {
  if (length <= 0 || v.is_null()) return v;
  if (v.is_string()) {
    std::string_view s = v.get_string();
    size_t cut = CodePointPrefix(s, length);
    return cut == s.size() ? v : json::value(s.substr(0, cut));
  }
  if (!v.is_object() && !v.is_array()) return v;
  std::string text = ToJson(v);
  size_t cut = CodePointPrefix(text, length);
  return cut == text.size() ? v : json::value(std::string_view(text).substr(0, cut));
}

struct TraceSummarizer::Trace {
  uint64_t bits = 0;
  uint64_t xact = 0;
  int64_t spans = 0;
  json::object root;  // the root's identifying fields and previews
  bool have_root = false;
  std::map<std::string, std::pair<double, int64_t>, std::less<>> scores;  // sum, count
  std::map<std::string, double, std::less<>> sums;
  double start = 0, end = 0, duration = 0;
  bool have_start = false, have_end = false, have_duration = false;
  double ttft_sum = 0;
  int64_t ttft_count = 0;
  int64_t llm_calls = 0, tool_calls = 0, errors = 0, llm_errors = 0, tool_errors = 0;
  double llm_duration = 0, cost = 0;
  bool have_cost = false, have_llm_duration = false;
};

TraceSummarizer::TraceSummarizer(const TraceFilter& filter, SummaryOptions options)
    : filter_(filter), options_(std::move(options)) {}
TraceSummarizer::~TraceSummarizer() = default;

size_t TraceSummarizer::traces() const { return traces_.size(); }

void TraceSummarizer::Add(const json::object& span, uint64_t xact) {
  std::string_view root_id = TraceOf(span);
  auto it = traces_.find(root_id);
  if (it == traces_.end()) {
    it = traces_.emplace(std::string(root_id), std::make_unique<Trace>()).first;
    memory_bytes_ += sizeof(Trace) + root_id.size() + 64;
  }
  Trace& t = *it->second;
  t.bits |= filter_.Test(span);
  t.xact = std::max(t.xact, xact);
  ++t.spans;
  if (!t.have_root && IsRootRow(span)) {
    t.have_root = true;
    for (auto key : kRootFields)
      if (const json::value* v = Field(span, key)) t.root[key] = *v;
    for (auto key : kPreviewFields)
      if (const json::value* v = Field(span, key)) t.root[key] = Preview(*v, options_.preview_length);
    if (const json::value* v = Field(span, "input")) t.root["comparison_key"] = CanonicalHash(*v);
    memory_bytes_ += ApproxBytes(t.root);
  }
  if (const json::value* s = Field(span, "scores"); s && s->is_object()) {
    for (const auto& kv : s->get_object()) {
      auto d = AsDouble(kv.value());
      if (!d) continue;
      auto [sit, fresh] = t.scores.try_emplace(kv.key(), 0.0, 0);
      if (fresh) memory_bytes_ += kv.key().size() + 64;
      sit->second.first += *d;
      ++sit->second.second;
    }
  }
  const json::value* mv = Field(span, "metrics");
  const json::object* metrics = mv ? mv->if_object() : nullptr;
  bool has_start = false, has_end = false;
  double start = Num(metrics, "start", &has_start), end = Num(metrics, "end", &has_end);
  if (has_start) t.start = t.have_start ? std::min(t.start, start) : start, t.have_start = true;
  if (has_end) t.end = t.have_end ? std::max(t.end, end) : end, t.have_end = true;
  if (has_start && has_end)
    t.duration = t.have_duration ? std::max(t.duration, end - start) : end - start, t.have_duration = true;
  for (auto key : kTokenMetrics) {
    bool present = false;
    double v = Num(metrics, key, &present);
    if (present) t.sums[std::string(key)] += v;
  }
  bool has_ttft = false;
  double ttft = Num(metrics, "time_to_first_token", &has_ttft);
  if (has_ttft) t.ttft_sum += ttft, ++t.ttft_count;
  const json::value* attrs = Field(span, "span_attributes");
  std::string_view type = attrs && attrs->is_object() ? StringAt(attrs->get_object(), "type") : std::string_view();
  bool error = Field(span, "error") != nullptr;
  t.errors += error;
  if (type == "llm") {
    ++t.llm_calls;
    t.llm_errors += error;
    if (has_start && has_end) t.llm_duration += end - start, t.have_llm_duration = true;
  } else if (type == "tool") {
    ++t.tool_calls;
    t.tool_errors += error;
  }
  bool has_cost = false;
  double cost = Num(metrics, "estimated_cost", &has_cost);
  if (!has_cost && type == "llm" && options_.price) {
    const json::value* md = Field(span, "metadata");
    std::string_view model = md && md->is_object() ? StringAt(md->get_object(), "model") : std::string_view();
    bool p = false, c = false;
    double prompt = Num(metrics, "prompt_tokens", &p), completion = Num(metrics, "completion_tokens", &c);
    if (!model.empty() && (p || c)) {
      if (auto est = options_.price(model, prompt, completion, Num(metrics, "prompt_cached_tokens"))) {
        cost = *est;
        has_cost = true;
      }
    }
  }
  if (has_cost) t.cost += cost, t.have_cost = true;
}

std::vector<std::pair<TraceKey, json::object>> TraceSummarizer::Finish() {
  std::vector<std::pair<TraceKey, json::object>> out;
  for (auto& [root_id, tp] : traces_) {
    Trace& t = *tp;
    if (t.bits != filter_.all_bits()) continue;
    json::object row = std::move(t.root);
    if (!row.contains("root_span_id")) row["root_span_id"] = root_id;
    row["_xact_id"] = std::to_string(t.xact);
    json::object scores;
    for (const auto& [name, sc] : t.scores) scores[name] = NumberValue(sc.first / static_cast<double>(sc.second));
    row["scores"] = std::move(scores);
    json::object metrics;
    if (t.have_start) metrics["start"] = NumberValue(t.start);
    if (t.have_end) metrics["end"] = NumberValue(t.end);
    if (t.have_duration) metrics["duration"] = NumberValue(t.duration);
    for (const auto& [name, v] : t.sums) metrics[name] = NumberValue(v);
    if (t.have_cost) metrics["estimated_cost"] = json::value(t.cost);
    metrics["llm_calls"] = t.llm_calls;
    metrics["tool_calls"] = t.tool_calls;
    metrics["errors"] = t.errors;
    metrics["llm_errors"] = t.llm_errors;
    metrics["tool_errors"] = t.tool_errors;
    if (t.have_llm_duration) metrics["llm_duration"] = NumberValue(t.llm_duration);
    if (t.ttft_count) metrics["time_to_first_token"] = json::value(t.ttft_sum / static_cast<double>(t.ttft_count));
    row["metrics"] = std::move(metrics);
    row["span_type_info"] = json::object{{"has_error", t.errors > 0}};
    row["num_spans"] = t.spans;
    out.emplace_back(TraceKey{t.xact, root_id}, std::move(row));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return TraceBefore(a.first, b.first); });
  return out;
}

}  // namespace tv::btql
