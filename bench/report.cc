// forkdb-report: runs the fork-cost benchmarks (bench/fork_bench.cc) in this
// process and puts forkdb beside its peers in one readable report: per size,
// each system's median time and its ratio to forkdb; the first write's blocks
// copied; the memory of idle forks; and each goal with its measured value and
// PASS or MISS. A benchmark's goals are checked here, never asserted in tests,
// because timings depend on the machine.
//
// Writes into --out DIR: report.txt (what it printed), fork_cost.csv, and
// fork_cost.png drawn by gnuplot from fork_cost.dat and fork_cost.gp (skipped,
// with a note, if gnuplot is missing).
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/fork_bench.h"
#include "forkdb/status.h"

extern char** environ;

namespace forkdb::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kFlatRatioMax = 1.5;
constexpr double kMemoryVsCopyMin = 1000;
constexpr double kRocksDBVsCheckpointMin = 3;
constexpr double kIdleForksBytesMax = 16.0 * kMiB;

struct Options {
  bool quick = false;
  std::string out = "forkdb-report";
  int repetitions = 0;  // 0: 3 in quick mode, 5 in full mode
  std::vector<std::string> benchmark_flags;  // passed through
};

constexpr const char* kUsage =
    "usage: forkdb-report [--quick] [--out DIR] [--repetitions N] "
    "[--benchmark_...]\n"
    "Runs the fork-cost benchmarks and reports forkdb beside its peers.\n"
    "  --quick          sizes 1 MiB to 256 MiB, short measurements, 3\n"
    "                   repetitions (also FORKDB_BENCH_QUICK=1)\n"
    "  --out DIR        where to write report.txt, fork_cost.csv and\n"
    "                   fork_cost.png (default: forkdb-report)\n"
    "  --repetitions N  runs of each benchmark; the report shows the median\n"
    "                   (default: 5, or 3 with --quick)\n"
    "  --benchmark_*    passed to Google Benchmark (e.g. --benchmark_filter)\n"
    "  --help           this text\n";

// Parses argv; nullopt (after printing why) if the arguments are wrong.
std::optional<Options> ParseOptions(int argc, char** argv, bool* help) {
  Options options;
  options.quick = QuickModeFromEnv();
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) -> std::optional<std::string> {
      if (arg.starts_with(flag) && arg.size() > flag.size() &&
          arg[flag.size()] == '=') {
        return std::string(arg.substr(flag.size() + 1));
      }
      if (arg == flag && i + 1 < argc) return std::string(argv[++i]);
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return options;
    }
    if (arg == "--quick") {
      options.quick = true;
    } else if (arg.starts_with("--benchmark_")) {
      options.benchmark_flags.emplace_back(arg);
    } else if (arg.starts_with("--out")) {
      std::optional<std::string> dir = value("--out");
      if (!dir || dir->empty()) {
        std::fprintf(stderr, "forkdb-report: --out needs a directory\n");
        return std::nullopt;
      }
      options.out = *dir;
    } else if (arg.starts_with("--repetitions")) {
      std::optional<std::string> n = value("--repetitions");
      char* end = nullptr;
      long reps = n ? std::strtol(n->c_str(), &end, 10) : 0;
      if (!n || *end != '\0' || reps < 1 || reps > 1000) {
        std::fprintf(stderr,
                     "forkdb-report: --repetitions needs a count from 1 to "
                     "1000\n");
        return std::nullopt;
      }
      options.repetitions = static_cast<int>(reps);
    } else {
      std::fprintf(stderr, "forkdb-report: unknown argument '%s'\n%s", argv[i],
                   kUsage);
      return std::nullopt;
    }
  }
  if (options.repetitions == 0) options.repetitions = options.quick ? 3 : 5;
  return options;
}

// One benchmark's repetitions.
struct Measurement {
  std::vector<double> ns;                  // per repetition: time per op
  std::map<std::string, double> counters;  // max over repetitions
  std::string error;

