#include "data/data_plane.h"

#include "common/ids.h"
#include "data/aiproxy/aiproxy.h"
#include "data/aiproxy/proxy_cache.h"
#include "data/control_plane/control_plane_client.h"
#include "data/functions/functions.h"
#include "data/query/query.h"
#include "data/routes_admin.h"
#include "data/rows/rows.h"
#include "data/rows/uploads.h"
#include "data/secrets/secrets.h"
#include "functions/function_store.h"
#include "http/outbound.h"
#include "store/catalog.h"
#include "store/quarantine.h"
#include "store/segment_set.h"

namespace tv::data {

// Each entry's DDL lives beside the code that owns its tables. Migrations are
// never renumbered, reordered or rewritten once released: a database records
// the numbers it has run, so a change to the schema is a new entry at the end.
const std::vector<meta::Migration>& DataMigrations() {
  static const auto* migrations = new std::vector<meta::Migration>{
      {1, "data plane identity", R"sql(
CREATE TABLE data_plane_info (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql"},
      {2, "span store catalog", store::CatalogSchemaSql()},
      {3, "segment sets", store::SegmentSchemaSql()},
      {4, "prompts, functions and environments", functions::FunctionSchemaSql()},
      {5, "project-level provider secrets (env_vars)", EnvVarSchemaSql()},
      {6, "the AI proxy's response cache", ProxyCacheSchemaSql()},
      {7, "span store quarantine", store::QuarantineSchemaSql()},
  };
  return *migrations;
}

DataPlane::DataPlane(std::unique_ptr<meta::MetaStore> db, ControlPlaneClient& control,
                     std::unique_ptr<objstore::ObjectStore> objects, const Clock& clock, DataPlaneOptions options,
                     std::string instance_id)
    : db_(std::move(db)),
      control_(control),
      objects_(std::move(objects)),
      clock_(clock),
      options_(options),
      tenancy_([this](ObjectType type, std::string_view id, const Principal& caller) {
        return control_.Resolve(type, id, caller);
      }),
      instance_id_(std::move(instance_id)) {}

DataPlane::~DataPlane() = default;

Result<std::unique_ptr<DataPlane>> DataPlane::Open(std::unique_ptr<meta::MetaStore> db, ControlPlaneClient& control,
                                                   std::unique_ptr<objstore::ObjectStore> objects, const Clock& clock,
                                                   DataPlaneOptions options) {
  TV_RETURN_IF_ERROR(meta::Migrate(*db, DataMigrations()));
  TV_RETURN_IF_ERROR(
      db->Execute("INSERT INTO data_plane_info (key, value) VALUES ('instance_id', $1) "
                  "ON CONFLICT (key) DO NOTHING",
                  {NewUuid()}));
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db->Query("SELECT value FROM data_plane_info WHERE key = 'instance_id'"));
  std::unique_ptr<DataPlane> dp(
      new DataPlane(std::move(db), control, std::move(objects), clock, options, rows.Text(0, "value")));
  TV_ASSIGN_OR_RETURN(dp->store_, store::SpanStore::Open(*dp->db_, *dp->objects_, clock, options.store));
  dp->uploads_ = std::make_unique<Uploads>(*dp->db_, *dp->objects_, clock);
  dp->outbound_ = options.outbound;
  if (!dp->outbound_) {
    dp->own_outbound_ = std::make_unique<http::OutboundClient>(
        http::OutboundOptions{}, http::MakeLocalRateLimiter(http::RateLimit{}, clock), clock);
    dp->outbound_ = dp->own_outbound_.get();
  }
  dp->secrets_ = std::make_unique<Secrets>(*dp->db_, dp->control_, dp->tenancy_, clock);
  dp->functions_ = std::make_unique<Functions>(*dp->db_, clock, dp->tenancy_, dp->control_);
  dp->proxy_cache_ = std::make_unique<ProxyCache>(*dp->db_, clock);
  return dp;
}

void DataPlane::RegisterRoutes(http::Router& router) {
  AddRowsRoutes(router, RowsDeps{.tenancy = tenancy_,
                                 .store = *store_,
                                 .uploads = *uploads_,
                                 .clock = clock_,
                                 .logs3_payload_max_bytes = options_.logs3_payload_max_bytes,
                                 .public_url = public_url_});
  AddQueryRoutes(router, QueryDeps{.tenancy = tenancy_,
                                   .store = *store_,
                                   .clock = clock_,
                                   .functions = *functions_,
                                   .prices = options_.prices,
                                   .memory_bytes = options_.query_memory_bytes,
                                   .timeout = options_.query_timeout,
                                   .app_url = app_url_});
  AddAdminRoutes(router, AdminDeps{.tenancy = tenancy_, .store = *store_, .outbound = *outbound_});
  AddSecretsRoutes(router, *secrets_);
  AddFunctionsRoutes(router, *functions_);
  ModelCallOptions model_calls{options_.proxy_allowed_hosts, options_.proxy_timeout, options_.proxy_idle_timeout,
                               options_.proxy_buffered_timeout};
  AddAiProxyRoutes(router, {tenancy_, clock_, *outbound_, *proxy_cache_, *secrets_, *store_, *functions_, model_calls});
}

Status DataPlane::CheckDatabase() { return db_->Query("SELECT 1 AS ok").status(); }

}  // namespace tv::data
