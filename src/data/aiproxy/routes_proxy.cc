// The AI proxy's routes: POST /v1/proxy/chat/completions, /completions and
// /embeddings, OpenAI-compatible (docs/ai-proxy.md). ModelCall does the work;
// this file turns its answers into HTTP, streamed or not.
#include <memory>

#include "data/data_plane.h"
#include "data/aiproxy/model_call.h"
#include "data/aiproxy/proxy_sse.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

// Streams OpenAI events to the client as server-sent events.
class SseSink : public StreamSink {
 public:
  SseSink(http::BodyWriter& out, std::string provider, bool uses_cache)
      : out_(out), provider_(std::move(provider)), uses_cache_(uses_cache) {}

  bool Start(bool cached) override {
    http::Headers h;
    h.Set("x-bt-used-endpoint", provider_);
    if (cached || uses_cache_) h.Set("x-bt-cached", cached ? "HIT" : "MISS");
    out_.SetHead(200, h);
    return true;
  }
  bool Event(std::string_view data) override { return out_.Write(SseData(data)); }
  bool Raw(std::string_view bytes) override { return out_.Write(bytes); }
  void Fail(int status, std::string_view body, const http::Headers& headers) override {
    WriteFailure(out_, status, body, headers);
  }

 private:
  http::BodyWriter& out_;
  std::string provider_;
  bool uses_cache_;
};

Result<http::Response> HandleProxy(DataPlane& dp, http::RequestContext& ctx, ModelEndpoint endpoint) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  ModelCall::Spec spec;
  spec.endpoint = endpoint;
  spec.body = std::move(body);
  if (auto h = ctx.request().headers.Get("x-bt-parent"); h && !h->empty()) {
    TV_ASSIGN_OR_RETURN(spec.parent, proxy::ParseSpanParent(*h, "x-bt-parent"));
  }
  TV_ASSIGN_OR_RETURN(std::unique_ptr<ModelCall> call, ModelCall::Prepare(dp, ctx, std::move(spec)));
  if (!call->streaming()) {
    TV_ASSIGN_OR_RETURN(ModelAnswer answer, call->Run());
    http::Response r;
    r.status = answer.status;
    r.body = std::move(answer.body);
    r.headers.Set("Content-Type", answer.content_type);
    r.headers.Set("x-bt-used-endpoint", call->route().provider);
    if (answer.cached) {
      r.headers.Set("x-bt-cached", "HIT");
      r.headers.Set("Age", std::to_string(answer.age_seconds));
    } else if (call->uses_cache()) {
      r.headers.Set("x-bt-cached", "MISS");
    }
    return r;
  }
  return StreamedResponse([call = std::shared_ptr<ModelCall>(std::move(call))](http::BodyWriter& out) {
    SseSink sink(out, call->route().provider, call->uses_cache());
    call->RunStream(sink);
  });
}

}  // namespace

void AddProxyRoutes(DataPlane& dp, http::Router& router) {
  const std::pair<std::string_view, ModelEndpoint> routes[] = {{"/v1/proxy/chat/completions", ModelEndpoint::kChat},
                                                               {"/v1/proxy/completions", ModelEndpoint::kCompletions},
                                                               {"/v1/proxy/embeddings", ModelEndpoint::kEmbeddings}};
  for (const auto& [path, endpoint] : routes) {
    router.Add(
        http::Method::kPost, std::string(path),
        [&dp, endpoint = endpoint](http::RequestContext& ctx) { return HandleProxy(dp, ctx, endpoint); },
        http::RequestClass::kModel);
  }
}

}  // namespace tv::data
