// Tests of the SQL lexer (sql-lite-frontend/lexer.h): every token kind and
// its decoded value, comments, the line:column of each token (lexer.h
// invariant 1) including from a SourceLocation other than 1:1, the error
// tokens for malformed literals and stray bytes (invariant 2: an error is a
// token, never a loop), and sql::IsComplete(), which must agree with
// sqlite3_complete() on where statements end.
#include "sql-lite-frontend/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "forkdb/sql.h"

namespace forkdb::sql {
namespace {

// Every token of `source` up to and excluding kEnd; stops after the first
// error token. A bound on the count catches a lexer that makes no progress.
std::vector<Token> Lex(std::string_view source, SourceLocation start = {}) {
  Lexer lexer(source, start);
  std::vector<Token> out;
  for (int i = 0; i < 10000; ++i) {
    Token t = lexer.Next();
    if (t.kind == TokenKind::kEnd) return out;
    const bool error = t.kind == TokenKind::kError;
    out.push_back(std::move(t));
    if (error) return out;
  }
  ADD_FAILURE() << "lexer made no progress on: " << source;
  return out;
}

// The single token of `source`.
Token One(std::string_view source) {
  std::vector<Token> tokens = Lex(source);
  EXPECT_EQ(tokens.size(), 1u) << source;
  return tokens.empty() ? Token() : tokens[0];
}

TEST(LexerTest, EmptyAndBlankTextIsEnd) {
  for (std::string_view s : {"", "   ", "\n\t \r\n"}) {
    Lexer lexer(s, {});
    Token t = lexer.Next();
    EXPECT_EQ(t.kind, TokenKind::kEnd) << "'" << s << "'";
    EXPECT_EQ(lexer.Next().kind, TokenKind::kEnd) << "kEnd forever";
    EXPECT_EQ(lexer.offset(), s.size());
  }
}

TEST(LexerTest, BareWordsAreIdentifiersWithTheirText) {
  std::vector<Token> t = Lex("select Foo _bar a1$b ñame");
  ASSERT_EQ(t.size(), 5u);
  for (const Token& tok : t) EXPECT_EQ(tok.kind, TokenKind::kIdentifier);
  EXPECT_EQ(t[0].text, "select");
  EXPECT_EQ(t[1].text, "Foo");
  EXPECT_EQ(t[2].text, "_bar");
  EXPECT_EQ(t[3].text, "a1$b");
  EXPECT_EQ(t[4].text, "ñame");
}

TEST(LexerTest, KeywordMatchIsCaseInsensitive) {
  Token t = One("sElEcT");
  EXPECT_TRUE(t.Is("SELECT"));
  EXPECT_FALSE(t.Is("SELECTS"));
  EXPECT_FALSE(t.Is("SELEC"));
  // A quoted name is never a keyword.
  EXPECT_FALSE(One("\"select\"").Is("SELECT"));
  EXPECT_FALSE(One("'select'").Is("SELECT"));
}

TEST(LexerTest, DoubleQuotedNameKeepsCaseAndUndoesDoubledQuotes) {
  Token t = One("\"My \"\"Table\"\"\"");
  EXPECT_EQ(t.kind, TokenKind::kQuotedName);
  EXPECT_EQ(t.value, "My \"Table\"");
  EXPECT_EQ(t.text, "\"My \"\"Table\"\"\"");
}

TEST(LexerTest, BacktickQuotedNameUndoesDoubledBackticks) {
  Token t = One("`a``b c`");
  EXPECT_EQ(t.kind, TokenKind::kQuotedName);
  EXPECT_EQ(t.value, "a`b c");
  // The other quote character is an ordinary byte inside.
  Token u = One("`say \"hi\"`");
  EXPECT_EQ(u.kind, TokenKind::kQuotedName);
  EXPECT_EQ(u.value, "say \"hi\"");
}

TEST(LexerTest, StringUndoesDoubledSingleQuotes) {
  Token t = One("'it''s'");
  EXPECT_EQ(t.kind, TokenKind::kString);
  EXPECT_EQ(t.value, "it's");
  EXPECT_EQ(t.text, "'it''s'");
  Token empty = One("''");
  EXPECT_EQ(empty.kind, TokenKind::kString);
  EXPECT_EQ(empty.value, "");
  Token quotes = One("''''");
  EXPECT_EQ(quotes.kind, TokenKind::kString);
  EXPECT_EQ(quotes.value, "'");
}

TEST(LexerTest, StringKeepsNewlinesCommentsAndSemicolons) {
  Token t = One("'a\n-- b; /* c */'");
  EXPECT_EQ(t.kind, TokenKind::kString);
  EXPECT_EQ(t.value, "a\n-- b; /* c */");
}

TEST(LexerTest, BlobLiteralDecodesHexEitherCase) {
  Token t = One("x'0aFf'");
  EXPECT_EQ(t.kind, TokenKind::kBlob);
  EXPECT_EQ(t.value, std::string("\x0a\xff", 2));
  Token upper = One("X'00'");
  EXPECT_EQ(upper.kind, TokenKind::kBlob);
  EXPECT_EQ(upper.value, std::string("\0", 1));
  Token empty = One("x''");
  EXPECT_EQ(empty.kind, TokenKind::kBlob);
  EXPECT_EQ(empty.value, "");
}

TEST(LexerTest, XNotFollowedByQuoteIsAnIdentifier) {
  std::vector<Token> t = Lex("x xy x 'a'");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, TokenKind::kIdentifier);
  EXPECT_EQ(t[1].kind, TokenKind::kIdentifier);
  EXPECT_EQ(t[1].text, "xy");
  EXPECT_EQ(t[2].kind, TokenKind::kIdentifier);
  EXPECT_EQ(t[3].kind, TokenKind::kString);
}

TEST(LexerTest, IntegersKeepTheirDigits) {
  std::vector<Token> t = Lex("0 42 007 9223372036854775807");
  ASSERT_EQ(t.size(), 4u);
  for (const Token& tok : t) EXPECT_EQ(tok.kind, TokenKind::kInteger);
  EXPECT_EQ(t[0].value, "0");
  EXPECT_EQ(t[1].value, "42");
  EXPECT_EQ(t[2].value, "007");
  EXPECT_EQ(t[3].value, "9223372036854775807");
}

TEST(LexerTest, IntegerTooBigForInt64IsReal) {
  Token t = One("9223372036854775808");
  EXPECT_EQ(t.kind, TokenKind::kReal);
  EXPECT_EQ(t.value, "9223372036854775808");
  EXPECT_EQ(One("99999999999999999999999").kind, TokenKind::kReal);
}

TEST(LexerTest, RealsWithPointAndExponent) {
  struct Case {
    std::string_view text;
  } cases[] = {{"1.5"},    {".5"},   {"1."},   {"1e10"}, {"1E10"},
               {"2.5e-3"}, {"7e+2"}, {".5e1"}, {"0.0"}};
  for (const Case& c : cases) {
    Token t = One(c.text);
    EXPECT_EQ(t.kind, TokenKind::kReal) << c.text;
    EXPECT_EQ(t.value, c.text);
    EXPECT_EQ(t.text, c.text);
  }
}

TEST(LexerTest, MinusBeforeANumberIsASeparateSymbol) {
  std::vector<Token> t = Lex("-1");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_TRUE(t[0].IsSymbol("-"));
  EXPECT_EQ(t[1].kind, TokenKind::kInteger);
}

TEST(LexerTest, ParameterIsAToken) {
  std::vector<Token> t = Lex("?,?");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].kind, TokenKind::kParameter);
  EXPECT_TRUE(t[1].IsSymbol(","));
  EXPECT_EQ(t[2].kind, TokenKind::kParameter);
}

