// forkdb: the command-line tool.
//   forkdb check PATH   integrity check of the durable database at PATH: walks
//                       every root, recomputes every reference count,
//                       verifies every block's checksum, reports leaked
//                       blocks, dangling references and mismatches; then per
//                       fork checks the catalog, every table's and index's
//                       B+tree, that indexes equal their rows, and that no
//                       page is orphaned. Exit 0 clean, 1 problems.
//   forkdb demo [MIB]   a tour of forks on the in-memory store.
// Exit status 2: usage or open error.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cow/store.h"
#include "engine/check.h"
#include "tools/demo.h"

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(
      out,
      "usage: forkdb check [--store-only] PATH\n"
      "       forkdb demo [MIB]\n"
      "\n"
      "  check PATH   integrity check of the durable database at PATH: walks\n"
      "               every fork, base and snapshot root, recomputes\n"
      "               reference counts, verifies checksums, then checks every\n"
      "               fork's tables and indexes (B+tree order and fill, index\n"
      "               entries equal to rows, no orphan pages); prints each\n"
      "               problem; exit 1 if any. --store-only: the page store\n"
      "               alone (blocks and counts), for a store that holds no\n"
      "               tables\n"
      "  demo [MIB]   a tour of forks on an in-memory database of MIB MiB\n"
      "               (default 64): fork cost, isolation, diff, space, check\n"
      "  --help       this text\n");
}

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
  if (argc >= 2 &&
      (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    PrintUsage(stdout);
    return 0;
  }
  if (argc == 3 && !std::strcmp(argv[1], "check"))
    return Check(argv[2], /*store_only=*/false);
  if (argc == 4 && !std::strcmp(argv[1], "check") &&
      !std::strcmp(argv[2], "--store-only"))
    return Check(argv[3], /*store_only=*/true);
  if ((argc == 2 || argc == 3) && !std::strcmp(argv[1], "demo")) {
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
  PrintUsage(stderr);
  return 2;
}
