// The AI proxy's response cache (src/data/aiproxy/proxy_cache.h) over a
// temp-dir SQLite database with a fake clock: the key, put and get, the
// lifetime and max-age, tenants kept apart, and rows that no longer open.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "crypto/crypto.h"
#include "data/aiproxy/proxy_cache.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "meta_fixture.h"
#include "test_support.h"

namespace tv::data {
namespace {

using tv::testing::FakeClock;
using tv::testing::TempDir;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kDay = 86'400;

boost::json::value Body(std::string_view text) { return boost::json::parse(text); }

class ProxyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenMigratedDb(dir_.File("data.db"), {{1, "proxy cache", ProxyCacheSchemaSql()}});
    ASSERT_TRUE(db_);
    cache_ = std::make_unique<ProxyCache>(*db_, clock_);
  }

  void Put(std::string_view org, std::string_view key, const CachedResponse& entry, int64_t ttl_seconds = kDay) {
    Status s = cache_->Put(keys_, org, key, entry, ttl_seconds);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::optional<CachedResponse> Get(std::string_view org, std::string_view key,
                                    std::optional<int64_t> max_age = std::nullopt) {
    return Get(keys_, org, key, max_age);
  }
  std::optional<CachedResponse> Get(const crypto::Keyring& keys, std::string_view org, std::string_view key,
                                    std::optional<int64_t> max_age = std::nullopt) {
    Result<std::optional<CachedResponse>> r = cache_->Get(keys, org, key, max_age);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : std::nullopt;
  }

  int64_t Rows() {
    Result<meta::Rows> r = db_->Query("SELECT COUNT(*) AS n FROM proxy_cache");
    EXPECT_TRUE(r.ok());
    return r->Int(0, "n");
  }
  std::string StoredValue(std::string_view key) {
    Result<meta::Rows> r = db_->Query("SELECT value FROM proxy_cache WHERE key = $1", {std::string(key)});
    EXPECT_TRUE(r.ok() && r->size() == 1);
    return r->Text(0, "value");
  }

  TempDir dir_;
  FakeClock clock_;
  crypto::Keyring keys_{crypto::RandomBytes(crypto::kMasterKeyBytes)};
  std::unique_ptr<meta::MetaStore> db_;
  std::unique_ptr<ProxyCache> cache_;
};

const CachedResponse kAnswer{200, "application/json", R"({"choices":[{"text":"hello"}]})", false, 0};

// --- The key -----------------------------------------------------------------

TEST(ProxyCacheKeyTest, IsStableAndIgnoresKeyOrder) {
  std::string a = ProxyCache::Key("org", "/chat/completions", "https://api", Body(R"({"model":"m","seed":1})"));
  std::string b = ProxyCache::Key("org", "/chat/completions", "https://api", Body(R"({"seed":1,"model":"m"})"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 64u) << "hex SHA-256";
}

TEST(ProxyCacheKeyTest, EveryPartSeparatesRequests) {
  const auto body = Body(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  std::string base = ProxyCache::Key("org", "/chat/completions", "https://api", body);
  EXPECT_NE(base, ProxyCache::Key("org2", "/chat/completions", "https://api", body));
  EXPECT_NE(base, ProxyCache::Key("org", "/completions", "https://api", body));
  EXPECT_NE(base, ProxyCache::Key("org", "/chat/completions", "https://other", body));
  EXPECT_NE(base, ProxyCache::Key("org", "/chat/completions", "https://api",
                                  Body(R"({"model":"m","messages":[{"role":"user","content":"ho"}]})")));
}

TEST(ProxyCacheKeyTest, PartsDoNotRunIntoEachOther) {
  const auto body = Body("{}");
  EXPECT_NE(ProxyCache::Key("ab", "c", "d", body), ProxyCache::Key("a", "bc", "d", body));
  EXPECT_NE(ProxyCache::Key("a", "b", "cd", body), ProxyCache::Key("a", "bc", "d", body));
}

// --- Put and get -------------------------------------------------------------

TEST_F(ProxyCacheTest, PutThenGetReturnsTheEntry) {
  CachedResponse stream{200, "text/event-stream", "data: {}\n\ndata: [DONE]\n\n", true, 0};
  Put("org", "k1", kAnswer);
  Put("org", "k2", stream);
  std::optional<CachedResponse> hit = Get("org", "k1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->status, 200);
  EXPECT_EQ(hit->content_type, "application/json");
  EXPECT_EQ(hit->body, kAnswer.body);
  EXPECT_FALSE(hit->streamed);
  EXPECT_EQ(hit->age_seconds, 0);
  hit = Get("org", "k2");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, stream.body);
  EXPECT_TRUE(hit->streamed);
}

TEST_F(ProxyCacheTest, UnknownKeyIsAMiss) {
  Put("org", "k1", kAnswer);
  EXPECT_FALSE(Get("org", "k2"));
}

TEST_F(ProxyCacheTest, AnotherOrganizationNeverReadsTheEntry) {
  Put("org-a", "k1", kAnswer);
  EXPECT_FALSE(Get("org-b", "k1"));
  EXPECT_TRUE(Get("org-a", "k1")) << "the other organization's miss left it alone";
}

TEST_F(ProxyCacheTest, PutReplacesTheEntryOfTheSameKey) {
  Put("org", "k1", kAnswer);
  clock_.Advance(10 * kSecond);
  CachedResponse newer = kAnswer;
  newer.body = R"({"choices":[{"text":"again"}]})";
  Put("org", "k1", newer);
  std::optional<CachedResponse> hit = Get("org", "k1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, newer.body);
  EXPECT_EQ(hit->age_seconds, 0) << "the lifetime starts again";
  EXPECT_EQ(Rows(), 1);
}

TEST_F(ProxyCacheTest, NothingIsStoredInPlaintext) {
  CachedResponse secret{200, "application/json", R"({"answer":"the launch code is 0000"})", false, 0};
  Put("org", "k1", secret);
  std::string stored = StoredValue("k1");
  EXPECT_EQ(stored.rfind("tvs1$", 0), 0u) << stored;
  EXPECT_EQ(stored.find("launch code"), std::string::npos);
  EXPECT_EQ(stored.find("application/json"), std::string::npos);
}

// --- Lifetime ----------------------------------------------------------------

TEST_F(ProxyCacheTest, AgeCountsWholeSeconds) {
  Put("org", "k1", kAnswer);
  clock_.Advance(90 * kSecond + kSecond / 2);
  std::optional<CachedResponse> hit = Get("org", "k1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->age_seconds, 90);
}

TEST_F(ProxyCacheTest, EntryLivesForItsTtlThenIsDropped) {
  Put("org", "k1", kAnswer, /*ttl_seconds=*/60);
  clock_.Advance(60 * kSecond - 1);
  EXPECT_TRUE(Get("org", "k1"));
  clock_.Advance(1);
  EXPECT_FALSE(Get("org", "k1"));
  EXPECT_EQ(Rows(), 0) << "an expired entry is deleted when met";
}

TEST_F(ProxyCacheTest, MaxAgeRefusesOlderEntriesWithoutDroppingThem) {
  Put("org", "k1", kAnswer);
  clock_.Advance(30 * kSecond);
  EXPECT_TRUE(Get("org", "k1", /*max_age=*/30));
  EXPECT_FALSE(Get("org", "k1", /*max_age=*/29));
  EXPECT_FALSE(Get("org", "k1", /*max_age=*/0));
  EXPECT_TRUE(Get("org", "k1")) << "still there for a caller without max-age";
}

TEST_F(ProxyCacheTest, PutSweepsExpiredEntries) {
  Put("org", "old1", kAnswer, 10);
  Put("org-b", "old2", kAnswer, 10);
  Put("org", "live", kAnswer, 1000);
  clock_.Advance(10 * kSecond);
  Put("org", "new", kAnswer);
  EXPECT_EQ(Rows(), 2);
  EXPECT_TRUE(Get("org", "live"));
  EXPECT_TRUE(Get("org", "new"));
}

// --- Rows that do not open ---------------------------------------------------

TEST_F(ProxyCacheTest, TamperedRowIsAMissAndIsDropped) {
  Put("org", "k1", kAnswer);
  std::string stored = StoredValue("k1");
  // One character inside the sealed value (a base64 digit whose bits are all used).
  size_t at = stored.rfind('$') + 8;
  ASSERT_LT(at, stored.size() - 4);
  stored[at] = stored[at] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(db_->Execute("UPDATE proxy_cache SET value = $1 WHERE key = 'k1'", {stored}).ok());
  EXPECT_FALSE(Get("org", "k1"));
  EXPECT_EQ(Rows(), 0);
}

TEST_F(ProxyCacheTest, GarbageRowIsAMissAndIsDropped) {
  Put("org", "k1", kAnswer);
  ASSERT_TRUE(db_->Execute("UPDATE proxy_cache SET value = 'not a sealed value' WHERE key = 'k1'").ok());
  EXPECT_FALSE(Get("org", "k1"));
  EXPECT_EQ(Rows(), 0);
}

TEST_F(ProxyCacheTest, EntryOfAnotherKeyDoesNotOpenUnderThisOne) {
  Put("org", "k1", kAnswer);
  Put("org", "k2", CachedResponse{200, "application/json", "{}", false, 0});
  // Replaying k1's sealed value under k2: bound to its key, it does not open.
  ASSERT_TRUE(db_->Execute("UPDATE proxy_cache SET value = $1 WHERE key = 'k2'", {StoredValue("k1")}).ok());
  EXPECT_FALSE(Get("org", "k2"));
  EXPECT_TRUE(Get("org", "k1"));
}

TEST_F(ProxyCacheTest, EntrySealedUnderARetiredKeyIsAMiss) {
  Put("org", "k1", kAnswer);
  crypto::Keyring rotated(crypto::RandomBytes(crypto::kMasterKeyBytes));
  EXPECT_FALSE(Get(rotated, "org", "k1"));
  EXPECT_EQ(Rows(), 0);
}

TEST_F(ProxyCacheTest, EntrySealedUnderAnOldKeyStillOpensWhileTheKeyringHasIt) {
  Put("org", "k1", kAnswer);
  crypto::Keyring rotated(crypto::RandomBytes(crypto::kMasterKeyBytes));
  rotated.AddOld(keys_.current());
  std::optional<CachedResponse> hit = Get(rotated, "org", "k1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, kAnswer.body);
}

}  // namespace
}  // namespace tv::data
