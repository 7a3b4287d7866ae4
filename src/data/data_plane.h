// DataPlane: the service behind `tracevault data` and the data half of
// `tracevault serve`. It owns the data plane's own database (which holds the
// span store's catalog), the object store, and the span store, and learns
// about tokens and object names only through its ControlPlaneClient.
//
// When split from the control plane it also proxies the control-plane routes
// the SDKs call (/api/..., /v1/project, ...), so SDKs can be pointed at the
// data plane alone.
//
// Thread-safety: safe for concurrent use after Open(), set_public_url() and
// set_app_url().
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "btql/prices.h"
#include "common/clock.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "meta/meta_store.h"
#include "objstore/object_store.h"
#include "proxy/providers.h"
#include "store/span_store.h"

namespace tv::http {
class OutboundClient;
}  // namespace tv::http

namespace tv::data {

// The rooms the plane holds (data/<room>/), declared here so that including
// this header does not pull them in.
class ControlPlaneClient;  // data/control_plane/control_plane_client.h
class Functions;           // data/functions/functions.h
class ProxyCache;          // data/aiproxy/proxy_cache.h
class Secrets;             // data/secrets/secrets.h
class Uploads;             // data/rows/uploads.h

struct DataPlaneOptions {
  store::SpanStoreOptions store;
  // Advertised in /version; a larger /logs3 body is refused (413) and the
  // SDK sends it through the overflow upload instead.
  uint64_t logs3_payload_max_bytes = 6u << 20;
  // Model list prices for `estimated_cost` in experiment summaries, when a
  // span did not log its own (--model-prices FILE extends the defaults).
  btql::PriceTable prices = btql::PriceTable::Defaults();
  // Budgets of one BTQL query (btql_runner.h QueryOptions).
  size_t query_memory_bytes = size_t{512} << 20;
  std::chrono::milliseconds query_timeout{30'000};
  // Every call to another service goes through this client (docs/outbound.md).
  // Not owned; outlives the DataPlane. Null: the DataPlane makes its own with
  // the default limit (100 requests a minute per token).
  http::OutboundClient* outbound = nullptr;
  // The hosts the AI proxy may call (--proxy-allowed-hosts; docs/ai-proxy.md).
  proxy::AllowList proxy_allowed_hosts = proxy::AllowList::Defaults();
  // One model call may take this long in all; a stream may go this long
  // without a byte (a provider hung mid-stream).
  std::chrono::milliseconds proxy_timeout{600'000};
  std::chrono::milliseconds proxy_idle_timeout{60'000};
  // A call answered in one piece must end before the server's request
  // timeout answers 504 for it (run_server.cc sets it just below that).
  std::chrono::milliseconds proxy_buffered_timeout{115'000};
};

class DataPlane {
 public:
  static Result<std::unique_ptr<DataPlane>> Open(std::unique_ptr<meta::MetaStore> db, ControlPlaneClient& control,
                                                 std::unique_ptr<objstore::ObjectStore> objects, const Clock& clock,
                                                 DataPlaneOptions options);
  ~DataPlane();

  // Every room's routes, each given only what it uses.
  void RegisterRoutes(http::Router& router);

  // The URL clients reach this server at; upload URLs and summary links are
  // built on it (the rows and query rooms read it per request).
  void set_public_url(std::string url) {
    public_url_ = std::move(url);
    if (!app_url_given_) app_url_ = public_url_;
  }
  const std::string& public_url() const { return public_url_; }
  // The web app's URL, the base of the links summaries return
  // (--app-public-url); the public URL unless set.
  void set_app_url(std::string url) {
    app_url_ = std::move(url);
    app_url_given_ = true;
  }
  const std::string& app_url() const { return app_url_; }

  Status CheckDatabase();
  const http::Tenancy& tenancy() const { return tenancy_; }
  const std::string& instance_id() const { return instance_id_; }
  meta::MetaStore& db() { return *db_; }
  store::SpanStore& store() { return *store_; }
  const Clock& clock() const { return clock_; }
  const DataPlaneOptions& options() const { return options_; }
  Uploads& uploads() { return *uploads_; }
  // Provider secrets: /v1/env_var and ResolveProviderSecrets (secrets.h);
  // unavailable until secrets().Enable(keyring).
  Secrets& secrets() { return *secrets_; }
  // The one client for calls to other services: the control plane, model providers.
  http::OutboundClient& outbound() { return *outbound_; }
  // Prompts, functions and environments (functions.h; docs/prompts.md).
  Functions& functions() { return *functions_; }
  // The AI proxy's encrypted response cache (proxy_cache.h).
  ProxyCache& proxy_cache() { return *proxy_cache_; }

 private:
  DataPlane(std::unique_ptr<meta::MetaStore> db, ControlPlaneClient& control,
            std::unique_ptr<objstore::ObjectStore> objects, const Clock& clock, DataPlaneOptions options,
            std::string instance_id);

  std::unique_ptr<meta::MetaStore> db_;
  ControlPlaneClient& control_;
  std::unique_ptr<objstore::ObjectStore> objects_;
  const Clock& clock_;
  DataPlaneOptions options_;
  http::Tenancy tenancy_;
  std::string instance_id_;
  std::string public_url_;
  std::string app_url_;
  bool app_url_given_ = false;
  std::unique_ptr<store::SpanStore> store_;
  std::unique_ptr<Uploads> uploads_;
  std::unique_ptr<Secrets> secrets_;
  std::unique_ptr<http::OutboundClient> own_outbound_;  // when options.outbound was null
  http::OutboundClient* outbound_ = nullptr;            // never null after Open
  std::unique_ptr<Functions> functions_;
  std::unique_ptr<ProxyCache> proxy_cache_;
};

// The data plane database's migrations, oldest first (data_plane.cc).
const std::vector<meta::Migration>& DataMigrations();

}  // namespace tv::data
