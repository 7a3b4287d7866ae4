#include "cli/server_config.h"

#include <cctype>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/strings.h"
#include "data/control_plane/caching_control_plane_client.h"
#include "data/data_plane.h"
#include "http/memory_budget.h"
#include "http/rate_limiter.h"
#include "http/tenant_slots.h"
#include "objstore/s3/s3_object_store.h"
#include "proxy/providers.h"

namespace tv::cli {

std::string DefaultListen() {
  const http::ServerOptions server;
  return server.host + ":" + std::to_string(server.port);
}

StoreFlags::StoreFlags() {
  const data::DataPlaneOptions data;
  const store::SpanStoreOptions& store = data.store;
  s3_region = objstore::S3Options().region;
  s3_virtual_hosted = !objstore::S3Options().path_style;
  logs3_payload_max_bytes = data.logs3_payload_max_bytes;
  group_commit_us = static_cast<int>(store.writer.window.count());
  group_commit_bytes = store.writer.max_chunk_bytes;
  commit_deadline_ms = static_cast<int>(store.writer.deadline.count());
  tail_memory_mb = store.tail_memory_bytes >> 20;
  cache_disk_mb = store.cache.disk_bytes >> 20;
  block_cache_mb = store.cache.block_bytes >> 20;
  compact_fold_rows = store.compactor.fold_rows;
  compact_fold_age_s = static_cast<int>(store.compactor.fold_age.count());
  background_compaction = store.compactor.background;
  history_retention_hours =
      static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(store.compactor.history_retention).count());
  gc_grace_s = static_cast<int>(store.compactor.grace.count());
  max_backlog_mb = store.max_backlog_bytes >> 20;
  compression = store.writer.compress;
  query_memory_mb = data.query_memory_bytes >> 20;
  query_timeout_ms = static_cast<uint64_t>(data.query_timeout.count());
  proxy_allowed_hosts = std::string(proxy::AllowList::DefaultSpec());
  proxy_timeout_ms = static_cast<uint64_t>(data.proxy_timeout.count());
  proxy_idle_timeout_ms = static_cast<uint64_t>(data.proxy_idle_timeout.count());
}

ServerFlags::ServerFlags() {
  const http::ServerOptions server;
  listen = DefaultListen();
  keep_alive_timeout_s = static_cast<int>(server.keep_alive_timeout.count());
  request_timeout_s = static_cast<int>(server.request_timeout.count());
  max_body_bytes = server.max_body_bytes;
  max_concurrent_requests = server.max_concurrent_requests;
  max_connections_per_client = server.max_connections_per_client;
  drain_timeout_s = static_cast<int>(server.drain_timeout.count());
  heavy_per_key = http::TenantLimits().per_key;
  heavy_per_org = http::TenantLimits().per_org;
  const http::RateLimit outbound;
  outbound_rate_limit_max_requests = outbound.max_requests;
  outbound_rate_limit_window_minutes =
      static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(outbound.window).count());
}

std::array<int, http::kRequestClassCount> DefaultClassThreads() {
  std::array<int, http::kRequestClassCount> out;
  for (const auto& info : http::kRequestClasses) out[http::RequestClassIndex(info.id)] = info.default_threads;
  return out;
}

std::array<int, http::kRequestClassCount> DefaultClassQueues() {
  std::array<int, http::kRequestClassCount> out;
  for (const auto& info : http::kRequestClasses) out[http::RequestClassIndex(info.id)] = info.default_queue;
  return out;
}

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// --worker-threads (the light class), --{ingest,heavy,model}-threads, --{class}-queue,
// --single-worker-pool and the per-tenant heavy limits.
void AddWorkerPoolFlags(CLI::App& cmd, ServerFlags& f) {
  for (const auto& info : http::kRequestClasses) {
    size_t i = http::RequestClassIndex(info.id);
    bool light = info.id == http::RequestClass::kLight;
    std::string name(info.name);
    cmd.add_option(light ? "--worker-threads" : "--" + name + "-threads", f.class_threads[i],
                   light
                       ? "Threads running light requests (lookups, lists, auth); all requests with --single-worker-pool"
                       : "Threads running " + name + " requests")
        ->envname(light ? "TRACEVAULT_WORKER_THREADS" : "TRACEVAULT_" + Upper(name) + "_THREADS")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    cmd.add_option("--" + name + "-queue", f.class_queue[i],
                   "Waiting " + name + " requests beyond its busy threads before 429")
        ->envname("TRACEVAULT_" + Upper(name) + "_QUEUE")
        ->check(CLI::Range(0, 1 << 20))
        ->capture_default_str();
  }
  cmd.add_flag("--single-worker-pool", f.single_worker_pool,
               "Run every request class in one pool of --worker-threads (for comparison only)")
      ->envname("TRACEVAULT_SINGLE_WORKER_POOL");
  cmd.add_option("--heavy-per-key", f.heavy_per_key,
                 "Heavy requests (BTQL, summaries) running at once per API key; 0: no limit")
      ->envname("TRACEVAULT_HEAVY_PER_KEY")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  cmd.add_option("--heavy-per-org", f.heavy_per_org, "Heavy requests running at once per organization; 0: no limit")
      ->envname("TRACEVAULT_HEAVY_PER_ORG")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
}

}  // namespace

