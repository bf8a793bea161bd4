// Tests of the SQL executor through the public API (forkdb/sql.h: Session
// and Statement): tables and rows, SELECT, every expression and function of
// SQL.md with its NULL handling, type enforcement, integer overflow and
// division by zero, prepared statements, transactions, forks, SHOW, plain
// ALTER TABLE and RENAME TABLE, the planner's choices, each compared with
// the same query forced to a full scan, and the binlog and replication
// statements (SHOW BINLOG, PURGE BINLOG, START/STOP/WAIT FOR REPLICATION,
// SHOW REPLICATION [CONFLICTS]) and the divergence statements (SHOW
// DIVERGENCE, SHOW DIVERGENT PAGES, SHOW DIFF).
//
// Every error path is checked for its message (what and where) and for
// atomicity: a dump of every table of the current fork (SHOW TABLES, SHOW
// CREATE TABLE, then every row in a fixed order) and of the fork list must be
// the same before and after the failing statement, in autocommit mode and
// inside BEGIN ... COMMIT (where the transaction must stay open and usable).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/sql.h"
#include "tests/engine/test_util.h"

namespace forkdb::sql {
namespace {

using Rows = std::vector<std::string>;

// A row as "v1, v2, ..." with Value::ToString(), so that types show: 1 is an
// INTEGER, 1.0 a REAL, '1' a TEXT, x'01' a BLOB.
std::string RowText(const Row& row) {
  std::string out;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ", ";
    out += row[i].ToString();
  }
  return out;
}

std::string Quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The rows of every statement of `sql` run in `session`; an error ends the
// list as "error: MESSAGE".
Rows Query(Session& session, std::string_view sql) {
  Rows out;
  const Status s = session.Execute(
      sql, [&](const std::vector<std::string>&, const Row& row) {
        out.push_back(RowText(row));
      });
  if (!s.ok()) out.push_back("error: " + s.message());
  return out;
}

// Everything a statement could change in the session's current fork: the
// fork list, then per table (SHOW TABLES) its SHOW CREATE TABLE text and its
// rows ordered by every column in turn (a total order, key included).
std::string Dump(Session& session) {
  std::string out;
  const Status f = session.Execute(
      "SHOW FORKS", [&](const std::vector<std::string>&, const Row& row) {
        out += "fork " + RowText({row[0], row[1], row[4]}) + "\n";
      });
  if (!f.ok()) return "error: " + f.ToString();
  std::vector<std::string> tables;
  const Status s = session.Execute(
      "SHOW TABLES", [&](const std::vector<std::string>&, const Row& row) {
        tables.push_back(std::string(row[0].bytes()));
      });
  if (!s.ok()) return "error: " + s.ToString();
  for (const std::string& t : tables) {
    out += "table " + t + "\n";
    for (const std::string& r :
         Query(session, "SHOW CREATE TABLE " + Quoted(t)))
      out += r + "\n";
    auto stmt = session.Prepare("SELECT * FROM " + Quoted(t));
    if (!stmt.ok()) return out + "error: " + stmt.status().ToString();
    std::string order;
    for (size_t i = 1; i <= stmt->column_count(); ++i)
      order += (i == 1 ? " ORDER BY " : ", ") + std::to_string(i);
    for (const std::string& r :
         Query(session, "SELECT * FROM " + Quoted(t) + order))
      out += "  " + r + "\n";
  }
  return out;
}

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = engine::Database::Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    session_ = std::make_unique<Session>(db_);
  }

  Session& session() { return *session_; }
  Status Exec(std::string_view sql) { return session_->Execute(sql); }
  Rows Q(std::string_view sql) { return Query(*session_, sql); }
  std::string Dump() { return sql::Dump(*session_); }

  // The one value of `SELECT expr`, as Value::ToString(); or the error.
  std::string V(std::string_view expr) {
    Rows rows = Q("SELECT " + std::string(expr));
    if (rows.size() != 1) return "<" + std::to_string(rows.size()) + " rows>";
    return rows[0];
  }

  // The column names of `sql`, known once prepared.
  std::vector<std::string> Names(std::string_view sql) {
    auto stmt = session_->Prepare(sql);
    if (!stmt.ok()) return {"error: " + stmt.status().message()};
    std::vector<std::string> names;
    for (size_t i = 0; i < stmt->column_count(); ++i)
      names.push_back(stmt->column_name(i));
    return names;
  }

  // A small schema most tests start from.
  void LoadSample() {
    ENGINE_ASSERT_OK(
        Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
             "  score REAL DEFAULT 0.0, tag TEXT UNIQUE, flag BOOLEAN);"
             "INSERT INTO t VALUES (1, 'one', 1.5, 'a', TRUE),"
             "  (2, 'two', 2.5, 'b', FALSE), (3, 'three', NULL, NULL, NULL);"
             "CREATE INDEX t_name ON t (name);"
             "CREATE TABLE p (a INTEGER, b TEXT, v BLOB, PRIMARY KEY (a, b));"
             "INSERT INTO p VALUES (1, 'x', x'01'), (1, 'y', NULL), "
             "  (2, 'x', x'0203');"));
  }

  // `sql` fails with `code` and a message holding `text`, and changes
  // nothing: in autocommit mode, and inside a transaction that already wrote
  // (which stays open, keeps its write, and can still be used).
  void ExpectFailsCleanly(std::string_view sql, Status::Code code,
                          std::string_view text) {
    ExpectFailsCleanly(sql, code, text, code, text);
  }
  // The same where the error inside a transaction differs (a statement
  // refused there: `txn_code` and `txn_text`).
  void ExpectFailsCleanly(std::string_view sql, Status::Code code,
                          std::string_view text, Status::Code txn_code,
                          std::string_view txn_text) {
    const std::string before = Dump();
    const Status s = Exec(sql);
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_NE(s.message().find(text), std::string::npos) << s.ToString();
    EXPECT_EQ(Dump(), before) << "autocommit: changed by " << sql;
    EXPECT_FALSE(session_->in_transaction());

    ENGINE_ASSERT_OK(
        Exec("BEGIN; CREATE TABLE zz_marker (k INTEGER PRIMARY KEY);"
             "INSERT INTO zz_marker VALUES (1);"));
    const std::string inside = Dump();
    const Status t = Exec(sql);
    EXPECT_EQ(t.code(), txn_code) << t.ToString();
    EXPECT_NE(t.message().find(txn_text), std::string::npos) << t.ToString();
    EXPECT_TRUE(session_->in_transaction()) << "the failure ended the "
                                               "transaction";
    EXPECT_EQ(Dump(), inside) << "in a transaction: changed by " << sql;
    ENGINE_ASSERT_OK(Exec("INSERT INTO zz_marker VALUES (2)"));
    EXPECT_EQ(Q("SELECT count(*) FROM zz_marker"), Rows{"2"});
    ENGINE_ASSERT_OK(Exec("ROLLBACK"));
    EXPECT_EQ(Dump(), before) << "after ROLLBACK";
  }

  engine::Database db_;
  std::unique_ptr<Session> session_;
};

#define EXPECT_SQL_FAILS_CLEANLY(sql, code, text)      \
  do {                                                 \
    SCOPED_TRACE(sql);                                 \
    ExpectFailsCleanly(sql, Status::Code::code, text); \
  } while (0)

// The same for a statement refused inside a transaction (txn_text names it).
#define EXPECT_SQL_FAILS_CLEANLY_REFUSED_IN_TXN(sql, code, text, txn_text) \
  do {                                                                     \
    SCOPED_TRACE(sql);                                                     \
    ExpectFailsCleanly(sql, Status::Code::code, text,                      \
                       Status::Code::kInvalidArgument,                     \
                       std::string(txn_text) +                             \
                           " is not allowed inside a transaction (COMMIT " \
                           "or ROLLBACK first)");                          \
  } while (0)

// ---------------------------------------------------------------------------
// Tables and rows.

TEST_F(ExecutorTest, EveryTypeRoundTripsThroughATable) {
  ENGINE_ASSERT_OK(Exec(
      "CREATE TABLE v (i INTEGER PRIMARY KEY, r REAL, t TEXT, b BLOB, "
      "f BOOLEAN);"
      "INSERT INTO v VALUES (-7, 2.5, 'it''s', x'00ff', TRUE);"
      "INSERT INTO v VALUES (9223372036854775807, -0.125, '', x'', FALSE);"
      "INSERT INTO v VALUES (-9223372036854775808, NULL, NULL, NULL, NULL);"));
  EXPECT_EQ(Q("SELECT * FROM v ORDER BY i"),
            (Rows{"-9223372036854775808, NULL, NULL, NULL, NULL",
                  "-7, 2.5, 'it''s', x'00ff', 1",
                  "9223372036854775807, -0.125, '', x'', 0"}));
  EXPECT_EQ(Q("SELECT typeof(i), typeof(r), typeof(t), typeof(b), typeof(f) "
              "FROM v WHERE i = -7"),
            (Rows{"'integer', 'real', 'text', 'blob', 'integer'"}));
}

TEST_F(ExecutorTest, ColumnPrimaryKeyRejectsADuplicate) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t VALUES (1, 'dup', 0.0, 'z', TRUE)",
                           kInvalidArgument,
                           "table t: duplicate primary key (1)");
}

TEST_F(ExecutorTest, TablePrimaryKeyRejectsOnlyADuplicatePair) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("INSERT INTO p VALUES (2, 'y', NULL)"));
  EXPECT_EQ(Q("SELECT a, b FROM p ORDER BY a, b"),
            (Rows{"1, 'x'", "1, 'y'", "2, 'x'", "2, 'y'"}));
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO p VALUES (1, 'x', x'ff')",
                           kInvalidArgument,
                           "table p: duplicate primary key (1, 'x')");
}

TEST_F(ExecutorTest, PrimaryKeyColumnsRejectNull) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO p VALUES (NULL, 'z', NULL)",
                           kInvalidArgument,
                           "column a: NULL in a NOT NULL column");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO p (a, v) VALUES (5, x'01')",
                           kInvalidArgument,
                           "column b: NULL in a NOT NULL column");
}

TEST_F(ExecutorTest, NotNullRejectsNullOnInsertAndUpdate) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id) VALUES (4)", kInvalidArgument,
                           "table t column name: NULL in a NOT NULL column");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET name = NULL WHERE id = 3",
                           kInvalidArgument,
                           "table t column name: NULL in a NOT NULL column");
}

TEST_F(ExecutorTest, DefaultsFillOmittedColumns) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE d (id INTEGER PRIMARY KEY, score REAL DEFAULT 0.0, "
           "tag TEXT DEFAULT 'none', n INTEGER DEFAULT -3, r REAL DEFAULT 5, "
           "b BLOB DEFAULT x'0a', plain TEXT);"
           "INSERT INTO d (id) VALUES (1);"
           "INSERT INTO d (id, tag) VALUES (2, NULL);"));
  EXPECT_EQ(Q("SELECT * FROM d ORDER BY id"),
            (Rows{"1, 0.0, 'none', -3, 5.0, x'0a', NULL",
                  "2, 0.0, NULL, -3, 5.0, x'0a', NULL"}));
}

TEST_F(ExecutorTest, UniqueColumnRejectsADuplicateButTakesManyNulls) {
  LoadSample();
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t (id, name, tag) VALUES (4, 'four', "
           "NULL), (5, 'five', NULL)"));
  EXPECT_EQ(Q("SELECT count(*) FROM t WHERE tag IS NULL"), Rows{"3"});
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name, tag) VALUES (6, 'six', 'a')", kInvalidArgument,
      "table t: unique index t_tag_key: duplicate value ('a')");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET tag = 'a' WHERE id = 2",
                           kInvalidArgument,
                           "unique index t_tag_key: duplicate value ('a')");
}

TEST_F(ExecutorTest, TableUniqueConstraintCoversTheColumnPair) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE u (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, "
           "UNIQUE (a, b));"
           "INSERT INTO u VALUES (1, 1, 1), (2, 1, 2), (3, 2, 1);"));
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO u VALUES (4, 1, 2)", kInvalidArgument,
                           "unique index u_a_b_key: duplicate value (1, 2)");
}

TEST_F(ExecutorTest, CreateTableIfNotExistsKeepsTheExistingTable) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("CREATE TABLE IF NOT EXISTS t (x TEXT)"));
  EXPECT_EQ(Names("SELECT * FROM t"),
            (std::vector<std::string>{"id", "name", "score", "tag", "flag"}));
  EXPECT_EQ(Q("SELECT count(*) FROM t"), Rows{"3"});
  EXPECT_SQL_FAILS_CLEANLY("CREATE TABLE t (x TEXT)", kInvalidArgument,
                           "table t already exists");
  EXPECT_SQL_FAILS_CLEANLY("CREATE TABLE T (x TEXT)", kInvalidArgument,
                           "already exists");
}

TEST_F(ExecutorTest, CreateTableErrorsNameTheTableAndColumn) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY(
      "CREATE TABLE z (a INTEGER PRIMARY KEY, b INTEGER PRIMARY KEY)",
      kInvalidArgument, "table z has more than one primary key");
  EXPECT_SQL_FAILS_CLEANLY(
      "CREATE TABLE z (a INTEGER PRIMARY KEY, b INTEGER, PRIMARY KEY (b))",
      kInvalidArgument, "table z has more than one primary key");
  EXPECT_SQL_FAILS_CLEANLY("CREATE TABLE z (a INTEGER DEFAULT 'x')",
                           kInvalidArgument,
                           "table z column a: default 'x' is not INTEGER");
  EXPECT_SQL_FAILS_CLEANLY("CREATE TABLE z (a INTEGER, PRIMARY KEY (b))",
                           kInvalidArgument, "b");
  EXPECT_SQL_FAILS_CLEANLY("CREATE TABLE z (a INTEGER, A TEXT)",
                           kInvalidArgument, "A");
  EXPECT_SQL_FAILS_CLEANLY(
      "CREATE TABLE z (a INTEGER UNIQUE, b INTEGER UNIQUE, "
      "c INTEGER, UNIQUE (nope))",
      kInvalidArgument, "nope");
}

TEST_F(ExecutorTest, DropTableIfExistsIgnoresAMissingTable) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("DROP TABLE IF EXISTS nope"));
  ENGINE_ASSERT_OK(Exec("DROP TABLE IF EXISTS p"));
  EXPECT_EQ(Q("SHOW TABLES"), Rows{"'t'"});
  EXPECT_SQL_FAILS_CLEANLY("DROP TABLE nope", kNotFound,
                           "table nope does not exist");
  ENGINE_ASSERT_OK(Exec("DROP TABLE T"));
  EXPECT_EQ(Q("SHOW TABLES"), Rows{});
}

TEST_F(ExecutorTest, IndexesAreCreatedAndDropped) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("CREATE INDEX t_score ON t (score, name)"));
  ENGINE_ASSERT_OK(Exec("CREATE INDEX IF NOT EXISTS t_score ON t (tag)"));
  EXPECT_EQ(Q("SHOW CREATE TABLE t"),
            Rows{"'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "score REAL DEFAULT 0.0, tag TEXT, flag BOOLEAN);\n"
                 "CREATE UNIQUE INDEX t_tag_key ON t (tag);\n"
                 "CREATE INDEX t_name ON t (name);\n"
                 "CREATE INDEX t_score ON t (score, name)'"});
  EXPECT_SQL_FAILS_CLEANLY("CREATE INDEX t_score ON t (tag)", kInvalidArgument,
                           "t_score");
  EXPECT_SQL_FAILS_CLEANLY("CREATE INDEX i ON t (nope)", kInvalidArgument,
                           "nope");
  EXPECT_SQL_FAILS_CLEANLY("CREATE INDEX i ON nope (a)", kNotFound, "nope");
  EXPECT_SQL_FAILS_CLEANLY("CREATE UNIQUE INDEX pa ON p (a)", kInvalidArgument,
                           "pa");
  ENGINE_ASSERT_OK(Exec("DROP INDEX t_score"));
  ENGINE_ASSERT_OK(Exec("DROP INDEX IF EXISTS t_score"));
  EXPECT_SQL_FAILS_CLEANLY("DROP INDEX t_score", kNotFound, "t_score");
  ENGINE_ASSERT_OK(Exec("CREATE UNIQUE INDEX pv ON p (v)"));
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO p VALUES (9, 'q', x'01')",
                           kInvalidArgument, "unique index pv");
}

TEST_F(ExecutorTest, InsertFormsAndChangeCounts) {
  ENGINE_ASSERT_OK(Exec(
      "CREATE TABLE f (a INTEGER PRIMARY KEY, b TEXT, c REAL DEFAULT 9.5)"));
  auto multi = session().Prepare(
      "INSERT INTO f VALUES (1, 'x', 1), (2, 'y', "
      "2.5), (3, NULL, NULL)");
  ASSERT_TRUE(multi.ok()) << multi.status().ToString();
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, multi->Step());
  EXPECT_FALSE(row);
  EXPECT_EQ(multi->changes(), 3u);
  ENGINE_ASSERT_OK(Exec("INSERT INTO f (b, a) VALUES ('z', 10)"));
  EXPECT_EQ(
      Q("SELECT * FROM f ORDER BY a"),
      (Rows{"1, 'x', 1.0", "2, 'y', 2.5", "3, NULL, NULL", "10, 'z', 9.5"}));
}

TEST_F(ExecutorTest, IntegerPrimaryKeyIsNumberedWhenOmittedOrNull) {
  ENGINE_ASSERT_OK(Exec("CREATE TABLE n (id INTEGER PRIMARY KEY, v TEXT)"));
  ENGINE_ASSERT_OK(Exec("INSERT INTO n (v) VALUES ('a')"));
  ENGINE_ASSERT_OK(Exec("INSERT INTO n (v) VALUES ('b'), ('c')"));
  ENGINE_ASSERT_OK(Exec("INSERT INTO n VALUES (10, 'd')"));
  ENGINE_ASSERT_OK(Exec("INSERT INTO n VALUES (NULL, 'e')"));
  ENGINE_ASSERT_OK(Exec("INSERT INTO n (id, v) VALUES (-5, 'f')"));
  ENGINE_ASSERT_OK(Exec("INSERT INTO n (v) VALUES ('g')"));
  EXPECT_EQ(Q("SELECT * FROM n ORDER BY id"),
            (Rows{"-5, 'f'", "1, 'a'", "2, 'b'", "3, 'c'", "10, 'd'", "11, 'e'",
                  "12, 'g'"}));
}

TEST_F(ExecutorTest, TableWithoutPrimaryKeyKeepsDuplicateRows) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE h (a INTEGER, b TEXT);"
           "INSERT INTO h VALUES (1, 'x'), (1, 'x'), (2, NULL);"));
  EXPECT_EQ(Q("SELECT * FROM h ORDER BY a"),
            (Rows{"1, 'x'", "1, 'x'", "2, NULL"}));
  ENGINE_ASSERT_OK(Exec("UPDATE h SET b = 'y' WHERE a = 1"));
  ENGINE_ASSERT_OK(Exec("DELETE FROM h WHERE b IS NULL"));
  EXPECT_EQ(Q("SELECT * FROM h"), (Rows{"1, 'y'", "1, 'y'"}));
}

