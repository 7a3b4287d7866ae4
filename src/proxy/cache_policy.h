// Whether a proxied request reads and writes the response cache
// (docs/ai-proxy.md, "Response cache"), from its headers and body.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "common/status.h"

namespace tv::proxy {

inline constexpr int64_t kMaxCacheTtlSeconds = 604800;

struct CacheHeaders {
  std::optional<std::string_view> use_cache;      // x-bt-use-cache: auto | always | never
  std::optional<std::string_view> ttl;            // x-bt-cache-ttl: seconds
  std::optional<std::string_view> cache_control;  // no-cache, no-store, max-age=N
};

struct CachePolicy {
  bool read = false;
  bool write = false;
  int64_t ttl_seconds = kMaxCacheTtlSeconds;
  std::optional<int64_t> max_age_seconds;  // reads accept entries at most this old
};

// `embeddings`: the request is for embeddings (deterministic, so cached under auto).
// InvalidArgument for a bad header value.
Result<CachePolicy> DecideCache(const CacheHeaders& headers, const boost::json::object& body, bool embeddings);

}  // namespace tv::proxy
