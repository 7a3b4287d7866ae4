// Room-internal: what the AI proxy's route groups share. Built once by
// AddAiProxyRoutes; every handler and every stream it starts holds it, so a
// streamed call's dependencies live as long as the call.
#pragma once

#include <memory>

#include "data/aiproxy/aiproxy.h"
#include "data/aiproxy/llm_span.h"
#include "data/aiproxy/model_call.h"

namespace tv::data {

struct AiProxyRoom {
  explicit AiProxyRoom(const AiProxyDeps& deps);

  Functions& functions;
  StoreLlmSpanLog spans;
  ModelCallDeps calls;
};

void AddProxyRoutes(http::Router& router, std::shared_ptr<const AiProxyRoom> room);   // routes_proxy.cc
void AddInvokeRoutes(http::Router& router, std::shared_ptr<const AiProxyRoom> room);  // routes_invoke.cc

}  // namespace tv::data