TEST_F(ExecutorTest, InsertShapeErrorsNameTheTableAndColumn) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t VALUES (5, 'x')", kInvalidArgument,
                           "table t has 5 columns but 2 values were supplied");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id, name) VALUES (5, 'x', 1)",
                           kInvalidArgument, "3 values for 2 columns");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id, nope) VALUES (5, 1)",
                           kInvalidArgument,
                           "table t has no column named nope");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id, name, ID) VALUES (5, 'x', 6)",
                           kInvalidArgument, "column id is named twice");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t VALUES (5, 'x', 1.0, 'q', nope)",
                           kInvalidArgument, "1:41: no such column: nope");
}

TEST_F(ExecutorTest, MultiRowInsertWithABadRowInsertsNothing) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name) VALUES (10, 'ten'), (11, 'eleven'), "
      "(10, 'again')",
      kInvalidArgument, "duplicate primary key (10)");
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name) VALUES (10, 'ten'), (11, 12)", kInvalidArgument,
      "column name: expected TEXT, got INTEGER 12");
}

TEST_F(ExecutorTest, UpdateSetsColumnsFromTheOldRow) {
  LoadSample();
  auto stmt = session().Prepare(
      "UPDATE t SET name = tag, tag = name, score = score * 2 WHERE id < 3");
  ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  EXPECT_FALSE(row);
  EXPECT_EQ(stmt->changes(), 2u);
  EXPECT_EQ(Q("SELECT id, name, tag, score FROM t ORDER BY id"),
            (Rows{"1, 'a', 'one', 3.0", "2, 'b', 'two', 5.0",
                  "3, 'three', NULL, NULL"}));
}

TEST_F(ExecutorTest, UpdateCanMoveARowToANewKey) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("UPDATE t SET id = 30 WHERE id = 3"));
  EXPECT_EQ(Q("SELECT id, name FROM t ORDER BY id"),
            (Rows{"1, 'one'", "2, 'two'", "30, 'three'"}));
  // The index follows the row.
  EXPECT_EQ(Q("SELECT id FROM t WHERE name = 'three'"), Rows{"30"});
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET id = 2 WHERE id = 1", kInvalidArgument,
                           "duplicate primary key (2)");
}

TEST_F(ExecutorTest, UpdateAndDeleteCountTheRowsTheyTouch) {
  LoadSample();
  auto upd = session().Prepare("UPDATE t SET score = 0 WHERE score IS NULL");
  ASSERT_TRUE(upd.ok());
  ENGINE_ASSERT_OK(upd->Step().status());
  EXPECT_EQ(upd->changes(), 1u);
  auto none = session().Prepare("UPDATE t SET score = 0 WHERE id > 100");
  ASSERT_TRUE(none.ok());
  ENGINE_ASSERT_OK(none->Step().status());
  EXPECT_EQ(none->changes(), 0u);
  auto del = session().Prepare("DELETE FROM t WHERE flag IS NOT NULL");
  ASSERT_TRUE(del.ok());
  ENGINE_ASSERT_OK(del->Step().status());
  EXPECT_EQ(del->changes(), 2u);
  EXPECT_EQ(Q("SELECT id, score FROM t"), Rows{"3, 0.0"});
  auto all = session().Prepare("DELETE FROM p");
  ASSERT_TRUE(all.ok());
  ENGINE_ASSERT_OK(all->Step().status());
  EXPECT_EQ(all->changes(), 3u);
  EXPECT_EQ(Q("SELECT * FROM p"), Rows{});
}

TEST_F(ExecutorTest, UpdateAndDeleteErrorsNameTheColumn) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET nope = 1", kInvalidArgument,
                           "no such column: nope");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET name = 'x' WHERE nope = 1",
                           kInvalidArgument, "1:31: no such column: nope");
  EXPECT_SQL_FAILS_CLEANLY("DELETE FROM t WHERE nope = 1", kInvalidArgument,
                           "1:21: no such column: nope");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET score = nope(1)", kInvalidArgument,
                           "1:22: no such function: nope");
  EXPECT_SQL_FAILS_CLEANLY("DELETE FROM t WHERE count(*) > 0", kInvalidArgument,
                           "1:21: misuse of aggregate function count()");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET score = p.a", kInvalidArgument,
                           "no such column: p.a");
}

TEST_F(ExecutorTest, UnknownTableIsInvalidArgumentNamingIt) {
  // forkdb/sql.h: Prepare is InvalidArgument for an unknown table.
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("SELECT * FROM nope", kInvalidArgument,
                           "no such table: nope");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO nope VALUES (1)", kInvalidArgument,
                           "no such table: nope");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE nope SET a = 1", kInvalidArgument,
                           "no such table: nope");
  EXPECT_SQL_FAILS_CLEANLY("DELETE FROM nope", kInvalidArgument,
                           "no such table: nope");
}

// ---------------------------------------------------------------------------
// SELECT.

TEST_F(ExecutorTest, WhereKeepsOnlyRowsThatAreTrue) {
  LoadSample();
  EXPECT_EQ(Q("SELECT id FROM t WHERE score > 2 ORDER BY id"), Rows{"2"});
  // NULL is not true: row 3 is in neither.
  EXPECT_EQ(Q("SELECT id FROM t WHERE score < 2 ORDER BY id"), Rows{"1"});
  EXPECT_EQ(Q("SELECT id FROM t WHERE NOT (score < 2) ORDER BY id"), Rows{"2"});
  EXPECT_EQ(Q("SELECT id FROM t WHERE score IS NULL OR id = 1 ORDER BY id"),
            (Rows{"1", "3"}));
  EXPECT_EQ(Q("SELECT id FROM t WHERE 'abc' ORDER BY id"), Rows{});
  EXPECT_EQ(Q("SELECT id FROM t WHERE '2x' ORDER BY id"),
            (Rows{"1", "2", "3"}));
  EXPECT_EQ(Q("SELECT id FROM t WHERE flag ORDER BY id"), Rows{"1"});
}

TEST_F(ExecutorTest, GroupByWithEveryAggregate) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE g (id INTEGER PRIMARY KEY, k TEXT, n INTEGER, r REAL);"
           "INSERT INTO g VALUES (1, 'a', 1, 0.5), (2, 'a', 2, NULL), "
           "(3, 'b', NULL, 1.5), (4, 'b', 4, 2.5), (5, NULL, 5, NULL), "
           "(6, 'a', 3, 1.0);"));
  EXPECT_EQ(Q("SELECT k, count(*), count(n), sum(n), total(n), avg(n), "
              "min(n), max(n), sum(r) FROM g GROUP BY k ORDER BY k"),
            (Rows{"NULL, 1, 1, 5, 5.0, 5.0, 5, 5, NULL",
                  "'a', 3, 3, 6, 6.0, 2.0, 1, 3, 1.5",
                  "'b', 2, 1, 4, 4.0, 4.0, 4, 4, 4.0"}));
  EXPECT_EQ(Q("SELECT k, sum(n) AS s FROM g GROUP BY k HAVING sum(n) > 4 "
              "ORDER BY s DESC"),
            (Rows{"'a', 6", "NULL, 5"}));
  EXPECT_EQ(Q("SELECT n % 2, count(*) FROM g WHERE n IS NOT NULL "
              "GROUP BY n % 2 ORDER BY 1"),
            (Rows{"0, 2", "1, 3"}));
  EXPECT_EQ(Q("SELECT count(*), min(k), max(k), max(r) FROM g"),
            Rows{"6, 'a', 'b', 2.5"});
  EXPECT_EQ(Q("SELECT k AS key, count(*) FROM g GROUP BY key ORDER BY 2, 1"),
            (Rows{"NULL, 1", "'b', 2", "'a', 3"}));
}

TEST_F(ExecutorTest, AggregatesOverNoRowsGiveOneRow) {
  ENGINE_ASSERT_OK(Exec("CREATE TABLE e (id INTEGER PRIMARY KEY, n INTEGER)"));
  EXPECT_EQ(Q("SELECT count(*), count(n), sum(n), total(n), avg(n), min(n), "
              "max(n) FROM e"),
            Rows{"0, 0, NULL, 0.0, NULL, NULL, NULL"});
  EXPECT_EQ(Q("SELECT n, count(*) FROM e GROUP BY n"), Rows{});
  EXPECT_EQ(Q("SELECT count(*) FROM e HAVING count(*) > 0"), Rows{});
  EXPECT_EQ(V("count(*)"), "1");
}

TEST_F(ExecutorTest, AggregateErrors) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("SELECT sum(count(*)) FROM t", kInvalidArgument,
                           "1:12: misuse of aggregate function count()");
  EXPECT_SQL_FAILS_CLEANLY("SELECT id FROM t WHERE max(id) > 1",
                           kInvalidArgument,
                           "1:24: misuse of aggregate function max()");
  EXPECT_SQL_FAILS_CLEANLY("SELECT id FROM t HAVING id > 1", kInvalidArgument,
                           "1:28: HAVING needs GROUP BY or an aggregate");
  EXPECT_SQL_FAILS_CLEANLY(
      "SELECT count(id, name) FROM t", kInvalidArgument,
      "1:8: wrong number of arguments to function count()");
  EXPECT_SQL_FAILS_CLEANLY("SELECT sum(*) FROM t", kInvalidArgument,
                           "wrong number of arguments to function sum()");
  EXPECT_SQL_FAILS_CLEANLY("SELECT count(*) FROM t GROUP BY 1",
                           kInvalidArgument,
                           "aggregate functions are not allowed in GROUP BY");
}

TEST_F(ExecutorTest, SumOverflowIsAnErrorAndTotalIsNot) {
  ENGINE_ASSERT_OK(Exec(
      "CREATE TABLE big (id INTEGER PRIMARY KEY, n INTEGER);"
      "INSERT INTO big VALUES (1, 9223372036854775807), (2, 1), (3, -5);"));
  EXPECT_EQ(Q("SELECT sum(n) FROM big"), Rows{"error: 1:8: integer overflow"});
  EXPECT_EQ(Q("SELECT total(n) FROM big"), Rows{"9223372036854775808.0"});
  EXPECT_EQ(Q("SELECT sum(n) FROM big WHERE id > 1"), Rows{"-4"});
}

TEST_F(ExecutorTest, OrderByDirectionsOrdinalsAndAliases) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE o (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);"
           "INSERT INTO o VALUES (1, 2, 'x'), (2, NULL, 'y'), (3, 1, 'y'), "
           "(4, 2, 'a'), (5, NULL, NULL);"));
  // NULL sorts first ascending, last descending.
  EXPECT_EQ(Q("SELECT id FROM o ORDER BY a, id"),
            (Rows{"2", "5", "3", "1", "4"}));
  EXPECT_EQ(Q("SELECT id FROM o ORDER BY a DESC, b ASC"),
            (Rows{"4", "1", "3", "5", "2"}));
  EXPECT_EQ(Q("SELECT b, id FROM o ORDER BY 1 DESC, 2"),
            (Rows{"'y', 2", "'y', 3", "'x', 1", "'a', 4", "NULL, 5"}));
  EXPECT_EQ(Q("SELECT id, -id AS neg FROM o ORDER BY neg LIMIT 2"),
            (Rows{"5, -5", "4, -4"}));
  EXPECT_EQ(Q("SELECT id FROM o ORDER BY b || id"),
            (Rows{"5", "4", "1", "2", "3"}));
  EXPECT_SQL_FAILS_CLEANLY(
      "SELECT id FROM o ORDER BY 2", kInvalidArgument,
      "1:27: term out of range: should be between 1 and 1");
  EXPECT_SQL_FAILS_CLEANLY("SELECT id FROM o ORDER BY 0", kInvalidArgument,
                           "term out of range");
}

TEST_F(ExecutorTest, TextOrdersBytewiseAndTypesOrderNumbersTextBlobs) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);"
           "INSERT INTO s VALUES (1, 'b'), (2, 'B'), (3, 'a'), (4, 'é'), "
           "(5, 'ab'), (6, '');"));
  EXPECT_EQ(Q("SELECT v FROM s ORDER BY v"),
            (Rows{"''", "'B'", "'a'", "'ab'", "'b'", "'é'"}));
  EXPECT_EQ(V("1 < 'a'"), "1");
  EXPECT_EQ(V("'a' < x'00'"), "1");
  EXPECT_EQ(V("9.5 < 10"), "1");
}

TEST_F(ExecutorTest, LimitAndOffset) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE l (id INTEGER PRIMARY KEY);"
           "INSERT INTO l VALUES (1), (2), (3), (4), (5);"));
  EXPECT_EQ(Q("SELECT id FROM l LIMIT 2"), (Rows{"1", "2"}));
  EXPECT_EQ(Q("SELECT id FROM l LIMIT 2 OFFSET 3"), (Rows{"4", "5"}));
  EXPECT_EQ(Q("SELECT id FROM l ORDER BY id DESC LIMIT 2 OFFSET 1"),
            (Rows{"4", "3"}));
  EXPECT_EQ(Q("SELECT id FROM l LIMIT 1, 2"), (Rows{"2", "3"}));
  EXPECT_EQ(Q("SELECT id FROM l LIMIT 0"), Rows{});
  EXPECT_EQ(Q("SELECT id FROM l LIMIT -1 OFFSET 4"), Rows{"5"});
  EXPECT_EQ(Q("SELECT id FROM l LIMIT 10 OFFSET 10"), Rows{});
  EXPECT_EQ(Q("SELECT id FROM l LIMIT 1 + 1"), (Rows{"1", "2"}));
  EXPECT_SQL_FAILS_CLEANLY("SELECT id FROM l LIMIT 'x'", kInvalidArgument,
                           "1:24: LIMIT must be an integer");
  EXPECT_SQL_FAILS_CLEANLY("SELECT id FROM l LIMIT 1 OFFSET 1.5",
                           kInvalidArgument, "1:33: OFFSET must be an integer");
  EXPECT_SQL_FAILS_CLEANLY("SELECT id FROM l LIMIT id", kInvalidArgument,
                           "no such column: id");
}

TEST_F(ExecutorTest, DistinctRemovesDuplicateRowsWithNullsEqual) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE d (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);"
           "INSERT INTO d VALUES (1, 1, 'x'), (2, 1, 'x'), (3, NULL, NULL), "
           "(4, NULL, NULL), (5, 1, 'y');"));
  EXPECT_EQ(Q("SELECT DISTINCT a, b FROM d ORDER BY a, b"),
            (Rows{"NULL, NULL", "1, 'x'", "1, 'y'"}));
  EXPECT_EQ(Q("SELECT DISTINCT a FROM d ORDER BY a LIMIT 1 OFFSET 1"),
            Rows{"1"});
}

TEST_F(ExecutorTest, SelectWithoutFromGivesOneRow) {
  EXPECT_EQ(Q("SELECT 1 + 1, 'a' || 'b', NULL"), Rows{"2, 'ab', NULL"});
  EXPECT_EQ(Q("SELECT 1 WHERE 0"), Rows{});
  EXPECT_EQ(Q("SELECT 1 WHERE NULL"), Rows{});
  EXPECT_EQ(Q("SELECT 1 WHERE 1 = 1"), Rows{"1"});
  EXPECT_EQ(Q("SELECT nope"), Rows{"error: 1:8: no such column: nope"});
  EXPECT_EQ(Q("SELECT *"), Rows{"error: 1:8: * needs a FROM clause"});
}

TEST_F(ExecutorTest, WhereAndHavingMayNameResultAliases) {
  // As in SQLite: an alias stands for its expression; a table column of the
  // same name wins; an alias of an aggregate cannot be used in WHERE.
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE a (x INTEGER, y INTEGER);"
           "INSERT INTO a VALUES (1, 10), (2, 20), (3, 30);"));
  EXPECT_EQ(Q("SELECT x * 2 AS k FROM a WHERE k > 2 ORDER BY k"),
            (Rows{"4", "6"}));
  EXPECT_EQ(Q("SELECT x % 2 AS odd, count(*) AS n FROM a GROUP BY odd "
              "HAVING n > 1"),
            Rows{"1, 2"});
  EXPECT_EQ(Q("SELECT y AS x FROM a WHERE x = 2"), Rows{"20"});
  EXPECT_EQ(Q("SELECT count(*) AS n FROM a WHERE n > 1"),
            Rows{"error: 1:35: misuse of aggregate: n"});
}

TEST_F(ExecutorTest, CommitHookSeesEachSchemaChangesStatementText) {
  // The binlog's DDL events carry the statement: the session gives the
  // engine each statement's text, in autocommit mode and inside BEGIN.
  std::vector<std::string> statements;
  session_->database().SetCommitHook(
      [&](const forkdb::engine::ChangeSet& c,
          forkdb::engine::CommitContext&) -> Status {
        for (const auto& change : c.changes)
          if (const auto* s =
                  std::get_if<forkdb::engine::SchemaChange>(&change))
            statements.push_back(s->statement);
        return Status();
      });
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE h (a INTEGER PRIMARY KEY, b TEXT UNIQUE);"
           "BEGIN; INSERT INTO h VALUES (1, 'x');"
           "ALTER TABLE h ADD COLUMN c INTEGER; COMMIT;"));
  session_->database().SetCommitHook({});
  EXPECT_EQ(statements,
            (std::vector<std::string>{
                "CREATE TABLE h (a INTEGER PRIMARY KEY, b TEXT UNIQUE);",
                "CREATE TABLE h (a INTEGER PRIMARY KEY, b TEXT UNIQUE);",
                "ALTER TABLE h ADD COLUMN c INTEGER;"}));
}

TEST_F(ExecutorTest, SubstrOfAnEmptyBlobIsNullAsInSqlite) {
  EXPECT_EQ(Q("SELECT substr(x'', 1) IS NULL, substr('', 1), "
              "substr(x'0102', 2)"),
            Rows{"1, '', x'02'"});
}

TEST_F(ExecutorTest, ResultColumnsAreNamedByAliasColumnOrText) {
  LoadSample();
  EXPECT_EQ(Names("SELECT * FROM t"),
            (std::vector<std::string>{"id", "name", "score", "tag", "flag"}));
  EXPECT_EQ(Names("SELECT ID, t.Name, x.tag FROM t AS x"),
            (std::vector<std::string>{"ID", "Name", "tag"}));
  EXPECT_EQ(Names("SELECT id + 1, count(*) AS n, score s, 'a' AS 'quoted', "
                  "lower( name ) FROM t"),
            (std::vector<std::string>{"id + 1", "n", "s", "quoted",
                                      "lower( name )"}));
  EXPECT_EQ(Names("SELECT 1, *, 2 FROM p"),
            (std::vector<std::string>{"1", "a", "b", "v", "2"}));
  EXPECT_EQ(Names("SHOW TABLES"), std::vector<std::string>{"name"});
  EXPECT_EQ(Names("SHOW CREATE TABLE t"), std::vector<std::string>{"sql"});
  EXPECT_EQ(Names("INSERT INTO p VALUES (1, 'a', NULL)"),
            std::vector<std::string>{});
}

