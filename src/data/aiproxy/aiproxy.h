// The AI proxy room: /v1/proxy/* and /function/invoke (docs/ai-proxy.md).
// Model calls (model_call.h), their streams (model_stream.h), llm spans
// (llm_span.h) and the encrypted response cache (proxy_cache.h); the provider
// formats themselves are src/proxy/.
#pragma once

#include "common/clock.h"
#include "data/aiproxy/model_call.h"
#include "data/aiproxy/proxy_cache.h"
#include "http/outbound.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "store/span_store.h"

namespace tv::data {

class Functions;
class Secrets;

// What the room uses. The referenced objects outlive the router and every
// stream its routes start.
struct AiProxyDeps {
  const http::Tenancy& tenancy;
  const Clock& clock;
  http::OutboundClient& outbound;
  ProxyCache& cache;
  Secrets& secrets;         // provider secrets, and the keyring the cache seals with
  store::SpanStore& store;  // llm spans
  Functions& functions;     // invoked prompts; parents named by project
  ModelCallOptions options;
};

// POST /v1/proxy/chat/completions, /v1/proxy/completions, /v1/proxy/embeddings,
// /function/invoke and /v1/function/:id/invoke, all of the model request class.
void AddAiProxyRoutes(http::Router& router, const AiProxyDeps& deps);

}  // namespace tv::data