  // The counter's value; NaN if the benchmark did not report it.
  double Counter(const std::string& name) const {
    auto it = counters.find(name);
    return it == counters.end() ? std::nan("") : it->second;
  }

  double Median() const {
    std::vector<double> v = ns;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
};

// Keyed "Fork/forkdb_memory/1048576": the name without "/manual_time".
using Results = std::map<std::string, Measurement>;

std::string Key(std::string_view op, std::string_view system, uint64_t bytes) {
  return std::string(op) + "/" + std::string(system) + "/" +
         std::to_string(bytes);
}

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

std::string FormatTime(double ns) {
  if (ns < 1e3) return Printf("%.0f ns", ns);
  if (ns < 1e6) return Printf("%.2f us", ns / 1e3);
  if (ns < 1e9) return Printf("%.2f ms", ns / 1e6);
  return Printf("%.2f s", ns / 1e9);
}

std::string FormatBytes(double bytes) {
  if (bytes >= kGiB) return Printf("%.4g GiB", bytes / kGiB);
  if (bytes >= kMiB || bytes <= -double(kMiB))
    return Printf("%.4g MiB", bytes / kMiB);
  if (bytes >= 1024 || bytes <= -1024) return Printf("%.4g KiB", bytes / 1024);
  return Printf("%.0f B", bytes);
}

std::string FormatRatio(double r) {
  if (r >= 100) return Printf("%.0fx", r);
  if (r >= 10) return Printf("%.1fx", r);
  if (r >= 1) return Printf("%.2fx", r);
  return Printf("%.2gx", r);
}

// Collects every repetition and prints one progress line per benchmark.
class Collector final : public benchmark::BenchmarkReporter {
 public:
  explicit Collector(Results* results)
      : results_(results), start_(Clock::now()) {}

  bool ReportContext(const Context& context) override {
    cpus_ = context.cpu_info.num_cpus;
    return true;
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    std::string key;
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      key = run.run_name.function_name + "/" + run.run_name.args;
      Measurement& m = (*results_)[key];
      if (run.error_occurred) {
        m.error = run.error_message;
        continue;
      }
      if (run.iterations == 0) continue;
      // Manual time: the benchmark reported the measured operation's wall
      // clock.
      m.ns.push_back(run.real_accumulated_time * 1e9 /
                     static_cast<double>(run.iterations));
      for (const auto& [name, counter] : run.counters) {
        auto [it, fresh] = m.counters.emplace(name, counter.value);
        if (!fresh) it->second = std::max(it->second, counter.value);
      }
    }
    if (key.empty()) return;
    const Measurement& m = (*results_)[key];
    std::string what = !m.error.empty() ? "error: " + m.error
                       : m.ns.empty()   ? "no result"
                                        : "median " + FormatTime(m.Median());
    std::fprintf(stderr, "[%6.1f s] %-40s %s (%zu repetitions)\n",
                 std::chrono::duration<double>(Clock::now() - start_).count(),
                 key.c_str(), what.c_str(), m.ns.size());
  }

  int cpus() const { return cpus_; }

 private:
  Results* results_;
  Clock::time_point start_;
  int cpus_ = 0;
};

const Measurement* Find(const Results& results, std::string_view op,
                        std::string_view system, uint64_t bytes) {
  auto it = results.find(Key(op, system, bytes));
  if (it == results.end() || it->second.ns.empty()) return nullptr;
  return &it->second;
}

std::optional<double> Median(const Results& results, std::string_view system,
                             uint64_t bytes) {
  const Measurement* m = Find(results, "Fork", system, bytes);
  if (m == nullptr) return std::nullopt;
  return m->Median();
}

std::optional<double> Ratio(const Results& results, std::string_view system,
                            std::string_view base, uint64_t bytes) {
  std::optional<double> a = Median(results, system, bytes);
  std::optional<double> b = Median(results, base, bytes);
  if (!a || !b || *b <= 0) return std::nullopt;
  return *a / *b;
}

