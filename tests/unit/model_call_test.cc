// ModelCall (src/data/aiproxy/model_call.h) against a scripted model provider
// on 127.0.0.1: buffered and streamed calls, the response cache, provider
// errors, the allow-list, missing secrets and the llm span of each call. The
// provider secrets, the tenancy resolver and the span log are fakes; the
// outbound client and the cache (temp-dir SQLite) are the real ones.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/mutex.h"
#include "crypto/crypto.h"
#include "data/aiproxy/model_call.h"
#include "http/rate_limiter.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "meta_fixture.h"
#include "scripted_server.h"
#include "test_support.h"

namespace tv::data {
namespace {

using namespace std::chrono_literals;
using tv::testing::FakeClock;
using tv::testing::RawResponse;
using tv::testing::ScriptedServer;
using tv::testing::TempDir;

constexpr int64_t kSecond = 1'000'000;
constexpr const char* kProject1 = "00000000-0000-4000-8000-000000000001";  // in org-1
constexpr const char* kProject2 = "00000000-0000-4000-8000-000000000002";  // in org-2
constexpr std::string_view kChatAnswer =
    R"({"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},)"
    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";

json::object Obj(std::string_view text) { return boost::json::parse(text).as_object(); }

// The body of a request the scripted server received.
json::object RequestBody(const std::string& request) {
  return Obj(std::string_view(request).substr(request.find("\r\n\r\n") + 4));
}

// The head of a streamed answer, then one chunk per piece.
std::string StreamHead(int status = 200, std::string_view type = "text/event-stream") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + std::string(type) +
         "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
}
std::string Chunk(std::string_view piece) {
  char size[16];
  std::snprintf(size, sizeof(size), "%zx", piece.size());
  return std::string(size) + "\r\n" + std::string(piece) + "\r\n";
}
constexpr std::string_view kLastChunk = "0\r\n\r\n";

std::string ChatChunk(std::string_view content, std::string_view finish = "") {
  json::object choice{{"index", 0}, {"delta", json::object{{"content", content}}}};
  choice["finish_reason"] = finish.empty() ? json::value() : json::value(finish);
  return json::serialize(json::object{{"object", "chat.completion.chunk"}, {"choices", json::array{choice}}});
}
const std::string kUsageChunk =
    R"({"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}})";

// Records what a streamed call sends.
class RecordingSink final : public StreamSink {
 public:
  bool Start(bool cached) override {
    starts.push_back(cached);
    if (on_start) on_start();
    return true;
  }
  bool Event(std::string_view data) override {
    events.emplace_back(data);
    return events.size() < stop_after;
  }
  bool Raw(std::string_view bytes) override {
    raw += bytes;
    return true;
  }
  void Fail(int status, std::string_view body, const http::Headers& headers) override {
    fail_status = status;
    fail_body = std::string(body);
    fail_type = std::string(headers.Get("content-type").value_or(""));
  }

  std::vector<bool> starts;
  std::vector<std::string> events;
  std::string raw;
  int fail_status = 0;
  std::string fail_body;
  std::string fail_type;
  size_t stop_after = SIZE_MAX;  // Event() says the client went away after this many
  std::function<void()> on_start;
};

// Parents under project logs "logs-1" resolve; every other is another
// organization's. Written spans are kept.
class FakeSpanLog final : public LlmSpanLog {
 public:
  Result<ResolvedParent> ResolveParent(http::RequestContext&, proxy::SpanParent parent) override {
    if (parent.object_type != "project_logs" || parent.object_id != "logs-1")
      return NotFound("project '{}' not found", parent.object_id);
    return ResolvedParent{store::ObjectRef{store::ObjectKind::kProjectLogs, parent.object_id}, std::move(parent)};
  }
  Result<std::string> Write(const http::Request&, const Principal& caller, const ResolvedParent&,
                            const LlmSpan& span) override {
    written.push_back(span);
    callers.push_back(caller.user_id);
    return std::string("span-") + std::to_string(written.size());
  }

