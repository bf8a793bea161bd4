// Helpers shared by the benchmark binaries: peers' errors as Status, and
// scratch directories for the durable systems under one root per process.
#ifndef FORKDB_BENCH_BENCH_UTIL_H_
#define FORKDB_BENCH_BENCH_UTIL_H_

#include <benchmark/benchmark.h>
#include <rocksdb/status.h>
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/status.h"

namespace forkdb::bench {

// OK, or IOError naming `what` and RocksDB's message.
Status FromRocks(const rocksdb::Status& s, std::string_view what);
// OK for SQLITE_OK, SQLITE_DONE and SQLITE_ROW; IOError naming `what` and
// SQLite's message otherwise.
Status FromSqlite(sqlite3* db, int rc, std::string_view what);

// A fresh directory under the process's scratch root (made on first use in
// the temporary directory), created by Create() and removed with its
// contents when the object goes.
class ScratchDir {
 public:
  ScratchDir() = default;
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  Status Create();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Removes the scratch root and everything in it; for the end of a run.
void RemoveScratchRoot();

// Registers the benchmark "<op>/<system>" running fn(state, system),
// measured in process CPU time and shown in microseconds (the table
// benchmarks' convention: forkdb-bench-engine, forkdb-bench-sql).
using SystemBenchFn = void (*)(benchmark::State&, std::string_view);
benchmark::internal::Benchmark* RegisterSystemBenchmark(std::string_view op,
                                                        std::string_view system,
                                                        SystemBenchFn fn);

// The table benchmarks' own flags, taken out of argv before Google Benchmark
// sees the rest: --quick (or FORKDB_BENCH_QUICK=1) and --rows=N.
struct TableBenchArgs {
  bool quick = false;
  uint64_t rows = 0;                    // the mode's default unless --rows=N
  std::string_view format = "console";  // --benchmark_format's value
  // argv without our flags, with a short --benchmark_min_time first in quick
  // mode unless one was given; null-terminated; points into argv and into
  // this object (keep it alive while Google Benchmark runs).
  std::vector<char*> args;
  std::string min_time;
};

// Fills `out` from argv; false, after a message on stderr naming `program`,
// for a --rows below `rows_min`.
bool ParseTableBenchArgs(int argc, char** argv, std::string_view program,
                         uint64_t rows_min, uint64_t rows_default,
                         uint64_t rows_quick, TableBenchArgs* out);

// A reporter that passes every run to the display reporter Google Benchmark
// would have used (`format`: console, json or csv) and keeps each run's
// counters, for a summary printed after the runs.
class CounterReporter final : public benchmark::BenchmarkReporter {
 public:
  explicit CounterReporter(std::string_view format);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

  bool failed() const { return failed_; }
  // The median over the repetitions of `counter` of the benchmark `name`
  // (its function name and arguments, without Google Benchmark's suffixes
  // such as iterations:1 or process_time); 0 if it did not run.
  double Median(const std::string& name, const std::string& counter) const;

 private:
  using Counters = std::map<std::string, std::vector<double>>;
  std::unique_ptr<BenchmarkReporter> display_;
  std::map<std::string, Counters> values_;
  std::map<std::string, std::map<std::string, double>> median_;
  bool failed_ = false;
};

}  // namespace forkdb::bench

#endif  // FORKDB_BENCH_BENCH_UTIL_H_
