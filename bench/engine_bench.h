// Engine benchmarks: forkdb's public API (forkdb/database.h) beside SQLite and
// raw RocksDB on the same rows, one table of (k INTEGER PRIMARY KEY, v TEXT)
// with 100-byte texts, plus the two things only forkdb does: reads on a deep
// chain of forks, and the fork-per-test pattern against reseeding a fresh
// database per test. Used by forkdb-bench-engine (bench/engine_bench_main.cc).
#ifndef FORKDB_BENCH_ENGINE_BENCH_H_
#define FORKDB_BENCH_ENGINE_BENCH_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace forkdb::bench {

// DESIGN.md's system names, in the order the benchmarks run.
inline constexpr std::array<std::string_view, 5> kEngineSystems = {
    "forkdb_memory", "forkdb_rocksdb", "sqlite_memory", "sqlite_file",
    "rocksdb"};

// Rows in every system's table: 1M, or 100k in quick mode; --rows=N sets it.
inline constexpr uint64_t kEngineRowsDefault = 1'000'000;
inline constexpr uint64_t kEngineRowsQuick = 100'000;
inline constexpr uint64_t kEngineRowsMin = 1'000;  // one write batch

// Rows in the seeded fork of ForkPerTest and in every ReseedPerTest database
// (fewer if the table has fewer rows).
inline constexpr uint64_t kSeedRows = 100'000;

// Fork-chain depths of PointGetAtDepth/forkdb_memory/<depth>.
inline constexpr std::array<int, 4> kForkDepths = {0, 10, 100, 1000};

// Registers, system by system so that each table is loaded once and used by
// every benchmark of that system before the next system loads its own:
//   PointGet, RangeScan100, FullScan, Update, InsertSeq, InsertRandom
//     /<system> for every system in kEngineSystems;
//   PointGetAtDepth/forkdb_memory/<depth> for every depth in kForkDepths;
//   ForkPerTest/forkdb_memory, ReseedPerTest/{forkdb_memory,sqlite_memory}.
// Every benchmark reports wall-clock time ("Time") and the process's CPU time
// ("CPU", every thread's: RocksDB's background flushes and compactions
// count), and items_per_second per CPU second (rows per second; tests per
// second for the *PerTest ones). Call once, before
// benchmark::RunSpecifiedBenchmarks().
void RegisterEngineBenchmarks(uint64_t rows);

// Closes the last loaded database and removes the scratch directory. Call
// after benchmark::RunSpecifiedBenchmarks(), before exit.
void ReleaseEngineBenchFixtures();

}  // namespace forkdb::bench

#endif  // FORKDB_BENCH_ENGINE_BENCH_H_
