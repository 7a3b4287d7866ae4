// Request and Response: tracevault's own HTTP message types. Handlers and
// middleware see only these; Beast stays inside server.cc so the rest of the
// tree compiles fast and does not care how bytes reach the socket.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

namespace tv::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

Method ParseMethod(std::string_view name);
std::string_view MethodName(Method m);

// An ordered header list with case-insensitive lookup.
class Headers {
 public:
  void Add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  void Set(std::string_view name, std::string value);
  void Remove(std::string_view name);
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// RFC 9110 `token`: one or more of the characters header names and media-type
// parts are made of (letters, digits and !#$%&'*+-.^_`|~).
bool IsToken(std::string_view s);
// Whether a response header may be sent as given: its name a token, its value
// free of control bytes (CR, LF, NUL and the rest of 0x00-0x1F but HTAB, and
// DEL), so no text from a request or from storage can split a response.
bool IsSendableHeader(std::string_view name, std::string_view value);

// Media types taken from clients (RFC 9110, token characters only):
// type "/" subtype *( OWS ";" OWS token "=" token ), at most kMaxMediaTypeBytes.
inline constexpr size_t kMaxMediaTypeBytes = 255;
bool IsMediaType(std::string_view s);
// "type/subtype" of a media type, lower-cased, parameters dropped.
std::string MediaTypeEssence(std::string_view media_type);
// A Content-Disposition value for downloading stored bytes: "attachment",
// plus filename*=UTF-8''<percent-encoded name> when `filename` is not empty.
std::string AttachmentDisposition(std::string_view filename);
// True when the comma-separated header value contains `token` (case-insensitive).
bool HeaderHasToken(std::string_view value, std::string_view token);
// True when an Accept-Encoding value accepts `coding` (by name or "*") with a
// non-zero quality.
bool AcceptsEncoding(std::string_view accept_encoding, std::string_view coding);

struct Request {
  Method method = Method::kGet;
  std::string target;                                      // as sent: path plus query
  std::string path;                                        // percent-decoded path
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;
  std::string body;
  std::string remote_address;

  // Fills path and query from target. Returns false when the target is not a
  // valid origin-form URL.
  bool ParseTarget();

  std::optional<std::string_view> QueryParam(std::string_view name) const;
  std::vector<std::string_view> QueryParams(std::string_view name) const;
  // The token of an "Authorization: Bearer <token>" header, trimmed.
  std::optional<std::string_view> BearerToken() const;
};

// The path to write in logs: never the query (it may carry tokens or
// signatures), and the credential segment of a signed upload URL
// (/upload/<token>) replaced by "[redacted]". Falls back on the raw target,
// minus its query, when the target did not parse.
std::string PathForLog(const Request& req);

// Where a streamed response body goes. Each Write() reaches the client as one
// HTTP chunk, in order, as soon as the connection can take it.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  // Blocks while too much is queued for a slow client. Returns false once the
  // client has gone (or the server is stopping): stop producing then.
  virtual bool Write(std::string_view bytes) = 0;
  // Replaces the response status and sets `headers` (added to the handler's).
  // Only before the first Write(): the head is sent with the first chunk, or
  // when the producer returns without writing.
  virtual void SetHead(int status, const Headers& headers) = 0;
};

// Produces a streamed body. The server runs the producer on a worker thread and
// sends the head (with chunked transfer encoding) when the first chunk is
// ready; the body ends when the producer returns. It runs after the handler and the pipeline have
// finished, so it must own (or share) everything it touches.
using BodyProducer = std::function<void(BodyWriter&)>;

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  BodyProducer stream;  // when set, `body` is ignored and the body is streamed

  static Response Json(int status, const boost::json::value& body);
  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response Empty(int status);
};

}  // namespace tv::http
