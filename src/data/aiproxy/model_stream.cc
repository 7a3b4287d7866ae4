#include "data/aiproxy/model_stream.h"

#include <boost/json/serialize.hpp>

#include "http/error_response.h"
#include "proxy/anthropic.h"

namespace tv::data {
namespace {

constexpr size_t kMaxCachedStreamBytes = size_t{4} << 20;
constexpr size_t kMaxErrorBodyBytes = size_t{1} << 20;

std::string OpenAiErrorEvent(std::string_view message, std::string_view type) {
  return json::serialize(
      json::object{{"error", json::object{{"message", message}, {"type", type}, {"code", nullptr}}}});
}

bool ClientAsksUsage(const json::object& body) {
  if (const auto* so = body.if_contains("stream_options"); so && so->is_object())
    if (const auto* u = so->as_object().if_contains("include_usage"); u && u->is_bool()) return u->as_bool();
  return false;
}

}  // namespace

ModelStream::ModelStream(ModelCall& call, StreamSink& sink)
    : call_(call),
      sink_(sink),
      anthropic_(call.route_.format == proxy::WireFormat::kAnthropic),
      client_usage_(ClientAsksUsage(call.spec_.body)),
      add_usage_(!anthropic_ && call.parent_ && !client_usage_),
      events_([this](const proxy::SseEvent& e) { OnEvent(e); }),
      translator_({call.deps_.clock.NowMicros() / 1'000'000, /*include_usage=*/client_usage_}),
      recording_(call.cache_.write) {}

void ModelStream::Run() {
  call_.Begin();
  if (ReplayCached()) return;
  Finish(Fetch());
}

bool ModelStream::ReplayCached() {
  std::optional<ModelAnswer> hit = call_.CacheLookup();
  if (!hit || hit->content_type != "text/event-stream") return false;
  if (sink_.Start(true)) sink_.Raw(hit->body);
  call_.Log(nullptr, {}, std::nullopt, std::nullopt);
  return true;
}

Result<int> ModelStream::Fetch() {
  http::OutboundCall oc = call_.Outbound();
  oc.idle_timeout = call_.deps_.options.idle_timeout;
  return call_.deps_.outbound.FetchStream(
      call_.UpstreamRequest(add_usage_), oc, [this](int status, const http::Headers&) { return OnHead(status); },
      [this](std::string_view bytes) { return OnData(bytes); });
}

bool ModelStream::OnHead(int status) {
  if (status / 100 != 2) {
    error_status_ = status;
    return true;
  }
  started_ = true;
  if (!sink_.Start(false)) aborted_ = true;
  return !aborted_;
}

bool ModelStream::OnData(std::string_view bytes) {
  if (error_status_) {
    if (error_body_.size() < kMaxErrorBodyBytes) error_body_.append(bytes);
    return true;
  }
  events_.Feed(anthropic_ ? std::string_view(translator_.Feed(bytes)) : bytes);
  return !aborted_;
}

void ModelStream::OnEvent(const proxy::SseEvent& e) {
  if (aborted_) return;
  const std::string& data = e.data;
  if (data == "[DONE]") {
    done_ = true;
  } else if (auto o = ParseJsonObject(data); o.ok()) {
    if (Note(*o) && add_usage_) return;  // the caller did not ask for it
  }
  Record(data);
  if (!sink_.Event(data)) aborted_ = true;
}

bool ModelStream::Note(const json::object& chunk) {
  bool usage_only = false;
  if (const auto* u = chunk.if_contains("usage"); u && u->is_object()) {
    usage_ = u->as_object();
    const auto* ch = chunk.if_contains("choices");
    usage_only = ch && ch->is_array() && ch->as_array().empty();
  }
  const auto* ch = chunk.if_contains("choices");
  if (!ch || !ch->is_array() || ch->as_array().empty() || !ch->as_array()[0].is_object()) return usage_only;
  const json::object& c = ch->as_array()[0].as_object();
  const json::value* piece = nullptr;
  if (const auto* d = c.if_contains("delta"); d && d->is_object())
    piece = d->as_object().if_contains("content");
  else
    piece = c.if_contains("text");
  if (piece && piece->is_string() && !piece->as_string().empty()) {
    if (!first_token_) first_token_ = call_.Now() - call_.start_;
    text_ += piece->as_string();
  }
  if (const auto* f = c.if_contains("finish_reason"); f && f->is_string()) finish_reason_ = f->as_string();
  return usage_only;
}

void ModelStream::Record(std::string_view data) {
  if (!recording_) return;
  recorded_ += "data: ";
  recorded_ += data;
  recorded_ += "\n\n";
  if (recorded_.size() > kMaxCachedStreamBytes) recording_ = false;
}

void ModelStream::Finish(const Result<int>& result) {
  if (anthropic_) {
    int64_t in = translator_.input_tokens(), out = translator_.output_tokens();
    usage_ = json::object{{"prompt_tokens", in}, {"completion_tokens", out}, {"total_tokens", in + out}};
  }
  if (!result.ok() && !aborted_) return FailTransfer(result.status());
  if (error_status_) return FailProvider();
  if (anthropic_) events_.Feed(translator_.Finish());
  events_.Finish();
  if (aborted_) return Log("The client closed the stream before it ended");
  if (!done_) {
    // Ended without [DONE] (an Anthropic translation error already said why).
    std::string message = "The provider ended the stream before it was complete";
    if (!anthropic_) sink_.Event(OpenAiErrorEvent(message, "upstream_error"));
    return Log(message);
  }
  Log(std::nullopt);
  if (recording_) call_.CacheStore(ModelAnswer{200, "text/event-stream", recorded_, false, 0}, true);
}

// The transfer failed (unreachable, timed out, limited): a plain error when
// nothing was streamed (the provider's status when it had sent one), else one
// error event.
void ModelStream::FailTransfer(const Status& status) {
  std::string message = status.message();
  if (!started_) {
    http::Response er = http::ErrorResponse(status);
    sink_.Fail(error_status_.value_or(er.status), er.body, er.headers);
  } else {
    sink_.Event(OpenAiErrorEvent(message, "upstream_error"));
  }
  Log(message);
}

// The provider answered an error status: its body (in OpenAI's shape) with it.
void ModelStream::FailProvider() {
  std::string body =
      anthropic_ ? json::serialize(proxy::AnthropicErrorToOpenAi(std::string_view(error_body_))) : error_body_;
  http::Headers h;
  h.Set("Content-Type", "application/json");
  sink_.Fail(*error_status_, body, h);
  call_.LogProviderError(*error_status_, body);
}

json::value ModelStream::Output() const {
  return json::array{
      json::object{{"index", 0},
                   {"message", json::object{{"role", "assistant"}, {"content", text_}}},
                   {"finish_reason", finish_reason_.empty() ? json::value() : json::value(finish_reason_)}}};
}

void ModelStream::Log(std::optional<std::string> error) { call_.Log(Output(), usage_, std::move(error), first_token_); }

}  // namespace tv::data
