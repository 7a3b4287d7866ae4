// Translates an Anthropic /v1/messages event stream into an OpenAI chat-completions
// stream while it passes through the proxy.
//
// Feed() takes raw upstream bytes in any pieces (a piece may end inside a line, an
// event or a UTF-8 character) and returns the OpenAI SSE text ready to forward, which
// may be empty. Output, in order:
//   message_start        → a chunk with delta {role:"assistant", content:""}
//   text_delta           → delta {content}
//   tool_use block start → delta {tool_calls:[{index, id, type, function:{name, arguments:""}}]}
//   input_json_delta     → delta {tool_calls:[{index, function:{arguments}}]}
//   message_delta        → delta {} with finish_reason (FinishReason in anthropic.h)
//   message_stop         → the usage chunk (choices: []) when include_usage, then
//                          "data: [DONE]"
//   event: error         → data: {"error":{message,type,code}} and nothing after it
// ping, content_block_stop and unknown events produce nothing. Malformed upstream JSON
// and a stream that ends before message_stop end with an error chunk.
// The same bytes give the same output however they are split.
// Not thread-safe: one translator per stream.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "proxy/sse.h"

namespace tv::proxy {

struct StreamTranslation {
  int64_t created = 0;         // Unix seconds reported in every chunk
  bool include_usage = false;  // the client's stream_options.include_usage
};

class AnthropicStreamTranslator {
 public:
  explicit AnthropicStreamTranslator(StreamTranslation options);

  std::string Feed(std::string_view bytes);
  // Upstream EOF: whatever the stream still owes (an error chunk if it was cut short).
  std::string Finish();

  // [DONE] or an error chunk has been emitted; later input is ignored.
  bool done() const { return done_; }
  // Token counts seen so far (message_start's input, message_delta's output).
  int64_t input_tokens() const { return input_tokens_; }
  int64_t output_tokens() const { return output_tokens_; }

 private:
  void OnEvent(const SseEvent& e);
  void OnMessageStart(const boost::json::object& data);
  void OnBlockStart(const boost::json::object& data);
  void OnBlockDelta(const boost::json::object& data);
  void OnMessageDelta(const boost::json::object& data);
  void OnMessageStop();
  void EmitDelta(boost::json::object delta, boost::json::value finish_reason = nullptr);
  void EmitError(const boost::json::value& error_body);
  void Emit(const boost::json::value& payload);

  StreamTranslation options_;
  SseParser parser_;
  std::string out_;  // output produced by the current Feed/Finish call
  std::string id_;
  std::string model_;
  std::map<int64_t, int64_t> tool_index_;  // Anthropic block index → OpenAI tool_calls index
  int64_t input_tokens_ = 0;
  int64_t output_tokens_ = 0;
  bool done_ = false;
};

}  // namespace tv::proxy
