// Lexer: see lexer.h. IsComplete() lives here too, since it must agree with
// the lexer on where strings and comments end.
#include "sql-lite-frontend/lexer.h"

#include <cassert>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace forkdb::sql {
namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) ||
         c == '$';
}
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool Token::Is(std::string_view keyword) const {
  if (kind != TokenKind::kIdentifier || text.size() != keyword.size())
    return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != keyword[i])
      return false;
  }
  return true;
}

void Lexer::Advance(size_t n) {
  assert(pos_ + n <= source_.size());
  for (size_t i = 0; i < n; ++i) {
    if (source_[pos_ + i] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
  }
  pos_ += n;
}

void Lexer::SkipBlanksAndComments(Token* error) {
  while (pos_ < source_.size()) {
    const char c = Peek();
    if (std::isspace(static_cast<unsigned char>(c))) {
      Advance(1);
    } else if (c == '-' && Peek(1) == '-') {
      while (pos_ < source_.size() && Peek() != '\n') Advance(1);
    } else if (c == '/' && Peek(1) == '*') {
      const int line = line_, column = column_;
      const size_t start = pos_;
      Advance(2);
      while (pos_ < source_.size() && !(Peek() == '*' && Peek(1) == '/'))
        Advance(1);
      if (pos_ >= source_.size()) {
        error->kind = TokenKind::kError;
        error->value = "unterminated /* comment";
        error->offset = start;
        error->line = line;
        error->column = column;
        error->text = source_.substr(start);
        return;
      }
      Advance(2);
    } else {
      return;
    }
  }
}

Token Lexer::Next() {
  Token t;
  SkipBlanksAndComments(&t);
  if (t.kind == TokenKind::kError) return t;
  t.offset = pos_;
  t.line = line_;
  t.column = column_;
  if (pos_ >= source_.size()) {
    t.kind = TokenKind::kEnd;
    t.text = source_.substr(pos_, 0);
    return t;
  }
  const size_t start = pos_;
  const char c = Peek();
  auto finish = [&](TokenKind kind) {
    t.kind = kind;
    t.text = source_.substr(start, pos_ - start);
    return t;
  };
  auto fail = [&](std::string why) {
    t.kind = TokenKind::kError;
    t.value = std::move(why);
    t.text = source_.substr(start, pos_ - start);
    return t;
  };

  // BLOB literal: x'0aff'.
  if ((c == 'x' || c == 'X') && Peek(1) == '\'') {
    Advance(2);
    std::string hex;
    while (pos_ < source_.size() && Peek() != '\'') {
      hex.push_back(Peek());
      Advance(1);
    }
    if (pos_ >= source_.size()) return fail("unterminated BLOB literal");
    Advance(1);
    if (hex.size() % 2 != 0)
      return fail("BLOB literal has an odd number of hex digits");
    for (size_t i = 0; i < hex.size(); i += 2) {
      const int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
      if (hi < 0 || lo < 0) return fail("BLOB literal has a non-hex digit");
      t.value.push_back(static_cast<char>(hi * 16 + lo));
    }
    return finish(TokenKind::kBlob);
  }
  if (IsIdentStart(c)) {
    while (pos_ < source_.size() && IsIdentChar(Peek())) Advance(1);
    return finish(TokenKind::kIdentifier);
  }
  if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) {
    bool real = false;
    while (IsDigit(Peek())) Advance(1);
    if (Peek() == '.') {
      real = true;
      Advance(1);
      while (IsDigit(Peek())) Advance(1);
    }
    if (Peek() == 'e' || Peek() == 'E') {
      size_t n = 1;
      if (Peek(n) == '+' || Peek(n) == '-') ++n;
      if (!IsDigit(Peek(n))) {
        Advance(n);
        return fail("malformed number: no digits in the exponent");
      }
      real = true;
      Advance(n);
      while (IsDigit(Peek())) Advance(1);
    }
    if (IsIdentChar(Peek())) {
      while (pos_ < source_.size() && IsIdentChar(Peek())) Advance(1);
      return fail("malformed number");
    }
    t.value = std::string(source_.substr(start, pos_ - start));
    if (!real) {
      errno = 0;
      char* end = nullptr;
      (void)std::strtoll(t.value.c_str(), &end, 10);
      // Too big for int64: a REAL, as in SQLite.
      if (errno == ERANGE) real = true;
    }
    return finish(real ? TokenKind::kReal : TokenKind::kInteger);
  }
  if (c == '\'') {
    Advance(1);
    while (true) {
      if (pos_ >= source_.size()) return fail("unterminated string");
      if (Peek() == '\'') {
        if (Peek(1) == '\'') {
          t.value.push_back('\'');
          Advance(2);
          continue;
        }
        Advance(1);
        break;
      }
      t.value.push_back(Peek());
      Advance(1);
    }
    return finish(TokenKind::kString);
  }
  if (c == '"' || c == '`') {
    const char quote = c;
    Advance(1);
    while (true) {
      if (pos_ >= source_.size()) return fail("unterminated quoted name");
      if (Peek() == quote) {
        if (Peek(1) == quote) {
          t.value.push_back(quote);
          Advance(2);
          continue;
        }
        Advance(1);
        break;
      }
      t.value.push_back(Peek());
      Advance(1);
    }
    return finish(TokenKind::kQuotedName);
  }
  if (c == '?') {
    Advance(1);
    return finish(TokenKind::kParameter);
  }
  // Two-byte operators first.
  static constexpr std::string_view kTwo[] = {
      "||", "==", "!=", "<>", "<=", ">="};
  for (std::string_view op : kTwo) {
    if (source_.substr(pos_, 2) == op) {
      Advance(2);
      return finish(TokenKind::kSymbol);
    }
  }
  if (std::string_view("(),;.*+-/%=<>").find(c) != std::string_view::npos) {
    Advance(1);
    return finish(TokenKind::kSymbol);
  }
  Advance(1);
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", static_cast<unsigned char>(c));
    return fail(std::string("unexpected character ") + hex);
  }
  return fail(std::string("unexpected character '") + c + "'");
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of input";
    case TokenKind::kError:
      return token.value;
    default: {
      std::string text(token.text.substr(0, 40));
      if (token.text.size() > 40) text += "...";
      return "'" + text + "'";
    }
  }
}

bool IsComplete(std::string_view sql) {
  Lexer lexer(sql, {});
  bool complete = false;
  while (true) {
    Token t = lexer.Next();
    if (t.kind == TokenKind::kEnd) return complete;
    if (t.kind == TokenKind::kError) {
      // An unterminated string, quoted name or comment: more text may close
      // it. Other errors cannot be fixed by more text: the statement is as
      // complete as it will get once a ';' follows.
      if (t.value.starts_with("unterminated")) return false;
      complete = false;
      continue;
    }
    complete = t.IsSymbol(";");
  }
}

}  // namespace forkdb::sql
