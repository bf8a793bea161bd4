// forkdb-bench-binlog: what the binlog (DESIGN.md, "binlog") costs a commit,
// and how fast replication between forks applies it, on an in-memory
// Database (forkdb/database.h) and one table (k INTEGER PRIMARY KEY, v TEXT),
// every v a 100-byte text, keys 0, 1, 2, ... in order.
//
//   Commit1Row       Begin, 1 insert, Commit on main; items: rows
//   Commit100Rows    Begin, 100 inserts, Commit on main; items: rows
//                    Both report binlog_page_bytes_per_row: the pages the
//                    binlog grew by during the timed loop, times the page
//                    size, per row inserted. There is no public way to get the
//                    encoded size of a record (ReadBinlog hands out decoded
//                    events), so this counts pages (Database::Space
//                    own_pages), the B+tree's slack and overflow page headers
//                    included: an upper bound on record bytes. Purging the
//                    binlog frees no page of the fork (freed pages go on the
//                    fork's own free list), so the table's share is measured
//                    apart, untimed: the same commits in a second fresh
//                    database that purges its binlog after every commit (its
//                    pages are then the table's, plus the few the one-record
//                    binlog reuses). binlog_page_bytes_per_row is main's own
//                    pages minus that database's; table_page_bytes_per_row is
//                    that database's growth, for scale.
//   ReplicationApply a fresh database: the table on main, a fork "dst" of it,
//                    then --rows rows (default 100,000) committed to main in
//                    records of 100 rows (1,000 records), all untimed; timed:
//                    StartReplication(main -> dst) and WaitForReplication until
//                    dst has applied every record; items: rows applied. One
//                    iteration per repetition (each needs a fresh source).
//   DirectInsert     the same fresh set-up without the writes to main; timed:
//                    the same rows inserted into dst directly, 100 rows per
//                    commit; items: rows. The summary prints ReplicationApply /
//                    DirectInsert (goal: at least 0.5).
//   ReplicationLag/rows_per_commit:R/commits_per_s:C
//                    a replication main -> dst runs while a writer thread
//                    commits R rows to main C times a second for 2 s (1 s in
//                    quick mode); every 5 ms the benchmark thread reads
//                    ListReplications' lag_events for dst. Counters:
//                    lag_median and lag_max (records), lag_samples,
//                    commits_per_s (the rate the writer kept), catchup_ms (from
//                    the writer's last commit until dst had applied it). Its
//                    time is the wall clock (UseRealTime).
//
// Time is the process's CPU time (MeasureProcessCPUTime: every thread, so the
// replicator's background thread counts for ReplicationApply), which is what
// items_per_second divides by, as in forkdb-bench-engine and forkdb-bench-sql;
// the wall clock is reported beside it, and ReplicationApply and DirectInsert
// also report wall_rows_per_s (rows per second of the wall clock of their
// timed part).
//
// After the Google Benchmark output comes a summary (to stdout, or stderr when
// --benchmark_format asks for another format): the medians over the
// repetitions. Our own flags, removed before Google Benchmark sees the rest:
//   --quick      (or FORKDB_BENCH_QUICK=1) 20,000 rows instead of 100,000,
//                a 1 s lag run, and a short --benchmark_min_time unless one is
//                given
//   --rows=N     rows of ReplicationApply and DirectInsert (at least 1,000;
//                rounded up to whole records of 100 rows)
// Exits 1 if any benchmark failed.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "bench/fork_bench.h"
#include "forkdb/database.h"
#include "forkdb/schema.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::bench {
namespace {

using Clock = std::chrono::steady_clock;
using engine::Row;
using engine::Value;

constexpr uint64_t kRowsDefault = 100'000;
constexpr uint64_t kRowsQuick = 20'000;
constexpr uint64_t kRowsMin = 1'000;
constexpr uint64_t kRecordRows = 100;  // rows per commit of the apply pair
constexpr size_t kTextBytes = 100;
constexpr size_t kTextCount = 4096;  // distinct texts, used in turn
constexpr std::string_view kTable = "t";
constexpr std::string_view kTarget = "dst";
constexpr auto kLagSampleEvery = std::chrono::milliseconds(5);
constexpr auto kCatchUpTimeout = std::chrono::minutes(5);

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The run's settings: set by main() before the benchmarks run.
struct Settings {
  uint64_t rows = kRowsDefault;
  Clock::duration lag_run = std::chrono::seconds(2);
};
Settings& Config() {
  static Settings settings;
  return settings;
}

// The i-th text (in turn from a pool of kTextCount): 100 random letters from
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

// An in-memory database holding the empty table on main.
Result<engine::Database> OpenWithTable() {
  FORKDB_ASSIGN_OR_RETURN(engine::Database db, engine::Database::Open());
  FORKDB_ASSIGN_OR_RETURN(engine::Transaction txn, db.Begin(engine::kMainFork));
  engine::TableSpec spec;
  spec.name = std::string(kTable);
  spec.columns = {engine::Column("k", engine::Type::kInteger),
                  engine::Column("v", engine::Type::kText)};
  spec.primary_key = {"k"};
  FORKDB_RETURN_IF_ERROR(txn.CreateTable(spec).status());
  FORKDB_RETURN_IF_ERROR(txn.Commit());
  return db;
}

// One transaction on `fork`: rows first .. first + count - 1.
Status InsertRows(engine::Database& db, std::string_view fork, uint64_t first,
                  uint64_t count) {
  FORKDB_ASSIGN_OR_RETURN(engine::Transaction txn, db.Begin(fork));
  Row row(2);
  for (uint64_t i = first; i < first + count; ++i) {
    row[0] = Value::Integer(static_cast<int64_t>(i));
    row[1] = Value::Text(TextAt(i));
    FORKDB_RETURN_IF_ERROR(txn.Insert(kTable, row).status());
  }
  return txn.Commit();
}

// The rows of the apply pair: --rows rounded up to whole records.
uint64_t ApplyRows() {
  return (Config().rows + kRecordRows - 1) / kRecordRows * kRecordRows;
}

// Every row of `fork`'s table, counted, and checked to be 0 .. n - 1.
Status CheckRows(engine::Database& db, std::string_view fork, uint64_t want) {
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
  if (n != want)
    return Status::Corruption(fork, " holds ", n, " rows, not ", want);
  return Status();
}

void Fail(benchmark::State& state, const Status& s) {
  state.SkipWithError(s.ToString().c_str());
}

// Pages `fork` owns now.
Result<uint64_t> OwnPages(engine::Database& db, std::string_view fork) {
  FORKDB_ASSIGN_OR_RETURN(engine::ForkSpace space, db.Space(fork));
  return space.own_pages;
}

// Removes every record of `fork`'s binlog.
Status PurgeAll(engine::Database& db, std::string_view fork) {
  FORKDB_ASSIGN_OR_RETURN(engine::BinlogBounds b, db.GetBinlogBounds(fork));
  FORKDB_RETURN_IF_ERROR(db.PurgeBinlog(fork, b.next).status());
  FORKDB_ASSIGN_OR_RETURN(b, db.GetBinlogBounds(fork));
  if (b.first != b.next)
    return Status::Corruption("the purge left records [", b.first, ", ", b.next,
                              ")");
  return Status();
}

// Pages main owns in a fresh database after `rows` rows committed
// `rows_per_commit` at a time, as Commit1Row and Commit100Rows commit them, but
// with the binlog purged after every commit: PurgeBinlog puts the freed pages
// on the fork's own free list, where the next commit takes them, so the
// binlog keeps a few pages at most and the rest is the table's (the same
// B+tree shape: the same keys in the same commits).
Result<uint64_t> PagesWithoutBinlog(uint64_t rows, uint64_t rows_per_commit,
                                    uint64_t* pages_before) {
  const std::string_view fork = engine::kMainFork;
  FORKDB_ASSIGN_OR_RETURN(engine::Database db, OpenWithTable());
  FORKDB_RETURN_IF_ERROR(PurgeAll(db, fork));
  FORKDB_ASSIGN_OR_RETURN(*pages_before, OwnPages(db, fork));
  for (uint64_t first = 0; first < rows; first += rows_per_commit) {
    FORKDB_RETURN_IF_ERROR(InsertRows(db, fork, first, rows_per_commit));
    FORKDB_RETURN_IF_ERROR(db.PurgeBinlog(fork, UINT64_MAX).status());
  }
  return OwnPages(db, fork);
}

// Commit1Row, Commit100Rows: one fresh database per run, so that every run
// starts from an empty table and an empty binlog.
void CommitRows(benchmark::State& state, uint64_t rows_per_commit) {
  Result<engine::Database> opened = OpenWithTable();
  if (!opened.ok()) return Fail(state, opened.status());
  engine::Database& db = *opened;
  const std::string_view fork = engine::kMainFork;
  // The CreateTable record goes, so that only the loop's records count.
  Status s = PurgeAll(db, fork);
  Result<engine::BinlogBounds> bounds_before = db.GetBinlogBounds(fork);
  if (s.ok()) s = bounds_before.status();
  if (!s.ok()) return Fail(state, s);
  uint64_t next = 0;
  for (auto _ : state) {
    s = InsertRows(db, fork, next, rows_per_commit);
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
    next += rows_per_commit;
  }
  state.SetItemsProcessed(static_cast<int64_t>(next));
  if (!s.ok() || next == 0) return;

  // Untimed from here: every commit made one record; the binlog's pages are
  // main's pages beyond those of the same commits without a binlog.
  Result<engine::BinlogBounds> bounds = db.GetBinlogBounds(fork);
  Result<uint64_t> pages = OwnPages(db, fork);
  if (!bounds.ok()) s = bounds.status();
  if (s.ok() && !pages.ok()) s = pages.status();
  const uint64_t commits = next / rows_per_commit;
  if (s.ok() && bounds->next - bounds_before->next != commits)
    s = Status::Corruption(commits, " commits made ",
                           bounds->next - bounds_before->next,
                           " binlog records");
  uint64_t pages_before = 0;
  Result<uint64_t> table_pages =
      PagesWithoutBinlog(next, rows_per_commit, &pages_before);
  if (s.ok()) s = table_pages.status();
  if (!s.ok()) return Fail(state, s);
  const double page_size = db.page_size();
  const double rows = static_cast<double>(next);
  state.counters["binlog_page_bytes_per_row"] =
      (static_cast<double>(*pages) - static_cast<double>(*table_pages)) *
      page_size / rows;
  state.counters["table_page_bytes_per_row"] =
      (static_cast<double>(*table_pages) - static_cast<double>(pages_before)) *
      page_size / rows;
}

void Commit1Row(benchmark::State& state) { CommitRows(state, 1); }
void Commit100Rows(benchmark::State& state) { CommitRows(state, 100); }

// A fresh database with the table on main and the fork dst made from it.
Result<engine::Database> OpenPair() {
  FORKDB_ASSIGN_OR_RETURN(engine::Database db, OpenWithTable());
  FORKDB_RETURN_IF_ERROR(db.CreateFork(kTarget, engine::kMainFork).status());
  return db;
}

// Sets the counters of ReplicationApply and DirectInsert.
void ApplyCounters(benchmark::State& state, uint64_t rows, double wall_s) {
  state.SetItemsProcessed(static_cast<int64_t>(rows));
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["wall_rows_per_s"] = static_cast<double>(rows) / wall_s;
}

void ReplicationApply(benchmark::State& state) {
  const uint64_t rows = ApplyRows();
  Result<engine::Database> opened = OpenPair();
  if (!opened.ok()) return Fail(state, opened.status());
  engine::Database& db = *opened;
  Status s;
  for (uint64_t first = 0; s.ok() && first < rows; first += kRecordRows)
    s = InsertRows(db, engine::kMainFork, first, kRecordRows);
  if (!s.ok()) return Fail(state, s);
  double wall_s = 0;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    s = db.StartReplication(engine::kMainFork, kTarget);
    Result<bool> caught_up = false;
    if (s.ok()) {
      caught_up = db.WaitForReplication(
          kTarget, std::chrono::duration_cast<std::chrono::milliseconds>(
                       kCatchUpTimeout));
      if (!caught_up.ok()) s = caught_up.status();
    }
    wall_s += Seconds(Clock::now() - start);
    if (s.ok() && !*caught_up)
      s = Status::Aborted("the replication did not catch up");
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  // Untimed: dst holds every row, and the replication ends.
  if (s.ok()) s = CheckRows(db, kTarget, rows);
  Status stop = db.StopReplication(kTarget);
  if (s.ok()) s = stop;
  if (!s.ok()) return Fail(state, s);
  ApplyCounters(state, rows, wall_s);
}

void DirectInsert(benchmark::State& state) {
  const uint64_t rows = ApplyRows();
  Result<engine::Database> opened = OpenPair();
  if (!opened.ok()) return Fail(state, opened.status());
  engine::Database& db = *opened;
  Status s;
  double wall_s = 0;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    for (uint64_t first = 0; s.ok() && first < rows; first += kRecordRows)
      s = InsertRows(db, kTarget, first, kRecordRows);
    wall_s += Seconds(Clock::now() - start);
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  if (s.ok()) s = CheckRows(db, kTarget, rows);
  if (!s.ok()) return Fail(state, s);
  ApplyCounters(state, rows, wall_s);
}

// The lag_events of the replication into dst.
Result<uint64_t> Lag(engine::Database& db) {
  FORKDB_ASSIGN_OR_RETURN(std::vector<engine::ReplicationStatus> all,
                          db.ListReplications());
  for (const engine::ReplicationStatus& r : all) {
    if (r.target != kTarget) continue;
    if (r.state != "running")
      return Status::Aborted("the replication stopped: ", r.last_error);
    return r.lag_events;
  }
  return Status::NotFound("no replication into ", kTarget);
}

double Percentile(std::vector<uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(
      v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return static_cast<double>(v[i]);
}

void ReplicationLag(benchmark::State& state) {
  const uint64_t rows_per_commit = static_cast<uint64_t>(state.range(0));
  const int64_t commits_per_s = state.range(1);
  const Clock::duration period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)) /
      commits_per_s;
  const Clock::duration run = Config().lag_run;
  Result<engine::Database> opened = OpenPair();
  if (!opened.ok()) return Fail(state, opened.status());
  engine::Database& db = *opened;
  Status s = db.StartReplication(engine::kMainFork, kTarget);
  if (!s.ok()) return Fail(state, s);
  std::vector<uint64_t> lags;
  uint64_t commits = 0;
  double writer_s = 0;
  double catchup_ms = 0;
  for (auto _ : state) {
    Status writer_status;
    std::atomic<bool> done{false};
    Clock::time_point writer_end;
    std::thread writer([&] {
      const Clock::time_point start = Clock::now();
      for (Clock::time_point at = start; at - start < run; at += period) {
        std::this_thread::sleep_until(at);
        writer_status = InsertRows(db, engine::kMainFork,
                                   commits * rows_per_commit, rows_per_commit);
        if (!writer_status.ok()) break;
        ++commits;
      }
      writer_end = Clock::now();
      writer_s = Seconds(writer_end - start);
      done = true;
    });
    for (Clock::time_point at = Clock::now(); !done.load();
         at += kLagSampleEvery) {
      Result<uint64_t> lag = Lag(db);
      if (!lag.ok()) {
        s = lag.status();
        break;
      }
      lags.push_back(*lag);
      std::this_thread::sleep_until(at + kLagSampleEvery);
    }
    writer.join();
    if (s.ok()) s = writer_status;
    if (s.ok()) {
      Result<bool> caught_up = db.WaitForReplication(
          kTarget, std::chrono::duration_cast<std::chrono::milliseconds>(
                       kCatchUpTimeout));
      catchup_ms = 1e3 * Seconds(Clock::now() - writer_end);
      if (!caught_up.ok()) {
        s = caught_up.status();
      } else if (!*caught_up) {
        s = Status::Aborted("the replication did not catch up");
      }
    }
    if (!s.ok()) {
      Fail(state, s);
      break;
    }
  }
  if (s.ok()) s = CheckRows(db, kTarget, commits * rows_per_commit);
  Status stop = db.StopReplication(kTarget);
  if (s.ok()) s = stop;
  if (!s.ok()) return Fail(state, s);
  state.SetItemsProcessed(static_cast<int64_t>(commits * rows_per_commit));
  state.counters["lag_median"] = Percentile(lags, 0.5);
  state.counters["lag_max"] = Percentile(lags, 1.0);
  state.counters["lag_samples"] = static_cast<double>(lags.size());
  state.counters["commits_per_s"] = static_cast<double>(commits) / writer_s;
  state.counters["catchup_ms"] = catchup_ms;
}