TEST(LexerTest, EveryOperatorIsOneSymbol) {
  const std::vector<std::string_view> ops = {
      "(",  ")", ",",  ";",  ".",  "*", "+",  "-", "/", "%",
      "||", "=", "==", "!=", "<>", "<", "<=", ">", ">="};
  std::string source;
  for (std::string_view op : ops) {
    source += op;
    source += ' ';
  }
  std::vector<Token> t = Lex(source);
  ASSERT_EQ(t.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(t[i].kind, TokenKind::kSymbol) << ops[i];
    EXPECT_EQ(t[i].text, ops[i]);
    EXPECT_TRUE(t[i].IsSymbol(ops[i]));
  }
}

TEST(LexerTest, TwoByteOperatorsWinWithoutBlanks) {
  std::vector<Token> t = Lex("a<=b<>c||d==e!=f>=g");
  std::vector<std::string_view> symbols;
  for (const Token& tok : t)
    if (tok.kind == TokenKind::kSymbol) symbols.push_back(tok.text);
  EXPECT_EQ(symbols, (std::vector<std::string_view>{"<=", "<>", "||",
                                                    "==", "!=", ">="}));
  // "<>" is one token, "< >" two.
  EXPECT_EQ(Lex("< >").size(), 2u);
}

TEST(LexerTest, LineCommentsAreSkipped) {
  std::vector<Token> t = Lex("a -- b c ; 'x\nd--e");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].text, "a");
  EXPECT_EQ(t[1].text, "d");
  EXPECT_EQ(Lex("-- only a comment").size(), 0u);
}

