// A server-sent events parser fed bytes in arbitrary pieces, as they arrive from an
// upstream provider, calling back once per complete event. It holds only the current
// unfinished line and event, so a proxy can watch a passing stream (e.g. find the
// OpenAI `usage` chunk) without buffering it.
//
// Follows the WHATWG event-stream rules: lines end in LF, CRLF or CR (a CRLF split
// across two pieces counts once); "field: value" with one optional space after the
// colon; lines starting with ':' are comments; `data` lines join with "\n"; a blank
// line dispatches; an event without data lines is not dispatched. A leading UTF-8 BOM
// is skipped. Bytes are never decoded, so a multi-byte character split across pieces
// comes out whole.
// Not thread-safe: one parser per stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace tv::proxy {

struct SseEvent {
  std::string event;  // "" when the event had no `event:` field ("message" per spec)
  std::string data;
  std::string id;
};

class SseParser {
 public:
  using Callback = std::function<void(const SseEvent&)>;

  explicit SseParser(Callback on_event) : on_event_(std::move(on_event)) {}

  void Feed(std::string_view bytes);
  // End of stream: a last line without its terminator is processed and an event
  // still missing its blank line is dispatched (lenient towards servers that stop
  // without one).
  void Finish();

 private:
  void Line(std::string_view line);
  void Dispatch();

  Callback on_event_;
  std::string line_;
  SseEvent pending_;
  bool has_data_ = false;
  bool after_cr_ = false;  // the previous piece ended in CR; a leading LF is its pair
  bool started_ = false;   // past the optional BOM
};

}  // namespace tv::proxy
