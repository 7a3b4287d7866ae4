// Unit tests for src/data: the CachingControlPlaneClient in front of a fake
// control plane, with a fake clock.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "common/mutex.h"
#include "data/control_plane/caching_control_plane_client.h"
#include "test_support.h"

namespace tv::data {
namespace {

using tv::testing::FakeClock;

using std::chrono::seconds;

constexpr int64_t kSecond = 1000000;

// Answers from fixed tables and counts every call.
class FakeControlPlane final : public ControlPlaneClient {
 public:
  Result<Principal> Authenticate(std::string_view token) override {
    ++auth_calls;
    if (down) return Unavailable("control plane unreachable");
    auto it = keys.find(std::string(token));
    if (it == keys.end()) return Unauthenticated("Invalid API key");
    Principal p;
    p.user_id = "user-of-" + it->second;
    p.api_key_id = it->second;
    p.orgs = {{"org-1", "Org", "owner"}};
    return p;
  }

  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id, const Principal&) override {
    ++resolve_calls;
    if (down) return Unavailable("control plane unreachable");
    auto it = objects.find(std::string(id));
    if (it == objects.end() || it->second.type != type) return NotFound("not found");
    return it->second;
  }

  Result<ObjectInfo> FindProject(std::string_view, std::string_view name, const Principal&) override {
    return NotFound("project '{}' not found", name);
  }

  Status Health() override { return down ? Unavailable("down") : Status::Ok(); }

  std::map<std::string, std::string> keys = {{"tok-a", "key-a"}, {"tok-a2", "key-a"}, {"tok-b", "key-b"}};
  std::map<std::string, ObjectInfo> objects = {
      {"p1", ObjectInfo{ObjectType::kProject, "p1", "proj", "org-1", "", ""}},
      {"e1", ObjectInfo{ObjectType::kExperiment, "e1", "exp", "org-1", "p1", "proj"}}};
  bool down = false;
  int auth_calls = 0;
  int resolve_calls = 0;
};

class CachingClientTest : public ::testing::Test {
 protected:
  void Make(seconds ttl, size_t max_entries = 100000) {
    auto inner = std::make_unique<FakeControlPlane>();
    fake_ = inner.get();
    client_ = std::make_unique<CachingControlPlaneClient>(std::move(inner), ttl, clock_, max_entries);
  }

  void ExpectAuthOk(std::string_view token) {
    Result<Principal> p = client_->Authenticate(token);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->bearer_token, token);
  }

  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id) { return client_->Resolve(type, id, caller_); }

  FakeClock clock_;
  FakeControlPlane* fake_ = nullptr;
  std::unique_ptr<CachingControlPlaneClient> client_;
  Principal caller_;
};

TEST_F(CachingClientTest, SecondAuthenticateWithinTtlHitsCache) {
  Make(seconds(30));
  ExpectAuthOk("tok-a");
  clock_.Advance(29 * kSecond);
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 1);
  Result<Principal> p = client_->Authenticate("tok-a");
  EXPECT_EQ(p->api_key_id, "key-a");
  EXPECT_EQ(p->user_id, "user-of-key-a");
}

TEST_F(CachingClientTest, AuthenticateAfterTtlAsksAgain) {
  Make(seconds(30));
  ExpectAuthOk("tok-a");
  clock_.Advance(30 * kSecond);
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 2);
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 2) << "refreshed entry is cached again";
}

TEST_F(CachingClientTest, TokensAreCachedSeparately) {
  Make(seconds(30));
  ExpectAuthOk("tok-a");
  ExpectAuthOk("tok-b");
  ExpectAuthOk("tok-a2");
  EXPECT_EQ(fake_->auth_calls, 3);
  EXPECT_EQ(client_->Authenticate("tok-b")->api_key_id, "key-b");
  EXPECT_EQ(fake_->auth_calls, 3);
}

TEST_F(CachingClientTest, FailuresAreNotCached) {
  Make(seconds(30));
  EXPECT_EQ(client_->Authenticate("tok-unknown").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(client_->Authenticate("tok-unknown").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(fake_->auth_calls, 2);

  fake_->down = true;
  EXPECT_EQ(client_->Authenticate("tok-a").status().code(), StatusCode::kUnavailable);
  fake_->down = false;
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 4);
}

TEST_F(CachingClientTest, CachedPrincipalSurvivesControlPlaneOutage) {
  Make(seconds(30));
  ExpectAuthOk("tok-a");
  fake_->down = true;
  ExpectAuthOk("tok-a");
  EXPECT_EQ(client_->Health().code(), StatusCode::kUnavailable) << "Health is never cached";
}

TEST_F(CachingClientTest, InvalidateKeyDropsOnlyThatKey) {
  Make(seconds(30));
  ExpectAuthOk("tok-a");
  ExpectAuthOk("tok-a2");  // a second token of the same key id
  ExpectAuthOk("tok-b");
  ASSERT_EQ(fake_->auth_calls, 3);

  client_->InvalidateKey("key-a");
  ExpectAuthOk("tok-b");
  EXPECT_EQ(fake_->auth_calls, 3);
  ExpectAuthOk("tok-a");
  ExpectAuthOk("tok-a2");
  EXPECT_EQ(fake_->auth_calls, 5);

  client_->InvalidateKey("key-unknown");
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 5);
}