void AddServerFlags(CLI::App& cmd, ServerFlags& f, Role role) {
  cmd.add_option("--data-dir", f.data_dir, "Directory for databases and keys")
      ->envname("TRACEVAULT_DATA_DIR")
      ->capture_default_str();
  cmd.add_option("--listen", f.listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->envname("TRACEVAULT_LISTEN")
      ->capture_default_str();
  cmd.add_option("--public-url", f.public_url, "URL clients reach this server at (default: from --listen)")
      ->envname("TRACEVAULT_PUBLIC_URL");
  if (role == Role::kControl)
    cmd.add_option("--data-plane-url", f.data_plane_url, "Data plane URL returned to SDKs at login")
        ->envname("TRACEVAULT_DATA_PLANE_URL");
  if (role == Role::kData)
    cmd.add_option("--control-plane-url", f.control_plane_url, "URL of the control plane")
        ->envname("TRACEVAULT_CONTROL_PLANE_URL")
        ->required();
  if (role != Role::kControl)
    cmd.add_option("--app-public-url", f.app_public_url,
                   "URL of the web app, the base of experiment and project links (default: the public URL; on a "
                   "data plane, the control plane's URL; BRAINTRUST_APP_PUBLIC_URL is read too)")
        ->envname("TRACEVAULT_APP_PUBLIC_URL");
  cmd.add_option("--cors-origins", f.cors_origins, "Comma-separated browser origins allowed by CORS")
      ->envname("TRACEVAULT_CORS_ORIGINS");
  if (role != Role::kData)
    cmd.add_option("--webapp-dir", f.webapp_dir,
                   "Serve the web app from this directory (a built web/dist) instead of the copy in the binary")
        ->envname("TRACEVAULT_WEBAPP_DIR");
  cmd.add_option("--keep-alive-timeout", f.keep_alive_timeout_s, "Idle keep-alive timeout in seconds")
      ->envname("TS_API_KEEP_ALIVE_TIMEOUT_SECONDS")
      ->capture_default_str();
  cmd.add_option("--request-timeout", f.request_timeout_s, "Per-request timeout in seconds")
      ->envname("TRACEVAULT_REQUEST_TIMEOUT_SECONDS")
      ->capture_default_str();
  cmd.add_option("--max-body-bytes", f.max_body_bytes, "Largest accepted request body")
      ->envname("TRACEVAULT_MAX_BODY_BYTES")
      ->capture_default_str();
  cmd.add_option("--max-concurrent-requests", f.max_concurrent_requests, "Handlers running at once before 429")
      ->envname("TRACEVAULT_MAX_CONCURRENT_REQUESTS")
      ->capture_default_str();
  cmd.add_option("--max-connections-per-client", f.max_connections_per_client,
                 "Open connections one client IP address may hold; further ones get a 429 and are closed")
      ->envname("TRACEVAULT_MAX_CONNECTIONS_PER_CLIENT")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  cmd.add_option("--memory-percent", f.memory_percent,
                 fmt::format("Percent of available memory that buffered bodies may use (default: NODE_MEMORY_PERCENT, "
                             "else {})",
                             kDefaultMemoryPercent))
      ->envname("TRACEVAULT_MEMORY_PERCENT")
      ->check(CLI::Range(1, 100));
  cmd.add_option("--io-threads", f.io_threads, "Socket threads (0: one per core)")->envname("TRACEVAULT_IO_THREADS");
  AddWorkerPoolFlags(cmd, f);
  cmd.add_option("--drain-timeout", f.drain_timeout_s, "Seconds to drain in-flight requests on shutdown")
      ->envname("TRACEVAULT_DRAIN_TIMEOUT_SECONDS")
      ->capture_default_str();
  constexpr int kMaxAuthTtl = static_cast<int>(data::CachingControlPlaneClient::kMaxTtl.count());
  cmd.add_option("--auth-cache-ttl", f.auth_cache_ttl_s,
                 fmt::format("Seconds a resolved API key is cached (max {})", kMaxAuthTtl))
      ->envname("TRACEVAULT_AUTH_CACHE_TTL_SECONDS")
      ->check(CLI::Range(0, kMaxAuthTtl))
      ->capture_default_str();
  cmd.add_option("--log-level", f.log_level, "debug, info, warn, error or off")
      ->envname("TRACEVAULT_LOG_LEVEL")
      ->capture_default_str();
  cmd.add_flag("--no-access-log", f.no_access_log, "Disable the JSON access log on stdout")
      ->envname("TRACEVAULT_NO_ACCESS_LOG");
  cmd.add_option("--master-key-file", f.master_key_file,
                 "File with the 32-byte master key sealing provider secrets (base64 or hex); else "
                 "TRACEVAULT_MASTER_KEY, else DIR/keys/master.key")
      ->envname("TRACEVAULT_MASTER_KEY_FILE");
  if (role != Role::kAllInOne)
    cmd.add_option("--plane-token", f.plane_token,
                   "Shared token (16+ characters) letting the data plane read org-level provider secrets")
        ->envname("TRACEVAULT_PLANE_TOKEN");
  if (role != Role::kControl) {
    cmd.add_option("--outbound-rate-limit-max-requests", f.outbound_rate_limit_max_requests,
                   "Calls to other services (control plane, model providers) per window per user token; 0 disables")
        ->envname("OUTBOUND_RATE_LIMIT_MAX_REQUESTS")
        ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
        ->capture_default_str();
    cmd.add_option("--outbound-rate-limit-window-minutes", f.outbound_rate_limit_window_minutes,
                   "Minutes before a token's outbound rate limit resets")
        ->envname("OUTBOUND_RATE_LIMIT_WINDOW_MINUTES")
        ->check(CLI::Range(1, 1440))
        ->capture_default_str();
  }
  if (role != Role::kControl) AddStoreFlags(cmd, f.store);
}

void AddStoreFlags(CLI::App& cmd, StoreFlags& s) {
  cmd.add_option("--object-store", s.object_store,
                 "Object storage: file:///path or s3://bucket[/prefix] (default: DIR/data/objects)")
      ->envname("TRACEVAULT_OBJECT_STORE");
  cmd.add_option("--s3-endpoint", s.s3_endpoint, "S3 endpoint URL (default: AWS for --s3-region)")
      ->envname("TRACEVAULT_S3_ENDPOINT");
  cmd.add_option("--s3-region", s.s3_region, "S3 region")->envname("AWS_REGION")->capture_default_str();
  cmd.add_option("--s3-access-key", s.s3_access_key, "S3 access key id")->envname("AWS_ACCESS_KEY_ID");
  cmd.add_option("--s3-secret-key", s.s3_secret_key, "S3 secret access key")->envname("AWS_SECRET_ACCESS_KEY");
  cmd.add_option("--s3-session-token", s.s3_session_token, "S3 session token")->envname("AWS_SESSION_TOKEN");
  cmd.add_flag("--s3-virtual-hosted", s.s3_virtual_hosted, "Address buckets as bucket.host instead of host/bucket")
      ->envname("TRACEVAULT_S3_VIRTUAL_HOSTED");
  cmd.add_option("--object-store-faults", s.faults,
                 "Testing only: inject object-store faults, e.g. error=0.1,torn=0.05")
      ->envname("TRACEVAULT_OBJECT_STORE_FAULTS");
  cmd.add_option("--logs3-payload-max-bytes", s.logs3_payload_max_bytes,
                 "Largest /logs3 body; larger batches use the overflow upload")
      ->envname("TRACEVAULT_LOGS3_PAYLOAD_MAX_BYTES")
      ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 30))
      ->capture_default_str();
  cmd.add_option("--group-commit-us", s.group_commit_us, "Group-commit window in microseconds")
      ->envname("TRACEVAULT_GROUP_COMMIT_US")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd.add_option("--group-commit-bytes", s.group_commit_bytes, "Largest WAL chunk one group commit writes")
      ->envname("TRACEVAULT_GROUP_COMMIT_BYTES")
      ->capture_default_str();
  cmd.add_option("--commit-deadline-ms", s.commit_deadline_ms,
                 "How long a write retries failing object storage before it is refused (503)")
      ->envname("TRACEVAULT_COMMIT_DEADLINE_MS")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  cmd.add_option("--tail-memory-mb", s.tail_memory_mb, "Memory for decoded WAL tails (LRU by object)")
      ->envname("TRACEVAULT_TAIL_MEMORY_MB")
      ->capture_default_str();
  cmd.add_option("--cache-dir", s.cache_dir,
                 "Local disk cache of segments from remote object storage (default DIR/data/cache)")
      ->envname("TRACEVAULT_CACHE_DIR");
  cmd.add_option("--cache-disk-mb", s.cache_disk_mb, "Size limit of the segment disk cache")
      ->envname("TRACEVAULT_CACHE_DISK_MB")
      ->capture_default_str();
  cmd.add_option("--block-cache-mb", s.block_cache_mb, "Memory for decoded segment blocks")
      ->envname("TRACEVAULT_BLOCK_CACHE_MB")
      ->capture_default_str();
  cmd.add_option("--compact-fold-rows", s.compact_fold_rows, "Compact an object once this many rows wait in the WAL")
      ->envname("TRACEVAULT_COMPACT_FOLD_ROWS")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32))
      ->capture_default_str();
  cmd.add_option("--compact-fold-age-s", s.compact_fold_age_s, "... or once the oldest waiting row is this old")
      ->envname("TRACEVAULT_COMPACT_FOLD_AGE_S")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  cmd.add_option("--background-compaction", s.background_compaction,
                 "Compact in the background (false: only on request)")
      ->envname("TRACEVAULT_BACKGROUND_COMPACTION")
      ->capture_default_str();
  cmd.add_option("--history-retention-hours", s.history_retention_hours,
                 "How long superseded row versions stay readable with ?version= (as-of reads)")
      ->envname("TRACEVAULT_HISTORY_RETENTION_HOURS")
      ->check(CLI::Range(0, 24 * 3650))
      ->capture_default_str();
  cmd.add_option("--gc-grace-s", s.gc_grace_s, "How long superseded segments and WAL chunks are kept before deletion")
      ->envname("TRACEVAULT_GC_GRACE_S")
      ->check(CLI::Range(0, 86400 * 7))
      ->capture_default_str();
  cmd.add_option("--max-backlog-mb", s.max_backlog_mb,
                 "Ingest waits while more than this much WAL waits for compaction (back-pressure)")
      ->envname("TRACEVAULT_MAX_BACKLOG_MB")
      ->capture_default_str();
  cmd.add_option("--store-compression", s.compression,
                 "zstd-compress WAL chunks and segments (false only for inspecting or grepping the bytes)")
      ->envname("TRACEVAULT_STORE_COMPRESSION")
      ->capture_default_str();
  cmd.add_option("--model-prices", s.model_prices,
                 "JSON file of model prices (USD per million tokens) for estimated_cost; extends the defaults")
      ->envname("TRACEVAULT_MODEL_PRICES");
  cmd.add_option("--query-memory-mb", s.query_memory_mb,
                 "Working memory one BTQL query may use (groups, sorts, summaries) before it fails with a 400")
      ->envname("TRACEVAULT_QUERY_MEMORY_MB")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))
      ->capture_default_str();
  cmd.add_option("--query-timeout-ms", s.query_timeout_ms, "How long one BTQL query may run before it fails with a 504")
      ->envname("TRACEVAULT_QUERY_TIMEOUT_MS")
      ->check(CLI::Range(uint64_t{1}, uint64_t{3600} * 1000))
      ->capture_default_str();
  cmd.add_option("--proxy-allowed-hosts", s.proxy_allowed_hosts,
                 "Hosts the AI proxy may call: comma-separated host or host:port (private model servers go here)")
      ->envname("TRACEVAULT_PROXY_ALLOWED_HOSTS")
      ->capture_default_str();
  cmd.add_option("--proxy-timeout-ms", s.proxy_timeout_ms, "How long one model call through the AI proxy may take")
      ->envname("TRACEVAULT_PROXY_TIMEOUT_MS")
      ->check(CLI::Range(uint64_t{100}, uint64_t{3600} * 1000))
      ->capture_default_str();
  cmd.add_option("--proxy-idle-timeout-ms", s.proxy_idle_timeout_ms,
                 "How long a streamed model answer may pause before the call fails")
      ->envname("TRACEVAULT_PROXY_IDLE_TIMEOUT_MS")
      ->check(CLI::Range(uint64_t{100}, uint64_t{3600} * 1000))
      ->capture_default_str();
}

