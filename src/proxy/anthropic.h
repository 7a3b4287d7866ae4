// OpenAI chat-completions <-> Anthropic messages translation for the AI proxy, so a
// client speaking OpenAI's wire format can call Claude models. The mapping, field by
// field, is in docs/ai-proxy.md ("Anthropic translation"); streams are translated by
// proxy/anthropic_stream.h.
// Thread-safe; pure functions (the caller supplies the clock reading).
#pragma once

#include <cstdint>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/status.h"

namespace tv::proxy {

// max_tokens sent when the OpenAI request names neither max_completion_tokens nor
// max_tokens (Anthropic requires one).
inline constexpr int64_t kDefaultAnthropicMaxTokens = 4096;

// An OpenAI /chat/completions body → an Anthropic /v1/messages body. Shapes Anthropic
// cannot express (n > 1, audio or file parts, non-text response_format, function-role
// messages, ...) are InvalidArgument naming the field.
Result<boost::json::object> OpenAiToAnthropicRequest(const boost::json::object& openai);

// An Anthropic message (non-streaming response) → an OpenAI `chat.completion`.
// `created` is the Unix time in seconds to report.
Result<boost::json::object> AnthropicToOpenAiResponse(const boost::json::object& message, int64_t created);

// Anthropic stop_reason → OpenAI finish_reason: end_turn/stop_sequence/pause_turn →
// "stop", max_tokens → "length", tool_use → "tool_calls", refusal → "content_filter";
// null stays null; unknown reasons → "stop".
boost::json::value FinishReason(const boost::json::value& stop_reason);

// An Anthropic error body ({"type":"error","error":{"type","message"}}) → OpenAI's
// {"error":{"message","type","code"}} (type and code are Anthropic's error type).
// A body of any other shape becomes an "api_error" whose message is the body text.
boost::json::object AnthropicErrorToOpenAi(std::string_view body);
// The same for an already parsed error object.
boost::json::object AnthropicErrorToOpenAi(const boost::json::value& error_body);

}  // namespace tv::proxy
