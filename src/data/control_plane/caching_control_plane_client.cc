#include "data/control_plane/caching_control_plane_client.h"

#include <algorithm>

#include "crypto/crypto.h"

namespace tv::data {
namespace {

template <typename Map>
const typename Map::mapped_type* FreshEntry(Map& map, const std::string& key, int64_t now) {
  auto it = map.find(key);
  if (it == map.end()) return nullptr;
  if (it->second.expires_micros <= now) {
    map.erase(it);
    return nullptr;
  }
  return &it->second;
}

}  // namespace

CachingControlPlaneClient::CachingControlPlaneClient(std::unique_ptr<ControlPlaneClient> inner,
                                                     std::chrono::seconds ttl, const Clock& clock, size_t max_entries)
    : inner_(std::move(inner)),
      ttl_micros_(std::chrono::duration_cast<std::chrono::microseconds>(std::min(ttl, kMaxTtl)).count()),
      clock_(clock),
      max_entries_(max_entries) {}

Result<Principal> CachingControlPlaneClient::Authenticate(std::string_view token) {
  std::string key = crypto::Sha256(token);
  uint64_t generation;
  {
    MutexLock lock(mu_);
    if (auto* e = FreshEntry(principals_, key, clock_.NowMicros())) return e->value;
    generation = generation_;
  }
  TV_ASSIGN_OR_RETURN(Principal p, inner_->Authenticate(token));
  p.bearer_token = std::string(token);
  if (ttl_micros_ > 0) {
    MutexLock lock(mu_);
    // A key invalidated while we asked may be the one we are holding.
    if (generation != generation_) return p;
    if (principals_.size() >= max_entries_) principals_.clear();
    principals_[key] = {p, clock_.NowMicros() + ttl_micros_};
  }
  return p;
}

Result<ObjectInfo> CachingControlPlaneClient::Resolve(ObjectType type, std::string_view id, const Principal& caller) {
  std::string key = std::string(ObjectTypeName(type)) + "/" + std::string(id);
  uint64_t generation;
  {
    MutexLock lock(mu_);
    // The org check is the caller's (http::Tenancy); the object → org mapping
    // itself is the same for everyone, so one entry serves all callers.
    if (auto* e = FreshEntry(objects_, key, clock_.NowMicros())) return e->value;
    generation = generation_;
  }
  TV_ASSIGN_OR_RETURN(ObjectInfo info, inner_->Resolve(type, id, caller));
  if (ttl_micros_ > 0) {
    MutexLock lock(mu_);
    if (generation != generation_) return info;  // something was deleted while we asked
    if (objects_.size() >= max_entries_) objects_.clear();
    objects_[key] = {info, clock_.NowMicros() + ttl_micros_};
  }
  return info;
}

Result<ObjectInfo> CachingControlPlaneClient::FindProject(std::string_view org_id, std::string_view name,
                                                          const Principal& caller) {
  std::string key = std::string(org_id) + "/" + std::string(name);
  uint64_t generation;
  {
    MutexLock lock(mu_);
    if (auto* e = FreshEntry(project_names_, key, clock_.NowMicros())) return e->value;
    generation = generation_;
  }
  TV_ASSIGN_OR_RETURN(ObjectInfo info, inner_->FindProject(org_id, name, caller));
  if (ttl_micros_ > 0) {
    MutexLock lock(mu_);
    if (generation != generation_) return info;
    if (project_names_.size() >= max_entries_) project_names_.clear();
    project_names_[key] = {info, clock_.NowMicros() + ttl_micros_};
  }
  return info;
}

void CachingControlPlaneClient::InvalidateKey(const std::string& api_key_id) {
  MutexLock lock(mu_);
  ++generation_;
  std::erase_if(principals_, [&](const auto& kv) { return kv.second.value.api_key_id == api_key_id; });
}

void CachingControlPlaneClient::InvalidateObject(ObjectType type, const std::string& id) {
  MutexLock lock(mu_);
  ++generation_;
  objects_.erase(std::string(ObjectTypeName(type)) + "/" + id);
  if (type == ObjectType::kProject) {
    std::erase_if(objects_, [&](const auto& kv) { return kv.second.value.project_id == id; });
    std::erase_if(project_names_, [&](const auto& kv) { return kv.second.value.id == id; });
  }
}

}  // namespace tv::data
