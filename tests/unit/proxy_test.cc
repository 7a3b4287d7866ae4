// The proxy's SSE parser and OpenAI <-> Anthropic translation.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "proxy/anthropic.h"
#include "proxy/anthropic_stream.h"
#include "proxy/sse.h"

namespace tv::proxy {
namespace {

namespace json = boost::json;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

// ---- SSE ----------------------------------------------------------------------

std::vector<SseEvent> ParseAll(const std::vector<std::string>& pieces) {
  std::vector<SseEvent> events;
  SseParser parser([&](const SseEvent& e) { events.push_back(e); });
  for (const std::string& p : pieces) parser.Feed(p);
  parser.Finish();
  return events;
}

TEST(SseParser, EventsFieldsAndComments) {
  auto events =
      ParseAll({"\xEF\xBB\xBF: comment\nevent: a\ndata: one\ndata:two\nid: 7\n\n"
                "data: {\"x\":1}\n\nevent: empty\n\n"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "a");
  EXPECT_EQ(events[0].data, "one\ntwo");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[1].event, "");
  EXPECT_EQ(events[1].data, "{\"x\":1}");
}

TEST(SseParser, LineEndingsSplitAnywhere) {
  std::string text = "event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\rdata: 3\n\ndata: tail";
  auto whole = ParseAll({text});
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  auto split = ParseAll(bytes);
  ASSERT_EQ(whole.size(), 4u);
  ASSERT_EQ(split.size(), 4u);
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(whole[i].event, split[i].event);
    EXPECT_EQ(whole[i].data, split[i].data);
  }
  EXPECT_EQ(whole[1].event, "b");
  EXPECT_EQ(whole[1].data, "2");
  EXPECT_EQ(whole[3].data, "tail");  // Finish() dispatches an unterminated last event
}

TEST(SseParser, FindsUsageInOpenAiStreamWithoutBuffering) {
  std::string stream =
      "data: {\"choices\":[{\"delta\":{\"content\":\"h\"}}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n"
      "data: [DONE]\n\n";
  int64_t prompt_tokens = -1;
  bool done = false;
  SseParser parser([&](const SseEvent& e) {
    if (e.data == "[DONE]") {
      done = true;
      return;
    }
    json::value v = json::parse(e.data);
    if (const json::value* u = v.as_object().if_contains("usage")) {
      prompt_tokens = u->at("prompt_tokens").as_int64();
    }
  });
  for (size_t i = 0; i < stream.size(); i += 5) parser.Feed(std::string_view(stream).substr(i, 5));
  EXPECT_EQ(prompt_tokens, 3);
  EXPECT_TRUE(done);
}

// ---- Requests -------------------------------------------------------------------

TEST(AnthropicRequest, SystemSamplingAndDefaults) {
  auto r = OpenAiToAnthropicRequest(Obj(R"({
    "model":"claude-3-5-sonnet-latest","stream":true,"temperature":0.2,"top_p":0.9,"stop":"END",
    "user":"u-1","stream_options":{"include_usage":true},
    "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(json::value(*r), json::parse(R"({
    "model":"claude-3-5-sonnet-latest","system":"Be brief.",
    "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],
    "temperature":0.2,"top_p":0.9,"stop_sequences":["END"],"max_tokens":4096,"stream":true,
    "metadata":{"user_id":"u-1"}})"));
}

TEST(AnthropicRequest, MaxTokensPrefersMaxCompletionTokens) {
  auto a = OpenAiToAnthropicRequest(Obj(R"({"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}]})"));
  auto b = OpenAiToAnthropicRequest(
      Obj(R"({"model":"m","max_tokens":10,"max_completion_tokens":20,"messages":[{"role":"user","content":"x"}]})"));
  EXPECT_EQ(a->at("max_tokens"), 10);
  EXPECT_EQ(b->at("max_tokens"), 20);
}

TEST(AnthropicRequest, SeveralSystemMessagesAndImages) {
  auto r = OpenAiToAnthropicRequest(Obj(R"({"model":"m","stop":["a","b"],"messages":[
    {"role":"system","content":"one"},{"role":"developer","content":[{"type":"text","text":"two"}]},
    {"role":"user","content":[{"type":"text","text":"look"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
      {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("system"), json::parse(R"([{"type":"text","text":"one"},{"type":"text","text":"two"}])"));
  EXPECT_EQ(r->at("stop_sequences"), json::parse(R"(["a","b"])"));
  EXPECT_EQ(r->at("messages"), json::parse(R"([{"role":"user","content":[
    {"type":"text","text":"look"},
    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
    {"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]}])"));
}

TEST(AnthropicRequest, ToolsToolCallsAndToolResults) {
  auto r = OpenAiToAnthropicRequest(Obj(R"({"model":"m","parallel_tool_calls":false,
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather",
              "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
             {"type":"function","function":{"name":"now"}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}},
    "messages":[{"role":"user","content":"Weather in Paris and Rome?"},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
        {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"21C"},
      {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"25C"}]},
      {"role":"user","content":"Thanks"}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at("tools"), json::parse(R"([
    {"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},
    {"name":"now","input_schema":{"type":"object","properties":{}}}])"));
  EXPECT_EQ(r->at("tool_choice"),
            json::parse(R"({"type":"tool","name":"get_weather","disable_parallel_tool_use":true})"));
  EXPECT_EQ(r->at("messages"), json::parse(R"([
    {"role":"user","content":[{"type":"text","text":"Weather in Paris and Rome?"}]},
    {"role":"assistant","content":[
      {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
      {"type":"tool_use","id":"call_2","name":"get_weather","input":{"city":"Rome"}}]},
    {"role":"user","content":[
      {"type":"tool_result","tool_use_id":"call_1","content":"21C"},
      {"type":"tool_result","tool_use_id":"call_2","content":"25C"},
      {"type":"text","text":"Thanks"}]}])"));
}

TEST(AnthropicRequest, ToolChoiceStrings) {
  auto choice = [](std::string_view c) {
    auto r = OpenAiToAnthropicRequest(
        Obj(std::string(R"({"model":"m","messages":[],"tool_choice":)") + std::string(c) + "}"));
    return r.ok() ? json::serialize(r->at("tool_choice")) : r.status().message();
  };
  EXPECT_EQ(choice(R"("auto")"), R"({"type":"auto"})");
  EXPECT_EQ(choice(R"("required")"), R"({"type":"any"})");
  EXPECT_EQ(choice(R"("none")"), R"({"type":"none"})");
}

TEST(AnthropicRequest, UnsupportedShapesNameTheField) {
  auto err = [](std::string_view body) {
    auto r = OpenAiToAnthropicRequest(Obj(body));
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_NE(err(R"({"model":"m","n":2,"messages":[]})").find("n"), std::string::npos);
  EXPECT_NE(err(R"({"model":"m","response_format":{"type":"json_object"},"messages":[]})").find("response_format"),
            std::string::npos);
  EXPECT_NE(err(R"({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]})")
                .find("messages[0].content"),
            std::string::npos);
  EXPECT_NE(err(R"({"model":"m","messages":[{"role":"function","name":"f","content":"x"}]})").find("messages[0].role"),
            std::string::npos);
  EXPECT_NE(
      err(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x"}}]}]})")
          .find("image_url.url"),
      std::string::npos);
  EXPECT_NE(
      err(R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"not json"}}]}]})")
          .find("arguments"),
      std::string::npos);
  EXPECT_NE(err(R"({"messages":[]})").find("model"), std::string::npos);
  EXPECT_NE(err(R"({"model":"m","messages":[],"tools":[{"type":"code_interpreter"}]})").find("tools"),
            std::string::npos);
}

// ---- Responses ------------------------------------------------------------------

TEST(AnthropicResponse, TextMessage) {
  auto r = AnthropicToOpenAiResponse(Obj(R"({"id":"msg_1","type":"message","role":"assistant",
    "model":"claude-3-5-haiku","content":[{"type":"text","text":"Hello"},{"type":"text","text":" there"}],
    "stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":3}})"),
                                     1700000000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(json::value(*r), json::parse(R"({"id":"msg_1","object":"chat.completion","created":1700000000,
    "model":"claude-3-5-haiku","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},
    "finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})"));
}

TEST(AnthropicResponse, ToolUse) {
  auto r = AnthropicToOpenAiResponse(Obj(R"({"id":"msg_2","model":"c","stop_reason":"tool_use",
    "content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris","days":2.0}}],
    "usage":{"input_tokens":1,"output_tokens":2}})"),
                                     5);
  ASSERT_TRUE(r.ok());
  const json::value& msg = r->at("choices").at(0).at("message");
  EXPECT_TRUE(msg.at("content").is_null());
  EXPECT_EQ(msg.at("tool_calls"), json::parse(R"([{"id":"toolu_1","type":"function",
    "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":2}"}}])"));
  EXPECT_EQ(r->at("choices").at(0).at("finish_reason"), "tool_calls");
}

