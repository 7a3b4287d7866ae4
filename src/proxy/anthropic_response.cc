// AnthropicToOpenAiResponse, FinishReason and the error-body translation (declared in
// proxy/anthropic.h).
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "proxy/anthropic.h"
#include "proxy/js_text.h"

namespace tv::proxy {

namespace json = boost::json;

namespace {

int64_t TokenCount(const json::object& usage, std::string_view key) {
  const json::value* v = usage.if_contains(key);
  return v && v->is_number() ? v->to_number<int64_t>() : 0;
}

json::object Usage(const json::value* usage) {
  const json::object* u = usage ? usage->if_object() : nullptr;
  int64_t in = u ? TokenCount(*u, "input_tokens") : 0;
  int64_t out = u ? TokenCount(*u, "output_tokens") : 0;
  return json::object{{"prompt_tokens", in}, {"completion_tokens", out}, {"total_tokens", in + out}};
}

json::object ToolCall(const json::object& block) {
  const json::value* input = block.if_contains("input");
  std::string arguments = input ? JsJsonStringify(*input) : "{}";
  return json::object{{"id", block.at("id")},
                      {"type", "function"},
                      {"function", json::object{{"name", block.at("name")}, {"arguments", arguments}}}};
}

}  // namespace

json::value FinishReason(const json::value& stop_reason) {
  if (!stop_reason.is_string()) return nullptr;
  std::string_view r = stop_reason.get_string();
  if (r == "max_tokens") return "length";
  if (r == "tool_use") return "tool_calls";
  if (r == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn and reasons added later
}

Result<json::object> AnthropicToOpenAiResponse(const json::object& message, int64_t created) {
  const json::value* content = message.if_contains("content");
  if (!content || !content->is_array()) return InvalidArgument("Anthropic message has no content array");
  std::string text;
  bool has_text = false;
  json::array tool_calls;
  for (const json::value& b : content->get_array()) {
    const json::object* block = b.if_object();
    const json::value* type = block ? block->if_contains("type") : nullptr;
    if (type && *type == "text" && block->at("text").is_string()) {
      text += block->at("text").get_string();
      has_text = true;
    } else if (type && *type == "tool_use" && block->contains("id") && block->contains("name")) {
      tool_calls.push_back(ToolCall(*block));
    }  // thinking and other block types have no chat.completion equivalent
  }
  json::object msg{{"role", "assistant"}, {"content", has_text ? json::value(text) : json::value()}};
  if (!tool_calls.empty()) msg["tool_calls"] = std::move(tool_calls);
  const json::value* stop = message.if_contains("stop_reason");
  json::object choice{{"index", 0},
                      {"message", std::move(msg)},
                      {"finish_reason", FinishReason(stop ? *stop : json::value())},
                      {"logprobs", nullptr}};
  const json::value* id = message.if_contains("id");
  const json::value* model = message.if_contains("model");
  return json::object{{"id", id ? *id : json::value("")},
                      {"object", "chat.completion"},
                      {"created", created},
                      {"model", model ? *model : json::value("")},
                      {"choices", json::array{std::move(choice)}},
                      {"usage", Usage(message.if_contains("usage"))}};
}

json::object AnthropicErrorToOpenAi(const json::value& body) {
  const json::object* o = body.if_object();
  const json::value* err = o ? o->if_contains("error") : nullptr;
  const json::object* e = err ? err->if_object() : nullptr;
  const json::value* type = e ? e->if_contains("type") : nullptr;
  const json::value* message = e ? e->if_contains("message") : nullptr;
  json::value t = type && type->is_string() ? *type : json::value("api_error");
  json::value m = message && message->is_string() ? *message : json::value(JsJsonStringify(body));
  return json::object{{"error", json::object{{"message", m}, {"type", t}, {"code", t}}}};
}

json::object AnthropicErrorToOpenAi(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object() && parsed.get_object().contains("error")) {
    return AnthropicErrorToOpenAi(parsed);
  }
  return json::object{{"error", json::object{{"message", body}, {"type", "api_error"}, {"code", "api_error"}}}};
}

}  // namespace tv::proxy
