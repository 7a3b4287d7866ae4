// ProxyCache: the AI proxy's response cache (docs/ai-proxy.md, "Response
// cache"), in the data plane's database, every entry sealed with the data
// plane's master keyring so no prompt or completion is stored in plaintext.
//
// Thread-safety: safe for concurrent use (the database serializes writes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/envelope.h"
#include "meta/meta_store.h"

namespace tv::data {

// The data plane's schema for the cache (migration 6).
std::string_view ProxyCacheSchemaSql();

struct CachedResponse {
  int status = 200;
  std::string content_type;
  std::string body;  // the JSON answer, or the event stream as sent
  bool streamed = false;
  int64_t age_seconds = 0;  // on reads
};

class ProxyCache {
 public:
  ProxyCache(meta::MetaStore& db, const Clock& clock) : db_(db), clock_(clock) {}

  // The key of a request: organization, endpoint, upstream and the canonical
  // JSON of the body, hashed.
  static std::string Key(std::string_view org_id, std::string_view endpoint, std::string_view base_url,
                         const boost::json::value& body);

  // The live entry under `key` no older than `max_age_seconds` (when given).
  // An entry that fails to open (a lost key, a tampered row) is dropped and
  // reported as a miss.
  Result<std::optional<CachedResponse>> Get(const crypto::Keyring& keys, std::string_view org_id, std::string_view key,
                                            std::optional<int64_t> max_age_seconds);
  Status Put(const crypto::Keyring& keys, std::string_view org_id, std::string_view key, const CachedResponse& entry,
             int64_t ttl_seconds);

 private:
  meta::MetaStore& db_;
  const Clock& clock_;
};

}  // namespace tv::data
