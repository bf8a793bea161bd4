// forkdb-bench-diff: divergence detection (DESIGN.md, "Divergence
// detection"; forkdb/divergence.h) beside the full comparison it replaces, on
// an in-memory Database (forkdb/database.h) over a sweep of table sizes. The
// sweep is the point: Divergence and Diff walk the page maps of both sides
// and skip every shared subtree, so their cost follows the changes and stays
// flat while the table grows; a full scan grows with it.
//
// Set-up, once per table size N and kept for the whole run (every repetition
// of every benchmark of that size uses the same database): one table
// t (id INTEGER PRIMARY KEY, v INTEGER, s TEXT) on main, rows id = 0 .. N - 1
// with v = id and s a 20-byte text, inserted kBatchRows per transaction; forks
// a and b of main; then one transaction on each fork that updates 100 rows
// (v = id + 1 on a, v = id + 2 on b) at 150 keys spread over the table,
// key j = j * N / 150 for j < 150:
//   j % 3 == 0   50 keys updated on both sides, to different values: divergent
//   j % 3 == 1   50 keys updated on a only
//   j % 3 == 2   50 keys updated on b only
// Every row of a and b is then read once (a full scan, checked), so that
// timing starts in a steady state as in forkdb-bench-engine.
//
//   Divergence/forkdb_memory/<N>  Database::Divergence(a, b, {}, fn): the 50
//                                 update/update records
//   Diff/forkdb_memory/<N>        Database::Diff(a, b, {}, fn): 150 changed
//                                 rows (the 50 shared keys, 50 + 50 others)
//   FullCompare/forkdb_memory/<N> the peer, at the middle size only: what an
//                                 application does without Diff: snapshots of
//                                 a and b, Reader::Scan of t on both, merged
//                                 by key, counting rows that differ (150)
// Sizes N: --rows / 100, --rows / 10 and --rows (10,000,000 by default: 100k,
// 1M and 10M rows). Each call's record count is checked, and a wrong count
// skips the benchmark with an error. Counters: records (per call) and
// table_rows (N).
//
// Time is the process's CPU time (MeasureProcessCPUTime), as in
// forkdb-bench-engine and forkdb-bench-sql; the wall clock is reported beside
// it. items_per_second is calls per CPU second.
//
// After the Google Benchmark output comes a summary (to stdout, or stderr when
// --benchmark_format asks for another format): the median CPU time per call
// over the repetitions, and the goals: Divergence and Diff at the largest size
// take at most 1.5x their time at the middle size (flat in table size), and
// FullCompare takes at least 100x the time of each at the middle size. Our own
// flags, removed before Google Benchmark sees the rest:
//   --quick      (or FORKDB_BENCH_QUICK=1) --rows=1,000,000 (sizes 10k, 100k
//                and 1M) and a short --benchmark_min_time unless one is given
//   --rows=N     the largest table (at least 100,000)
// Exits 1 if any benchmark failed.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_util.h"
#include "forkdb/database.h"
#include "forkdb/divergence.h"
#include "forkdb/schema.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::bench {
namespace {

using Clock = std::chrono::steady_clock;
using engine::Row;
using engine::Value;

constexpr uint64_t kRowsDefault = 10'000'000;
constexpr uint64_t kRowsQuick = 1'000'000;
constexpr uint64_t kRowsMin = 100'000;         // the smallest table: 1,000 rows
constexpr uint64_t kBatchRows = 100'000;       // rows per seeding transaction
constexpr uint64_t kProgressRows = 1'000'000;  // a progress line this often
constexpr size_t kTextBytes = 20;
constexpr size_t kTextCount = 4096;     // distinct texts, used in turn
constexpr uint64_t kChangedKeys = 150;  // keys j * N / 150, j < 150
constexpr uint64_t kDivergentRows = kChangedKeys / 3;  // j % 3 == 0
constexpr uint64_t kDiffRows = kChangedKeys;
constexpr std::string_view kTable = "t";
constexpr std::string_view kForkA = "a";
constexpr std::string_view kForkB = "b";
constexpr std::string_view kSystem = "forkdb_memory";

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The largest table: set by main() before the benchmarks run.
uint64_t& MaxRows() {
  static uint64_t rows = kRowsDefault;
  return rows;
}
// The sizes of the sweep, smallest first; FullCompare runs at the middle one.
std::vector<uint64_t> Sizes() {
  return {MaxRows() / 100, MaxRows() / 10, MaxRows()};
}
uint64_t MiddleRows() { return MaxRows() / 10; }

// The i-th text (in turn from a pool of kTextCount): 20 random letters from
// a fixed-seed splitmix64, the same on every machine.
const std::string& TextAt(uint64_t i) {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> t(kTextCount, std::string(kTextBytes, ' '));
    uint64_t state = 6;
    for (std::string& s : t) {
      for (char& c : s) {
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        c = static_cast<char>('a' + z % 26);
      }
    }
    return t;
  }();
  return texts[i % kTextCount];
}

