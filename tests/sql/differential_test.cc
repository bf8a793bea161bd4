// Differential test of the SQL front end (forkdb/sql.h) against SQLite. A
// seeded generator writes random schemas and statements; each statement goes,
// as the same SQL text, to an in-memory forkdb Session and to an in-memory
// SQLite database, and the two must answer alike.
//
// What it proves: over the subset below, forkdb's lexer, parser and executor
// give SQLite's answers: the same success or failure for every statement; for
// rows, the same column count and the same rows with the same values of the
// same types (SQLite's sqlite3_column_type against Value::type(): INTEGER 1
// and REAL 1.0 differ), in the same order where ORDER BY fixes one and as
// equal multisets where it does not; the same changes() count for INSERT,
// UPDATE and DELETE; the same transaction state after BEGIN, COMMIT and
// ROLLBACK. After every write and every ROLLBACK the written tables are read
// whole on both sides and compared, and a statement that fails (duplicate
// primary key, UNIQUE violation, NOT NULL violation, a malformed statement)
// must leave both databases exactly as they were. Each TEST runs rounds of
// one shape: every kind of statement over small tables; aggregates and key
// and index ranges over tables of a few hundred rows (several B+tree pages);
// constraint violations inside and outside transactions; SELECT without FROM.
// A round starts from two empty databases.
//
// The agreed subset: where SQL.md is silent forkdb behaves as SQLite, except
// that column types are enforced and integer overflow and division by zero
// are errors. So the generator keeps to statements whose meaning is the same
// under both rules:
//   1. Every value written to a column matches its type (an INTEGER into a
//      REAL column is fine: both store a real). No BOOLEAN anywhere.
//   2. No text-to-number affinity conversion: operands of a comparison, IN or
//      BETWEEN are of one type class (numbers, TEXT or BLOB); LIKE, lower,
//      upper take TEXT; arithmetic takes numbers. (Numbers do become text in
//      `||`, length() and CAST(x AS TEXT), and numeric TEXT literals in CAST
//      AS INTEGER or REAL: these conversions are the same under both.)
//   3. No integer overflow: stored INTEGERs stay within 10^4 (UPDATE clamps
//      with min/max), and every expression carries a bound of its magnitude
//      that keeps it, and every sum() of it, far below 2^63.
//   4. No division or % by zero: every divisor is NULLIF(x, 0) of an
//      INTEGER or REAL x (an INTEGER x for %, as SQLite truncates a REAL
//      divisor of % to an integer).
//   5. Stored REALs are multiples of 0.25 within 10^4, and sum(), total()
//      and avg() only see values computed without rounding, so every sum is
//      exact in any order.
//   6. Text is ASCII, LIKE patterns too; BLOBs cast to TEXT are ASCII.
//   7. Every expression has one type in every row, NULL aside (CASE
//      branches, coalesce and scalar min/max arguments agree; INTEGER op REAL
//      is always REAL), so rows that tie under ORDER BY are identical and an
//      ORDER BY over every output column, or over the primary key, fixes the
//      result; LIMIT is used only then. Rows without such an ORDER BY are
//      compared as multisets.
//   8. An UPDATE sets a column of a primary key, UNIQUE column or unique
//      index only to a constant, so whether it violates uniqueness does not
//      depend on the order rows are visited. Composite primary key columns
//      are declared NOT NULL (SQLite would allow NULL in them).
//   9. A grouped SELECT shows only its GROUP BY expressions and aggregates
//      (no bare columns); GROUP BY and ORDER BY never name a constant (SQLite
//      reads an integer there as a column number), nor an AND with a literal
//      0 operand (SQLite's parser folds it to the integer 0). No HAVING without
//      GROUP BY. Schema changes happen outside transactions.
//  10. Two differences from SQLite are steered around. substr() of a
//      zero-length BLOB is NULL in SQLite and x'' in forkdb, so substr() of
//      a BLOB takes a non-empty literal. SQLite lets WHERE and HAVING name a
//      result column's alias and forkdb does not, so aliases appear only in
//      ORDER BY and GROUP BY.
//
// Replay: every run prints its seed; FORKDB_TEST_SEED=<seed> replays it and
// FORKDB_DIFF_ROUND=<round> runs only the round that failed.
// FORKDB_LONG_TESTS=1 runs ten times as many rounds. A failure shows the seed,
// the round, the statement, both results and a script of statements, reduced
// from the round's history, whose last statement the two answer differently.
// FORKDB_DIFF_TRACE=1 prints every statement before it runs.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/sql.h"
#include "forkdb/value.h"
#include "tests/engine/test_util.h"

namespace forkdb::sql {
namespace {

// Values stored by the generator stay within these (subset rules 3 and 5).
constexpr int64_t kStoredIntMax = 10000;
constexpr double kStoredRealMax = 10000.0;
constexpr int kStoredRealFracBits = 2;  // multiples of 0.25
// Any expression's magnitude stays below this: far from 2^63 ~ 9.2e18.
constexpr double kBoundMax = 1e15;
// Aggregated arguments stay below this, so a sum over kRowsMax rows does too.
constexpr double kAggregatedMax = 1e11;
constexpr double kRowsMax = 1000;
// A bound for a REAL quotient by an inexact divisor: unusable in arithmetic.
constexpr double kUnbounded = 1e300;
// Tables stop growing (inserts give way to deletes) above about this; the
// grouped shape loads bigger tables, whose scans cross B+tree pages.
constexpr size_t kTableRowsSoftMax = 90;
constexpr size_t kBigTableRowsSoftMax = 700;
static_assert(kBigTableRowsSoftMax + 100 < kRowsMax);

// ------------------------------------------------------------------ results

struct Outcome {
  bool ok = false;
  std::string error;
  size_t column_count = 0;
  std::vector<Row> rows;
  uint64_t changes = 0;
};

// A total order on rows for comparing multisets: SQL order, then type, so
// that INTEGER 1 and REAL 1.0 stay apart.
bool RowLess(const Row& a, const Row& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (const int c = engine::Compare(a[i], b[i]); c != 0) return c < 0;
    if (a[i].type() != b[i].type()) return a[i].type() < b[i].type();
  }
  return a.size() < b.size();
}

std::vector<Row> Sorted(std::vector<Row> rows) {
  std::sort(rows.begin(), rows.end(), RowLess);
  return rows;
}

std::string TypeOf(const Value& v) { return engine::TypeName(v.type()); }

std::string ShowRow(const Row& row) {
  std::string out = "(";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ", ";
    out += row[i].ToString();
    if (row[i].type() != Type::kNull) out += ":" + TypeOf(row[i]);
  }
  return out + ")";
}

std::string ShowRows(const std::vector<Row>& rows) {
  constexpr size_t kShown = 25;
  std::string out;
  for (size_t i = 0; i < rows.size() && i < kShown; ++i) {
    out += "\n      " + ShowRow(rows[i]);
  }
  if (rows.size() > kShown) {
    out += "\n      ... " + std::to_string(rows.size() - kShown) + " more";
  }
  return out;
}

std::string Show(const Outcome& o, bool dml) {
  if (!o.ok) return "error: " + o.error;
  std::string out = "ok, " + std::to_string(o.rows.size()) + " rows of " +
                    std::to_string(o.column_count) + " columns";
  if (dml) out += ", " + std::to_string(o.changes) + " changes";
  return out + ShowRows(o.rows);
}

// One statement of a round, with how its results are compared.
struct Step {
  std::string sql;
  bool ordered = false;  // ORDER BY fixes the row order
  bool dml = false;      // INSERT, UPDATE or DELETE: changes() is compared
};

// Why `f` (forkdb) and `s` (SQLite) disagree, or "" if they do not.
std::string Disagreement(const Step& step, const Outcome& f, const Outcome& s) {
  if (f.ok != s.ok) {
    return f.ok ? "forkdb succeeds, SQLite fails"
                : "forkdb fails, SQLite succeeds";
  }
  if (!f.ok) return "";
  if (f.column_count != s.column_count) return "column counts differ";
  if (f.rows.size() != s.rows.size()) return "row counts differ";
  const std::vector<Row> fr = step.ordered ? f.rows : Sorted(f.rows);
  const std::vector<Row> sr = step.ordered ? s.rows : Sorted(s.rows);
  for (size_t i = 0; i < fr.size(); ++i) {
    if (fr[i].size() != sr[i].size()) return "row widths differ";
    for (size_t j = 0; j < fr[i].size(); ++j) {
      if (!(fr[i][j] == sr[i][j])) {
        return std::string(step.ordered ? "row " : "sorted row ") +
               std::to_string(i) + " column " + std::to_string(j) +
               " differs: " + fr[i][j].ToString() + ":" + TypeOf(fr[i][j]) +
               " vs " + sr[i][j].ToString() + ":" + TypeOf(sr[i][j]);
      }
    }
  }
  if (step.dml && f.changes != s.changes) return "changes() differ";
  return "";
}

// ---------------------------------------------------------- the two sides

class SqliteSide {
 public:
  SqliteSide() {
    if (sqlite3_open(":memory:", &db_) != SQLITE_OK) {
      std::cerr << "sqlite3_open failed\n";
      std::abort();
    }
  }
  ~SqliteSide() { sqlite3_close(db_); }
  SqliteSide(const SqliteSide&) = delete;
  SqliteSide& operator=(const SqliteSide&) = delete;

  Outcome Run(const std::string& sql) {
    Outcome out;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()),
                           &stmt, nullptr) != SQLITE_OK) {
      out.error = sqlite3_errmsg(db_);
      sqlite3_finalize(stmt);
      return out;
    }
    if (stmt == nullptr) {  // only blanks and comments
      out.ok = true;
      return out;
    }
    const int columns = sqlite3_column_count(stmt);
    out.column_count = static_cast<size_t>(columns);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row row;
      for (int i = 0; i < columns; ++i) row.push_back(ColumnValue(stmt, i));
      out.rows.push_back(std::move(row));
    }
    if (rc == SQLITE_DONE) {
      out.ok = true;
      out.changes = static_cast<uint64_t>(sqlite3_changes64(db_));
    } else {
      out.error = sqlite3_errmsg(db_);
      out.rows.clear();
    }
    sqlite3_finalize(stmt);
    return out;
  }

  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

 private:
  static Value ColumnValue(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return Value::Integer(sqlite3_column_int64(stmt, i));
      case SQLITE_FLOAT:
        return Value::Real(sqlite3_column_double(stmt, i));
      case SQLITE_TEXT: {
        const auto* p =
            reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        return Value::Text(p == nullptr ? std::string() : std::string(p, n));
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        const int n = sqlite3_column_bytes(stmt, i);
        return Value::Blob(p == nullptr ? std::string() : std::string(p, n));
      }
      default:
        return Value::Null();
    }
  }

  sqlite3* db_ = nullptr;
};

engine::Database OpenInMemory() {
  auto db = engine::Database::Open();
  if (!db.ok()) {
    std::cerr << "Database::Open: " << db.status().ToString() << "\n";
    std::abort();
  }
  return std::move(db).value();
}

class ForkdbSide {
 public:
  ForkdbSide() : session_(OpenInMemory()) {}

  Outcome Run(const std::string& sql) {
    Outcome out;
    auto stmt = session_.Prepare(sql);
    if (!stmt.ok()) {
      out.error = stmt.status().ToString();
      return out;
    }
    if (!stmt->valid()) {
      out.ok = true;
      return out;
    }
    out.column_count = stmt->column_count();
    for (;;) {
      auto more = stmt->Step();
      if (!more.ok()) {
        out.error = more.status().ToString();
        out.rows.clear();
        return out;
      }
      if (!*more) break;
      out.rows.push_back(stmt->row());
    }
    out.ok = true;
    out.changes = stmt->changes();
    return out;
  }

