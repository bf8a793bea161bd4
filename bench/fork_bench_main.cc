// forkdb-bench-fork: the fork-cost benchmarks (bench/fork_bench.cc) with
// Google Benchmark's own output and flags, so that anyone can rerun one
// comparison (--benchmark_filter=Fork/.*/16777216) and read it by machine
// (--benchmark_format=json). --quick, or FORKDB_BENCH_QUICK=1, leaves out the
// 1 GiB size and shortens each measurement unless --benchmark_min_time is
// given.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string_view>
#include <vector>

#include "bench/fork_bench.h"

namespace {

void PrintHelp() {
  std::printf(
      "forkdb-bench-fork: fork cost of forkdb and its peers.\n"
      "  --quick   sizes 1 MiB to 256 MiB and a short --benchmark_min_time\n"
      "            (also FORKDB_BENCH_QUICK=1)\n\n");
  benchmark::PrintDefaultHelp();
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = forkdb::bench::QuickModeFromEnv();
  bool min_time_given = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i > 0 && arg == "--quick") {
      quick = true;
      continue;
    }
    if (arg.starts_with("--benchmark_min_time")) min_time_given = true;
    args.push_back(argv[i]);
  }
  // Benchmark may keep pointers into argv: min_time outlives the run.
  std::string min_time = forkdb::bench::kQuickMinTimeFlag;
  if (quick && !min_time_given) args.insert(args.begin() + 1, min_time.data());
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&args_count, args.data(), PrintHelp);
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  forkdb::bench::RegisterForkBenchmarks(quick);
  benchmark::RunSpecifiedBenchmarks();
  forkdb::bench::ReleaseForkBenchFixtures();
  benchmark::Shutdown();
  return 0;
}
