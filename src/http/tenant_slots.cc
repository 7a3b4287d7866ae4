#include "http/tenant_slots.h"

#include <chrono>

#include "http/error_response.h"

namespace tv::http {
namespace {

constexpr std::chrono::seconds kRetryAfter{1};

// The caller's credential: its API key, or its user for a session.
std::string KeyName(const Principal& caller) {
  return caller.api_key_id.empty() ? "user:" + caller.user_id : "key:" + caller.api_key_id;
}

std::vector<std::string> OrgNames(const Principal& caller) {
  if (!caller.api_key_org_id.empty()) return {"org:" + caller.api_key_org_id};
  std::vector<std::string> out;
  for (const auto& m : caller.orgs) out.push_back("org:" + m.org_id);
  return out;
}

}  // namespace

TenantSlots::Lease& TenantSlots::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    slots_ = other.slots_;
    names_ = std::move(other.names_);
    other.slots_ = nullptr;
    other.names_.clear();
  }
  return *this;
}

void TenantSlots::Lease::Release() {
  if (slots_) slots_->Release(names_);
  slots_ = nullptr;
  names_.clear();
}

Result<TenantSlots::Lease> TenantSlots::Acquire(const Principal& caller) {
  std::string key = KeyName(caller);
  std::vector<std::string> orgs = OrgNames(caller);
  MutexLock lock(mu_);
  if (limits_.per_key > 0 && CountLocked(key) >= limits_.per_key) {
    return WithRetryAfter(ResourceExhausted("This API key already has {} heavy requests (BTQL queries, summaries) "
                                            "running, the most allowed at once; retry when one finishes",
                                            limits_.per_key),
                          kRetryAfter);
  }
  if (limits_.per_org > 0) {
    for (const auto& org : orgs) {
      if (CountLocked(org) >= limits_.per_org) {
        return WithRetryAfter(ResourceExhausted("This organization already has {} heavy requests (BTQL queries, "
                                                "summaries) running, the most allowed at once; retry when one finishes",
                                                limits_.per_org),
                              kRetryAfter);
      }
    }
  }
  std::vector<std::string> names = std::move(orgs);
  names.push_back(std::move(key));
  for (const auto& n : names) ++in_flight_[n];
  return Lease(this, std::move(names));
}

void TenantSlots::Release(const std::vector<std::string>& names) {
  MutexLock lock(mu_);
  for (const auto& n : names) {
    auto it = in_flight_.find(n);
    if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
  }
}

int TenantSlots::CountLocked(const std::string& name) const {
  auto it = in_flight_.find(name);
  return it == in_flight_.end() ? 0 : it->second;
}

int TenantSlots::InFlightForKey(const std::string& key_id) const {
  MutexLock lock(mu_);
  return CountLocked("key:" + key_id);
}

int TenantSlots::InFlightForOrg(const std::string& org_id) const {
  MutexLock lock(mu_);
  return CountLocked("org:" + org_id);
}

}  // namespace tv::http
