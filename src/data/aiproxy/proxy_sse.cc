#include "data/aiproxy/proxy_sse.h"

namespace tv::data {
namespace {

void AppendData(std::string& out, std::string_view data) {
  size_t at = 0;
  do {
    size_t nl = data.find('\n', at);
    std::string_view line = data.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    out += "data: ";
    out += line;
    out += '\n';
    at = nl == std::string_view::npos ? data.size() + 1 : nl + 1;
  } while (at <= data.size());
  out += '\n';
}

}  // namespace

std::string SseData(std::string_view data) {
  std::string out;
  AppendData(out, data);
  return out;
}

std::string SseEvent(std::string_view event, std::string_view data) {
  std::string out = "event: ";
  out += event;
  out += '\n';
  AppendData(out, data);
  return out;
}

void WriteFailure(http::BodyWriter& out, int status, std::string_view body, const http::Headers& headers) {
  http::Headers h = headers;
  h.Set("Content-Type", "application/json");
  h.Set("Cache-Control", "no-store");
  out.SetHead(status, h);
  out.Write(body);
}

http::Response StreamedResponse(http::BodyProducer producer) {
  http::Response r;
  r.headers.Set("Content-Type", "text/event-stream; charset=utf-8");
  r.headers.Set("Cache-Control", "no-cache");
  r.stream = std::move(producer);
  return r;
}

}  // namespace tv::data