// The lag runs: 1-row commits at 1000/s, 100-row commits at 200/s.
constexpr int64_t kLagRuns[][2] = {{1, 1000}, {100, 200}};

void RegisterBinlogBenchmarks() {
  auto reg = [](const char* name, void (*fn)(benchmark::State&)) {
    return benchmark::RegisterBenchmark(name, fn)
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMicrosecond);
  };
  reg("Commit1Row", Commit1Row);
  reg("Commit100Rows", Commit100Rows);
  reg("ReplicationApply", ReplicationApply)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  reg("DirectInsert", DirectInsert)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  benchmark::internal::Benchmark* lag =
      reg("ReplicationLag", ReplicationLag)
          ->Iterations(1)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond)
          ->ArgNames({"rows_per_commit", "commits_per_s"});
  for (const auto& run : kLagRuns) lag->Args({run[0], run[1]});
}

void PrintHelp() {
  std::printf(
      "forkdb-bench-binlog: the binlog's cost per commit, replication's apply\n"
      "rate beside direct inserts, and replication lag under steady load.\n"
      "  --quick    20,000 rows, a 1 s lag run and a short\n"
      "             --benchmark_min_time (also FORKDB_BENCH_QUICK=1)\n"
      "  --rows=N   rows of ReplicationApply and DirectInsert (default\n"
      "             100,000; at least %llu)\n\n",
      static_cast<unsigned long long>(kRowsMin));
  benchmark::PrintDefaultHelp();
}

