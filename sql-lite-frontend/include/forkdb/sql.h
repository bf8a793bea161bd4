// The SQL API of forkdb: sessions that run the dialect of SQL.md over a
// Database, with prepared statements, `?` parameters and rows stepped one at a
// time (sqlite3_prepare / sqlite3_step, in the shape of forkdb's Status).
//
//   auto db = forkdb::engine::Database::Open();
//   forkdb::sql::Session session(*db);            // in fork "main"
//   session.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
//                   "INSERT INTO t VALUES (1, 'one');");
//   auto stmt = session.Prepare("SELECT v FROM t WHERE id = ?");
//   stmt->Bind(1, forkdb::engine::Value::Integer(1));
//   while (*stmt->Step()) use(stmt->row());   // check the Result in real code
//
// Transactions. Outside BEGIN ... COMMIT every statement is its own
// transaction (autocommit). Inside one, a statement that fails is undone by a
// savepoint and the transaction stays open and usable, as in SQLite. Either
// way a failed statement changes nothing.
//
// Errors come back as Status: a syntax error is InvalidArgument with
// "LINE:COLUMN: " leading its message; other errors name the table, column or
// fork at fault. Nothing is thrown.
//
// Threads. A Session and its Statements are used by one thread at a time;
// several Sessions over one Database may run on different threads (they
// share the engine's rules: one writer per fork, Busy for a second).
//
// Lifetimes. A Statement holds its Session's state; a Session outliving its
// Database handle keeps it open. A SELECT in autocommit mode reads one
// snapshot taken by its first Step(), so its rows never see later writes.
#ifndef FORKDB_SQL_H_
#define FORKDB_SQL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::sql {

using engine::Row;
using engine::Type;
using engine::Value;

// Where a piece of SQL text starts in its script, for error positions.
struct SourceLocation {
  int line = 1;
  int column = 1;
};

class Statement;

class Session {
 public:
  // A session over `db`, in fork `fork` (which need not exist yet: statements
  // that touch it fail until it does).
  explicit Session(engine::Database db,
                   std::string fork = std::string(engine::kMainFork));
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();  // rolls back an open transaction

  // Compiles the first statement of `sql`. `*tail` (if given) receives the
  // offset just past it (past its ';'), so a script runs statement by
  // statement. `start` is where `sql` begins in the caller's script; error
  // positions count from it. A `sql` holding only blanks and comments gives
  // an empty Statement (valid() false) and sets `*tail` to sql.size().
  // InvalidArgument for a syntax error or an unknown table or column; the
  // database is not touched, and `*tail` is still set past the failed
  // statement's ';' so a script can go on. O(size of the statement).
  Result<Statement> Prepare(std::string_view sql, size_t* tail = nullptr,
                            SourceLocation start = {});

  // Runs every statement of `sql` in order, handing each result row to
  // `on_row` (if given) with the statement's column names. Stops at the
  // first error and returns it; the statements before it stay done.
  using RowCallback = std::function<void(const std::vector<std::string>& names,
                                         const Row& row)>;
  Status Execute(std::string_view sql, const RowCallback& on_row = {});

  // The current fork (USE FORK changes it).
  const std::string& fork() const;
  // True between BEGIN and COMMIT or ROLLBACK.
  bool in_transaction() const;
  engine::Database& database();

  struct Rep;

 private:
  std::shared_ptr<Rep> rep_;
};

class Statement {
 public:
  Statement();
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  bool valid() const { return rep_ != nullptr; }
  // The statement's text, from its first token through its ';' if any.
  std::string_view sql() const;

  // `?` parameters, numbered from 1 in the order they appear. Binding is
  // allowed before the first Step() or after Reset(); unbound ones are NULL.
  // InvalidArgument for an index out of range.
  int parameter_count() const;
  Status Bind(int index, Value value);
  void ClearBindings();

  // Runs the statement, or advances it to its next row: true with a row in
  // row(), false when done. A statement that returns no rows does all its
  // work in the first Step() and returns false. After false or an error,
  // Step() returns false again until Reset(). An error leaves the database
  // as it was before the statement.
  Result<bool> Step();
  // Makes the statement ready to run again, keeping its bindings. A
  // statement reset before it finished changed nothing if it writes: writes
  // are done in full within the first Step().
  void Reset();

  // True for statements that produce rows (SELECT, SHOW).
  bool returns_rows() const;
  // The result's columns; known once prepared.
  size_t column_count() const;
  const std::string& column_name(size_t i) const;
  // The current row. REQUIRES: the last Step() returned true.
  const Row& row() const;
  // Rows inserted, updated or deleted by the last run.
  uint64_t changes() const;

  struct Rep;

 private:
  friend class Session;
  explicit Statement(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// True if `sql` ends with a complete statement: a ';' outside any string,
// quoted identifier or comment, with only blanks and comments after it (as
// sqlite3_complete). The shell uses it to know when to run what it has read.
bool IsComplete(std::string_view sql);

// A value as text, the way sqlite3 shows it: NULL as "", numbers in decimal
// (a REAL with 15 significant digits and always a '.' or exponent: 1.0,
// 0.3, 1.0e+20), TEXT as is, BLOB as its bytes, BOOLEAN as 1 or 0. This is
// also CAST(x AS TEXT).
std::string ValueText(const Value& value);

// `text` as a JSON string, with sqlite3's escapes: \" \\ \b \f \n \r \t,
// \u00XX for the other control bytes; every other byte as is.
std::string JsonString(std::string_view text);

}  // namespace forkdb::sql

#endif  // FORKDB_SQL_H_