TEST_F(CachingClientTest, RevokedKeyFailsAfterInvalidate) {
  Make(seconds(30));
  ExpectAuthOk("tok-b");
  fake_->keys.erase("tok-b");
  ExpectAuthOk("tok-b");  // still cached
  client_->InvalidateKey("key-b");
  EXPECT_EQ(client_->Authenticate("tok-b").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(CachingClientTest, TtlIsClampedTo60Seconds) {
  Make(seconds(3600));
  ExpectAuthOk("tok-a");
  clock_.Advance(60 * kSecond - 1);
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 1);
  clock_.Advance(1);
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 2);
}

TEST_F(CachingClientTest, ZeroTtlDisablesCaching) {
  Make(seconds(0));
  ExpectAuthOk("tok-a");
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 2);
  ASSERT_TRUE(Resolve(ObjectType::kProject, "p1").ok());
  ASSERT_TRUE(Resolve(ObjectType::kProject, "p1").ok());
  EXPECT_EQ(fake_->resolve_calls, 2);
}

TEST_F(CachingClientTest, FullCacheStartsOver) {
  Make(seconds(30), 2);
  ExpectAuthOk("tok-a");
  ExpectAuthOk("tok-b");
  ExpectAuthOk("tok-a2");  // third entry: the map is cleared first
  EXPECT_EQ(fake_->auth_calls, 3);
  ExpectAuthOk("tok-a2");
  EXPECT_EQ(fake_->auth_calls, 3);
  ExpectAuthOk("tok-a");
  EXPECT_EQ(fake_->auth_calls, 4);
}

TEST_F(CachingClientTest, ResolveIsCachedWithinTtl) {
  Make(seconds(10));
  Result<ObjectInfo> first = Resolve(ObjectType::kExperiment, "e1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->org_id, "org-1");
  EXPECT_EQ(first->project_id, "p1");
  clock_.Advance(10 * kSecond - 1);
  Result<ObjectInfo> second = Resolve(ObjectType::kExperiment, "e1");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->name, "exp");
  EXPECT_EQ(fake_->resolve_calls, 1);
  clock_.Advance(1);
  ASSERT_TRUE(Resolve(ObjectType::kExperiment, "e1").ok());
  EXPECT_EQ(fake_->resolve_calls, 2);
}

TEST_F(CachingClientTest, ResolveFailuresAreNotCached) {
  Make(seconds(10));
  EXPECT_EQ(Resolve(ObjectType::kProject, "nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Resolve(ObjectType::kProject, "nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fake_->resolve_calls, 2);
  fake_->objects.emplace("nope", ObjectInfo{ObjectType::kProject, "nope", "now exists", "org-1", "", ""});
  EXPECT_TRUE(Resolve(ObjectType::kProject, "nope").ok()) << "a created object is visible at once";
}

TEST_F(CachingClientTest, ResolveKeysIncludeTheType) {
  Make(seconds(10));
  ASSERT_TRUE(Resolve(ObjectType::kProject, "p1").ok());
  EXPECT_EQ(Resolve(ObjectType::kExperiment, "p1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fake_->resolve_calls, 2);
}

TEST_F(CachingClientTest, InvalidateKeyKeepsObjects) {
  Make(seconds(10));
  ASSERT_TRUE(Resolve(ObjectType::kProject, "p1").ok());
  client_->InvalidateKey("key-a");
  ASSERT_TRUE(Resolve(ObjectType::kProject, "p1").ok());
  EXPECT_EQ(fake_->resolve_calls, 1);
}

// A control plane whose Authenticate blocks until released, to order a
// revocation between its answer and the cache insert.
class BlockingControlPlane final : public ControlPlaneClient {
 public:
  Result<Principal> Authenticate(std::string_view) override {
    MutexLock lock(mu);
    entered = true;
    cv.SignalAll();
    while (!released) cv.Wait(mu);
    Principal p;
    p.user_id = "u";
    p.api_key_id = "key-a";
    return p;  // answered before the key was deleted
  }
  Result<ObjectInfo> Resolve(ObjectType, std::string_view, const Principal&) override { return NotFound("x"); }
  Result<ObjectInfo> FindProject(std::string_view, std::string_view, const Principal&) override {
    return NotFound("x");
  }
  Status Health() override { return Status::Ok(); }

  Mutex mu;
  CondVar cv;
  bool entered GUARDED_BY(mu) = false;
  bool released GUARDED_BY(mu) = false;
};

// BUG (src/data/caching_control_plane_client.cc, Authenticate): an answer
// fetched before InvalidateKey() is inserted after it, so a key deleted while
// one of its requests was authenticating stays valid from the cache for up to
// the TTL — contrary to "drops every cached principal of a deleted API key at
// once". A generation counter bumped by InvalidateKey (checked before the
// insert) would close the window.
TEST(CachingClientRaceTest, InvalidateDuringInFlightAuthenticate) {
  FakeClock clock;
  auto inner = std::make_unique<BlockingControlPlane>();
  BlockingControlPlane* fake = inner.get();
  CachingControlPlaneClient client(std::move(inner), seconds(60), clock);

  std::thread in_flight([&] { (void)client.Authenticate("tok-a"); });
  {
    MutexLock lock(fake->mu);
    while (!fake->entered) fake->cv.Wait(fake->mu);
  }
  client.InvalidateKey("key-a");  // the key is deleted now
  {
    MutexLock lock(fake->mu);
    fake->released = true;
    fake->cv.SignalAll();
  }
  in_flight.join();

  {
    MutexLock lock(fake->mu);
    fake->entered = false;
    fake->released = true;  // a fresh lookup would answer at once (here: still valid, but it must be asked)
  }
  (void)client.Authenticate("tok-a");
  MutexLock lock(fake->mu);
  EXPECT_TRUE(fake->entered) << "the revoked key was served from the cache";
}

}  // namespace
}  // namespace tv::data
