#include "objstore/s3/s3_xml.h"

#include <charconv>
#include <cstdint>

namespace tv::objstore::s3 {
namespace {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the five named entities and numeric references; anything else is
// kept as written.
std::string DecodeEntities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t semi = s[i] == '&' ? s.find(';', i) : std::string_view::npos;
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back(s[i++]);
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    uint32_t cp = 0;
    bool ok = true;
    if (ent == "amp")
      cp = '&';
    else if (ent == "lt")
      cp = '<';
    else if (ent == "gt")
      cp = '>';
    else if (ent == "quot")
      cp = '"';
    else if (ent == "apos")
      cp = '\'';
    else if (ent.size() > 1 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      ok = ec == std::errc() && p == digits.data() + digits.size() && cp <= 0x10FFFF;
    } else {
      ok = false;
    }
    if (!ok) {
      out.push_back(s[i++]);
      continue;
    }
    AppendUtf8(out, cp);
    i = semi + 1;
  }
  return out;
}

// The raw content of the first <tag>...</tag> at or after `from`; `end` is set
// past the closing tag.
std::optional<std::string_view> RawElement(std::string_view xml, std::string_view tag, size_t from, size_t* end) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open, from);
  if (start == std::string_view::npos) return std::nullopt;
  start += open.size();
  size_t stop = xml.find(close, start);
  if (stop == std::string_view::npos) return std::nullopt;
  if (end) *end = stop + close.size();
  return xml.substr(start, stop - start);
}

}  // namespace

std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag) {
  auto raw = RawElement(xml, tag, 0, nullptr);
  if (!raw) return std::nullopt;
  return DecodeEntities(*raw);
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos)
    return InvalidArgument("S3 list reply has no <ListBucketResult>");
  ListPage page;
  size_t pos = 0;
  while (auto contents = RawElement(xml, "Contents", pos, &pos)) {
    auto key = XmlElementText(*contents, "Key");
    auto size = XmlElementText(*contents, "Size");
    if (!key || !size) return InvalidArgument("S3 list reply has <Contents> without <Key> or <Size>");
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(size->data(), size->data() + size->size(), n);
    if (ec != std::errc() || p != size->data() + size->size())
      return InvalidArgument("S3 list reply has a bad <Size> '{}'", *size);
    page.entries.push_back({std::move(*key), n});
  }
  page.truncated = XmlElementText(xml, "IsTruncated").value_or("false") == "true";
  if (page.truncated) {
    auto token = XmlElementText(xml, "NextContinuationToken");
    if (!token || token->empty()) return InvalidArgument("S3 list reply is truncated without a continuation token");
    page.next_token = std::move(*token);
  }
  return page;
}

S3ErrorBody ParseErrorBody(std::string_view xml) {
  S3ErrorBody e;
  auto error = RawElement(xml, "Error", 0, nullptr);
  if (!error) return e;
  e.code = XmlElementText(*error, "Code").value_or("");
  e.message = XmlElementText(*error, "Message").value_or("");
  return e;
}

}  // namespace tv::objstore::s3
