// Experiment and dataset summaries (docs/api.md, "Summaries and comparisons"):
//   GET /experiment-comparison2?experiment_id=X[&base_experiment_id=Y]  (the SDKs' summarize())
//   GET /v1/experiment/:id/summarize[?summarize_scores=&comparison_experiment_id=]
//   GET /v1/dataset/:id/summarize[?summarize_data=]
// Each is a BTQL query through RunQuery: the summary shape (one row per trace,
// scores averaged over the trace's spans, metrics summed or spanned) for
// experiments, `measures: count(1)` for datasets. This file only folds those
// rows into means and compares two experiments trace by trace.
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "btql/ast.h"
#include "btql/expr_builders.h"
#include "data/query/btql_runner.h"
#include "data/query/query_routes.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

// One trace of an experiment, reduced to what a comparison reads.
struct TraceValues {
  std::string comparison_key;  // traces of two experiments with the same key are compared
  std::map<std::string, double, std::less<>> scores;
  std::map<std::string, double, std::less<>> metrics;
};
using Experiment = std::vector<TraceValues>;
using ValueMap = std::map<std::string, double, std::less<>> TraceValues::*;

// Which direction of change counts as an improvement.
enum class Better { kHigher, kLower };

struct MetricDef {
  const char* name;
  const char* unit;
};
// The metrics a comparison reports, in this order; lower is better for all.
constexpr MetricDef kMetrics[] = {
    {"duration", "s"},       {"llm_duration", "s"},   {"prompt_tokens", "tok"}, {"completion_tokens", "tok"},
    {"total_tokens", "tok"}, {"estimated_cost", "$"},
};

void ReadNumbers(const json::object& row, std::string_view field, std::map<std::string, double, std::less<>>& out) {
  const json::value* v = row.if_contains(field);
  if (!v || !v->is_object()) return;
  for (const auto& kv : v->as_object())
    if (kv.value().is_number()) out[std::string(kv.key())] = kv.value().to_number<double>();
}

TraceValues FromSummaryRow(const json::object& row) {
  TraceValues t;
  t.comparison_key = StringField(row, "comparison_key");
  ReadNumbers(row, "scores", t.scores);
  ReadNumbers(row, "metrics", t.metrics);
  // A trace's duration is its longest span; derive it from start/end when
  // the row carries only those.
  if (!t.metrics.count("duration") && t.metrics.count("start") && t.metrics.count("end"))
    t.metrics["duration"] = t.metrics["end"] - t.metrics["start"];
  return t;
}

// Every trace of `experiment_id` in one summary query: a summary reads every
// span of the object whatever its limit, so paging would repeat that work;
// the query's memory budget bounds it instead.
Result<Experiment> LoadExperiment(const QueryDeps& deps, http::RequestContext& ctx, const std::string& experiment_id) {
  QueryOptions options;
  options.default_preview_length = 1;  // only scores, metrics and the key are read (0 would keep whole values)
  options.max_limit = std::numeric_limits<int64_t>::max();
  btql::Query query;
  query.from.function = "experiment";
  query.from.ids = {experiment_id};
  query.from.shape = btql::Shape::kSummary;
  query.limit = options.max_limit;
  TV_ASSIGN_OR_RETURN(QueryOutput out, RunQuery(deps, ctx, query, options));
  Experiment traces;
  traces.reserve(out.data.size());
  for (const auto& row : out.data)
    if (row.is_object()) traces.push_back(FromSummaryRow(row.as_object()));
  return traces;
}

struct Mean {
  double sum = 0;
  int64_t count = 0;
  void Add(double v) {
    sum += v;
    ++count;
  }
  double value() const { return count ? sum / static_cast<double>(count) : 0; }
};

// The base's mean of `name` per comparison key (several base traces may
// share a key: their mean is what a current trace is compared with).
std::unordered_map<std::string, Mean> BaseByKey(const Experiment& base, ValueMap field, const std::string& name) {
  std::unordered_map<std::string, Mean> by_key;
  for (const auto& t : base) {
    auto it = (t.*field).find(name);
    if (it != (t.*field).end() && !t.comparison_key.empty()) by_key[t.comparison_key].Add(it->second);
  }
  return by_key;
}

struct Comparison {
  double mean = 0;
  std::optional<double> diff;  // only with a base that has the value too
  int64_t improvements = 0;
  int64_t regressions = 0;
};