// Row `id` as seeded, or with v = id + delta.
Row MakeRow(uint64_t id, int64_t delta) {
  const auto key = static_cast<int64_t>(id);
  return Row{Value::Integer(key), Value::Integer(key + delta),
             Value::Text(TextAt(id))};
}

// Inserts rows 0 .. rows - 1 on main, kBatchRows per transaction, with a
// progress line on stderr every kProgressRows rows of a large table.
Status SeedMain(engine::Database& db, uint64_t rows) {
  const Clock::time_point start = Clock::now();
  for (uint64_t first = 0; first < rows; first += kBatchRows) {
    FORKDB_ASSIGN_OR_RETURN(engine::Transaction txn,
                            db.Begin(engine::kMainFork));
    const uint64_t end = std::min(rows, first + kBatchRows);
    for (uint64_t i = first; i < end; ++i)
      FORKDB_RETURN_IF_ERROR(txn.Insert(kTable, MakeRow(i, 0)).status());
    FORKDB_RETURN_IF_ERROR(txn.Commit());
    if (rows > kProgressRows && end % kProgressRows == 0)
      std::fprintf(stderr, "  setup: %llu of %llu rows (%.1f s)\n",
                   static_cast<unsigned long long>(end),
                   static_cast<unsigned long long>(rows),
                   Seconds(Clock::now() - start));
  }
  return Status();
}

// The j-th changed key of a table of `rows` rows.
uint64_t ChangedKey(uint64_t j, uint64_t rows) {
  return j * rows / kChangedKeys;
}

// One transaction on `fork`: v = id + delta at the changed keys j with
// j % 3 == 0 or j % 3 == other (1 for a, 2 for b).
Status UpdateSide(engine::Database& db, std::string_view fork, uint64_t rows,
                  uint64_t other, int64_t delta) {
  FORKDB_ASSIGN_OR_RETURN(engine::Transaction txn, db.Begin(fork));
  for (uint64_t j = 0; j < kChangedKeys; ++j) {
    if (j % 3 != 0 && j % 3 != other) continue;
    const uint64_t id = ChangedKey(j, rows);
    const Row key{Value::Integer(static_cast<int64_t>(id))};
    FORKDB_RETURN_IF_ERROR(txn.Update(kTable, key, MakeRow(id, delta)));
  }
  return txn.Commit();
}

// Reads every row of `fork` once and checks that it holds ids 0 .. rows - 1.
Status WarmAndCheck(engine::Database& db, std::string_view fork,
                    uint64_t rows) {
  FORKDB_ASSIGN_OR_RETURN(engine::Snapshot snap, db.GetSnapshot(fork));
  FORKDB_ASSIGN_OR_RETURN(engine::Cursor cursor, snap.Scan(kTable));
  uint64_t n = 0;
  for (; cursor.Valid(); ++n) {
    if (cursor.row()[0].integer() != static_cast<int64_t>(n))
      return Status::Corruption(fork, ": row ", n, " has key ",
                                cursor.row()[0].ToString());
    FORKDB_RETURN_IF_ERROR(cursor.Next());
  }
  FORKDB_RETURN_IF_ERROR(cursor.status());
  if (n != rows)
    return Status::Corruption(fork, " holds ", n, " rows, not ", rows);
  return Status();
}