struct Goal {
  explicit Goal(std::string t) : text(std::move(t)) {}
  std::string text;
  std::optional<bool> pass;  // nullopt: not measured in this run
  std::string measured;
};

// Sizes measured for forkdb_memory's fork, ascending.
std::vector<uint64_t> MeasuredSizes(const Results& results, bool quick) {
  std::vector<uint64_t> sizes;
  for (uint64_t bytes : ForkBenchSizes(quick)) {
    for (std::string_view system : kForkSystems) {
      if (Find(results, "Fork", system, bytes)) {
        sizes.push_back(bytes);
        break;
      }
    }
  }
  return sizes;
}

std::vector<Goal> EvaluateGoals(const Results& results,
                                const std::vector<uint64_t>& sizes) {
  std::vector<Goal> goals;
  if (sizes.empty()) return goals;
  const uint64_t small = sizes.front(), large = sizes.back();
  const std::string large_name = FormatBytes(large);
  const std::string caveat =
      large == kGiB ? ""
                    : " (the goal names 1 GiB; the largest size measured is " +
                          large_name + ")";

  for (std::string_view system : {"forkdb_memory", "forkdb_rocksdb"}) {
    Goal g("fork cost flat in size: " + std::string(system) + " fork(" +
           large_name + ") / fork(" + FormatBytes(small) +
           ") <= " + Printf("%.1f", kFlatRatioMax) + caveat);
    std::optional<double> a = Median(results, system, large);
    std::optional<double> b = Median(results, system, small);
    if (a && b && large != small) {
      g.pass = *a / *b <= kFlatRatioMax;
      g.measured = Printf("%.2f", *a / *b) + " (" + FormatTime(*a) + " / " +
                   FormatTime(*b) + ")";
    }
    goals.push_back(g);
  }
  for (std::string_view peer :
       {"sqlite_backup_memory", "sqlite_backup_file", "rocksdb_checkpoint"}) {
    Goal g("at " + large_name +
           ", forkdb_memory fork >= " + Printf("%.0f", kMemoryVsCopyMin) +
           "x faster than " + std::string(peer) + caveat);
    if (std::optional<double> r =
            Ratio(results, peer, "forkdb_memory", large)) {
      g.pass = *r >= kMemoryVsCopyMin;
      g.measured = FormatRatio(*r);
    }
    goals.push_back(g);
  }
  {
    Goal g("forkdb_rocksdb (sync) fork >= " +
           Printf("%.0f", kRocksDBVsCheckpointMin) +
           "x faster than rocksdb_checkpoint, at every size");
    for (uint64_t bytes : sizes) {
      std::optional<double> r =
          Ratio(results, "rocksdb_checkpoint", "forkdb_rocksdb", bytes);
      if (!r) continue;
      g.pass = g.pass.value_or(true) && *r >= kRocksDBVsCheckpointMin;
      g.measured += (g.measured.empty() ? "" : ", ") + FormatBytes(bytes) +
                    ": " + FormatRatio(*r);
    }
    goals.push_back(g);
  }
  for (std::string_view system : {"forkdb_memory", "forkdb_rocksdb"}) {
    Goal g("first write in a new fork copies <= height + 1 blocks (" +
           std::string(system) + ", every size)");
    for (uint64_t bytes : sizes) {
      const Measurement* m = Find(results, "FirstWrite", system, bytes);
      if (m == nullptr) continue;
      const double copied = m->Counter("blocks_copied");
      const double height = m->Counter("height");
      g.pass = g.pass.value_or(true) && copied <= height + 1;
      g.measured += (g.measured.empty() ? "" : ", ") + FormatBytes(bytes) +
                    ": " + Printf("%.0f", copied) + " blocks, height " +
                    Printf("%.0f", height);
    }
    goals.push_back(g);
  }
  {
    Goal g(Printf("%.0f", kIdleForks) + " idle forks of a " +
           FormatBytes(kIdleForksDatabaseBytes) + " database use < " +
           FormatBytes(kIdleForksBytesMax) +
           " (the larger of RSS growth and heap growth)");
    if (const Measurement* m = Find(results, "IdleForks", "forkdb_memory",
                                    kIdleForksDatabaseBytes)) {
      const double rss = m->Counter("total_bytes");
      const double heap = m->Counter("heap_bytes");
      g.pass = std::max(rss, heap) < kIdleForksBytesMax;
      g.measured = "RSS +" + FormatBytes(rss) + ", heap +" + FormatBytes(heap);
    }
    goals.push_back(g);
  }
  return goals;
}

