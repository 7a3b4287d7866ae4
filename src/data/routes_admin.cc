// Operator routes: POST /v1/admin/compact (compaction on request, what
// `tracevault admin compact` calls), GET /v1/admin/outbound (calls to other
// services per host, docs/outbound.md) and GET /metrics (Prometheus text: the
// store's backlog, indexing and realtime lag, caches, compaction totals,
// outbound totals; aggregate only, for any valid API key).
#include <fmt/format.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "common/ids.h"
#include "data/routes_admin.h"
#include "data/rows/object_access.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

constexpr std::string_view kCompacting = "Compacting";

// "experiment:<uuid>" → the object, resolved for the caller (404 otherwise)
// and owned by an organization the caller is an owner of (403 otherwise).
Result<std::string> ResolveObjectId(const AdminDeps& deps, http::RequestContext& ctx, std::string_view object_id) {
  size_t colon = object_id.find(':');
  std::optional<store::ObjectKind> kind =
      colon == std::string_view::npos ? std::nullopt : store::ParseObjectKind(object_id.substr(0, colon));
  if (!kind) return InvalidArgument("'{}' is not an object id like experiment:<uuid>", object_id);
  store::ObjectRef ref{*kind, std::string(object_id.substr(colon + 1))};
  if (!IsUuid(ref.id) && *kind != store::ObjectKind::kPromptSession)
    return NotFound("{} '{}' not found", store::ObjectKindName(*kind), ref.id);
  TV_ASSIGN_OR_RETURN(store::ObjectOwner owner,
                      ResolveObject(ctx, deps.tenancy, deps.store.catalog(), ref, Access::kWrite));
  TV_RETURN_IF_ERROR(http::Tenancy::RequireOwner(ctx.principal(), owner.org_id, kCompacting));
  return owner.object_id;
}

Result<http::Response> Compact(const AdminDeps& deps, http::RequestContext& ctx) {
  json::object body;
  if (!ctx.request().body.empty()) {
    TV_ASSIGN_OR_RETURN(body, http::ParseBody(ctx));
  }
  TV_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> named, OptStringArray(body, "object_ids"));
  std::vector<std::string> objects;
  if (named && named->empty())
    return InvalidArgument("'object_ids' names no object; omit it to compact every object of your organizations");
  if (named) {
    for (const auto& id : *named) {
      TV_ASSIGN_OR_RETURN(objects.emplace_back(), ResolveObjectId(deps, ctx, id));
    }
  } else {
    const OrgMembership* denied = nullptr;
    for (const auto& org : ctx.principal().orgs) {
      if (!ctx.principal().api_key_org_id.empty() && ctx.principal().api_key_org_id != org.org_id) continue;
      if (org.role != "owner") {
        denied = &org;
        continue;
      }
      TV_ASSIGN_OR_RETURN(std::vector<std::string> ids, deps.store.catalog().ObjectsOf(org.org_id));
      objects.insert(objects.end(), ids.begin(), ids.end());
    }
    // Only a caller who owns every organization it acts in compacts them all.
    if (denied) return http::Tenancy::RequireOwner(ctx.principal(), denied->org_id, kCompacting);
  }
  TV_ASSIGN_OR_RETURN(std::optional<bool> wait, OptBool(body, "wait"));
  if (wait && !*wait) {
    deps.store.compactor().Request(objects);
    return http::Response::Json(202, json::object{{"status", "started"}, {"object_ids", json::value_from(objects)}});
  }
  TV_ASSIGN_OR_RETURN(store::CompactReport report, deps.store.compactor().CompactAll(&objects));
  json::object out = report.ToJson();
  out["object_ids"] = json::value_from(objects);
  // Objects of these whose compaction keeps failing: last error, next retry.
  json::array failing;
  for (const auto& id : objects)
    if (auto f = deps.store.compactor().FailureOf(id)) failing.push_back(f->ToJson());
  out["failing_objects"] = std::move(failing);
  return http::JsonOk(out);
}

