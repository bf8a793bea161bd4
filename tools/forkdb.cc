// forkdb: the command-line tool. For now it carries the integrity check:
//   forkdb check PATH     walks every root of the durable store at PATH,
//   recomputes
//                         every reference count, verifies every block's
//                         checksum, and reports leaked blocks, dangling
//                         references and mismatches.
// Exit status: 0 clean, 1 problems found, 2 usage or open error.
#include <cstdio>
#include <cstring>
#include <string>

#include "cow/store.h"

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(
      out,
      "usage: forkdb check PATH\n"
      "\n"
      "  check PATH   integrity check of the durable store at PATH: walks "
      "every\n"
      "               fork, base and snapshot root, recomputes reference "
      "counts,\n"
      "               verifies checksums; prints each problem; exit 1 if any\n"
      "  --help       this text\n");
}

int Check(const std::string& path) {
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
  std::printf("%s\n", report->ok() ? "ok" : "PROBLEMS FOUND");
  return report->ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 &&
      (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    PrintUsage(stdout);
    return 0;
  }
  if (argc == 3 && !std::strcmp(argv[1], "check")) return Check(argv[2]);
  PrintUsage(stderr);
  return 2;
}
