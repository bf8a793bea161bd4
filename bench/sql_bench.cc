// SQL benchmarks: the same statements through forkdb's SQL front end and
// through SQLite, on the same table and rows:
//
//   CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)
//   rows id = 0 .. rows - 1, v a 100-byte text, n = id % 1000
//
//   SqlPointSelect/<system>     SELECT v, n FROM t WHERE id = ?
//                               for a random existing id; items: rows read
//   SqlRangeSelect100/<system>  SELECT id, v, n FROM t WHERE id BETWEEN ? AND ?
//                               over 100 ids from a random start; items: rows
//                               read
//   SqlAggregate/<system>       SELECT count(*), sum(n), avg(n) FROM t
//                               WHERE id BETWEEN ? AND ?
//                               over 10,000 ids from a random start; items:
//                               rows aggregated
//   SqlInsert/<system>          BEGIN, 1000 x INSERT INTO t VALUES (?, ?, ?)
//                               with new ids after the largest, COMMIT; items:
//                               rows inserted
//
// Systems:
//   forkdb_memory   an in-memory Database and one sql::Session on main; every
//                   statement prepared once (Session::Prepare), then per run
//                   Bind, Step to the end, Reset. A SELECT outside BEGIN takes
//                   its snapshot on its first Step(), so that cost is in.
//   sqlite_memory   ":memory:", no mutexes (SQLITE_OPEN_NOMUTEX), the same
//                   statements through sqlite3_prepare_v2 once, then
//                   sqlite3_bind_*, sqlite3_step, sqlite3_reset per run.
//   Both run BEGIN and COMMIT as prepared SQL statements. forkdb's
//   Statement::Bind takes a Value, so each text is copied into it; SQLite is
//   handed the text with SQLITE_STATIC (no copy), as an application would.
//
// Every read copies each row's text into application memory once (a
// std::string) and reads its integers. Every run checks what it got at no
// measurable cost (a point select finds its row and n = id % 1000, a range
// select returns the 100 ids asked for, an aggregate counts 10,000 rows with
// sum(n) = 4,995,000, every insert changes one row), and the set-up checks the
// loaded table in full (count, sum, texts), so a benchmark that stops doing
// its work fails instead of measuring nothing.
//
// Time is the process's CPU time (MeasureProcessCPUTime), which is what
// items_per_second divides by; the wall clock is reported beside it. CPU time
// is the measure because a shared machine stretches the wall clock.
//
// Set-up is never timed: each system's table is loaded through its own
// prepared INSERT (1000 rows per transaction), checked, and warmed (every row
// aggregated once); all four benchmarks of a system run before the next
// system loads its own. SqlInsert runs a fixed number of batches per
// repetition (rows / 10), so both systems insert the same ids into a table of
// the same size. The table_rows counter is the table's size when a
// repetition starts.
#include "bench/sql_bench.h"

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "forkdb/database.h"
#include "forkdb/sql.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::bench {
namespace {

using Clock = std::chrono::steady_clock;
using engine::Row;
using engine::Type;
using engine::Value;

constexpr uint64_t kBatchRows = 1000;  // rows per write transaction
constexpr size_t kTextBytes = 100;
constexpr size_t kTextCount = 4096;  // distinct texts, used in turn
constexpr int64_t kNModulus = 1000;  // n = id % kNModulus
constexpr int64_t kRangeRows = 100;
constexpr int64_t kAggregateRows = 10'000;
constexpr uint64_t kInsertShare = 10;  // an insert repetition adds rows / 10
static_assert(kAggregateRows % kNModulus == 0,
              "every aggregate range has the same sum(n)");
static_assert(static_cast<uint64_t>(kAggregateRows) <= kSqlRowsMin);

// Seeds of the key and text generators.
constexpr uint64_t kReadSeed = 1;
constexpr uint64_t kTextSeed = 2;

constexpr const char* kCreateTable =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)";
constexpr const char* kInsertSql = "INSERT INTO t VALUES (?, ?, ?)";
constexpr const char* kPointSql = "SELECT v, n FROM t WHERE id = ?";
constexpr const char* kRangeSql =
    "SELECT id, v, n FROM t WHERE id BETWEEN ? AND ?";