void Gauge(std::string& out, std::string_view name, std::string_view help, double value,
           std::string_view type = "gauge") {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

json::object HostJson(const http::HostStats& h) {
  json::object errors;
  for (const auto& [kind, n] : h.errors) errors[kind] = n;
  json::object latency{{"count", h.latency_count},
                       {"sum", h.latency_sum_ms},
                       {"p50", h.LatencyQuantileMs(0.5)},
                       {"p90", h.LatencyQuantileMs(0.9)},
                       {"p99", h.LatencyQuantileMs(0.99)}};
  return json::object{{"requests", h.requests},
                      {"retries", h.retries},
                      {"limited", h.limited},
                      {"limiter_errors", h.limiter_errors},
                      {"aborted", h.aborted},
                      {"errors", std::move(errors)},
                      {"latency_ms", std::move(latency)}};
}

// Host names can name an organization's own endpoints: an owner sees the
// calls made for the organization it acts in (x-bt-org-name, or its only
// one); the totals over every organization are on /metrics.
Result<http::Response> Outbound(const AdminDeps& deps, http::RequestContext& ctx) {
  std::optional<std::string> org_name;
  if (auto h = ctx.request().headers.Get("x-bt-org-name")) org_name = std::string(*h);
  if (auto q = http::QueryString(ctx.request(), "org_name")) org_name = *q;
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
  TV_RETURN_IF_ERROR(http::Tenancy::RequireOwner(ctx.principal(), org.org_id, "Reading outbound call statistics"));
  json::object hosts;
  for (const auto& [host, stats] : deps.outbound.StatsFor(org.org_id)) hosts[host] = HostJson(stats);
  const http::RateLimit& l = deps.outbound.limit();
  json::object limit{{"max_requests", l.enabled() ? l.max_requests : 0},
                     {"window_minutes", std::chrono::duration_cast<std::chrono::minutes>(l.window).count()}};
  return http::JsonOk(
      json::object{{"org_id", org.org_id}, {"rate_limit", std::move(limit)}, {"hosts", std::move(hosts)}});
}

void OutboundTotals(const AdminDeps& deps, std::string& out) {
  uint64_t requests = 0, retries = 0, limited = 0, errors = 0;
  for (const auto& [host, h] : deps.outbound.Stats()) {
    requests += h.requests;
    retries += h.retries;
    limited += h.limited;
    for (const auto& [kind, n] : h.errors) errors += n;
  }
  Gauge(out, "tracevault_outbound_requests_total", "Requests sent to other services (each attempt)",
        static_cast<double>(requests), "counter");
  Gauge(out, "tracevault_outbound_retries_total", "Attempts that were retries", static_cast<double>(retries),
        "counter");
  Gauge(out, "tracevault_outbound_limited_total", "Calls refused by the outbound rate limit",
        static_cast<double>(limited), "counter");
  Gauge(out, "tracevault_outbound_errors_total", "Attempts that failed or answered 4xx/5xx",
        static_cast<double>(errors), "counter");
}

http::Response Metrics(const AdminDeps& deps) {
  store::SpanStore& s = deps.store;
  store::Compactor& c = s.compactor();
  store::CompactReport totals = c.totals();
  std::string out;
  Gauge(out, "tracevault_store_watermark_seconds", "Unix time of the newest committed transaction",
        static_cast<double>(store::XactSeconds(s.watermark())));
  Gauge(out, "tracevault_store_realtime_lag_seconds",
        "Arrival to visibility of the last group commit (acks wait for visibility)",
        static_cast<double>(s.writer().last_visible_lag_us()) / 1e6);
  Gauge(out, "tracevault_store_indexing_lag_seconds", "Age of the oldest row not yet compacted into a segment",
        c.indexing_lag_seconds());
  Gauge(out, "tracevault_store_wal_backlog_rows", "Row versions waiting in the WAL for compaction",
        static_cast<double>(c.backlog_rows()));
  Gauge(out, "tracevault_store_wal_backlog_bytes", "WAL bytes waiting for compaction",
        static_cast<double>(c.backlog_bytes()));
  Gauge(out, "tracevault_compaction_failing_objects", "Objects whose last compaction failed (retried with backoff)",
        static_cast<double>(c.failing_objects()));
  Gauge(out, "tracevault_compaction_failures_total", "Compactions of an object that failed",
        static_cast<double>(c.failures_total()), "counter");
  Result<uint64_t> quarantined = s.quarantine().Count();
  Gauge(out, "tracevault_store_quarantined_rows", "Stored rows set aside because they cannot be decoded",
        static_cast<double>(quarantined.ok() ? *quarantined : s.quarantine().last_count()));
  Gauge(out, "tracevault_store_tail_bytes", "Memory held by decoded WAL tails", static_cast<double>(s.tails().bytes()));
  Gauge(out, "tracevault_store_block_cache_bytes", "Memory held by decoded segment blocks",
        static_cast<double>(s.segment_cache().blocks().bytes()));
  Gauge(out, "tracevault_store_open_segments_bytes", "Memory held by open segments' columns and maps",
        static_cast<double>(s.segment_cache().open_bytes()));
  Gauge(out, "tracevault_store_disk_cache_bytes", "Local disk cache of remote segments",
        static_cast<double>(s.segment_cache().disk_bytes()));
  Gauge(out, "tracevault_compaction_rows_total", "Rows written into segments", static_cast<double>(totals.rows),
        "counter");
  Gauge(out, "tracevault_compaction_raw_bytes_total", "Raw JSON bytes written into segments",
        static_cast<double>(totals.raw_bytes), "counter");
  Gauge(out, "tracevault_compaction_segment_bytes_total", "Segment bytes written", static_cast<double>(totals.bytes),
        "counter");
  Gauge(out, "tracevault_compaction_seconds_total", "Time spent compacting", totals.seconds, "counter");
  OutboundTotals(deps, out);
  return http::Response::Text(200, out, "text/plain; version=0.0.4");
}

}  // namespace

void AddAdminRoutes(http::Router& router, const AdminDeps& deps) {
  router.Add(
      http::Method::kPost, "/v1/admin/compact", [deps](http::RequestContext& ctx) { return Compact(deps, ctx); },
      http::RequestClass::kHeavy);
  router.Add(http::Method::kGet, "/v1/admin/outbound",
             [deps](http::RequestContext& ctx) { return Outbound(deps, ctx); });
  router.Add(http::Method::kGet, "/metrics",
             [deps](http::RequestContext&) -> Result<http::Response> { return Metrics(deps); });
}

}  // namespace tv::data
