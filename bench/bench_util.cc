#include "bench/bench_util.h"

#include <stdlib.h>

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

}  // namespace forkdb::bench