// The database of the file comment for a table of `rows` rows.
Result<engine::Database> OpenSeeded(uint64_t rows) {
  FORKDB_ASSIGN_OR_RETURN(engine::Database db, engine::Database::Open());
  {
    FORKDB_ASSIGN_OR_RETURN(engine::Transaction txn,
                            db.Begin(engine::kMainFork));
    engine::TableSpec spec;
    spec.name = std::string(kTable);
    spec.columns = {engine::Column("id", engine::Type::kInteger),
                    engine::Column("v", engine::Type::kInteger),
                    engine::Column("s", engine::Type::kText)};
    spec.primary_key = {"id"};
    FORKDB_RETURN_IF_ERROR(txn.CreateTable(spec).status());
    FORKDB_RETURN_IF_ERROR(txn.Commit());
  }
  FORKDB_RETURN_IF_ERROR(SeedMain(db, rows));
  FORKDB_RETURN_IF_ERROR(db.CreateFork(kForkA, engine::kMainFork).status());
  FORKDB_RETURN_IF_ERROR(db.CreateFork(kForkB, engine::kMainFork).status());
  FORKDB_RETURN_IF_ERROR(UpdateSide(db, kForkA, rows, 1, 1));
  FORKDB_RETURN_IF_ERROR(UpdateSide(db, kForkB, rows, 2, 2));
  FORKDB_RETURN_IF_ERROR(WarmAndCheck(db, kForkA, rows));
  FORKDB_RETURN_IF_ERROR(WarmAndCheck(db, kForkB, rows));
  return db;
}

// One seeded database per table size, made on first use and kept until
// ReleaseFixtures(): repetitions and benchmarks of a size share it.
struct Fixture {
  engine::Database db;
  Status status;
};
std::map<uint64_t, Fixture>& Fixtures() {
  static std::map<uint64_t, Fixture> fixtures;
  return fixtures;
}

void ReleaseFixtures() { Fixtures().clear(); }

// The database for `rows` rows; nullptr (and the benchmark skipped) if
// seeding failed.
engine::Database* Acquire(benchmark::State& state, uint64_t rows) {
  auto [it, fresh] = Fixtures().try_emplace(rows);
  Fixture& f = it->second;
  if (fresh) {
    std::fprintf(stderr, "  setup: seeding %llu rows ...\n",
                 static_cast<unsigned long long>(rows));
    const Clock::time_point start = Clock::now();
    Result<engine::Database> db = OpenSeeded(rows);
    if (db.ok()) {
      f.db = std::move(*db);
    } else {
      f.status = db.status();
    }
    std::fprintf(stderr, "  setup: %llu rows %s in %.1f s\n",
                 static_cast<unsigned long long>(rows),
                 f.status.ok() ? "seeded" : "failed",
                 Seconds(Clock::now() - start));
  }
  if (!f.status.ok()) {
    state.SkipWithError(f.status.ToString().c_str());
    return nullptr;
  }
  return &f.db;
}

void Fail(benchmark::State& state, const Status& s) {
  state.SkipWithError(s.ToString().c_str());
}

// Sets the counters every benchmark reports: calls per second as items,
// the records of one call, the table's size.
void Finish(benchmark::State& state, uint64_t records, uint64_t rows) {
  state.SetItemsProcessed(state.iterations());
  state.counters["records"] = static_cast<double>(records);
  state.counters["table_rows"] = static_cast<double>(rows);
}

// OK if one call gave `want` records, none of them of an unexpected kind.
Status CheckRecords(std::string_view op, uint64_t records, uint64_t unexpected,
                    uint64_t want) {
  if (unexpected != 0)
    return Status::Corruption(op, " gave ", unexpected,
                              " records of an unexpected kind");
  if (records != want)
    return Status::Corruption(op, " gave ", records, " records, not ", want);
  return Status();
}

