// `tracevault serve | control | data`: assemble the planes, listen, serve.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <boost/json/object.hpp>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/in_process_client.h"
#include "cli/object_store_config.h"
#include "common/clock.h"
#include "common/log.h"
#include "control/control_plane.h"
#include "crypto/crypto.h"
#include "crypto/master_key.h"
#include "data/control_plane/caching_control_plane_client.h"
#include "data/control_plane/passthrough.h"
#include "data/data_plane.h"
#include "data/secrets/secrets.h"
#include "http/client.h"
#include "http/info_routes.h"
#include "http/outbound.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "proxy/providers.h"
#include "webapp/webapp.h"

#ifndef TRACEVAULT_VERSION
#define TRACEVAULT_VERSION "0.0.0"
#endif
#ifndef TRACEVAULT_BUILD
#define TRACEVAULT_BUILD "unknown"
#endif

namespace tv::cli {
namespace {

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kAllInOne:
      return "all-in-one";
    case Role::kControl:
      return "control";
    case Role::kData:
      return "data";
  }
  return "unknown";
}

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

control::InitSettings InitFromEnv() {
  control::InitSettings s;
  if (auto v = Env("TRACEVAULT_INIT_ORG_NAME")) s.org_name = *v;
  if (auto v = Env("TRACEVAULT_INIT_USER_EMAIL")) s.user_email = *v;
  s.user_password = Env("TRACEVAULT_INIT_USER_PASSWORD");
  s.api_key = Env("TRACEVAULT_INIT_API_KEY");
  return s;
}

Result<std::unique_ptr<meta::MetaStore>> OpenDb(const std::string& path) {
  return meta::OpenSqliteMetaStore({.path = path});
}

// First start of an empty control database: create the org, admin and key.
Status Bootstrap(control::ControlPlane& cp, const DataDir& dir) {
  control::InitSettings init = InitFromEnv();
  // Without TRACEVAULT_INIT_USER_PASSWORD the first user gets a random one,
  // printed once and kept in DIR/initial-password, so a person can sign in.
  const bool generated_password = !init.user_password.has_value();
  if (generated_password) init.user_password = crypto::RandomAlphanumeric(20);
  TV_ASSIGN_OR_RETURN(auto created, cp.BootstrapIfEmpty(init));
  if (!created) {
    if (std::filesystem::exists(dir.initial_key_file()))
      spdlog::info("the initial API key is in {}", dir.initial_key_file());
    if (std::filesystem::exists(dir.initial_password_file()))
      spdlog::info("the first user's initial password is in {}", dir.initial_password_file());
    return Status::Ok();
  }
  spdlog::info("created organization '{}' with admin user '{}'", init.org_name, init.user_email);
  if (generated_password) {
    TV_RETURN_IF_ERROR(WritePrivateFile(dir.initial_password_file(), *init.user_password + "\n"));
    std::fprintf(stderr, "\n  Sign in to the web app as %s with the password (also saved to %s):\n\n    %s\n",
                 init.user_email.c_str(), dir.initial_password_file().c_str(), init.user_password->c_str());
  }
  if (!init.api_key) {
    TV_RETURN_IF_ERROR(WritePrivateFile(dir.initial_key_file(), created->api_key + "\n"));
    std::fprintf(stderr, "\n  API key (shown once; also saved to %s):\n\n    %s\n\n", dir.initial_key_file().c_str(),
                 created->api_key.c_str());
  }
  return Status::Ok();
}

