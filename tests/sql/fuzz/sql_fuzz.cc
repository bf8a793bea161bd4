// The SQL fuzz target: runs each input as a SQL script, statement by
// statement, through a fresh in-memory Database and sql::Session, and checks
// what the SQL API (forkdb/sql.h) promises whatever the text says. Built as
// sql_fuzz with libFuzzer (FORKDB_FUZZ, clang) and as sql_fuzz_replay with
// sql_fuzz_replay.cc's main, which ctest runs over corpus/ and regressions/.
//
// Invariants checked (an abort with a message when one breaks, besides
// whatever the address and undefined-behaviour sanitizers find):
//   1. No input crashes, hangs or leaks.
//   2. Every error is a Status that is not OK, with a non-empty message.
//   3. An error that starts with "LINE:COLUMN: " points inside its
//      statement's text; an InvalidArgument from Prepare without one names
//      the table, column, index, fork or function at fault (so a syntax
//      error, which has no such name, carries its position).
//   4. Prepare makes progress: a statement ends within the text it was
//      given, past at least one byte.
//   5. A stepped row has column_count() values, each well formed, and only
//      statements that return_rows() give rows. After Step() returned false
//      or an error, Step() returns false until Reset().
//   6. If any statement of the script failed, the database passes
//      Database::Check() at the end (a failed statement changes nothing, so
//      it leaves nothing broken behind).
//
// Work per input is bounded so that the fuzzer explores rather than waits:
// at most kInputBytesMax bytes, kStatementsMax statements and kRowsMax rows
// stepped in all.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/sql.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::sql {
namespace {

constexpr size_t kInputBytesMax = 4096;
constexpr int kStatementsMax = 64;
constexpr uint64_t kRowsMax = 10'000;
constexpr int kParametersBoundMax = 16;

// Aborts with a message when `cond` is false; active in every build type.
#define FUZZ_CHECK(cond, ...)                                             \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "sql_fuzz: check failed: %s (%s:%d)\n", #cond, \
                   __FILE__, __LINE__);                                   \
      std::fprintf(stderr, "sql_fuzz: " __VA_ARGS__);                     \
      std::fprintf(stderr, "\n");                                         \
      std::abort();                                                       \
    }                                                                     \
  } while (0)

// `text` in single quotes for a message, with newlines and bytes outside
// printable ASCII escaped.
std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 ||
               static_cast<unsigned char>(c) >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Invariant 2.
void CheckError(const Status& s, std::string_view sql) {
  FUZZ_CHECK(!s.ok(), "an error result holds an OK status, statement %s",
             Quote(sql).c_str());
  FUZZ_CHECK(!s.message().empty(), "%s with an empty message, statement %s",
             Status::CodeName(s.code()), Quote(sql).c_str());
}

// The position after `text` for text that starts at `at` (lines and
// columns 1-based, columns in bytes, as the lexer counts them).
SourceLocation Advance(SourceLocation at, std::string_view text) {
  for (char c : text) {
    if (c == '\n') {
      ++at.line;
      at.column = 1;
    } else {
      ++at.column;
    }
  }
  return at;
}

// Reads a decimal number at the front of `*text`, removing it; nullopt if
// there is none.
std::optional<int> TakeNumber(std::string_view* text) {
  size_t i = 0;
  int n = 0;
  while (i < text->size() && i < 9 && (*text)[i] >= '0' && (*text)[i] <= '9')
    n = n * 10 + ((*text)[i++] - '0');
  if (i == 0) return std::nullopt;
  text->remove_prefix(i);
  return n;
}

// The "LINE:COLUMN" that leads `message` ("3:14: expected ..."), if any.
std::optional<SourceLocation> LeadingPosition(std::string_view message) {
  std::optional<int> line = TakeNumber(&message);
  if (!line.has_value() || !message.starts_with(':')) return std::nullopt;
  message.remove_prefix(1);
  std::optional<int> column = TakeNumber(&message);
  if (!column.has_value() || !message.starts_with(": ")) return std::nullopt;
  return SourceLocation{*line, *column};
}

