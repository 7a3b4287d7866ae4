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

// The data plane's span store and object storage.
struct StoreFlags {
  std::string object_store;  // "" (DIR/data/objects), file:///path, or s3://bucket[/prefix]
  std::string s3_endpoint;   // e.g. http://127.0.0.1:9000; default: AWS for the region
  std::string s3_region = "us-east-1";
  std::string s3_access_key;
  std::string s3_secret_key;
  std::string s3_session_token;
  bool s3_virtual_hosted = false;
  std::string faults;  // test only: fault injection spec (objstore/faulty_object_store.h)
  uint64_t logs3_payload_max_bytes = uint64_t{6} << 20;
  int group_commit_us = 1000;
  uint64_t group_commit_bytes = uint64_t{16} << 20;
  int commit_deadline_ms = 20000;
  uint64_t tail_memory_mb = 1024;
  // Segments, caches and compaction.
  std::string cache_dir;  // default DIR/data/cache
  uint64_t cache_disk_mb = 8192;
  uint64_t block_cache_mb = 256;
  uint64_t compact_fold_rows = 20000;
  int compact_fold_age_s = 10;
  bool background_compaction = true;
  int history_retention_hours = 7 * 24;
  int gc_grace_s = 600;
  uint64_t max_backlog_mb = 256;
  bool compression = true;
  std::string model_prices;  // JSON file of model prices added to the defaults (btql/prices.h)
  uint64_t query_memory_mb = 512;
  uint64_t query_timeout_ms = 30000;
  std::string proxy_allowed_hosts = "api.openai.com,api.anthropic.com";  // proxy/providers.h AllowList
  uint64_t proxy_timeout_ms = 600000;
  uint64_t proxy_idle_timeout_ms = 60000;
};

std::array<int, http::kRequestClassCount> DefaultClassThreads();
std::array<int, http::kRequestClassCount> DefaultClassQueues();

struct ServerFlags {
  std::string data_dir = "./tracevault-data";
  std::string listen = "127.0.0.1:8000";
  std::string public_url;
  std::string data_plane_url;     // control: what login returns as api_url
  std::string control_plane_url;  // data: where the control plane is
  std::string cors_origins;
  int keep_alive_timeout_s = 65;
  int request_timeout_s = 120;
  uint64_t max_body_bytes = uint64_t{256} << 20;
  size_t max_concurrent_requests = 512;
  size_t max_connections_per_client = 256;
  int memory_percent = 0;  // 0: not given; NODE_MEMORY_PERCENT, else 50
  int io_threads = 0;      // 0: one per core
  // Worker pool of each request class (http/request_class.h); --worker-threads
  // is the light class's. single_worker_pool runs every class in that one pool.
  std::array<int, http::kRequestClassCount> class_threads = DefaultClassThreads();
  std::array<int, http::kRequestClassCount> class_queue = DefaultClassQueues();
  bool single_worker_pool = false;
  int heavy_per_key = 2;  // heavy requests in flight per API key (0: no limit)
  int heavy_per_org = 3;  // ... per organization
  int drain_timeout_s = 30;
  int auth_cache_ttl_s = 30;
  // serve and data: calls to other services per user token per window (0: no limit).
  int64_t outbound_rate_limit_max_requests = 100;
  int outbound_rate_limit_window_minutes = 1;
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

}  // namespace tv::cli