data::DataPlaneOptions DataOptions(const StoreFlags& f, const DataDir& dir) {
  data::DataPlaneOptions o;
  o.logs3_payload_max_bytes = f.logs3_payload_max_bytes;
  o.query_memory_bytes = f.query_memory_mb << 20;
  o.query_timeout = std::chrono::milliseconds(f.query_timeout_ms);
  o.proxy_timeout = std::chrono::milliseconds(f.proxy_timeout_ms);
  o.proxy_idle_timeout = std::chrono::milliseconds(f.proxy_idle_timeout_ms);
  o.store.writer.window = std::chrono::microseconds(f.group_commit_us);
  o.store.writer.max_chunk_bytes = f.group_commit_bytes;
  o.store.writer.deadline = std::chrono::milliseconds(f.commit_deadline_ms);
  o.store.tail_memory_bytes = f.tail_memory_mb << 20;
  o.store.cache.disk_dir = f.cache_dir.empty() ? dir.root + "/data/cache" : f.cache_dir;
  o.store.cache.disk_bytes = f.cache_disk_mb << 20;
  o.store.cache.block_bytes = f.block_cache_mb << 20;
  o.store.compactor.background = f.background_compaction;
  o.store.compactor.fold_rows = f.compact_fold_rows;
  o.store.compactor.fold_age = std::chrono::seconds(f.compact_fold_age_s);
  o.store.compactor.history_retention = std::chrono::hours(f.history_retention_hours);
  o.store.compactor.grace = std::chrono::seconds(f.gc_grace_s);
  o.store.max_backlog_bytes = f.max_backlog_mb << 20;
  o.store.writer.compress = f.compression;
  o.store.compactor.compress = f.compression;
  return o;
}

// The default model prices, extended by the --model-prices file when given.
Result<btql::PriceTable> LoadPrices(const std::string& path) {
  btql::PriceTable prices = btql::PriceTable::Defaults();
  if (path.empty()) return prices;
  std::ifstream in(path);
  if (!in) return InvalidArgument("--model-prices: cannot read '{}'", path);
  std::stringstream text;
  text << in.rdbuf();
  Result<json::value> doc = ParseJson(text.str());
  if (!doc.ok()) return InvalidArgument("--model-prices '{}': {}", path, doc.status().message());
  Result<btql::PriceTable> file = btql::PriceTable::FromJson(*doc);
  if (!file.ok()) return InvalidArgument("--model-prices '{}': {}", path, file.status().message());
  prices.Override(*file);
  return prices;
}

boost::json::object VersionBody(Role role, const StoreFlags& store) {
  bool data = role != Role::kControl;
  return boost::json::object{{"version", TRACEVAULT_VERSION},
                             {"build", TRACEVAULT_BUILD},
                             {"role", RoleName(role)},
                             {"logs3_payload_max_bytes",
                              data ? boost::json::value(store.logs3_payload_max_bytes) : boost::json::value(nullptr)},
                             {"features", boost::json::object{{"control_plane", role != Role::kData},
                                                              {"data_plane", data},
                                                              {"logs3", data},
                                                              {"logs3_overflow", data},
                                                              {"attachments", data},
                                                              {"btql", data}}}};
}

// Everything one server process owns, in construction order.
struct Assembly {
  std::unique_ptr<control::ControlPlane> control;
  // In-process when the control plane is here (cheap, always current);
  // cached HTTP when it is not.
  // The data plane's one client for other services; outlives `client` and `data`.
  std::unique_ptr<http::OutboundClient> outbound;
  std::unique_ptr<data::ControlPlaneClient> client;
  data::CachingControlPlaneClient* cache = nullptr;
  std::unique_ptr<data::DataPlane> data;
  http::Router router;
  std::vector<http::HealthCheck> health;
  std::optional<crypto::KeysLock> keys_lock;  // shared: keeps rotation out while serving
};

std::unique_ptr<http::OutboundClient> MakeOutbound(const ServerFlags& flags) {
  http::RateLimit limit{flags.outbound_rate_limit_max_requests,
                        std::chrono::minutes(flags.outbound_rate_limit_window_minutes)};
  return std::make_unique<http::OutboundClient>(http::OutboundOptions{},
                                                http::MakeLocalRateLimiter(limit, Clock::Real()), Clock::Real());
}

// The master keyring (docs/security.md); a generated key is written only once
// the planes have opened with it.
Result<crypto::LoadedKeys> LoadMasterKeys(const ServerFlags& flags, const DataDir& dir, Assembly& a,
                                          crypto::MasterKeyConfig& config) {
  config = crypto::MasterKeyConfigFromEnv(flags.master_key_file, dir.keys_dir());
  if (!flags.plane_token.empty() && flags.plane_token.size() < 16)
    return InvalidArgument("--plane-token must be at least 16 characters");
  TV_ASSIGN_OR_RETURN(crypto::KeysLock lock, crypto::KeysLock::Acquire(config, false));
  a.keys_lock.emplace(std::move(lock));
  return crypto::LoadKeys(config);
}

