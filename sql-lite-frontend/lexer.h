// Lexer: SQL text to tokens (SQL.md: keywords and identifiers are
// case-insensitive, "quoted" identifiers keep their case, strings use single
// quotes with '' inside, x'0aff' is a BLOB, comments are -- and /* */).
//
// Invariants:
//   1. Every token records the line and column (1-based, in bytes) of its
//      first character, counted from the SourceLocation the lexer started at,
//      so every error can say where it is.
//   2. Next() never reads past the end of the text and always makes progress:
//      a byte it cannot use is a kError token, never a loop or a crash.
#ifndef FORKDB_SQL_LEXER_H_
#define FORKDB_SQL_LEXER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forkdb/sql.h"

namespace forkdb::sql {

enum class TokenKind {
  kEnd,         // end of the text
  kIdentifier,  // a bare word: keyword or name (text as written)
  kQuotedName,  // "name" or `name`: value holds the name, case kept
  kString,      // 'text': value holds the text with '' undone
  kBlob,        // x'0aff': value holds the bytes
  kInteger,     // digits that fit in int64 (value holds the digits)
  kReal,        // a number with '.', an exponent, or too big for int64
  kParameter,   // ?
  kSymbol,      // punctuation and operators: ( ) , ; . * + - / % || = == !=
                // <> < <= > >=
  kError,       // a byte or literal the lexer cannot read; value says why
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // the source bytes of the token
  std::string value;      // decoded contents (see TokenKind)
  size_t offset = 0;      // of text in the source
  int line = 1;
  int column = 1;

  // Case-insensitive match of a bare word (keywords are written in upper
  // case by callers).
  bool Is(std::string_view keyword) const;
  bool IsSymbol(std::string_view symbol) const {
    return kind == TokenKind::kSymbol && text == symbol;
  }
};

class Lexer {
 public:
  Lexer(std::string_view source, SourceLocation start)
      : source_(source), line_(start.line), column_(start.column) {}

  // The next token; kEnd forever once the text is used up.
  Token Next();
  size_t offset() const { return pos_; }

 private:
  void SkipBlanksAndComments(Token* error);
  void Advance(size_t n);
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < source_.size() ? source_[pos_ + ahead] : '\0';
  }

  std::string_view source_;
  size_t pos_ = 0;
  int line_;
  int column_;
};

// A short description of a token for messages: 'FROM', end of input, ...
std::string Describe(const Token& token);

}  // namespace forkdb::sql

#endif  // FORKDB_SQL_LEXER_H_
