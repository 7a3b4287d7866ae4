// The BTQL text lexer: turns clause text into tokens that carry their 1-based
// line and column, and a cursor the parsers walk them with. Whitespace,
// newlines and `--` comments separate tokens and are otherwise dropped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tv::btql {

enum class TokenKind {
  kWord,        // bare name or keyword: select, metadata, AND, true
  kQuotedName,  // `name` or "name" (a field key, never a string value)
  kString,      // 'text'
  kNumber,      // 12, 1.5, 2e-3 (a leading '-' is a separate symbol)
  kSymbol,      // ( ) [ ] { } . , : ; | * = != <> < <= > >= + - / % ?
  kEnd,         // end of input; always the last token
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // decoded: quotes removed and escapes applied
  std::string raw;   // as written in the query, for error messages
  int line = 1;
  int column = 1;
};

// Splits `text` into tokens ending with one kEnd token. A malformed token (an
// unterminated string, a stray character) is a positioned parse error.
Result<std::vector<Token>> Tokenize(std::string_view text);

// "BTQL parse error at line L, column C: <message>".
Status ParseErrorAt(const Token& at, std::string_view message);
// " (at line L, column C)", the suffix for NotSupportedYet.
std::string WhereSuffix(const Token& at);
// How a token reads in "found ...": 'name', string 'x', 12, end of input.
std::string Describe(const Token& token);

// A read position in a token vector. Never moves past the kEnd token.
class TokenCursor {
 public:
  // REQUIRES: `tokens` ends with a kEnd token (as Tokenize returns them).
  explicit TokenCursor(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  const Token& Peek(size_t ahead = 0) const;
  const Token& Next();
  bool AtEnd() const { return Peek().kind == TokenKind::kEnd; }

  // Case-insensitive keyword test on a kWord token.
  bool IsWord(std::string_view keyword, size_t ahead = 0) const;
  bool IsSymbol(std::string_view symbol, size_t ahead = 0) const;
  bool ConsumeWord(std::string_view keyword);
  bool ConsumeSymbol(std::string_view symbol);

  // "expected <expected>, found <next token>" at the next token.
  Status Expected(std::string_view expected) const;

 private:
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace tv::btql
