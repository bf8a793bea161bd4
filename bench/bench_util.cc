#include "bench/bench_util.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "bench/fork_bench.h"

namespace forkdb::bench {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status();
  return Status::IOError(what, ": ", s.ToString());
}

Status FromSqlite(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status();
  return Status::IOError(what, ": ",
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

namespace {

std::string& ScratchRoot() {
  static std::string root;
  return root;
}

}  // namespace

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

Status ScratchDir::Create() {
  std::string& root = ScratchRoot();
  std::error_code ec;
  if (root.empty()) {
    std::string templ =
        (std::filesystem::temp_directory_path(ec) / "forkdb-bench-XXXXXX")
            .string();
    if (mkdtemp(templ.data()) == nullptr)
      return Status::IOError("cannot make a scratch directory in ", templ);
    root = templ;
  }
  std::string templ = root + "/db-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr)
    return Status::IOError("cannot make a directory in ", root);
  path_ = templ;
  return Status();
}

void RemoveScratchRoot() {
  std::string& root = ScratchRoot();
  if (root.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  root.clear();
}

benchmark::internal::Benchmark* RegisterSystemBenchmark(std::string_view op,
                                                        std::string_view system,
                                                        SystemBenchFn fn) {
  const std::string name = std::string(op) + "/" + std::string(system);
  benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(
      name.c_str(),
      [fn, system](benchmark::State& state) { fn(state, system); });
  return b->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);
}

namespace {

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

bool ParseTableBenchArgs(int argc, char** argv, std::string_view program,
                         uint64_t rows_min, uint64_t rows_default,
                         uint64_t rows_quick, TableBenchArgs* out) {
  out->quick = QuickModeFromEnv();
  bool min_time_given = false;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i > 0 && arg == "--quick") {
      out->quick = true;
      continue;
    }
    if (i > 0 && arg.starts_with("--rows=")) {
      out->rows = ParseRows(arg.substr(7));
      if (out->rows < rows_min) {
        std::fprintf(stderr, "%.*s: bad %s (at least %llu)\n",
                     static_cast<int>(program.size()), program.data(), argv[i],
                     static_cast<unsigned long long>(rows_min));
        return false;
      }
      continue;
    }
    if (arg.starts_with("--benchmark_min_time")) min_time_given = true;
    if (arg.starts_with("--benchmark_format=")) out->format = arg.substr(19);
    out->args.push_back(argv[i]);
  }
  if (out->rows == 0) out->rows = out->quick ? rows_quick : rows_default;
  out->min_time = kQuickMinTimeFlag;
  if (out->quick && !min_time_given && !out->args.empty())
    out->args.insert(out->args.begin() + 1, out->min_time.data());
  out->args.push_back(nullptr);
  return true;
}

CounterReporter::CounterReporter(std::string_view format) {
  if (format == "json") {
    display_ = std::make_unique<benchmark::JSONReporter>();
  } else if (format == "csv") {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    display_ = std::make_unique<benchmark::CSVReporter>();
#pragma GCC diagnostic pop
  } else {
    display_ = std::make_unique<benchmark::ConsoleReporter>(
        isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Color
                              : benchmark::ConsoleReporter::OO_None);
  }
}

bool CounterReporter::ReportContext(const Context& context) {
  return display_->ReportContext(context);
}

void CounterReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    if (run.error_occurred) {
      failed_ = true;
      continue;
    }
    std::string name = run.run_name.function_name;
    if (!run.run_name.args.empty()) name += "/" + run.run_name.args;
    for (const auto& [counter, value] : run.counters) {
      if (run.run_type == Run::RT_Iteration) {
        values_[name][counter].push_back(value.value);
      } else if (run.aggregate_name == "median") {
        // The only figure there is with --benchmark_report_aggregates_only.
        median_[name][counter] = value.value;
      }
    }
  }
  display_->ReportRuns(runs);
}

void CounterReporter::Finalize() { display_->Finalize(); }

double CounterReporter::Median(const std::string& name,
                               const std::string& counter) const {
  auto median = median_.find(name);
  if (median != median_.end()) {
    auto it = median->second.find(counter);
    if (it != median->second.end()) return it->second;
  }
  auto runs = values_.find(name);
  if (runs == values_.end()) return 0;
  auto it = runs->second.find(counter);
  if (it == runs->second.end() || it->second.empty()) return 0;
  std::vector<double> v = it->second;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

}  // namespace forkdb::bench