  bool in_transaction() const { return session_.in_transaction(); }

 private:
  Session session_;
};

bool Tracing() { return std::getenv("FORKDB_DIFF_TRACE") != nullptr; }

// Both databases, fed the same statements.
class Pair {
 public:
  // Runs `step` on both; the reason they disagree, or "".
  std::string Run(const Step& step, Outcome* f, Outcome* s) {
    if (Tracing()) std::cout << "  > " << step.sql << "\n" << std::flush;
    *f = forkdb_.Run(step.sql);
    *s = sqlite_.Run(step.sql);
    std::string why = Disagreement(step, *f, *s);
    if (why.empty() && forkdb_.in_transaction() != sqlite_.in_transaction()) {
      why = forkdb_.in_transaction()
                ? "forkdb is in a transaction, SQLite is not"
                : "SQLite is in a transaction, forkdb is not";
    }
    return why;
  }

  // A read on SQLite alone, to aim a statement (not part of the history).
  std::vector<Row> Peek(const std::string& sql) {
    Outcome o = sqlite_.Run(sql);
    return o.ok ? std::move(o.rows) : std::vector<Row>();
  }

  bool in_transaction() const { return sqlite_.in_transaction(); }

 private:
  ForkdbSide forkdb_;
  SqliteSide sqlite_;
};

// Runs `steps` on a fresh pair: the index of the first statement the two
// answer differently, or -1. Stops early once `*budget` statements ran.
int Replay(const std::vector<Step>& steps, int64_t* budget,
           Outcome* f = nullptr, Outcome* s = nullptr) {
  Pair pair;
  Outcome fo, so;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (--*budget < 0) return -1;
    if (!pair.Run(steps[i], &fo, &so).empty()) {
      if (f != nullptr) *f = fo;
      if (s != nullptr) *s = so;
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Drops statements from `steps` (whose last one diverges) while its last one
// still diverges: chunks of halving size, as in delta debugging.
std::vector<Step> Reduce(std::vector<Step> steps) {
  int64_t budget = 150000;
  if (Replay(steps, &budget) != static_cast<int>(steps.size()) - 1) {
    return steps;  // not reproducible alone; keep the whole history
  }
  size_t chunk = std::max<size_t>(1, steps.size() / 2);
  while (budget > 0) {
    bool removed = false;
    for (size_t start = 0; start + 1 < steps.size() && budget > 0;) {
      const size_t end = std::min(start + chunk, steps.size() - 1);
      std::vector<Step> candidate(steps.begin(), steps.begin() + start);
      candidate.insert(candidate.end(), steps.begin() + end, steps.end());
      if (Replay(candidate, &budget) ==
          static_cast<int>(candidate.size()) - 1) {
        steps = std::move(candidate);
        removed = true;
      } else {
        start = end;
      }
    }
    if (chunk == 1 && !removed) break;
    if (!removed) chunk = std::max<size_t>(1, chunk / 2);
  }
  return steps;
}

// ---------------------------------------------------------------- schemas

enum class Kind { kInt, kReal, kText, kBlob };

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kInt:
      return "INTEGER";
    case Kind::kReal:
      return "REAL";
    case Kind::kText:
      return "TEXT";
    case Kind::kBlob:
      return "BLOB";
  }
  return "?";
}

bool IsNumber(Kind kind) { return kind == Kind::kInt || kind == Kind::kReal; }

struct Column {
  std::string name;
  Kind kind = Kind::kInt;
  bool not_null = false;
  bool has_default = false;
  bool integer_primary_key = false;  // the rowid alias: NULL assigns a key
};

struct Index {
  std::string name;
  std::vector<size_t> columns;
  bool unique = false;
};

struct Table {
  std::string name;
  std::vector<Column> columns;
  std::vector<size_t> primary_key;               // empty: a hidden row id
  std::vector<std::vector<size_t>> unique_keys;  // primary key and UNIQUE
  std::vector<Index> indexes;                    // CREATE INDEX
  size_t rows = 0;                               // at the last read
  std::vector<Row> contents;                     // sorted, at the last read

  // Every set of columns whose values must be unique.
  std::vector<std::vector<size_t>> Keys() const {
    std::vector<std::vector<size_t>> keys = unique_keys;
    for (const Index& index : indexes) {
      if (index.unique) keys.push_back(index.columns);
    }
    return keys;
  }
  bool InKey(size_t column) const {
    for (const auto& key : Keys()) {
      if (std::find(key.begin(), key.end(), column) != key.end()) return true;
    }
    return false;
  }
};

// --------------------------------------------------------- expressions

// SQLite's precedence levels (parse.y), loosest first. A child printed
// without parentheses binds tighter than its parent.
constexpr int kOr = 10;
constexpr int kAnd = 20;
constexpr int kNot = 30;
constexpr int kEquality = 40;    // = == != <> IS IN LIKE BETWEEN
constexpr int kRelational = 50;  // < <= > >=
constexpr int kAdditive = 60;
constexpr int kMultiplicative = 70;
constexpr int kConcat = 80;
constexpr int kUnary = 90;
constexpr int kAtom = 100;

struct Expr {
  std::string sql;
  Kind kind = Kind::kInt;
  int prec = kAtom;
  double bound = 0;        // numbers: an upper bound of |value|
  int frac = 0;            // REAL: a multiple of 2^-frac (when exact)
  bool exact = true;       // REAL: computed without rounding
  bool constant = true;    // refers to no column
  bool aggregate = false;  // holds an aggregate call
  bool column = false;     // a bare column reference
  bool zero = false;       // SQLite's parser makes it the integer literal 0
};

bool ExactReal(double bound, int frac) {
  return frac <= 40 && bound * std::ldexp(1.0, frac) <= std::ldexp(1.0, 50);
}

std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

std::string RealText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  std::string out(buf);
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
  return out;
}

std::string HexBlob(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "x'";
  for (char c : bytes) {
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 0xf]);
  }
  return out + "'";
}

// A value read from SQLite as a SQL literal that reads back the same.
std::string LiteralOf(const Value& v) {
  switch (v.type()) {
    case Type::kInteger:
      return std::to_string(v.integer());
    case Type::kReal:
      return RealText(v.real());
    case Type::kText:
      return Quote(v.text());
    case Type::kBlob:
      return HexBlob(v.blob());
    default:
      return "NULL";
  }
}

