// The request body the Braintrust SDK's `prompt.build(args, options)` produces from a
// stored prompt's prompt_data, so the AI proxy can run stored prompts server-side with
// the same result a client building them locally would send.
//
// Matches the SDK (3.35.0) case by case; tests/unit/fixtures/prompt_build.json holds
// its real output (see gen-prompt-build.mjs), checked by prompt_build_test.cc:
// * params: `defaults`, then options.params without use_cache / reasoning_enabled /
//   reasoning_budget, then options.model; a null response_format is dropped; a
//   json_schema response_format has its schema's strings templated (a string schema
//   is parsed as JSON afterwards); other params are not templated.
// * chat: {...params, messages, tools?}; completion: {...params, prompt}.
// * tools is a JSON string in prompt_data, templated then parsed.
// * Rendering rules: proxy/mustache_render.h; message fields: proxy/prompt_messages.h.
// Differences: span_info (tracing metadata) is never added; message and params schemas
// are normalized (unknown keys dropped) but not fully validated as the SDK's zod parse
// does; nunjucks is unsupported.
// Thread-safe; pure function.
#pragma once

#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/status.h"
#include "proxy/prompt_template.h"

namespace tv::proxy {

enum class PromptFlavor { kChat, kCompletion };

struct BuildOptions {
  PromptFlavor flavor = PromptFlavor::kChat;
  // Every top-level variable must exist (the SDK's `strict`).
  bool strict = false;
  // Overrides prompt_data.template_format.
  std::optional<TemplateFormat> template_format;
  // Appended after the prompt's messages, unrendered; system messages are skipped when
  // the prompt has its own. Chat only (the SDK's `options.messages`).
  std::optional<boost::json::array> messages;
  // Parameters under the prompt's own, e.g. a default model (the Prompt's `defaults`).
  boost::json::object defaults;
  // What all the prompt's templates together may render (TemplateBudget).
  size_t template_output_bytes = kDefaultTemplateOutputBytes;
};

// Errors are InvalidArgument: no model, an empty prompt, a flavor that does not match
// the prompt's type, template errors, strict-mode missing variables, bad tools JSON,
// templates rendering more than options.template_output_bytes.
Result<boost::json::object> BuildPrompt(const boost::json::object& prompt_data, const boost::json::value& args,
                                        const BuildOptions& options = {});

}  // namespace tv::proxy
