// Flags and environment variables of the server subcommands (serve, control,
// data). docs/configuration.md is the table of all of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/status.h"
#include "http/server.h"

namespace tv::cli {

enum class Role { kAllInOne, kControl, kData };

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
  int memory_percent = 50;
  int io_threads = 0;  // 0: one per core
  int worker_threads = 8;
  int drain_timeout_s = 30;
  int auth_cache_ttl_s = 30;
  std::string log_level = "info";
  bool no_access_log = false;
};

void AddServerFlags(CLI::App& cmd, ServerFlags& flags, Role role);

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> ParseListen(const std::string& listen);

http::ServerOptions ToServerOptions(const ServerFlags& flags, const ListenAddress& addr);
std::vector<std::string> CorsOrigins(const ServerFlags& flags, const std::string& default_origin);

}  // namespace tv::cli