Comparison Compare(const Experiment& current, const Experiment* base, ValueMap field, const std::string& name,
                   Better better) {
  Mean cur;
  for (const auto& t : current)
    if (auto it = (t.*field).find(name); it != (t.*field).end()) cur.Add(it->second);
  Comparison c;
  c.mean = cur.value();
  if (!base) return c;
  Mean base_mean;
  for (const auto& t : *base)
    if (auto it = (t.*field).find(name); it != (t.*field).end()) base_mean.Add(it->second);
  if (base_mean.count > 0) c.diff = c.mean - base_mean.value();
  std::unordered_map<std::string, Mean> by_key = BaseByKey(*base, field, name);
  for (const auto& t : current) {
    auto value = (t.*field).find(name);
    auto matched = by_key.find(t.comparison_key);
    if (value == (t.*field).end() || matched == by_key.end()) continue;
    double delta = value->second - matched->second.value();
    if (delta == 0) continue;
    bool up_is_better = better == Better::kHigher;
    ((delta > 0) == up_is_better ? c.improvements : c.regressions)++;
  }
  return c;
}

std::set<std::string> NamesIn(const Experiment& traces, ValueMap field) {
  std::set<std::string> names;
  for (const auto& t : traces)
    for (const auto& kv : t.*field) names.insert(kv.first);
  return names;
}

void PutComparison(json::object& out, const Comparison& c) {
  if (c.diff) out["diff"] = *c.diff;
  out["improvements"] = c.improvements;
  out["regressions"] = c.regressions;
}

// {"scores": {name: ScoreSummary}, "metrics": {name: MetricSummary}}.
json::object CompareExperiments(const Experiment& current, const Experiment* base) {
  json::object scores;
  for (const std::string& name : NamesIn(current, &TraceValues::scores)) {
    Comparison c = Compare(current, base, &TraceValues::scores, name, Better::kHigher);
    json::object s{{"name", name}, {"score", c.mean}};
    PutComparison(s, c);
    scores[name] = std::move(s);
  }
  std::set<std::string> present = NamesIn(current, &TraceValues::metrics);
  json::object metrics;
  for (const MetricDef& m : kMetrics) {
    if (!present.count(m.name)) continue;
    Comparison c = Compare(current, base, &TraceValues::metrics, m.name, Better::kLower);
    json::object s{{"name", m.name}, {"metric", c.mean}, {"unit", m.unit}};
    PutComparison(s, c);
    metrics[m.name] = std::move(s);
  }
  return json::object{{"scores", std::move(scores)}, {"metrics", std::move(metrics)}};
}

// A query parameter that, when present, must be non-empty.
Result<std::optional<std::string>> OptionalParam(const http::Request& req, std::string_view name) {
  std::optional<std::string> v = http::QueryString(req, name);
  if (v && v->empty()) return InvalidArgument("'{}' must not be empty", name);
  return v;
}

Result<bool> BoolParam(const http::Request& req, std::string_view name, bool fallback) {
  std::optional<std::string> v = http::QueryString(req, name);
  if (!v) return fallback;
  if (*v == "true" || *v == "1") return true;
  if (*v == "false" || *v == "0") return false;
  return InvalidArgument("'{}' must be true or false, got '{}'", name, *v);
}

// The comparison of an experiment with an optional base, each id checked
// against the caller's organizations first (a malformed id is a 400 there).
Result<json::object> CompareById(const QueryDeps& deps, http::RequestContext& ctx, const std::string& experiment_id,
                                 const std::optional<std::string>& base_id) {
  TV_RETURN_IF_ERROR(deps.tenancy.Require(ctx, ObjectType::kExperiment, experiment_id).status());
  if (base_id) TV_RETURN_IF_ERROR(deps.tenancy.Require(ctx, ObjectType::kExperiment, *base_id).status());
  TV_ASSIGN_OR_RETURN(Experiment current, LoadExperiment(deps, ctx, experiment_id));
  if (!base_id) return CompareExperiments(current, nullptr);
  TV_ASSIGN_OR_RETURN(Experiment base, LoadExperiment(deps, ctx, *base_id));
  return CompareExperiments(current, &base);
}

Result<http::Response> GetComparison2(const QueryDeps& deps, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(std::optional<std::string> id, OptionalParam(ctx.request(), "experiment_id"));
  if (!id) return InvalidArgument("'experiment_id' is required");
  TV_ASSIGN_OR_RETURN(std::optional<std::string> base, OptionalParam(ctx.request(), "base_experiment_id"));
  TV_ASSIGN_OR_RETURN(json::object body, CompareById(deps, ctx, *id, base));
  return http::JsonOk(body);
}