// The summary after the runs: medians over the repetitions.
void PrintSummary(const CounterReporter& r, FILE* out) {
  std::fprintf(out, "\nSummary (medians over the repetitions):\n");
  for (const char* name : {"Commit1Row", "Commit100Rows"}) {
    const double rate = r.Median(name, "items_per_second");
    if (rate <= 0) continue;
    std::fprintf(out,
                 "  %-14s %12.0f rows/s (CPU)  binlog %7.1f page bytes/row"
                 "  table %7.1f page bytes/row\n",
                 name, rate, r.Median(name, "binlog_page_bytes_per_row"),
                 r.Median(name, "table_page_bytes_per_row"));
  }
  const double apply = r.Median("ReplicationApply", "items_per_second");
  const double direct = r.Median("DirectInsert", "items_per_second");
  const double apply_wall = r.Median("ReplicationApply", "wall_rows_per_s");
  const double direct_wall = r.Median("DirectInsert", "wall_rows_per_s");
  if (apply > 0 && direct > 0) {
    std::fprintf(out,
                 "  ReplicationApply %12.0f rows/s (CPU) %12.0f rows/s "
                 "(wall)\n"
                 "  DirectInsert     %12.0f rows/s (CPU) %12.0f rows/s "
                 "(wall)\n"
                 "  ReplicationApply / DirectInsert: %.3fx CPU, %.3fx wall "
                 "(goal >= 0.5x): %s\n",
                 apply, apply_wall, direct, direct_wall, apply / direct,
                 apply_wall / direct_wall,
                 apply / direct >= 0.5 ? "met" : "NOT met");
  }
  for (const auto& run : kLagRuns) {
    const std::string name =
        "ReplicationLag/rows_per_commit:" + std::to_string(run[0]) +
        "/commits_per_s:" + std::to_string(run[1]);
    const double samples = r.Median(name, "lag_samples");
    if (samples <= 0) continue;
    std::fprintf(out,
                 "  ReplicationLag %3lld rows x %4lld commits/s (kept "
                 "%.0f/s): lag median %.0f, max %.0f records (%.0f "
                 "samples), catch-up %.1f ms\n",
                 static_cast<long long>(run[0]), static_cast<long long>(run[1]),
                 r.Median(name, "commits_per_s"), r.Median(name, "lag_median"),
                 r.Median(name, "lag_max"), samples,
                 r.Median(name, "catchup_ms"));
  }
}

}  // namespace
}  // namespace forkdb::bench

int main(int argc, char** argv) {
  namespace fb = forkdb::bench;
  fb::TableBenchArgs parsed;
  if (!fb::ParseTableBenchArgs(argc, argv, "forkdb-bench-binlog", fb::kRowsMin,
                               fb::kRowsDefault, fb::kRowsQuick, &parsed))
    return 1;
  fb::Config().rows = parsed.rows;
  if (parsed.quick) fb::Config().lag_run = std::chrono::seconds(1);
  std::vector<char*>& args = parsed.args;
  int args_count = static_cast<int>(args.size()) - 1;  // without the null
  const std::string_view format = parsed.format;
  benchmark::Initialize(&args_count, args.data(), fb::PrintHelp);
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  fb::CounterReporter reporter(format);

  fb::RegisterBinlogBenchmarks();
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  fb::PrintSummary(reporter, format == "console" ? stdout : stderr);
  if (reporter.failed()) {
    std::fprintf(stderr, "forkdb-bench-binlog: a benchmark failed (above)\n");
    return 1;
  }
  return 0;
}
