#include "proxy/js_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace tv::proxy {

namespace json = boost::json;

namespace {

// An integer JavaScript holds exactly prints as itself; larger ones were rounded to a
// double when the SDK parsed them.
template <typename Int>
std::string IntegerText(Int i) {
  constexpr double kMaxSafe = 9007199254740992.0;  // 2^53
  if (std::abs(static_cast<double>(i)) <= kMaxSafe) return std::to_string(i);
  return JsNumberText(static_cast<double>(i));
}

std::string NumberText(const json::value& v) {
  if (v.is_int64()) return IntegerText(v.get_int64());
  if (v.is_uint64()) return IntegerText(v.get_uint64());
  return JsNumberText(v.get_double());
}

void AppendQuoted(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendJson(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
    case json::kind::uint64:
      out += NumberText(v);
      return;
    case json::kind::double_: {
      double d = v.get_double();
      out += std::isfinite(d) ? JsNumberText(d) : "null";
      return;
    }
    case json::kind::string:
      AppendQuoted(v.get_string(), out);
      return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        AppendJson(item, out);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        AppendQuoted(key, out);
        out += ':';
        AppendJson(item, out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string JsNumberText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";  // -0 prints as 0 too
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);  // "-1.2345e+21": shortest round-trip digits
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exp10 = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  // ECMA-262 Number::toString: value = 0.d1d2...dk * 10^n.
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(n - k, '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, n);
    out += '.';
    out += digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(-n, '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string JsJsonStringify(const json::value& v) {
  std::string out;
  AppendJson(v, out);
  return out;
}

std::string JsStringConversion(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::object:
      return "[object Object]";
    case json::kind::array: {
      std::string out;
      bool first = true;
      for (const json::value& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        if (!item.is_null()) out += JsStringConversion(item);
      }
      return out;
    }
    default:
      return JsJsonStringify(v);  // numbers, booleans and null read the same
  }
}

size_t Utf16Length(std::string_view s) {
  size_t units = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    units += c >= 0xF0 ? 2 : 1;        // four-byte sequences are surrogate pairs
  }
  return units;
}

}  // namespace tv::proxy
