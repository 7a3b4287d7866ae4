// The tokenizer of docs/storage-format.md, "Full-text index".
//
// ASCII bytes never reach ICU: a table gives each one its folded form or marks
// it a separator. Other code points are decoded with U8_NEXT and classified by
// general category and script. A token is built in a fixed 64-byte buffer and
// handed out as a view of it (or of the input, for a CJK code point), so
// tokenizing allocates nothing.
//
// A run longer than kMaxTokenBytes (counted after folding) yields its first
// code points up to the limit; the rest of the run is dropped, not started
// over as a new token, so a long run is one token however long it is.
#include "text/tokenizer.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace tv::text {
namespace {

// For each ASCII byte, its folded form when it belongs in a token, else 0
// (and 0 for every non-ASCII byte).
constexpr std::array<char, 256> kAsciiTokenByte = [] {
  std::array<char, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'a'; c <= 'z'; ++c) t[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<char>(c - 'A' + 'a');
  t['_'] = '_';
  return t;
}();

constexpr uint32_t kRunCategories = U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK;

// Scripts written without spaces between words (or, for Hangul, indexed the
// same way): each code point is a token by itself.
bool IsSingleCodePointScript(UChar32 c) {
  UErrorCode err = U_ZERO_ERROR;
  switch (uscript_getScript(c, &err)) {
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_HANGUL:
      return true;
    default:
      return false;
  }
}

// The token being built. Once a code point does not fit, the rest of the run
// is ignored until the next separator.
class TokenBuffer {
 public:
  // Appends the run of ASCII token bytes at `p`, folded; returns where it ends.
  const unsigned char* AppendAsciiRun(const unsigned char* p, const unsigned char* end) {
    const unsigned char* fit_end = p + std::min<size_t>(end - p, cap_ - len_);
    char t;
    while (p < fit_end && (t = kAsciiTokenByte[*p]) != 0) {
      buf_[len_++] = t;
      ++p;
    }
    if (p < end && kAsciiTokenByte[*p] != 0) {
      cap_ = len_;  // cut
      while (p < end && kAsciiTokenByte[*p] != 0) ++p;
    }
    return p;
  }
  void Append(const char* bytes, size_t n) {
    if (len_ + n > cap_) {
      cap_ = len_;  // cut: nothing more of this run fits
      return;
    }
    std::memcpy(buf_ + len_, bytes, n);
    len_ += n;
  }
  void AppendCodePoint(UChar32 c) {
    char bytes[U8_MAX_LENGTH];
    int32_t n = 0;
    U8_APPEND_UNSAFE(bytes, n, c);
    Append(bytes, static_cast<size_t>(n));
  }
  // Emits the token if there is one; returns false when `emit` asks to stop.
  template <typename Emit>
  bool Flush(Emit& emit) {
    if (len_ == 0) return true;
    std::string_view token(buf_, len_);
    len_ = 0;
    cap_ = kMaxTokenBytes;
    return emit(token);
  }