std::string Pad(std::string s, size_t width, bool right = false) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s
               : s + std::string(width - s.size(), ' ');
}

std::string RenderReport(const Results& results, const Options& options,
                         const std::vector<uint64_t>& sizes, int cpus,
                         double elapsed_s) {
  std::ostringstream out;
  out << "forkdb fork-cost report ("
      << (options.quick ? "quick mode" : "full mode") << ", "
      << options.repetitions << " repetitions, " << cpus << " CPUs, ran in "
      << Printf("%.0f", elapsed_s) << " s)\n"
      << "Times are the median over repetitions of the wall-clock time of one "
         "fork or copy.\n"
      << "Ratios are peer time / forkdb time: above 1, forkdb is faster.\n";

  for (uint64_t bytes : sizes) {
    out << "\nFork cost at " << FormatBytes(bytes) << "\n  "
        << Pad("system", 22) << Pad("median", 12, true)
        << Pad("peer/forkdb_memory", 21, true)
        << Pad("peer/forkdb_rocksdb", 22, true) << "\n";
    for (std::string_view system : kForkSystems) {
      auto it = results.find(Key("Fork", system, bytes));
      if (it == results.end()) continue;
      std::string median = !it->second.error.empty() ? "error"
                           : it->second.ns.empty()
                               ? "-"
                               : FormatTime(it->second.Median());
      auto ratio = [&](std::string_view base) {
        std::optional<double> r = Ratio(results, system, base, bytes);
        return r ? FormatRatio(*r) : std::string("-");
      };
      out << "  " << Pad(std::string(system), 22) << Pad(median, 12, true)
          << Pad(ratio("forkdb_memory"), 21, true)
          << Pad(ratio("forkdb_rocksdb"), 22, true) << "\n";
      if (!it->second.error.empty())
        out << "      error: " << it->second.error << "\n";
    }
  }

  out << "\nFirst write in a new fork (Begin, one page, Commit)\n  "
      << Pad("system", 18) << Pad("size", 9) << Pad("median", 12, true)
      << Pad("blocks_copied", 15, true) << Pad("height", 8, true) << "\n";
  for (std::string_view system : {"forkdb_memory", "forkdb_rocksdb"}) {
    for (uint64_t bytes : sizes) {
      const Measurement* m = Find(results, "FirstWrite", system, bytes);
      if (m == nullptr) continue;
      out << "  " << Pad(std::string(system), 18) << Pad(FormatBytes(bytes), 9)
          << Pad(FormatTime(m->Median()), 12, true)
          << Pad(Printf("%.0f", m->Counter("blocks_copied")), 15, true)
          << Pad(Printf("%.0f", m->Counter("height")), 8, true) << "\n";
    }
  }

  if (const Measurement* m = Find(results, "IdleForks", "forkdb_memory",
                                  kIdleForksDatabaseBytes)) {
    out << "\nIdle forks: " << kIdleForks << " forks of a "
        << FormatBytes(kIdleForksDatabaseBytes)
        << " database (forkdb_memory; largest over repetitions)\n"
        << "  RSS growth          " << FormatBytes(m->Counter("total_bytes"))
        << " (" << Printf("%.0f", m->Counter("bytes_per_fork"))
        << " bytes per fork)\n"
        << "  heap growth         " << FormatBytes(m->Counter("heap_bytes"))
        << "\n"
        << "  block bytes added   "
        << FormatBytes(m->Counter("store_block_bytes")) << "\n"
        << "  time to make them   " << FormatTime(m->Median()) << "\n";
  }

  out << "\nGoals\n";
  int missed = 0, unmeasured = 0;
  for (const Goal& g : EvaluateGoals(results, sizes)) {
    const char* verdict = !g.pass ? "N/A " : *g.pass ? "PASS" : "MISS";
    if (!g.pass) ++unmeasured;
    if (g.pass && !*g.pass) ++missed;
    out << "  " << verdict << "  " << g.text << "\n"
        << "        measured: " << (g.measured.empty() ? "-" : g.measured)
        << "\n";
  }
  out << "\n" << missed << " goal(s) missed";
  if (unmeasured > 0) out << ", " << unmeasured << " not measured in this run";
  out << ".\n";
  return out.str();
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  file.close();
  if (!file) return Status::IOError("cannot write '", path.string(), "'");
  return Status();
}