bool Before(SourceLocation a, SourceLocation b) {
  return a.line < b.line || (a.line == b.line && a.column <= b.column);
}

// Invariant 3: a position in an error lies inside the statement's text,
// [from, to]; and an InvalidArgument from Prepare that has none names what
// it is about (a table, column, index, fork or function), so it is not a
// syntax error that lost its position.
void CheckErrorPosition(const Status& s, bool from_prepare,
                        std::string_view sql, SourceLocation from,
                        SourceLocation to) {
  std::optional<SourceLocation> at = LeadingPosition(s.message());
  if (at.has_value()) {
    FUZZ_CHECK(Before(from, *at) && Before(*at, to),
               "error at %d:%d outside its statement (%d:%d to %d:%d): '%s', "
               "statement %s",
               at->line, at->column, from.line, from.column, to.line, to.column,
               s.message().c_str(), Quote(sql).c_str());
    return;
  }
  if (!from_prepare || s.code() != Status::Code::kInvalidArgument) return;
  bool names_what = false;
  for (std::string_view what :
       {"table", "column", "index", "fork", "function"}) {
    names_what = names_what || s.message().find(what) != std::string::npos;
  }
  FUZZ_CHECK(names_what,
             "a Prepare error with neither LINE:COLUMN nor a name: '%s', "
             "statement %s",
             s.message().c_str(), Quote(sql).c_str());
}

// The length of the statement that failed to prepare at the front of
// `text`: up to the first ';' that completes it (sql::IsComplete) after some
// text that is more than blanks, comments and stray ';' (a prefix that
// Prepare finds empty), or all of it. Prepare does not touch the database.
size_t SkipBrokenStatement(Session* session, std::string_view text,
                           SourceLocation at) {
  for (size_t i = text.find(';'); i != std::string_view::npos;
       i = text.find(';', i + 1)) {
    const std::string_view prefix = text.substr(0, i + 1);
    if (!IsComplete(prefix)) continue;
    Result<Statement> stmt = session->Prepare(prefix, nullptr, at);
    if (!stmt.ok() || stmt->valid()) return i + 1;
  }
  return text.size();
}

// Binds the statement's parameters to a few kinds of values, and checks that
// an index out of range is refused.
void BindParameters(Statement* stmt) {
  const int count = stmt->parameter_count();
  FUZZ_CHECK(count >= 0, "parameter_count() %d", count);
  for (int i = 1; i <= count && i <= kParametersBoundMax; ++i) {
    Value value;
    switch (i % 4) {
      case 0:
        value = Value::Integer(i);
        break;
      case 1:
        value = Value::Text("p" + std::to_string(i));
        break;
      case 2:
        value = Value::Real(i + 0.5);
        break;
      default:
        break;  // NULL
    }
    Status s = stmt->Bind(i, std::move(value));
    FUZZ_CHECK(s.ok(), "Bind(%d) of %d parameters: %s", i, count,
               s.ToString().c_str());
  }
  for (int bad : {0, count + 1}) {
    Status s = stmt->Bind(bad, Value::Integer(1));
    FUZZ_CHECK(!s.ok(), "Bind(%d) of %d parameters succeeded", bad, count);
    CheckError(s, stmt->sql());
  }
}

