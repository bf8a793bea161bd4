// forkdb demo: a tour of the copy-on-write store on the in-memory default.
// Seeds a database, forks it, writes in the fork, and shows what a fork costs,
// that the parent does not see the fork's writes, which pages differ, what the
// fork owns and shares, and that the integrity check is clean.
#include "tools/demo.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cow/store.h"

namespace forkdb::tools {

namespace {

using Clock = std::chrono::steady_clock;

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

std::string PageText(cow::Snapshot& snap, cow::PageNo page) {
  auto block = snap.ReadPage(page);
  if (!block.ok()) return block.status().ToString();
  return std::string((*block)->data());
}

Status Run(uint64_t size_mib) {
  FORKDB_ASSIGN_OR_RETURN(auto store, cow::Store::OpenMemory());
  const uint64_t pages = size_mib * (1 << 20) / store->block_size();
  FORKDB_RETURN_IF_ERROR(store->CreateRootFork("main").status());

  std::printf("1. Seeding fork 'main' with %llu MiB (%llu pages of %u bytes)",
              static_cast<unsigned long long>(size_mib),
              static_cast<unsigned long long>(pages), store->block_size());
  std::fflush(stdout);
  auto start = Clock::now();
  constexpr uint64_t kBatch = 4096;
  for (uint64_t first = 0; first < pages; first += kBatch) {
    FORKDB_ASSIGN_OR_RETURN(auto txn, store->Begin("main"));
    for (uint64_t p = first; p < std::min(pages, first + kBatch); ++p) {
      FORKDB_RETURN_IF_ERROR(
          txn->WritePage(p, "main page " + std::to_string(p)));
    }
    FORKDB_RETURN_IF_ERROR(txn->Commit());
    std::printf(".");
    std::fflush(stdout);
  }
  std::printf(" %.0f ms\n", MicrosSince(start) / 1000);

  const uint64_t blocks_seeded = store->Stats().blocks_live;
  constexpr int kForks = 1000;
  std::vector<double> fork_us;
  for (int i = 0; i < kForks; ++i) {
    auto t = Clock::now();
    FORKDB_RETURN_IF_ERROR(
        store->CreateFork("test-" + std::to_string(i), "main").status());
    fork_us.push_back(MicrosSince(t));
  }
  std::sort(fork_us.begin(), fork_us.end());
  const uint64_t blocks_after_forks = store->Stats().blocks_live;
  std::printf(
      "2. Made %d forks of it, one per test: median %.2f us per fork, "
      "%llu blocks copied\n",
      kForks, fork_us[kForks / 2],
      static_cast<unsigned long long>(blocks_after_forks - blocks_seeded));

  const cow::PageNo written[] = {0, pages / 2, pages - 1};
  {
    FORKDB_ASSIGN_OR_RETURN(auto txn, store->Begin("test-0"));
    for (cow::PageNo p : written) {
      FORKDB_RETURN_IF_ERROR(txn->WritePage(p, "written by test-0"));
    }
    FORKDB_RETURN_IF_ERROR(txn->Commit());
  }
  FORKDB_ASSIGN_OR_RETURN(auto main_snap, store->OpenSnapshot("main"));
  FORKDB_ASSIGN_OR_RETURN(auto fork_snap, store->OpenSnapshot("test-0"));
  std::printf("3. Wrote pages 0, %llu and %llu in 'test-0':\n",
              static_cast<unsigned long long>(pages / 2),
              static_cast<unsigned long long>(pages - 1));
  std::printf("     page 0 in 'test-0': %s\n", PageText(*fork_snap, 0).c_str());
  std::printf("     page 0 in 'main':   %s\n", PageText(*main_snap, 0).c_str());

  auto t = Clock::now();
  FORKDB_ASSIGN_OR_RETURN(
      auto diff, store->DiffPages(main_snap->root(), fork_snap->root()));
  double diff_us = MicrosSince(t);
  std::printf("4. Pages that differ between 'main' and 'test-0':");
  for (cow::PageNo p : diff) {
    std::printf(" %llu", static_cast<unsigned long long>(p));
  }
  std::printf(" (found in %.0f us, skipping every shared subtree)\n", diff_us);

  // Release the snapshots first: while one exists, it shares every block it
  // sees, and Space() counts it like any other holder.
  main_snap.reset();
  fork_snap.reset();
  FORKDB_ASSIGN_OR_RETURN(cow::SpaceUsage space, store->Space("test-0"));
  std::printf(
      "5. 'test-0' owns %llu blocks (its writes and their page-map path) and "
      "shares %llu\n",
      static_cast<unsigned long long>(space.own_blocks),
      static_cast<unsigned long long>(space.shared_blocks));

  t = Clock::now();
  for (int i = 0; i < kForks; ++i) {
    FORKDB_RETURN_IF_ERROR(store->DropFork("test-" + std::to_string(i)));
  }
  std::printf("6. Dropped the %d forks in %.0f us; blocks live: %llu\n", kForks,
              MicrosSince(t),
              static_cast<unsigned long long>(store->Stats().blocks_live));

  FORKDB_ASSIGN_OR_RETURN(cow::CheckReport report, store->Check());
  std::printf("7. Integrity check: %s\n", report.ToString().c_str());
  if (!report.ok()) return Status::Corruption("integrity check failed");
  return Status();
}

}  // namespace

int Demo(uint64_t size_mib) {
  Status s = Run(size_mib);
  if (!s.ok()) {
    std::fprintf(stderr, "Error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace forkdb::tools
