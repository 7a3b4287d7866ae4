// Flags and environment variables of the server subcommands (serve, control,
// data). docs/configuration.md is the table of all of them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/status.h"
#include "http/server.h"

namespace tv::cli {

enum class Role { kAllInOne, kControl, kData };

// The data plane's span store and object storage. A default-constructed
// StoreFlags holds the defaults of the option structs it fills
// (data::DataPlaneOptions, store::SpanStoreOptions, objstore::S3Options,
// proxy::AllowList), read from default-constructed ones: each default is
// defined once, there, and the help text shows it.
struct StoreFlags {
  StoreFlags();

  std::string object_store;  // "" (DIR/data/objects), file:///path, or s3://bucket[/prefix]
  std::string s3_endpoint;   // e.g. http://127.0.0.1:9000; default: AWS for the region
  std::string s3_region;
  std::string s3_access_key;
  std::string s3_secret_key;
  std::string s3_session_token;
  bool s3_virtual_hosted;
  std::string faults;  // test only: fault injection spec (objstore/faulty_object_store.h)
  uint64_t logs3_payload_max_bytes;
  int group_commit_us;
  uint64_t group_commit_bytes;
  int commit_deadline_ms;
  uint64_t tail_memory_mb;
  // Segments, caches and compaction.
  std::string cache_dir;  // default DIR/data/cache
  uint64_t cache_disk_mb;
  uint64_t block_cache_mb;
  uint64_t compact_fold_rows;
  int compact_fold_age_s;
  bool background_compaction;
  int history_retention_hours;
  int gc_grace_s;
  uint64_t max_backlog_mb;
  bool compression;
  std::string model_prices;  // JSON file of model prices added to the defaults (btql/prices.h)
  uint64_t query_memory_mb;
  uint64_t query_timeout_ms;
  std::string proxy_allowed_hosts;  // proxy/providers.h AllowList
  uint64_t proxy_timeout_ms;
  uint64_t proxy_idle_timeout_ms;
};

// The share of available memory buffered request bodies may use when neither
// --memory-percent nor NODE_MEMORY_PERCENT says.
inline constexpr int kDefaultMemoryPercent = 50;

// HOST:PORT of a default-constructed http::ServerOptions: where a server
// listens, and where the admin commands look for one, when not told.
std::string DefaultListen();

std::array<int, http::kRequestClassCount> DefaultClassThreads();
std::array<int, http::kRequestClassCount> DefaultClassQueues();

// As StoreFlags, a default-constructed ServerFlags holds the defaults of
// http::ServerOptions, http::TenantLimits and http::RateLimit; the rest are
// the CLI's own and defined here.
struct ServerFlags {
  ServerFlags();

  std::string data_dir = "./tracevault-data";
  std::string listen;  // ServerOptions' host:port
  std::string public_url;
  std::string data_plane_url;     // control: what login returns as api_url
  std::string control_plane_url;  // data: where the control plane is
  // serve, data: the web app's URL, the base of the links summaries return;
  // empty: TRACEVAULT_APP_PUBLIC_URL, then BRAINTRUST_APP_PUBLIC_URL, else the
  // public URL (serve) or the control plane's URL (data). AppPublicUrl() decides.
  std::string app_public_url;
  std::string cors_origins;
  std::string webapp_dir;  // serve, control: serve the app from here instead of the binary
  int keep_alive_timeout_s;
  int request_timeout_s;
  uint64_t max_body_bytes;
  size_t max_concurrent_requests;
  size_t max_connections_per_client;
  int memory_percent = 0;  // 0: not given; NODE_MEMORY_PERCENT, else kDefaultMemoryPercent
  int io_threads = 0;      // 0: one per core
  // Worker pool of each request class (http/request_class.h); --worker-threads
  // is the light class's. single_worker_pool runs every class in that one pool.
  std::array<int, http::kRequestClassCount> class_threads = DefaultClassThreads();
  std::array<int, http::kRequestClassCount> class_queue = DefaultClassQueues();
  bool single_worker_pool = false;
  int heavy_per_key;  // heavy requests in flight per API key (0: no limit)
  int heavy_per_org;  // ... per organization
  int drain_timeout_s;
  int auth_cache_ttl_s = 30;
  // serve and data: calls to other services per user token per window (0: no limit).
  int64_t outbound_rate_limit_max_requests;
  int outbound_rate_limit_window_minutes;
  std::string log_level = "info";
  bool no_access_log = false;
  std::string master_key_file;  // sealed secrets (docs/security.md); default DIR/keys/master.key
  std::string plane_token;      // control and data: shared token for revealing org-level secrets
  StoreFlags store;
};

void AddServerFlags(CLI::App& cmd, ServerFlags& flags, Role role);
void AddStoreFlags(CLI::App& cmd, StoreFlags& flags);

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> ParseListen(const std::string& listen);

http::ServerOptions ToServerOptions(const ServerFlags& flags, const ListenAddress& addr);
std::vector<std::string> CorsOrigins(const ServerFlags& flags, const std::string& default_origin);
// The web app's URL without a trailing '/': --app-public-url (or
// TRACEVAULT_APP_PUBLIC_URL), else BRAINTRUST_APP_PUBLIC_URL, else `fallback`.
std::string AppPublicUrl(const ServerFlags& flags, const std::string& fallback);

}  // namespace tv::cli
