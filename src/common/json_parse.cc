// ParseJson: Boost.JSON's parser with two rules of our own that every request
// body and every stored document obeys (docs/api.md, "JSON bodies"):
//   * a number outside the range of a double (1e999, -1e999, an integer of
//     more than 308 digits) is refused — Boost would read it as an infinity,
//     which no JSON text can carry, so the value could never be read back;
//   * a key that appears twice in one object is refused — Boost keeps the last
//     one, the SDKs' parsers may keep another, and a body two parsers read
//     differently is a security bug waiting.
// The fast pass builds the value and notices either problem cheaply; only a
// refused text pays for a second pass that names the field.
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include "common/json.h"

namespace tv {
namespace {

using boost::json::error_code;
using boost::json::string_view;

// Builds the value like boost::json::parser does, refusing non-finite numbers
// and recording each object's key count (in the order objects end) so that a
// duplicate key, which the value stack silently collapses, can be detected.
struct BuildHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::vector<size_t> object_sizes;
  bool non_finite = false;

  explicit BuildHandler(unsigned char* buffer, size_t size) : st(json::storage_ptr(), buffer, size) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t n, error_code&) {
    object_sizes.push_back(n);
    st.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    st.push_key(s);
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, string_view, error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, string_view, error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, string_view, error_code& ec) {
    if (!std::isfinite(d)) {
      non_finite = true;
      ec = boost::json::error::exponent_overflow;
      return false;
    }
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

// Where a parse is in the document: one frame per open object or array.
struct Frame {
  bool is_object = false;
  size_t index = 0;                      // next element of an array
  std::string key;                       // current key of an object
  std::unordered_set<std::string> keys;  // keys seen so far in an object
};

std::string PathOf(const std::vector<Frame>& frames) {
  std::string path;
  for (const auto& f : frames) {
    if (f.is_object) {
      if (!path.empty()) path += '.';
      path += f.key;
    } else {
      path += fmt::format("[{}]", f.index);
    }
  }
  return path.empty() ? "(the document)" : path;
}

// The slow pass for a refused text: builds nothing, tracks the path and names
// the first offending field.
struct DiagnoseHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  std::vector<Frame> frames;
  std::string key_part;
  std::string problem;

  bool Fail(error_code& ec, std::string message) {
    problem = std::move(message);
    ec = boost::json::error::test_failure;
    return false;
  }
  // A scalar or a closed container took one slot in its parent.
  void ValueDone() {
    if (!frames.empty() && !frames.back().is_object) ++frames.back().index;
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    frames.emplace_back().is_object = true;
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    frames.pop_back();
    ValueDone();
    return true;
  }
  bool on_array_begin(error_code&) {
    frames.emplace_back();
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    frames.pop_back();
    ValueDone();
    return true;
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key_part.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code& ec) {
    key_part.append(s.data(), s.size());
    Frame& f = frames.back();
    f.key = std::move(key_part);
    key_part.clear();
    if (!f.keys.insert(f.key).second) return Fail(ec, fmt::format("the key '{}' appears twice", PathOf(frames)));
    return true;
  }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) {
    ValueDone();
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) {
    ValueDone();
    return true;
  }
  bool on_uint64(std::uint64_t, string_view, error_code&) {
    ValueDone();
    return true;
  }
  bool on_double(double d, string_view text, error_code& ec) {
    if (!std::isfinite(d)) {
      std::string shown(text.substr(0, 40));
      if (text.size() > 40) shown += "…";
      return Fail(ec, fmt::format("the number at '{}' ({}) is outside the range of a double; send it as a string",
                                  PathOf(frames), shown));
    }
    ValueDone();
    return true;
  }
  bool on_bool(bool, error_code&) {
    ValueDone();
    return true;
  }
  bool on_null(error_code&) {
    ValueDone();
    return true;
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

// Boost's defaults: nesting up to 32 deep, no comments, valid UTF-8 only.
boost::json::parse_options Options() { return {}; }

// True when some object lost keys to duplicates: compares each object's size
// with the key count the parser saw, in the order objects ended (post-order).
// A collapsed duplicate that held objects shifts the order and leaves the
// totals unequal, which is caught too.
bool LostKeys(const json::value& v, const std::vector<size_t>& sizes, size_t& next) {
  if (v.is_array()) {
    for (const auto& e : v.get_array())
      if (LostKeys(e, sizes, next)) return true;
  } else if (v.is_object()) {
    const json::object& o = v.get_object();
    for (const auto& kv : o)
      if (LostKeys(kv.value(), sizes, next)) return true;
    if (next >= sizes.size() || sizes[next++] != o.size()) return true;
  }
  return false;
}

std::string Diagnose(std::string_view text) {
  boost::json::basic_parser<DiagnoseHandler> p(Options());
  error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  if (!p.handler().problem.empty()) return p.handler().problem;
  return "it holds a duplicate key or an out-of-range number";
}

}  // namespace

Result<json::value> ParseJson(std::string_view text) {
  unsigned char temp[4096];
  boost::json::basic_parser<BuildHandler> p(Options(), temp, sizeof(temp));
  p.handler().st.reset();
  error_code ec;
  size_t used = p.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = boost::json::error::extra_data;
  if (p.handler().non_finite) return InvalidArgument("Malformed JSON body: {}", Diagnose(text));
  if (ec) return InvalidArgument("Malformed JSON body: {}", ec.message());
  json::value v = p.handler().st.release();
  size_t next = 0;
  if (LostKeys(v, p.handler().object_sizes, next) || next != p.handler().object_sizes.size())
    return InvalidArgument("Malformed JSON body: {}", Diagnose(text));
  return v;
}

}  // namespace tv