TEST(AnthropicResponse, EveryStopReason) {
  EXPECT_EQ(FinishReason("end_turn"), "stop");
  EXPECT_EQ(FinishReason("stop_sequence"), "stop");
  EXPECT_EQ(FinishReason("max_tokens"), "length");
  EXPECT_EQ(FinishReason("tool_use"), "tool_calls");
  EXPECT_EQ(FinishReason("pause_turn"), "stop");
  EXPECT_EQ(FinishReason("refusal"), "content_filter");
  EXPECT_TRUE(FinishReason(nullptr).is_null());
  EXPECT_FALSE(AnthropicToOpenAiResponse(Obj(R"({"id":"x"})"), 0).ok());
}

TEST(AnthropicError, BodiesTranslate) {
  EXPECT_EQ(json::value(AnthropicErrorToOpenAi(
                std::string_view(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"))),
            json::parse(R"({"error":{"message":"Overloaded","type":"overloaded_error","code":"overloaded_error"}})"));
  EXPECT_EQ(json::value(AnthropicErrorToOpenAi(std::string_view("upstream exploded"))),
            json::parse(R"({"error":{"message":"upstream exploded","type":"api_error","code":"api_error"}})"));
}

// ---- Streams --------------------------------------------------------------------

std::string Event(std::string_view type, std::string_view data) {
  return "event: " + std::string(type) + "\ndata: " + std::string(data) + "\n\n";
}

const std::string& TextAndToolStream() {
  static const std::string s =
      Event(
          "message_start",
          R"({"type":"message_start","message":{"id":"msg_9","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}})") +
      Event("content_block_start",
            R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})") +
      Event("ping", R"({"type":"ping"})") +
      Event("content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Grüße 🚀"}})") +
      Event("content_block_stop", R"({"type":"content_block_stop","index":0})") +
      Event(
          "content_block_start",
          R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}})") +
      Event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}})") +
      Event("content_block_delta",
            R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}})") +
      Event("content_block_stop", R"({"type":"content_block_stop","index":1})") +
      Event(
          "message_delta",
          R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":40}})") +
      Event("message_stop", R"({"type":"message_stop"})");
  return s;
}