TEST(LexerTest, BlockCommentsAreSkippedAcrossLines) {
  std::vector<Token> t = Lex("a /* b\n ; 'c */ d/**/e");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].text, "a");
  EXPECT_EQ(t[1].text, "d");
  EXPECT_EQ(t[1].line, 2);
  EXPECT_EQ(t[2].text, "e");
}

TEST(LexerTest, SlashAloneIsDivision) {
  std::vector<Token> t = Lex("a/b");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_TRUE(t[1].IsSymbol("/"));
}

TEST(LexerTest, TokensRecordLineColumnAndOffset) {
  const std::string_view source = "SELECT a,\n  b\n\n\tFROM t";
  std::vector<Token> t = Lex(source);
  ASSERT_EQ(t.size(), 6u);
  struct Want {
    std::string_view text;
    int line, column;
  } want[] = {{"SELECT", 1, 1}, {"a", 1, 8},    {",", 1, 9},
              {"b", 2, 3},      {"FROM", 4, 2}, {"t", 4, 7}};
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i].text, want[i].text);
    EXPECT_EQ(t[i].line, want[i].line) << want[i].text;
    EXPECT_EQ(t[i].column, want[i].column) << want[i].text;
    EXPECT_EQ(source.substr(t[i].offset, t[i].text.size()), t[i].text);
  }
}

TEST(LexerTest, PositionsCountFromTheStartLocation) {
  std::vector<Token> t = Lex("a b\nc", SourceLocation{5, 10});
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].line, 5);
  EXPECT_EQ(t[0].column, 10);
  EXPECT_EQ(t[1].line, 5);
  EXPECT_EQ(t[1].column, 12);
  // After a newline the column starts again at 1.
  EXPECT_EQ(t[2].line, 6);
  EXPECT_EQ(t[2].column, 1);
}

TEST(LexerTest, PositionsCountNewlinesInsideStringsAndComments) {
  std::vector<Token> t = Lex("'a\nb' /* c\nd */ -- e\nx");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].text, "x");
  EXPECT_EQ(t[1].line, 4);
  EXPECT_EQ(t[1].column, 1);
}

TEST(LexerTest, ColumnsCountBytes) {
  // "é" is two bytes of UTF-8: the column after it counts both.
  std::vector<Token> t = Lex("'é' x");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].column, 6);
}

// An error token: its message, where it is.
void ExpectError(std::string_view source, std::string_view message, int line,
                 int column) {
  std::vector<Token> t = Lex(source);
  ASSERT_FALSE(t.empty()) << source;
  const Token& e = t.back();
  EXPECT_EQ(e.kind, TokenKind::kError) << source;
  EXPECT_EQ(e.value, message) << source;
  EXPECT_EQ(e.line, line) << source;
  EXPECT_EQ(e.column, column) << source;
  EXPECT_EQ(Describe(e), message);
}

TEST(LexerTest, UnterminatedStringIsAnErrorAtItsQuote) {
  ExpectError("SELECT 'abc", "unterminated string", 1, 8);
  ExpectError("a\n 'it''s", "unterminated string", 2, 2);
}

TEST(LexerTest, UnterminatedBlockCommentIsAnErrorAtItsStart) {
  ExpectError("a\n  /* never closed", "unterminated /* comment", 2, 3);
  ExpectError("/*/", "unterminated /* comment", 1, 1);
}

TEST(LexerTest, UnterminatedQuotedNameIsAnError) {
  ExpectError("SELECT \"abc", "unterminated quoted name", 1, 8);
  ExpectError("`abc``", "unterminated quoted name", 1, 1);
}

TEST(LexerTest, MalformedBlobsAreErrors) {
  ExpectError("x'0a", "unterminated BLOB literal", 1, 1);
  ExpectError("  x'abc'", "BLOB literal has an odd number of hex digits", 1, 3);
  ExpectError("x'0g'", "BLOB literal has a non-hex digit", 1, 1);
  ExpectError("X'zz'", "BLOB literal has a non-hex digit", 1, 1);
}

TEST(LexerTest, ExponentWithoutDigitsIsAnError) {
  ExpectError("1e", "malformed number: no digits in the exponent", 1, 1);
  ExpectError("x + 2.5e+", "malformed number: no digits in the exponent", 1, 5);
  ExpectError("3E-x", "malformed number: no digits in the exponent", 1, 1);
}

TEST(LexerTest, NumberRunningIntoLettersIsAnError) {
  ExpectError("12abc", "malformed number", 1, 1);
  ExpectError("1.5e3x", "malformed number", 1, 1);
}

