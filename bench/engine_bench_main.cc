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

// The number after --rows=, or 0 if it is not a whole number.
uint64_t ParseRows(std::string_view text) {
  if (text.empty()) return 0;
  uint64_t rows = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || rows > UINT64_MAX / 10) return 0;
    rows = rows * 10 + static_cast<uint64_t>(c - '0');
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = forkdb::bench::QuickModeFromEnv();
  bool min_time_given = false;
  uint64_t rows = 0;  // 0: the default for the mode
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i > 0 && arg == "--quick") {
      quick = true;
      continue;
    }
    if (i > 0 && arg.starts_with("--rows=")) {
      rows = ParseRows(arg.substr(7));
      if (rows < forkdb::bench::kEngineRowsMin) {
        std::fprintf(
            stderr, "forkdb-bench-engine: bad %s (at least %llu)\n", argv[i],
            static_cast<unsigned long long>(forkdb::bench::kEngineRowsMin));
        return 1;
      }
      continue;
    }
    if (arg.starts_with("--benchmark_min_time")) min_time_given = true;
    args.push_back(argv[i]);
  }
  if (rows == 0) {
    rows = quick ? forkdb::bench::kEngineRowsQuick
                 : forkdb::bench::kEngineRowsDefault;
  }
  // Benchmark may keep pointers into argv: min_time outlives the run.
  std::string min_time = forkdb::bench::kQuickMinTimeFlag;
  if (quick && !min_time_given) args.insert(args.begin() + 1, min_time.data());
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&args_count, args.data(), PrintHelp);
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  forkdb::bench::RegisterEngineBenchmarks(rows);
  benchmark::RunSpecifiedBenchmarks();
  forkdb::bench::ReleaseEngineBenchFixtures();
  benchmark::Shutdown();
  return 0;
}
