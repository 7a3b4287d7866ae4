// ModelCall: one call to a model provider on behalf of a request — the part
// /v1/proxy/* and /function/invoke share (docs/ai-proxy.md). Prepare() does
// every check that can fail with a 4xx (organization, project, secrets,
// routing, the allow-list, the parent, the cache headers) while the request is
// being handled; Run() or RunStream() then talks to the provider through the
// outbound client, translates Anthropic to OpenAI, fills the cache and writes
// the llm span once the call has ended.
//
// A prepared call owns copies of what it needs (the request, the caller), so a
// streamed call can outlive its handler. Not thread-safe: one thread runs it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/provider_secret.h"
#include "crypto/envelope.h"
#include "data/aiproxy/llm_span.h"
#include "data/aiproxy/proxy_cache.h"
#include "http/client.h"
#include "http/context.h"
#include "http/outbound.h"
#include "http/tenancy.h"
#include "proxy/cache_policy.h"
#include "proxy/providers.h"

namespace tv::data {

enum class ModelEndpoint { kChat, kCompletions, kEmbeddings };

// The limits every model call keeps (--proxy-allowed-hosts, the proxy timeouts).
struct ModelCallOptions {
  // The hosts a call may go to (docs/ai-proxy.md, "The allow-list").
  proxy::AllowList allowed_hosts = proxy::AllowList::Defaults();
  // A streamed call may take this long in all, and go this long without a
  // byte (a provider hung mid-stream).
  std::chrono::milliseconds timeout{600'000};
  std::chrono::milliseconds idle_timeout{60'000};
  // A call answered in one piece must end before the server's request timeout.
  std::chrono::milliseconds buffered_timeout{115'000};
};

// Every provider secret the caller may use for (organization, optional
// project): the project's replace the organization's of the same name.
// NotFound when the caller is not in the organization or the project is not
// in it (Secrets::ResolveProviderSecrets).
using ProviderSecretSource = std::function<Result<std::vector<ProviderSecret>>(
    http::RequestContext& ctx, std::string_view org_id, std::optional<std::string_view> project_id)>;
// The keyring cache entries are sealed with; an error while secrets are not
// enabled, and then the cache is neither read nor written.
using CacheKeyring = std::function<Result<const crypto::Keyring*>()>;

// What a model call uses. The referenced objects outlive every call prepared
// with it, streamed ones included.
struct ModelCallDeps {
  const http::Tenancy& tenancy;
  const Clock& clock;
  http::OutboundClient& outbound;
  ProxyCache& cache;
  LlmSpanLog& spans;
  ModelCallOptions options;
  ProviderSecretSource provider_secrets;
  CacheKeyring cache_keys;
};

// What the provider answered, in OpenAI's format: an answer or an error body.
struct ModelAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool cached = false;
  int64_t age_seconds = 0;
};

// Where a streamed call's output goes.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Before the first event: the answer will stream (`cached`: from the cache).
  virtual bool Start(bool cached) = 0;
  // One OpenAI stream event's data ("{...chunk...}" or "[DONE]"). False: the
  // client went away, stop.
  virtual bool Event(std::string_view data) = 0;
  // Replaying a cached stream: the exact bytes sent the first time.
  virtual bool Raw(std::string_view bytes) = 0;
  // The call failed before Start(): an HTTP status and an OpenAI-shaped body.
  virtual void Fail(int status, std::string_view body, const http::Headers& headers) = 0;
};

class ModelCall {
 public:
  struct Spec {
    ModelEndpoint endpoint = ModelEndpoint::kChat;
    json::object body;  // the OpenAI request
    std::optional<proxy::SpanParent> parent;
    std::string span_name;       // default by endpoint
    json::object span_metadata;  // merged into the span's metadata (e.g. the prompt's id and version)
    json::value span_input;      // default: the messages / prompt / input
  };

  // REQUIRES: `deps` outlives the call.
  static Result<std::unique_ptr<ModelCall>> Prepare(const ModelCallDeps& deps, http::RequestContext& ctx, Spec spec);

  bool streaming() const { return streaming_; }
  const proxy::Route& route() const { return route_; }
  // The response cache is read or written for this call (x-bt-cached is sent).
  bool uses_cache() const { return cache_.read || cache_.write; }

  // Not streaming: the whole answer. Statuses from the outbound client
  // (rate limit, unreachable, timeout) come back as errors.
  Result<ModelAnswer> Run();
  // Streaming: events to `sink` as they arrive (model_stream.h).
  void RunStream(StreamSink& sink);

 private:
  friend class ModelStream;

  explicit ModelCall(const ModelCallDeps& deps) : deps_(deps) {}
  // The steps of Prepare().
  Status CheckBody(const Spec& spec);
  Status ChooseRoute(http::RequestContext& ctx, const Spec& spec);
  Status DecideCache(const http::Request& req, const Spec& spec);
  // The steps of Run().
  Result<ModelAnswer> Translate(http::ClientResponse response);
  void LogAnswer(const ModelAnswer& answer);

  http::ClientRequest UpstreamRequest(bool add_usage) const;
  http::OutboundCall Outbound() const;
  // Starts the call's clock (the span's `start`).
  void Begin();
  double Now() const;
  void Log(const json::value& output, const json::object& usage, std::optional<std::string> error,
           std::optional<double> first_token_seconds);
  // The span of a call the provider answered with an error status.
  void LogProviderError(int status, std::string_view body);
  std::optional<ModelAnswer> CacheLookup();
  void CacheStore(const ModelAnswer& answer, bool streamed);

  const ModelCallDeps& deps_;
  Spec spec_;
  std::string model_;
  bool streaming_ = false;
  std::string org_id_;
  proxy::Route route_;
  std::string url_;
  json::object upstream_body_;  // translated for Anthropic
  std::optional<ResolvedParent> parent_;
  proxy::CachePolicy cache_;
  std::string cache_key_;
  std::string token_;  // the caller's bearer token: the outbound rate-limit key
  http::Request request_;
  Principal caller_;
  double start_ = 0;
};

}  // namespace tv::data
