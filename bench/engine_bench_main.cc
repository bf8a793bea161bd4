// forkdb-bench-engine: the engine benchmarks (bench/engine_bench.cc) with
// Google Benchmark's own output and flags, so that anyone can rerun one
// comparison (--benchmark_filter='PointGet/(forkdb|sqlite)_memory') and read
// it by machine (--benchmark_format=json). Our own flags, removed before
// Google Benchmark sees the rest:
//   --quick      (or FORKDB_BENCH_QUICK=1) 100,000 rows instead of 1,000,000
//                and a short --benchmark_min_time unless one is given
//   --rows=N     rows in every table (at least 1000); overrides --quick's
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_util.h"
#include "bench/engine_bench.h"
#include "bench/fork_bench.h"

namespace {

void PrintHelp() {
  std::printf(
      "forkdb-bench-engine: forkdb's engine beside SQLite and RocksDB.\n"
      "  --quick    100,000 rows and a short --benchmark_min_time\n"
      "             (also FORKDB_BENCH_QUICK=1)\n"
      "  --rows=N   rows in every table (default 1,000,000; at least %llu)\n\n",
      static_cast<unsigned long long>(forkdb::bench::kEngineRowsMin));
  benchmark::PrintDefaultHelp();
}

}  // namespace

int main(int argc, char** argv) {
  forkdb::bench::TableBenchArgs parsed;
  if (!forkdb::bench::ParseTableBenchArgs(
          argc, argv, "forkdb-bench-engine", forkdb::bench::kEngineRowsMin,
          forkdb::bench::kEngineRowsDefault, forkdb::bench::kEngineRowsQuick,
          &parsed))
    return 1;
  const uint64_t rows = parsed.rows;
  std::vector<char*>& args = parsed.args;
  int args_count = static_cast<int>(args.size()) - 1;  // without the null
  benchmark::Initialize(&args_count, args.data(), PrintHelp);
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  forkdb::bench::RegisterEngineBenchmarks(rows);
  benchmark::RunSpecifiedBenchmarks();
  forkdb::bench::ReleaseEngineBenchFixtures();
  benchmark::Shutdown();
  return 0;
}
