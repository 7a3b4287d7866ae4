#include "proxy/sse.h"

namespace tv::proxy {

void SseParser::Feed(std::string_view bytes) {
  if (!started_) {
    line_.append(bytes);  // collect up to three bytes to see a BOM
    if (line_.size() < 3 && std::string_view("\xEF\xBB\xBF").substr(0, line_.size()) == line_) return;
    started_ = true;
    std::string head = std::move(line_);
    line_.clear();
    std::string_view rest(head);
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
    Feed(rest);
    return;
  }
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      Line(line_);
      line_.clear();
    } else {
      line_ += c;
    }
  }
}

void SseParser::Finish() {
  if (!line_.empty()) Line(line_);
  line_.clear();
  Dispatch();
}

void SseParser::Line(std::string_view line) {
  if (line.empty()) {
    Dispatch();
    return;
  }
  if (line.front() == ':') return;
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) pending_.data += '\n';
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event = value;
  } else if (field == "id") {
    pending_.id = value;
  }
}

void SseParser::Dispatch() {
  if (has_data_) on_event_(pending_);
  pending_ = SseEvent{};
  has_data_ = false;
}

}  // namespace tv::proxy