constexpr const char* kAggregateSql =
    "SELECT count(*), sum(n), avg(n) FROM t WHERE id BETWEEN ? AND ?";

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

int64_t NOf(int64_t id) { return id % kNModulus; }

// The text of row `id` (in turn from a pool of kTextCount): 100 random
// letters from a fixed seed.
const std::string& TextOf(int64_t id) {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> t(kTextCount, std::string(kTextBytes, ' '));
    std::mt19937_64 rng(kTextSeed);
    for (std::string& s : t) {
      for (char& c : s) c = static_cast<char>('a' + rng() % 26);
    }
    return t;
  }();
  return texts[static_cast<uint64_t>(id) % kTextCount];
}

// sum(n) and the sum of the ids over ids lo .. hi, as the table holds them.
int64_t SumOfN(int64_t lo, int64_t hi) {
  int64_t sum = 0;
  for (int64_t id = lo; id <= hi; ++id) sum += NOf(id);
  return sum;
}
int64_t SumOfIds(int64_t lo, int64_t hi) {
  return (lo + hi) * (hi - lo + 1) / 2;
}

// What a range select or an aggregate returned.
struct RangeResult {
  uint64_t rows = 0;
  int64_t id_sum = 0;  // the ids it read, summed: checks which rows they were
};
struct AggregateResult {
  int64_t count = 0;
  int64_t sum = 0;
  double avg = 0;
};

// One system's table and prepared statements, behind one interface so that
// every benchmark runs the same loop on both systems. Not thread-safe; one
// benchmark thread uses it.
class SqlSystem {
 public:
  virtual ~SqlSystem() = default;

  // Creates the empty table and prepares every statement. Called once, first.
  virtual Status Open() = 0;
  // BEGIN, rows first_id .. first_id + count - 1, COMMIT; on an error, the
  // transaction is rolled back.
  virtual Status InsertBatch(int64_t first_id, uint64_t count) = 0;
  // Row `id`'s v (copied into *v) and n; NotFound if there is none.
  virtual Status PointSelect(int64_t id, std::string* v, int64_t* n) = 0;
  // Every row with lo <= id <= hi.
  virtual Status RangeSelect(int64_t lo, int64_t hi, RangeResult* out) = 0;
  // count(*), sum(n), avg(n) over the rows with lo <= id <= hi.
  // REQUIRES: there is at least one such row (else sum and avg are NULL).
  virtual Status Aggregate(int64_t lo, int64_t hi, AggregateResult* out) = 0;

  // Loads rows 0 .. rows - 1, kBatchRows per transaction.
  Status Load(uint64_t rows) {
    for (uint64_t first = 0; first < rows; first += kBatchRows) {
      FORKDB_RETURN_IF_ERROR(Insert(static_cast<int64_t>(first),
                                    std::min(kBatchRows, rows - first)));
    }
    return Status();
  }

  // InsertBatch, counting the rows.
  Status Insert(int64_t first_id, uint64_t count) {
    FORKDB_RETURN_IF_ERROR(InsertBatch(first_id, count));
    rows_ += count;
    return Status();
  }

  uint64_t rows() const { return rows_; }
  // The next id to insert: one past the largest.
  int64_t next_id() const { return static_cast<int64_t>(rows_); }

 private:
  uint64_t rows_ = 0;  // ids 0 .. rows_ - 1 are in the table
};

// The INTEGER in `row[i]`; Corruption naming `what` if it is anything else.
Status IntegerAt(const Row& row, size_t i, std::string_view what,
                 int64_t* out) {
  if (i >= row.size() || row[i].type() != Type::kInteger)
    return Status::Corruption(what, ": column ", i, " is not an INTEGER");
  *out = row[i].integer();
  return Status();
}