std::vector<json::value> Chunks(const std::string& sse, bool* saw_done) {
  std::vector<json::value> out;
  *saw_done = false;
  SseParser parser([&](const SseEvent& e) {
    if (e.data == "[DONE]")
      *saw_done = true;
    else
      out.push_back(json::parse(e.data));
  });
  parser.Feed(sse);
  parser.Finish();
  return out;
}

std::string Translate(const std::string& upstream, size_t piece, bool usage) {
  AnthropicStreamTranslator t({.created = 1700000000, .include_usage = usage});
  std::string out;
  for (size_t i = 0; i < upstream.size(); i += piece) out += t.Feed(std::string_view(upstream).substr(i, piece));
  out += t.Finish();
  return out;
}

TEST(AnthropicStream, TextAndToolCalls) {
  std::string out = Translate(TextAndToolStream(), TextAndToolStream().size(), true);
  bool done;
  auto chunks = Chunks(out, &done);
  EXPECT_TRUE(done);
  ASSERT_EQ(chunks.size(), 7u) << out;
  for (const json::value& c : chunks) {
    EXPECT_EQ(c.at("id"), "msg_9");
    EXPECT_EQ(c.at("object"), "chat.completion.chunk");
    EXPECT_EQ(c.at("created"), 1700000000);
    EXPECT_EQ(c.at("model"), "claude-x");
  }
  auto delta = [&](size_t i) { return chunks[i].at("choices").at(0).at("delta"); };
  EXPECT_EQ(delta(0), json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(delta(1), json::parse(R"({"content":"Grüße 🚀"})"));
  EXPECT_EQ(
      delta(2),
      json::parse(
          R"({"tool_calls":[{"index":0,"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":""}}]})"));
  EXPECT_EQ(delta(3), json::parse(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": \"Pa"}}]})"));
  EXPECT_EQ(delta(4), json::parse(R"({"tool_calls":[{"index":0,"function":{"arguments":"ris\"}"}}]})"));
  EXPECT_EQ(delta(5), json::object());
  EXPECT_EQ(chunks[5].at("choices").at(0).at("finish_reason"), "tool_calls");
  EXPECT_TRUE(chunks[4].at("choices").at(0).at("finish_reason").is_null());
  EXPECT_EQ(chunks[6].at("choices"), json::array());
  EXPECT_EQ(chunks[6].at("usage"), json::parse(R"({"prompt_tokens":25,"completion_tokens":40,"total_tokens":65})"));
  EXPECT_EQ(out.substr(out.size() - 14), "data: [DONE]\n\n");
}