  std::vector<LlmSpan> written;
  std::vector<std::string> callers;
};

class ModelCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenMigratedDb(dir_.File("data.db"), {{1, "proxy cache", ProxyCacheSchemaSql()}});
    ASSERT_TRUE(db_);
    cache_ = std::make_unique<ProxyCache>(*db_, clock_);
    MakeOutbound(http::RateLimit{0, 60s});
    principal_.user_id = "user-1";
    principal_.orgs = {{"org-1", "Org One", "owner"}};
  }

  void MakeOutbound(http::RateLimit limit) {
    http::OutboundOptions options;
    options.sleep = [](std::chrono::milliseconds) {};
    outbound_ = std::make_unique<http::OutboundClient>(options, http::MakeLocalRateLimiter(limit, clock_), clock_);
  }

  // The provider: `script` answers every request; the secrets route OpenAI
  // (and Anthropic) models to it, and the allow-list lets it through.
  void Serve(ScriptedServer::Script script) {
    server_ = std::make_unique<ScriptedServer>(std::move(script));
    secrets_ = {Secret("OPENAI_API_KEY", "openai", "sk-test-openai"),
                Secret("ANTHROPIC_API_KEY", "anthropic", "sk-test-anthropic")};
    Result<proxy::AllowList> allowed = proxy::AllowList::Parse(server_->url(""));
    ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
    options_.allowed_hosts = *allowed;
  }

  ProviderSecret Secret(std::string name, std::string type, std::string value) {
    ProviderSecret s;
    s.id = name;
    s.name = std::move(name);
    s.type = std::move(type);
    s.secret = std::move(value);
    if (server_) s.metadata["api_base"] = server_->url("/v1");
    return s;
  }

  ModelCallDeps Deps() {
    return ModelCallDeps{tenancy_,
                         clock_,
                         *outbound_,
                         *cache_,
                         spans_,
                         options_,
                         [this](http::RequestContext&, std::string_view org_id, std::optional<std::string_view>) {
                           ++secret_lookups_;
                           EXPECT_EQ(org_id, "org-1");
                           return Result<std::vector<ProviderSecret>>(secrets_);
                         },
                         [this]() -> Result<const crypto::Keyring*> {
                           if (!secrets_enabled_) return Unavailable("secrets are not enabled");
                           return &keys_;
                         }};
  }

  // Prepares a call as a request with `headers` and `body` would.
  Result<std::unique_ptr<ModelCall>> Prepare(json::object body, ModelEndpoint endpoint = ModelEndpoint::kChat,
                                             std::vector<std::pair<std::string, std::string>> headers = {},
                                             std::optional<proxy::SpanParent> parent = std::nullopt) {
    deps_.push_back(std::make_unique<ModelCallDeps>(Deps()));
    http::Request req;
    req.method = http::Method::kPost;
    req.headers.Add("Authorization", "Bearer tok-1");
    for (auto& [k, v] : headers) req.headers.Add(k, v);
    http::RequestContext ctx(req, "req-1");
    ctx.set_principal(principal_);
    ModelCall::Spec spec;
    spec.endpoint = endpoint;
    spec.body = std::move(body);
    spec.parent = std::move(parent);
    return ModelCall::Prepare(*deps_.back(), ctx, std::move(spec));
  }

  static json::object Chat(std::string_view model, std::string_view extra = "") {
    return Obj(std::string(R"({"model":")") + std::string(model) +
               R"(","messages":[{"role":"user","content":"hello"}])" + std::string(extra) + "}");
  }
  static proxy::SpanParent LogsParent() {
    proxy::SpanParent p;
    p.object_type = "project_logs";
    p.object_id = "logs-1";
    return p;
  }

  // Runs a buffered call; fails the test when it does not prepare.
  Result<ModelAnswer> RunBuffered(json::object body, std::optional<proxy::SpanParent> parent = std::nullopt) {
    auto call = Prepare(std::move(body), ModelEndpoint::kChat, {}, std::move(parent));
    EXPECT_TRUE(call.ok()) << call.status().ToString();
    if (!call.ok()) return call.status();
    return (*call)->Run();
  }
  void RunStreamed(json::object body, RecordingSink& sink, std::optional<proxy::SpanParent> parent = std::nullopt) {
    body["stream"] = true;
    auto call = Prepare(std::move(body), ModelEndpoint::kChat, {}, std::move(parent));
    ASSERT_TRUE(call.ok()) << call.status().ToString();
    ASSERT_TRUE((*call)->streaming());
    (*call)->RunStream(sink);
  }

  TempDir dir_;
  FakeClock clock_;
  crypto::Keyring keys_{crypto::RandomBytes(crypto::kMasterKeyBytes)};
  bool secrets_enabled_ = true;
  std::unique_ptr<meta::MetaStore> db_;
  std::unique_ptr<ProxyCache> cache_;
  std::unique_ptr<http::OutboundClient> outbound_;
  http::Tenancy tenancy_{[](ObjectType type, std::string_view id, const Principal&) -> Result<ObjectInfo> {
    if (type == ObjectType::kProject && id == kProject1) return ObjectInfo{type, kProject1, "p", "org-1", "", ""};
    if (type == ObjectType::kProject && id == kProject2) return ObjectInfo{type, kProject2, "p", "org-2", "", ""};
    return NotFound("project '{}' not found", id);
  }};
  FakeSpanLog spans_;
  ModelCallOptions options_;
  std::vector<ProviderSecret> secrets_;
  int secret_lookups_ = 0;
  Principal principal_;
  std::vector<std::unique_ptr<ModelCallDeps>> deps_;  // each outlives the calls prepared with it
  Mutex mu_;
  std::vector<std::string> requests_ GUARDED_BY(mu_);  // what the provider received
  // Last, so it is destroyed first: its threads write requests_ until it joins them.
  std::unique_ptr<ScriptedServer> server_;

  // A script that records each request and answers `response`.
  ScriptedServer::Script Answer(std::string response) {
    return [this, response](ScriptedServer::Exchange& ex, const ScriptedServer&) {
      Remember(ex.request);
      ex.Send(response);
    };
  }
  void Remember(const std::string& request) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    requests_.push_back(request);
  }
  std::string Received(size_t i) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return i < requests_.size() ? requests_[i] : "";
  }
};