TEST_F(ExecutorTest, TableAliasQualifiesColumns) {
  LoadSample();
  EXPECT_EQ(Q("SELECT x.id FROM t x WHERE x.id = 2"), Rows{"2"});
  EXPECT_EQ(Q("SELECT t.id FROM t WHERE T.id = 2"), Rows{"2"});
  EXPECT_EQ(Q("SELECT y.id FROM t x"),
            Rows{"error: 1:8: no such column: y.id"});
}

// ---------------------------------------------------------------------------
// Expressions and functions.

TEST_F(ExecutorTest, IntegerAndRealArithmetic) {
  EXPECT_EQ(V("1 + 2 * 3"), "7");
  EXPECT_EQ(V("7 / 2"), "3");
  EXPECT_EQ(V("-7 / 2"), "-3");
  EXPECT_EQ(V("7.0 / 2"), "3.5");
  EXPECT_EQ(V("7 % 3"), "1");
  EXPECT_EQ(V("-7 % 3"), "-1");
  EXPECT_EQ(V("7 % -3"), "1");
  EXPECT_EQ(V("7.5 % 2"), "1.0");
  EXPECT_EQ(V("2.5 + 1"), "3.5");
  EXPECT_EQ(V("1 - 0.5"), "0.5");
  EXPECT_EQ(V("-(3)"), "-3");
  EXPECT_EQ(V("+'x'"), "'x'");
  EXPECT_EQ(V("'3' + 4"), "7");
  EXPECT_EQ(V("'2.5x' * 2"), "5.0");
  EXPECT_EQ(V("9223372036854775807 + 1.0"), "9223372036854775808.0");
}

TEST_F(ExecutorTest, NullPropagatesThroughArithmeticAndConcat) {
  EXPECT_EQ(V("NULL + 1"), "NULL");
  EXPECT_EQ(V("1 - NULL"), "NULL");
  EXPECT_EQ(V("NULL * 0"), "NULL");
  EXPECT_EQ(V("NULL / 0"), "NULL");
  EXPECT_EQ(V("5 % NULL"), "NULL");
  EXPECT_EQ(V("-NULL"), "NULL");
  EXPECT_EQ(V("NULL || 'a'"), "NULL");
  EXPECT_EQ(V("'a' || 1 || 2.5 || x'41'"), "'a12.5A'");
}

TEST_F(ExecutorTest, IntegerOverflowIsAnErrorAtTheOperator) {
  EXPECT_EQ(V("9223372036854775807 + 1"), "error: 1:28: integer overflow");
  EXPECT_EQ(V("-9223372036854775808 - 1"), "error: 1:29: integer overflow");
  EXPECT_EQ(V("4611686018427387904 * 2"), "error: 1:28: integer overflow");
  EXPECT_EQ(V("-(-9223372036854775808)"), "error: 1:8: integer overflow");
  EXPECT_EQ(V("(-9223372036854775808) / -1"), "error: 1:31: integer overflow");
  EXPECT_EQ(V("abs(-9223372036854775808)"), "error: 1:8: integer overflow");
  EXPECT_EQ(V("-9223372036854775808 % -1"), "0");
  EXPECT_EQ(V("9223372036854775807 + 0"), "9223372036854775807");
  EXPECT_EQ(V("-9223372036854775807 - 1"), "-9223372036854775808");
}

TEST_F(ExecutorTest, DivisionByZeroIsAnErrorAtTheOperator) {
  EXPECT_EQ(V("1 / 0"), "error: 1:10: division by zero");
  EXPECT_EQ(V("1 % 0"), "error: 1:10: division by zero");
  EXPECT_EQ(V("1.5 / 0"), "error: 1:12: division by zero");
  EXPECT_EQ(V("1 / 0.0"), "error: 1:10: division by zero");
  EXPECT_EQ(V("5 % 0.5"), "error: 1:10: division by zero");
  EXPECT_EQ(V("1 / 'x'"), "error: 1:10: division by zero");
}

TEST_F(ExecutorTest, FailedArithmeticInAWriteChangesNothing) {
  LoadSample();
  // Row 1 is updated before row 2 fails: the statement is undone as a whole.
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET id = id / (id - 2)", kInvalidArgument,
                           "1:22: division by zero");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET id = id * 4611686018427387904",
                           kInvalidArgument, "1:22: integer overflow");
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name) VALUES (4, 'x'), (9223372036854775807 + 1, "
      "'y')",
      kInvalidArgument, "integer overflow");
  EXPECT_SQL_FAILS_CLEANLY("DELETE FROM t WHERE 1 / (id - 3) = 0",
                           kInvalidArgument, "division by zero");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO p VALUES (5 % 0, 'z', NULL)",
                           kInvalidArgument, "division by zero");
}

TEST_F(ExecutorTest, ComparisonsFollowSqlite) {
  EXPECT_EQ(V("1 = 1.0"), "1");
  EXPECT_EQ(V("1 == 1"), "1");
  EXPECT_EQ(V("1 != 2"), "1");
  EXPECT_EQ(V("1 <> 1"), "0");
  EXPECT_EQ(V("2 < 10"), "1");
  EXPECT_EQ(V("'2' < '10'"), "0");
  EXPECT_EQ(V("'B' < 'a'"), "1");
  EXPECT_EQ(V("'abc' >= 'abc'"), "1");
  EXPECT_EQ(V("x'01' <= x'0100'"), "1");
  EXPECT_EQ(V("NULL = NULL"), "NULL");
  EXPECT_EQ(V("NULL <> 1"), "NULL");
  EXPECT_EQ(V("1 > NULL"), "NULL");
  EXPECT_EQ(V("TRUE = 1"), "1");
  EXPECT_EQ(V("FALSE"), "0");
}

TEST_F(ExecutorTest, LogicIsThreeValued) {
  EXPECT_EQ(V("NULL AND 0"), "0");
  EXPECT_EQ(V("0 AND NULL"), "0");
  EXPECT_EQ(V("NULL AND 1"), "NULL");
  EXPECT_EQ(V("1 AND 1"), "1");
  EXPECT_EQ(V("NULL OR 1"), "1");
  EXPECT_EQ(V("NULL OR 0"), "NULL");
  EXPECT_EQ(V("0 OR 0"), "0");
  EXPECT_EQ(V("NOT NULL"), "NULL");
  EXPECT_EQ(V("NOT 0"), "1");
  EXPECT_EQ(V("NOT 2.5"), "0");
  EXPECT_EQ(V("NOT 'abc'"), "1");
  // The short cut skips an error on the other side.
  EXPECT_EQ(V("0 AND 1 / 0"), "0");
  EXPECT_EQ(V("1 OR 1 / 0"), "1");
}

TEST_F(ExecutorTest, IsNullAndIsNotNull) {
  EXPECT_EQ(V("NULL IS NULL"), "1");
  EXPECT_EQ(V("0 IS NULL"), "0");
  EXPECT_EQ(V("'' IS NOT NULL"), "1");
  EXPECT_EQ(V("NULL IS NOT NULL"), "0");
  EXPECT_EQ(V("NULL ISNULL"), "1");
  EXPECT_EQ(V("1 NOTNULL"), "1");
}

TEST_F(ExecutorTest, InListWithNulls) {
  EXPECT_EQ(V("2 IN (1, 2)"), "1");
  EXPECT_EQ(V("3 IN (1, 2)"), "0");
  EXPECT_EQ(V("3 IN (1, NULL)"), "NULL");
  EXPECT_EQ(V("1 IN (NULL, 1)"), "1");
  EXPECT_EQ(V("NULL IN (1)"), "NULL");
  EXPECT_EQ(V("3 NOT IN (1, 2)"), "1");
  EXPECT_EQ(V("2 NOT IN (1, 2)"), "0");
  EXPECT_EQ(V("3 NOT IN (1, NULL)"), "NULL");
  EXPECT_EQ(V("1 IN ()"), "0");
  EXPECT_EQ(V("NULL NOT IN ()"), "1");
  EXPECT_EQ(V("1.0 IN (1)"), "1");
  EXPECT_EQ(V("'1' IN (1)"), "0");
}

TEST_F(ExecutorTest, BetweenWithNulls) {
  EXPECT_EQ(V("2 BETWEEN 1 AND 3"), "1");
  EXPECT_EQ(V("1 BETWEEN 1 AND 1"), "1");
  EXPECT_EQ(V("4 BETWEEN 1 AND 3"), "0");
  EXPECT_EQ(V("5 NOT BETWEEN 1 AND 3"), "1");
  EXPECT_EQ(V("2 NOT BETWEEN 1 AND 3"), "0");
  EXPECT_EQ(V("NULL BETWEEN 1 AND 2"), "NULL");
  EXPECT_EQ(V("5 BETWEEN NULL AND 3"), "0");
  EXPECT_EQ(V("2 BETWEEN NULL AND 3"), "NULL");
  EXPECT_EQ(V("2 NOT BETWEEN NULL AND 3"), "NULL");
  EXPECT_EQ(V("'b' BETWEEN 'a' AND 'c'"), "1");
}

TEST_F(ExecutorTest, LikeIsAsciiCaseInsensitiveWithPercentAndUnderscore) {
  EXPECT_EQ(V("'Hello' LIKE 'h%'"), "1");
  EXPECT_EQ(V("'Hello' LIKE 'HELLO'"), "1");
  EXPECT_EQ(V("'abc' LIKE 'a_c'"), "1");
  EXPECT_EQ(V("'abc' LIKE 'a_'"), "0");
  EXPECT_EQ(V("'abc' LIKE '%b%'"), "1");
  EXPECT_EQ(V("'abc' LIKE '%%c'"), "1");
  EXPECT_EQ(V("'abc' LIKE '%d'"), "0");
  EXPECT_EQ(V("'' LIKE '%'"), "1");
  EXPECT_EQ(V("'' LIKE '_'"), "0");
  EXPECT_EQ(V("'é' LIKE '_'"), "1");
  EXPECT_EQ(V("'É' LIKE 'é'"), "0");
  EXPECT_EQ(V("'aXbXc' LIKE 'a%b%c'"), "1");
  EXPECT_EQ(V("'abc' NOT LIKE 'ABC'"), "0");
  EXPECT_EQ(V("NULL LIKE 'a'"), "NULL");
  EXPECT_EQ(V("'a' LIKE NULL"), "NULL");
  EXPECT_EQ(V("123 LIKE '1%'"), "1");
}

TEST_F(ExecutorTest, CaseSearchedAndSimple) {
  EXPECT_EQ(V("CASE WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END"), "'b'");
  EXPECT_EQ(V("CASE WHEN NULL THEN 'a' ELSE 'c' END"), "'c'");
  EXPECT_EQ(V("CASE WHEN 0 THEN 'a' END"), "NULL");
  EXPECT_EQ(V("CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END"), "'two'");
  EXPECT_EQ(V("CASE 2.0 WHEN 2 THEN 'two' END"), "'two'");
  EXPECT_EQ(V("CASE NULL WHEN NULL THEN 'null' ELSE 'other' END"), "'other'");
  // Only the branch taken is evaluated.
  EXPECT_EQ(V("CASE WHEN 1 THEN 'ok' ELSE 1 / 0 END"), "'ok'");
}

TEST_F(ExecutorTest, CastConvertsAsSqlite) {
  EXPECT_EQ(V("CAST('12abc' AS INTEGER)"), "12");
  EXPECT_EQ(V("CAST('  -7' AS INTEGER)"), "-7");
  EXPECT_EQ(V("CAST('abc' AS INTEGER)"), "0");
  EXPECT_EQ(V("CAST(3.9 AS INTEGER)"), "3");
  EXPECT_EQ(V("CAST(-3.9 AS INTEGER)"), "-3");
  EXPECT_EQ(V("CAST(1e300 AS INTEGER)"), "9223372036854775807");
  EXPECT_EQ(V("CAST(5 AS REAL)"), "5.0");
  EXPECT_EQ(V("CAST('1e3' AS REAL)"), "1000.0");
  EXPECT_EQ(V("CAST('x' AS REAL)"), "0.0");
  EXPECT_EQ(V("CAST(1.5 AS TEXT)"), "'1.5'");
  EXPECT_EQ(V("CAST(2.0 AS TEXT)"), "'2.0'");
  EXPECT_EQ(V("CAST(1e20 AS TEXT)"), "'1.0e+20'");
  EXPECT_EQ(V("CAST(0.1 + 0.2 AS TEXT)"), "'0.3'");
  EXPECT_EQ(V("CAST(42 AS TEXT)"), "'42'");
  EXPECT_EQ(V("CAST(x'4142' AS TEXT)"), "'AB'");
  EXPECT_EQ(V("CAST('abc' AS BLOB)"), "x'616263'");
  EXPECT_EQ(V("CAST(7 AS BLOB)"), "x'37'");
  EXPECT_EQ(V("CAST(NULL AS INTEGER)"), "NULL");
  EXPECT_EQ(V("CAST(2 AS BOOLEAN)"), "1");
  EXPECT_EQ(V("CAST(0.0 AS BOOLEAN)"), "0");
  EXPECT_EQ(V("typeof(CAST(1 AS BOOLEAN))"), "'integer'");
}

TEST_F(ExecutorTest, ScalarFunctions) {
  EXPECT_EQ(V("abs(-5)"), "5");
  EXPECT_EQ(V("abs(-2.5)"), "2.5");
  EXPECT_EQ(V("abs(NULL)"), "NULL");
  EXPECT_EQ(V("abs('-3')"), "3.0");
  EXPECT_EQ(V("length('héllo')"), "5");
  EXPECT_EQ(V("length(x'0102')"), "2");
  EXPECT_EQ(V("length(123)"), "3");
  EXPECT_EQ(V("length(1.5)"), "3");
  EXPECT_EQ(V("length(NULL)"), "NULL");
  EXPECT_EQ(V("lower('AbC')"), "'abc'");
  EXPECT_EQ(V("upper('aBc')"), "'ABC'");
  EXPECT_EQ(V("upper('é')"), "'é'");
  EXPECT_EQ(V("lower(NULL)"), "NULL");
  EXPECT_EQ(V("substr('hello', 2, 3)"), "'ell'");
  EXPECT_EQ(V("substr('hello', 2)"), "'ello'");
  EXPECT_EQ(V("substr('hello', -3)"), "'llo'");
  EXPECT_EQ(V("substr('hello', -3, 2)"), "'ll'");
  EXPECT_EQ(V("substr('hello', 0, 2)"), "'h'");
  EXPECT_EQ(V("substr('hello', 3, -2)"), "'he'");
  EXPECT_EQ(V("substr('hello', 10)"), "''");
  EXPECT_EQ(V("substr('héllo', 2, 2)"), "'él'");
  EXPECT_EQ(V("substr(x'010203', 2, 1)"), "x'02'");
  EXPECT_EQ(V("substr('hello', NULL)"), "NULL");
  EXPECT_EQ(V("coalesce(NULL, NULL, 3, 4)"), "3");
  EXPECT_EQ(V("coalesce(NULL, NULL)"), "NULL");
  EXPECT_EQ(V("ifnull(NULL, 'x')"), "'x'");
  EXPECT_EQ(V("ifnull(1, 'x')"), "1");
  EXPECT_EQ(V("nullif(1, 1)"), "NULL");
  EXPECT_EQ(V("nullif(1, 2)"), "1");
  EXPECT_EQ(V("nullif(NULL, 1)"), "NULL");
  EXPECT_EQ(V("typeof(1)"), "'integer'");
  EXPECT_EQ(V("typeof(1.5)"), "'real'");
  EXPECT_EQ(V("typeof('a')"), "'text'");
  EXPECT_EQ(V("typeof(x'00')"), "'blob'");
  EXPECT_EQ(V("typeof(NULL)"), "'null'");
  EXPECT_EQ(V("typeof(TRUE)"), "'integer'");
  EXPECT_EQ(V("min(3, 1, 2)"), "1");
  EXPECT_EQ(V("max(3, 'a', 2.5)"), "'a'");
  EXPECT_EQ(V("max(1, 2.5)"), "2.5");
  EXPECT_EQ(V("min(1, NULL)"), "NULL");
  EXPECT_EQ(V("UPPER(substr('abc', 2))"), "'BC'");
}

TEST_F(ExecutorTest, FunctionErrorsNameTheFunctionAndWhere) {
  EXPECT_EQ(V("nope(1)"), "error: 1:8: no such function: nope");
  EXPECT_EQ(V("abs(1, 2)"),
            "error: 1:8: wrong number of arguments to function abs()");
  EXPECT_EQ(V("1 + substr('a')"),
            "error: 1:12: wrong number of arguments to function substr()");
  EXPECT_EQ(V("coalesce(1)"),
            "error: 1:8: wrong number of arguments to function coalesce()");
  EXPECT_EQ(V("nullif(1, 2, 3)"),
            "error: 1:8: wrong number of arguments to function nullif()");
  EXPECT_EQ(V("lower(*)"),
            "error: 1:8: wrong number of arguments to function lower()");
}

// ---------------------------------------------------------------------------
// Types.

TEST_F(ExecutorTest, IntegerIntoRealColumnIsStoredAsReal) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE r (id INTEGER PRIMARY KEY, x REAL);"
           "INSERT INTO r VALUES (1, 3), (2, -9007199254740993);"
           "UPDATE r SET x = x + 1 WHERE id = 1;"));
  EXPECT_EQ(Q("SELECT x, typeof(x) FROM r ORDER BY id"),
            (Rows{"4.0, 'real'", "-9007199254740992.0, 'real'"}));
}

TEST_F(ExecutorTest, TypeMismatchesAreErrorsNamingTheColumn) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id, name) VALUES ('x', 'n')",
                           kInvalidArgument,
                           "table t column id: expected INTEGER, got TEXT 'x'");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id, name) VALUES (4.5, 'n')",
                           kInvalidArgument,
                           "table t column id: expected INTEGER, got REAL 4.5");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id, name) VALUES (4.0, 'n')",
                           kInvalidArgument, "column id: expected INTEGER");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id, name) VALUES (4, 5)",
                           kInvalidArgument,
                           "table t column name: expected TEXT, got INTEGER 5");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t (id, name) VALUES (4, x'00')",
                           kInvalidArgument,
                           "column name: expected TEXT, got BLOB");
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name, score) VALUES (4, 'n', '1')", kInvalidArgument,
      "column score: expected REAL, got TEXT");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET score = 'high'", kInvalidArgument,
                           "column score: expected REAL, got TEXT 'high'");
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO p VALUES (1, 'q', 'text')",
                           kInvalidArgument, "table p column v: expected BLOB");
}

