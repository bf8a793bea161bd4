// forkdb-bench-sql: the SQL benchmarks (bench/sql_bench.cc) with Google
// Benchmark's own output and flags, so that anyone can rerun one comparison
// (--benchmark_filter='SqlPointSelect/') and read it by machine
// (--benchmark_format=json), followed by a summary: per operation, the median
// items per second of each system over the repetitions and the ratio
// forkdb_memory / sqlite_memory (above 1: forkdb is faster). The summary goes
// to stdout after the console output, or to stderr when another format is
// asked for, so that stdout stays machine-readable. Our own flags, removed
// before Google Benchmark sees the rest:
//   --quick      (or FORKDB_BENCH_QUICK=1) 100,000 rows instead of 1,000,000
//                and a short --benchmark_min_time unless one is given
//   --rows=N     rows in the table (at least 10,000); overrides --quick's
// Exits 1 if any benchmark failed (a failed set-up check included).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_util.h"
#include "bench/fork_bench.h"
#include "bench/sql_bench.h"

namespace {

void PrintHelp() {
  std::printf(
      "forkdb-bench-sql: forkdb's SQL front end beside SQLite.\n"
      "  --quick    100,000 rows and a short --benchmark_min_time\n"
      "             (also FORKDB_BENCH_QUICK=1)\n"
      "  --rows=N   rows in the table (default 1,000,000; at least %llu)\n\n",
      static_cast<unsigned long long>(forkdb::bench::kSqlRowsMin));
  benchmark::PrintDefaultHelp();
}

// Prints, per operation that ran on both systems, each system's median
// items per second and their ratio.
void PrintSummary(const forkdb::bench::CounterReporter& r, FILE* out) {
  const std::string_view a = forkdb::bench::kSqlSystems[0];
  const std::string_view b = forkdb::bench::kSqlSystems[1];
  auto median = [&](std::string_view op, std::string_view system) {
    return r.Median(std::string(op) + "/" + std::string(system),
                    "items_per_second");
  };
  bool header = false;
  for (std::string_view op : forkdb::bench::kSqlOperations) {
    const double ma = median(op, a);
    const double mb = median(op, b);
    if (ma <= 0 || mb <= 0) continue;
    if (!header) {
      std::fprintf(out, "\nMedian items per second (CPU time), %.*s / %.*s:\n",
                   static_cast<int>(a.size()), a.data(),
                   static_cast<int>(b.size()), b.data());
      std::fprintf(out, "  %-20s %16.*s %16.*s %8s\n", "operation",
                   static_cast<int>(a.size()), a.data(),
                   static_cast<int>(b.size()), b.data(), "ratio");
      header = true;
    }
    std::fprintf(out, "  %-20.*s %16.0f %16.0f %8.3f\n",
                 static_cast<int>(op.size()), op.data(), ma, mb, ma / mb);
  }
}

}  // namespace

int main(int argc, char** argv) {
  forkdb::bench::TableBenchArgs parsed;
  if (!forkdb::bench::ParseTableBenchArgs(
          argc, argv, "forkdb-bench-sql", forkdb::bench::kSqlRowsMin,
          forkdb::bench::kSqlRowsDefault, forkdb::bench::kSqlRowsQuick,
          &parsed))
    return 1;
  const uint64_t rows = parsed.rows;
  std::vector<char*>& args = parsed.args;
  int args_count = static_cast<int>(args.size()) - 1;  // without the null
  const std::string_view format = parsed.format;
  benchmark::Initialize(&args_count, args.data(), PrintHelp);
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  forkdb::bench::CounterReporter reporter(format);

  forkdb::bench::RegisterSqlBenchmarks(rows);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  forkdb::bench::ReleaseSqlBenchFixtures();
  benchmark::Shutdown();
  PrintSummary(reporter, format == "console" ? stdout : stderr);
  if (reporter.failed()) {
    std::fprintf(stderr, "forkdb-bench-sql: a benchmark failed (above)\n");
    return 1;
  }
  return 0;
}