class ForkdbSystem final : public SqlSystem {
 public:
  Status Open() override {
    FORKDB_ASSIGN_OR_RETURN(engine::Database db, engine::Database::Open());
    session_.emplace(std::move(db));
    FORKDB_RETURN_IF_ERROR(session_->Execute(kCreateTable));
    FORKDB_RETURN_IF_ERROR(Prepare("BEGIN", &begin_));
    FORKDB_RETURN_IF_ERROR(Prepare("COMMIT", &commit_));
    FORKDB_RETURN_IF_ERROR(Prepare(kInsertSql, &insert_));
    FORKDB_RETURN_IF_ERROR(Prepare(kPointSql, &point_));
    FORKDB_RETURN_IF_ERROR(Prepare(kRangeSql, &range_));
    return Prepare(kAggregateSql, &aggregate_);
  }

  Status InsertBatch(int64_t first_id, uint64_t count) override {
    FORKDB_RETURN_IF_ERROR(RunOnce(&begin_, "BEGIN"));
    for (uint64_t i = 0; i < count; ++i) {
      const int64_t id = first_id + static_cast<int64_t>(i);
      Status s = insert_.Bind(1, Value::Integer(id));
      if (s.ok()) s = insert_.Bind(2, Value::Text(TextOf(id)));
      if (s.ok()) s = insert_.Bind(3, Value::Integer(NOf(id)));
      if (s.ok()) s = RunOnce(&insert_, "INSERT");
      if (s.ok() && insert_.changes() != 1)
        s = Status::Corruption("INSERT of id ", id, " changed ",
                               insert_.changes(), " rows");
      if (!s.ok()) {
        session_->Execute("ROLLBACK").IgnoreError();
        return s;
      }
    }
    return RunOnce(&commit_, "COMMIT");
  }

  Status PointSelect(int64_t id, std::string* v, int64_t* n) override {
    Status s = point_.Bind(1, Value::Integer(id));
    Result<bool> more = s.ok() ? point_.Step() : Result<bool>(s);
    if (!more.ok()) {
      s = more.status();
    } else if (!*more) {
      s = Status::NotFound("id ", id);
    } else {
      const Row& row = point_.row();
      if (row.size() != 2 || row[0].type() != Type::kText) {
        s = Status::Corruption("point select: v is not a TEXT");
      } else {
        v->assign(row[0].text());
        s = IntegerAt(row, 1, "point select", n);
      }
    }
    point_.Reset();
    return s;
  }

  Status RangeSelect(int64_t lo, int64_t hi, RangeResult* out) override {
    *out = RangeResult();
    Status s = range_.Bind(1, Value::Integer(lo));
    if (s.ok()) s = range_.Bind(2, Value::Integer(hi));
    while (s.ok()) {
      Result<bool> more = range_.Step();
      if (!more.ok()) s = more.status();
      if (!s.ok() || !*more) break;
      const Row& row = range_.row();
      int64_t id = 0;
      s = IntegerAt(row, 0, "range select", &id);
      if (s.ok() && (row.size() != 3 || row[1].type() != Type::kText))
        s = Status::Corruption("range select: v is not a TEXT");
      if (!s.ok()) break;
      value_.assign(row[1].text());
      benchmark::DoNotOptimize(value_.data());
      ++out->rows;
      out->id_sum += id;
    }
    range_.Reset();
    return s;
  }

  Status Aggregate(int64_t lo, int64_t hi, AggregateResult* out) override {
    Status s = aggregate_.Bind(1, Value::Integer(lo));
    if (s.ok()) s = aggregate_.Bind(2, Value::Integer(hi));
    Result<bool> more = s.ok() ? aggregate_.Step() : Result<bool>(s);
    if (!more.ok()) {
      s = more.status();
    } else if (!*more) {
      s = Status::Corruption("aggregate returned no row");
    } else {
      const Row& row = aggregate_.row();
      s = IntegerAt(row, 0, "count(*)", &out->count);
      if (s.ok()) s = IntegerAt(row, 1, "sum(n)", &out->sum);
      if (s.ok() && (row.size() != 3 || row[2].type() != Type::kReal))
        s = Status::Corruption("avg(n) is not a REAL");
      if (s.ok()) out->avg = row[2].real();
    }
    aggregate_.Reset();
    return s;
  }