TEST_F(ExecutorTest, BooleanColumnTakesTrueFalseAndReadsOneZero) {
  LoadSample();
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t (id, name, flag) VALUES (4, 'four', 1), "
           "(5, 'five', 0)"));
  ENGINE_ASSERT_OK(Exec("UPDATE t SET flag = NOT flag WHERE id >= 4"));
  EXPECT_EQ(Q("SELECT id, flag, typeof(flag) FROM t ORDER BY id"),
            (Rows{"1, 1, 'integer'", "2, 0, 'integer'", "3, NULL, 'null'",
                  "4, 0, 'integer'", "5, 1, 'integer'"}));
  EXPECT_EQ(Q("SELECT id FROM t WHERE flag = TRUE ORDER BY id"),
            (Rows{"1", "5"}));
  EXPECT_EQ(Q("SELECT sum(flag) FROM t"), Rows{"2"});
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name, flag) VALUES (6, 'n', 2)", kInvalidArgument,
      "table t column flag: expected BOOLEAN, got INTEGER 2");
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name, flag) VALUES (6, 'n', 'yes')", kInvalidArgument,
      "column flag: expected BOOLEAN");
  EXPECT_SQL_FAILS_CLEANLY("UPDATE t SET flag = 1.0", kInvalidArgument,
                           "column flag: expected BOOLEAN, got REAL");
}

TEST_F(ExecutorTest, BooleanColumnTakesATrueDefault) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE b (id INTEGER PRIMARY KEY, "
           "f BOOLEAN DEFAULT TRUE, g BOOLEAN DEFAULT FALSE)"));
  ENGINE_ASSERT_OK(Exec("INSERT INTO b (id) VALUES (1)"));
  EXPECT_EQ(Q("SELECT * FROM b"), Rows{"1, 1, 0"});
}

// ---------------------------------------------------------------------------
// Prepared statements.

TEST_F(ExecutorTest, PreparedStatementBindsParametersInOrder) {
  auto stmt = session().Prepare("SELECT ? + ?, ?, typeof(?)");
  ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
  EXPECT_TRUE(stmt->valid());
  EXPECT_TRUE(stmt->returns_rows());
  EXPECT_EQ(stmt->parameter_count(), 4);
  EXPECT_EQ(stmt->sql(), "SELECT ? + ?, ?, typeof(?)");
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(2)));
  ENGINE_ASSERT_OK(stmt->Bind(2, Value::Real(0.5)));
  ENGINE_ASSERT_OK(stmt->Bind(3, Value::Text("x")));
  ENGINE_ASSERT_OK(stmt->Bind(4, Value::Blob("b")));
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(RowText(stmt->row()), "2.5, 'x', 'blob'");
  ENGINE_ASSERT_OK_AND_ASSIGN(bool more, stmt->Step());
  EXPECT_FALSE(more);
}

TEST_F(ExecutorTest, UnboundAndClearedParametersAreNull) {
  auto stmt = session().Prepare("SELECT ?, ? IS NULL");
  ASSERT_TRUE(stmt.ok());
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(RowText(stmt->row()), "NULL, 1");
  stmt->Reset();
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(7)));
  ENGINE_ASSERT_OK(stmt->Bind(2, Value::Integer(8)));
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row2, stmt->Step());
  ASSERT_TRUE(row2);
  EXPECT_EQ(RowText(stmt->row()), "7, 0");
  stmt->Reset();
  stmt->ClearBindings();
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row3, stmt->Step());
  ASSERT_TRUE(row3);
  EXPECT_EQ(RowText(stmt->row()), "NULL, 1");
}

TEST_F(ExecutorTest, BindOutOfRangeIsRefused) {
  auto stmt = session().Prepare("SELECT ?, ?");
  ASSERT_TRUE(stmt.ok());
  for (int index : {0, -1, 3}) {
    const Status s = stmt->Bind(index, Value::Integer(1));
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << index;
    EXPECT_EQ(s.message(), "parameter index " + std::to_string(index) +
                               " out of range: the statement has 2 "
                               "parameters");
  }
  auto none = session().Prepare("SELECT 1");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->parameter_count(), 0);
  EXPECT_FALSE(none->Bind(1, Value::Integer(1)).ok());
}

TEST_F(ExecutorTest, BindWhileRunningIsRefusedUntilReset) {
  LoadSample();
  auto stmt = session().Prepare("SELECT id FROM t WHERE id >= ? ORDER BY id");
  ASSERT_TRUE(stmt.ok());
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(2)));
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(RowText(stmt->row()), "2");
  const Status s = stmt->Bind(1, Value::Integer(1));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("Reset()"), std::string::npos) << s.ToString();
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row2, stmt->Step());
  ASSERT_TRUE(row2);
  EXPECT_EQ(RowText(stmt->row()), "3");
  // Reset keeps the bindings and reruns from the start.
  stmt->Reset();
  ENGINE_ASSERT_OK_AND_ASSIGN(bool again, stmt->Step());
  ASSERT_TRUE(again);
  EXPECT_EQ(RowText(stmt->row()), "2");
  stmt->Reset();
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(3)));
  std::vector<std::string> seen;
  while (true) {
    ENGINE_ASSERT_OK_AND_ASSIGN(bool r, stmt->Step());
    if (!r) break;
    seen.push_back(RowText(stmt->row()));
  }
  EXPECT_EQ(seen, Rows{"3"});
}

TEST_F(ExecutorTest, StepAfterTheEndReturnsFalseUntilReset) {
  auto stmt = session().Prepare("SELECT 1");
  ASSERT_TRUE(stmt.ok());
  ENGINE_ASSERT_OK_AND_ASSIGN(bool a, stmt->Step());
  EXPECT_TRUE(a);
  ENGINE_ASSERT_OK_AND_ASSIGN(bool b, stmt->Step());
  EXPECT_FALSE(b);
  ENGINE_ASSERT_OK_AND_ASSIGN(bool c, stmt->Step());
  EXPECT_FALSE(c);
  stmt->Reset();
  ENGINE_ASSERT_OK_AND_ASSIGN(bool d, stmt->Step());
  EXPECT_TRUE(d);
  EXPECT_EQ(RowText(stmt->row()), "1");
}

TEST_F(ExecutorTest, PreparedInsertRerunsAfterResetAndCountsEachRun) {
  ENGINE_ASSERT_OK(Exec("CREATE TABLE n (id INTEGER PRIMARY KEY, v TEXT)"));
  auto stmt = session().Prepare("INSERT INTO n (v) VALUES (?), (? || '!')");
  ASSERT_TRUE(stmt.ok());
  EXPECT_FALSE(stmt->returns_rows());
  EXPECT_EQ(stmt->column_count(), 0u);
  for (const char* v : {"a", "b", "c"}) {
    ENGINE_ASSERT_OK(stmt->Bind(1, Value::Text(v)));
    ENGINE_ASSERT_OK(stmt->Bind(2, Value::Text(v)));
    ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
    EXPECT_FALSE(row);
    EXPECT_EQ(stmt->changes(), 2u);
    stmt->Reset();
  }
  EXPECT_EQ(
      Q("SELECT * FROM n ORDER BY id"),
      (Rows{"1, 'a'", "2, 'a!'", "3, 'b'", "4, 'b!'", "5, 'c'", "6, 'c!'"}));
  auto sel = session().Prepare("SELECT * FROM n");
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->changes(), 0u);
}

TEST_F(ExecutorTest, FailedStepChangesNothingAndStaysDoneUntilReset) {
  LoadSample();
  auto stmt = session().Prepare("INSERT INTO t (id, name) VALUES (?, 'x')");
  ASSERT_TRUE(stmt.ok());
  const std::string before = Dump();
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(1)));
  auto r = stmt->Step();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duplicate primary key (1)"),
            std::string::npos)
      << r.status().ToString();
  EXPECT_EQ(Dump(), before);
  ENGINE_ASSERT_OK_AND_ASSIGN(bool again, stmt->Step());
  EXPECT_FALSE(again);
  EXPECT_EQ(Dump(), before);
  stmt->Reset();
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(4)));
  ENGINE_ASSERT_OK(stmt->Step().status());
  EXPECT_EQ(stmt->changes(), 1u);
  EXPECT_EQ(Q("SELECT name FROM t WHERE id = 4"), Rows{"'x'"});
}

TEST_F(ExecutorTest, BoundValueOfTheWrongTypeIsRefusedNamingTheColumn) {
  LoadSample();
  auto stmt = session().Prepare("UPDATE t SET score = ? WHERE id = 1");
  ASSERT_TRUE(stmt.ok());
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Text("x")));
  auto r = stmt->Step();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("column score: expected REAL"),
            std::string::npos)
      << r.status().ToString();
  stmt->Reset();
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(9)));
  ENGINE_ASSERT_OK(stmt->Step().status());
  EXPECT_EQ(Q("SELECT score FROM t WHERE id = 1"), Rows{"9.0"});
  // A BOOLEAN value goes into a BOOLEAN column.
  auto flag = session().Prepare("UPDATE t SET flag = ? WHERE id = 3");
  ASSERT_TRUE(flag.ok());
  ENGINE_ASSERT_OK(flag->Bind(1, Value::Boolean(true)));
  ENGINE_ASSERT_OK(flag->Step().status());
  EXPECT_EQ(Q("SELECT flag FROM t WHERE id = 3"), Rows{"1"});
}

TEST_F(ExecutorTest, PrepareReportsTheTailAndEmptyText) {
  size_t tail = 0;
  auto stmt = session().Prepare("SELECT 1; SELECT 2", &tail);
  ASSERT_TRUE(stmt.ok());
  EXPECT_EQ(tail, 9u);
  EXPECT_EQ(stmt->sql(), "SELECT 1;");
  auto empty = session().Prepare("  -- nothing\n", &tail);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->valid());
  EXPECT_EQ(tail, 13u);
  EXPECT_FALSE(empty->Step().ok());
}

TEST_F(ExecutorTest, PrepareErrorsCountFromTheStartLocation) {
  LoadSample();
  size_t tail = 0;
  auto bad =
      session().Prepare("SELECT +; SELECT 1", &tail, SourceLocation{4, 2});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "4:10: expected an expression, found ';'");
  EXPECT_EQ(tail, 9u);
  auto unknown =
      session().Prepare("\nSELECT nope FROM t", nullptr, SourceLocation{2, 5});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "3:8: no such column: nope");
}

TEST_F(ExecutorTest, PreparedStatementFollowsSchemaChanges) {
  LoadSample();
  auto stmt = session().Prepare("SELECT name FROM t WHERE id = ?");
  ASSERT_TRUE(stmt.ok());
  auto star = session().Prepare("SELECT * FROM t WHERE id = 1");
  ASSERT_TRUE(star.ok());
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7"));
  ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(2)));
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(RowText(stmt->row()), "'two'");
  // SELECT * would now return another column than it announced.
  auto r = star->Step();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kAborted);
  EXPECT_NE(r.status().message().find("schema changed"), std::string::npos);
}

TEST_F(ExecutorTest, ExecuteStopsAtTheFirstErrorAndKeepsWhatRan) {
  const Status s = Exec(
      "CREATE TABLE x (id INTEGER PRIMARY KEY);\n"
      "INSERT INTO x VALUES (1);\n"
      "INSERT INTO x VALUES (nope);\n"
      "INSERT INTO x VALUES (2);");
  EXPECT_EQ(s.message(), "3:23: no such column: nope");
  EXPECT_EQ(Q("SELECT * FROM x"), Rows{"1"});
  std::vector<std::string> names;
  Rows rows;
  ENGINE_ASSERT_OK(
      session().Execute("SELECT id AS k FROM x; SELECT 5, 6",
                        [&](const std::vector<std::string>& n, const Row& row) {
                          names.insert(names.end(), n.begin(), n.end());
                          rows.push_back(RowText(row));
                        }));
  EXPECT_EQ(names, (std::vector<std::string>{"k", "5", "6"}));
  EXPECT_EQ(rows, (Rows{"1", "5, 6"}));
}

TEST_F(ExecutorTest, AutocommitSelectReadsOneSnapshot) {
  LoadSample();
  auto stmt = session().Prepare("SELECT id FROM t ORDER BY id");
  ASSERT_TRUE(stmt.ok());
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  ASSERT_TRUE(row);
  EXPECT_EQ(RowText(stmt->row()), "1");
  Session other(db_);
  ENGINE_ASSERT_OK(
      other.Execute("DELETE FROM t WHERE id = 2; "
                    "INSERT INTO t (id, name) VALUES (0, 'z')"));
  Rows rest;
  while (true) {
    ENGINE_ASSERT_OK_AND_ASSIGN(bool r, stmt->Step());
    if (!r) break;
    rest.push_back(RowText(stmt->row()));
  }
  EXPECT_EQ(rest, (Rows{"2", "3"}));
  EXPECT_EQ(Q("SELECT id FROM t ORDER BY id"), (Rows{"0", "1", "3"}));
}

// ---------------------------------------------------------------------------
// Transactions.

TEST_F(ExecutorTest, CommitKeepsAndRollbackDiscardsEverything) {
  LoadSample();
  const std::string before = Dump();
  ENGINE_ASSERT_OK(Exec("BEGIN"));
  EXPECT_TRUE(session().in_transaction());
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t (id, name) VALUES (4, 'four');"
           "CREATE TABLE extra (k INTEGER);"
           "DROP TABLE p;"
           "UPDATE t SET name = 'uno' WHERE id = 1;"));
  EXPECT_EQ(Q("SHOW TABLES"), (Rows{"'extra'", "'t'"}));
  // Another session does not see uncommitted work.
  Session other(db_);
  EXPECT_EQ(Query(other, "SELECT count(*) FROM t"), Rows{"3"});
  ENGINE_ASSERT_OK(Exec("ROLLBACK"));
  EXPECT_FALSE(session().in_transaction());
  EXPECT_EQ(Dump(), before);

  ENGINE_ASSERT_OK(
      Exec("BEGIN TRANSACTION;"
           "INSERT INTO t (id, name) VALUES (4, 'four');"
           "DELETE FROM p WHERE a = 2;"
           "COMMIT;"));
  EXPECT_FALSE(session().in_transaction());
  EXPECT_EQ(Query(other, "SELECT count(*) FROM t"), Rows{"4"});
  EXPECT_EQ(Query(other, "SELECT count(*) FROM p"), Rows{"2"});
  ENGINE_ASSERT_OK(Exec("BEGIN; DELETE FROM t; END;"));
  EXPECT_EQ(Query(other, "SELECT count(*) FROM t"), Rows{"0"});
}

TEST_F(ExecutorTest, NestedBeginIsRefusedAndTheTransactionStaysOpen) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("BEGIN; INSERT INTO t (id, name) VALUES (4, 'x');"));
  const Status s = Exec("BEGIN");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "cannot start a transaction within a transaction");
  EXPECT_TRUE(session().in_transaction());
  ENGINE_ASSERT_OK(Exec("COMMIT"));
  EXPECT_EQ(Q("SELECT name FROM t WHERE id = 4"), Rows{"'x'"});
}

TEST_F(ExecutorTest, CommitOrRollbackWithoutBeginIsRefused) {
  LoadSample();
  const std::string before = Dump();
  const Status c = Exec("COMMIT");
  EXPECT_EQ(c.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(c.message(), "cannot commit: no transaction is active");
  const Status r = Exec("ROLLBACK");
  EXPECT_EQ(r.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.message(), "cannot rollback: no transaction is active");
  EXPECT_EQ(Dump(), before);
}

TEST_F(ExecutorTest, FailedInsertInsideTransactionKeepsEarlierRows) {
  LoadSample();
  ENGINE_ASSERT_OK(
      Exec("BEGIN;"
           "INSERT INTO t (id, name) VALUES (4, 'four');"
           "UPDATE t SET score = 9 WHERE id = 1;"));
  const Status s = Exec(
      "INSERT INTO t (id, name) VALUES (5, 'five'), "
      "(1, 'dup')");
  EXPECT_NE(s.message().find("duplicate primary key (1)"), std::string::npos)
      << s.ToString();
  EXPECT_TRUE(session().in_transaction());
  EXPECT_EQ(Q("SELECT id, score FROM t ORDER BY id"),
            (Rows{"1, 9.0", "2, 2.5", "3, NULL", "4, 0.0"}));
  ENGINE_ASSERT_OK(Exec("INSERT INTO t (id, name) VALUES (6, 'six')"));
  ENGINE_ASSERT_OK(Exec("COMMIT"));
  Session other(db_);
  EXPECT_EQ(Query(other, "SELECT id FROM t ORDER BY id"),
            (Rows{"1", "2", "3", "4", "6"}));
}

TEST_F(ExecutorTest, FailedDdlInsideTransactionKeepsEarlierDdl) {
  LoadSample();
  ENGINE_ASSERT_OK(
      Exec("BEGIN; CREATE TABLE n (k INTEGER PRIMARY KEY);"
           "INSERT INTO n VALUES (1);"));
  EXPECT_FALSE(Exec("CREATE TABLE n (k INTEGER)").ok());
  EXPECT_FALSE(Exec("ALTER TABLE n DROP COLUMN k").ok());
  EXPECT_TRUE(session().in_transaction());
  ENGINE_ASSERT_OK(Exec("COMMIT"));
  EXPECT_EQ(Q("SELECT * FROM n"), Rows{"1"});
}

TEST_F(ExecutorTest, DestroyingTheSessionRollsBackItsTransaction) {
  LoadSample();
  {
    Session doomed(db_);
    ENGINE_ASSERT_OK(doomed.Execute("BEGIN; DELETE FROM t;"));
    EXPECT_TRUE(doomed.in_transaction());
  }
  EXPECT_EQ(Q("SELECT count(*) FROM t"), Rows{"3"});
  // The fork is free for a writer again.
  ENGINE_ASSERT_OK(Exec("DELETE FROM t WHERE id = 1"));
}

TEST_F(ExecutorTest, SecondWriterOnAForkIsBusy) {
  LoadSample();
  Session other(db_);
  ENGINE_ASSERT_OK(Exec("BEGIN; INSERT INTO t (id, name) VALUES (4, 'x');"));
  const std::string before = sql::Dump(other);
  const Status s = other.Execute("INSERT INTO t (id, name) VALUES (5, 'y')");
  EXPECT_EQ(s.code(), Status::Code::kBusy) << s.ToString();
  EXPECT_NE(s.message().find("main"), std::string::npos) << s.ToString();
  EXPECT_EQ(sql::Dump(other), before);
  ENGINE_ASSERT_OK(Exec("COMMIT"));
  ENGINE_ASSERT_OK(other.Execute("INSERT INTO t (id, name) VALUES (5, 'y')"));
  EXPECT_EQ(Q("SELECT count(*) FROM t"), Rows{"5"});
}

// ---------------------------------------------------------------------------
// Forks.

TEST_F(ExecutorTest, WritesAreIsolatedBetweenForks) {
  LoadSample();
  EXPECT_EQ(session().fork(), "main");
  ENGINE_ASSERT_OK(Exec("CREATE FORK dev"));
  EXPECT_EQ(session().fork(), "main");
  ENGINE_ASSERT_OK(Exec("USE FORK dev"));
  EXPECT_EQ(session().fork(), "dev");
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t (id, name) VALUES (4, 'dev only');"
           "DELETE FROM t WHERE id = 1;"
           "CREATE TABLE devt (k INTEGER);"));
  EXPECT_EQ(Q("SELECT id FROM t ORDER BY id"), (Rows{"2", "3", "4"}));
  ENGINE_ASSERT_OK(Exec("USE FORK main"));
  EXPECT_EQ(Q("SELECT id FROM t ORDER BY id"), (Rows{"1", "2", "3"}));
  EXPECT_EQ(Q("SHOW TABLES"), (Rows{"'p'", "'t'"}));
  ENGINE_ASSERT_OK(Exec("UPDATE t SET name = 'main only' WHERE id = 2"));
  ENGINE_ASSERT_OK(Exec("USE FORK dev"));
  EXPECT_EQ(Q("SELECT name FROM t WHERE id = 2"), Rows{"'two'"});
  EXPECT_EQ(Q("SHOW TABLES"), (Rows{"'devt'", "'p'", "'t'"}));
}