// --- Buffered ----------------------------------------------------------------

TEST_F(ModelCallTest, BufferedCallReturnsTheProvidersAnswer) {
  Serve(Answer(RawResponse(200, kChatAnswer, "Content-Type: application/json\r\n")));
  Result<ModelAnswer> answer = RunBuffered(Chat("gpt-4o-mini", R"(,"temperature":0.5)"));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->content_type, "application/json");
  EXPECT_EQ(answer->body, kChatAnswer);
  EXPECT_FALSE(answer->cached);

  std::string sent = Received(0);
  EXPECT_EQ(sent.rfind("POST /v1/chat/completions ", 0), 0u) << sent;
  EXPECT_NE(sent.find("Authorization: Bearer sk-test-openai"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("tok-1"), std::string::npos) << "the caller's token never reaches the provider";
  json::object body = RequestBody(sent);
  EXPECT_EQ(body.at("model"), "gpt-4o-mini");
  EXPECT_FALSE(body.contains("stream_options"));
  EXPECT_TRUE(spans_.written.empty()) << "no parent, no span";
}

TEST_F(ModelCallTest, BufferedCallWithAParentLogsOneLlmSpan) {
  Serve(Answer(RawResponse(200, kChatAnswer, "Content-Type: application/json\r\n")));
  Result<ModelAnswer> answer = RunBuffered(Chat("gpt-4o-mini", R"(,"temperature":0.5)"), LogsParent());
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  ASSERT_EQ(spans_.written.size(), 1u);
  const LlmSpan& span = spans_.written[0];
  EXPECT_EQ(span.name, "Chat Completion");
  EXPECT_EQ(span.type, "llm");
  EXPECT_EQ(span.input, Obj(R"({"m":[{"role":"user","content":"hello"}]})").at("m"));
  EXPECT_EQ(span.output, Obj(kChatAnswer).at("choices"));
  EXPECT_EQ(span.metadata.at("model"), "gpt-4o-mini");
  EXPECT_EQ(span.metadata.at("provider"), "openai");
  EXPECT_EQ(span.metadata.at("temperature"), 0.5);
  EXPECT_FALSE(span.metadata.contains("messages"));
  EXPECT_EQ(span.metrics.at("prompt_tokens"), 3);
  EXPECT_EQ(span.metrics.at("completion_tokens"), 2);
  EXPECT_EQ(span.metrics.at("tokens"), 5);
  EXPECT_FALSE(span.error);
  EXPECT_EQ(spans_.callers[0], "user-1");
}

