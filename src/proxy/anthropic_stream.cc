#include "proxy/anthropic_stream.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "proxy/anthropic.h"

namespace tv::proxy {

namespace json = boost::json;

namespace {

int64_t IntField(const json::object& o, std::string_view key, int64_t fallback) {
  const json::value* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<int64_t>() : fallback;
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::object* ObjectField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

json::object ErrorBody(std::string_view type, std::string_view message) {
  return json::object{{"type", "error"}, {"error", json::object{{"type", type}, {"message", message}}}};
}

}  // namespace

AnthropicStreamTranslator::AnthropicStreamTranslator(StreamTranslation options)
    : options_(options), parser_([this](const SseEvent& e) { OnEvent(e); }) {}

std::string AnthropicStreamTranslator::Feed(std::string_view bytes) {
  if (!done_) parser_.Feed(bytes);
  return std::move(out_);
}

std::string AnthropicStreamTranslator::Finish() {
  if (!done_) parser_.Finish();
  if (!done_) EmitError(ErrorBody("api_error", "The upstream stream ended before message_stop"));
  return std::move(out_);
}

void AnthropicStreamTranslator::OnEvent(const SseEvent& e) {
  if (done_) return;
  boost::system::error_code ec;
  json::value data = json::parse(e.data, ec);
  if (ec || !data.is_object()) {
    EmitError(ErrorBody("api_error", "Malformed event from the upstream stream"));
    return;
  }
  const json::object& d = data.get_object();
  // The `event:` line and the payload's `type` agree; the payload is authoritative.
  std::string type = StringField(d, "type");
  if (type.empty()) type = e.event;
  if (type == "message_start")
    OnMessageStart(d);
  else if (type == "content_block_start")
    OnBlockStart(d);
  else if (type == "content_block_delta")
    OnBlockDelta(d);
  else if (type == "message_delta")
    OnMessageDelta(d);
  else if (type == "message_stop")
    OnMessageStop();
  else if (type == "error")
    EmitError(data);
}

void AnthropicStreamTranslator::OnMessageStart(const json::object& d) {
  if (const json::object* m = ObjectField(d, "message")) {
    id_ = StringField(*m, "id");
    model_ = StringField(*m, "model");
    if (const json::object* u = ObjectField(*m, "usage")) {
      input_tokens_ = IntField(*u, "input_tokens", 0);
      output_tokens_ = IntField(*u, "output_tokens", 0);
    }
  }
  EmitDelta(json::object{{"role", "assistant"}, {"content", ""}});
}

void AnthropicStreamTranslator::OnBlockStart(const json::object& d) {
  const json::object* block = ObjectField(d, "content_block");
  if (!block) return;
  std::string type = StringField(*block, "type");
  if (type == "text") {
    std::string text = StringField(*block, "text");
    if (!text.empty()) EmitDelta(json::object{{"content", text}});
    return;
  }
  if (type != "tool_use") return;
  int64_t tool = static_cast<int64_t>(tool_index_.size());
  tool_index_[IntField(d, "index", -1)] = tool;
  json::object call{{"index", tool},
                    {"id", StringField(*block, "id")},
                    {"type", "function"},
                    {"function", json::object{{"name", StringField(*block, "name")}, {"arguments", ""}}}};
  EmitDelta(json::object{{"tool_calls", json::array{std::move(call)}}});
}

void AnthropicStreamTranslator::OnBlockDelta(const json::object& d) {
  const json::object* delta = ObjectField(d, "delta");
  if (!delta) return;
  std::string type = StringField(*delta, "type");
  if (type == "text_delta") {
    EmitDelta(json::object{{"content", StringField(*delta, "text")}});
    return;
  }
  if (type != "input_json_delta") return;  // thinking and signature deltas have no equivalent
  auto it = tool_index_.find(IntField(d, "index", -1));
  if (it == tool_index_.end()) return;
  json::object call{{"index", it->second},
                    {"function", json::object{{"arguments", StringField(*delta, "partial_json")}}}};
  EmitDelta(json::object{{"tool_calls", json::array{std::move(call)}}});
}

void AnthropicStreamTranslator::OnMessageDelta(const json::object& d) {
  if (const json::object* u = ObjectField(d, "usage")) {
    output_tokens_ = IntField(*u, "output_tokens", output_tokens_);
    input_tokens_ = IntField(*u, "input_tokens", input_tokens_);
  }
  const json::object* delta = ObjectField(d, "delta");
  const json::value* stop = delta ? delta->if_contains("stop_reason") : nullptr;
  if (stop && !stop->is_null()) EmitDelta(json::object(), FinishReason(*stop));
}

void AnthropicStreamTranslator::OnMessageStop() {
  if (options_.include_usage) {
    json::object usage{{"prompt_tokens", input_tokens_},
                       {"completion_tokens", output_tokens_},
                       {"total_tokens", input_tokens_ + output_tokens_}};
    Emit(json::object{{"id", id_},
                      {"object", "chat.completion.chunk"},
                      {"created", options_.created},
                      {"model", model_},
                      {"choices", json::array()},
                      {"usage", std::move(usage)}});
  }
  out_ += "data: [DONE]\n\n";
  done_ = true;
}

void AnthropicStreamTranslator::EmitDelta(json::object delta, json::value finish_reason) {
  json::object choice{
      {"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}, {"logprobs", nullptr}};
  Emit(json::object{{"id", id_},
                    {"object", "chat.completion.chunk"},
                    {"created", options_.created},
                    {"model", model_},
                    {"choices", json::array{std::move(choice)}}});
}

void AnthropicStreamTranslator::EmitError(const json::value& error_body) {
  Emit(AnthropicErrorToOpenAi(error_body));
  done_ = true;
}

void AnthropicStreamTranslator::Emit(const json::value& payload) {
  out_ += "data: ";
  out_ += json::serialize(payload);
  out_ += "\n\n";
}

}  // namespace tv::proxy
