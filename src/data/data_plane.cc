#include "data/data_plane.h"

#include "common/clock.h"
#include "common/ids.h"

namespace tv::data {

const std::vector<meta::Migration>& DataMigrations() {
  static const auto* migrations = new std::vector<meta::Migration>{
      {1, "data plane identity", R"sql(
CREATE TABLE data_plane_info (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql"},
  };
  return *migrations;
}

DataPlane::DataPlane(std::unique_ptr<meta::MetaStore> db, ControlPlaneClient& control, std::string instance_id)
    : db_(std::move(db)),
      control_(control),
      tenancy_([this](ObjectType type, std::string_view id, const Principal& caller) {
        return control_.Resolve(type, id, caller);
      }),
      instance_id_(std::move(instance_id)) {}

Result<std::unique_ptr<DataPlane>> DataPlane::Open(std::unique_ptr<meta::MetaStore> db, ControlPlaneClient& control) {
  TV_RETURN_IF_ERROR(meta::Migrate(*db, DataMigrations()));
  TV_RETURN_IF_ERROR(db->Execute("INSERT INTO data_plane_info (key, value) VALUES ('instance_id', $1) "
                                 "ON CONFLICT (key) DO NOTHING",
                                 {NewUuid()}));
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db->Query("SELECT value FROM data_plane_info WHERE key = 'instance_id'"));
  return std::unique_ptr<DataPlane>(new DataPlane(std::move(db), control, rows.Text(0, "value")));
}

void DataPlane::RegisterRoutes(http::Router& router) {
  // The span store's routes (/logs3, /btql, ...) are added by later issues.
  (void)router;
}

Status DataPlane::CheckDatabase() { return db_->Query("SELECT 1 AS ok").status(); }

}  // namespace tv::data