// Steps `stmt` to its end (or until *rows reaches kRowsMax), checking
// invariants 2 and 5. Returns the statement's error, if it failed.
Status StepAll(Statement* stmt, uint64_t* rows) {
  const std::string sql(stmt->sql());
  for (;;) {
    if (*rows >= kRowsMax) return Status();  // the budget: stop here
    Result<bool> more = stmt->Step();
    if (!more.ok()) {
      CheckError(more.status(), sql);
      Result<bool> again = stmt->Step();
      FUZZ_CHECK(again.ok() && !*again,
                 "Step() after an error did not return false, statement %s",
                 Quote(sql).c_str());
      return more.status();
    }
    if (!*more) break;
    ++*rows;
    FUZZ_CHECK(stmt->returns_rows(), "a row from a statement without rows: %s",
               Quote(sql).c_str());
    const Row& row = stmt->row();
    FUZZ_CHECK(row.size() == stmt->column_count(),
               "a row of %zu values for %zu columns, statement %s", row.size(),
               stmt->column_count(), Quote(sql).c_str());
    for (size_t i = 0; i < row.size(); ++i) {
      FUZZ_CHECK(row[i].IsWellFormed(), "column %zu is not well formed: %s", i,
                 Quote(sql).c_str());
      // ValueText shows TEXT as is (forkdb/sql.h); every other type must
      // render without failing.
      const std::string text = ValueText(row[i]);
      FUZZ_CHECK(row[i].type() != Type::kText || text == row[i].text(),
                 "ValueText changed a TEXT value, statement %s",
                 Quote(sql).c_str());
    }
  }
  Result<bool> again = stmt->Step();
  FUZZ_CHECK(again.ok() && !*again,
             "Step() after the end did not return false, statement %s",
             Quote(sql).c_str());
  return Status();
}

void RunScript(std::string_view script) {
  Result<engine::Database> opened = engine::Database::Open();
  FUZZ_CHECK(opened.ok(), "Database::Open: %s",
             opened.status().ToString().c_str());
  engine::Database db = *opened;
  bool failed = false;
  {
    Session session(db);
    size_t offset = 0;
    SourceLocation at;
    uint64_t rows = 0;
    for (int statements = 0; offset < script.size() &&
                             statements < kStatementsMax && rows < kRowsMax;
         ++statements) {
      const std::string_view rest = script.substr(offset);
      size_t tail = 0;
      Result<Statement> stmt = session.Prepare(rest, &tail, at);
      size_t used = tail;
      if (!stmt.ok()) {
        failed = true;
        used = SkipBrokenStatement(&session, rest, at);
        const std::string_view text = rest.substr(0, used);
        CheckError(stmt.status(), text);
        CheckErrorPosition(stmt.status(), /*from_prepare=*/true, text, at,
                           Advance(at, text));
      } else {
        FUZZ_CHECK(tail > 0 && tail <= rest.size(),
                   "Prepare set tail %zu for %zu bytes of text %s", tail,
                   rest.size(), Quote(rest).c_str());
        if (stmt->valid()) {
          FUZZ_CHECK(!stmt->sql().empty(), "an empty statement text in %s",
                     Quote(rest.substr(0, tail)).c_str());
          BindParameters(&*stmt);
          Status s = StepAll(&*stmt, &rows);
          if (!s.ok()) {
            failed = true;
            const std::string_view text = rest.substr(0, tail);
            CheckErrorPosition(s, /*from_prepare=*/false, text, at,
                               Advance(at, text));
          }
        } else {
          FUZZ_CHECK(tail == rest.size(),
                     "an empty statement that ends at %zu of %zu", tail,
                     rest.size());
        }
      }
      offset += used;
      at = Advance(at, rest.substr(0, used));
    }
  }  // the session goes: an open transaction is rolled back
  if (!failed) return;
  Result<std::vector<std::string>> problems = db.Check();
  FUZZ_CHECK(problems.ok(), "Database::Check: %s",
             problems.status().ToString().c_str());
  if (!problems->empty()) {
    for (const std::string& p : *problems)
      std::fprintf(stderr, "sql_fuzz: check: %s\n", p.c_str());
  }
  FUZZ_CHECK(problems->empty(), "Database::Check found %zu problems",
             problems->size());
}

}  // namespace
}  // namespace forkdb::sql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > forkdb::sql::kInputBytesMax) return 0;
  forkdb::sql::RunScript(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