// Writes random SQL over a set of tables. Every method keeps to the subset
// described at the top of the file.
class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  std::mt19937_64& rng() { return rng_; }
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int>(v.size()) - 1))];
  }
  Kind AnyKind() { return static_cast<Kind>(Uniform(0, 3)); }
  Kind NumberKind() { return Chance(0.5) ? Kind::kInt : Kind::kReal; }

  // Per statement: how keywords and names are cased, and whether
  // parentheses are minimal (only where SQLite's precedence needs them).
  void NewStatement() {
    casing_ = Chance(0.6) ? 0 : Uniform(1, 2);
    minimal_parens_ = Chance(0.3);
  }

  // A keyword or function name, cased per statement.
  std::string K(std::string_view word) {
    std::string out(word);
    for (char& c : out) {
      const bool upper = casing_ == 0 || (casing_ == 2 && Chance(0.5));
      c = static_cast<char>(upper
                                ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
  }
  // A table, column or index name (written lower case), cased per statement.
  std::string Id(std::string_view name) {
    std::string out(name);
    if (casing_ == 0) return out;
    for (char& c : out) {
      const bool upper = casing_ == 1 || Chance(0.5);
      if (upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
  }

  // ---- values

  int64_t IntValue(bool wide) {
    if (wide || Chance(0.2)) return Uniform(-1000, 1000);
    return Chance(0.7) ? Uniform(-10, 10) : Uniform(-100, 100);
  }
  double RealValue(bool wide) {
    return (wide || Chance(0.3) ? Uniform(-4000, 4000) : Uniform(-40, 40)) *
           0.25;
  }
  std::string TextValue(bool wide) {
    static const std::vector<std::string> kCommon = {
        "",    "a",   "b",    "A",   "ab",  "aB", "ba",
        "abc", "x y", "it's", "a_b", "50%", "zz", "B"};
    if (!wide && Chance(0.6)) return Pick(kCommon);
    static constexpr char kAlphabet[] = "abcABC xyz_%'019";
    std::string s;
    const int n = Uniform(wide ? 1 : 0, wide ? 6 : 4);
    for (int i = 0; i < n; ++i) {
      s.push_back(kAlphabet[Uniform(0, sizeof(kAlphabet) - 2)]);
    }
    return s;
  }
  std::string BlobValue(bool ascii) {
    static constexpr char kBytes[] = {'\x00', '\x01', 'A', 'a', '~', '\xff'};
    static constexpr char kAscii[] = {'A', 'a', '~', 'b', '0'};
    std::string s;
    const int n = Uniform(0, 3);
    for (int i = 0; i < n; ++i) {
      s.push_back(ascii ? kAscii[Uniform(0, sizeof(kAscii) - 1)]
                        : kBytes[Uniform(0, sizeof(kBytes) - 1)]);
    }
    return s;
  }

  Expr IntLit(int64_t v) {
    Expr e;
    e.sql = std::to_string(v);
    e.kind = Kind::kInt;
    e.prec = v < 0 ? kUnary : kAtom;
    e.bound = static_cast<double>(v < 0 ? -v : v);
    e.zero = v == 0;
    return e;
  }
  Expr RealLit(double v) {
    Expr e;
    e.sql = RealText(v);
    e.kind = Kind::kReal;
    e.prec = v < 0 ? kUnary : kAtom;
    e.bound = std::fabs(v);
    e.frac = kStoredRealFracBits;
    return e;
  }
  Expr TextLit(const std::string& s) {
    Expr e;
    e.sql = Quote(s);
    e.kind = Kind::kText;
    return e;
  }
  Expr BlobLit(const std::string& bytes) {
    Expr e;
    e.sql = HexBlob(bytes);
    if (Chance(0.3)) e.sql[0] = 'X';
    e.kind = Kind::kBlob;
    return e;
  }
  Expr NullLit(Kind kind) {
    Expr e;
    e.sql = K("NULL");
    e.kind = kind;
    return e;
  }
  Expr Literal(Kind kind, bool wide = false) {
    switch (kind) {
      case Kind::kInt:
        return IntLit(IntValue(wide));
      case Kind::kReal:
        return RealLit(RealValue(wide));
      case Kind::kText:
        return TextLit(TextValue(wide));
      case Kind::kBlob:
        return BlobLit(BlobValue(false));
    }
    return NullLit(kind);
  }

  // A literal for `column` as INSERT writes it: NULL with probability
  // `null_p`; an INTEGER literal at times for a REAL column.
  std::string ValueFor(const Column& column, bool in_key, double null_p) {
    if (Chance(null_p)) return K("NULL");
    if (column.integer_primary_key) {
      return std::to_string(Uniform(1, integer_key_max));
    }
    if (column.kind == Kind::kReal && Chance(0.2)) {
      return IntLit(IntValue(in_key)).sql;
    }
    return Literal(column.kind, in_key && Chance(0.8)).sql;
  }

  // ---- expressions over the scope: `table` (null: no FROM)

  const Table* table = nullptr;
  std::vector<Expr> group_keys;  // in a grouped SELECT
  int integer_key_max = 300;     // INTEGER PRIMARY KEY values: 1 to this

  Expr ColumnRef(Kind kind) {
    std::vector<size_t> fits;
    if (table != nullptr) {
      for (size_t i = 0; i < table->columns.size(); ++i) {
        if (table->columns[i].kind == kind) fits.push_back(i);
      }
    }
    if (fits.empty()) return Literal(kind);
    Expr e;
    e.sql = Id(table->columns[Pick(fits)].name);
    e.kind = kind;
    e.constant = false;
    e.column = true;
    if (kind == Kind::kInt) e.bound = kStoredIntMax;
    if (kind == Kind::kReal) {
      e.bound = kStoredRealMax;
      e.frac = kStoredRealFracBits;
    }
    return e;
  }

  Expr Leaf(Kind kind) {
    if (table != nullptr && Chance(0.6)) return ColumnRef(kind);
    if (Chance(0.1)) return NullLit(kind);
    return Literal(kind);
  }

  // `child` as an operand of an operator of precedence `prec`.
  std::string Operand(const Expr& child, int prec, bool right = false) {
    bool parens = child.prec < kAtom;
    if (minimal_parens_) {
      parens = child.prec < prec || (right && child.prec == prec);
    }
    return parens ? "(" + child.sql + ")" : child.sql;
  }
  // An operand of IS, IN, LIKE and BETWEEN: parenthesized unless arithmetic
  // or tighter, whatever the mode.
  std::string Tight(const Expr& child) {
    return child.prec < kAdditive || (!minimal_parens_ && child.prec < kAtom)
               ? "(" + child.sql + ")"
               : child.sql;
  }

  static Expr Merge(std::initializer_list<const Expr*> parts) {
    Expr e;
    for (const Expr* p : parts) {
      e.constant = e.constant && p->constant;
      e.aggregate = e.aggregate || p->aggregate;
    }
    return e;
  }

  Expr Call(std::string_view name, const std::vector<Expr>& args, Kind kind) {
    Expr e;
    e.kind = kind;
    e.sql = K(name) + "(";
    for (size_t i = 0; i < args.size(); ++i) {
      if (i > 0) e.sql += ", ";
      e.sql += args[i].sql;
      e.constant = e.constant && args[i].constant;
      e.aggregate = e.aggregate || args[i].aggregate;
    }
    e.sql += ")";
    return e;
  }

  // a op b for op in + - *; INTEGER if both are, else REAL. Falls back to
  // `a` where the result could leave the bounds.
  Expr Arith(char op, const Expr& a, const Expr& b) {
    const double bound = op == '*' ? a.bound * b.bound : a.bound + b.bound;
    if (!(bound <= kBoundMax) || a.bound >= kUnbounded ||
        b.bound >= kUnbounded) {
      return a;
    }
    Expr e = Merge({&a, &b});
    const int prec = op == '*' ? kMultiplicative : kAdditive;
    e.sql = Operand(a, prec) + " " + op + " " + Operand(b, prec, true);
    e.prec = prec;
    e.kind = a.kind == Kind::kReal || b.kind == Kind::kReal ? Kind::kReal
                                                            : Kind::kInt;
    e.bound = bound;
    e.frac = op == '*' ? a.frac + b.frac : std::max(a.frac, b.frac);
    e.exact = a.exact && b.exact && ExactReal(e.bound, e.frac);
    return e;
  }

  // NULLIF(d, 0): a divisor that is never zero.
  Expr NonZero(const Expr& d) {
    Expr zero = d.kind == Kind::kReal && Chance(0.5) ? RealLit(0) : IntLit(0);
    Expr e = Call("NULLIF", {d, zero}, d.kind);
    e.bound = d.bound;
    e.frac = d.frac;
    e.exact = d.exact;
    return e;
  }

  Expr Divide(const Expr& a, const Expr& b) {
    if (a.bound >= kUnbounded) return a;
    const Expr d = NonZero(b);
    Expr e = Merge({&a, &d});
    e.sql =
        Operand(a, kMultiplicative) + " / " + Operand(d, kMultiplicative, true);
    e.prec = kMultiplicative;
    if (a.kind == Kind::kInt && b.kind == Kind::kInt) {
      e.kind = Kind::kInt;
      e.bound = a.bound;
      return e;
    }
    e.kind = Kind::kReal;
    e.exact = false;
    e.frac = 64;
    if (b.kind == Kind::kInt) {
      e.bound = a.bound;
    } else if (b.exact && b.frac <= 40) {
      e.bound = a.bound * std::ldexp(1.0, b.frac);
    } else {
      e.bound = kUnbounded;
    }
    if (e.bound > kBoundMax) e.bound = kUnbounded;
    return e;
  }

  // a % NULLIF(b, 0), b INTEGER. A REAL `a` is truncated to an integer and
  // the remainder is a REAL (SQLite's OP_Remainder).
  Expr Remainder(const Expr& a, const Expr& b) {
    if (a.bound > kBoundMax) return a;
    const Expr d = NonZero(b);
    Expr e = Merge({&a, &d});
    e.sql =
        Operand(a, kMultiplicative) + " % " + Operand(d, kMultiplicative, true);
    e.prec = kMultiplicative;
    e.kind = a.kind;
    e.bound = std::min(a.bound, b.bound);
    e.frac = 0;
    e.exact = true;
    return e;
  }

  Expr Negate(const Expr& a) {
    Expr e = a;
    const bool bare = a.prec >= kUnary && a.sql[0] != '-';
    e.sql = "-" + (bare ? a.sql : "(" + a.sql + ")");
    e.prec = kUnary;
    e.column = false;
    return e;
  }

  Expr Case(Kind kind, int depth) {
    std::vector<Expr> values;
    std::string sql = K("CASE");
    Expr e;
    const bool simple = Chance(0.3);
    Kind subject_kind = NumberKind();
    if (simple) {
      subject_kind = AnyKind();
      const Expr subject = Gen(subject_kind, depth - 1);
      e = Merge({&e, &subject});
      sql += " " + subject.sql;
    }
    const int whens = Uniform(1, 3);
    for (int i = 0; i < whens; ++i) {
      const Expr when =
          simple ? Gen(SameClass(subject_kind), depth - 1) : Bool(depth - 1);
      const Expr then = Gen(kind, depth - 1);
      e = Merge({&e, &when, &then});
      sql +=
          " " + K("WHEN") + " " + when.sql + " " + K("THEN") + " " + then.sql;
      values.push_back(then);
    }
    if (Chance(0.7)) {
      const Expr otherwise = Gen(kind, depth - 1);
      e = Merge({&e, &otherwise});
      sql += " " + K("ELSE") + " " + otherwise.sql;
      values.push_back(otherwise);
    }
    e.sql = sql + " " + K("END");
    e.kind = kind;
    Bounds(&e, values);
    return e;
  }

  // INTEGER and REAL are one class: either may stand for the other.
  Kind SameClass(Kind kind) { return IsNumber(kind) ? NumberKind() : kind; }

  // The bound of an expression that yields one of `values`.
  static void Bounds(Expr* e, const std::vector<Expr>& values) {
    e->bound = 0;
    e->frac = 0;
    e->exact = true;
    for (const Expr& v : values) {
      e->bound = std::max(e->bound, v.bound);
      e->frac = std::max(e->frac, v.frac);
      e->exact = e->exact && v.exact;
    }
  }

  // coalesce, ifnull, nullif, scalar min and max: arguments of one kind.
  Expr Choice(Kind kind, int depth) {
    std::vector<Expr> args;
    switch (Uniform(0, 3)) {
      case 0: {
        const int n = Uniform(2, 3);
        for (int i = 0; i < n; ++i) args.push_back(Gen(kind, depth - 1));
        Expr e = Call("coalesce", args, kind);
        Bounds(&e, args);
        return e;
      }
      case 1: {
        args = {Gen(kind, depth - 1), Gen(kind, depth - 1)};
        Expr e = Call("ifnull", args, kind);
        Bounds(&e, args);
        return e;
      }
      case 2: {
        args = {Gen(kind, depth - 1), Gen(SameClass(kind), depth - 1)};
        Expr e = Call("nullif", args, kind);
        Bounds(&e, {args[0]});
        return e;
      }
      default: {
        const int n = Uniform(2, 3);
        for (int i = 0; i < n; ++i) args.push_back(Gen(kind, depth - 1));
        Expr e = Call(Chance(0.5) ? "min" : "max", args, kind);
        Bounds(&e, args);
        return e;
      }
    }
  }

  Expr Cast(Expr x, Kind to) {
    Expr e = Merge({&x});
    e.sql =
        K("CAST") + "(" + x.sql + " " + K("AS") + " " + K(KindName(to)) + ")";
    e.kind = to;
    e.bound = x.bound;
    e.frac = to == Kind::kInt ? 0 : x.frac;
    e.exact = to == Kind::kInt || x.exact;
    if (x.kind == Kind::kText) {  // a numeric literal string
      e.bound = 1000;
      e.frac = kStoredRealFracBits;
      e.exact = true;
    }
    return e;
  }

  Expr NumericText() {
    return TextLit(Chance(0.5) ? std::to_string(Uniform(-99, 99))
                               : RealText(RealValue(false)));
  }

  Expr Gen(Kind kind, int depth) {
    if (depth <= 0 || Chance(0.25)) return Leaf(kind);
    switch (kind) {
      case Kind::kInt:
        return GenInt(depth);
      case Kind::kReal:
        return GenReal(depth);
      case Kind::kText:
        return GenText(depth);
      case Kind::kBlob:
        return GenBlob(depth);
    }
    return Leaf(kind);
  }

  Expr GenInt(int depth) {
    switch (Uniform(0, 15)) {
      case 0:
      case 1:
      case 2: {
        static constexpr char kOps[] = {'+', '-', '*'};
        return Arith(kOps[Uniform(0, 2)], Gen(Kind::kInt, depth - 1),
                     Gen(Kind::kInt, depth - 1));
      }
      case 3:
        return Divide(Gen(Kind::kInt, depth - 1), Gen(Kind::kInt, depth - 1));
      case 4:
        return Remainder(Gen(Kind::kInt, depth - 1),
                         Gen(Kind::kInt, depth - 1));
      case 5: {
        const Expr a = Gen(Kind::kInt, depth - 1);
        if (Chance(0.5)) return Negate(a);
        Expr e = Call("abs", {a}, Kind::kInt);
        e.bound = a.bound;
        return e;
      }
      case 6: {
        Kind of = Chance(0.7) ? Kind::kText : Kind::kBlob;
        if (Chance(0.15)) of = NumberKind();
        Expr e = Call("length", {Gen(of, depth - 1)}, Kind::kInt);
        e.bound = 1e6;
        return e;
      }
      case 7: {
        if (Chance(0.15)) return Cast(NumericText(), Kind::kInt);
        const Expr x = Gen(NumberKind(), depth - 1);
        if (x.bound > kBoundMax) return Leaf(Kind::kInt);
        return Cast(x, Kind::kInt);
      }
      case 8:
      case 9:
        return Bool(depth - 1);
      case 10:
      case 11:
        return Case(Kind::kInt, depth);
      case 12:
      case 13:
        return Choice(Kind::kInt, depth);
      default:
        return Leaf(Kind::kInt);
    }
  }

  Expr GenReal(int depth) {
    auto operands = [&]() {
      Expr a = Gen(Kind::kReal, depth - 1);
      Expr b = Gen(NumberKind(), depth - 1);
      if (Chance(0.5)) std::swap(a, b);
      return std::make_pair(a, b);
    };
    switch (Uniform(0, 13)) {
      case 0:
      case 1:
      case 2: {
        static constexpr char kOps[] = {'+', '-', '*'};
        auto [a, b] = operands();
        Expr e = Arith(kOps[Uniform(0, 2)], a, b);
        return e.kind == Kind::kReal ? e : Leaf(Kind::kReal);
      }
      case 3: {
        auto [a, b] = operands();
        return Divide(a, b);
      }
      case 4:
        return Remainder(Gen(Kind::kReal, depth - 1),
                         Gen(Kind::kInt, depth - 1));
      case 5: {
        const Expr a = Gen(Kind::kReal, depth - 1);
        if (Chance(0.5)) return Negate(a);
        Expr e = Call("abs", {a}, Kind::kReal);
        Bounds(&e, {a});
        return e;
      }
      case 6:
        if (Chance(0.15)) return Cast(NumericText(), Kind::kReal);
        return Cast(Gen(Kind::kInt, depth - 1), Kind::kReal);
      case 7:
      case 8:
        return Case(Kind::kReal, depth);
      case 9:
      case 10:
        return Choice(Kind::kReal, depth);
      default:
        return Leaf(Kind::kReal);
    }
  }

  Expr GenText(int depth) {
    switch (Uniform(0, 12)) {
      case 0:
      case 1: {
        Expr a = Gen(Kind::kText, depth - 1);
        Expr b = Gen(Chance(0.15) ? NumberKind() : Kind::kText, depth - 1);
        if (Chance(0.5)) std::swap(a, b);
        Expr e = Merge({&a, &b});
        e.sql = Operand(a, kConcat) + " || " + Operand(b, kConcat, true);
        e.prec = kConcat;
        e.kind = Kind::kText;
        return e;
      }
      case 2:
        return Call(Chance(0.5) ? "lower" : "upper",
                    {Gen(Kind::kText, depth - 1)}, Kind::kText);
      case 3:
      case 4:
        return Substr(Kind::kText, depth);
      case 5: {
        if (Chance(0.2)) return Cast(BlobLit(BlobValue(true)), Kind::kText);
        Kind from = Chance(0.8) ? NumberKind() : Kind::kText;
        return Cast(Gen(from, depth - 1), Kind::kText);
      }
      case 6:
        return Call("typeof", {Gen(AnyKind(), depth - 1)}, Kind::kText);
      case 7:
      case 8:
        return Case(Kind::kText, depth);
      case 9:
      case 10:
        return Choice(Kind::kText, depth);
      default:
        return Leaf(Kind::kText);
    }
  }

  Expr GenBlob(int depth) {
    switch (Uniform(0, 6)) {
      case 0:
        return Cast(Gen(Kind::kText, depth - 1), Kind::kBlob);
      case 1:
        return Substr(Kind::kBlob, depth);
      case 2:
        return Case(Kind::kBlob, depth);
      case 3:
        return Choice(Kind::kBlob, depth);
      default:
        return Leaf(Kind::kBlob);
    }
  }

  // substr() of TEXT, or of a BLOB literal that is not empty: SQLite's
  // substr() of an empty BLOB is NULL, forkdb's is x'' (rule 10).
  Expr Substr(Kind kind, int depth) {
    std::string bytes;
    while (kind == Kind::kBlob && bytes.empty()) bytes = BlobValue(false);
    std::vector<Expr> args = {kind == Kind::kBlob ? BlobLit(bytes)
                                                  : Gen(kind, depth - 1)};
    auto position = [&]() {
      return Chance(0.8) ? IntLit(Uniform(-4, 6)) : Gen(Kind::kInt, 0);
    };
    args.push_back(position());
    if (Chance(0.7)) args.push_back(position());
    return Call("substr", args, kind);
  }

  // A condition: an INTEGER 0 or 1 or NULL.
  Expr Bool(int depth) {
    Expr e;
    if (depth <= 0) return Compare(0);
    switch (Uniform(0, 14)) {
      case 0:
      case 1:
      case 2:
      case 3:
        return Compare(depth - 1);
      case 4: {
        const Expr x = Gen(AnyKind(), depth - 1);
        e = Merge({&x});
        e.sql = Tight(x) + " " + K(Chance(0.5) ? "IS NULL" : "IS NOT NULL");
        break;
      }
      case 5: {
        const Kind kind = AnyKind();
        const Expr x = Gen(kind, depth - 1);
        e = Merge({&x});
        e.sql = Tight(x) + " " + K(Chance(0.3) ? "NOT IN" : "IN") + " (";
        const int n = Uniform(1, 4);
        for (int i = 0; i < n; ++i) {
          const Expr item =
              Chance(0.1) ? NullLit(kind) : Gen(SameClass(kind), depth - 1);
          e.constant = e.constant && item.constant;
          e.sql += (i > 0 ? ", " : "") + item.sql;
        }
        e.sql += ")";
        break;
      }
      case 6: {
        const Kind kind = AnyKind();
        const Expr x = Gen(kind, depth - 1);
        const Expr lo = Gen(SameClass(kind), depth - 1);
        const Expr hi = Gen(SameClass(kind), depth - 1);
        e = Merge({&x, &lo, &hi});
        e.sql = Tight(x) + " " + K(Chance(0.3) ? "NOT BETWEEN" : "BETWEEN") +
                " " + Tight(lo) + " " + K("AND") + " " + Tight(hi);
        break;
      }
      case 7:
      case 8: {
        const Expr x = Gen(Kind::kText, depth - 1);
        const Expr pattern =
            Chance(0.85) ? TextLit(Pattern()) : Gen(Kind::kText, 0);
        e = Merge({&x, &pattern});
        e.sql = Tight(x) + " " + K(Chance(0.3) ? "NOT LIKE" : "LIKE") + " " +
                Tight(pattern);
        break;
      }
      case 9: {
        const Expr x = Bool(depth - 1);
        e = Merge({&x});
        e.sql = K("NOT") + " " + Operand(x, kNot);
        e.prec = kNot;
        e.bound = 1;
        e.kind = Kind::kInt;
        return e;
      }
      case 10:
      case 11:
      case 12: {
        const bool conj = Chance(0.5);
        const int prec = conj ? kAnd : kOr;
        const Expr a = Bool(depth - 1);
        const Expr b = Bool(depth - 1);
        e = Merge({&a, &b});
        e.sql = Operand(a, prec) + " " + K(conj ? "AND" : "OR") + " " +
                Operand(b, prec, true);
        e.prec = prec;
        e.bound = 1;
        e.kind = Kind::kInt;
        e.zero = conj && (a.zero || b.zero);  // SQLite folds `0 AND x` to 0
        return e;
      }
      case 13: {  // a number as a condition: true when nonzero
        Expr x = Gen(NumberKind(), depth - 1);
        if (x.kind == Kind::kReal) return Compare(depth - 1);
        return x;
      }
      default:
        return Compare(depth - 1);
    }
    e.prec = kEquality;
    e.bound = 1;
    e.kind = Kind::kInt;
    return e;
  }

  Expr Compare(int depth) {
    static const std::vector<std::string> kOps = {"=", "==", "!=", "<>",
                                                  "<", "<=", ">",  ">="};
    // Often a column against a literal, so that conditions pick some rows.
    const bool aimed = table != nullptr && Chance(0.5);
    Kind kind = aimed ? table
                            ->columns[static_cast<size_t>(
                                Uniform(0, table->columns.size() - 1))]
                            .kind
                      : AnyKind();
    if (!aimed && Chance(0.3)) kind = NumberKind();
    Expr a = aimed ? ColumnRef(kind) : Gen(kind, depth);
    Expr b = aimed && Chance(0.7) ? Literal(SameClass(kind))
                                  : Gen(SameClass(kind), depth);
    if (Chance(0.3)) std::swap(a, b);
    const std::string& op = Pick(kOps);
    const int prec = op[0] == '<' && op != "<>" ? kRelational
                     : op[0] == '>'             ? kRelational
                                                : kEquality;
    Expr e = Merge({&a, &b});
    e.sql = Operand(a, prec) + " " + op + " " + Operand(b, prec, true);
    e.prec = prec;
    e.kind = Kind::kInt;
    e.bound = 1;
    return e;
  }

  std::string Pattern() {
    static constexpr char kChars[] = "abAB%%__ x'";
    std::string p;
    const int n = Uniform(0, 4);
    for (int i = 0; i < n; ++i) p.push_back(kChars[Uniform(0, 10)]);
    return p;
  }

  // ---- aggregates (a grouped SELECT, or one without GROUP BY)

  // An argument for sum(), total() or avg(): exact and small.
  Expr Summable(Kind kind, int depth) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      Expr x = Gen(kind, depth);
      if (x.bound <= kAggregatedMax && x.exact &&
          ExactReal(x.bound, x.frac + 2)) {
        return x;
      }
    }
    return ColumnRef(kind);
  }

  // An aggregate call; never constant, as its value differs by group.
  Expr Aggregate(Kind kind, int depth) {
    Expr e = AggregateCall(kind, depth);
    e.constant = false;
    return e;
  }

  Expr AggregateCall(Kind kind, int depth) {
    Expr e;
    switch (kind) {
      case Kind::kInt:
        switch (Uniform(0, 4)) {
          case 0:
            e = Call("count", {}, Kind::kInt);
            e.sql = K("count") + "(*)";
            break;
          case 1:
            e = Call("count", {Gen(AnyKind(), depth)}, Kind::kInt);
            break;
          case 2:
          case 3: {
            const Expr x = Summable(Kind::kInt, depth);
            e = Call("sum", {x}, Kind::kInt);
            e.bound = x.bound * kRowsMax;
            e.aggregate = true;
            return e;
          }
          default: {
            const Expr x = Gen(Kind::kInt, depth);
            e = Call(Chance(0.5) ? "min" : "max", {x}, Kind::kInt);
            Bounds(&e, {x});
            e.aggregate = true;
            return e;
          }
        }
        e.bound = kRowsMax;
        e.aggregate = true;
        return e;
      case Kind::kReal:
        switch (Uniform(0, 3)) {
          case 0: {
            const Expr x = Summable(Kind::kReal, depth);
            e = Call("sum", {x}, Kind::kReal);
            e.bound = x.bound * kRowsMax;
            e.frac = x.frac;
            e.exact = true;
            break;
          }
          case 1: {
            const Expr x = Summable(NumberKind(), depth);
            e = Call("total", {x}, Kind::kReal);
            e.bound = x.bound * kRowsMax;
            e.frac = x.frac;
            e.exact = true;
            break;
          }
          case 2: {
            const Expr x = Summable(NumberKind(), depth);
            e = Call("avg", {x}, Kind::kReal);
            e.bound = x.bound;
            e.frac = 64;
            e.exact = false;
            break;
          }
          default: {
            const Expr x = Gen(Kind::kReal, depth);
            e = Call(Chance(0.5) ? "min" : "max", {x}, Kind::kReal);
            Bounds(&e, {x});
            break;
          }
        }
        e.aggregate = true;
        return e;
      default: {
        const Expr x = Gen(kind, depth);
        e = Call(Chance(0.5) ? "min" : "max", {x}, kind);
        e.aggregate = true;
        return e;
      }
    }
  }

  // A GROUP BY expression of `kind`, to use inside an expression: it has one
  // value per group (in SQLite even where it is not matched against GROUP
  // BY, as every row of the group gives the same value).
  std::optional<Expr> GroupKey(Kind kind) {
    std::vector<const Expr*> fits;
    for (const Expr& key : group_keys) {
      if (key.kind == kind) fits.push_back(&key);
    }
    if (fits.empty()) return std::nullopt;
    return *fits[static_cast<size_t>(Uniform(0, fits.size() - 1))];
  }

  Expr AggGen(Kind kind, int depth) {
    if (depth <= 0 || Chance(0.4)) {
      if (Chance(0.2)) {
        if (auto key = GroupKey(kind)) return *key;
      }
      if (Chance(0.1)) return Literal(kind);
      return Aggregate(kind, Uniform(0, 2));
    }
    switch (kind) {
      case Kind::kInt:
      case Kind::kReal:
        switch (Uniform(0, 5)) {
          case 0:
          case 1: {
            static constexpr char kOps[] = {'+', '-', '*'};
            Expr a = AggGen(kind, depth - 1);
            Expr b = Chance(0.5) ? Literal(Kind::kInt)
                                 : AggGen(Kind::kInt, depth - 1);
            if (Chance(0.5)) std::swap(a, b);
            Expr e = Arith(kOps[Uniform(0, 2)], a, b);
            return e.kind == kind ? e : AggGen(kind, 0);
          }
          case 2:
            if (kind == Kind::kInt) {
              return Divide(AggGen(Kind::kInt, depth - 1),
                            AggGen(Kind::kInt, depth - 1));
            }
            return Divide(AggGen(Kind::kReal, depth - 1),
                          AggGen(NumberKind(), depth - 1));
          case 3: {
            const Expr a = AggGen(kind, depth - 1);
            Expr e = Call("abs", {a}, kind);
            Bounds(&e, {a});
            return e;
          }
          case 4: {
            const Expr a = AggGen(kind, depth - 1);
            const Expr b = Literal(kind);
            Expr e = Call("coalesce", {a, b}, kind);
            Bounds(&e, {a, b});
            return e;
          }
          default:
            return AggCase(kind, depth);
        }
      case Kind::kText:
        switch (Uniform(0, 2)) {
          case 0: {
            const Expr a = AggGen(Kind::kText, depth - 1);
            // A number in `||` becomes its text (rule 2).
            const Expr b =
                Chance(0.5) ? Literal(Kind::kText)
                            : AggGen(Chance(0.7) ? Kind::kText : NumberKind(),
                                     depth - 1);
            Expr e = Merge({&a, &b});
            e.sql = Operand(a, kConcat) + " || " + Operand(b, kConcat, true);
            e.prec = kConcat;
            e.kind = Kind::kText;
            return e;
          }
          case 1:
            return Call("upper", {AggGen(Kind::kText, depth - 1)}, Kind::kText);
          default:
            return AggCase(kind, depth);
        }
      default:
        return AggGen(kind, 0);
    }
  }

  Expr AggCase(Kind kind, int depth) {
    const Expr when = AggBool(depth - 1);
    const Expr then = AggGen(kind, depth - 1);
    const Expr otherwise = AggGen(kind, depth - 1);
    Expr e = Merge({&when, &then, &otherwise});
    e.sql = K("CASE WHEN") + " " + when.sql + " " + K("THEN") + " " + then.sql +
            " " + K("ELSE") + " " + otherwise.sql + " " + K("END");
    e.kind = kind;
    Bounds(&e, {then, otherwise});
    return e;
  }

  Expr AggBool(int depth) {
    Expr e;
    switch (depth <= 0 ? 0 : Uniform(0, 5)) {
      case 0:
      case 1:
      case 2: {
        static const std::vector<std::string> kOps = {"=",  "<>", "<",
                                                      "<=", ">",  ">="};
        const Kind kind = Chance(0.8) ? NumberKind() : Kind::kText;
        const Expr a = AggGen(kind, depth - 1);
        const Expr b = Chance(0.6) ? Literal(SameClass(kind))
                                   : AggGen(SameClass(kind), depth - 1);
        const std::string& op = Pick(kOps);
        const int prec = op == "=" || op == "<>" ? kEquality : kRelational;
        e = Merge({&a, &b});
        e.sql = Operand(a, prec) + " " + op + " " + Operand(b, prec, true);
        e.prec = prec;
        break;
      }
      case 3: {
        const Expr a = AggGen(AnyKind(), depth - 1);
        e = Merge({&a});
        e.sql = Tight(a) + " " + K(Chance(0.5) ? "IS NULL" : "IS NOT NULL");
        e.prec = kEquality;
        break;
      }
      case 4: {
        const Expr a = AggBool(depth - 1);
        e = Merge({&a});
        e.sql = K("NOT") + " " + Operand(a, kNot);
        e.prec = kNot;
        break;
      }
      default: {
        const bool conj = Chance(0.5);
        const int prec = conj ? kAnd : kOr;
        const Expr a = AggBool(depth - 1);
        const Expr b = AggBool(depth - 1);
        e = Merge({&a, &b});
        e.sql = Operand(a, prec) + " " + K(conj ? "AND" : "OR") + " " +
                Operand(b, prec, true);
        e.prec = prec;
        break;
      }
    }
    e.kind = Kind::kInt;
    e.bound = 1;
    return e;
  }

  // ---- values written by UPDATE and INSERT

  // An expression for `column` that keeps stored values within the bounds
  // (rule 3 and 5): INTEGERs clamped with min/max, REALs without rounding
  // and in quarters, text cut to a few characters.
  Expr Stored(const Column& column, int depth) {
    const Kind kind = column.kind;
    for (int attempt = 0; attempt < 10; ++attempt) {
      Expr x =
          Gen(kind == Kind::kReal && Chance(0.2) ? Kind::kInt : kind, depth);
      if (x.kind == Kind::kReal && (!x.exact || x.frac > kStoredRealFracBits)) {
        continue;
      }
      if (IsNumber(x.kind)) {
        if (x.bound > kBoundMax) continue;
        const double max = kind == Kind::kInt ? kStoredIntMax : kStoredRealMax;
        if (x.bound > max) {
          const std::string lim = kind == Kind::kInt
                                      ? std::to_string(kStoredIntMax)
                                      : RealText(kStoredRealMax);
          const std::string neg = kind == Kind::kInt
                                      ? std::to_string(-kStoredIntMax)
                                      : RealText(-kStoredRealMax);
          x.sql = K("max") + "(" + neg + ", " + K("min") + "(" + lim + ", " +
                  x.sql + "))";
          x.prec = kAtom;
          x.bound = max;
        }
      } else if (x.kind == Kind::kText &&
                 x.sql.find("||") != std::string::npos) {
        x.sql = K("substr") + "(" + x.sql + ", 1, 6)";
        x.prec = kAtom;
      }
      return x;
    }
    return Literal(kind);
  }

 private:
  std::mt19937_64 rng_;
  int casing_ = 0;
  bool minimal_parens_ = false;
};

// ------------------------------------------------------------------ rounds

enum class Shape {
  kMixed,     // every kind of statement
  kGrouped,   // aggregates over tables of a few hundred rows
  kFailures,  // constraint violations and transactions
  kNoFrom,    // SELECT without FROM
};

struct Counts {
  int64_t statements = 0;     // generated statements (not table reads)
  int64_t failed = 0;         // of those, failed in both
  int64_t table_reads = 0;    // whole-table comparisons
  int64_t rows_compared = 0;  // rows of all results compared
};

class Round {
 public:
  Round(uint64_t seed, int round, Shape shape, Counts* counts)
      : seed_(seed),
        round_(round),
        shape_(shape),
        gen_(seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(round + 1))),
        counts_(counts) {
    if (big()) gen_.integer_key_max = 100000;
  }

  // Runs about `statements` statements; false after a reported divergence.
  bool Run(int statements) {
    if (shape_ == Shape::kNoFrom) {
      for (int i = 0; i < statements; ++i) {
        if (!Exec(NoFromSelect())) return false;
      }
      return true;
    }
    if (!CreateSchema()) return false;
    if (shape_ == Shape::kGrouped) {
      for (Table& t : tables_) {
        const int loads = gen_.Uniform(10, 30);
        for (int i = 0; i < loads; ++i) {
          if (!Insert(t, gen_.Uniform(2, 30))) return false;
        }
      }
    }
    for (int i = 0; i < statements; ++i) {
      if (!OneStatement()) return false;
      if (i % 25 == 24 && !ReadAll()) return false;
    }
    if (pair_.in_transaction()) {
      gen_.NewStatement();
      if (!Exec({gen_.K("COMMIT")})) return false;
    }
    return ReadAll();
  }

 private:
  // ---- running and checking

  // Runs `step` on both sides and compares. `must_fail`: the statement
  // violates a constraint or is malformed, and both must reject it.
  bool Exec(Step step, bool must_fail = false) {
    if (gen_.Chance(0.1)) step.sql = Blur(step.sql);
    if (gen_.Chance(0.3)) step.sql += ";";
    Outcome f, s;
    const std::string why = pair_.Run(step, &f, &s);
    history_.push_back(step);
    ++counts_->statements;
    if (!s.ok && !f.ok) ++counts_->failed;
    counts_->rows_compared += static_cast<int64_t>(s.rows.size());
    if (!why.empty()) {
      Report(why, step, f, s, /*reduce=*/true);
      return false;
    }
    if (must_fail && s.ok) {
      Report("a statement both should reject succeeded in both", step, f, s,
             /*reduce=*/false);
      return false;
    }
    last_ok_ = s.ok;
    return true;
  }

  // `sql` with some blanks between tokens (never inside a literal) widened
  // to tabs, newlines or comments, for the lexer.
  std::string Blur(const std::string& sql) {
    static const std::vector<std::string> kBlanks = {
        "\n", "\t", "   ", " /* c */ ", "/**/", " -- c\n", "\r\n "};
    std::string out;
    bool quoted = false;
    for (char c : sql) {
      if (c == '\'') quoted = !quoted;
      if (c == ' ' && !quoted && gen_.Chance(0.15)) {
        out += gen_.Pick(kBlanks);
      } else {
        out.push_back(c);
      }
    }
    return out;
  }

  // Reads `t` whole on both sides and compares; after a failed statement
  // the contents must be what they were before it.
  bool Read(Table& t, bool unchanged) {
    gen_.NewStatement();
    Step step{gen_.K("SELECT * FROM") + " " + gen_.Id(t.name)};
    Outcome f, s;
    const std::string why = pair_.Run(step, &f, &s);
    history_.push_back(step);
    ++counts_->table_reads;
    counts_->rows_compared += static_cast<int64_t>(s.rows.size());
    if (!why.empty()) {
      Report(why, step, f, s, /*reduce=*/true);
      return false;
    }
    if (!s.ok) {
      Report("a table cannot be read", step, f, s, /*reduce=*/false);
      return false;
    }
    std::vector<Row> contents = Sorted(s.rows);
    if (unchanged && contents != t.contents) {
      Report("a failed statement changed " + t.name + " (it held" +
                 ShowRows(t.contents) + "\n    )",
             history_[history_.size() - 2], f, s, /*reduce=*/false);
      return false;
    }
    t.contents = std::move(contents);
    t.rows = t.contents.size();
    return true;
  }

  bool ReadAll() {
    for (Table& t : tables_) {
      if (!Read(t, false)) return false;
    }
    return true;
  }

  // Runs a write to `t`, then reads `t`.
  bool Write(Table& t, Step step, bool must_fail = false) {
    step.dml = true;
    if (!Exec(std::move(step), must_fail)) return false;
    return Read(t, !last_ok_);
  }

  void Report(const std::string& why, const Step& step, const Outcome& f,
              const Outcome& s, bool reduce) {
    std::ostringstream msg;
    msg << "forkdb and SQLite disagree: " << why << "\n  seed " << seed_
        << ", round " << round_ << ", statement " << history_.size()
        << " (FORKDB_TEST_SEED=" << seed_ << " FORKDB_DIFF_ROUND=" << round_
        << " replays it)\n  statement: " << step.sql
        << "\n  forkdb: " << Show(f, step.dml)
        << "\n  SQLite: " << Show(s, step.dml) << "\n";
    std::vector<Step> script = history_;
    if (reduce) script = Reduce(std::move(script));
    if (script.size() < history_.size()) {
      Outcome rf, rs;
      int64_t budget = 1 << 20;
      Replay(script, &budget, &rf, &rs);
      msg << "  reduced to " << script.size() << " of " << history_.size()
          << " statements; at its last one forkdb gives "
          << Show(rf, script.back().dml) << "\n    and SQLite gives "
          << Show(rs, script.back().dml) << "\n";
      msg << "  script (reduced; the last statement diverges):\n";
    } else {
      msg << "  script (every statement of the round up to the failure):\n";
    }
    for (const Step& st : script) {
      msg << "    " << st.sql << (st.sql.back() == ';' ? "" : ";") << "\n";
    }
    ADD_FAILURE() << msg.str();
  }

  // ---- schema

  bool CreateSchema() {
    const int n =
        shape_ == Shape::kGrouped ? gen_.Uniform(1, 2) : gen_.Uniform(1, 4);
    for (int i = 0; i < n; ++i) {
      Table t = RandomTable("t" + std::to_string(i));
      if (!Exec({CreateTableSql(t)})) return false;
      if (!last_ok_) {
        Outcome none;
        Report("CREATE TABLE failed in both (a generator bug)", history_.back(),
               none, none, false);
        return false;
      }
      tables_.push_back(std::move(t));
      const int indexes = gen_.Uniform(0, 2);
      for (int j = 0; j < indexes; ++j) {
        if (!CreateIndex(tables_.back())) return false;
      }
    }
    return true;
  }

  Table RandomTable(std::string name) {
    Table t;
    t.name = std::move(name);
    const int n = gen_.Uniform(2, 6);
    for (int i = 0; i < n; ++i) {
      Column c;
      c.name = "c" + std::to_string(i);
      c.kind = gen_.Chance(0.35) ? Kind::kInt : gen_.AnyKind();
      t.columns.push_back(c);
    }
    switch (gen_.Uniform(0, 2)) {
      case 0: {  // INTEGER PRIMARY KEY
        const size_t at =
            static_cast<size_t>(gen_.Chance(0.7) ? 0 : gen_.Uniform(0, n - 1));
        t.columns[at].kind = Kind::kInt;
        t.columns[at].integer_primary_key = true;
        t.primary_key = {at};
        break;
      }
      case 1: {  // a primary key of one or two columns of any type
        const int k = gen_.Uniform(1, 2);
        std::vector<size_t> all(t.columns.size());
        for (size_t i = 0; i < all.size(); ++i) all[i] = i;
        std::shuffle(all.begin(), all.end(), rng());
        t.primary_key.assign(all.begin(), all.begin() + k);
        for (size_t c : t.primary_key) {
          // A single INTEGER primary key would be the rowid alias.
          if (k == 1 && t.columns[c].kind == Kind::kInt) {
            t.columns[c].kind = Kind::kText;
          }
          t.columns[c].not_null = true;
        }
        break;
      }
      default:  // a hidden row id
        break;
    }
    if (!t.primary_key.empty()) t.unique_keys.push_back(t.primary_key);
    for (size_t i = 0; i < t.columns.size(); ++i) {
      Column& c = t.columns[i];
      if (c.integer_primary_key) continue;
      if (!c.not_null && gen_.Chance(0.25)) c.not_null = true;
      if (gen_.Chance(0.3)) c.has_default = true;
      // Few UNIQUE columns in big tables: one duplicate rejects a whole
      // multi-row INSERT.
      if (gen_.Chance(big() ? 0.04 : 0.2)) t.unique_keys.push_back({i});
    }
    return t;
  }

  std::string DefaultSql(const Column& c) {
    if (!c.not_null && gen_.Chance(0.15)) return gen_.K("NULL");
    if (c.kind == Kind::kReal && gen_.Chance(0.3)) {
      return std::to_string(gen_.Uniform(-5, 5));  // stored as a REAL
    }
    const Expr e = gen_.Literal(c.kind);
    return e.sql;
  }

  std::string CreateTableSql(const Table& t) {
    gen_.NewStatement();
    const bool composite = !t.primary_key.empty() &&
                           !t.columns[t.primary_key[0]].integer_primary_key;
    const bool key_as_column =
        composite && t.primary_key.size() == 1 && gen_.Chance(0.5);
    std::string sql = gen_.K("CREATE TABLE") + " ";
    if (gen_.Chance(0.2)) sql += gen_.K("IF NOT EXISTS") + " ";
    sql += gen_.Id(t.name) + " (";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const Column& c = t.columns[i];
      std::vector<std::string> constraints;
      if (c.integer_primary_key) {
        constraints.push_back(gen_.K("PRIMARY KEY"));
      }
      if (key_as_column && t.primary_key[0] == i) {
        constraints.push_back(gen_.K("PRIMARY KEY"));
      }
      if (c.not_null) constraints.push_back(gen_.K("NOT NULL"));
      for (const auto& key : t.unique_keys) {
        if (key.size() == 1 && key[0] == i && key != t.primary_key) {
          constraints.push_back(gen_.K("UNIQUE"));
        }
      }
      if (c.has_default) {
        constraints.push_back(gen_.K("DEFAULT") + " " + DefaultSql(c));
      }
      if (!c.integer_primary_key) {
        std::shuffle(constraints.begin(), constraints.end(), rng());
      }
      sql += (i > 0 ? ", " : "") + gen_.Id(c.name) + " " +
             gen_.K(KindName(c.kind));
      for (const std::string& s : constraints) sql += " " + s;
    }
    if (composite && !key_as_column) {
      sql += ", " + gen_.K("PRIMARY KEY") + " (";
      for (size_t i = 0; i < t.primary_key.size(); ++i) {
        sql += (i > 0 ? ", " : "") + gen_.Id(t.columns[t.primary_key[i]].name);
      }
      sql += ")";
    }
    return sql + ")";
  }

  bool CreateIndex(Table& t) {
    gen_.NewStatement();
    Index index;
    index.name = "i" + std::to_string(next_index_++);
    index.unique = gen_.Chance(big() ? 0.1 : 0.4);
    const size_t a = static_cast<size_t>(gen_.Uniform(0, t.columns.size() - 1));
    index.columns.push_back(a);
    if (t.columns.size() > 1 && gen_.Chance(0.4)) {
      size_t b;
      do {
        b = static_cast<size_t>(gen_.Uniform(0, t.columns.size() - 1));
      } while (b == a);
      index.columns.push_back(b);
    }
    std::string sql =
        gen_.K(index.unique ? "CREATE UNIQUE INDEX" : "CREATE INDEX");
    if (gen_.Chance(0.2)) sql += " " + gen_.K("IF NOT EXISTS");
    sql += " " + gen_.Id(index.name) + " " + gen_.K("ON") + " " +
           gen_.Id(t.name) + " (";
    for (size_t i = 0; i < index.columns.size(); ++i) {
      sql += (i > 0 ? ", " : "") + gen_.Id(t.columns[index.columns[i]].name);
    }
    sql += ")";
    if (!Exec({sql})) return false;
    if (last_ok_) t.indexes.push_back(index);
    return Read(t, !last_ok_);
  }

  bool DropIndex(Table& t) {
    gen_.NewStatement();
    if (t.indexes.empty() || gen_.Chance(0.2)) {
      // A name that is not there: IF EXISTS succeeds, otherwise both fail.
      const bool if_exists = gen_.Chance(0.5);
      return Exec({gen_.K(if_exists ? "DROP INDEX IF EXISTS" : "DROP INDEX") +
                   " " + gen_.Id("nosuch")},
                  !if_exists);
    }
    const size_t at =
        static_cast<size_t>(gen_.Uniform(0, t.indexes.size() - 1));
    std::string sql = gen_.K("DROP INDEX") + " ";
    if (gen_.Chance(0.3)) sql += gen_.K("IF EXISTS") + " ";
    if (!Exec({sql + gen_.Id(t.indexes[at].name)})) return false;
    if (last_ok_) t.indexes.erase(t.indexes.begin() + static_cast<long>(at));
    return Read(t, !last_ok_);
  }

  std::mt19937_64& rng() { return gen_.rng(); }
  bool big() const { return shape_ == Shape::kGrouped; }

  // ---- statements

  Table& PickTable() {
    return tables_[static_cast<size_t>(gen_.Uniform(0, tables_.size() - 1))];
  }

  bool OneStatement() {
    Table& t = PickTable();
    gen_.NewStatement();
    gen_.table = &t;
    gen_.group_keys.clear();
    int insert = 22, update = 14, del = 7, plain = 22, grouped = 10, agg = 6,
        nofrom = 3, txn = 6, fail = 6, ddl = 3;
    if (shape_ == Shape::kGrouped) {
      insert = 8, update = 5, del = 3, plain = 8, grouped = 50, agg = 20,
      nofrom = 0, txn = 2, fail = 2, ddl = 1;
    } else if (shape_ == Shape::kFailures) {
      insert = 18, update = 10, del = 4, plain = 10, grouped = 3, agg = 3,
      nofrom = 0, txn = 16, fail = 35, ddl = 3;
    }
    if (t.rows > (big() ? kBigTableRowsSoftMax : kTableRowsSoftMax)) {
      del += insert;
      insert = 0;
    }
    int r = gen_.Uniform(0, insert + update + del + plain + grouped + agg +
                                nofrom + txn + fail + ddl - 1);
    if ((r -= insert) < 0) {
      return Insert(t, gen_.Chance(0.35) ? gen_.Uniform(2, 4) : 1);
    }
    if ((r -= update) < 0) return Update(t);
    if ((r -= del) < 0) return Delete(t);
    if ((r -= plain) < 0) return Exec(PlainSelect(t));
    if ((r -= grouped) < 0) return Exec(GroupedSelect(t));
    if ((r -= agg) < 0) return Exec(AggregateSelect(t));
    if ((r -= nofrom) < 0) return Exec(NoFromSelect());
    if ((r -= txn) < 0) return Transaction();
    if ((r -= fail) < 0) return Violation(t);
    if (pair_.in_transaction()) return Exec(PlainSelect(t));
    return gen_.Chance(0.7) ? CreateIndex(t) : DropIndex(t);
  }

  // A random condition, or one aimed at the primary key or an index.
  std::string Where() {
    const Table* t = gen_.table;
    if (t != nullptr && gen_.Chance(0.35)) {
      return " " + gen_.K("WHERE") + " " + KeyCondition(*t);
    }
    return " " + gen_.K("WHERE") + " " + gen_.Bool(gen_.Uniform(0, 3)).sql;
  }

  // `v` as a literal of its class, at times of the other numeric type
  // (2 as 2.0, 2.0 as 2) or moved a little (for a range bound).
  std::string NearLiteral(const Value& v, bool move) {
    switch (v.type()) {
      case Type::kInteger: {
        const int64_t i = v.integer() + (move ? gen_.Uniform(-2, 2) : 0);
        const int form = gen_.Uniform(0, 5);
        if (form == 0) return RealText(static_cast<double>(i));
        if (form == 1 && move) return RealText(static_cast<double>(i) + 0.5);
        return std::to_string(i);
      }
      case Type::kReal: {
        const double d = v.real() + (move ? gen_.Uniform(-4, 4) * 0.25 : 0);
        if (d == std::floor(d) && gen_.Chance(0.4)) {
          return std::to_string(static_cast<int64_t>(d));
        }
        return RealText(d);
      }
      case Type::kText: {
        if (!move) return Quote(v.text());
        std::string s = v.text();
        if (gen_.Chance(0.4)) s += "a";
        if (gen_.Chance(0.3) && !s.empty()) s.pop_back();
        return Quote(s);
      }
      case Type::kBlob:
        return HexBlob(v.blob());
      default:
        return gen_.K("NULL");
    }
  }

  // Equalities on a prefix of the primary key or an index, then a range on
  // the next column, aimed at an existing row: the terms the executor turns
  // into a key or index range. Sometimes with a further condition.
  std::string KeyCondition(const Table& t) {
    std::vector<std::vector<size_t>> paths = t.Keys();
    for (const Index& index : t.indexes) paths.push_back(index.columns);
    if (paths.empty() || t.rows == 0) return gen_.Bool(2).sql;
    const std::vector<size_t>& path = gen_.Pick(paths);
    std::string cols;
    for (size_t i = 0; i < path.size(); ++i) {
      cols += (i > 0 ? ", " : "") + t.columns[path[i]].name;
    }
    const auto rows = pair_.Peek(
        "SELECT " + cols + " FROM " + t.name + " ORDER BY " + cols +
        " LIMIT 1 OFFSET " +
        std::to_string(gen_.Uniform(0, static_cast<int>(t.rows) - 1)));
    if (rows.empty()) return gen_.Bool(2).sql;
    const Row& row = rows[0];
    std::vector<std::string> terms;
    auto term = [&](const std::string& column, const std::string& op,
                    const std::string& value) {
      static const std::vector<std::pair<std::string, std::string>> kFlip = {
          {"<", ">"}, {"<=", ">="}, {">", "<"}, {">=", "<="}};
      if (!gen_.Chance(0.25)) return column + " " + op + " " + value;
      std::string flipped = op;
      for (const auto& [a, b] : kFlip) {
        if (op == a) flipped = b;
      }
      return value + " " + flipped + " " + column;
    };
    const size_t eqs = static_cast<size_t>(gen_.Uniform(0, path.size()));
    for (size_t i = 0; i < eqs; ++i) {
      terms.push_back(term(gen_.Id(t.columns[path[i]].name),
                           gen_.Chance(0.8) ? "=" : "==",
                           NearLiteral(row[i], gen_.Chance(0.1))));
    }
    if (eqs < path.size()) {
      const std::string column = gen_.Id(t.columns[path[eqs]].name);
      const Value& v = row[eqs];
      switch (gen_.Uniform(0, 3)) {
        case 0:
          terms.push_back(term(
              column, gen_.Chance(0.5) ? ">" : ">=", NearLiteral(v, true)));
          break;
        case 1:
          terms.push_back(term(
              column, gen_.Chance(0.5) ? "<" : "<=", NearLiteral(v, true)));
          break;
        case 2:
          terms.push_back(term(
              column, gen_.Chance(0.5) ? ">" : ">=", NearLiteral(v, true)));
          terms.push_back(term(
              column, gen_.Chance(0.5) ? "<" : "<=", NearLiteral(v, true)));
          break;
        default:
          terms.push_back(column + " " + gen_.K("BETWEEN") + " " +
                          NearLiteral(v, true) + " " + gen_.K("AND") + " " +
                          NearLiteral(v, true));
          break;
      }
    }
    if (terms.empty() || gen_.Chance(0.3)) {
      terms.push_back("(" + gen_.Bool(1).sql + ")");
    }
    std::shuffle(terms.begin(), terms.end(), rng());
    std::string sql;
    for (size_t i = 0; i < terms.size(); ++i) {
      sql += (i > 0 ? " " + gen_.K("AND") + " " : "") + terms[i];
    }
    return sql;
  }

  // A WHERE that picks an existing row by its first key column, if any.
  std::string WhereKey(const Table& t) {
    if (t.primary_key.empty() || t.rows == 0) return Where();
    const Column& c = t.columns[t.primary_key[0]];
    const auto rows = pair_.Peek("SELECT " + c.name + " FROM " + t.name +
                                 " ORDER BY 1 LIMIT 1 OFFSET " +
                                 std::to_string(gen_.Uniform(0, t.rows - 1)));
    if (rows.empty()) return Where();
    return " " + gen_.K("WHERE") + " " + gen_.Id(c.name) + " = " +
           LiteralOf(rows[0][0]);
  }

  bool Insert(Table& t, int n_rows) {
    gen_.NewStatement();
    gen_.table = nullptr;  // VALUES may hold constant expressions only
    std::vector<size_t> cols;
    const bool listed = gen_.Chance(0.6);
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const Column& c = t.columns[i];
      const bool needed = c.not_null && !c.has_default;
      const double keep = !listed                 ? 1.0
                          : c.integer_primary_key ? 0.85
                          : needed                ? 0.98
                                                  : 0.7;
      if (gen_.Chance(keep)) cols.push_back(i);
    }
    if (cols.empty()) cols.push_back(0);
    if (listed) std::shuffle(cols.begin(), cols.end(), rng());
    std::string sql = gen_.K("INSERT INTO") + " " + gen_.Id(t.name);
    if (listed) {
      sql += " (";
      for (size_t i = 0; i < cols.size(); ++i) {
        sql += (i > 0 ? ", " : "") + gen_.Id(t.columns[cols[i]].name);
      }
      sql += ")";
    }
    sql += " " + gen_.K("VALUES") + " ";
    for (int r = 0; r < n_rows; ++r) {
      sql += r > 0 ? ", (" : "(";
      for (size_t i = 0; i < cols.size(); ++i) {
        const Column& c = t.columns[cols[i]];
        std::string v;
        if (c.integer_primary_key) {
          v = gen_.ValueFor(c, true, 0.08);
        } else if (!t.InKey(cols[i]) && gen_.Chance(0.1)) {
          v = gen_.Stored(c, 2).sql;
        } else {
          v = gen_.ValueFor(c, t.InKey(cols[i]), c.not_null ? 0.02 : 0.12);
        }
        sql += (i > 0 ? ", " : "") + v;
      }
      sql += ")";
    }
    gen_.table = &t;
    return Write(t, {sql});
  }

  bool Update(Table& t) {
    std::vector<size_t> cols;
    const int n = gen_.Uniform(1, 2);
    for (int i = 0; i < n; ++i) {
      const size_t c =
          static_cast<size_t>(gen_.Uniform(0, t.columns.size() - 1));
      if (std::find(cols.begin(), cols.end(), c) == cols.end()) {
        cols.push_back(c);
      }
    }
    std::string sql =
        gen_.K("UPDATE") + " " + gen_.Id(t.name) + " " + gen_.K("SET") + " ";
    for (size_t i = 0; i < cols.size(); ++i) {
      const Column& c = t.columns[cols[i]];
      std::string v;
      if (t.InKey(cols[i])) {  // rule 8: a constant
        v = gen_.ValueFor(c, true,
                          c.integer_primary_key ? 0.0
                          : c.not_null          ? 0.02
                                                : 0.1);
      } else {
        v = gen_.Stored(c, gen_.Uniform(0, 3)).sql;
      }
      sql += (i > 0 ? ", " : "") + gen_.Id(c.name) + " = " + v;
    }
    const int where = gen_.Uniform(0, 9);
    if (where < 7) {
      sql += Where();
    } else if (where < 9) {
      sql += WhereKey(t);
    }
    return Write(t, {sql});
  }

  bool Delete(Table& t) {
    std::string sql = gen_.K("DELETE FROM") + " " + gen_.Id(t.name);
    const int where = gen_.Uniform(0, 19);
    if (where < 15) {
      sql += Where();
    } else if (where < 19 || t.rows > 40) {
      sql += WhereKey(t);
    }
    return Write(t, {sql});
  }

  bool Transaction() {
    if (!pair_.in_transaction()) {
      if (gen_.Chance(0.85)) return Exec({gen_.K("BEGIN")});
      return Exec({gen_.K(gen_.Chance(0.5) ? "COMMIT" : "ROLLBACK")}, true);
    }
    const int r = gen_.Uniform(0, 19);
    if (r < 3) return Exec({gen_.K("BEGIN")}, true);
    if (r < 11) return Exec({gen_.K("COMMIT")});
    if (!Exec({gen_.K("ROLLBACK")})) return false;
    return ReadAll();
  }

  // ---- statements that both must reject

  // A row for INSERT with every column of `t`: key columns from `key_values`
  // where given, the rest random but never NULL where NOT NULL.
  std::vector<std::string> RowFor(
      const Table& t, const std::vector<std::optional<std::string>>& fixed) {
    std::vector<std::string> row;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (fixed[i]) {
        row.push_back(*fixed[i]);
      } else {
        row.push_back(gen_.ValueFor(t.columns[i], t.InKey(i),
                                    t.columns[i].not_null ? 0.0 : 0.1));
      }
    }
    return row;
  }

  std::string InsertRows(const Table& t,
                         const std::vector<std::vector<std::string>>& rows) {
    std::string sql = gen_.K("INSERT INTO") + " " + gen_.Id(t.name) + " (";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      sql += (i > 0 ? ", " : "") + gen_.Id(t.columns[i].name);
    }
    sql += ") " + gen_.K("VALUES") + " ";
    for (size_t r = 0; r < rows.size(); ++r) {
      sql += r > 0 ? ", (" : "(";
      for (size_t i = 0; i < rows[r].size(); ++i) {
        sql += (i > 0 ? ", " : "") + rows[r][i];
      }
      sql += ")";
    }
    return sql;
  }

  // Existing values of `key` in `t` (no NULLs), `n` rows from a random
  // offset, read from SQLite.
  std::vector<Row> ExistingKeys(const Table& t, const std::vector<size_t>& key,
                                int n) {
    if (t.rows == 0) return {};
    std::string cols, where;
    for (size_t i = 0; i < key.size(); ++i) {
      const std::string& name = t.columns[key[i]].name;
      cols += (i > 0 ? ", " : "") + name;
      where += (i > 0 ? " AND " : "") + name + " IS NOT NULL";
    }
    return pair_.Peek("SELECT DISTINCT " + cols + " FROM " + t.name +
                      " WHERE " + where + " ORDER BY " + cols + " LIMIT " +
                      std::to_string(n) + " OFFSET " +
                      std::to_string(gen_.Uniform(0, t.rows / 2)));
  }

  bool Violation(Table& t) {
    gen_.NewStatement();
    const auto keys = t.Keys();
    switch (gen_.Uniform(0, 5)) {
      case 0:
      case 1: {  // a duplicate of an existing key, after 0-2 fresh rows
        if (keys.empty()) break;
        const auto& key = gen_.Pick(keys);
        const auto existing = ExistingKeys(t, key, 1);
        if (existing.empty()) break;
        std::vector<std::optional<std::string>> fixed(t.columns.size());
        for (size_t i = 0; i < key.size(); ++i) {
          fixed[key[i]] = LiteralOf(existing[0][i]);
        }
        std::vector<std::vector<std::string>> rows;
        const int fresh = gen_.Uniform(0, 2);
        const std::vector<std::optional<std::string>> none(t.columns.size());
        for (int i = 0; i < fresh; ++i) rows.push_back(RowFor(t, none));
        rows.push_back(RowFor(t, fixed));
        if (gen_.Chance(0.3)) rows.push_back(RowFor(t, none));
        return Write(t, {InsertRows(t, rows)}, true);
      }
      case 2: {  // two rows of one statement share a key
        if (keys.empty()) break;
        const auto& key = gen_.Pick(keys);
        std::vector<std::optional<std::string>> fixed(t.columns.size());
        for (size_t c : key) {
          std::string v;
          do {
            v = gen_.ValueFor(t.columns[c], true, 0.0);
          } while (v == "NULL");
          fixed[c] = v;
        }
        const std::vector<std::optional<std::string>> none(t.columns.size());
        std::vector<std::vector<std::string>> rows = {RowFor(t, fixed)};
        if (gen_.Chance(0.5)) rows.push_back(RowFor(t, none));
        rows.push_back(RowFor(t, fixed));
        return Write(t, {InsertRows(t, rows)}, true);
      }
      case 3: {  // one row's key set to another row's
        if (keys.empty()) break;
        const auto& key = gen_.Pick(keys);
        const auto existing = ExistingKeys(t, key, 2);
        if (existing.size() < 2) break;
        std::string sql = gen_.K("UPDATE") + " " + gen_.Id(t.name) + " " +
                          gen_.K("SET") + " ";
        std::string where;
        for (size_t i = 0; i < key.size(); ++i) {
          const std::string name = gen_.Id(t.columns[key[i]].name);
          sql += (i > 0 ? ", " : "") + name + " = " + LiteralOf(existing[0][i]);
          where += (i > 0 ? " " + gen_.K("AND") + " " : "") + name + " = " +
                   LiteralOf(existing[1][i]);
        }
        return Write(t, {sql + " " + gen_.K("WHERE") + " " + where}, true);
      }
      case 4: {  // NULL into a NOT NULL column
        std::vector<size_t> not_null;
        for (size_t i = 0; i < t.columns.size(); ++i) {
          if (t.columns[i].not_null) not_null.push_back(i);
        }
        if (not_null.empty()) break;
        const size_t c = gen_.Pick(not_null);
        if (gen_.Chance(0.5) && t.rows > 0) {
          return Write(
              t,
              {gen_.K("UPDATE") + " " + gen_.Id(t.name) + " " + gen_.K("SET") +
               " " + gen_.Id(t.columns[c].name) + " = " + gen_.K("NULL")},
              true);
        }
        std::vector<std::optional<std::string>> fixed(t.columns.size());
        fixed[c] = gen_.K("NULL");
        return Write(t, {InsertRows(t, {RowFor(t, fixed)})}, true);
      }
      default: {  // malformed: wrong arity or an unknown column
        std::string sql;
        switch (gen_.Uniform(0, 3)) {
          case 0: {
            const std::vector<std::optional<std::string>> none(
                t.columns.size());
            std::vector<std::string> row = RowFor(t, none);
            if (gen_.Chance(0.5)) {
              row.pop_back();
            } else {
              row.push_back("1");
            }
            sql = gen_.K("INSERT INTO") + " " + gen_.Id(t.name) + " " +
                  gen_.K("VALUES") + " (";
            for (size_t i = 0; i < row.size(); ++i) {
              sql += (i > 0 ? ", " : "") + row[i];
            }
            sql += ")";
            break;
          }
          case 1:
            sql = gen_.K("INSERT INTO") + " " + gen_.Id(t.name) + " (" +
                  gen_.Id("nosuch") + ") " + gen_.K("VALUES") + " (1)";
            break;
          case 2:
            sql = gen_.K("UPDATE") + " " + gen_.Id(t.name) + " " +
                  gen_.K("SET") + " " + gen_.Id("nosuch") + " = 1";
            break;
          default:
            sql = gen_.K("SELECT") + " " + gen_.Id("nosuch") + " " +
                  gen_.K("FROM") + " " + gen_.Id(t.name);
            return Exec({sql}, true);
        }
        return Write(t, {sql}, true);
      }
    }
    return Insert(t, 1);  // nothing to violate yet
  }

  // ---- SELECT

  struct Item {
    Expr expr;
    std::string alias;
  };

  // SELECT <items> ... ORDER BY every non-constant item; true if any.
  std::string OrderByItems(const std::vector<Item>& items) {
    std::vector<std::string> terms;
    for (const Item& item : items) {
      if (item.expr.constant || item.expr.zero) continue;
      std::string term = !item.alias.empty() && gen_.Chance(0.5)
                             ? gen_.Id(item.alias)
                             : item.expr.sql;
      const int dir = gen_.Uniform(0, 2);
      if (dir == 1) term += " " + gen_.K("ASC");
      if (dir == 2) term += " " + gen_.K("DESC");
      terms.push_back(term);
    }
    if (terms.empty()) return "";
    std::shuffle(terms.begin(), terms.end(), rng());
    std::string sql = " " + gen_.K("ORDER BY") + " ";
    for (size_t i = 0; i < terms.size(); ++i) {
      sql += (i > 0 ? ", " : "") + terms[i];
    }
    return sql;
  }

  std::string Limit() {
    std::string sql =
        " " + gen_.K("LIMIT") + " " + std::to_string(gen_.Uniform(0, 8));
    if (gen_.Chance(0.4)) {
      sql += " " + gen_.K("OFFSET") + " " + std::to_string(gen_.Uniform(0, 6));
    }
    return sql;
  }

  std::string ItemList(std::vector<Item>* items) {
    std::string sql;
    for (size_t i = 0; i < items->size(); ++i) {
      Item& item = (*items)[i];
      if (gen_.Chance(0.3)) item.alias = "r" + std::to_string(i);
      sql += (i > 0 ? ", " : "") + item.expr.sql;
      if (!item.alias.empty()) {
        sql += " " + (gen_.Chance(0.8) ? gen_.K("AS") + " " : "") +
               gen_.Id(item.alias);
      }
    }
    return sql;
  }

  Step PlainSelect(const Table& t) {
    gen_.table = &t;
    Step step;
    std::vector<Item> items;
    const bool star = gen_.Chance(0.25);
    if (!star) {
      const int n = gen_.Uniform(1, 4);
      for (int i = 0; i < n; ++i) {
        items.push_back({gen_.Chance(0.2)
                             ? gen_.Bool(gen_.Uniform(0, 2))
                             : gen_.Gen(gen_.AnyKind(), gen_.Uniform(0, 3)),
                         ""});
      }
    }
    std::string sql = gen_.K("SELECT") + " " +
                      (star ? std::string("*") : ItemList(&items)) + " " +
                      gen_.K("FROM") + " " + gen_.Id(t.name);
    if (gen_.Chance(0.7)) sql += Where();
    const int order = gen_.Uniform(0, 3);
    if (order == 1 || (order == 2 && t.primary_key.empty())) {
      if (star) {
        for (const Column& c : t.columns) {
          Expr e = gen_.ColumnRef(c.kind);
          e.sql = gen_.Id(c.name);
          items.push_back({e, ""});
        }
      }
      sql += OrderByItems(items);
      step.ordered = true;
    } else if (order == 2) {  // by the primary key: a total order on rows
      std::string terms;
      for (size_t c : t.primary_key) {
        terms += (terms.empty() ? "" : ", ") + gen_.Id(t.columns[c].name) +
                 (gen_.Chance(0.3) ? " " + gen_.K("DESC") : "");
      }
      sql += " " + gen_.K("ORDER BY") + " " + terms;
      step.ordered = true;
    } else if (order == 3) {  // an order that need not be total
      const Expr key = gen_.Gen(gen_.AnyKind(), 1);
      if (!key.constant && !key.zero) {
        sql += " " + gen_.K("ORDER BY") + " " + key.sql;
      }
    }
    if (step.ordered && gen_.Chance(0.4)) sql += Limit();
    step.sql = sql;
    return step;
  }

  Step GroupedSelect(const Table& t) {
    gen_.table = &t;
    gen_.group_keys.clear();
    const int n_keys = gen_.Uniform(1, 2);
    for (int i = 0; i < n_keys; ++i) {
      Expr key;
      if (gen_.Chance(0.6)) {
        key = gen_.ColumnRef(gen_.AnyKind());
      } else {
        for (int attempt = 0; attempt < 5; ++attempt) {
          key = gen_.Gen(gen_.AnyKind(), 1);
          if (!key.constant && !key.zero) break;
        }
      }
      if (key.constant || key.zero) key = gen_.ColumnRef(Kind::kInt);
      if (key.constant) continue;  // no such column: the literal is useless
      gen_.group_keys.push_back(key);
    }
    if (gen_.group_keys.empty()) return AggregateSelect(t);
    std::vector<Item> items;
    for (const Expr& key : gen_.group_keys) {
      if (gen_.Chance(0.8)) items.push_back({key, ""});
    }
    const int aggs = gen_.Uniform(items.empty() ? 1 : 0, 3);
    for (int i = 0; i < aggs; ++i) {
      items.push_back({gen_.AggGen(gen_.AnyKind(), gen_.Uniform(0, 2)), ""});
    }
    std::shuffle(items.begin(), items.end(), rng());
    std::string sql = gen_.K("SELECT") + " " + ItemList(&items) + " " +
                      gen_.K("FROM") + " " + gen_.Id(t.name);
    if (gen_.Chance(0.5)) sql += Where();
    sql += " " + gen_.K("GROUP BY") + " ";
    for (size_t i = 0; i < gen_.group_keys.size(); ++i) {
      // A key that is an output column may be named by its alias.
      std::string term = gen_.group_keys[i].sql;
      for (const Item& item : items) {
        if (item.expr.sql == term && !item.alias.empty() && gen_.Chance(0.4)) {
          term = gen_.Id(item.alias);
          break;
        }
      }
      sql += (i > 0 ? ", " : "") + term;
    }
    if (gen_.Chance(0.35)) {
      sql +=
          " " + gen_.K("HAVING") + " " + gen_.AggBool(gen_.Uniform(0, 2)).sql;
    }
    Step step;
    if (gen_.Chance(0.6)) {
      sql += OrderByItems(items);
      step.ordered = true;
      if (gen_.Chance(0.3)) sql += Limit();
    }
    step.sql = sql;
    return step;
  }

  Step AggregateSelect(const Table& t) {
    gen_.table = &t;
    gen_.group_keys.clear();
    std::vector<Item> items;
    const int n = gen_.Uniform(1, 4);
    for (int i = 0; i < n; ++i) {
      items.push_back({gen_.AggGen(gen_.AnyKind(), gen_.Uniform(0, 2)), ""});
    }
    std::string sql = gen_.K("SELECT") + " " + ItemList(&items) + " " +
                      gen_.K("FROM") + " " + gen_.Id(t.name);
    if (gen_.Chance(0.6)) sql += Where();
    if (gen_.Chance(0.1)) sql += Limit();
    return {sql, true, false};
  }

  Step NoFromSelect() {
    gen_.NewStatement();
    gen_.table = nullptr;
    gen_.group_keys.clear();
    std::vector<Item> items;
    const int n = gen_.Uniform(1, 4);
    for (int i = 0; i < n; ++i) {
      items.push_back({gen_.Chance(0.25)
                           ? gen_.Bool(gen_.Uniform(0, 4))
                           : gen_.Gen(gen_.AnyKind(), gen_.Uniform(0, 4)),
                       ""});
    }
    return {gen_.K("SELECT") + " " + ItemList(&items), true, false};
  }

  const uint64_t seed_;
  const int round_;
  const Shape shape_;
  Generator gen_;
  Counts* counts_;
  Pair pair_;
  std::vector<Table> tables_;
  std::vector<Step> history_;
  int next_index_ = 0;
  bool last_ok_ = false;
};