Status PersistMasterKey(const crypto::MasterKeyConfig& config, const crypto::LoadedKeys& keys) {
  if (!keys.generated) return Status::Ok();
  TV_RETURN_IF_ERROR(crypto::PersistGeneratedKey(config, keys.keyring.current()));
  spdlog::info("generated the master key {} (id {})", config.managed_key_file(), keys.keyring.current_id());
  return Status::Ok();
}

Status Assemble(const ServerFlags& flags, Role role, const DataDir& dir, Assembly& a) {
  crypto::MasterKeyConfig key_config;
  TV_ASSIGN_OR_RETURN(crypto::LoadedKeys keys, LoadMasterKeys(flags, dir, a, key_config));
  if (role != Role::kControl) a.outbound = MakeOutbound(flags);
  if (role != Role::kData) {
    TV_ASSIGN_OR_RETURN(std::string secret, LoadOrCreateSecret(dir));
    TV_ASSIGN_OR_RETURN(auto db, OpenDb(dir.control_db()));
    TV_ASSIGN_OR_RETURN(a.control, control::ControlPlane::Open(std::move(db), secret, {}, Clock::Real()));
    TV_RETURN_IF_ERROR(Bootstrap(*a.control, dir));
    TV_RETURN_IF_ERROR(a.control->EnableSecrets(keys.keyring));
    a.control->set_plane_token(flags.plane_token);
    a.control->RegisterRoutes(a.router);
    a.health.push_back({"control_db", [cp = a.control.get()] { return cp->db().Query("SELECT 1 AS ok").status(); }});
    a.client = MakeInProcessClient(*a.control);
  } else {
    auto cached = std::make_unique<data::CachingControlPlaneClient>(
        data::MakeHttpControlPlaneClient(flags.control_plane_url, flags.plane_token, *a.outbound),
        std::chrono::seconds(flags.auth_cache_ttl_s), Clock::Real());
    a.cache = cached.get();
    a.client = std::move(cached);
  }
  if (role != Role::kControl) {
    TV_ASSIGN_OR_RETURN(auto db, OpenDb(dir.data_db()));
    TV_ASSIGN_OR_RETURN(auto objects, OpenObjectStore(flags.store, dir));
    data::DataPlaneOptions options = DataOptions(flags.store, dir);
    TV_ASSIGN_OR_RETURN(options.prices, LoadPrices(flags.store.model_prices));
    TV_ASSIGN_OR_RETURN(options.proxy_allowed_hosts, proxy::AllowList::Parse(flags.store.proxy_allowed_hosts));
    options.proxy_buffered_timeout = std::min(
        options.proxy_timeout, std::max(std::chrono::milliseconds(1000),
                                        std::chrono::milliseconds(int64_t{flags.request_timeout_s} * 1000 - 2000)));
    options.outbound = a.outbound.get();
    TV_ASSIGN_OR_RETURN(
        a.data, data::DataPlane::Open(std::move(db), *a.client, std::move(objects), Clock::Real(), std::move(options)));
    TV_RETURN_IF_ERROR(a.data->secrets().Enable(keys.keyring));
    a.data->RegisterRoutes(a.router);
    a.health.push_back({"data_db", [dp = a.data.get()] { return dp->CheckDatabase(); }});
  }
  if (role == Role::kData) {
    data::AddControlPlanePassthrough(
        a.router, a.data->outbound(), flags.control_plane_url,
        {[c = a.cache](const std::string& id) { c->InvalidateKey(id); },
         [c = a.cache](ObjectType type, const std::string& id) { c->InvalidateObject(type, id); }});
    a.health.push_back({"control_plane", [c = a.client.get()] { return c->Health(); }});
  }
  TV_RETURN_IF_ERROR(PersistMasterKey(key_config, keys));
  http::AddInfoRoutes(a.router, {std::string(RoleName(role)),
                                 [role, store = flags.store] { return VersionBody(role, store); }, a.health});
  return Status::Ok();
}

