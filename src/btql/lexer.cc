#include "btql/lexer.h"

#include <cctype>

#include "btql/clause_rules.h"

namespace tv::btql {

namespace {

bool IsWordStart(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || c == '$' || u >= 0x80;
}
bool IsWordChar(char c) { return IsWordStart(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

constexpr std::string_view kTwoCharSymbols[] = {"!=", "<>", "<=", ">="};
constexpr std::string_view kOneCharSymbols = "()[].,:;|*=<>+-/%?{}";

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    for (SkipSpaceAndComments(); !AtEnd(); SkipSpaceAndComments()) {
      TV_ASSIGN_OR_RETURN(Token t, ScanToken());
      tokens.push_back(std::move(t));
    }
    tokens.push_back(StartToken(TokenKind::kEnd));
    return tokens;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  // Columns count code points, so UTF-8 continuation bytes do not advance them.
  char Advance() {
    char c = text_[pos_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++column_;
    }
    return c;
  }

  void SkipSpaceAndComments() {
    while (!AtEnd()) {
      if (std::isspace(static_cast<unsigned char>(Peek()))) {
        Advance();
      } else if (Peek() == '-' && Peek(1) == '-') {
        while (!AtEnd() && Peek() != '\n') Advance();
      } else {
        return;
      }
    }
  }

  Token StartToken(TokenKind kind) const {
    Token t;
    t.kind = kind;
    t.line = line_;
    t.column = column_;
    return t;
  }

  Result<Token> ScanToken() {
    char c = Peek();
    if (IsWordStart(c)) return ScanWord();
    if (IsDigit(c)) return ScanNumber();
    if (c == '\'') return ScanQuoted(TokenKind::kString);
    if (c == '"' || c == '`') return ScanQuoted(TokenKind::kQuotedName);
    return ScanSymbol();
  }

  Token ScanWord() {
    Token t = StartToken(TokenKind::kWord);
    size_t begin = pos_;
    while (!AtEnd() && IsWordChar(Peek())) Advance();
    t.text = t.raw = std::string(text_.substr(begin, pos_ - begin));
    return t;
  }

  void AdvanceDigits() {
    while (IsDigit(Peek())) Advance();
  }

  Token ScanNumber() {
    Token t = StartToken(TokenKind::kNumber);
    size_t begin = pos_;
    AdvanceDigits();
    if (Peek() == '.' && IsDigit(Peek(1))) {
      Advance();
      AdvanceDigits();
    }
    bool signed_exponent = (Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2));
    if ((Peek() == 'e' || Peek() == 'E') && (IsDigit(Peek(1)) || signed_exponent)) {
      Advance();
      if (signed_exponent) Advance();
      AdvanceDigits();
    }
    t.text = t.raw = std::string(text_.substr(begin, pos_ - begin));
    return t;
  }

  // A doubled quote stands for the quote itself; backslash escapes the quote,
  // a backslash, and n/t/r. Other backslashes are kept (LIKE patterns need them).
  Result<Token> ScanQuoted(TokenKind kind) {
    Token t = StartToken(kind);
    size_t begin = pos_;
    char quote = Advance();
    while (true) {
      if (AtEnd()) {
        return ParseErrorAt(t, fmt::format("expected a closing {} for this quoted text, found "
                                           "end of input",
                                           quote));
      }
      char c = Advance();
      if (c == quote) {
        if (Peek() != quote) break;
        Advance();
        t.text += quote;
      } else if (c == '\\' && !AtEnd()) {
        AppendEscape(quote, Advance(), t.text);
      } else {
        t.text += c;
      }
    }
    t.raw = std::string(text_.substr(begin, pos_ - begin));
    return t;
  }

  static void AppendEscape(char quote, char c, std::string& out) {
    switch (c) {
      case 'n':
        out += '\n';
        return;
      case 't':
        out += '\t';
        return;
      case 'r':
        out += '\r';
        return;
      case '\\':
        out += '\\';
        return;
      default:
        if (c != quote) out += '\\';
        out += c;
    }
  }

  Result<Token> ScanSymbol() {
    Token t = StartToken(TokenKind::kSymbol);
    for (std::string_view two : kTwoCharSymbols) {
      if (text_.substr(pos_, 2) == two) {
        Advance();
        Advance();
        t.text = t.raw = std::string(two);
        return t;
      }
    }
    if (kOneCharSymbols.find(Peek()) == std::string_view::npos) {
      return ParseErrorAt(t, fmt::format("unexpected character '{}'", CharAt(pos_)));
    }
    t.text = t.raw = std::string(1, Advance());
    return t;
  }

  // The whole UTF-8 sequence starting at `at`, for error messages.
  std::string CharAt(size_t at) const {
    size_t end = at + 1;
    while (end < text_.size() && (static_cast<unsigned char>(text_[end]) & 0xC0) == 0x80) ++end;
    return std::string(text_.substr(at, end - at));
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view text) { return Scanner(text).Run(); }

Status ParseErrorAt(const Token& at, std::string_view message) {
  return InvalidArgument("BTQL parse error at line {}, column {}: {}", at.line, at.column, message);
}

std::string WhereSuffix(const Token& at) { return fmt::format(" (at line {}, column {})", at.line, at.column); }

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of input";
    case TokenKind::kString:
      return "string " + token.raw;
    case TokenKind::kNumber:
      return token.raw;
    case TokenKind::kQuotedName:
      return token.raw;
    case TokenKind::kWord:
    case TokenKind::kSymbol:
      return "'" + token.raw + "'";
  }
  return token.raw;
}

const Token& TokenCursor::Peek(size_t ahead) const {
  size_t at = pos_ + ahead;
  return at < tokens_.size() ? tokens_[at] : tokens_.back();
}

const Token& TokenCursor::Next() {
  const Token& t = Peek();
  if (pos_ + 1 < tokens_.size()) ++pos_;
  return t;
}

bool TokenCursor::IsWord(std::string_view keyword, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kWord && EqualsIgnoreCase(t.text, keyword);
}

bool TokenCursor::IsSymbol(std::string_view symbol, size_t ahead) const {
  const Token& t = Peek(ahead);
  return t.kind == TokenKind::kSymbol && t.text == symbol;
}

bool TokenCursor::ConsumeWord(std::string_view keyword) {
  if (!IsWord(keyword)) return false;
  Next();
  return true;
}

bool TokenCursor::ConsumeSymbol(std::string_view symbol) {
  if (!IsSymbol(symbol)) return false;
  Next();
  return true;
}

Status TokenCursor::Expected(std::string_view expected) const {
  return ParseErrorAt(Peek(), fmt::format("expected {}, found {}", expected, Describe(Peek())));
}

}  // namespace tv::btql
