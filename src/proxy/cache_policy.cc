#include "proxy/cache_policy.h"

#include <charconv>

#include "common/strings.h"

namespace tv::proxy {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> ParseSeconds(std::string_view s) {
  s = Trim(s);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

bool Deterministic(const boost::json::object& body) {
  if (const auto* seed = body.if_contains("seed"); seed && !seed->is_null()) return true;
  const auto* t = body.if_contains("temperature");
  if (!t) return false;
  if (t->is_int64()) return t->as_int64() == 0;
  if (t->is_uint64()) return t->as_uint64() == 0;
  if (t->is_double()) return t->as_double() == 0.0;
  return false;
}

}  // namespace

Result<CachePolicy> DecideCache(const CacheHeaders& headers, const boost::json::object& body, bool embeddings) {
  CachePolicy p;
  std::string_view mode = headers.use_cache ? Trim(*headers.use_cache) : "auto";
  if (mode == "auto") {
    p.read = p.write = embeddings || Deterministic(body);
  } else if (mode == "always") {
    p.read = p.write = true;
  } else if (mode != "never") {
    return InvalidArgument("x-bt-use-cache must be auto, always or never, not '{}'", mode);
  }
  if (headers.ttl) {
    auto ttl = ParseSeconds(*headers.ttl);
    if (!ttl || *ttl < 1 || *ttl > kMaxCacheTtlSeconds)
      return InvalidArgument("x-bt-cache-ttl must be a whole number of seconds from 1 to {}", kMaxCacheTtlSeconds);
    p.ttl_seconds = *ttl;
  }
  if (headers.cache_control) {
    for (std::string_view d : SplitList(*headers.cache_control)) {
      if (d == "no-cache")
        p.read = false;
      else if (d == "no-store")
        p.write = false;
      else if (d.starts_with("max-age=")) {
        auto age = ParseSeconds(d.substr(8));
        if (!age) return InvalidArgument("Cache-Control max-age must be a whole number of seconds");
        p.max_age_seconds = *age;
      }
    }
  }
  return p;
}

}  // namespace tv::proxy