 private:
  char buf_[kMaxTokenBytes];
  size_t len_ = 0;
  size_t cap_ = kMaxTokenBytes;  // lowered to len_ once the run is cut
};

// Tokenizes `utf8`, calling `emit(token) -> bool` until it returns false.
// Returns false when stopped early.
template <typename Emit>
bool TokenizeUntil(std::string_view utf8, Emit&& emit) {
  TokenBuffer token;
  const char* s = utf8.data();
  const auto* u = reinterpret_cast<const unsigned char*>(s);
  const size_t size = utf8.size();
  size_t pos = 0;
  while (pos < size) {
    if (kAsciiTokenByte[u[pos]] != 0) {
      pos = static_cast<size_t>(token.AppendAsciiRun(u + pos, u + size) - u);
      continue;
    }
    if (u[pos] < 0x80) {
      if (!token.Flush(emit)) return false;
      ++pos;
      continue;
    }
    // A window of at most 4 bytes keeps ICU's int32_t indices valid for
    // inputs of any size.
    const size_t start = pos;
    const auto window = static_cast<int32_t>(std::min<size_t>(size - pos, U8_MAX_LENGTH));
    int32_t i = 0;
    UChar32 c;
    U8_NEXT(u + pos, i, window, c);
    pos += static_cast<size_t>(i);
    if (c < 0) {  // invalid UTF-8
      if (!token.Flush(emit)) return false;
      continue;
    }
    if (IsSingleCodePointScript(c)) {
      // These scripts have no case, so the input bytes are the folded token.
      if (!token.Flush(emit) || !emit(std::string_view(s + start, pos - start))) return false;
      continue;
    }
    if ((U_GET_GC_MASK(c) & kRunCategories) == 0) {
      if (!token.Flush(emit)) return false;
      continue;
    }
    const UChar32 folded = u_foldCase(c, U_FOLD_CASE_DEFAULT);
    if (folded == c) {
      token.Append(s + start, pos - start);
    } else {
      token.AppendCodePoint(folded);
    }
  }
  return token.Flush(emit);
}

// Calls `fn(string)` for every string value in the subtree `v`, depth first,
// until it returns false. Iterative so that no nesting depth can overflow the
// stack.
template <typename Fn>
bool ForEachString(const json::value& v, Fn&& fn) {
  if (const json::string* s = v.if_string()) return fn(std::string_view(*s));
  if (!v.is_array() && !v.is_object()) return true;
  std::vector<const json::value*> stack{&v};
  while (!stack.empty()) {
    const json::value* cur = stack.back();
    stack.pop_back();
    if (const json::string* s = cur->if_string()) {
      if (!fn(std::string_view(*s))) return false;
    } else if (const json::array* a = cur->if_array()) {
      for (auto it = a->rbegin(); it != a->rend(); ++it) stack.push_back(&*it);
    } else if (const json::object* o = cur->if_object()) {
      for (auto it = o->crbegin(); it != o->crend(); ++it) stack.push_back(&it->value());
    }
  }
  return true;
}

// Ids and system fields: never full-text indexed.
constexpr std::array<std::string_view, 14> kNonTextFields = {
    "id",      "span_id",           "root_span_id",  "span_parents",    "_xact_id",
    "created", "project_id",        "experiment_id", "dataset_id",      "log_id",
    "org_id",  "prompt_session_id", "is_root",       "_pagination_key",
};

}  // namespace

void Tokenize(std::string_view utf8, const TokenSink& emit) {
  TokenizeUntil(utf8, [&](std::string_view token) {
    emit(token);
    return true;
  });
}

std::vector<std::string> Tokens(std::string_view utf8) {
  std::vector<std::string> out;
  TokenizeUntil(utf8, [&](std::string_view token) {
    out.emplace_back(token);
    return true;
  });
  return out;
}

void TokenizeJson(const json::value& v, const TokenSink& emit) {
  ForEachString(v, [&](std::string_view s) {
    return TokenizeUntil(s, [&](std::string_view token) {
      emit(token);
      return true;
    });
  });
}

bool ContainsAllTokens(const json::value& v, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return false;
  std::vector<std::string_view> wanted(tokens.begin(), tokens.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<bool> found(wanted.size(), false);
  size_t missing = wanted.size();
  // Each callback returns false once every token is found, which stops the
  // walk.
  auto on_token = [&](std::string_view token) {
    auto it = std::lower_bound(wanted.begin(), wanted.end(), token);
    if (it != wanted.end() && *it == token) {
      const size_t i = static_cast<size_t>(it - wanted.begin());
      if (!found[i]) {
        found[i] = true;
        --missing;
      }
    }
    return missing > 0;
  };
  ForEachString(v, [&](std::string_view s) { return TokenizeUntil(s, on_token); });
  return missing == 0;
}

bool RowContainsAllTokens(const json::object& row, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return false;
  for (const auto& token : tokens) {
    bool found = false;
    for (const auto& kv : row) {
      if (IsTextField(kv.key()) && ContainsAllTokens(kv.value(), {token})) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

bool IsTextField(std::string_view key) {
  return std::find(kNonTextFields.begin(), kNonTextFields.end(), key) == kNonTextFields.end();
}

}  // namespace tv::text