TEST_F(ModelCallTest, AnthropicAnswerIsTranslatedToOpenAis) {
  Serve(Answer(RawResponse(
      200,
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku","content":[{"type":"text","text":"bonjour"}],)"
      R"("stop_reason":"end_turn","usage":{"input_tokens":7,"output_tokens":1}})",
      "Content-Type: application/json\r\n")));
  Result<ModelAnswer> answer = RunBuffered(Chat("claude-3-5-haiku", R"(,"max_tokens":10)"));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  std::string sent = Received(0);
  EXPECT_EQ(sent.rfind("POST /v1/messages ", 0), 0u) << sent;
  EXPECT_NE(sent.find("x-api-key: sk-test-anthropic"), std::string::npos) << sent;
  EXPECT_NE(sent.find("anthropic-version: "), std::string::npos) << sent;
  json::object out = Obj(answer->body);
  const json::object& choice = out.at("choices").as_array()[0].as_object();
  EXPECT_EQ(choice.at("message").as_object().at("content"), "bonjour");
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_EQ(out.at("usage").as_object().at("total_tokens"), 8);
}

// --- Streamed ----------------------------------------------------------------

TEST_F(ModelCallTest, StreamedCallRelaysEveryEventInOrder) {
  Serve([this](ScriptedServer::Exchange& ex, const ScriptedServer&) {
    Remember(ex.request);
    ex.Send(StreamHead());
    // Events split across chunks anywhere: the relay is by event, not by chunk.
    std::string all = "data: " + ChatChunk("Hel") + "\n\ndata: " + ChatChunk("lo") +
                      "\n\ndata: " + ChatChunk(" world", "stop") + "\n\ndata: [DONE]\n\n";
    for (size_t at = 0; at < all.size(); at += 17) ex.Send(Chunk(all.substr(at, 17)));
    ex.Send(kLastChunk);
  });
  RecordingSink sink;
  RunStreamed(Chat("gpt-4o-mini"), sink);
  EXPECT_EQ(sink.starts, std::vector<bool>{false});
  EXPECT_EQ(sink.events,
            (std::vector<std::string>{ChatChunk("Hel"), ChatChunk("lo"), ChatChunk(" world", "stop"), "[DONE]"}));
  EXPECT_EQ(sink.fail_status, 0);
  EXPECT_EQ(RequestBody(Received(0)).at("stream"), true);
}

TEST_F(ModelCallTest, StreamedCallWithAParentAsksForUsageAndDropsItsEvent) {
  Serve([this](ScriptedServer::Exchange& ex, const ScriptedServer&) {
    Remember(ex.request);
    ex.Send(StreamHead());
    ex.Send(Chunk("data: " + ChatChunk("Hello") + "\n\n"));
    ex.Send(Chunk("data: " + ChatChunk(" world", "stop") + "\n\n"));
    ex.Send(Chunk("data: " + kUsageChunk + "\n\n"));
    ex.Send(Chunk("data: [DONE]\n\n"));
    ex.Send(kLastChunk);
  });
  RecordingSink sink;
  sink.on_start = [this] { clock_.Advance(kSecond + kSecond / 2); };
  RunStreamed(Chat("gpt-4o-mini"), sink, LogsParent());
  EXPECT_EQ(RequestBody(Received(0)).at("stream_options"), Obj(R"({"include_usage":true})"));
  EXPECT_EQ(sink.events, (std::vector<std::string>{ChatChunk("Hello"), ChatChunk(" world", "stop"), "[DONE]"}))
      << "the caller did not ask for the usage event";
  ASSERT_EQ(spans_.written.size(), 1u);
  const LlmSpan& span = spans_.written[0];
  EXPECT_EQ(span.output, Obj(R"({"o":[{"index":0,"message":{"role":"assistant","content":"Hello world"},)"
                             R"("finish_reason":"stop"}]})")
                             .at("o"));
  EXPECT_EQ(span.metrics.at("tokens"), 6);
  EXPECT_EQ(span.metrics.at("time_to_first_token"), 1.5);
  EXPECT_FALSE(span.error);
}