TEST_F(ExecutorTest, CreateForkFromAnotherForkCopiesThatFork) {
  LoadSample();
  ENGINE_ASSERT_OK(
      Exec("CREATE FORK dev; USE FORK dev;"
           "INSERT INTO t (id, name) VALUES (4, 'dev');"
           "USE FORK main; CREATE FORK dev2 FROM dev;"
           "CREATE FORK main2;"));
  EXPECT_EQ(session().fork(), "main");
  ENGINE_ASSERT_OK(Exec("USE FORK dev2"));
  EXPECT_EQ(Q("SELECT count(*) FROM t"), Rows{"4"});
  ENGINE_ASSERT_OK(Exec("USE FORK main2"));
  EXPECT_EQ(Q("SELECT count(*) FROM t"), Rows{"3"});
}

TEST_F(ExecutorTest, ReadOnlyForkRefusesWritesButReads) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("CREATE FORK snap READ ONLY; USE FORK snap;"));
  EXPECT_EQ(Q("SELECT count(*) FROM t"), Rows{"3"});
  const std::string before = Dump();
  for (std::string_view sql :
       {"INSERT INTO t (id, name) VALUES (4, 'x')", "DELETE FROM t",
        "CREATE TABLE z (k INTEGER)", "BEGIN"}) {
    const Status s = Exec(sql);
    EXPECT_FALSE(s.ok()) << sql;
    EXPECT_NE(s.message().find("fork 'snap' is read-only"), std::string::npos)
        << sql << ": " << s.ToString();
  }
  EXPECT_EQ(Dump(), before);
  EXPECT_FALSE(session().in_transaction());
  // Its own fork can be written.
  ENGINE_ASSERT_OK(Exec("CREATE FORK w FROM snap; USE FORK w; DELETE FROM t;"));
  EXPECT_EQ(Q("SELECT count(*) FROM t"), Rows{"0"});
}

TEST_F(ExecutorTest, ForkErrorsNameTheForkAndChangeNothing) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("CREATE FORK dev; CREATE FORK child FROM dev;"));
  const std::string before = Dump();
  struct Case {
    std::string_view sql;
    Status::Code code;
    std::string_view text;
  } cases[] = {
      {"USE FORK nope", Status::Code::kNotFound, "fork 'nope' does not exist"},
      {"CREATE FORK dev", Status::Code::kInvalidArgument,
       "fork 'dev' already exists"},
      {"CREATE FORK x FROM nope", Status::Code::kNotFound, "nope"},
      {"CREATE FORK \"bad name\"", Status::Code::kInvalidArgument, "bad name"},
      {"DROP FORK nope", Status::Code::kNotFound, "fork 'nope' does not exist"},
      {"DROP FORK main", Status::Code::kInvalidArgument,
       "fork main is the current fork"},
      {"DROP FORK dev", Status::Code::kInvalidArgument,
       "fork dev has live children (child)"},
  };
  for (const Case& c : cases) {
    const Status s = Exec(c.sql);
    EXPECT_EQ(s.code(), c.code) << c.sql << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.text), std::string::npos)
        << c.sql << ": " << s.ToString();
    EXPECT_EQ(session().fork(), "main") << c.sql;
    EXPECT_EQ(Dump(), before) << c.sql;
  }
}

TEST_F(ExecutorTest, DropForkDropsAndIfExistsIgnoresAMissingFork) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("CREATE FORK dev; CREATE FORK child FROM dev;"));
  ENGINE_ASSERT_OK(Exec("DROP FORK child; DROP FORK dev;"));
  ENGINE_ASSERT_OK(Exec("DROP FORK IF EXISTS dev"));
  Rows forks;
  for (const std::string& r : Q("SHOW FORKS"))
    forks.push_back(r.substr(0, r.find(',')));
  EXPECT_EQ(forks, Rows{"'main'"});
  EXPECT_FALSE(Exec("USE FORK dev").ok());
}

TEST_F(ExecutorTest, DropForkOfTheCurrentForkIsRefused) {
  ENGINE_ASSERT_OK(Exec("CREATE FORK dev; USE FORK dev;"));
  const Status s = Exec("DROP FORK dev");
  EXPECT_EQ(s.message(),
            "fork dev is the current fork: USE FORK another one "
            "first");
  EXPECT_FALSE(Exec("DROP FORK \"dev\"").ok());
  EXPECT_EQ(session().fork(), "dev");
  ENGINE_ASSERT_OK(Exec("CREATE TABLE still (k INTEGER)"));
}

TEST_F(ExecutorTest, ForkNamesAreCaseInsensitiveUnlessQuoted) {
  // SQL.md: identifiers are case-insensitive unless double-quoted.
  ENGINE_ASSERT_OK(Exec("CREATE FORK Dev"));
  const Status s = Exec("USE FORK dev");
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(ExecutorTest, ForkStatementsAreRefusedInsideATransaction) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("CREATE FORK dev"));
  ENGINE_ASSERT_OK(Exec("BEGIN; INSERT INTO t (id, name) VALUES (4, 'x');"));
  const std::string before = Dump();
  struct Case {
    std::string_view sql, what;
  } cases[] = {{"CREATE FORK other", "CREATE FORK"},
               {"USE FORK dev", "USE FORK"},
               {"DROP FORK dev", "DROP FORK"},
               {"DROP FORK IF EXISTS nope", "DROP FORK"}};
  for (const Case& c : cases) {
    const Status s = Exec(c.sql);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << c.sql;
    EXPECT_EQ(s.message(), std::string(c.what) +
                               " is not allowed inside a transaction "
                               "(COMMIT or ROLLBACK first)");
    EXPECT_TRUE(session().in_transaction());
    EXPECT_EQ(session().fork(), "main");
    EXPECT_EQ(Dump(), before) << c.sql;
  }
  ENGINE_ASSERT_OK(Exec("COMMIT"));
  EXPECT_EQ(Q("SELECT count(*) FROM t"), Rows{"4"});
}

TEST_F(ExecutorTest, ShowForksDescribesEveryFork) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("CREATE FORK dev; CREATE FORK ro FROM dev READ ONLY;"));
  EXPECT_EQ(
      Names("SHOW FORKS"),
      (std::vector<std::string>{"name", "parent", "created", "fork_point",
                                "read_only", "own_pages", "shared_pages"}));
  auto stmt = session().Prepare("SHOW FORKS");
  ASSERT_TRUE(stmt.ok());
  EXPECT_TRUE(stmt->returns_rows());
  std::vector<Row> rows;
  while (true) {
    ENGINE_ASSERT_OK_AND_ASSIGN(bool r, stmt->Step());
    if (!r) break;
    rows.push_back(stmt->row());
  }
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], Value::Text("main"));
  EXPECT_EQ(rows[0][1], Value::Null());
  EXPECT_EQ(rows[1][0], Value::Text("dev"));
  EXPECT_EQ(rows[1][1], Value::Text("main"));
  EXPECT_EQ(rows[2][0], Value::Text("ro"));
  EXPECT_EQ(rows[2][1], Value::Text("dev"));
  for (const Row& row : rows) {
    ASSERT_EQ(row.size(), 7u);
    ASSERT_EQ(row[2].type(), Type::kText);
    // created: "YYYY-MM-DD HH:MM:SS" (UTC).
    const std::string created = row[2].text();
    EXPECT_EQ(created.size(), 19u) << created;
    EXPECT_EQ(created[4], '-');
    EXPECT_EQ(created[10], ' ');
    EXPECT_EQ(created[13], ':');
    EXPECT_EQ(row[3].type(), Type::kInteger);
    EXPECT_EQ(row[5].type(), Type::kInteger);
    EXPECT_EQ(row[6].type(), Type::kInteger);
  }
  EXPECT_EQ(rows[0][4], Value::Integer(0));
  EXPECT_EQ(rows[1][4], Value::Integer(0));
  EXPECT_EQ(rows[2][4], Value::Integer(1));
  // dev was made after main's commits; ro at dev's (none).
  EXPECT_GT(rows[1][3].integer(), 0);
  EXPECT_EQ(rows[2][3], Value::Integer(0));
  // A new fork shares its pages with its parent.
  EXPECT_GT(rows[1][6].integer(), 0);
}

// ---------------------------------------------------------------------------
// SHOW TABLES and SHOW CREATE TABLE.

TEST_F(ExecutorTest, ShowTablesListsTablesByName) {
  EXPECT_EQ(Q("SHOW TABLES"), Rows{});
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE b (k INTEGER); CREATE TABLE \"A\" (k "
           "INTEGER); CREATE TABLE c (k INTEGER);"));
  EXPECT_EQ(Q("SHOW TABLES"), (Rows{"'A'", "'b'", "'c'"}));
}

TEST_F(ExecutorTest, ShowCreateTableTextRebuildsTheSameTable) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE \"Line Items\" (\"Order No\" INTEGER, line INTEGER, "
           "  name TEXT NOT NULL DEFAULT 'it''s', price REAL DEFAULT -1.5, "
           "  data BLOB DEFAULT x'00ff', n INTEGER DEFAULT 7, ok BOOLEAN, "
           "  tag TEXT UNIQUE, PRIMARY KEY (\"Order No\", line));"
           "CREATE INDEX li_name ON \"Line Items\" (name, price);"
           "CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT);"
           "CREATE TABLE norowid (a INTEGER, b TEXT);"));
  for (std::string_view table : {"\"Line Items\"", "plain", "norowid"}) {
    SCOPED_TRACE(table);
    Rows text = Q("SHOW CREATE TABLE " + std::string(table));
    ASSERT_EQ(text.size(), 1u);
    auto stmt = session().Prepare("SHOW CREATE TABLE " + std::string(table));
    ASSERT_TRUE(stmt.ok());
    ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
    ASSERT_TRUE(row);
    const std::string sql = stmt->row()[0].text();
    ENGINE_ASSERT_OK(Exec("CREATE FORK rebuild; USE FORK rebuild;"));
    ENGINE_ASSERT_OK(Exec("DROP TABLE " + std::string(table)));
    const Status s = Exec(sql);
    ASSERT_TRUE(s.ok()) << sql << ": " << s.ToString();
    EXPECT_EQ(Q("SHOW CREATE TABLE " + std::string(table)), text) << sql;
    ENGINE_ASSERT_OK(Exec("USE FORK main; DROP FORK rebuild;"));
  }
  EXPECT_EQ(Q("SHOW CREATE TABLE plain"),
            Rows{"'CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT)'"});
  EXPECT_EQ(Q("SHOW CREATE TABLE norowid"),
            Rows{"'CREATE TABLE norowid (a INTEGER, b TEXT)'"});
}

TEST_F(ExecutorTest, ShowCreateTableQuotesReservedWords) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE \"order\" (\"select\" INTEGER PRIMARY "
           "KEY, \"group\" TEXT)"));
  auto stmt = session().Prepare("SHOW CREATE TABLE \"order\"");
  ASSERT_TRUE(stmt.ok());
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  ASSERT_TRUE(row);
  const std::string sql = stmt->row()[0].text();
  ENGINE_ASSERT_OK(
      Exec("CREATE FORK rebuild; USE FORK rebuild; "
           "DROP TABLE \"order\";"));
  const Status s = Exec(sql);
  EXPECT_TRUE(s.ok()) << sql << ": " << s.ToString();
}

TEST_F(ExecutorTest, ShowCreateTableRoundTripsAnInfiniteDefault) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE inf (id INTEGER PRIMARY KEY, r REAL DEFAULT 1e999)"));
  auto stmt = session().Prepare("SHOW CREATE TABLE inf");
  ASSERT_TRUE(stmt.ok());
  ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
  ASSERT_TRUE(row);
  const std::string sql = stmt->row()[0].text();
  ENGINE_ASSERT_OK(
      Exec("CREATE FORK rebuild; USE FORK rebuild; "
           "DROP TABLE inf;"));
  const Status s = Exec(sql);
  EXPECT_TRUE(s.ok()) << sql << ": " << s.ToString();
}

TEST_F(ExecutorTest, ShowCreateTableOfAMissingTableNamesIt) {
  const Status s = Exec("SHOW CREATE TABLE nope");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nope"), std::string::npos) << s.ToString();
}

// ---------------------------------------------------------------------------
// ALTER TABLE and RENAME TABLE.

TEST_F(ExecutorTest, AddColumnWithDefaultFillsExistingRows) {
  LoadSample();
  ENGINE_ASSERT_OK(
      Exec("ALTER TABLE t ADD COLUMN rank INTEGER DEFAULT 7 "
           "NOT NULL"));
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t ADD note TEXT"));
  EXPECT_EQ(Names("SELECT * FROM t"),
            (std::vector<std::string>{"id", "name", "score", "tag", "flag",
                                      "rank", "note"}));
  EXPECT_EQ(Q("SELECT id, rank, note FROM t ORDER BY id"),
            (Rows{"1, 7, NULL", "2, 7, NULL", "3, 7, NULL"}));
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t (id, name) VALUES (4, 'four');"
           "INSERT INTO t (id, name, rank, note) VALUES "
           "(5, 'five', 1, 'n');"));
  EXPECT_EQ(Q("SELECT id, rank, note FROM t WHERE id > 3 ORDER BY id"),
            (Rows{"4, 7, NULL", "5, 1, 'n'"}));
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name, rank) VALUES (6, 'x', NULL)", kInvalidArgument,
      "column rank: NULL in a NOT NULL");
}

TEST_F(ExecutorTest, DropColumnRemovesItsValues) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t DROP COLUMN score"));
  EXPECT_EQ(Q("SELECT * FROM t WHERE id = 1"), Rows{"1, 'one', 'a', 1"});
  EXPECT_EQ(Q("SELECT score FROM t"),
            Rows{"error: 1:8: no such column: score"});
  // A new column of the same name does not bring the old values back.
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t ADD COLUMN score REAL"));
  EXPECT_EQ(Q("SELECT score FROM t ORDER BY id"),
            (Rows{"NULL", "NULL", "NULL"}));
}

TEST_F(ExecutorTest, RenameColumnKeepsItsValues) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t RENAME COLUMN score TO points"));
  EXPECT_EQ(Q("SELECT points FROM t ORDER BY id"),
            (Rows{"1.5", "2.5", "NULL"}));
  EXPECT_EQ(Q("SELECT score FROM t"),
            Rows{"error: 1:8: no such column: score"});
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t RENAME name TO label"));
  EXPECT_EQ(Q("SELECT id FROM t WHERE label = 'two'"), Rows{"2"});
}

TEST_F(ExecutorTest, AlterTableAddsAndDropsIndexes) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t ADD UNIQUE INDEX t_score (score)"));
  EXPECT_SQL_FAILS_CLEANLY(
      "INSERT INTO t (id, name, score) VALUES (4, 'x', 1.5)", kInvalidArgument,
      "unique index t_score");
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t DROP INDEX t_score"));
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t (id, name, score) VALUES (4, 'x', "
           "1.5)"));
  ENGINE_ASSERT_OK(Exec("ALTER TABLE t ADD INDEX t_flag (flag, score)"));
  EXPECT_EQ(Q("SELECT id FROM t WHERE flag = 1"), Rows{"1"});
  EXPECT_NE(Q("SHOW CREATE TABLE t")[0].find("CREATE INDEX t_flag ON t "
                                             "(flag, score)"),
            std::string::npos);
}

TEST_F(ExecutorTest, AlterTableRenameToMovesTheTable) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("ALTER TABLE p RENAME TO pairs"));
  EXPECT_EQ(Q("SHOW TABLES"), (Rows{"'pairs'", "'t'"}));
  EXPECT_EQ(Q("SELECT count(*) FROM pairs"), Rows{"3"});
  EXPECT_FALSE(Exec("SELECT * FROM p").ok());
}

TEST_F(ExecutorTest, AlterTableErrorsNameTheTableAndColumn) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t ADD COLUMN name TEXT",
                           kInvalidArgument,
                           "table t: column name already exists");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t ADD COLUMN z INTEGER NOT NULL",
                           kInvalidArgument,
                           "cannot add NOT NULL column z without a non-NULL "
                           "default");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t ADD COLUMN z INTEGER DEFAULT 'x'",
                           kInvalidArgument,
                           "column z: default 'x' is not INTEGER");
  EXPECT_SQL_FAILS_CLEANLY(
      "ALTER TABLE t DROP COLUMN id", kInvalidArgument,
      "cannot drop column id: it is part of the primary key");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t DROP COLUMN name", kInvalidArgument,
                           "cannot drop column name: index t_name uses it");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t DROP COLUMN nope", kNotFound,
                           "table t has no column nope");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t RENAME COLUMN nope TO x", kNotFound,
                           "table t has no column nope");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t RENAME COLUMN name TO tag",
                           kInvalidArgument, "tag");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE p ADD UNIQUE INDEX pa (a)",
                           kInvalidArgument, "pa");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE p DROP INDEX t_name", kNotFound,
                           "table p has no index t_name");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t RENAME TO p", kInvalidArgument,
                           "cannot rename table t");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE nope ADD COLUMN z INTEGER", kNotFound,
                           "table nope does not exist");

  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t ADD COLUMN z INTEGER ONLINE",
                           kNotSupported,
                           "ALTER TABLE ... ONLINE is not supported yet");
}

