// Executor: binds a parsed statement to the schema of the session's fork
// and runs it over the engine's public API (DESIGN.md: the front end knows
// the engine, never the pages below it).
//
// Atomicity (SQL.md: "the statement then has no effect at all"): a write in
// autocommit mode runs in its own engine transaction, committed only if the
// whole statement succeeded; inside BEGIN ... COMMIT it runs under a
// savepoint that is rolled back on error, which leaves the transaction open
// and usable.
//
// Planning: WHERE is split into AND-ed terms; a term comparing a key column
// with a value that does not depend on the row narrows the scan: equality
// on the whole primary key is a point read, on a leading part of it or a
// range on the next key column is a key-range scan, equality on the leading
// columns of an index is an index lookup; anything else scans the table.
// WHERE is always evaluated in full on each row read, so a plan only decides
// how many rows are read, never which rows qualify.
#ifndef FORKDB_SQL_EXECUTOR_H_
#define FORKDB_SQL_EXECUTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/sql.h"
#include "forkdb/status.h"
#include "sql-lite-frontend/ast.h"

namespace forkdb::sql {

// What a Session holds: shared by its Statements.
struct SessionState {
  engine::Database db;
  std::string fork;
  std::optional<engine::Transaction> txn;  // between BEGIN and COMMIT
  // The last snapshot read in autocommit mode, kept while it is the fork's
  // latest state: its tables stay open, so a prepared query run again costs
  // no catalog reads. Dropped before this session writes or reports space,
  // so that it pins no pages the session's own work would have to copy.
  std::optional<engine::Snapshot> snapshot;
  // Changes whenever the schema a statement sees may have changed (a new
  // snapshot or transaction, DDL, a failed write, another fork); a plan
  // checked at the current epoch need not be checked again.
  uint64_t epoch = 1;
  // The text of the statement running now, for the schema changes it makes.
  std::string_view statement;
};

struct Plan;  // executor.cc

// A prepared statement: the syntax tree, its plan, and its last result.
class Executable {
 public:
  explicit Executable(ParsedStatement parsed);
  ~Executable();

  // Binds against the session's current schema (called at prepare; Run()
  // binds again if the schema changed since). InvalidArgument for unknown
  // tables, columns or functions, naming them and where they are.
  Status Bind(SessionState& session);

  // Runs the statement with `params` (one per `?`): for a query, fills
  // rows(); for a write, changes(). Atomic (see the file comment).
  Status Run(SessionState& session, const std::vector<Value>& params);

  const ParsedStatement& parsed() const { return parsed_; }
  bool returns_rows() const;
  const std::vector<std::string>& column_names() const { return columns_; }
  std::vector<Row>& rows() { return rows_; }
  uint64_t changes() const { return changes_; }

 private:
  template <typename Rebind>
  Status RunBody(SessionState& session, const std::vector<Value>& params,
                 Rebind& rebind);

  ParsedStatement parsed_;
  std::unique_ptr<Plan> plan_;
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
  uint64_t changes_ = 0;
};

}  // namespace forkdb::sql

#endif  // FORKDB_SQL_EXECUTOR_H_
