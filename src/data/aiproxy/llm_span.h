// LLM spans: how the AI proxy and /function/invoke record a model call in the
// span store (docs/ai-proxy.md, "Logging"). The parent is resolved while the
// request is still being handled, so a bad or foreign parent is a 4xx before
// any provider is called; the span itself is written once the call has ended.
#pragma once

#include <optional>
#include <string>

#include "common/json.h"
#include "common/principal.h"
#include "http/context.h"
#include "proxy/span_parent.h"
#include "store/row_rules.h"

namespace tv::data {

class DataPlane;

// A parent checked against tenancy: the object the span goes to and, when the
// caller named one, the span it hangs under.
struct ResolvedParent {
  store::ObjectRef ref;
  proxy::SpanParent parent;
};

// NotFound for another organization's object (or an unknown one).
Result<ResolvedParent> ResolveParent(DataPlane& dp, http::RequestContext& ctx, proxy::SpanParent parent);

struct LlmSpan {
  std::string name = "Chat Completion";
  std::string type = "llm";
  json::value input;
  json::value output;
  json::object metadata;
  json::object metrics;  // start, end, prompt_tokens, completion_tokens, tokens, time_to_first_token
  std::optional<std::string> error;
};

// Writes `span` as one row under `parent`, acting as `caller` (the request may
// have ended: the original request and principal are passed in). Returns the
// row id.
Result<std::string> WriteLlmSpan(DataPlane& dp, const http::Request& request, const Principal& caller,
                                 const ResolvedParent& parent, const LlmSpan& span);

}  // namespace tv::data