// The web app at / and /app/... (serve, control): the binary's copy, or
// --webapp-dir's. `data_plane_url` is where the app's data calls go (CSP).
Status AddWebApp(const ServerFlags& flags, const std::string& data_plane_url, http::Router& router,
                 std::vector<http::PublicRoute>& public_routes) {
  std::shared_ptr<const webapp::WebApp> app;
  if (flags.webapp_dir.empty()) {
    app = webapp::WebApp::Embedded();
  } else {
    TV_ASSIGN_OR_RETURN(app, webapp::WebApp::FromDirectory(flags.webapp_dir));
    spdlog::info("serving the web app from {} ({} files)", flags.webapp_dir, app->size());
  }
  if (app->empty()) spdlog::warn("this binary was built without the web app (TRACEVAULT_WEBAPP=OFF)");
  webapp::AddWebAppRoutes(router, app, {.connect_origins = {webapp::OriginOf(data_plane_url)}});
  auto routes = webapp::WebAppPublicRoutes();
  public_routes.insert(public_routes.end(), routes.begin(), routes.end());
  return Status::Ok();
}

Status Run(const ServerFlags& flags, Role role) {
  http::InitHttpClient();
  TV_ASSIGN_OR_RETURN(ListenAddress addr, ParseListen(flags.listen));
  TV_ASSIGN_OR_RETURN(DataDir dir, PrepareDataDir(flags.data_dir));
  Assembly a;
  TV_RETURN_IF_ERROR(Assemble(flags, role, dir, a));

  http::Server server(ToServerOptions(flags, addr));
  http::AddReadinessRoute(a.router, [&server] { return server.Load(); });
  TV_ASSIGN_OR_RETURN(uint16_t port, server.Listen());
  std::string host = addr.host.find(':') != std::string::npos ? "[" + addr.host + "]" : addr.host;
  if (host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  std::string public_url = flags.public_url.empty() ? "http://" + host + ":" + std::to_string(port) : flags.public_url;
  while (public_url.size() > 1 && public_url.back() == '/') public_url.pop_back();
  if (a.data) {
    a.data->set_public_url(public_url);
    a.data->set_app_url(AppPublicUrl(flags, role == Role::kData ? flags.control_plane_url : public_url));
  }
  if (a.control) {
    a.control->set_options({public_url, flags.data_plane_url.empty() ? public_url : flags.data_plane_url});
  }
  // The browser's origin is the web app's: on a data plane, the app URL's
  // (by default its control plane's), elsewhere this server's own.
  std::string app_url = role == Role::kData ? AppPublicUrl(flags, flags.control_plane_url) : public_url;
  std::string default_origin = webapp::OriginOf(app_url);
  if (default_origin.empty()) default_origin = app_url;
  std::vector<http::PublicRoute> public_routes = http::InfoPublicRoutes();
  if (a.control) {
    auto auth = control::AuthPublicRoutes();  // the sign-in routes check the session cookie themselves
    public_routes.insert(public_routes.end(), auth.begin(), auth.end());
    TV_RETURN_IF_ERROR(AddWebApp(flags, a.control->options().data_plane_url, a.router, public_routes));
  }
  http::Pipeline pipeline(
      a.router, [c = a.client.get()](std::string_view token) { return c->Authenticate(token); },
      http::CorsPolicy(CorsOrigins(flags, default_origin)), std::move(public_routes));
  pipeline.LimitHeavy({flags.heavy_per_key, flags.heavy_per_org});
  spdlog::info("tracevault {}: listening on http://{}:{} (public URL {})", RoleName(role), host, port, public_url);
  server.Run(pipeline);
  spdlog::info("tracevault {}: stopped", RoleName(role));
  return Status::Ok();
}

}  // namespace

int RunServer(const ServerFlags& flags, Role role) {
  ConfigureLogging(flags.log_level);
  Status s = Run(flags, role);
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return 1;
  }
  return 0;
}

}  // namespace tv::cli
