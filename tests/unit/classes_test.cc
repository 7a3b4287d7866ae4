// Request classes: the bounded worker pools, the per-key / per-organization
// bound on heavy requests, the pipeline's classification and /ready. No
// sockets and no sleeps: tasks block on latches the test opens.
#include <gtest/gtest.h>

#include <future>
#include <latch>
#include <thread>

#include <boost/json/parse.hpp>

#include "http/error_response.h"
#include "http/info_routes.h"
#include "http/pipeline.h"
#include "http/request_class.h"
#include "http/router.h"
#include "http/tenant_slots.h"
#include "http/worker_pools.h"

namespace tv::http {
namespace {

namespace bj = boost::json;

// A task that signals when it starts and then waits until Open().
class Gate {
 public:
  std::function<void()> Task() {
    return [this] {
      started_.count_down();
      open_.wait();
    };
  }
  void WaitStarted() { started_.wait(); }
  void Open() { open_.count_down(); }

 private:
  std::latch started_{1};
  std::latch open_{1};
};

WorkerPools::Options SmallPools() {
  WorkerPools::Options o = WorkerPools::Defaults();
  for (auto& p : o) p = {1, 0};
  return o;
}

// --- WorkerPool ---

TEST(WorkerPoolTest, RefusesBeyondThreadsPlusQueue) {
  WorkerPool pool({1, 1});
  Gate gate;
  ASSERT_TRUE(pool.TryPost(gate.Task()));
  gate.WaitStarted();
  std::promise<void> second_ran;
  ASSERT_TRUE(pool.TryPost([&] { second_ran.set_value(); }));  // waits in the queue
  EXPECT_FALSE(pool.TryPost([] {}));

  PoolLoad load = pool.Load();
  EXPECT_EQ(load.threads, 1);
  EXPECT_EQ(load.queue_limit, 1u);
  EXPECT_EQ(load.running, 1u);
  EXPECT_EQ(load.queued, 1u);
  EXPECT_EQ(load.rejected, 1u);
  EXPECT_TRUE(load.saturated());

  gate.Open();
  second_ran.get_future().wait();
  pool.Join();
  load = pool.Load();
  EXPECT_EQ(load.running + load.queued, 0u);
  EXPECT_FALSE(load.saturated());
}

TEST(WorkerPoolTest, JoinRunsWhatIsQueuedThenRefuses) {
  WorkerPool pool({1, 4});
  Gate gate;
  int ran = 0;  // touched only by the pool's one thread before Join returns
  ASSERT_TRUE(pool.TryPost(gate.Task()));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool.TryPost([&ran] { ++ran; }));
  gate.Open();
  pool.Join();
  EXPECT_EQ(ran, 4);
  EXPECT_FALSE(pool.TryPost([] {}));
}

TEST(WorkerPoolTest, AThrowingTaskDoesNotKillTheThread) {
  WorkerPool pool({1, 1});
  ASSERT_TRUE(pool.TryPost([] { throw std::runtime_error("boom"); }));
  std::promise<void> ran;
  ASSERT_TRUE(pool.TryPost([&] { ran.set_value(); }));
  ran.get_future().wait();
}

// --- WorkerPools ---

TEST(WorkerPoolsTest, ASaturatedHeavyPoolLeavesLightAndIngestFree) {
  WorkerPools pools(SmallPools(), /*single_pool=*/false);
  Gate heavy;
  ASSERT_TRUE(pools.TryPost(RequestClass::kHeavy, heavy.Task()));
  heavy.WaitStarted();
  EXPECT_FALSE(pools.TryPost(RequestClass::kHeavy, [] {}));

  auto loads = pools.Load();
  EXPECT_TRUE(loads[RequestClassIndex(RequestClass::kHeavy)].saturated());
  EXPECT_FALSE(loads[RequestClassIndex(RequestClass::kLight)].saturated());

  for (RequestClass c : {RequestClass::kLight, RequestClass::kIngest, RequestClass::kModel}) {
    std::promise<void> ran;
    ASSERT_TRUE(pools.TryPost(c, [&] { ran.set_value(); })) << RequestClassName(c);
    ran.get_future().wait();  // ran while the heavy task still holds its thread
  }
  heavy.Open();
  pools.Join();
}

TEST(WorkerPoolsTest, SinglePoolSharesOneSetOfThreads) {
  WorkerPools pools(SmallPools(), /*single_pool=*/true);
  Gate heavy;
  ASSERT_TRUE(pools.TryPost(RequestClass::kHeavy, heavy.Task()));
  heavy.WaitStarted();
  EXPECT_FALSE(pools.TryPost(RequestClass::kLight, [] {}));
  for (const PoolLoad& l : pools.Load()) EXPECT_TRUE(l.saturated());
  heavy.Open();
  pools.Join();
}

TEST(WorkerPoolsTest, DefaultsComeFromTheClassTable) {
  WorkerPools::Options o = WorkerPools::Defaults();
  for (const auto& info : kRequestClasses) {
    EXPECT_EQ(o[RequestClassIndex(info.id)].threads, info.default_threads) << info.name;
    EXPECT_EQ(o[RequestClassIndex(info.id)].queue, static_cast<size_t>(info.default_queue)) << info.name;
  }
  EXPECT_EQ(RequestClassName(RequestClass::kHeavy), "heavy");
}

// --- TenantSlots ---

Principal Caller(std::string key, std::vector<std::string> orgs, std::string key_org = "") {
  Principal p;
  p.user_id = "user-" + key;
  p.api_key_id = std::move(key);
  p.api_key_org_id = std::move(key_org);
  for (auto& o : orgs) p.orgs.push_back({o, o + "-name", "member"});
  return p;
}

TEST(TenantSlotsTest, PerKeyLimitThenReleaseFreesASlot) {
  TenantSlots slots({.per_key = 2, .per_org = 0});
  Principal a = Caller("k1", {"org-a"});
  auto first = slots.Acquire(a);
  auto second = slots.Acquire(a);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(slots.InFlightForKey("k1"), 2);

  auto third = slots.Acquire(a);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(third.status().message().find("API key"), std::string::npos) << third.status().message();
  Response r = ErrorResponse(third.status());
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.Get("retry-after").value_or(""), "1");
  EXPECT_EQ(bj::parse(r.body).at("Code").as_string(), "TooManyRequestsError");