// encodeURIComponent, as the SDK builds its links.
std::string EncodeComponent(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || std::string_view("-_.!~*'()").find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// {app_url}/app/{org}/p/{project}: the link form the SDK prints.
std::string ProjectUrl(const QueryDeps& deps, const http::RequestContext& ctx, const ObjectInfo& info) {
  const OrgMembership* org = ctx.principal().FindOrg(info.org_id);
  return fmt::format("{}/app/{}/p/{}", deps.app_url, EncodeComponent(org ? org->org_name : info.org_id),
                     EncodeComponent(info.project_name));
}

Result<http::Response> SummarizeExperiment(const QueryDeps& deps, http::RequestContext& ctx) {
  std::string id(ctx.Param("id"));
  TV_ASSIGN_OR_RETURN(ObjectInfo info, deps.tenancy.Require(ctx, ObjectType::kExperiment, id));
  TV_ASSIGN_OR_RETURN(bool summarize_scores, BoolParam(ctx.request(), "summarize_scores", false));
  TV_ASSIGN_OR_RETURN(std::optional<std::string> comparison_id,
                      OptionalParam(ctx.request(), "comparison_experiment_id"));
  std::string project_url = ProjectUrl(deps, ctx, info);
  json::object body{
      {"project_name", info.project_name},
      {"experiment_name", info.name},
      {"project_url", project_url},
      {"experiment_url", fmt::format("{}/experiments/{}", project_url, EncodeComponent(info.name))},
  };
  if (!summarize_scores) return http::JsonOk(body);
  // Without comparison_experiment_id there is no base: the data plane cannot
  // read an experiment's base_exp_id through its ControlPlaneClient.
  if (comparison_id) {
    TV_ASSIGN_OR_RETURN(ObjectInfo base, deps.tenancy.Require(ctx, ObjectType::kExperiment, *comparison_id));
    body["comparison_experiment_name"] = base.name;
  } else {
    body["comparison_experiment_name"] = nullptr;
  }
  TV_ASSIGN_OR_RETURN(json::object compared, CompareById(deps, ctx, id, comparison_id));
  body["scores"] = std::move(compared["scores"]);
  body["metrics"] = std::move(compared["metrics"]);
  return http::JsonOk(body);
}

// count(1) over the dataset's live rows: an aggregate query with no
// dimensions answers with one row.
Result<int64_t> CountDatasetRecords(const QueryDeps& deps, http::RequestContext& ctx, const std::string& dataset_id) {
  btql::Expr count;
  count.op = btql::Expr::Op::kCall;
  count.name = "count";
  count.children.push_back(btql::MakeLiteral(json::value(1)));
  btql::Query query;
  query.select_star = false;
  query.from.function = "dataset";
  query.from.ids = {dataset_id};
  query.measures.push_back({std::move(count), "total_records"});
  TV_ASSIGN_OR_RETURN(QueryOutput out, RunQuery(deps, ctx, query, QueryOptions{}));
  if (out.data.empty() || !out.data[0].is_object()) return 0;
  const json::value* n = out.data[0].as_object().if_contains("total_records");
  if (!n || !n->is_number()) return 0;
  return static_cast<int64_t>(n->to_number<double>());
}

Result<http::Response> SummarizeDataset(const QueryDeps& deps, http::RequestContext& ctx) {
  std::string id(ctx.Param("id"));
  TV_ASSIGN_OR_RETURN(ObjectInfo info, deps.tenancy.Require(ctx, ObjectType::kDataset, id));
  TV_ASSIGN_OR_RETURN(bool summarize_data, BoolParam(ctx.request(), "summarize_data", false));
  std::string project_url = ProjectUrl(deps, ctx, info);
  json::object body{
      {"project_name", info.project_name},
      {"dataset_name", info.name},
      {"project_url", project_url},
      {"dataset_url", fmt::format("{}/datasets/{}", project_url, EncodeComponent(info.name))},
  };
  if (summarize_data) {
    TV_ASSIGN_OR_RETURN(int64_t total, CountDatasetRecords(deps, ctx, id));
    body["data_summary"] = json::object{{"total_records", total}};
  }
  return http::JsonOk(body);
}

}  // namespace

void AddSummaryRoutes(http::Router& router, const QueryDeps& deps) {
  router.Add(
      http::Method::kGet, "/experiment-comparison2",
      [deps](http::RequestContext& ctx) { return GetComparison2(deps, ctx); }, http::RequestClass::kHeavy);
  router.Add(
      http::Method::kGet, "/v1/experiment/:id/summarize",
      [deps](http::RequestContext& ctx) { return SummarizeExperiment(deps, ctx); }, http::RequestClass::kHeavy);
  router.Add(
      http::Method::kGet, "/v1/dataset/:id/summarize",
      [deps](http::RequestContext& ctx) { return SummarizeDataset(deps, ctx); }, http::RequestClass::kHeavy);
}

}  // namespace tv::data
