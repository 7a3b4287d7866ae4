// ModelCall: one call to a model provider on behalf of a request — the part
// /v1/proxy/* and /function/invoke share (docs/ai-proxy.md). Prepare() does
// every check that can fail with a 4xx (organization, project, secrets,
// routing, the allow-list, the parent, the cache headers) while the request is
// being handled; Run() or RunStream() then talks to the provider through the
// data plane's outbound client, translates Anthropic to OpenAI, fills the
// cache and writes the llm span once the call has ended.
//
// A prepared call owns copies of what it needs (the request, the caller), so a
// streamed call can outlive its handler. Not thread-safe: one thread runs it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/json.h"
#include "data/aiproxy/llm_span.h"
#include "data/aiproxy/proxy_cache.h"
#include "http/client.h"
#include "http/context.h"
#include "proxy/cache_policy.h"
#include "proxy/providers.h"

namespace tv::data {

class DataPlane;

enum class ModelEndpoint { kChat, kCompletions, kEmbeddings };

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

  static Result<std::unique_ptr<ModelCall>> Prepare(DataPlane& dp, http::RequestContext& ctx, Spec spec);

  bool streaming() const { return streaming_; }
  const proxy::Route& route() const { return route_; }
  // The response cache is read or written for this call (x-bt-cached is sent).
  bool uses_cache() const { return cache_.read || cache_.write; }

  // Not streaming: the whole answer. Statuses from the outbound client
  // (rate limit, unreachable, timeout) come back as errors.
  Result<ModelAnswer> Run();
  // Streaming: events to `sink` as they arrive.
  void RunStream(StreamSink& sink);

 private:
  ModelCall(DataPlane& dp) : dp_(dp) {}
  http::ClientRequest UpstreamRequest(bool add_usage) const;
  void Log(const json::value& output, const json::object& usage, std::optional<std::string> error,
           std::optional<double> first_token_seconds);
  std::optional<ModelAnswer> CacheLookup();
  void CacheStore(const ModelAnswer& answer, bool streamed);

  DataPlane& dp_;
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
