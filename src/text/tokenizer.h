// The one tokenizer of the full-text index, shared by segment indexing and by
// the scan of rows still in the WAL, so a MATCH answers the same whether or
// not a row has been compacted. docs/storage-format.md, "Full-text index".
//
// A token is a maximal run of letters, digits, combining marks or '_'
// (Unicode L*, N*, M*); each Han, Hiragana, Katakana or Hangul code point is a
// token of its own; everything else, invalid UTF-8 included, separates tokens.
// Tokens are case-folded (Unicode simple folding) and cut to 64 bytes at a
// code-point boundary.
//
// Thread-safety: all functions are pure.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

namespace tv::text {

inline constexpr size_t kMaxTokenBytes = 64;

using TokenSink = std::function<void(std::string_view token)>;

// Calls `emit` with each token of `utf8`, in order (repeats included). The
// view is valid only during the call. A run longer than kMaxTokenBytes gives
// one token of its first code points that fit; the rest of the run is dropped.
void Tokenize(std::string_view utf8, const TokenSink& emit);
std::vector<std::string> Tokens(std::string_view utf8);

// The tokens of every string value in the subtree `v` (keys and numbers are
// not text).
void TokenizeJson(const json::value& v, const TokenSink& emit);

// True when every one of `tokens` occurs in the subtree `v`. An empty list
// matches nothing.
bool ContainsAllTokens(const json::value& v, const std::vector<std::string>& tokens);

// True when every one of `tokens` occurs in some full-text field of `row`
// (each token may be in a different field): a MATCH with no path. An empty
// list matches nothing.
bool RowContainsAllTokens(const json::object& row, const std::vector<std::string>& tokens);

// Whether the top-level row field `key` is full-text indexed: every field
// except the ids and system fields.
bool IsTextField(std::string_view key);

}  // namespace tv::text
