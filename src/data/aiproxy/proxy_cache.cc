#include "data/aiproxy/proxy_cache.h"

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "btql/values.h"
#include "crypto/crypto.h"

namespace tv::data {
namespace {

namespace json = boost::json;

std::string Context(std::string_view org_id, std::string_view key) {
  return crypto::SecretContext("proxy_cache", org_id, key);
}

constexpr int64_t kMicros = 1'000'000;

}  // namespace

std::string_view ProxyCacheSchemaSql() {
  return R"sql(
CREATE TABLE proxy_cache (
  key TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  created_micros BIGINT NOT NULL,
  expires_micros BIGINT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX proxy_cache_expires ON proxy_cache (expires_micros);
)sql";
}

std::string ProxyCache::Key(std::string_view org_id, std::string_view endpoint, std::string_view base_url,
                            const json::value& body) {
  std::string material;
  for (std::string_view part : {org_id, endpoint, base_url}) {
    material += std::to_string(part.size());
    material += ':';
    material += part;
  }
  material += btql::CanonicalJson(body);
  return crypto::HexEncode(crypto::Sha256(material));
}

Result<std::optional<CachedResponse>> ProxyCache::Get(const crypto::Keyring& keys, std::string_view org_id,
                                                      std::string_view key, std::optional<int64_t> max_age_seconds) {
  int64_t now = clock_.NowMicros();
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT created_micros, expires_micros, value FROM proxy_cache "
                                                 "WHERE key = $1 AND org_id = $2",
                                                 {std::string(key), std::string(org_id)}));
  if (rows.empty()) return std::optional<CachedResponse>();
  int64_t created = rows.Int(0, "created_micros");
  // Only the entry read: a concurrent Put of the same key must survive.
  auto drop = [&]() -> Result<std::optional<CachedResponse>> {
    TV_RETURN_IF_ERROR(
        db_.Execute("DELETE FROM proxy_cache WHERE key = $1 AND created_micros = $2", {std::string(key), created})
            .status());
    return std::optional<CachedResponse>();
  };
  if (rows.Int(0, "expires_micros") <= now) return drop();
  int64_t age = std::max<int64_t>(0, (now - created) / kMicros);
  if (max_age_seconds && age > *max_age_seconds) return std::optional<CachedResponse>();
  Result<std::string> plain = crypto::OpenSecret(keys, rows.Text(0, "value"), Context(org_id, key));
  if (!plain.ok()) {
    spdlog::warn("proxy cache: dropping an entry that does not open: {}", plain.status().message());
    return drop();
  }
  boost::system::error_code ec;
  json::value v = json::parse(*plain, ec);
  if (ec || !v.is_object()) return drop();
  const json::object& o = v.as_object();
  CachedResponse r;
  if (const auto* s = o.if_contains("status"); s && s->is_int64()) r.status = static_cast<int>(s->as_int64());
  if (const auto* s = o.if_contains("content_type"); s && s->is_string()) r.content_type = s->as_string();
  if (const auto* s = o.if_contains("body"); s && s->is_string()) r.body = s->as_string();
  if (const auto* s = o.if_contains("streamed"); s && s->is_bool()) r.streamed = s->as_bool();
  r.age_seconds = age;
  return std::optional<CachedResponse>(std::move(r));
}

Status ProxyCache::Put(const crypto::Keyring& keys, std::string_view org_id, std::string_view key,
                       const CachedResponse& entry, int64_t ttl_seconds) {
  int64_t now = clock_.NowMicros();
  json::object o{{"status", entry.status},
                 {"content_type", entry.content_type},
                 {"body", entry.body},
                 {"streamed", entry.streamed}};
  TV_ASSIGN_OR_RETURN(std::string sealed, crypto::SealSecret(keys, json::serialize(o), Context(org_id, key)));
  // Expired entries go in small batches, so the table does not grow without bound.
  TV_RETURN_IF_ERROR(db_.Execute("DELETE FROM proxy_cache WHERE key IN (SELECT key FROM proxy_cache "
                                 "WHERE expires_micros <= $1 LIMIT 100)",
                                 {now})
                         .status());
  return db_
      .Execute(
          "INSERT INTO proxy_cache (key, org_id, created_micros, expires_micros, value) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET org_id = excluded.org_id, "
          "created_micros = excluded.created_micros, expires_micros = excluded.expires_micros, "
          "value = excluded.value",
          {std::string(key), std::string(org_id), now, now + ttl_seconds * kMicros, std::move(sealed)})
      .status();
}

}  // namespace tv::data