TEST_F(ModelCallTest, StreamedUsageTheCallerAskedForIsRelayed) {
  Serve([this](ScriptedServer::Exchange& ex, const ScriptedServer&) {
    Remember(ex.request);
    ex.Send(StreamHead());
    ex.Send(Chunk("data: " + ChatChunk("Hi", "stop") + "\n\ndata: " + kUsageChunk + "\n\ndata: [DONE]\n\n"));
    ex.Send(kLastChunk);
  });
  RecordingSink sink;
  RunStreamed(Chat("gpt-4o-mini", R"(,"stream_options":{"include_usage":true})"), sink, LogsParent());
  EXPECT_EQ(sink.events, (std::vector<std::string>{ChatChunk("Hi", "stop"), kUsageChunk, "[DONE]"}));
  ASSERT_EQ(spans_.written.size(), 1u);
  EXPECT_FALSE(spans_.written[0].metadata.contains("stream_options"));
}

TEST_F(ModelCallTest, AnthropicStreamIsTranslatedToOpenAiEvents) {
  Serve([this](ScriptedServer::Exchange& ex, const ScriptedServer&) {
    Remember(ex.request);
    ex.Send(StreamHead());
    for (std::string_view e : {
             R"(event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku","content":[],"stop_reason":null,"usage":{"input_tokens":5,"output_tokens":1}}})",
             R"(event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})",
             R"(event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})",
             R"(event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}})",
             R"(event: content_block_stop
data: {"type":"content_block_stop","index":0})",
             R"(event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}})",
             R"(event: message_stop
data: {"type":"message_stop"})"})
      ex.Send(Chunk(std::string(e) + "\n\n"));
    ex.Send(kLastChunk);
  });
  RecordingSink sink;
  RunStreamed(Chat("claude-3-5-haiku", R"(,"max_tokens":10)"), sink, LogsParent());
  ASSERT_FALSE(sink.events.empty());
  EXPECT_EQ(sink.events.back(), "[DONE]");
  std::string text;
  for (size_t i = 0; i + 1 < sink.events.size(); ++i) {
    json::object chunk = Obj(sink.events[i]);
    const json::object& delta = chunk.at("choices").as_array()[0].as_object().at("delta").as_object();
    if (const auto* c = delta.if_contains("content"); c && c->is_string()) text += c->as_string();
  }
  EXPECT_EQ(text, "Hello world");
  ASSERT_EQ(spans_.written.size(), 1u);
  EXPECT_EQ(spans_.written[0].metrics.at("prompt_tokens"), 5);
  EXPECT_EQ(spans_.written[0].metrics.at("completion_tokens"), 2);
  EXPECT_EQ(spans_.written[0].metrics.at("tokens"), 7);
}

TEST_F(ModelCallTest, StreamCutBeforeDoneEndsWithAnErrorEvent) {
  Serve([this](ScriptedServer::Exchange& ex, const ScriptedServer&) {
    Remember(ex.request);
    ex.Send(StreamHead());
    ex.Send(Chunk("data: " + ChatChunk("Hel") + "\n\n"));
    ex.Send(kLastChunk);
  });
  RecordingSink sink;
  RunStreamed(Chat("gpt-4o-mini"), sink, LogsParent());
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[0], ChatChunk("Hel"));
  json::object error = Obj(sink.events[1]).at("error").as_object();
  EXPECT_EQ(error.at("type"), "upstream_error");
  ASSERT_EQ(spans_.written.size(), 1u);
  EXPECT_EQ(spans_.written[0].error, "The provider ended the stream before it was complete");
}

