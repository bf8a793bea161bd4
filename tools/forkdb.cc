// forkdb: the command-line tool, a thin main over the SQL shell (shell.h)
// and two subcommands.
//   forkdb [OPTIONS] [PATH]
//                       the SQL shell (tools/shell.h, SQL.md "The shell").
//   forkdb check PATH   integrity check of the durable database at PATH: walks
//                       every root, recomputes every reference count,
//                       verifies every block's checksum, reports leaked
//                       blocks, dangling references and mismatches; then per
//                       fork checks the catalog, every table's and index's
//                       B+tree, that indexes equal their rows, and that no
//                       page is orphaned. Exit 0 clean, 1 problems.
//   forkdb demo [MIB]   a tour of forks on the in-memory store.
// Exit status of check and demo: 2 for a usage or open error.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cow/store.h"
#include "engine/check.h"
#include "tools/demo.h"
#include "tools/shell.h"

namespace {

int Check(const std::string& path, bool store_only) {
  forkdb::cow::RocksDBOptions options;
  options.block_size = 0;  // as recorded in the store
  options.create_if_missing = false;
  auto store = forkdb::cow::Store::OpenRocksDB(path, options);
  if (!store.ok()) {
    std::fprintf(stderr, "Error: %s\n", store.status().ToString().c_str());
    return 2;
  }
  auto report = (*store)->Check();
  if (!report.ok()) {
    std::fprintf(stderr, "Error: %s\n", report.status().ToString().c_str());
    return 2;
  }
  auto stats = (*store)->Stats();
  std::printf("%s: %llu forks, %s\n", path.c_str(),
              static_cast<unsigned long long>(stats.forks),
              report->ToString().c_str());
  // Tables are only read through sound pages: damaged blocks would make every
  // fork above them fail the same way.
  std::vector<std::string> problems;
  if (report->ok() && !store_only) {
    for (const forkdb::cow::ForkInfo& fork : (*store)->ListForks()) {
      forkdb::Status s =
          forkdb::engine::CheckForkTables(store->get(), fork, &problems);
      if (!s.ok())
        problems.push_back("fork " + fork.name + ": " + s.ToString());
    }
    for (const std::string& p : problems) std::printf("%s\n", p.c_str());
    std::printf("tables: %zu problems\n", problems.size());
  }
  const bool ok = report->ok() && problems.empty();
  std::printf("%s\n", ok ? "ok" : "PROBLEMS FOUND");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const bool check = argc >= 2 && !std::strcmp(argv[1], "check");
  const bool demo = argc >= 2 && !std::strcmp(argv[1], "demo");
  if (check && argc == 3) return Check(argv[2], /*store_only=*/false);
  if (check && argc == 4 && !std::strcmp(argv[2], "--store-only"))
    return Check(argv[3], /*store_only=*/true);
  if (demo && (argc == 2 || argc == 3)) {
    uint64_t mib = 64;
    if (argc == 3) {
      char* end = nullptr;
      mib = std::strtoull(argv[2], &end, 10);
      if (*end != '\0' || mib == 0 || mib > (1u << 16)) {
        std::fprintf(
            stderr,
            "Error: demo size '%s': a whole number of MiB, 1 to 65536\n",
            argv[2]);
        return 2;
      }
    }
    return forkdb::tools::Demo(mib);
  }
  if (check || demo) {
    std::fputs(forkdb::tools::Usage().c_str(), stderr);
    return 2;
  }
  const std::vector<std::string> args(argv + 1, argv + argc);
  return forkdb::tools::ShellMain(args, std::cin, std::cout, std::cerr,
                                  isatty(STDIN_FILENO) != 0);
}
