// The outbound rate limiter (fake clock) and http::OutboundClient against a
// scripted server on 127.0.0.1: retries and backoff, Retry-After, the limit
// per token, streaming with an idle timeout, and the per-host counts.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "common/mutex.h"
#include "http/error_response.h"
#include "http/outbound.h"
#include "http/rate_limiter.h"
#include "scripted_server.h"
#include "test_support.h"

namespace tv::http {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::RawResponse;
using testing::ScriptedServer;

constexpr int64_t kSecondUs = 1'000'000;

// --- RateLimiter -------------------------------------------------------------

TEST(RateLimiterTest, BurstOfNPassesThenRefusesUntilTheWindowEnds) {
  FakeClock clock;
  auto limiter = MakeLocalRateLimiter({3, 60s}, clock);
  for (int i = 0; i < 3; ++i) {
    Result<RateDecision> d = limiter->Take("k");
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(d->allowed) << i;
    EXPECT_EQ(d->remaining, 2 - i);
  }
  clock.Advance(20 * kSecondUs);
  Result<RateDecision> refused = limiter->Take("k");
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->allowed);
  EXPECT_EQ(refused->retry_after, 40s);
  clock.Advance(40 * kSecondUs - 1);
  EXPECT_FALSE(limiter->Take("k")->allowed);
  clock.Advance(1);
  EXPECT_TRUE(limiter->Take("k")->allowed);  // a new window
  EXPECT_EQ(limiter->Take("k")->remaining, 1);
}

TEST(RateLimiterTest, RefusalsDoNotConsumeSlots) {
  FakeClock clock;
  auto limiter = MakeLocalRateLimiter({1, 60s}, clock);
  EXPECT_TRUE(limiter->Take("k")->allowed);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter->Take("k")->allowed);
  clock.Advance(60 * kSecondUs);
  EXPECT_TRUE(limiter->Take("k")->allowed);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  FakeClock clock;
  auto limiter = MakeLocalRateLimiter({2, 60s}, clock);
  EXPECT_TRUE(limiter->Take("a")->allowed);
  EXPECT_TRUE(limiter->Take("a")->allowed);
  EXPECT_FALSE(limiter->Take("a")->allowed);
  clock.Advance(30 * kSecondUs);
  EXPECT_TRUE(limiter->Take("b")->allowed);
  EXPECT_TRUE(limiter->Take("b")->allowed);
  EXPECT_FALSE(limiter->Take("b")->allowed);
  // b's window opened 30 s after a's, so it ends 30 s later.
  EXPECT_EQ(limiter->Take("a")->retry_after, 30s);
  EXPECT_EQ(limiter->Take("b")->retry_after, 60s);
}

TEST(RateLimiterTest, ZeroDisables) {
  FakeClock clock;
  auto limiter = MakeLocalRateLimiter({0, 60s}, clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter->Take("k")->allowed);
}

TEST(RateLimiterTest, ManyIdleKeysAreSweptWithoutLosingLiveOnes) {
  FakeClock clock;
  auto limiter = MakeLocalRateLimiter({1, 1s}, clock);
  EXPECT_TRUE(limiter->Take("live")->allowed);
  for (int i = 0; i < 5000; ++i) {
    clock.Advance(100);
    ASSERT_TRUE(limiter->Take("k" + std::to_string(i))->allowed);
  }
  EXPECT_FALSE(limiter->Take("live")->allowed);  // 0.5 s in: still its window
}

TEST(RetryAfterTest, StatusCarriesItToTheResponse) {
  Status s = WithRetryAfter(ResourceExhausted("slow down"), 1500ms);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryAfterOf(s), 2);
  Response r = ErrorResponse(s);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers.Get("Retry-After"), "2");
  EXPECT_EQ(ErrorResponse(ResourceExhausted("plain")).headers.Get("Retry-After"), "1");
  EXPECT_EQ(RetryAfterOf(WithRetryAfter(Unavailable("x"), 1ms)), 1);
  EXPECT_FALSE(RetryAfterOf(Internal("(retry after x s)")).has_value());
}

// --- OutboundClient ----------------------------------------------------------

class OutboundTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitHttpClient(); }

  // A client whose waits are recorded instead of slept.
  std::unique_ptr<OutboundClient> Client(RateLimit limit = {0, 60s}, OutboundOptions options = {}) {
    options.sleep = [this](std::chrono::milliseconds d) {
      MutexLock lock(mu_);
      sleeps_.push_back(d);
    };
    return std::make_unique<OutboundClient>(options, MakeLocalRateLimiter(limit, clock_), Clock::Real());
  }
  std::vector<std::chrono::milliseconds> sleeps() {
    MutexLock lock(mu_);
    return sleeps_;
  }
  static ClientRequest Get(const ScriptedServer& s, std::string_view path = "/x") {
    ClientRequest req;
    req.url = s.url(path);
    return req;
  }
  static ClientRequest Post(const ScriptedServer& s) {
    ClientRequest req = Get(s);
    req.method = Method::kPost;
    req.body = "{}";
    return req;
  }
  static std::string HostOf(const ScriptedServer& s) { return UrlHost(s.url()); }

  FakeClock clock_;
  Mutex mu_;
  std::vector<std::chrono::milliseconds> sleeps_ GUARDED_BY(mu_);
};

TEST_F(OutboundTest, RetriesA503WithBackoffThenAnswers) {
  ScriptedServer s([](auto& ex, auto&) { ex.Send(ex.index < 2 ? RawResponse(503, "busy") : RawResponse(200, "ok")); });
  auto client = Client();
  Result<ClientResponse> r = client->Fetch(Get(s), {.token = "t"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(s.requests(), 3);
  std::vector<std::chrono::milliseconds> waits = sleeps();
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_GE(waits[0], 125ms);  // uniform in [d/2, d], d = 250 ms, then 500 ms
  EXPECT_LE(waits[0], 250ms);
  EXPECT_GE(waits[1], 250ms);
  EXPECT_LE(waits[1], 500ms);
  HostStats h = client->Stats().at(HostOf(s));
  EXPECT_EQ(h.requests, 3u);
  EXPECT_EQ(h.retries, 2u);
  EXPECT_EQ(h.errors["http_5xx"], 2u);
  EXPECT_EQ(h.latency_count, 3u);
}

TEST_F(OutboundTest, HonoursRetryAfterOn429) {
  ScriptedServer s([](auto& ex, auto&) {
    ex.Send(ex.index == 0 ? RawResponse(429, "later", "Retry-After: 2\r\n") : RawResponse(200, "ok"));
  });
  auto client = Client();
  Result<ClientResponse> r = client->Fetch(Get(s), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(sleeps(), std::vector<std::chrono::milliseconds>{2000ms});
}

TEST_F(OutboundTest, ALongRetryAfterIsReturnedNotWaitedFor) {
  ScriptedServer s([](auto& ex, auto&) { ex.Send(RawResponse(429, "{\"e\":1}", "Retry-After: 120\r\n")); });
  auto client = Client();
  Result<ClientResponse> r = client->Fetch(Get(s), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->headers.Get("retry-after"), "120");
  EXPECT_EQ(r->body, "{\"e\":1}");
  EXPECT_EQ(s.requests(), 1);
  EXPECT_TRUE(sleeps().empty());
}

TEST_F(OutboundTest, APostIsNotRetriedUnlessIdempotent) {
  ScriptedServer s([](auto& ex, auto&) { ex.Send(RawResponse(503, "busy")); });
  auto client = Client();
  Result<ClientResponse> once = client->Fetch(Post(s), {});
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once->status, 503);
  EXPECT_EQ(s.requests(), 1);
  Result<ClientResponse> thrice = client->Fetch(Post(s), {.idempotent = true});
  ASSERT_TRUE(thrice.ok());
  EXPECT_EQ(thrice->status, 503);  // the last attempt's answer
  EXPECT_EQ(thrice->body, "busy");
  EXPECT_EQ(s.requests(), 4);
}

TEST_F(OutboundTest, AResetConnectionIsRetriedForGetsOnly) {
  ScriptedServer s([](auto& ex, auto&) {
    if (ex.index % 2 == 0)
      ex.Send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");  // then closed
    else
      ex.Send(RawResponse(200, "whole"));
  });
  auto client = Client();
  Result<ClientResponse> get = client->Fetch(Get(s), {});
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->body, "whole");  // the partial body of the failed attempt is gone
  Result<ClientResponse> post = client->Fetch(Post(s), {});
  EXPECT_EQ(post.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.requests(), 3);
  EXPECT_EQ(client->Stats().at(HostOf(s)).errors["transport"], 2u);
}

TEST_F(OutboundTest, ARefusedConnectionIsRetriedEvenForAPost) {
  std::string url;
  {
    ScriptedServer gone([](auto&, auto&) {});
    url = gone.url("/x");
  }  // nothing listens there now
  auto client = Client();
  ClientRequest req;
  req.method = Method::kPost;
  req.url = url;
  Result<ClientResponse> r = client->Fetch(req, {.max_attempts = 2});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(sleeps().size(), 1u);
  EXPECT_EQ(client->Stats().at(UrlHost(url)).errors["connect"], 2u);
}

TEST_F(OutboundTest, TheLimitIsPerTokenAndAnswers429WithRetryAfter) {
  ScriptedServer s([](auto& ex, auto&) { ex.Send(RawResponse(200, "ok")); });
  auto client = Client({2, 60s});
  EXPECT_TRUE(client->Fetch(Get(s), {.token = "alice"}).ok());
  clock_.Advance(15 * kSecondUs);
  EXPECT_TRUE(client->Fetch(Get(s), {.token = "alice"}).ok());
  Result<ClientResponse> limited = client->Fetch(Get(s), {.token = "alice"});
  ASSERT_EQ(limited.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(limited.status().message().find("at most 2 requests per 1 minute(s)"), std::string::npos);
  EXPECT_EQ(RetryAfterOf(limited.status()), 45);
  Response answer = LimitedResponse(limited.status());
  EXPECT_EQ(answer.status, 429);
  EXPECT_EQ(answer.headers.Get("Retry-After"), "45");
  EXPECT_EQ(s.requests(), 2);  // the refused call never left
  EXPECT_TRUE(client->Fetch(Get(s), {.token = "bob"}).ok());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(client->Fetch(Get(s), {}).ok()) << "no token: not limited";
  HostStats h = client->Stats().at(HostOf(s));
  EXPECT_EQ(h.limited, 1u);
  EXPECT_EQ(h.requests, 6u);
}

TEST_F(OutboundTest, StatsForShowsOnlyTheCallsMadeForThatOrganization) {
  ScriptedServer s([](auto& ex, auto&) { ex.Send(RawResponse(200, "ok")); });
  auto client = Client({1, 60s});
  EXPECT_TRUE(client->Fetch(Get(s), {.token = "alice", .org_id = "org-a"}).ok());
  EXPECT_EQ(client->Fetch(Get(s), {.token = "alice", .org_id = "org-a"}).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(client->Fetch(Get(s), {.token = "bob", .org_id = "org-b"}).ok());
  EXPECT_TRUE(client->Fetch(Get(s), {}).ok()) << "a call for no organization";
  HostStats all = client->Stats().at(HostOf(s));
  EXPECT_EQ(all.requests, 3u);
  EXPECT_EQ(all.limited, 1u);
  std::map<std::string, HostStats> a = client->StatsFor("org-a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.at(HostOf(s)).requests, 1u);
  EXPECT_EQ(a.at(HostOf(s)).limited, 1u);
  EXPECT_EQ(a.at(HostOf(s)).latency_count, 1u);
  std::map<std::string, HostStats> b = client->StatsFor("org-b");
  EXPECT_EQ(b.at(HostOf(s)).requests, 1u);
  EXPECT_EQ(b.at(HostOf(s)).limited, 0u);
  EXPECT_TRUE(client->StatsFor("org-c").empty());
  EXPECT_TRUE(client->StatsFor("").empty()) << "calls for no organization are in the totals only";
}

TEST_F(OutboundTest, EachAttemptTakesASlotAndARefusedRetryEndsWithTheLastAnswer) {
  ScriptedServer s([](auto& ex, auto&) { ex.Send(RawResponse(503, "busy")); });
  auto client = Client({2, 60s});
  Result<ClientResponse> r = client->Fetch(Get(s), {.token = "t", .max_attempts = 5});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(s.requests(), 2);
  EXPECT_EQ(client->Fetch(Get(s), {.token = "t"}).status().code(), StatusCode::kResourceExhausted);
}

TEST_F(OutboundTest, StreamsPiecesInOrder) {
  ScriptedServer s([](auto& ex, auto&) {
    ex.Send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (std::string_view piece : {"data: a\n\n", "data: b\n\n"}) {
      ex.Send(fmt::format("{:x}\r\n{}\r\n", piece.size(), piece));
      std::this_thread::sleep_for(20ms);
    }
    ex.Send("0\r\n\r\n");
  });
  auto client = Client();
  int heads = 0;
  std::string body;
  Result<int> r = client->FetchStream(
      Get(s), {},
      [&](int status, const Headers& h) {
        ++heads;
        EXPECT_EQ(status, 200);
        EXPECT_EQ(h.Get("content-type"), "text/event-stream");
        EXPECT_TRUE(body.empty());
        return true;
      },
      [&](std::string_view bytes) {
        body.append(bytes);
        return true;
      });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 200);
  EXPECT_EQ(heads, 1);
  EXPECT_EQ(body, "data: a\n\ndata: b\n\n");
}

TEST_F(OutboundTest, AStreamThatHangsIsCutByTheIdleTimeoutAndNotRetried) {
  ScriptedServer s([](auto& ex, const ScriptedServer& server) {
    ex.Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    ex.Send("4\r\none \r\n4\r\ntwo \r\n");
    server.Hang();
  });
  auto client = Client();
  std::string body;
  Result<int> r = client->FetchStream(
      Get(s), {.idle_timeout = 300ms}, [](int, const Headers&) { return true; },
      [&](std::string_view bytes) {
        body.append(bytes);
        return true;
      });
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_EQ(body, "one two ");
  EXPECT_EQ(s.requests(), 1);  // bytes reached the caller: no retry
  EXPECT_EQ(client->Stats().at(HostOf(s)).errors["idle_timeout"], 1u);
  s.Stop();
}

TEST_F(OutboundTest, AServerThatNeverAnswersIsCutByTheIdleTimeoutThenRetried) {
  ScriptedServer s([](auto& ex, const ScriptedServer& server) {
    if (ex.index == 0)
      server.Hang();
    else
      ex.Send(RawResponse(200, "late but fine"));
  });
  auto client = Client();
  Result<ClientResponse> r = client->Fetch(Get(s), {.idle_timeout = 300ms});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "late but fine");
  s.Stop();
}

TEST_F(OutboundTest, AFetchIsBoundedByItsTotalTimeout) {
  ScriptedServer s([](auto&, const ScriptedServer& server) { server.Hang(); });
  auto client = Client();
  ClientRequest req = Get(s);
  req.timeout = 300ms;
  Result<ClientResponse> r = client->Fetch(req, {.max_attempts = 1});
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_EQ(client->Stats().at(HostOf(s)).errors["timeout"], 1u);
  s.Stop();
}

TEST_F(OutboundTest, AStreamHoldsBackARetryableHeadAndShowsOnlyTheAnswer) {
  ScriptedServer s([](auto& ex, auto&) {
    ex.Send(ex.index == 0 ? RawResponse(503, "busy", "Retry-After: 0\r\n") : RawResponse(200, "fine"));
  });
  auto client = Client();
  std::vector<int> statuses;
  std::string body;
  Result<int> r = client->FetchStream(
      Get(s), {},
      [&](int status, const Headers&) {
        statuses.push_back(status);
        return true;
      },
      [&](std::string_view bytes) {
        body.append(bytes);
        return true;
      });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(statuses, std::vector<int>{200});
  EXPECT_EQ(body, "fine");
  EXPECT_EQ(sleeps(), std::vector<std::chrono::milliseconds>{0ms});
}

TEST_F(OutboundTest, AHookReturningFalseAbortsTheTransfer) {
  ScriptedServer s([](auto& ex, auto&) { ex.Send(RawResponse(200, std::string(1 << 20, 'x'))); });
  auto client = Client();
  size_t received = 0;
  Result<int> r = client->FetchStream(
      Get(s), {}, [](int, const Headers&) { return true; },
      [&](std::string_view bytes) {
        received += bytes.size();
        return false;
      });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 200);
  EXPECT_LT(received, size_t{1} << 20);
  HostStats h = client->Stats().at(HostOf(s));
  EXPECT_EQ(h.aborted, 1u);
  EXPECT_TRUE(h.errors.empty());
}

TEST(HostStatsTest, QuantilesFromTheHistogram) {
  HostStats h;
  EXPECT_EQ(h.LatencyQuantileMs(0.5), -1);
  h.latency_count = 10;
  h.latency_buckets[0] = 5;  // <= 5 ms
  h.latency_buckets[4] = 4;  // <= 100 ms
  h.latency_buckets[7] = 1;  // <= 1000 ms
  EXPECT_EQ(h.LatencyQuantileMs(0.5), 5);
  EXPECT_EQ(h.LatencyQuantileMs(0.9), 100);
  EXPECT_EQ(h.LatencyQuantileMs(0.99), 1000);
}

TEST(UrlHostTest, HostAndPort) {
  EXPECT_EQ(UrlHost("http://127.0.0.1:8100/api/self/me"), "127.0.0.1:8100");
  EXPECT_EQ(UrlHost("https://api.openai.com/v1/chat/completions?x=1"), "api.openai.com");
  EXPECT_EQ(UrlHost("https://user:pw@example.com"), "example.com");
  EXPECT_EQ(UrlHost("not a url"), "");
}

}  // namespace
}  // namespace tv::http