TEST_F(ModelCallTest, ClientGoingAwayStopsTheStream) {
  Serve([this](ScriptedServer::Exchange& ex, const ScriptedServer&) {
    Remember(ex.request);
    ex.Send(StreamHead());
    ex.Send(Chunk("data: " + ChatChunk("one") + "\n\n"));
    ex.Send(Chunk("data: " + ChatChunk("two") + "\n\n"));
    ex.Send(Chunk("data: " + ChatChunk("three") + "\n\ndata: [DONE]\n\n"));
    ex.Send(kLastChunk);
  });
  RecordingSink sink;
  sink.stop_after = 1;
  RunStreamed(Chat("gpt-4o-mini"), sink, LogsParent());
  EXPECT_EQ(sink.events, std::vector<std::string>{ChatChunk("one")});
  ASSERT_EQ(spans_.written.size(), 1u);
  EXPECT_EQ(spans_.written[0].error, "The client closed the stream before it ended");
}

// --- The response cache ------------------------------------------------------

TEST_F(ModelCallTest, CacheHitDoesNotCallTheProviderTwice) {
  Serve(Answer(RawResponse(200, kChatAnswer, "Content-Type: application/json\r\n")));
  auto first = Prepare(Chat("gpt-4o-mini", R"(,"temperature":0)"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE((*first)->uses_cache());
  Result<ModelAnswer> a = (*first)->Run();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FALSE(a->cached);

  clock_.Advance(5 * kSecond);
  Result<ModelAnswer> b = RunBuffered(Chat("gpt-4o-mini", R"(,"temperature":0)"), LogsParent());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->cached);
  EXPECT_EQ(b->age_seconds, 5);
  EXPECT_EQ(b->body, kChatAnswer);
  EXPECT_EQ(server_->requests(), 1);
  ASSERT_EQ(spans_.written.size(), 1u) << "a hit is logged too";
  EXPECT_EQ(spans_.written[0].metrics.at("tokens"), 5);

  Result<ModelAnswer> other = RunBuffered(Chat("gpt-4o-mini", R"(,"temperature":0,"seed":7)"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->cached) << "another request is another entry";
  EXPECT_EQ(server_->requests(), 2);
}

TEST_F(ModelCallTest, CachedStreamIsReplayedAsSent) {
  Serve([this](ScriptedServer::Exchange& ex, const ScriptedServer&) {
    Remember(ex.request);
    ex.Send(StreamHead());
    ex.Send(Chunk("data: " + ChatChunk("Hi", "stop") + "\n\ndata: [DONE]\n\n"));
    ex.Send(kLastChunk);
  });
  RecordingSink first;
  RunStreamed(Chat("gpt-4o-mini", R"(,"seed":1)"), first);
  RecordingSink second;
  RunStreamed(Chat("gpt-4o-mini", R"(,"seed":1)"), second);
  EXPECT_EQ(server_->requests(), 1);
  EXPECT_EQ(second.starts, std::vector<bool>{true});
  EXPECT_TRUE(second.events.empty());
  EXPECT_EQ(second.raw, "data: " + ChatChunk("Hi", "stop") + "\n\ndata: [DONE]\n\n");
}

TEST_F(ModelCallTest, NoCacheWithoutTheKeyring) {
  secrets_enabled_ = false;
  Serve(Answer(RawResponse(200, kChatAnswer, "Content-Type: application/json\r\n")));
  ASSERT_TRUE(RunBuffered(Chat("gpt-4o-mini", R"(,"temperature":0)")).ok());
  Result<ModelAnswer> again = RunBuffered(Chat("gpt-4o-mini", R"(,"temperature":0)"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->cached);
  EXPECT_EQ(server_->requests(), 2);
}

TEST_F(ModelCallTest, ErrorsAreNotCached) {
  Serve(Answer(RawResponse(500, R"({"error":{"message":"boom","type":"server_error"}})")));
  ASSERT_TRUE(RunBuffered(Chat("gpt-4o-mini", R"(,"temperature":0)")).ok());
  ASSERT_TRUE(RunBuffered(Chat("gpt-4o-mini", R"(,"temperature":0)")).ok());
  EXPECT_EQ(server_->requests(), 2);
}

// --- Provider errors ---------------------------------------------------------

TEST_F(ModelCallTest, ProviderErrorKeepsItsStatusAndBody) {
  const std::string error = R"({"error":{"message":"model overloaded","type":"server_error"}})";
  Serve(Answer(RawResponse(500, error, "Content-Type: application/json\r\n")));
  Result<ModelAnswer> answer = RunBuffered(Chat("gpt-4o-mini"), LogsParent());
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 500);
  EXPECT_EQ(answer->body, error);
  EXPECT_EQ(server_->requests(), 1) << "a POST is not retried";
  ASSERT_EQ(spans_.written.size(), 1u);
  EXPECT_EQ(spans_.written[0].error, "provider answered 500: model overloaded");
}

TEST_F(ModelCallTest, AnthropicErrorIsTranslatedAndKeepsItsStatus) {
  Serve(Answer(RawResponse(529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})")));
  Result<ModelAnswer> answer = RunBuffered(Chat("claude-3-5-haiku", R"(,"max_tokens":10)"));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 529);
  json::object error = Obj(answer->body).at("error").as_object();
  EXPECT_EQ(error.at("message"), "Overloaded");
  EXPECT_EQ(error.at("type"), "overloaded_error");
}

TEST_F(ModelCallTest, StreamedProviderErrorFailsBeforeTheFirstEvent) {
  const std::string error = R"({"error":{"message":"bad request","type":"invalid_request_error"}})";
  Serve(Answer(RawResponse(400, error, "Content-Type: application/json\r\n")));
  RecordingSink sink;
  RunStreamed(Chat("gpt-4o-mini"), sink);
  EXPECT_TRUE(sink.starts.empty());
  EXPECT_TRUE(sink.events.empty());
  EXPECT_EQ(sink.fail_status, 400);
  EXPECT_EQ(sink.fail_body, error);
  EXPECT_EQ(sink.fail_type, "application/json");
}

TEST_F(ModelCallTest, UnreachableProviderIsUnavailable) {
  Serve([this](ScriptedServer::Exchange& ex, const ScriptedServer&) { Remember(ex.request); });  // closes, no answer
  Result<ModelAnswer> answer = RunBuffered(Chat("gpt-4o-mini"), LogsParent());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable) << answer.status().ToString();
  ASSERT_EQ(spans_.written.size(), 1u);
  EXPECT_TRUE(spans_.written[0].error);

  RecordingSink sink;
  RunStreamed(Chat("gpt-4o-mini"), sink);
  EXPECT_TRUE(sink.starts.empty());
  EXPECT_EQ(sink.fail_status, 503);
}

TEST_F(ModelCallTest, OutboundRateLimitIsResourceExhausted) {
  MakeOutbound(http::RateLimit{1, 60s});
  Serve(Answer(RawResponse(200, kChatAnswer, "Content-Type: application/json\r\n")));
  ASSERT_TRUE(RunBuffered(Chat("gpt-4o-mini")).ok());
  Result<ModelAnswer> limited = RunBuffered(Chat("gpt-4o-mini"));
  EXPECT_EQ(limited.status().code(), StatusCode::kResourceExhausted) << limited.status().ToString();
  EXPECT_EQ(server_->requests(), 1);
}

// --- Refused before any provider is called -----------------------------------

TEST_F(ModelCallTest, AllowListRefusesTheHost) {
  Serve(Answer(RawResponse(200, kChatAnswer)));
  options_.allowed_hosts = proxy::AllowList::Defaults();
  auto call = Prepare(Chat("gpt-4o-mini"));
  EXPECT_EQ(call.status().code(), StatusCode::kPermissionDenied) << call.status().ToString();
  EXPECT_NE(call.status().message().find("127.0.0.1"), std::string::npos) << call.status().message();
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(ModelCallTest, MissingProviderSecretIsNotFoundNamingTheProvider) {
  Serve(Answer(RawResponse(200, kChatAnswer)));
  secrets_ = {Secret("ANTHROPIC_API_KEY", "anthropic", "sk-test-anthropic")};
  auto call = Prepare(Chat("gpt-4o-mini"));
  EXPECT_EQ(call.status().code(), StatusCode::kNotFound);
  EXPECT_NE(call.status().message().find("'openai'"), std::string::npos) << call.status().message();
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(ModelCallTest, ProviderSecretWithoutValueIsNotFound) {
  Serve(Answer(RawResponse(200, kChatAnswer)));
  secrets_ = {Secret("OPENAI_API_KEY", "openai", "")};
  auto call = Prepare(Chat("gpt-4o-mini"));
  EXPECT_EQ(call.status().code(), StatusCode::kNotFound);
  EXPECT_NE(call.status().message().find("has no value"), std::string::npos) << call.status().message();
}

TEST_F(ModelCallTest, ProjectOfAnotherOrganizationIsNotFound) {
  Serve(Answer(RawResponse(200, kChatAnswer)));
  auto call = Prepare(Chat("gpt-4o-mini"), ModelEndpoint::kChat, {{"x-bt-project-id", kProject2}});
  EXPECT_EQ(call.status().code(), StatusCode::kNotFound) << call.status().ToString();
  EXPECT_EQ(secret_lookups_, 0) << "refused before any secret is read";
  EXPECT_TRUE(Prepare(Chat("gpt-4o-mini"), ModelEndpoint::kChat, {{"x-bt-project-id", kProject1}}).ok());
}

TEST_F(ModelCallTest, ProjectOutsideTheChosenOrganizationIsNotFound) {
  Serve(Answer(RawResponse(200, kChatAnswer)));
  principal_.orgs.push_back({"org-2", "Org Two", "member"});
  auto call = Prepare(Chat("gpt-4o-mini"), ModelEndpoint::kChat,
                      {{"x-bt-org-name", "Org One"}, {"x-bt-project-id", kProject2}});
  EXPECT_EQ(call.status().code(), StatusCode::kNotFound) << call.status().ToString();
  EXPECT_EQ(secret_lookups_, 0);
}

TEST_F(ModelCallTest, ForeignParentIsRefusedBeforeTheCall) {
  Serve(Answer(RawResponse(200, kChatAnswer)));
  proxy::SpanParent foreign = LogsParent();
  foreign.object_id = "logs-of-someone-else";
  auto call = Prepare(Chat("gpt-4o-mini"), ModelEndpoint::kChat, {}, foreign);
  EXPECT_EQ(call.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(ModelCallTest, MalformedRequestsAreInvalid) {
  Serve(Answer(RawResponse(200, kChatAnswer)));
  EXPECT_EQ(Prepare(Obj(R"({"messages":[{"role":"user","content":"x"}]})")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Prepare(Obj(R"({"model":"gpt-4o","messages":[]})")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Prepare(Obj(R"({"model":"gpt-4o","messages":["hi"]})")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Prepare(Chat("gpt-4o", R"(,"stream":"yes")")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Prepare(Obj(R"({"model":"text-embedding-3-small","input":"x","stream":true})"), ModelEndpoint::kEmbeddings)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Prepare(Obj(R"({"model":"claude-3-5-haiku","prompt":"x"})"), ModelEndpoint::kCompletions).status().code(),
            StatusCode::kInvalidArgument)
      << "Anthropic's format answers chat only";
  EXPECT_EQ(server_->requests(), 0);
}

}  // namespace
}  // namespace tv::data
