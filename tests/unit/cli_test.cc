// Unit tests for the server flags (cli/server_config.h): their defaults are
// the option structs' own, carried through unchanged, and shown in --help;
// the CORS origin list.
#include <gtest/gtest.h>

#include <cstdlib>

#include "cli/server_config.h"
#include "data/data_plane.h"
#include "http/rate_limiter.h"
#include "http/tenant_slots.h"
#include "objstore/s3/s3_object_store.h"

namespace tv::cli {
namespace {

TEST(ServerFlagsTest, DefaultsAreTheServerOptions) {
  ServerFlags f;
  http::ServerOptions defaults;
  Result<ListenAddress> addr = ParseListen(f.listen);
  ASSERT_TRUE(addr.ok()) << addr.status().ToString();
  EXPECT_EQ(addr->host, defaults.host);
  EXPECT_EQ(addr->port, defaults.port);
  http::ServerOptions o = ToServerOptions(f, *addr);
  EXPECT_EQ(o.keep_alive_timeout, defaults.keep_alive_timeout);
  EXPECT_EQ(o.request_timeout, defaults.request_timeout);
  EXPECT_EQ(o.max_body_bytes, defaults.max_body_bytes);
  EXPECT_EQ(o.max_concurrent_requests, defaults.max_concurrent_requests);
  EXPECT_EQ(o.max_connections_per_client, defaults.max_connections_per_client);
  EXPECT_EQ(o.drain_timeout, defaults.drain_timeout);
  EXPECT_EQ(o.access_log, defaults.access_log);
  EXPECT_EQ(f.heavy_per_key, http::TenantLimits().per_key);
  EXPECT_EQ(f.heavy_per_org, http::TenantLimits().per_org);
  EXPECT_EQ(f.outbound_rate_limit_max_requests, http::RateLimit().max_requests);
  EXPECT_EQ(std::chrono::minutes(f.outbound_rate_limit_window_minutes), http::RateLimit().window);
}

TEST(StoreFlagsTest, DefaultsAreTheDataPlaneOptions) {
  StoreFlags f;
  data::DataPlaneOptions d;
  const store::SpanStoreOptions& s = d.store;
  EXPECT_EQ(f.s3_region, objstore::S3Options().region);
  EXPECT_EQ(f.s3_virtual_hosted, !objstore::S3Options().path_style);
  EXPECT_EQ(f.logs3_payload_max_bytes, d.logs3_payload_max_bytes);
  EXPECT_EQ(std::chrono::microseconds(f.group_commit_us), s.writer.window);
  EXPECT_EQ(f.group_commit_bytes, s.writer.max_chunk_bytes);
  EXPECT_EQ(std::chrono::milliseconds(f.commit_deadline_ms), s.writer.deadline);
  EXPECT_EQ(f.tail_memory_mb << 20, s.tail_memory_bytes);
  EXPECT_EQ(f.cache_disk_mb << 20, s.cache.disk_bytes);
  EXPECT_EQ(f.block_cache_mb << 20, s.cache.block_bytes);
  EXPECT_EQ(f.compact_fold_rows, s.compactor.fold_rows);
  EXPECT_EQ(std::chrono::seconds(f.compact_fold_age_s), s.compactor.fold_age);
  EXPECT_EQ(f.background_compaction, s.compactor.background);
  EXPECT_EQ(std::chrono::hours(f.history_retention_hours), s.compactor.history_retention);
  EXPECT_EQ(std::chrono::seconds(f.gc_grace_s), s.compactor.grace);
  EXPECT_EQ(f.max_backlog_mb << 20, s.max_backlog_bytes);
  EXPECT_EQ(f.compression, s.writer.compress);
  EXPECT_EQ(f.compression, s.compactor.compress);
  EXPECT_EQ(f.query_memory_mb << 20, d.query_memory_bytes);
  EXPECT_EQ(std::chrono::milliseconds(f.query_timeout_ms), d.query_timeout);
  EXPECT_EQ(f.proxy_allowed_hosts, proxy::AllowList::DefaultSpec());
  EXPECT_EQ(std::chrono::milliseconds(f.proxy_timeout_ms), d.proxy_timeout);
  EXPECT_EQ(std::chrono::milliseconds(f.proxy_idle_timeout_ms), d.proxy_idle_timeout);
}

TEST(ServerFlagsTest, HelpShowsTheDefaults) {
  CLI::App app;
  ServerFlags f;
  AddServerFlags(app, f, Role::kAllInOne);
  std::string help = app.help();
  EXPECT_NE(help.find(DefaultListen()), std::string::npos) << help;
  EXPECT_NE(help.find(std::to_string(data::DataPlaneOptions().logs3_payload_max_bytes)), std::string::npos) << help;
  EXPECT_NE(help.find(fmt::format("else {})", kDefaultMemoryPercent)), std::string::npos) << help;
}

TEST(CorsOriginsTest, SplitsTrimsAndFallsBack) {
  unsetenv("WHITELISTED_ORIGINS");
  ServerFlags f;
  f.cors_origins = " https://a.example/ ,,https://b.example , ";
  EXPECT_EQ(CorsOrigins(f, "http://default"), (std::vector<std::string>{"https://a.example", "https://b.example"}));
  f.cors_origins = " , ";
  EXPECT_EQ(CorsOrigins(f, "http://default"), std::vector<std::string>{"http://default"});
}

}  // namespace
}  // namespace tv::cli
