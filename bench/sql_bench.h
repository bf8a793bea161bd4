// SQL benchmarks: forkdb's SQL front end (forkdb/sql.h) beside SQLite on the
// same table and the same prepared statements, so that the cost of forkdb's
// parser, planner and executor shows next to the database every application
// already knows. Used by forkdb-bench-sql (bench/sql_bench_main.cc).
#ifndef FORKDB_BENCH_SQL_BENCH_H_
#define FORKDB_BENCH_SQL_BENCH_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace forkdb::bench {

// The operations, in the order they run on each system (reads before writes,
// so that reads see exactly the loaded rows).
inline constexpr std::array<std::string_view, 4> kSqlOperations = {
    "SqlPointSelect", "SqlRangeSelect100", "SqlAggregate", "SqlInsert"};

// DESIGN.md's system names. The first is compared with the second.
inline constexpr std::array<std::string_view, 2> kSqlSystems = {
    "forkdb_memory", "sqlite_memory"};

// Rows in the table: 1M, or 100k in quick mode; --rows=N sets it.
inline constexpr uint64_t kSqlRowsDefault = 1'000'000;
inline constexpr uint64_t kSqlRowsQuick = 100'000;
inline constexpr uint64_t kSqlRowsMin = 10'000;  // one SqlAggregate range

// Registers <operation>/<system> for every operation in kSqlOperations and
// every system in kSqlSystems, system by system so that each table is loaded
// once. Every benchmark reports the process's CPU time and items_per_second
// per CPU second: rows read, aggregated or inserted (the file comment of
// bench/sql_bench.cc says which). Call once, before
// benchmark::RunSpecifiedBenchmarks().
void RegisterSqlBenchmarks(uint64_t rows);

// Closes the last loaded database. Call after
// benchmark::RunSpecifiedBenchmarks(), before exit.
void ReleaseSqlBenchFixtures();

}  // namespace forkdb::bench

#endif  // FORKDB_BENCH_SQL_BENCH_H_
