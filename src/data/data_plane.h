// DataPlane: the service behind `tracevault data` and the data half of
// `tracevault serve`. It owns the data plane's own database (the span store's
// catalog will live there) and learns about tokens and object names only
// through its ControlPlaneClient.
//
// When split from the control plane it also proxies the control-plane routes
// the SDKs call (/api/..., /v1/project, ...), so SDKs can be pointed at the
// data plane alone.
//
// Thread-safety: safe for concurrent use after Open().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/control_plane_client.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "meta/meta_store.h"

namespace tv::data {

class DataPlane {
 public:
  static Result<std::unique_ptr<DataPlane>> Open(std::unique_ptr<meta::MetaStore> db, ControlPlaneClient& control);

  void RegisterRoutes(http::Router& router);
  // Forwards the control plane's public routes to `control_plane_url`.
  // `on_key_deleted` runs after a proxied API key deletion succeeds.
  void RegisterControlPlaneProxy(http::Router& router, std::string control_plane_url,
                                 std::function<void(const std::string& key_id)> on_key_deleted);

  Status CheckDatabase();
  const http::Tenancy& tenancy() const { return tenancy_; }
  const std::string& instance_id() const { return instance_id_; }

 private:
  DataPlane(std::unique_ptr<meta::MetaStore> db, ControlPlaneClient& control, std::string instance_id);

  std::unique_ptr<meta::MetaStore> db_;
  ControlPlaneClient& control_;
  http::Tenancy tenancy_;
  std::string instance_id_;
};

const std::vector<meta::Migration>& DataMigrations();

}  // namespace tv::data