TEST_F(ExecutorTest, RenameTableRenamesSeveralTablesInOneStep) {
  LoadSample();
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE c (k INTEGER); INSERT INTO c VALUES (9);"
           "RENAME TABLE t TO t2, c TO d"));
  EXPECT_EQ(Q("SHOW TABLES"), (Rows{"'d'", "'p'", "'t2'"}));
  EXPECT_EQ(Q("SELECT * FROM d"), Rows{"9"});
  EXPECT_EQ(Q("SELECT count(*) FROM t2"), Rows{"3"});
}

TEST_F(ExecutorTest, RenameTableSwapsTwoTablesThroughATemporaryName) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("RENAME TABLE t TO tmp, p TO t, tmp TO p"));
  EXPECT_EQ(Q("SHOW TABLES"), (Rows{"'p'", "'t'"}));
  EXPECT_EQ(Names("SELECT * FROM t"),
            (std::vector<std::string>{"a", "b", "v"}));
  EXPECT_EQ(Q("SELECT name FROM p WHERE id = 1"), Rows{"'one'"});
  // The index went with its table.
  EXPECT_EQ(Q("SELECT id FROM p WHERE name = 'two'"), Rows{"2"});
}

TEST_F(ExecutorTest, FailingRenameLeavesEveryNameAsItWas) {
  LoadSample();
  ENGINE_ASSERT_OK(Exec("CREATE TABLE c (k INTEGER)"));
  EXPECT_SQL_FAILS_CLEANLY("RENAME TABLE t TO t2, p TO c", kInvalidArgument,
                           "cannot rename table p");
  EXPECT_SQL_FAILS_CLEANLY("RENAME TABLE t TO t2, nope TO z", kNotFound,
                           "table nope does not exist");
  EXPECT_SQL_FAILS_CLEANLY("RENAME TABLE t TO tmp, p TO t, c TO tmp",
                           kInvalidArgument, "cannot rename table c");
}

// ---------------------------------------------------------------------------
// The planner: a plan decides how many rows are read, never which rows
// qualify. Each WHERE runs as written (key or index use) and with its
// columns wrapped as +col (no plan: a full scan); both must agree, and the
// planned one gives the rows expected.

class PlannerTest : public ExecutorTest {
 protected:
  void SetUp() override {
    ExecutorTest::SetUp();
    std::string sql =
        "CREATE TABLE k (id INTEGER PRIMARY KEY, x INTEGER, s TEXT);"
        "CREATE INDEX k_x ON k (x);"
        "CREATE TABLE c (a INTEGER, b INTEGER, v TEXT, PRIMARY KEY (a, b));"
        "CREATE TABLE r (f REAL PRIMARY KEY, v TEXT);"
        "CREATE TABLE w (name TEXT PRIMARY KEY, n INTEGER, m INTEGER);"
        "CREATE UNIQUE INDEX w_nm ON w (n, m);";
    for (int i = 1; i <= 20; ++i) {
      const std::string x = i % 5 == 0 ? "NULL" : std::to_string(i % 7);
      sql += "INSERT INTO k VALUES (" + std::to_string(i) + ", " + x + ", 'v" +
             std::to_string(i) + "');";
    }
    for (int a = 0; a < 5; ++a)
      for (int b = 0; b < 5; ++b)
        sql += "INSERT INTO c VALUES (" + std::to_string(a) + ", " +
               std::to_string(b) + ", '" + std::to_string(a * 10 + b) + "');";
    sql +=
        "INSERT INTO r VALUES (0.5, 'a'), (1, 'b'), (1.5, 'c'), (2, 'd'), "
        "(-3, 'e');";
    sql +=
        "INSERT INTO w VALUES ('ann', 1, 1), ('bob', 1, 2), ('cy', 2, 1), "
        "('dee', NULL, NULL), ('eve', NULL, 1);";
    ENGINE_ASSERT_OK(Exec(sql));
  }

  // `planned` and `scan` are the same condition on `table`, written so
  // that the planner may use the key or an index, and so that it cannot.
  Rows Both(std::string_view table, std::string_view planned,
            std::string_view scan) {
    const std::string base = "SELECT * FROM " + std::string(table) + " WHERE ";
    const Rows a = Q(base + std::string(planned) + " ORDER BY 1, 2");
    const Rows b = Q(base + std::string(scan) + " ORDER BY 1, 2");
    EXPECT_EQ(a, b) << planned << " vs " << scan;
    // The order without ORDER BY is the plan's; the set must not differ.
    Rows c = Q(base + std::string(planned));
    std::sort(c.begin(), c.end());
    Rows d = b;
    std::sort(d.begin(), d.end());
    EXPECT_EQ(c, d) << planned << " without ORDER BY";
    return a;
  }

  // The first column of each row of `rows`.
  static Rows Firsts(const Rows& rows) {
    Rows out;
    for (const std::string& r : rows) out.push_back(r.substr(0, r.find(',')));
    return out;
  }
};

TEST_F(PlannerTest, PointLookupByKey) {
  EXPECT_EQ(Firsts(Both("k", "id = 5", "+id = 5")), Rows{"5"});
  EXPECT_EQ(Firsts(Both("k", "5 = id", "5 = +id")), Rows{"5"});
  EXPECT_EQ(Firsts(Both("k", "id = 5.0", "+id = 5.0")), Rows{"5"});
  EXPECT_EQ(Firsts(Both("k", "id = 2 + 3", "+id = 2 + 3")), Rows{"5"});
  EXPECT_EQ(Firsts(Both("k", "id = 5.5", "+id = 5.5")), Rows{});
  EXPECT_EQ(Firsts(Both("k", "id = '5'", "+id = '5'")), Rows{});
  EXPECT_EQ(Firsts(Both("k", "id = 99", "+id = 99")), Rows{});
  EXPECT_EQ(Firsts(Both("k", "id = 5 AND s = 'v5'", "+id = 5 AND s = 'v5'")),
            Rows{"5"});
  EXPECT_EQ(Firsts(Both("k", "id = 5 AND s = 'v6'", "+id = 5 AND s = 'v6'")),
            Rows{});
  EXPECT_EQ(Firsts(Both("k", "id = 5 AND id = 6", "+id = 5 AND +id = 6")),
            Rows{});
  EXPECT_EQ(Firsts(Both("k", "id = 5 OR id = 6", "+id = 5 OR +id = 6")),
            (Rows{"5", "6"}));
}

TEST_F(PlannerTest, KeyRangesWithEveryBound) {
  EXPECT_EQ(Firsts(Both("k", "id < 3", "+id < 3")), (Rows{"1", "2"}));
  EXPECT_EQ(Firsts(Both("k", "id <= 3", "+id <= 3")), (Rows{"1", "2", "3"}));
  EXPECT_EQ(Firsts(Both("k", "id > 18", "+id > 18")), (Rows{"19", "20"}));
  EXPECT_EQ(Firsts(Both("k", "id >= 18", "+id >= 18")),
            (Rows{"18", "19", "20"}));
  EXPECT_EQ(Firsts(Both("k", "id BETWEEN 3 AND 5", "+id BETWEEN 3 AND 5")),
            (Rows{"3", "4", "5"}));
  EXPECT_EQ(Firsts(Both("k", "id BETWEEN 5 AND 3", "+id BETWEEN 5 AND 3")),
            Rows{});
  EXPECT_EQ(
      Firsts(Both("k", "id NOT BETWEEN 2 AND 19", "+id NOT BETWEEN 2 AND 19")),
      (Rows{"1", "20"}));
  EXPECT_EQ(Firsts(Both("k", "3 >= id", "3 >= +id")), (Rows{"1", "2", "3"}));
  EXPECT_EQ(Firsts(Both("k", "18 < id", "18 < +id")), (Rows{"19", "20"}));
  EXPECT_EQ(Firsts(Both("k", "id > 3 AND id < 6", "+id > 3 AND +id < 6")),
            (Rows{"4", "5"}));
  EXPECT_EQ(Firsts(Both("k", "id > 3 AND id > 16", "+id > 3 AND +id > 16")),
            (Rows{"17", "18", "19", "20"}));
  EXPECT_EQ(Firsts(Both("k", "id < 6 AND id < 3", "+id < 6 AND +id < 3")),
            (Rows{"1", "2"}));
  EXPECT_EQ(
      Firsts(Both("k", "id >= 2.5 AND id < 4.5", "+id >= 2.5 AND +id < 4.5")),
      (Rows{"3", "4"}));
  EXPECT_EQ(Firsts(Both("k", "id < 'a'", "+id < 'a'")).size(), 20u);
  EXPECT_EQ(Firsts(Both("k", "id > 'a'", "+id > 'a'")), Rows{});
}

TEST_F(PlannerTest, CompositeKeyPrefixesAndRanges) {
  EXPECT_EQ(Both("c", "a = 3", "+a = 3").size(), 5u);
  EXPECT_EQ(Firsts(Both("c", "a = 3 AND b = 4", "+a = 3 AND +b = 4")),
            Rows{"3"});
  EXPECT_EQ(Both("c", "a = 3 AND b = 4", "+a = 3 AND +b = 4"),
            Rows{"3, 4, '34'"});
  EXPECT_EQ(Both("c", "a = 3 AND b > 2", "+a = 3 AND +b > 2"),
            (Rows{"3, 3, '33'", "3, 4, '34'"}));
  EXPECT_EQ(Both("c", "a = 3 AND b < 2", "+a = 3 AND +b < 2"),
            (Rows{"3, 0, '30'", "3, 1, '31'"}));
  EXPECT_EQ(Both("c", "a = 3 AND b <= 1.5", "+a = 3 AND +b <= 1.5"),
            (Rows{"3, 0, '30'", "3, 1, '31'"}));
  EXPECT_EQ(
      Both("c", "a = 3 AND b BETWEEN 1 AND 2", "+a = 3 AND +b BETWEEN 1 AND 2"),
      (Rows{"3, 1, '31'", "3, 2, '32'"}));
  EXPECT_EQ(Both("c", "a = 3 AND b >= 1 AND b <= 1",
                 "+a = 3 AND +b >= 1 AND +b <= 1"),
            Rows{"3, 1, '31'"});
  EXPECT_EQ(Both("c", "a < 1", "+a < 1").size(), 5u);
  EXPECT_EQ(Both("c", "a >= 4", "+a >= 4").size(), 5u);
  EXPECT_EQ(
      Both("c", "a BETWEEN 1 AND 2 AND b = 0", "+a BETWEEN 1 AND 2 AND +b = 0"),
      (Rows{"1, 0, '10'", "2, 0, '20'"}));
  EXPECT_EQ(Both("c", "b = 4 AND a > 2", "+b = 4 AND +a > 2"),
            (Rows{"3, 4, '34'", "4, 4, '44'"}));
  EXPECT_EQ(Both("c", "b = 4", "+b = 4").size(), 5u);
  EXPECT_EQ(Both("c", "a = 9", "+a = 9"), Rows{});
}

TEST_F(PlannerTest, RealKeyMatchesIntegerValues) {
  EXPECT_EQ(Both("r", "f = 1", "+f = 1"), Rows{"1.0, 'b'"});
  EXPECT_EQ(Both("r", "f = 1.5", "+f = 1.5"), Rows{"1.5, 'c'"});
  EXPECT_EQ(Both("r", "f > 0 AND f < 2", "+f > 0 AND +f < 2"),
            (Rows{"0.5, 'a'", "1.0, 'b'", "1.5, 'c'"}));
  EXPECT_EQ(Both("r", "f <= -3", "+f <= -3"), Rows{"-3.0, 'e'"});
}

TEST_F(PlannerTest, IndexEqualityAndRangeLookups) {
  EXPECT_EQ(Firsts(Both("k", "x = 3", "+x = 3")), (Rows{"3", "17"}));
  EXPECT_EQ(Firsts(Both("k", "x = 0", "+x = 0")), (Rows{"7", "14"}));
  EXPECT_EQ(Firsts(Both("k", "x = 3.0", "+x = 3.0")), (Rows{"3", "17"}));
  EXPECT_EQ(Firsts(Both("k", "x = 3 AND id > 10", "+x = 3 AND +id > 10")),
            Rows{"17"});
  EXPECT_EQ(Firsts(Both("k", "x > 5", "+x > 5")), (Rows{"6", "13"}));
  EXPECT_EQ(Firsts(Both("k", "x < 1", "+x < 1")), (Rows{"7", "14"}));
  EXPECT_EQ(Firsts(Both("k", "x <= 1", "+x <= 1")),
            (Rows{"1", "7", "8", "14"}));
  EXPECT_EQ(Firsts(Both("k", "x BETWEEN 2 AND 3", "+x BETWEEN 2 AND 3")),
            (Rows{"2", "3", "9", "16", "17"}));
  EXPECT_EQ(Firsts(Both("k", "x IS NULL", "+x IS NULL")),
            (Rows{"5", "10", "15", "20"}));
  EXPECT_EQ(Firsts(Both("k", "x = 'a'", "+x = 'a'")), Rows{});
  EXPECT_EQ(Both("w", "n = 1", "+n = 1"), (Rows{"'ann', 1, 1", "'bob', 1, 2"}));
  EXPECT_EQ(Both("w", "n = 1 AND m = 2", "+n = 1 AND +m = 2"),
            Rows{"'bob', 1, 2"});
  EXPECT_EQ(Both("w", "n = 1 AND m >= 2", "+n = 1 AND +m >= 2"),
            Rows{"'bob', 1, 2"});
  EXPECT_EQ(Both("w", "m = 1", "+m = 1").size(), 3u);
  EXPECT_EQ(Both("w", "name > 'bob'", "+name > 'bob'"),
            (Rows{"'cy', 2, 1", "'dee', NULL, NULL", "'eve', NULL, 1"}));
  EXPECT_EQ(Both("w", "name = 'cy' AND n = 1", "+name = 'cy' AND +n = 1"),
            Rows{});
}

TEST_F(PlannerTest, NullLookupValueMatchesNoRow) {
  EXPECT_EQ(Both("k", "id = NULL", "+id = NULL"), Rows{});
  EXPECT_EQ(Both("k", "id > NULL", "+id > NULL"), Rows{});
  EXPECT_EQ(Both("k", "id BETWEEN NULL AND 5", "+id BETWEEN NULL AND 5"),
            Rows{});
  EXPECT_EQ(Both("k", "x = NULL", "+x = NULL"), Rows{});
  EXPECT_EQ(Both("k", "x < NULL", "+x < NULL"), Rows{});
  EXPECT_EQ(Both("c", "a = 1 AND b = NULL", "+a = 1 AND +b = NULL"), Rows{});
  EXPECT_EQ(Both("w", "n = NULL AND m = 1", "+n = NULL AND +m = 1"), Rows{});
  for (std::string_view where : {"id = ?", "x = ?", "id < ?", "x >= ?"}) {
    auto stmt =
        session().Prepare("SELECT id FROM k WHERE " + std::string(where));
    ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
    ENGINE_ASSERT_OK(stmt->Bind(1, Value::Null()));
    ENGINE_ASSERT_OK_AND_ASSIGN(bool row, stmt->Step());
    EXPECT_FALSE(row) << where;
  }
}

TEST_F(PlannerTest, ParameterLookupsFollowTheirBindings) {
  auto planned = session().Prepare("SELECT id FROM k WHERE x = ? ORDER BY id");
  auto scan = session().Prepare("SELECT id FROM k WHERE x + 0 = ? ORDER BY id");
  ASSERT_TRUE(planned.ok());
  ASSERT_TRUE(scan.ok());
  for (int v = -1; v <= 7; ++v) {
    Rows a, b;
    for (auto* stmt : {&*planned, &*scan}) {
      stmt->Reset();
      ENGINE_ASSERT_OK(stmt->Bind(1, Value::Integer(v)));
      Rows& out = stmt == &*planned ? a : b;
      while (true) {
        ENGINE_ASSERT_OK_AND_ASSIGN(bool r, stmt->Step());
        if (!r) break;
        out.push_back(RowText(stmt->row()));
      }
    }
    EXPECT_EQ(a, b) << "x = " << v;
    EXPECT_EQ(a.empty(), v < 0 || v > 6) << "x = " << v;
  }
}

TEST_F(PlannerTest, PlannedUpdateAndDeleteTouchTheSameRowsAsAScan) {
  ENGINE_ASSERT_OK(Exec("CREATE FORK planned; CREATE FORK scanned;"));
  const char* pairs[][2] = {
      {"UPDATE k SET s = 'u' WHERE id BETWEEN 4 AND 8",
       "UPDATE k SET s = 'u' WHERE +id BETWEEN 4 AND 8"},
      {"UPDATE k SET x = x + 10 WHERE x = 3",
       "UPDATE k SET x = x + 10 WHERE "
       "+x = 3"},
      {"DELETE FROM k WHERE id >= 18", "DELETE FROM k WHERE +id >= 18"},
      {"DELETE FROM c WHERE a = 2 AND b < 3",
       "DELETE FROM c WHERE +a = 2 AND +b < 3"},
      {"UPDATE c SET b = b + 10 WHERE a = 4 AND b >= 3",
       "UPDATE c SET b = b + 10 WHERE +a = 4 AND +b >= 3"},
      {"DELETE FROM w WHERE n = 1 AND m = 2",
       "DELETE FROM w WHERE +n = 1 AND +m = 2"},
      {"UPDATE r SET v = 'one' WHERE f = 1",
       "UPDATE r SET v = 'one' WHERE "
       "+f = 1"},
  };
  for (const auto& pair : pairs) {
    ENGINE_ASSERT_OK(Exec("USE FORK planned"));
    auto a = session().Prepare(pair[0]);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ENGINE_ASSERT_OK(a->Step().status());
    ENGINE_ASSERT_OK(Exec("USE FORK scanned"));
    auto b = session().Prepare(pair[1]);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ENGINE_ASSERT_OK(b->Step().status());
    EXPECT_EQ(a->changes(), b->changes()) << pair[0];
    EXPECT_GT(a->changes(), 0u) << pair[0];
  }
  ENGINE_ASSERT_OK(Exec("USE FORK planned"));
  const std::string planned = Dump();
  ENGINE_ASSERT_OK(Exec("USE FORK scanned"));
  const std::string scanned = Dump();
  EXPECT_EQ(planned, scanned);
  EXPECT_EQ(Q("SELECT count(*) FROM k"), Rows{"17"});
  EXPECT_EQ(Q("SELECT id FROM k WHERE x = 13 ORDER BY id"), (Rows{"3", "17"}));
  EXPECT_EQ(Q("SELECT v FROM r WHERE f = 1"), Rows{"'one'"});
}

// ---------------------------------------------------------------------------
// Statements that fail leave the database as it was.

// ---------------------------------------------------------------------------
// Binlog and replication.

