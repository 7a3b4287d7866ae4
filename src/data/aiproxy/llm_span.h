// LLM spans: how the AI proxy and /function/invoke record a model call in the
// span store (docs/ai-proxy.md, "Logging"). The parent is resolved while the
// request is still being handled, so a bad or foreign parent is a 4xx before
// any provider is called; the span itself is written once the call has ended.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/json.h"
#include "common/principal.h"
#include "http/context.h"
#include "http/tenancy.h"
#include "proxy/span_parent.h"
#include "store/row_rules.h"
#include "store/span_store.h"

namespace tv::data {

class Functions;

// A parent checked against tenancy: the object the span goes to and, when the
// caller named one, the span it hangs under.
struct ResolvedParent {
  store::ObjectRef ref;
  proxy::SpanParent parent;
};

struct LlmSpan {
  std::string name = "Chat Completion";
  std::string type = "llm";
  json::value input;
  json::value output;
  json::object metadata;
  json::object metrics;  // start, end, prompt_tokens, completion_tokens, tokens, time_to_first_token
  std::optional<std::string> error;
};

// Where model calls record their llm spans. A model call needs only these two
// steps, so its unit tests pass a fake.
class LlmSpanLog {
 public:
  virtual ~LlmSpanLog() = default;

  // NotFound for another organization's object (or an unknown one).
  virtual Result<ResolvedParent> ResolveParent(http::RequestContext& ctx, proxy::SpanParent parent) = 0;

  // Writes `span` as one row under `parent`, acting as `caller` (the request
  // may have ended: the original request and principal are passed in).
  // Returns the row id.
  virtual Result<std::string> Write(const http::Request& request, const Principal& caller, const ResolvedParent& parent,
                                    const LlmSpan& span) = 0;
};

// The span store's LlmSpanLog: parents go through the tenancy rule (a parent
// named by project name through `functions`), spans through row intake.
// Thread-safety: safe for concurrent use; the references outlive it.
class StoreLlmSpanLog final : public LlmSpanLog {
 public:
  StoreLlmSpanLog(const http::Tenancy& tenancy, store::SpanStore& store, const Clock& clock, Functions& functions)
      : tenancy_(tenancy), store_(store), clock_(clock), functions_(functions) {}

  Result<ResolvedParent> ResolveParent(http::RequestContext& ctx, proxy::SpanParent parent) override;
  Result<std::string> Write(const http::Request& request, const Principal& caller, const ResolvedParent& parent,
                            const LlmSpan& span) override;

 private:
  const http::Tenancy& tenancy_;
  store::SpanStore& store_;
  const Clock& clock_;
  Functions& functions_;
};

}  // namespace tv::data
