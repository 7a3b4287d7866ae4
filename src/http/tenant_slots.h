// TenantSlots: how many heavy requests (RequestClass::kHeavy) one API key and
// one organization may have in flight at once, so a single tenant cannot take
// every heavy thread. Acquire() takes one slot of the caller's key and one of
// each organization it acts in, or none at all; the Lease gives them back.
//
// The organizations a request counts against are known right after
// authentication: the key's organization when the key is restricted to one,
// else every organization the user belongs to (a user in several counts
// against each, the conservative choice while the object is not yet read).
//
// Thread-safety: Acquire() and the Lease's release are safe from any thread.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"
#include "common/principal.h"
#include "common/status.h"

namespace tv::http {

struct TenantLimits {
  int per_key = 2;  // heavy requests in flight per API key; 0: no limit
  int per_org = 3;  // ... per organization; 0: no limit
};

class TenantSlots {
 public:
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Release(); }

   private:
    friend class TenantSlots;
    Lease(TenantSlots* slots, std::vector<std::string> names) : slots_(slots), names_(std::move(names)) {}
    void Release();

    TenantSlots* slots_ = nullptr;
    std::vector<std::string> names_;
  };

  explicit TenantSlots(TenantLimits limits) : limits_(limits) {}

  // One slot of the caller's key and of each of its organizations, or
  // ResourceExhausted (429, Retry-After) naming the limit that is reached.
  Result<Lease> Acquire(const Principal& caller);

  // Heavy requests now in flight for API key `key_id` / organization `org_id`.
  int InFlightForKey(const std::string& key_id) const;
  int InFlightForOrg(const std::string& org_id) const;

 private:
  void Release(const std::vector<std::string>& names);
  int CountLocked(const std::string& name) const REQUIRES(mu_);

  const TenantLimits limits_;
  mutable Mutex mu_;
  std::unordered_map<std::string, int> in_flight_ GUARDED_BY(mu_);  // "key:<id>" / "org:<id>"
};

}  // namespace tv::http