TEST(LexerTest, StrayByteIsAnErrorAndTheLexerMovesOn) {
  for (std::string_view s :
       {"@", "#", "!", "&", "|", "[", "]", "{", "~", "^", "\\", ":", "$"}) {
    // The message names the byte.
    ExpectError(s, "unexpected character '" + std::string(s) + "'", 1, 1);
  }
  // The lexer goes on after the bad byte.
  Lexer lexer("a @ b", {});
  EXPECT_EQ(lexer.Next().text, "a");
  Token bad = lexer.Next();
  EXPECT_EQ(bad.kind, TokenKind::kError);
  EXPECT_EQ(bad.column, 3);
  Token b = lexer.Next();
  EXPECT_EQ(b.kind, TokenKind::kIdentifier);
  EXPECT_EQ(b.text, "b");
  EXPECT_EQ(lexer.Next().kind, TokenKind::kEnd);
}

TEST(LexerTest, NulByteIsAnErrorNotTheEnd) {
  const std::string source("a\0b", 3);
  Lexer lexer(source, {});
  EXPECT_EQ(lexer.Next().text, "a");
  Token nul = lexer.Next();
  EXPECT_EQ(nul.kind, TokenKind::kError);
  EXPECT_EQ(nul.value, "unexpected character 0x00");
  EXPECT_EQ(lexer.Next().text, "b");
  EXPECT_EQ(lexer.Next().kind, TokenKind::kEnd);
}

TEST(LexerTest, DescribeQuotesTokensAndNamesTheEnd) {
  EXPECT_EQ(Describe(One("FROM")), "'FROM'");
  EXPECT_EQ(Describe(One("'x'")), "''x''");
  Lexer lexer("", {});
  EXPECT_EQ(Describe(lexer.Next()), "end of input");
  // Long tokens are cut.
  const std::string longword(100, 'a');
  EXPECT_EQ(Describe(One(longword)), "'" + std::string(40, 'a') + "...'");
}

TEST(IsCompleteTest, StatementEndingInSemicolonIsComplete) {
  EXPECT_TRUE(IsComplete("SELECT 1;"));
  EXPECT_TRUE(IsComplete("SELECT 1;  \n"));
  EXPECT_TRUE(IsComplete("SELECT 1; SELECT 2;"));
  EXPECT_TRUE(IsComplete(";"));
}

TEST(IsCompleteTest, StatementWithoutSemicolonIsNotComplete) {
  EXPECT_FALSE(IsComplete(""));
  EXPECT_FALSE(IsComplete("   "));
  EXPECT_FALSE(IsComplete("SELECT 1"));
  EXPECT_FALSE(IsComplete("SELECT 1; SELECT 2"));
}

TEST(IsCompleteTest, CommentsAfterTheSemicolonDoNotCount) {
  EXPECT_TRUE(IsComplete("SELECT 1; -- done"));
  EXPECT_TRUE(IsComplete("SELECT 1; /* done */"));
  EXPECT_TRUE(IsComplete("SELECT 1; -- a\n/* b */\n"));
}

TEST(IsCompleteTest, SemicolonInsideStringDoesNotCount) {
  EXPECT_FALSE(IsComplete("SELECT ';"));
  EXPECT_FALSE(IsComplete("SELECT 'a;'"));
  EXPECT_TRUE(IsComplete("SELECT 'a;';"));
  EXPECT_FALSE(IsComplete("SELECT 'it''s;"));
}

TEST(IsCompleteTest, SemicolonInsideCommentDoesNotCount) {
  EXPECT_FALSE(IsComplete("SELECT 1 -- ;"));
  EXPECT_FALSE(IsComplete("SELECT 1 /* ; */"));
  EXPECT_FALSE(IsComplete("SELECT 1 /* ;"));
  EXPECT_FALSE(IsComplete("SELECT 1; /* unterminated"));
  EXPECT_TRUE(IsComplete("SELECT 1 /* ; */;"));
}

TEST(IsCompleteTest, SemicolonInsideQuotedNameDoesNotCount) {
  EXPECT_FALSE(IsComplete("SELECT \"a;"));
  EXPECT_FALSE(IsComplete("SELECT `a;"));
  EXPECT_FALSE(IsComplete("SELECT \"a;\""));
  EXPECT_TRUE(IsComplete("SELECT \"a;\";"));
  EXPECT_TRUE(IsComplete("SELECT `a;`;"));
}

TEST(IsCompleteTest, UnterminatedBlobIsNotComplete) {
  EXPECT_FALSE(IsComplete("SELECT x'0a;"));
  EXPECT_TRUE(IsComplete("SELECT x'0a';"));
}

TEST(IsCompleteTest, OtherLexicalErrorsStillEndAtSemicolon) {
  // A stray byte cannot be fixed by more text: the statement ends at ';'
  // and the error is the parser's to report.
  EXPECT_TRUE(IsComplete("SELECT @;"));
  EXPECT_FALSE(IsComplete("SELECT @"));
  EXPECT_TRUE(IsComplete("SELECT 1e;"));
}

}  // namespace
}  // namespace forkdb::sql