Result<ListenAddress> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return InvalidArgument("--listen must be HOST:PORT, got '{}'", listen);
  ListenAddress a;
  a.host = listen.substr(0, colon);
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  try {
    int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    a.port = static_cast<uint16_t>(port);
  } catch (...) {
    return InvalidArgument("--listen has an invalid port: '{}'", listen);
  }
  return a;
}

http::ServerOptions ToServerOptions(const ServerFlags& f, const ListenAddress& addr) {
  http::ServerOptions o;
  o.host = addr.host;
  o.port = addr.port;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  o.io_threads = f.io_threads > 0 ? f.io_threads : static_cast<int>(cores);
  for (size_t i = 0; i < http::kRequestClassCount; ++i)
    o.pools[i] = {std::max(1, f.class_threads[i]), static_cast<size_t>(std::max(0, f.class_queue[i]))};
  o.single_pool = f.single_worker_pool;
  o.max_body_bytes = f.max_body_bytes;
  o.keep_alive_timeout = std::chrono::seconds(std::max(1, f.keep_alive_timeout_s));
  o.request_timeout = std::chrono::seconds(std::max(1, f.request_timeout_s));
  o.max_concurrent_requests = std::max<size_t>(1, f.max_concurrent_requests);
  o.max_connections_per_client = std::max<size_t>(1, f.max_connections_per_client);
  o.drain_timeout = std::chrono::seconds(std::max(0, f.drain_timeout_s));
  o.access_log = !f.no_access_log;
  // The flag, else TRACEVAULT_MEMORY_PERCENT (both in f), else NODE_MEMORY_PERCENT.
  int percent = f.memory_percent;
  if (percent == 0) {
    percent = kDefaultMemoryPercent;
    if (const char* node = std::getenv("NODE_MEMORY_PERCENT")) {
      int v = std::atoi(node);
      if (v >= 1 && v <= 100) percent = v;
    }
  }
  uint64_t available = http::MemoryBudget::DetectAvailableMemory();
  o.memory_budget_bytes = available / 100 * static_cast<uint64_t>(percent);
  spdlog::info("request bodies may buffer up to {} bytes ({}% of {} bytes of available memory)", o.memory_budget_bytes,
               percent, available);
  return o;
}

std::string AppPublicUrl(const ServerFlags& f, const std::string& fallback) {
  std::string url = f.app_public_url;
  if (url.empty())
    if (const char* env = std::getenv("BRAINTRUST_APP_PUBLIC_URL")) url = env;
  if (url.empty()) url = fallback;
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

std::vector<std::string> CorsOrigins(const ServerFlags& f, const std::string& default_origin) {
  std::string list = f.cors_origins;
  if (const char* extra = std::getenv("WHITELISTED_ORIGINS"); extra && *extra)
    list += (list.empty() ? "" : ",") + std::string(extra);
  std::vector<std::string> out;
  // Spaces only (not other whitespace) around an origin, and any trailing '/'.
  for (std::string_view o : SplitList(list, ",", ListItems::kVerbatim)) {
    while (!o.empty() && o.front() == ' ') o.remove_prefix(1);
    while (!o.empty() && (o.back() == ' ' || o.back() == '/')) o.remove_suffix(1);
    if (!o.empty()) out.emplace_back(o);
  }
  if (out.empty()) out.push_back(default_origin);
  return out;
}

}  // namespace tv::cli