void DivergenceBench(benchmark::State& state, std::string_view) {
  const auto rows = static_cast<uint64_t>(state.range(0));
  engine::Database* db = Acquire(state, rows);
  if (db == nullptr) return;
  uint64_t records = 0;
  uint64_t unexpected = 0;
  const engine::DivergentRowFn fn = [&](const engine::DivergentRow& r) {
    ++records;
    if (r.kind != engine::DivergenceKind::kUpdateUpdate) ++unexpected;
    return true;
  };
  for (auto _ : state) {
    records = 0;
    unexpected = 0;
    Status s = db->Divergence(kForkA, kForkB, {}, fn);
    if (s.ok())
      s = CheckRecords("Divergence", records, unexpected, kDivergentRows);
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  Finish(state, records, rows);
}

void DiffBench(benchmark::State& state, std::string_view) {
  const auto rows = static_cast<uint64_t>(state.range(0));
  engine::Database* db = Acquire(state, rows);
  if (db == nullptr) return;
  uint64_t records = 0;
  uint64_t unexpected = 0;
  const engine::DiffRowFn fn = [&](const engine::DiffRow& r) {
    ++records;
    if (r.kind != engine::DiffKind::kChanged) ++unexpected;
    return true;
  };
  for (auto _ : state) {
    records = 0;
    unexpected = 0;
    Status s = db->Diff(kForkA, kForkB, {}, fn);
    if (s.ok()) s = CheckRecords("Diff", records, unexpected, kDiffRows);
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  Finish(state, records, rows);
}

// The rows whose values differ between a and b, by a full scan of both
// merged by key (id is column 0): what Diff answers, the long way.
Result<uint64_t> CompareByScan(engine::Database& db) {
  FORKDB_ASSIGN_OR_RETURN(engine::Snapshot a, db.GetSnapshot(kForkA));
  FORKDB_ASSIGN_OR_RETURN(engine::Snapshot b, db.GetSnapshot(kForkB));
  FORKDB_ASSIGN_OR_RETURN(engine::Cursor ca, a.Scan(kTable));
  FORKDB_ASSIGN_OR_RETURN(engine::Cursor cb, b.Scan(kTable));
  uint64_t differ = 0;
  while (ca.Valid() || cb.Valid()) {
    // Negative: only a has the smaller key; positive: only b; 0: both.
    int order = 0;
    if (!ca.Valid()) {
      order = 1;
    } else if (!cb.Valid()) {
      order = -1;
    } else {
      order = engine::Compare(ca.row()[0], cb.row()[0]);
    }
    if (order != 0 || ca.row() != cb.row()) ++differ;
    if (order <= 0) FORKDB_RETURN_IF_ERROR(ca.Next());
    if (order >= 0) FORKDB_RETURN_IF_ERROR(cb.Next());
  }
  FORKDB_RETURN_IF_ERROR(ca.status());
  FORKDB_RETURN_IF_ERROR(cb.status());
  return differ;
}

void FullCompareBench(benchmark::State& state, std::string_view) {
  const auto rows = static_cast<uint64_t>(state.range(0));
  engine::Database* db = Acquire(state, rows);
  if (db == nullptr) return;
  uint64_t records = 0;
  for (auto _ : state) {
    Result<uint64_t> differ = CompareByScan(*db);
    Status s = differ.status();
    if (s.ok()) {
      records = *differ;
      s = CheckRecords("FullCompare", records, 0, kDiffRows);
    }
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  Finish(state, records, rows);
}

void RegisterDiffBenchmarks() {
  for (uint64_t rows : Sizes()) {
    RegisterSystemBenchmark("Divergence", kSystem, DivergenceBench)
        ->Arg(static_cast<int64_t>(rows));
  }
  for (uint64_t rows : Sizes()) {
    RegisterSystemBenchmark("Diff", kSystem, DiffBench)
        ->Arg(static_cast<int64_t>(rows));
  }
  RegisterSystemBenchmark("FullCompare", kSystem, FullCompareBench)
      ->Arg(static_cast<int64_t>(MiddleRows()))
      ->Unit(benchmark::kMillisecond);
}

void PrintHelp() {
  std::printf(
      "forkdb-bench-diff: Database::Divergence and Diff over a sweep of table\n"
      "sizes, beside a full scan comparison of the two forks.\n"
      "  --quick    --rows=1,000,000 and a short --benchmark_min_time\n"
      "             (also FORKDB_BENCH_QUICK=1)\n"
      "  --rows=N   the largest table (default 10,000,000; at least %llu);\n"
      "             the sweep is N / 100, N / 10 and N rows\n\n",
      static_cast<unsigned long long>(kRowsMin));
  benchmark::PrintDefaultHelp();
}

std::string BenchName(std::string_view op, uint64_t rows) {
  return std::string(op) + "/" + std::string(kSystem) + "/" +
         std::to_string(rows);
}

// The median CPU time of one call in microseconds; 0 if it did not run.
double MedianCallUs(const CounterReporter& r, std::string_view op,
                    uint64_t rows) {
  const double calls_per_s = r.Median(BenchName(op, rows), "items_per_second");
  return calls_per_s > 0 ? 1e6 / calls_per_s : 0;
}

// The summary after the runs: medians over the repetitions, and the goals.
void PrintSummary(const CounterReporter& r, FILE* out) {
  std::fprintf(out,
               "\nSummary (medians over the repetitions, CPU time per "
               "call):\n");
  for (std::string_view op : {"Divergence", "Diff", "FullCompare"}) {
    for (uint64_t rows : Sizes()) {
      const double us = MedianCallUs(r, op, rows);
      if (us <= 0) continue;
      const std::string name = BenchName(op, rows);
      std::fprintf(out, "  %-36s %14.1f us  %4.0f records\n", name.c_str(), us,
                   r.Median(name, "records"));
    }
  }
  const uint64_t mid = MiddleRows();
  const uint64_t max = MaxRows();
  for (std::string_view op : {"Divergence", "Diff"}) {
    const double at_mid = MedianCallUs(r, op, mid);
    const double at_max = MedianCallUs(r, op, max);
    if (at_mid <= 0 || at_max <= 0) continue;
    const double ratio = at_max / at_mid;
    std::fprintf(out,
                 "  %-10s %llu / %llu rows: %.2fx the time (goal <= 1.5x): "
                 "%s\n",
                 std::string(op).c_str(), static_cast<unsigned long long>(max),
                 static_cast<unsigned long long>(mid), ratio,
                 ratio <= 1.5 ? "met" : "NOT met");
  }
  const double full = MedianCallUs(r, "FullCompare", mid);
  for (std::string_view op : {"Divergence", "Diff"}) {
    const double us = MedianCallUs(r, op, mid);
    if (full <= 0 || us <= 0) continue;
    const double speedup = full / us;
    std::fprintf(out,
                 "  FullCompare / %-10s at %llu rows: %.0fx faster (goal >= "
                 "100x): %s\n",
                 std::string(op).c_str(), static_cast<unsigned long long>(mid),
                 speedup, speedup >= 100 ? "met" : "NOT met");
  }
}

}  // namespace
}  // namespace forkdb::bench

int main(int argc, char** argv) {
  namespace fb = forkdb::bench;
  fb::TableBenchArgs parsed;
  if (!fb::ParseTableBenchArgs(argc, argv, "forkdb-bench-diff", fb::kRowsMin,
                               fb::kRowsDefault, fb::kRowsQuick, &parsed))
    return 1;
  fb::MaxRows() = parsed.rows;
  std::vector<char*>& args = parsed.args;
  int args_count = static_cast<int>(args.size()) - 1;  // without the null
  const std::string_view format = parsed.format;
  benchmark::Initialize(&args_count, args.data(), fb::PrintHelp);
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  fb::CounterReporter reporter(format);

  fb::RegisterDiffBenchmarks();
  benchmark::RunSpecifiedBenchmarks(&reporter);
  fb::ReleaseFixtures();
  benchmark::Shutdown();
  fb::PrintSummary(reporter, format == "console" ? stdout : stderr);
  if (reporter.failed()) {
    std::fprintf(stderr, "forkdb-bench-diff: a benchmark failed (above)\n");
    return 1;
  }
  return 0;
}
