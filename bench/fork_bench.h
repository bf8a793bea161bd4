// Fork-cost benchmarks: forkdb's fork beside the ways people clone a database
// today, on the same bytes, over a sweep of database sizes. The sweep is the
// point: a fork must stay flat while every copy grows with the database
// (DESIGN.md, cow invariant 1). Shared by forkdb-bench-fork (plain Google
// Benchmark output) and forkdb-report (tables, goals, plot).
#ifndef FORKDB_BENCH_FORK_BENCH_H_
#define FORKDB_BENCH_FORK_BENCH_H_

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace forkdb::bench {

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;

// DESIGN.md's system names, in the order tables and plots list them.
inline constexpr std::array<std::string_view, 7> kForkSystems = {
    "forkdb_memory",
    "forkdb_rocksdb",
    "sqlite_backup_memory",
    "sqlite_backup_file",
    "rocksdb_checkpoint",
    "memcpy",
    "cp"};

// IdleForks: this many forks of a database of this size.
inline constexpr int kIdleForks = 10000;
inline constexpr uint64_t kIdleForksDatabaseBytes = 256 * kMiB;

// Quick mode drops the 1 GiB size and shortens each measurement, so a whole
// run fits in well under two minutes on a small machine.
inline constexpr const char* kQuickMinTimeFlag = "--benchmark_min_time=0.05";

// True if FORKDB_BENCH_QUICK is set to anything but "" or "0".
bool QuickModeFromEnv();

// Database sizes in bytes: 1 MiB, 16 MiB, 256 MiB, and 1 GiB unless quick.
std::vector<uint64_t> ForkBenchSizes(bool quick);

// Registers Fork/<system>/<bytes> for every system and size,
// FirstWrite/forkdb_{memory,rocksdb}/<bytes> and
// IdleForks/forkdb_memory/268435456. Every benchmark reports manual time: the
// wall clock of the measured operation alone, so filling a database and
// dropping or deleting its copies never count. Call once, before
// benchmark::RunSpecifiedBenchmarks().
void RegisterForkBenchmarks(bool quick);

// Closes the last database the benchmarks filled and removes their scratch
// directory. Call after benchmark::RunSpecifiedBenchmarks(), before exit.
void ReleaseForkBenchFixtures();

}  // namespace forkdb::bench

#endif  // FORKDB_BENCH_FORK_BENCH_H_