// Runs `rounds` rounds of `statements` statements each (ten times as many
// rounds with FORKDB_LONG_TESTS); FORKDB_DIFF_ROUND runs one round only.
void RunRounds(Shape shape, int rounds, int statements) {
  const uint64_t seed = engine::test::TestSeed();
  rounds = engine::test::Scaled(rounds);
  int only = -1;
  if (const char* env = std::getenv("FORKDB_DIFF_ROUND")) only = std::atoi(env);
  Counts counts;
  for (int r = 0; r < rounds; ++r) {
    if (only >= 0 && r != only) continue;
    if (Tracing()) std::cout << "round " << r << "\n";
    Round round(seed, r, shape, &counts);
    if (!round.Run(statements)) break;
  }
  std::cout << counts.statements << " statements (" << counts.failed
            << " rejected by both), " << counts.table_reads
            << " whole-table comparisons, " << counts.rows_compared
            << " rows compared\n";
}

TEST(SqlDifferentialTest, RandomStatementsAgreeWithSqlite) {
  RunRounds(Shape::kMixed, 16, 400);
}

TEST(SqlDifferentialTest, GroupedQueriesAgreeWithSqlite) {
  RunRounds(Shape::kGrouped, 8, 150);
}

TEST(SqlDifferentialTest, RejectedStatementsChangeNothingInEither) {
  RunRounds(Shape::kFailures, 10, 150);
}

TEST(SqlDifferentialTest, ExpressionsWithoutFromAgreeWithSqlite) {
  RunRounds(Shape::kNoFrom, 4, 800);
}

}  // namespace
}  // namespace forkdb::sql
