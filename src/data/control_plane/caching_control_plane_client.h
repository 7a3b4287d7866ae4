// CachingControlPlaneClient: remembers successful answers of another client
// for a short TTL (at most 60 s), so a request costs no round trip to the
// control plane in the common case.
//
// Only successes are cached: an unknown token or id is asked again each time.
// InvalidateKey() drops every cached principal of a deleted API key at once,
// InvalidateObject() a deleted project, experiment or dataset;
// the embedded server calls it from the control plane's revocation hook, the
// data plane when a key deletion passes through its proxy. Elsewhere a revoked
// key stops working within the TTL.
//
// Thread-safety: safe for concurrent use; the inner client is called without
// holding the cache lock.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/mutex.h"
#include "data/control_plane/control_plane_client.h"

namespace tv::data {

class CachingControlPlaneClient final : public ControlPlaneClient {
 public:
  static constexpr std::chrono::seconds kMaxTtl{60};

  CachingControlPlaneClient(std::unique_ptr<ControlPlaneClient> inner, std::chrono::seconds ttl, const Clock& clock,
                            size_t max_entries = 100000);

  // A miss asks the control plane with mu_ released (a round trip must not
  // stall every other lookup).
  Result<Principal> Authenticate(std::string_view token) override EXCLUDES(mu_);
  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id, const Principal& caller) override EXCLUDES(mu_);
  Result<ObjectInfo> FindProject(std::string_view org_id, std::string_view name, const Principal& caller) override
      EXCLUDES(mu_);
  Status Health() override { return inner_->Health(); }
  // Plaintext secrets are never cached.
  Result<std::vector<ProviderSecret>> OrgProviderSecrets(std::string_view org_id, const Principal& caller) override {
    return inner_->OrgProviderSecrets(org_id, caller);
  }

  void InvalidateKey(const std::string& api_key_id);
  // Drops a deleted object (and, for a project, everything cached under it).
  void InvalidateObject(ObjectType type, const std::string& id);

 private:
  template <typename T>
  struct Entry {
    T value;
    int64_t expires_micros;
  };

  std::unique_ptr<ControlPlaneClient> inner_;
  const int64_t ttl_micros_;
  const Clock& clock_;
  const size_t max_entries_;

  Mutex mu_;
  std::unordered_map<std::string, Entry<Principal>> principals_ GUARDED_BY(mu_);      // by SHA-256 of token
  std::unordered_map<std::string, Entry<ObjectInfo>> objects_ GUARDED_BY(mu_);        // by "type/id"
  std::unordered_map<std::string, Entry<ObjectInfo>> project_names_ GUARDED_BY(mu_);  // by "org_id/name"
  uint64_t generation_ GUARDED_BY(mu_) = 0;                                           // bumped by every invalidation
};

}  // namespace tv::data