TEST(AnthropicStream, ByteByByteMatchesOnePieceIncludingSplitUtf8) {
  std::string whole = Translate(TextAndToolStream(), TextAndToolStream().size(), false);
  EXPECT_EQ(Translate(TextAndToolStream(), 1, false), whole);
  EXPECT_EQ(Translate(TextAndToolStream(), 7, false), whole);
  EXPECT_NE(whole.find("Grüße 🚀"), std::string::npos);
  EXPECT_EQ(whole.find("\"usage\""), std::string::npos);  // not asked for
}

TEST(AnthropicStream, CrlfUpstreamMatchesLf) {
  std::string crlf;
  for (char c : TextAndToolStream()) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  EXPECT_EQ(Translate(crlf, 3, true), Translate(TextAndToolStream(), 1000, true));
}

TEST(AnthropicStream, StopReasonsInStreams) {
  for (auto [reason, finish] : std::vector<std::pair<std::string, std::string>>{
           {"end_turn", "stop"}, {"max_tokens", "length"}, {"stop_sequence", "stop"}, {"tool_use", "tool_calls"}}) {
    std::string s =
        Event(
            "message_start",
            R"({"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1,"output_tokens":0}}})") +
        Event("message_delta",
              R"({"type":"message_delta","delta":{"stop_reason":")" + reason + R"("},"usage":{"output_tokens":2}})") +
        Event("message_stop", R"({"type":"message_stop"})");
    bool done;
    auto chunks = Chunks(Translate(s, 2, false), &done);
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[1].at("choices").at(0).at("finish_reason"), json::value(finish)) << reason;
    EXPECT_TRUE(done);
  }
}

TEST(AnthropicStream, ErrorEventEndsTheStream) {
  std::string s = Event("message_start", R"({"type":"message_start","message":{"id":"m","model":"c","usage":{}}})") +
                  Event("error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})") +
                  Event("content_block_delta",
                        R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"late"}})");
  for (size_t piece : {size_t{1}, s.size()}) {
    AnthropicStreamTranslator t({.created = 1});
    std::string out;
    for (size_t i = 0; i < s.size(); i += piece) out += t.Feed(std::string_view(s).substr(i, piece));
    EXPECT_TRUE(t.done());
    out += t.Finish();
    bool done;
    auto chunks = Chunks(out, &done);
    EXPECT_FALSE(done);
    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(chunks[1],
              json::parse(R"({"error":{"message":"Overloaded","type":"overloaded_error","code":"overloaded_error"}})"));
    EXPECT_EQ(out.find("late"), std::string::npos);
  }
}

TEST(AnthropicStream, TruncatedOrMalformedUpstreamEndsWithAnError) {
  std::string cut = Event("message_start", R"({"type":"message_start","message":{"id":"m","model":"c"}})") +
                    "event: content_block_delta\ndata: {\"type\":\"content_blo";
  bool done;
  auto chunks = Chunks(Translate(cut, 4, false), &done);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].at("error").at("type"), "api_error");

  chunks = Chunks(Translate("event: message_start\ndata: not json\n\n", 1, false), &done);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].at("error").at("type"), "api_error");
}

TEST(AnthropicStream, TokenCountsAreExposed) {
  AnthropicStreamTranslator t({});
  (void)t.Feed(TextAndToolStream());
  EXPECT_EQ(t.input_tokens(), 25);
  EXPECT_EQ(t.output_tokens(), 40);
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.Finish(), "");
}

}  // namespace
}  // namespace tv::proxy