  EXPECT_TRUE(slots.Acquire(Caller("k2", {"org-a"})).ok());  // another key of the same org

  { TenantSlots::Lease gone = std::move(*first); }
  EXPECT_EQ(slots.InFlightForKey("k1"), 1);
  EXPECT_TRUE(slots.Acquire(a).ok());
}

TEST(TenantSlotsTest, PerOrgLimitSpansKeysAndSparesOtherOrgs) {
  TenantSlots slots({.per_key = 0, .per_org = 3});
  std::vector<TenantSlots::Lease> held;
  for (std::string key : {"k1", "k2", "k3"}) {
    auto l = slots.Acquire(Caller(key, {"org-a"}));
    ASSERT_TRUE(l.ok()) << key;
    held.push_back(std::move(*l));
  }
  auto refused = slots.Acquire(Caller("k4", {"org-a"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("organization"), std::string::npos);
  EXPECT_EQ(slots.InFlightForKey("k4"), 0);  // a refusal takes nothing

  EXPECT_TRUE(slots.Acquire(Caller("b1", {"org-b"})).ok());
  held.clear();
  EXPECT_EQ(slots.InFlightForOrg("org-a"), 0);
}

TEST(TenantSlotsTest, AKeyRestrictedToOneOrgCountsOnlyThere) {
  TenantSlots slots({.per_key = 0, .per_org = 1});
  auto scoped = slots.Acquire(Caller("k1", {"org-a", "org-b"}, "org-a"));
  ASSERT_TRUE(scoped.ok());
  EXPECT_EQ(slots.InFlightForOrg("org-a"), 1);
  EXPECT_EQ(slots.InFlightForOrg("org-b"), 0);
  // An unrestricted key of a user in both orgs counts against both: org-a is full.
  EXPECT_FALSE(slots.Acquire(Caller("k2", {"org-b", "org-a"})).ok());
  EXPECT_EQ(slots.InFlightForOrg("org-b"), 0);
}

TEST(TenantSlotsTest, ZeroMeansUnlimited) {
  TenantSlots slots({.per_key = 0, .per_org = 0});
  std::vector<TenantSlots::Lease> held;
  for (int i = 0; i < 50; ++i) {
    auto l = slots.Acquire(Caller("k1", {"org-a"}));
    ASSERT_TRUE(l.ok());
    held.push_back(std::move(*l));
  }
}

// --- Pipeline ---

class ClassifiedPipelineTest : public ::testing::Test {
 protected:
  ClassifiedPipelineTest() {
    router_.Add(Method::kGet, "/v1/light",
                [](RequestContext&) -> Result<Response> { return Response::Text(200, "l"); });
    router_.Add(
        Method::kPost, "/ingest", [](RequestContext&) -> Result<Response> { return Response::Text(200, "i"); },
        RequestClass::kIngest);
    router_.Add(
        Method::kPost, "/heavy",
        [this](RequestContext&) -> Result<Response> {
          if (gate_) gate_->Task()();
          return Response::Text(200, "h");
        },
        RequestClass::kHeavy);
    pipeline_.LimitHeavy({.per_key = 1, .per_org = 0});
  }

  static Result<Principal> Authenticate(std::string_view token) {
    if (token.empty()) return Unauthenticated("no");
    return Caller(std::string(token), {"org-a"});
  }

  static Request Make(Method m, std::string target, std::string token = "k1") {
    Request r;
    r.method = m;
    r.target = std::move(target);
    EXPECT_TRUE(r.ParseTarget());
    r.headers.Add("Authorization", "Bearer " + token);
    return r;
  }

  Router router_;
  Pipeline pipeline_{router_, &ClassifiedPipelineTest::Authenticate, CorsPolicy({}), {}};
  Gate* gate_ = nullptr;
};

TEST_F(ClassifiedPipelineTest, ClassifyUsesTheRouteTable) {
  EXPECT_EQ(pipeline_.Classify(Make(Method::kGet, "/v1/light")), RequestClass::kLight);
  EXPECT_EQ(pipeline_.Classify(Make(Method::kPost, "/ingest")), RequestClass::kIngest);
  EXPECT_EQ(pipeline_.Classify(Make(Method::kPost, "/heavy")), RequestClass::kHeavy);
  EXPECT_EQ(pipeline_.Classify(Make(Method::kGet, "/heavy")), RequestClass::kLight);  // 405 is cheap
  EXPECT_EQ(pipeline_.Classify(Make(Method::kGet, "/no/such/route")), RequestClass::kLight);
}

TEST_F(ClassifiedPipelineTest, HeavyOverTheKeyLimitIs429AndLightStillRuns) {
  Gate gate;
  gate_ = &gate;
  std::thread first([&] { EXPECT_EQ(pipeline_.Handle(Make(Method::kPost, "/heavy")).status, 200); });
  gate.WaitStarted();

  Response refused = pipeline_.Handle(Make(Method::kPost, "/heavy"));
  EXPECT_EQ(refused.status, 429);
  EXPECT_TRUE(refused.headers.Has("retry-after"));
  EXPECT_EQ(bj::parse(refused.body).at("Code").as_string(), "TooManyRequestsError");
  EXPECT_EQ(pipeline_.Handle(Make(Method::kGet, "/v1/light")).status, 200);
  EXPECT_EQ(pipeline_.Handle(Make(Method::kPost, "/ingest")).status, 200);

  gate.Open();
  first.join();
  gate_ = nullptr;
  EXPECT_EQ(pipeline_.Handle(Make(Method::kPost, "/heavy")).status, 200);
}

TEST(PipelineRefuseTest, ARefusalCarriesRequestIdAndCors) {
  Router router;
  Pipeline pipeline(router, [](std::string_view) -> Result<Principal> { return Unauthenticated("no"); },
                    CorsPolicy({"https://ui.example.com"}), {});
  Request req;
  req.method = Method::kPost;
  req.target = "/btql";
  ASSERT_TRUE(req.ParseTarget());
  req.headers.Add("Origin", "https://ui.example.com");
  req.headers.Add("x-request-id", "req-42");
  Response r = pipeline.Refuse(req, WithRetryAfter(ResourceExhausted("busy"), std::chrono::seconds(3)));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.Get("retry-after").value_or(""), "3");
  EXPECT_EQ(r.headers.Get("x-request-id").value_or(""), "req-42");
  EXPECT_EQ(r.headers.Get("access-control-allow-origin").value_or(""), "https://ui.example.com");
}

// --- /ready ---

TEST(ReadinessTest, SaturatedClassesMake503ThenRecover) {
  std::array<PoolLoad, kRequestClassCount> loads{};
  for (auto& l : loads) {
    l.threads = 2;
    l.queue_limit = 1;
  }
  Router router;
  AddReadinessRoute(router, [&loads] { return loads; });
  Pipeline pipeline(
      router, [](std::string_view) -> Result<Principal> { return Unauthenticated("no"); }, CorsPolicy({}),
      InfoPublicRoutes());
  Request req;
  req.method = Method::kGet;
  req.target = "/ready";
  ASSERT_TRUE(req.ParseTarget());

  Response ok = pipeline.Handle(req);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(bj::parse(ok.body).at("status").as_string(), "ready");

  loads[RequestClassIndex(RequestClass::kHeavy)].running = 2;
  loads[RequestClassIndex(RequestClass::kHeavy)].queued = 1;
  // A full heavy pool is that class's own 429s: the node stays ready.
  Response busy = pipeline.Handle(req);
  EXPECT_EQ(busy.status, 200) << busy.body;
  bj::value body = bj::parse(busy.body);
  EXPECT_EQ(body.at("status").as_string(), "degraded");
  EXPECT_EQ(body.at("saturated"), bj::parse(R"(["heavy"])"));
  EXPECT_EQ(body.at("classes").at("heavy").at("queued").as_int64(), 1);
  EXPECT_EQ(body.at("classes").at("light").at("saturated").as_bool(), false);

  // A full ingest (or light) pool takes it out of rotation.
  loads[RequestClassIndex(RequestClass::kIngest)].running = 2;
  loads[RequestClassIndex(RequestClass::kIngest)].queued = 1;
  Response full = pipeline.Handle(req);
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_EQ(bj::parse(full.body).at("status").as_string(), "saturated");
  EXPECT_EQ(bj::parse(full.body).at("saturated"), bj::parse(R"(["ingest","heavy"])"));

  loads[RequestClassIndex(RequestClass::kIngest)].running = 0;
  loads[RequestClassIndex(RequestClass::kIngest)].queued = 0;
  loads[RequestClassIndex(RequestClass::kHeavy)].queued = 0;
  EXPECT_EQ(pipeline.Handle(req).status, 200);
}

}  // namespace
}  // namespace tv::http