 private:
  Status Prepare(const char* text, sql::Statement* stmt) {
    FORKDB_ASSIGN_OR_RETURN(*stmt, session_->Prepare(text));
    if (!stmt->valid())
      return Status::InvalidArgument("no statement in '", text, "'");
    return Status();
  }

  // Runs a statement that returns no row, and resets it.
  static Status RunOnce(sql::Statement* stmt, std::string_view what) {
    Result<bool> more = stmt->Step();
    stmt->Reset();
    if (!more.ok()) return more.status().WithContext(what);
    if (*more) return Status::Corruption(what, " returned a row");
    return Status();
  }

  // The session first: statements hold its state, and go before it.
  std::optional<sql::Session> session_;
  sql::Statement begin_;
  sql::Statement commit_;
  sql::Statement insert_;
  sql::Statement point_;
  sql::Statement range_;
  sql::Statement aggregate_;
  std::string value_;
};

class SqliteSystem final : public SqlSystem {
 public:
  ~SqliteSystem() override {
    for (sqlite3_stmt* stmt :
         {begin_, commit_, insert_, point_, range_, aggregate_})
      sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Status Open() override {
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    FORKDB_RETURN_IF_ERROR(FromSqlite(
        db_, sqlite3_open_v2(":memory:", &db_, flags, nullptr), ":memory:"));
    FORKDB_RETURN_IF_ERROR(FromSqlite(
        db_, sqlite3_exec(db_, kCreateTable, nullptr, nullptr, nullptr),
        kCreateTable));
    FORKDB_RETURN_IF_ERROR(Prepare("BEGIN", &begin_));
    FORKDB_RETURN_IF_ERROR(Prepare("COMMIT", &commit_));
    FORKDB_RETURN_IF_ERROR(Prepare(kInsertSql, &insert_));
    FORKDB_RETURN_IF_ERROR(Prepare(kPointSql, &point_));
    FORKDB_RETURN_IF_ERROR(Prepare(kRangeSql, &range_));
    return Prepare(kAggregateSql, &aggregate_);
  }

  Status InsertBatch(int64_t first_id, uint64_t count) override {
    FORKDB_RETURN_IF_ERROR(RunOnce(begin_, "BEGIN"));
    for (uint64_t i = 0; i < count; ++i) {
      const int64_t id = first_id + static_cast<int64_t>(i);
      const std::string& text = TextOf(id);
      sqlite3_bind_int64(insert_, 1, id);
      sqlite3_bind_text(insert_, 2, text.data(), static_cast<int>(text.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(insert_, 3, NOf(id));
      Status s = RunOnce(insert_, "INSERT");
      if (s.ok() && sqlite3_changes(db_) != 1)
        s = Status::Corruption("INSERT of id ", id, " changed ",
                               sqlite3_changes(db_), " rows");
      if (!s.ok()) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return s;
      }
    }
    return RunOnce(commit_, "COMMIT");
  }

  Status PointSelect(int64_t id, std::string* v, int64_t* n) override {
    sqlite3_bind_int64(point_, 1, id);
    const int rc = sqlite3_step(point_);
    Status s = FromSqlite(db_, rc, "point select");
    if (s.ok() && rc == SQLITE_DONE) s = Status::NotFound("id ", id);
    if (s.ok()) {
      s = CheckTypes(point_, {SQLITE_TEXT, SQLITE_INTEGER}, "point select");
    }
    if (s.ok()) {
      v->assign(Text(point_, 0));
      *n = sqlite3_column_int64(point_, 1);
    }
    sqlite3_reset(point_);
    return s;
  }

  Status RangeSelect(int64_t lo, int64_t hi, RangeResult* out) override {
    *out = RangeResult();
    sqlite3_bind_int64(range_, 1, lo);
    sqlite3_bind_int64(range_, 2, hi);
    int rc = SQLITE_ROW;
    Status s;
    while (s.ok() && (rc = sqlite3_step(range_)) == SQLITE_ROW) {
      s = CheckTypes(range_, {SQLITE_INTEGER, SQLITE_TEXT, SQLITE_INTEGER},
                     "range select");
      if (!s.ok()) break;
      const int64_t id = sqlite3_column_int64(range_, 0);
      value_.assign(Text(range_, 1));
      benchmark::DoNotOptimize(value_.data());
      ++out->rows;
      out->id_sum += id;
    }
    sqlite3_reset(range_);
    if (!s.ok()) return s;
    return FromSqlite(db_, rc, "range select");
  }

  Status Aggregate(int64_t lo, int64_t hi, AggregateResult* out) override {
    sqlite3_bind_int64(aggregate_, 1, lo);
    sqlite3_bind_int64(aggregate_, 2, hi);
    const int rc = sqlite3_step(aggregate_);
    Status s = FromSqlite(db_, rc, "aggregate");
    if (s.ok() && rc != SQLITE_ROW)
      s = Status::Corruption("aggregate returned no row");
    if (s.ok()) {
      s = CheckTypes(aggregate_, {SQLITE_INTEGER, SQLITE_INTEGER, SQLITE_FLOAT},
                     "aggregate");
    }
    if (s.ok()) {
      out->count = sqlite3_column_int64(aggregate_, 0);
      out->sum = sqlite3_column_int64(aggregate_, 1);
      out->avg = sqlite3_column_double(aggregate_, 2);
    }
    sqlite3_reset(aggregate_);
    return s;
  }

 private:
  Status Prepare(const char* text, sqlite3_stmt** stmt) {
    return FromSqlite(db_, sqlite3_prepare_v2(db_, text, -1, stmt, nullptr),
                      text);
  }

  // Runs a statement that returns no row, and resets it.
  Status RunOnce(sqlite3_stmt* stmt, std::string_view what) {
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc == SQLITE_ROW) return Status::Corruption(what, " returned a row");
    return FromSqlite(db_, rc, what);
  }

  // Corruption naming `what` unless the current row's columns have `types`.
  static Status CheckTypes(sqlite3_stmt* stmt, std::initializer_list<int> types,
                           std::string_view what) {
    if (sqlite3_column_count(stmt) != static_cast<int>(types.size()))
      return Status::Corruption(what, ": ", sqlite3_column_count(stmt),
                                " columns");
    int i = 0;
    for (int type : types) {
      if (sqlite3_column_type(stmt, i) != type)
        return Status::Corruption(what, ": column ", i, " has type ",
                                  sqlite3_column_type(stmt, i));
      ++i;
    }
    return Status();
  }

  static std::string_view Text(sqlite3_stmt* stmt, int column) {
    const unsigned char* text = sqlite3_column_text(stmt, column);
    return std::string_view(
        reinterpret_cast<const char*>(text),
        static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* point_ = nullptr;
  sqlite3_stmt* range_ = nullptr;
  sqlite3_stmt* aggregate_ = nullptr;
  std::string value_;
};

std::unique_ptr<SqlSystem> MakeSystem(std::string_view system) {
  if (system == "forkdb_memory") return std::make_unique<ForkdbSystem>();
  return std::make_unique<SqliteSystem>();
}

// The rows every table gets: set by RegisterSqlBenchmarks().
uint64_t& Rows() {
  static uint64_t rows = kSqlRowsDefault;
  return rows;
}

// Corruption unless a range select of ids lo .. hi returned exactly them.
Status CheckRange(int64_t lo, int64_t hi, const RangeResult& r) {
  if (r.rows != static_cast<uint64_t>(hi - lo + 1) ||
      r.id_sum != SumOfIds(lo, hi)) {
    return Status::Corruption("range select of ids ", lo, "..", hi, " read ",
                              r.rows, " rows with id sum ", r.id_sum, ", not ",
                              hi - lo + 1, " with ", SumOfIds(lo, hi));
  }
  return Status();
}

// Corruption unless an aggregate over ids lo .. hi saw exactly them.
Status CheckAggregate(int64_t lo, int64_t hi, int64_t sum_of_n,
                      const AggregateResult& a) {
  const int64_t count = hi - lo + 1;
  const double avg = static_cast<double>(sum_of_n) / static_cast<double>(count);
  if (a.count != count || a.sum != sum_of_n || a.avg != avg) {
    return Status::Corruption(
        "aggregate over ids ", lo, "..", hi, " gave (", a.count, ", ", a.sum,
        ", ", a.avg, "), expected (", count, ", ", sum_of_n, ", ", avg, ")");
  }
  return Status();
}

// The set-up's check of a freshly loaded table, before anything is timed:
// every row once (which also warms it, as the timed runs will find it), a
// few rows by key, a key that is not there, one range of each kind.
Status CheckLoaded(SqlSystem* sys) {
  const int64_t last = sys->next_id() - 1;
  AggregateResult all;
  FORKDB_RETURN_IF_ERROR(sys->Aggregate(0, last, &all));
  FORKDB_RETURN_IF_ERROR(CheckAggregate(0, last, SumOfN(0, last), all));
  std::string v;
  for (int64_t id : {int64_t{0}, last / 2 + 7, last}) {
    int64_t n = -1;
    FORKDB_RETURN_IF_ERROR(sys->PointSelect(id, &v, &n));
    if (v != TextOf(id) || n != NOf(id))
      return Status::Corruption("row ", id, " reads back as (", v, ", ", n,
                                ")");
  }
  int64_t n = 0;
  Status missing = sys->PointSelect(last + 1, &v, &n);
  if (missing.code() != Status::Code::kNotFound)
    return Status::Corruption("select of missing id ", last + 1, " gave '",
                              missing.ToString(), "'");
  const int64_t lo = last / 3;
  RangeResult range;
  FORKDB_RETURN_IF_ERROR(sys->RangeSelect(lo, lo + kRangeRows - 1, &range));
  FORKDB_RETURN_IF_ERROR(CheckRange(lo, lo + kRangeRows - 1, range));
  AggregateResult part;
  FORKDB_RETURN_IF_ERROR(sys->Aggregate(lo, lo + kAggregateRows - 1, &part));
  return CheckAggregate(lo, lo + kAggregateRows - 1,
                        SumOfN(lo, lo + kAggregateRows - 1), part);
}

// The one live loaded table.
struct Fixture {
  std::string system;
  std::unique_ptr<SqlSystem> sys;
  Status status;
};
Fixture& CurrentFixture() {
  static Fixture fixture;
  return fixture;
}

// `system`'s table, loaded and checked on first use; nullptr (and the
// benchmark failed) if that went wrong.
SqlSystem* Acquire(benchmark::State& state, std::string_view system) {
  Fixture& f = CurrentFixture();
  if (f.system != system) {
    f.sys.reset();  // free the previous table before loading
    f.system = std::string(system);
    std::fprintf(stderr, "  setup: loading %llu rows into %s ...\n",
                 static_cast<unsigned long long>(Rows()), f.system.c_str());
    const Clock::time_point start = Clock::now();
    std::unique_ptr<SqlSystem> sys = MakeSystem(system);
    f.status = sys->Open();
    if (f.status.ok()) f.status = sys->Load(Rows());
    const double load_s = Seconds(Clock::now() - start);
    if (f.status.ok()) f.status = CheckLoaded(sys.get());
    if (f.status.ok()) f.sys = std::move(sys);
    std::fprintf(
        stderr, "  setup: %s %s: load %.1f s (%.0f rows/s), check %.1f s%s%s\n",
        f.system.c_str(), f.status.ok() ? "loaded" : "FAILED", load_s,
        static_cast<double>(Rows()) / load_s,
        Seconds(Clock::now() - start) - load_s, f.status.ok() ? "" : ": ",
        f.status.ok() ? "" : f.status.ToString().c_str());
  }
  if (!f.status.ok()) {
    state.SkipWithError(f.status.ToString().c_str());
    return nullptr;
  }
  state.counters["table_rows"] = static_cast<double>(f.sys->rows());
  return f.sys.get();
}

// Fails the benchmark with `s`. REQUIRES: `s` is not ok.
void Fail(benchmark::State& state, const Status& s) {
  state.SkipWithError(s.ToString().c_str());
}

void SqlPointSelect(benchmark::State& state, std::string_view system) {
  SqlSystem* sys = Acquire(state, system);
  if (sys == nullptr) return;
  std::mt19937_64 rng(kReadSeed);
  std::uniform_int_distribution<int64_t> ids(0, sys->next_id() - 1);
  std::string v;
  for (auto _ : state) {
    const int64_t id = ids(rng);
    int64_t n = -1;
    Status s = sys->PointSelect(id, &v, &n);
    if (s.ok() && n != NOf(id))
      s = Status::Corruption("row ", id, " has n = ", n);
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void SqlRangeSelect100(benchmark::State& state, std::string_view system) {
  SqlSystem* sys = Acquire(state, system);
  if (sys == nullptr) return;
  std::mt19937_64 rng(kReadSeed);
  std::uniform_int_distribution<int64_t> starts(0, sys->next_id() - kRangeRows);
  for (auto _ : state) {
    const int64_t lo = starts(rng);
    RangeResult r;
    Status s = sys->RangeSelect(lo, lo + kRangeRows - 1, &r);
    if (s.ok()) s = CheckRange(lo, lo + kRangeRows - 1, r);
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kRangeRows);
}

void SqlAggregate(benchmark::State& state, std::string_view system) {
  SqlSystem* sys = Acquire(state, system);
  if (sys == nullptr) return;
  std::mt19937_64 rng(kReadSeed);
  std::uniform_int_distribution<int64_t> starts(
      0, sys->next_id() - kAggregateRows);
  // Every range of kAggregateRows ids holds each n the same number of times.
  const int64_t sum_of_n = SumOfN(0, kAggregateRows - 1);
  for (auto _ : state) {
    const int64_t lo = starts(rng);
    AggregateResult a;
    Status s = sys->Aggregate(lo, lo + kAggregateRows - 1, &a);
    if (s.ok()) s = CheckAggregate(lo, lo + kAggregateRows - 1, sum_of_n, a);
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kAggregateRows);
}

void SqlInsert(benchmark::State& state, std::string_view system) {
  SqlSystem* sys = Acquire(state, system);
  if (sys == nullptr) return;
  for (auto _ : state) {
    Status s = sys->Insert(sys->next_id(), kBatchRows);
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(kBatchRows));
}

constexpr auto& Register = RegisterSystemBenchmark;

}  // namespace

void RegisterSqlBenchmarks(uint64_t rows) {
  Rows() = rows;
  const auto insert_batches = static_cast<benchmark::IterationCount>(
      std::max<uint64_t>(1, rows / kInsertShare / kBatchRows));
  // System-major, reads before writes (see the file comment); the order is
  // kSqlOperations'.
  for (std::string_view system : kSqlSystems) {
    Register("SqlPointSelect", system, SqlPointSelect);
    Register("SqlRangeSelect100", system, SqlRangeSelect100);
    Register("SqlAggregate", system, SqlAggregate);
    Register("SqlInsert", system, SqlInsert)->Iterations(insert_batches);
  }
}

void ReleaseSqlBenchFixtures() {
  CurrentFixture().sys.reset();
  CurrentFixture().system.clear();
}

}  // namespace forkdb::bench