class ExecutorBinlogTest : public ExecutorTest {
 protected:
  // The rows of `sql` as "v1|v2|..." with ValueText(), NULL as "NULL"; an
  // error ends the list as "error: MESSAGE".
  Rows T(std::string_view sql) { return Text(*session_, sql); }
  static Rows Text(Session& session, std::string_view sql) {
    Rows out;
    const Status s = session.Execute(
        sql, [&](const std::vector<std::string>&, const Row& row) {
          std::string line;
          for (size_t i = 0; i < row.size(); ++i) {
            if (i > 0) line += "|";
            line += row[i].is_null() ? "NULL" : ValueText(row[i]);
          }
          out.push_back(line);
        });
    if (!s.ok()) out.push_back("error: " + s.message());
    return out;
  }

  // A table, a row, and fork green made from main as it is then.
  void LoadGreen() {
    ENGINE_ASSERT_OK(
        Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
             "INSERT INTO t VALUES (1, 'a');"
             "CREATE FORK green;"));
  }
};

TEST_F(ExecutorBinlogTest, ShowBinlogHasOneRowPerEvent) {
  EXPECT_EQ(Names("SHOW BINLOG"),
            (std::vector<std::string>{"seq", "gtid", "table_name", "kind",
                                      "before", "after"}));
  EXPECT_EQ(T("SHOW BINLOG"), Rows{});
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, "
           "data BLOB, ok BOOLEAN)"));
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t VALUES (1, 'a', 1.5, x'0a1b', TRUE),"
           "  (2, 'say \"hi\"\\ \n\ttab', NULL, NULL, NULL)"));
  ENGINE_ASSERT_OK(Exec("UPDATE t SET score = 0.1 WHERE id = 1"));
  ENGINE_ASSERT_OK(Exec("DELETE FROM t WHERE id = 2"));
  ENGINE_ASSERT_OK(Exec("CREATE INDEX t_name ON t (name)"));
  ENGINE_ASSERT_OK(Exec("SELECT * FROM t"));  // reads append nothing
  EXPECT_EQ(
      T("SHOW BINLOG"),
      (Rows{
          "1|main:1|t|ddl|NULL|CREATE TABLE t (id INTEGER PRIMARY KEY, name "
          "TEXT, score REAL, data BLOB, ok BOOLEAN)",
          "2|main:2|t|insert|NULL|"
          "{\"id\":1,\"name\":\"a\",\"score\":1.5,\"data\":\"x'0a1b'\","
          "\"ok\":1}",
          "2|main:2|t|insert|NULL|"
          "{\"id\":2,\"name\":\"say \\\"hi\\\"\\\\ \\n\\ttab\",\"score\":null,"
          "\"data\":null,\"ok\":null}",
          "3|main:3|t|update|"
          "{\"id\":1,\"name\":\"a\",\"score\":1.5,\"data\":\"x'0a1b'\","
          "\"ok\":1}|"
          "{\"id\":1,\"name\":\"a\",\"score\":0.1,\"data\":\"x'0a1b'\","
          "\"ok\":1}",
          "4|main:4|t|delete|"
          "{\"id\":2,\"name\":\"say \\\"hi\\\"\\\\ \\n\\ttab\",\"score\":null,"
          "\"data\":null,\"ok\":null}|NULL",
          "5|main:5|t_name|ddl|NULL|CREATE INDEX t_name ON t (name)",
      }));
}

TEST_F(ExecutorBinlogTest, ShowBinlogFromAndLimit) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE t (id INTEGER PRIMARY KEY);"
           "INSERT INTO t VALUES (1), (2), (3);"
           "INSERT INTO t VALUES (4);"
           "DELETE FROM t WHERE id >= 3;"));
  auto kinds = [&](std::string_view sql) {
    Rows out;
    for (const std::string& r : T(sql))
      out.push_back(r.substr(0, r.find('|', r.find('|') + 1)) + " " +
                    r.substr(r.rfind('|') + 1));
    return out;
  };
  EXPECT_EQ(kinds("SHOW BINLOG FROM 3"),
            (Rows{"3|main:3 {\"id\":4}", "4|main:4 NULL", "4|main:4 NULL"}));
  // LIMIT counts rows, not records: it may end inside a record.
  EXPECT_EQ(kinds("SHOW BINLOG FROM 2 LIMIT 2"),
            (Rows{"2|main:2 {\"id\":1}", "2|main:2 {\"id\":2}"}));
  EXPECT_EQ(kinds("SHOW BINLOG LIMIT 1"),
            (Rows{"1|main:1 CREATE TABLE t (id INTEGER PRIMARY KEY);"}));
  EXPECT_EQ(T("SHOW BINLOG LIMIT 0"), Rows{});
  EXPECT_EQ(T("SHOW BINLOG FROM 5"), Rows{});
  EXPECT_EQ(T("SHOW BINLOG FROM 1000"), Rows{});
  // Inside a transaction: the committed binlog, without the open writes.
  ENGINE_ASSERT_OK(Exec("BEGIN; INSERT INTO t VALUES (9);"));
  EXPECT_EQ(T("SHOW BINLOG FROM 5"), Rows{});
  ENGINE_ASSERT_OK(Exec("COMMIT"));
  EXPECT_EQ(kinds("SHOW BINLOG FROM 5"), (Rows{"5|main:5 {\"id\":9}"}));
}

TEST_F(ExecutorBinlogTest, ShowBinlogForAChildForkShowsInheritedRecords) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE t (id INTEGER PRIMARY KEY);"
           "INSERT INTO t VALUES (1);"
           "CREATE FORK dev;"
           "INSERT INTO t VALUES (2);"));
  ENGINE_ASSERT_OK(Exec("USE FORK dev; INSERT INTO t VALUES (3);"));
  const Rows dev = {
      // The text of the statement, through its ';'.
      "1|main:1|t|ddl|NULL|CREATE TABLE t (id INTEGER PRIMARY KEY);",
      "2|main:2|t|insert|NULL|{\"id\":1}",
      "3|dev:3|t|insert|NULL|{\"id\":3}",
  };
  EXPECT_EQ(T("SHOW BINLOG"), dev);
  ENGINE_ASSERT_OK(Exec("USE FORK main"));
  EXPECT_EQ(T("SHOW BINLOG FOR FORK dev"), dev);
  EXPECT_EQ(T("SHOW BINLOG FOR FORK main FROM 3"),
            Rows{"3|main:3|t|insert|NULL|{\"id\":2}"});
  // Once its origin fork is gone, a GTID shows the fork's id.
  ENGINE_ASSERT_OK(
      Exec("CREATE FORK gone FROM dev; USE FORK gone; INSERT INTO t VALUES (4);"
           "USE FORK dev; START REPLICATION FROM gone TO dev;"
           "WAIT FOR REPLICATION TO dev; STOP REPLICATION TO dev;"));
  const std::string gone_id = std::to_string(db_.GetFork("gone")->id);
  EXPECT_EQ(T("SHOW BINLOG FROM 4"), Rows{"4|gone:4|t|insert|NULL|{\"id\":4}"});
  ENGINE_ASSERT_OK(Exec("DROP FORK gone"));
  EXPECT_EQ(T("SHOW BINLOG FROM 4"),
            Rows{"4|#" + gone_id + ":4|t|insert|NULL|{\"id\":4}"});
}

TEST_F(ExecutorBinlogTest, PurgeBinlogRemovesOldRecordsOfOneFork) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE t (id INTEGER PRIMARY KEY);"
           "INSERT INTO t VALUES (1);"
           "INSERT INTO t VALUES (2);"
           "CREATE FORK dev;"
           "INSERT INTO t VALUES (3);"));
  ENGINE_ASSERT_OK(Exec("PURGE BINLOG BEFORE 3"));
  EXPECT_EQ(T("SHOW BINLOG"), (Rows{"3|main:3|t|insert|NULL|{\"id\":2}",
                                    "4|main:4|t|insert|NULL|{\"id\":3}"}));
  EXPECT_SQL_FAILS_CLEANLY("SHOW BINLOG FROM 2", kNotFound,
                           "binlog record 2 of fork main was purged (the "
                           "first kept is 3)");
  // The fork keeps its own copy of the records.
  EXPECT_EQ(T("SHOW BINLOG FOR FORK dev LIMIT 1"),
            Rows{"1|main:1|t|ddl|NULL|CREATE TABLE t (id INTEGER PRIMARY "
                 "KEY);"});
  ENGINE_ASSERT_OK(Exec("PURGE BINLOG FOR FORK dev BEFORE 100"));
  EXPECT_EQ(T("SHOW BINLOG FOR FORK dev"), Rows{});
  EXPECT_EQ(T("SHOW BINLOG FOR FORK dev FROM 4"), Rows{});
  EXPECT_EQ(T("SHOW BINLOG FOR FORK dev FROM 1"),
            Rows{"error: binlog record 1 of fork dev was purged (the first "
                 "kept is 4)"});
  // New records go on from where the numbering was.
  ENGINE_ASSERT_OK(Exec("USE FORK dev; INSERT INTO t VALUES (5);"));
  EXPECT_EQ(T("SHOW BINLOG"), Rows{"4|dev:4|t|insert|NULL|{\"id\":5}"});
}

TEST_F(ExecutorBinlogTest, BinlogErrorsChangeNothing) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES "
           "(1);"));
  EXPECT_SQL_FAILS_CLEANLY("SHOW BINLOG FOR FORK nope", kNotFound,
                           "fork 'nope' does not exist");
  EXPECT_SQL_FAILS_CLEANLY_REFUSED_IN_TXN(
      "PURGE BINLOG FOR FORK nope BEFORE 2", kNotFound,
      "fork 'nope' does not exist", "PURGE BINLOG");
  ENGINE_ASSERT_OK(Exec("BEGIN"));
  EXPECT_EQ(T("PURGE BINLOG BEFORE 2"),
            Rows{"error: PURGE BINLOG is not allowed inside a transaction "
                 "(COMMIT or ROLLBACK first)"});
  ENGINE_ASSERT_OK(Exec("ROLLBACK"));
  EXPECT_EQ(T("SHOW BINLOG FROM 1 LIMIT 1"),
            Rows{"1|main:1|t|ddl|NULL|CREATE TABLE t (id INTEGER PRIMARY "
                 "KEY);"});
}

TEST_F(ExecutorBinlogTest, ReplicationAppliesSourceWritesToTheTarget) {
  LoadGreen();
  ENGINE_ASSERT_OK(Exec("START REPLICATION FROM main TO green"));
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t VALUES (2, 'b'); UPDATE t SET v = 'A' WHERE id = 1;"
           "DELETE FROM t WHERE id = 2; INSERT INTO t VALUES (3, 'c');"));
  ENGINE_ASSERT_OK(Exec("WAIT FOR REPLICATION TO green"));
  ENGINE_ASSERT_OK(Exec("USE FORK green"));
  EXPECT_EQ(T("SELECT * FROM t ORDER BY id"), (Rows{"1|A", "3|c"}));
  EXPECT_EQ(Names("SHOW REPLICATION"),
            (std::vector<std::string>{"src", "dst", "state", "applied_seq",
                                      "source_seq", "lag_events", "conflicts",
                                      "last_error"}));
  EXPECT_EQ(T("SHOW REPLICATION"), Rows{"main|green|running|6|6|0|0|NULL"});
  EXPECT_EQ(T("SHOW REPLICATION CONFLICTS"), Rows{});
  // The target's binlog keeps the source's GTIDs.
  EXPECT_EQ(T("SHOW BINLOG FROM 3"),
            (Rows{"3|main:3|t|insert|NULL|{\"id\":2,\"v\":\"b\"}",
                  "4|main:4|t|update|{\"id\":1,\"v\":\"a\"}|"
                  "{\"id\":1,\"v\":\"A\"}",
                  "5|main:5|t|delete|{\"id\":2,\"v\":\"b\"}|NULL",
                  "6|main:6|t|insert|NULL|{\"id\":3,\"v\":\"c\"}"}));

  // WAIT with the default target: the current fork. A session reading the
  // target sees each applied record (its cached snapshot is no longer the
  // latest).
  Session reader(db_, "green");
  EXPECT_EQ(Text(reader, "SELECT count(*) FROM t"), Rows{"2"});
  ENGINE_ASSERT_OK(Exec("USE FORK main; INSERT INTO t VALUES (4, 'd');"));
  auto caught_up =
      db_.WaitForReplication("green", std::chrono::milliseconds(10000));
  ASSERT_TRUE(caught_up.ok()) << caught_up.status().ToString();
  EXPECT_TRUE(*caught_up);
  EXPECT_EQ(Text(reader, "SELECT count(*) FROM t"), Rows{"3"});
  ENGINE_ASSERT_OK(
      Exec("INSERT INTO t VALUES (5, 'e'); USE FORK green;"
           "WAIT FOR REPLICATION TIMEOUT 5;"));
  EXPECT_EQ(T("SELECT max(id) FROM t"), Rows{"5"});

  ENGINE_ASSERT_OK(Exec("STOP REPLICATION TO green"));
  EXPECT_EQ(T("SHOW REPLICATION"), Rows{"main|green|stopped|8|8|0|0|NULL"});
  ENGINE_ASSERT_OK(Exec("USE FORK main; INSERT INTO t VALUES (6, 'f');"));
  EXPECT_EQ(T("SHOW REPLICATION"), Rows{"main|green|stopped|8|9|1|0|NULL"});
  // Started again, it goes on from where it stopped.
  ENGINE_ASSERT_OK(
      Exec("START REPLICATION FROM main TO green;"
           "WAIT FOR REPLICATION TO green;"));
  EXPECT_EQ(T("SHOW REPLICATION"), Rows{"main|green|running|9|9|0|0|NULL"});
  EXPECT_EQ(Text(reader, "SELECT count(*) FROM t"), Rows{"5"});
}

TEST_F(ExecutorBinlogTest, ConflictStopsTheReplicationByDefault) {
  LoadGreen();
  ENGINE_ASSERT_OK(
      Exec("USE FORK green; UPDATE t SET v = 'green' WHERE id = 1;"
           "USE FORK main; START REPLICATION FROM main TO green;"
           "UPDATE t SET v = 'main' WHERE id = 1;"
           "INSERT INTO t VALUES (2, 'b');"));
  const std::string error =
      "conflict at source seq 3: update/differs on table t key (1)";
  EXPECT_EQ(T("WAIT FOR REPLICATION TO green TIMEOUT 5"),
            Rows{"error: replication into green did not catch up within 5 s "
                 "(state stopped: " +
                 error + ")"});
  EXPECT_EQ(T("SHOW REPLICATION"), Rows{"main|green|stopped|2|4|2|1|" + error});
  EXPECT_EQ(
      Names("SHOW REPLICATION CONFLICTS"),
      (std::vector<std::string>{"dst", "src", "source_seq", "gtid",
                                "table_name", "kind", "resolution", "key",
                                "source_before", "source_after", "target"}));
  const Rows conflict = {
      "green|main|3|main:3|t|update/differs|stopped|[1]|"
      "{\"id\":1,\"v\":\"a\"}|{\"id\":1,\"v\":\"main\"}|"
      "{\"id\":1,\"v\":\"green\"}"};
  EXPECT_EQ(T("SHOW REPLICATION CONFLICTS"), conflict);
  EXPECT_EQ(T("SHOW REPLICATION CONFLICTS FOR green"), conflict);
  EXPECT_EQ(T("SHOW REPLICATION CONFLICTS FOR main"), Rows{});
  // Nothing of the record was applied.
  ENGINE_ASSERT_OK(Exec("USE FORK green"));
  EXPECT_EQ(T("SELECT * FROM t ORDER BY id"), Rows{"1|green"});

  // Started again with SOURCE WINS, it applies the record over the target.
  ENGINE_ASSERT_OK(
      Exec("USE FORK main;"
           "START REPLICATION FROM main TO green ON CONFLICT SOURCE WINS;"
           "WAIT FOR REPLICATION TO green;"));
  EXPECT_EQ(T("SHOW REPLICATION"), Rows{"main|green|running|4|4|0|2|NULL"});
  EXPECT_EQ(T("SHOW REPLICATION CONFLICTS FOR green"),
            (Rows{conflict[0],
                  "green|main|3|main:3|t|update/differs|source wins|[1]|"
                  "{\"id\":1,\"v\":\"a\"}|{\"id\":1,\"v\":\"main\"}|"
                  "{\"id\":1,\"v\":\"green\"}"}));
  ENGINE_ASSERT_OK(Exec("USE FORK green"));
  EXPECT_EQ(T("SELECT * FROM t ORDER BY id"), (Rows{"1|main", "2|b"}));
}

TEST_F(ExecutorBinlogTest, TargetWinsKeepsTheTargetsRow) {
  LoadGreen();
  ENGINE_ASSERT_OK(
      Exec("USE FORK green; UPDATE t SET v = 'green' WHERE id = 1;"
           "INSERT INTO t VALUES (2, 'green two');"
           "USE FORK main;"
           "START REPLICATION FROM main TO green ON CONFLICT TARGET WINS;"
           "UPDATE t SET v = 'main' WHERE id = 1;"
           "INSERT INTO t VALUES (2, 'main two'), (3, 'c');"
           "WAIT FOR REPLICATION TO green;"));
  EXPECT_EQ(T("SHOW REPLICATION"), Rows{"main|green|running|4|4|0|2|NULL"});
  EXPECT_EQ(T("SHOW REPLICATION CONFLICTS"),
            (Rows{"green|main|3|main:3|t|update/differs|target wins|[1]|"
                  "{\"id\":1,\"v\":\"a\"}|{\"id\":1,\"v\":\"main\"}|"
                  "{\"id\":1,\"v\":\"green\"}",
                  "green|main|4|main:4|t|insert/exists|target wins|[2]|NULL|"
                  "{\"id\":2,\"v\":\"main two\"}|"
                  "{\"id\":2,\"v\":\"green two\"}"}));
  ENGINE_ASSERT_OK(Exec("USE FORK green"));
  EXPECT_EQ(T("SELECT * FROM t ORDER BY id"),
            (Rows{"1|green", "2|green two", "3|c"}));
}