std::string RenderCsv(const Results& results,
                      const std::vector<uint64_t>& sizes) {
  std::ostringstream csv;
  csv << "system,bytes,median_ns,min_ns,max_ns,repetitions,"
         "ratio_vs_forkdb_memory,ratio_vs_forkdb_rocksdb\n";
  for (std::string_view system : kForkSystems) {
    for (uint64_t bytes : sizes) {
      const Measurement* m = Find(results, "Fork", system, bytes);
      if (m == nullptr) continue;
      auto [min, max] = std::minmax_element(m->ns.begin(), m->ns.end());
      auto ratio = [&](std::string_view base) {
        std::optional<double> r = Ratio(results, system, base, bytes);
        return r ? Printf("%.6g", *r) : std::string();
      };
      csv << system << "," << bytes << "," << Printf("%.1f", m->Median()) << ","
          << Printf("%.1f", *min) << "," << Printf("%.1f", *max) << ","
          << m->ns.size() << "," << ratio("forkdb_memory") << ","
          << ratio("forkdb_rocksdb") << "\n";
    }
  }
  return csv.str();
}

// Writes fork_cost.dat and fork_cost.gp into `dir` and runs gnuplot there.
void Plot(const Results& results, const std::vector<uint64_t>& sizes,
          const std::filesystem::path& dir) {
  std::ostringstream dat, plot;
  int index = 0;
  for (std::string_view system : kForkSystems) {
    std::ostringstream block;
    for (uint64_t bytes : sizes) {
      if (const Measurement* m = Find(results, "Fork", system, bytes))
        block << bytes << " " << Printf("%.9g", m->Median() / 1e9) << "\n";
    }
    if (block.str().empty()) continue;
    dat << "# " << system << ": bytes seconds\n" << block.str() << "\n\n";
    plot << (index == 0 ? "plot " : ", \\\n     ") << "'fork_cost.dat' index "
         << index << " using 1:2 with linespoints title '" << system << "'";
    ++index;
  }
  if (index == 0) return;
  std::string gp =
      "# Fork cost against database size; run: gnuplot fork_cost.gp\n"
      "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
      "  set terminal pngcairo size 1000,650 noenhanced\n"
      "} else {\n"
      "  set terminal png size 1000,650 noenhanced\n"
      "}\n"
      "set output 'fork_cost.png'\n"
      "set title 'Fork cost against database size (median wall clock)'\n"
      "set logscale xy\n"
      "set xlabel 'database size'\n"
      "set ylabel 'time per fork or copy'\n"
      "set xtics ('1 MiB' 1048576, '16 MiB' 16777216, '256 MiB' 268435456, "
      "'1 GiB' 1073741824)\n"
      "set ytics ('10 ns' 1e-8, '100 ns' 1e-7, '1 us' 1e-6, '10 us' 1e-5, "
      "'100 us' 1e-4, '1 ms' 1e-3, '10 ms' 1e-2, '100 ms' 0.1, '1 s' 1, "
      "'10 s' 10, '100 s' 100)\n"
      "set xrange [" +
      Printf("%.0f", 0.7 * sizes.front()) + ":" +
      Printf("%.0f", 1.4 * sizes.back()) +
      "]\n"
      "set grid\n"
      "set key outside right\n" +
      plot.str() + "\n";
  Status s = WriteFile(dir / "fork_cost.dat", dat.str());
  if (s.ok()) s = WriteFile(dir / "fork_cost.gp", gp);
  if (!s.ok()) {
    std::fprintf(stderr, "forkdb-report: %s\n", s.ToString().c_str());
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  char gnuplot[] = "gnuplot";
  char script[] = "fork_cost.gp";
  char* argv[] = {gnuplot, script, nullptr};
  pid_t pid;
  int rc = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT) {
    std::printf("note: gnuplot not found; skipped %s\n",
                (dir / "fork_cost.png").c_str());
    return;
  }
  int status = 0;
  if (rc != 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    std::printf("note: gnuplot failed (%s); no %s\n",
                rc != 0 ? std::strerror(rc) : "see its message above",
                (dir / "fork_cost.png").c_str());
    return;
  }
  std::printf("wrote %s\n", (dir / "fork_cost.png").c_str());
}

