// ModelStream: one streamed model call (ModelCall::RunStream). It relays the
// provider's events to the sink as they arrive (Anthropic's translated to
// OpenAI's), keeps what the llm span and the cache write-back need, and ends
// the stream as docs/ai-proxy.md ("Streaming") says: an error before the first
// event keeps its status, a failure after it is one error event without
// [DONE]. Only complete streams are cached.
//
// Room-internal. One object per call, run once, on one thread; not copyable
// (its parsers call back into it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"
#include "data/aiproxy/model_call.h"
#include "proxy/anthropic_stream.h"
#include "proxy/sse.h"

namespace tv::data {

class ModelStream {
 public:
  ModelStream(ModelCall& call, StreamSink& sink);
  ModelStream(const ModelStream&) = delete;
  ModelStream& operator=(const ModelStream&) = delete;

  void Run();

 private:
  // A cached stream, replayed in one piece; false when there is none.
  bool ReplayCached();
  Result<int> Fetch();
  // The outbound hooks: the head of the provider's answer, then its bytes.
  bool OnHead(int status);
  bool OnData(std::string_view bytes);
  // One OpenAI event: noted for the span, recorded for the cache, relayed.
  void OnEvent(const proxy::SseEvent& e);
  // Notes the text, finish reason and usage of a chunk. True for the
  // usage-only chunk.
  bool Note(const json::object& chunk);
  void Record(std::string_view data);
  // After the transfer: how the stream ends, the span and the cache write-back.
  void Finish(const Result<int>& result);
  void FailTransfer(const Status& status);
  void FailProvider();
  json::value Output() const;
  void Log(std::optional<std::string> error);

  ModelCall& call_;
  StreamSink& sink_;
  const bool anthropic_;
  const bool client_usage_;  // the caller asked for the usage chunk
  const bool add_usage_;     // asked for it on the caller's behalf (for the span), and dropped
  // The upstream exchange.
  bool started_ = false;             // the sink was started
  bool aborted_ = false;             // the client went away
  bool done_ = false;                // [DONE] was relayed
  std::optional<int> error_status_;  // the provider answered this error status
  std::string error_body_;
  proxy::SseParser events_;
  proxy::AnthropicStreamTranslator translator_;
  // The cache write-back: the stream as sent, while it fits.
  bool recording_;
  std::string recorded_;
  // The llm span.
  std::string text_;
  std::string finish_reason_;
  json::object usage_;
  std::optional<double> first_token_;
};

}  // namespace tv::data
