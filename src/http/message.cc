#include "http/message.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "common/strings.h"

namespace tv::http {

Method ParseMethod(std::string_view name) {
  if (name == "GET") return Method::kGet;
  if (name == "HEAD") return Method::kHead;
  if (name == "POST") return Method::kPost;
  if (name == "PUT") return Method::kPut;
  if (name == "PATCH") return Method::kPatch;
  if (name == "DELETE") return Method::kDelete;
  if (name == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

std::string_view MethodName(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      return "OTHER";
  }
  return "OTHER";
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

namespace {

bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsControl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

// Reads a token from the front of `s`; empty when there is none.
std::string_view TakeToken(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && IsTokenChar(s[n])) ++n;
  std::string_view t = s.substr(0, n);
  s.remove_prefix(n);
  return t;
}

void SkipOws(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

}  // namespace

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar); }

bool IsSendableHeader(std::string_view name, std::string_view value) {
  return IsToken(name) &&
         std::none_of(value.begin(), value.end(), [](char c) { return IsControl(static_cast<unsigned char>(c)); });
}

bool IsMediaType(std::string_view s) {
  if (s.size() > kMaxMediaTypeBytes) return false;
  if (TakeToken(s).empty() || s.empty() || s.front() != '/') return false;
  s.remove_prefix(1);
  if (TakeToken(s).empty()) return false;
  for (;;) {
    SkipOws(s);
    if (s.empty()) return true;
    if (s.front() != ';') return false;
    s.remove_prefix(1);
    SkipOws(s);
    if (TakeToken(s).empty() || s.empty() || s.front() != '=') return false;
    s.remove_prefix(1);
    if (TakeToken(s).empty()) return false;
  }
}

std::string MediaTypeEssence(std::string_view media_type) {
  return AsciiLower(TrimWhitespace(media_type.substr(0, media_type.find(';'))));
}

std::string AttachmentDisposition(std::string_view filename) {
  if (filename.empty()) return "attachment";
  // RFC 8187 attr-char passes as is; every other byte is percent-encoded.
  std::string out = "attachment; filename*=UTF-8''";
  for (char c : filename) {
    bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    if (plain)
      out += c;
    else
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

bool HeaderHasToken(std::string_view value, std::string_view token) {
  for (std::string_view item : SplitList(value)) {
    if (EqualsIgnoreCase(TrimWhitespace(item.substr(0, item.find(';'))), token)) return true;
  }
  return false;
}

bool AcceptsEncoding(std::string_view value, std::string_view coding) {
  std::optional<bool> named, star;
  for (std::string_view item : SplitList(value)) {
    std::string_view name = TrimWhitespace(item.substr(0, item.find(';')));
    bool accepted = true;
    size_t q = item.find(";");
    while (q != std::string_view::npos) {
      size_t next = item.find(';', q + 1);
      std::string_view param = TrimWhitespace(item.substr(q + 1, next == std::string_view::npos ? next : next - q - 1));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
        accepted = std::strtod(std::string(param.substr(2)).c_str(), nullptr) > 0;
      q = next;
    }
    if (EqualsIgnoreCase(name, coding))
      named = accepted;
    else if (name == "*")
      star = accepted;
  }
  return named.value_or(star.value_or(false));
}

void Headers::Set(std::string_view name, std::string value) {
  Remove(name);
  items_.emplace_back(std::string(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  std::erase_if(items_, [&](const auto& kv) { return EqualsIgnoreCase(kv.first, name); });
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (EqualsIgnoreCase(k, name)) return std::string_view(v);
  return std::nullopt;
}

bool Request::ParseTarget() {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return false;
  path = parsed->path();
  query.clear();
  for (auto param : parsed->params()) query.emplace_back(param.key, param.has_value ? param.value : "");
  return true;
}

std::optional<std::string_view> Request::QueryParam(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> Request::QueryParams(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : query)
    if (k == name || (k.size() == name.size() + 2 && k.starts_with(name) && k.ends_with("[]"))) out.push_back(v);
  return out;
}

std::optional<std::string_view> Request::BearerToken() const {
  auto auth = headers.Get("authorization");
  if (!auth) return std::nullopt;
  std::string_view v = *auth;
  if (v.size() < 7 || !EqualsIgnoreCase(v.substr(0, 7), "bearer ")) return std::nullopt;
  v = TrimWhitespace(v.substr(7));
  if (v.empty()) return std::nullopt;
  return v;
}

std::string PathForLog(const Request& req) {
  std::string path = req.path.empty() ? req.target.substr(0, req.target.find('?')) : req.path;
  // The router ignores empty segments, so "//upload//<token>" reaches the
  // same route: any path whose first non-empty segment is "upload" is redacted.
  size_t first = path.find_first_not_of('/');
  if (first != std::string::npos && path.compare(first, 7, "upload/") == 0 &&
      path.find_first_not_of('/', first + 7) != std::string::npos)
    path = "/upload/[redacted]";
  return path;
}

Response Response::Json(int status, const boost::json::value& body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = boost::json::serialize(body);
  return r;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::Empty(int status) {
  Response r;
  r.status = status;
  return r;
}

}  // namespace tv::http