int Run(int argc, char** argv) {
  bool help = false;
  std::optional<Options> options = ParseOptions(argc, argv, &help);
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!options) return 2;
  const std::filesystem::path dir = options->out;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "forkdb-report: cannot create '%s': %s\n", dir.c_str(),
                 ec.message().c_str());
    return 1;
  }

  std::vector<std::string> flags = {
      argv[0],
      "--benchmark_repetitions=" + std::to_string(options->repetitions)};
  if (options->quick) flags.push_back(kQuickMinTimeFlag);
  for (const std::string& f : options->benchmark_flags) flags.push_back(f);
  std::vector<char*> bench_argv;
  for (std::string& f : flags) bench_argv.push_back(f.data());
  int bench_argc = static_cast<int>(bench_argv.size());
  bench_argv.push_back(nullptr);
  benchmark::Initialize(&bench_argc, bench_argv.data());
  if (benchmark::ReportUnrecognizedArguments(bench_argc, bench_argv.data()))
    return 2;

  std::fprintf(stderr,
               "forkdb-report: %s mode, %d repetitions; filling each database "
               "once, then timing forks and copies\n",
               options->quick ? "quick" : "full", options->repetitions);
  Clock::time_point start = Clock::now();
  Results results;
  Collector collector(&results);
  RegisterForkBenchmarks(options->quick);
  benchmark::RunSpecifiedBenchmarks(&collector);
  ReleaseForkBenchFixtures();
  benchmark::Shutdown();
  const double elapsed_s =
      std::chrono::duration<double>(Clock::now() - start).count();

  const std::vector<uint64_t> sizes = MeasuredSizes(results, options->quick);
  const std::string report =
      RenderReport(results, *options, sizes, collector.cpus(), elapsed_s);
  std::printf("\n%s\n", report.c_str());
  Status s = WriteFile(dir / "report.txt", report);
  if (s.ok()) s = WriteFile(dir / "fork_cost.csv", RenderCsv(results, sizes));
  if (!s.ok()) {
    std::fprintf(stderr, "forkdb-report: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("wrote %s and %s\n", (dir / "report.txt").c_str(),
              (dir / "fork_cost.csv").c_str());
  Plot(results, sizes, dir);
  return 0;
}

}  // namespace
}  // namespace forkdb::bench

int main(int argc, char** argv) { return forkdb::bench::Run(argc, argv); }