TEST_F(ExecutorBinlogTest, ReplicationErrorsChangeNothing) {
  LoadGreen();
  ENGINE_ASSERT_OK(Exec("CREATE FORK blue"));
  const Rows none = T("SHOW REPLICATION");
  EXPECT_EQ(none, Rows{});
  EXPECT_SQL_FAILS_CLEANLY_REFUSED_IN_TXN(
      "START REPLICATION FROM nope TO green", kNotFound,
      "fork 'nope' does not exist", "START REPLICATION");
  EXPECT_SQL_FAILS_CLEANLY_REFUSED_IN_TXN(
      "START REPLICATION FROM main TO nope", kNotFound,
      "fork 'nope' does not exist", "START REPLICATION");
  EXPECT_SQL_FAILS_CLEANLY_REFUSED_IN_TXN(
      "START REPLICATION FROM main TO main", kInvalidArgument,
      "cannot replicate fork main onto itself", "START REPLICATION");
  EXPECT_SQL_FAILS_CLEANLY_REFUSED_IN_TXN(
      "STOP REPLICATION TO green", kNotFound, "no replication into fork green",
      "STOP REPLICATION");
  EXPECT_SQL_FAILS_CLEANLY("WAIT FOR REPLICATION TO green", kNotFound,
                           "no running replication into fork green");
  EXPECT_SQL_FAILS_CLEANLY("SHOW REPLICATION CONFLICTS FOR nope", kNotFound,
                           "fork 'nope' does not exist");
  EXPECT_EQ(T("SHOW REPLICATION"), none);

  ENGINE_ASSERT_OK(Exec("START REPLICATION FROM main TO green"));
  const Rows running = T("SHOW REPLICATION");
  EXPECT_EQ(running, Rows{"main|green|running|2|2|0|0|NULL"});
  EXPECT_SQL_FAILS_CLEANLY_REFUSED_IN_TXN(
      "START REPLICATION FROM blue TO green", kInvalidArgument,
      "fork green already has a replication; STOP REPLICATION TO green first",
      "START REPLICATION");
  // Inside a transaction every replication statement that changes
  // something is refused, and the transaction goes on.
  ENGINE_ASSERT_OK(Exec("BEGIN; INSERT INTO t VALUES (7, 'x');"));
  EXPECT_EQ(T("START REPLICATION FROM main TO blue"),
            Rows{"error: START REPLICATION is not allowed inside a "
                 "transaction (COMMIT or ROLLBACK first)"});
  EXPECT_EQ(T("STOP REPLICATION TO green"),
            Rows{"error: STOP REPLICATION is not allowed inside a transaction "
                 "(COMMIT or ROLLBACK first)"});
  EXPECT_TRUE(session().in_transaction());
  EXPECT_EQ(T("SHOW REPLICATION"), running);
  ENGINE_ASSERT_OK(Exec("COMMIT; WAIT FOR REPLICATION TO green;"));
  ENGINE_ASSERT_OK(Exec("USE FORK green"));
  EXPECT_EQ(T("SELECT * FROM t ORDER BY id"), (Rows{"1|a", "7|x"}));
  // The same replication from main to blue is fine.
  ENGINE_ASSERT_OK(
      Exec("START REPLICATION FROM main TO blue;"
           "WAIT FOR REPLICATION TO blue;"));
  EXPECT_EQ(T("SHOW REPLICATION"), (Rows{"main|green|running|3|3|0|0|NULL",
                                         "main|blue|running|3|3|0|0|NULL"}));
}

// ---------------------------------------------------------------------------
// Divergence between forks.

class ExecutorDivergenceTest : public ExecutorBinlogTest {
 protected:
  // Forks a and b of main, made one after the other (their merge base is
  // main as it was then), each with writes of its own since. In t: row 1 is
  // updated differently on both sides, row 2 too but in different columns,
  // row 3 updated on a and deleted on b, row 4 the other way round, row 5
  // updated on a only, 6 inserted on both with different rows, 7 inserted on
  // both alike, 8 on a only, 9 on b only. In u (a two-column key): ('x', 1)
  // updated alike on both sides, ('x', 2) differently.
  void LoadForks() {
    ENGINE_ASSERT_OK(Exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score INTEGER);"
        "INSERT INTO t VALUES (1, 'one', 10), (2, 'two', 20), "
        "  (3, 'three', 30), (4, 'four', 40), (5, 'five', 50);"
        "CREATE TABLE u (g TEXT, n INTEGER, v REAL, PRIMARY KEY (g, n));"
        "INSERT INTO u VALUES ('x', 1, 0.5), ('x', 2, 1.5);"
        "CREATE FORK a; CREATE FORK b;"));
    ENGINE_ASSERT_OK(
        Exec("USE FORK a;"
             "UPDATE t SET score = 11 WHERE id = 1;"
             "UPDATE t SET name = 'TWO' WHERE id = 2;"
             "UPDATE t SET score = 33 WHERE id = 3;"
             "DELETE FROM t WHERE id = 4;"
             "UPDATE t SET score = 55 WHERE id = 5;"
             "INSERT INTO t VALUES (6, 'six-a', 60), (7, 'seven', 70), "
             "  (8, 'eight', 80);"
             "UPDATE u SET v = 9.0 WHERE n = 1;"
             "UPDATE u SET v = 2.5 WHERE n = 2;"));
    ENGINE_ASSERT_OK(
        Exec("USE FORK b;"
             "UPDATE t SET score = 12 WHERE id = 1;"
             "UPDATE t SET score = 22 WHERE id = 2;"
             "DELETE FROM t WHERE id = 3;"
             "UPDATE t SET name = 'FOUR' WHERE id = 4;"
             "INSERT INTO t VALUES (6, 'six-b', 60), (7, 'seven', 70), "
             "  (9, 'nine', 90);"
             "UPDATE u SET v = 9.0 WHERE n = 1;"
             "UPDATE u SET v = 3.5 WHERE n = 2;"
             "USE FORK main;"));
  }

  // SHOW DIVERGENCE BETWEEN a AND b for the forks of LoadForks(), by row.
  static constexpr std::string_view kRow1 =
      "t|{\"id\":1}|update/update|{\"id\":1,\"name\":\"one\",\"score\":10}|"
      "{\"id\":1,\"name\":\"one\",\"score\":11}|"
      "{\"id\":1,\"name\":\"one\",\"score\":12}";
  static constexpr std::string_view kRow2 =
      "t|{\"id\":2}|update/update|{\"id\":2,\"name\":\"two\",\"score\":20}|"
      "{\"id\":2,\"name\":\"TWO\",\"score\":20}|"
      "{\"id\":2,\"name\":\"two\",\"score\":22}";
  static constexpr std::string_view kRow3 =
      "t|{\"id\":3}|update/delete|{\"id\":3,\"name\":\"three\",\"score\":30}|"
      "{\"id\":3,\"name\":\"three\",\"score\":33}|NULL";
  static constexpr std::string_view kRow4 =
      "t|{\"id\":4}|delete/update|{\"id\":4,\"name\":\"four\",\"score\":40}|"
      "NULL|{\"id\":4,\"name\":\"FOUR\",\"score\":40}";
  static constexpr std::string_view kRow6 =
      "t|{\"id\":6}|insert/insert|NULL|"
      "{\"id\":6,\"name\":\"six-a\",\"score\":60}|"
      "{\"id\":6,\"name\":\"six-b\",\"score\":60}";
  static constexpr std::string_view kRowU =
      "u|{\"g\":\"x\",\"n\":2}|update/update|{\"g\":\"x\",\"n\":2,\"v\":1.5}|"
      "{\"g\":\"x\",\"n\":2,\"v\":2.5}|{\"g\":\"x\",\"n\":2,\"v\":3.5}";

  static Rows Of(std::initializer_list<std::string_view> rows) {
    Rows out;
    for (std::string_view r : rows) out.emplace_back(r);
    return out;
  }
};

TEST_F(ExecutorDivergenceTest, ResultColumnsAreNamedAsInSqlMd) {
  EXPECT_EQ(Names("SHOW DIVERGENCE BETWEEN a AND b"),
            (std::vector<std::string>{"table_name", "key", "kind", "base", "a",
                                      "b"}));
  EXPECT_EQ(Names("SHOW DIVERGENT PAGES BETWEEN a AND b"),
            (std::vector<std::string>{"page", "table_name", "base", "a", "b"}));
  EXPECT_EQ(Names("SHOW DIFF BETWEEN a AND b FOR TABLE t"),
            (std::vector<std::string>{"table_name", "key", "kind", "a", "b"}));
}

TEST_F(ExecutorDivergenceTest, ShowDivergenceHasOneRowPerDivergentRow) {
  LoadForks();
  // Rows 5, 7, 8, 9 and ('x', 1) changed on one side only or alike on both.
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b"),
            Of({kRow1, kRow2, kRow3, kRow4, kRow6, kRowU}));
  // The same from the other side: the kinds and images swap.
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN b AND a FOR TABLE t"),
            (Rows{"t|{\"id\":1}|update/update|"
                  "{\"id\":1,\"name\":\"one\",\"score\":10}|"
                  "{\"id\":1,\"name\":\"one\",\"score\":12}|"
                  "{\"id\":1,\"name\":\"one\",\"score\":11}",
                  "t|{\"id\":2}|update/update|"
                  "{\"id\":2,\"name\":\"two\",\"score\":20}|"
                  "{\"id\":2,\"name\":\"two\",\"score\":22}|"
                  "{\"id\":2,\"name\":\"TWO\",\"score\":20}",
                  "t|{\"id\":3}|delete/update|"
                  "{\"id\":3,\"name\":\"three\",\"score\":30}|NULL|"
                  "{\"id\":3,\"name\":\"three\",\"score\":33}",
                  "t|{\"id\":4}|update/delete|"
                  "{\"id\":4,\"name\":\"four\",\"score\":40}|"
                  "{\"id\":4,\"name\":\"FOUR\",\"score\":40}|NULL",
                  "t|{\"id\":6}|insert/insert|NULL|"
                  "{\"id\":6,\"name\":\"six-b\",\"score\":60}|"
                  "{\"id\":6,\"name\":\"six-a\",\"score\":60}"}));
  // main itself has not changed since the forks were made.
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN main AND a"), Rows{});
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND a"), Rows{});
}

TEST_F(ExecutorDivergenceTest, AtCellLevelUpdatesOfDifferentColumnsAgree) {
  LoadForks();
  // Row 2: a changed name, b changed score. Deletes still diverge.
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b AT CELL LEVEL"),
            Of({kRow1, kRow3, kRow4, kRow6, kRowU}));
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE t AT CELL LEVEL"),
            Of({kRow1, kRow3, kRow4, kRow6}));
}

TEST_F(ExecutorDivergenceTest, ForTableReportsThatTableOnly) {
  LoadForks();
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE t"),
            Of({kRow1, kRow2, kRow3, kRow4, kRow6}));
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE u"), Of({kRowU}));
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN \"a\" AND B FOR TABLE U"), Of({kRowU}));
}

TEST_F(ExecutorDivergenceTest, ShowDiffHasOneRowPerDifferingRow) {
  LoadForks();
  const Rows t = {
      "t|{\"id\":1}|changed|{\"id\":1,\"name\":\"one\",\"score\":11}|"
      "{\"id\":1,\"name\":\"one\",\"score\":12}",
      "t|{\"id\":2}|changed|{\"id\":2,\"name\":\"TWO\",\"score\":20}|"
      "{\"id\":2,\"name\":\"two\",\"score\":22}",
      "t|{\"id\":3}|removed|{\"id\":3,\"name\":\"three\",\"score\":33}|NULL",
      "t|{\"id\":4}|added|NULL|{\"id\":4,\"name\":\"FOUR\",\"score\":40}",
      "t|{\"id\":5}|changed|{\"id\":5,\"name\":\"five\",\"score\":55}|"
      "{\"id\":5,\"name\":\"five\",\"score\":50}",
      "t|{\"id\":6}|changed|{\"id\":6,\"name\":\"six-a\",\"score\":60}|"
      "{\"id\":6,\"name\":\"six-b\",\"score\":60}",
      "t|{\"id\":8}|removed|{\"id\":8,\"name\":\"eight\",\"score\":80}|NULL",
      "t|{\"id\":9}|added|NULL|{\"id\":9,\"name\":\"nine\",\"score\":90}",
  };
  const std::string u =
      "u|{\"g\":\"x\",\"n\":2}|changed|{\"g\":\"x\",\"n\":2,\"v\":2.5}|"
      "{\"g\":\"x\",\"n\":2,\"v\":3.5}";
  Rows all = t;
  all.push_back(u);
  EXPECT_EQ(T("SHOW DIFF BETWEEN a AND b"), all);
  EXPECT_EQ(T("SHOW DIFF BETWEEN a AND b FOR TABLE t"), t);
  EXPECT_EQ(T("SHOW DIFF BETWEEN a AND b FOR TABLE u"), Rows{u});
  EXPECT_EQ(T("SHOW DIFF BETWEEN b AND a FOR TABLE u"),
            Rows{"u|{\"g\":\"x\",\"n\":2}|changed|"
                 "{\"g\":\"x\",\"n\":2,\"v\":3.5}|"
                 "{\"g\":\"x\",\"n\":2,\"v\":2.5}"});
  EXPECT_EQ(T("SHOW DIFF BETWEEN main AND b FOR TABLE u"),
            (Rows{"u|{\"g\":\"x\",\"n\":1}|changed|"
                  "{\"g\":\"x\",\"n\":1,\"v\":0.5}|"
                  "{\"g\":\"x\",\"n\":1,\"v\":9.0}",
                  "u|{\"g\":\"x\",\"n\":2}|changed|"
                  "{\"g\":\"x\",\"n\":2,\"v\":1.5}|"
                  "{\"g\":\"x\",\"n\":2,\"v\":3.5}"}));
  EXPECT_EQ(T("SHOW DIFF BETWEEN b AND b"), Rows{});
}

TEST_F(ExecutorDivergenceTest, ShowDivergentPagesListsPagesWrittenOnBothSides) {
  LoadForks();
  const Rows pages = T("SHOW DIVERGENT PAGES BETWEEN a AND b");
  ASSERT_FALSE(pages.empty());
  int64_t last = -1;
  bool t_leaf = false;
  for (const std::string& p : pages) {
    SCOPED_TRACE(p);
    ASSERT_EQ(std::count(p.begin(), p.end(), '|'), 4);
    const int64_t page = std::stoll(p.substr(0, p.find('|')));
    EXPECT_GT(page, last);  // ascending, each page once
    last = page;
    // t's rows share one leaf, written on both sides.
    if (p.substr(p.find('|')) == "|t|t leaf|t leaf|t leaf") t_leaf = true;
  }
  EXPECT_TRUE(t_leaf);
  // main wrote nothing since the forks were made.
  EXPECT_EQ(T("SHOW DIVERGENT PAGES BETWEEN main AND a"), Rows{});
}

TEST_F(ExecutorDivergenceTest, SchemaChangeOnOneSideAndRowChangeOnTheOther) {
  ENGINE_ASSERT_OK(
      Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
           "INSERT INTO t VALUES (1, 'x'), (2, 'y');"
           "CREATE TABLE w (id INTEGER PRIMARY KEY);"
           "INSERT INTO w VALUES (1);"
           "CREATE FORK a; CREATE FORK b;"
           "USE FORK a;"
           "ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0;"
           "ALTER TABLE w ADD COLUMN z TEXT;"
           "USE FORK b;"
           "UPDATE t SET v = 'z' WHERE id = 1;"
           "USE FORK main;"));
  // w changed on a only: not divergent.
  const Rows schema = {
      "t|NULL|schema|CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)|"
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, c INTEGER DEFAULT 0)|"
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"};
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b"), schema);
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE t AT CELL LEVEL"),
            schema);
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE w"), Rows{});
  // The diff names each side's columns.
  EXPECT_EQ(T("SHOW DIFF BETWEEN a AND b FOR TABLE t"),
            (Rows{"t|{\"id\":1}|changed|{\"id\":1,\"v\":\"x\",\"c\":0}|"
                  "{\"id\":1,\"v\":\"z\"}",
                  "t|{\"id\":2}|changed|{\"id\":2,\"v\":\"y\",\"c\":0}|"
                  "{\"id\":2,\"v\":\"y\"}"}));
}

TEST_F(ExecutorDivergenceTest, ATransactionComparesTheCommittedStates) {
  LoadForks();
  const Rows before = T("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE t");
  ENGINE_ASSERT_OK(
      Exec("USE FORK a; BEGIN; INSERT INTO t VALUES (9, 'nine-a', 1);"));
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE t"), before);
  EXPECT_TRUE(session().in_transaction());
  ENGINE_ASSERT_OK(Exec("COMMIT"));
  Rows after = before;
  after.push_back(
      "t|{\"id\":9}|insert/insert|NULL|"
      "{\"id\":9,\"name\":\"nine-a\",\"score\":1}|"
      "{\"id\":9,\"name\":\"nine\",\"score\":90}");
  EXPECT_EQ(T("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE t"), after);

  // A prepared statement reports afresh on each run.
  auto stmt = session().Prepare("SHOW DIFF BETWEEN a AND b FOR TABLE u");
  ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
  auto count = [&]() {
    int rows = 0;
    while (true) {
      auto step = stmt->Step();
      EXPECT_TRUE(step.ok()) << step.status().ToString();
      if (!step.ok() || !*step) return rows;
      ++rows;
    }
  };
  EXPECT_EQ(count(), 1);
  ENGINE_ASSERT_OK(Exec("UPDATE u SET v = 3.5 WHERE n = 2"));
  stmt->Reset();
  EXPECT_EQ(count(), 0);
}

TEST_F(ExecutorDivergenceTest, ErrorsNameTheForkOrTableAndChangeNothing) {
  LoadForks();
  EXPECT_SQL_FAILS_CLEANLY("SHOW DIVERGENCE BETWEEN a AND nope", kNotFound,
                           "fork 'nope' does not exist");
  EXPECT_SQL_FAILS_CLEANLY("SHOW DIVERGENCE BETWEEN nope AND b AT CELL LEVEL",
                           kNotFound, "fork 'nope' does not exist");
  EXPECT_SQL_FAILS_CLEANLY("SHOW DIVERGENT PAGES BETWEEN a AND nope", kNotFound,
                           "fork 'nope' does not exist");
  EXPECT_SQL_FAILS_CLEANLY("SHOW DIFF BETWEEN nope AND b", kNotFound,
                           "fork 'nope' does not exist");
  EXPECT_SQL_FAILS_CLEANLY("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE nope",
                           kNotFound, "table nope does not exist");
  EXPECT_SQL_FAILS_CLEANLY("SHOW DIFF BETWEEN a AND b FOR TABLE nope",
                           kNotFound, "table nope does not exist");
  EXPECT_EQ(T("SHOW DIFF BETWEEN a AND nope"),
            Rows{"error: fork 'nope' does not exist"});
}

TEST_F(ExecutorTest, SyntaxAndUnsupportedStatementsChangeNothing) {
  LoadSample();
  EXPECT_SQL_FAILS_CLEANLY("INSERT INTO t VALUES (5, 'x'", kInvalidArgument,
                           "1:29: expected ')', found end of input");
  EXPECT_SQL_FAILS_CLEANLY("DELETE t", kInvalidArgument,
                           "1:8: expected FROM, found 't'");
  EXPECT_SQL_FAILS_CLEANLY("ALTER TABLE t ADD COLUMN c INTEGER ONLINE",
                           kNotSupported,
                           "ALTER TABLE ... ONLINE is not supported yet");
  EXPECT_SQL_FAILS_CLEANLY("SELECT * FROM t, p", kNotSupported,
                           "joins are not supported");
}

}  // namespace
}  // namespace forkdb::sql
