// Crash test of replication (engine/replicator.h invariant 1, exactly once):
// each applied source record commits in one target transaction together
// with applied_seq, so after any crash the target holds exactly the source's
// records up to the stored applied_seq, none missing or doubled, and its
// binlog holds one record per applied source record, with that record's
// GTID.
//
// The source's records are built from their number alone: record r (its
// binlog seq is r + 1, after the CREATE TABLE) inserts 1-3 rows with keys
// 4r + j, updates the row 4(r - 1) written by the record before, deletes a
// row of record r - 2 and, every fifth record, moves a row to a new key. So
// the state after records 1..R is computed by the parent (ExpectedRows) and
// compared with the target at R = applied_seq - 1.
//
// A child process (fork(), as tests/engine/crash_test.cc does) opens the
// durable database (sync on), which resumes a running replication main ->
// dst; if it is not running the child starts it. The parent SIGKILLs the
// child at a random moment, reopens the database, stops the replication
// (Open resumes it), and checks the target against the stored applied_seq,
// the target's binlog GTIDs, the source, and Database::Check(). Then the
// next child resumes from there. At the end of each database the parent lets
// the replication finish and compares source and target fully.
//   - ApplyingOnly: the parent writes every source record first; children
//     only replicate.
//   - WhileTheSourceIsWritten: children write source records (acknowledged
//     through a pipe, with rolled-back transactions between) while the
//     replication runs; the source then holds the acknowledged records, or
//     one more.
//
// 200 + 48 kills (each costs two RocksDB opens under the sanitizers,
// about a quarter of a second).
//
// The child runs no gtest code. The seed is printed; FORKDB_TEST_SEED
// replays the choices (not the exact kill moments). FORKDB_LONG_TESTS=1
// kills ten times as often.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "forkdb/database.h"
#include "tests/cow/crash_child.h"
#include "tests/cow/test_util.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using cow::Child;
using cow::ChildAck;
using cow::ChildDie;
using cow::kAckDone;
using test::Col;
using test::RowString;

constexpr uint32_t kPageSize = 512;
// A forked child cannot run RocksDB's background jobs (tests/engine/
// crash_test.cc): a fresh database every few kills.
constexpr int kKillsPerDatabase = 8;
constexpr std::string_view kTable = "t";
constexpr uint64_t kFirstRecordSeq = 2;  // seq 1 is the CREATE TABLE

Value I(int64_t v) { return Value::Integer(v); }
Value T(std::string v) { return Value::Text(std::move(v)); }

// The children sync every commit; the parent, which is never killed, need
// not (what it writes reaches the files when it closes the database).
Options CrashOptions(bool sync = true) {
  Options options;
  options.sync = sync;
  options.page_size = kPageSize;
  options.cache_bytes = size_t{4} << 20;
  return options;
}
Options ParentOptions() { return CrashOptions(false); }

// ---------------------------------------------------------------- records

struct Op {
  enum class Kind { kInsert, kUpdate, kDelete };
  Kind kind;
  int64_t key;
  Row row;  // kInsert, kUpdate
};

std::string Payload(int64_t r, int64_t j) {
  std::string p = "p" + std::to_string(r) + "." + std::to_string(j) + ":";
  // Some rows long enough for an overflow chain at 512-byte pages.
  p.resize(r % 7 == 0 ? 700 : 20 + static_cast<size_t>((r * 13 + j) % 60),
           static_cast<char>('a' + (r + j) % 26));
  return p;
}

// The operations of source record r (r >= 1), given the rows before it.
std::vector<Op> RecordOps(int64_t r, const std::map<int64_t, Row>& rows) {
  std::vector<Op> ops;
  for (int64_t j = 0; j < 1 + r % 3; ++j)
    ops.push_back({Op::Kind::kInsert,
                   4 * r + j,
                   {I(4 * r + j), I(r), Value::Null(), T(Payload(r, j))}});
  if (r >= 2) {
    Row row = rows.at(4 * (r - 1));
    row[2] = I(r);
    ops.push_back({Op::Kind::kUpdate, 4 * (r - 1), row});
    if (r % 5 == 0) {
      Row moved = row;
      moved[0] = I(4 * (r - 1) + 3);
      ops.push_back({Op::Kind::kUpdate, 4 * (r - 1), moved});
    }
  }
  if (r >= 3 && (r - 2) % 3 >= 1)
    ops.push_back({Op::Kind::kDelete, 4 * (r - 2) + 1, {}});
  return ops;
}

void ApplyOps(const std::vector<Op>& ops, std::map<int64_t, Row>* rows) {
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::Kind::kInsert:
        (*rows)[op.key] = op.row;
        break;
      case Op::Kind::kUpdate:
        rows->erase(op.key);
        (*rows)[op.row[0].integer()] = op.row;
        break;
      case Op::Kind::kDelete:
        rows->erase(op.key);
        break;
    }
  }
}

// The source's rows after records 1..r, in key order.
std::vector<Row> ExpectedRows(int64_t records) {
  std::map<int64_t, Row> rows;
  for (int64_t r = 1; r <= records; ++r) ApplyOps(RecordOps(r, rows), &rows);
  std::vector<Row> out;
  for (auto& [k, row] : rows) out.push_back(std::move(row));
  return out;
}

// Writes source record r (the source holds records 1..r-1).
Status WriteRecord(Database& db, int64_t r) {
  FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin(kMainFork));
  std::map<int64_t, Row> rows;
  if (r >= 2) {
    // What RecordOps reads: the row 4(r - 1).
    FORKDB_ASSIGN_OR_RETURN(std::optional<Row> prev,
                            txn.Get(kTable, {I(4 * (r - 1))}));
    if (!prev.has_value())
      return Status::Corruption("record ", r, ": no row ", 4 * (r - 1));
    rows[4 * (r - 1)] = *prev;
  }
  for (const Op& op : RecordOps(r, rows)) {
    switch (op.kind) {
      case Op::Kind::kInsert:
        FORKDB_RETURN_IF_ERROR(txn.Insert(kTable, op.row).status());
        break;
      case Op::Kind::kUpdate:
        FORKDB_RETURN_IF_ERROR(txn.Update(kTable, {I(op.key)}, op.row));
        break;
      case Op::Kind::kDelete:
        FORKDB_RETURN_IF_ERROR(txn.Delete(kTable, {I(op.key)}));
        break;
    }
  }
  return txn.Commit();
}

// A transaction that writes and is rolled back: no record.
Status RolledBack(Database& db, int64_t r) {
  FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin(kMainFork));
  FORKDB_RETURN_IF_ERROR(
      txn.Insert(kTable, {I(-r), I(-1), I(0), T("rolled back")}).status());
  txn.Rollback();
  return Status();
}

// ---------------------------------------------------------------- helpers

Result<std::vector<Row>> ScanAll(Database& db, std::string_view fork) {
  FORKDB_ASSIGN_OR_RETURN(Snapshot snap, db.GetSnapshot(fork));
  FORKDB_ASSIGN_OR_RETURN(Cursor c, snap.Scan(kTable));
  std::vector<Row> rows;
  while (c.Valid()) {
    rows.push_back(c.row());
    FORKDB_RETURN_IF_ERROR(c.Next());
  }
  FORKDB_RETURN_IF_ERROR(c.status());
  return rows;
}

std::string RowsDiff(const std::vector<Row>& got,
                     const std::vector<Row>& want) {
  for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    if (i >= got.size()) return "row missing: " + RowString(want[i]);
    if (i >= want.size()) return "unexpected row " + RowString(got[i]);
    if (!(got[i] == want[i]))
      return "row " + std::to_string(i) + " is " + RowString(got[i]) +
             ", expected " + RowString(want[i]);
  }
  return "";
}

// Creates the database: the table in main, then dst forked from it.
void CreateDatabase(const std::string& path) {
  ENGINE_ASSERT_OK_AND_ASSIGN(Database db,
                              Database::Open(path, ParentOptions()));
  ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db.Begin(kMainFork));
  ENGINE_ASSERT_OK(txn.CreateTable(
      {std::string(kTable),
       {Col("k", Type::kInteger, true), Col("rec", Type::kInteger),
        Col("upd", Type::kInteger), Col("payload", Type::kText)},
       {"k"}}));
  ENGINE_ASSERT_OK(txn.Commit());
  ENGINE_ASSERT_OK(db.CreateFork("dst", kMainFork));
  ENGINE_ASSERT_OK_AND_ASSIGN(BinlogBounds b, db.GetBinlogBounds(kMainFork));
  ASSERT_EQ(b.next, kFirstRecordSeq);
}

// Starts the replication unless the database resumed it on open.
Status EnsureRunning(Database& db) {
  FORKDB_ASSIGN_OR_RETURN(std::vector<ReplicationStatus> list,
                          db.ListReplications());
  for (const ReplicationStatus& s : list)
    if (s.target == "dst" && s.state == "running") return Status();
  return db.StartReplication(kMainFork, "dst");
}

// ---------------------------------------------------------------- the child

// Replicates until caught up, acknowledging once running and once done.
[[noreturn]] void ApplyingChild(const std::string& path, int ack_fd) {
  Result<Database> opened = Database::Open(path, CrashOptions());
  if (!opened.ok()) ChildDie("open", opened.status());
  Database db = std::move(opened).value();
  if (Status s = EnsureRunning(db); !s.ok()) ChildDie("start", s);
  ChildAck(ack_fd, 1);
  Result<bool> caught =
      db.WaitForReplication("dst", std::chrono::milliseconds(50000));
  if (!caught.ok()) ChildDie("wait", caught.status());
  if (!*caught) ChildDie("wait", Status::Aborted("did not catch up"));
  ChildAck(ack_fd, kAckDone);
  for (;;) pause();
}

// Writes source records first_record, ... while the replication runs,
// acknowledging each.
[[noreturn]] void WritingChild(const std::string& path, int64_t first_record,
                               uint64_t seed, int ack_fd) {
  Result<Database> opened = Database::Open(path, CrashOptions());
  if (!opened.ok()) ChildDie("open", opened.status());
  Database db = std::move(opened).value();
  if (Status s = EnsureRunning(db); !s.ok()) ChildDie("start", s);
  std::mt19937_64 rng(seed);
  for (int64_t r = first_record;; ++r) {
    if (rng() % 4 == 0) {
      if (Status s = RolledBack(db, r); !s.ok()) ChildDie("rollback", s);
    }
    if (Status s = WriteRecord(db, r); !s.ok())
      ChildDie("record " + std::to_string(r), s);
    ChildAck(ack_fd, static_cast<uint64_t>(r));
    if (r >= first_record + 400) break;
  }
  ChildAck(ack_fd, kAckDone);
  for (;;) pause();
}

// ---------------------------------------------------------------- the parent

struct Stats {
  int kills = 0;
  int kills_before_running = 0;  // no acknowledgement yet
  int kills_caught_up = 0;       // after the child caught up
  int progressed = 0;            // kills after which applied_seq had moved
  uint64_t records_verified = 0;
  uint64_t source_records = 0;
  int in_flight_landed = 0;  // writing: the unacknowledged record committed
};

// Opens the database after a kill, stops the replication, and checks the
// source (it holds `*source_records` records, or one more if `may_hold_one
// more`; *source_records is set to what it holds) and the target against the
// stored applied_seq (set in *applied).
void Verify(const std::string& path, int64_t* source_records,
            bool may_hold_one_more, uint64_t* applied, Stats* stats) {
  ENGINE_ASSERT_OK_AND_ASSIGN(Database db,
                              Database::Open(path, ParentOptions()));
  Status stop = db.StopReplication("dst");
  ASSERT_TRUE(stop.ok() || stop.IsNotFound()) << stop.ToString();
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<ReplicationStatus> list,
                              db.ListReplications());
  uint64_t at = kFirstRecordSeq - 1;  // never started: the split
  ASSERT_LE(list.size(), 1u);
  if (!list.empty()) {
    const ReplicationStatus& s = list[0];
    EXPECT_EQ(s.source, "main");
    EXPECT_EQ(s.target, "dst");
    EXPECT_EQ(s.state, "stopped");
    EXPECT_EQ(s.conflicts, 0u);
    EXPECT_EQ(s.last_error, "");
    at = s.applied_seq;
  }
  ASSERT_GE(at, *applied) << "applied_seq went back";
  if (at > *applied) ++stats->progressed;
  *applied = at;
  // The source.
  ENGINE_ASSERT_OK_AND_ASSIGN(BinlogBounds sb, db.GetBinlogBounds(kMainFork));
  const int64_t held = static_cast<int64_t>(sb.next - kFirstRecordSeq);
  ASSERT_TRUE(held == *source_records ||
              (may_hold_one_more && held == *source_records + 1))
      << "the source holds " << held << " records, " << *source_records
      << " acknowledged";
  stats->in_flight_landed += held > *source_records;
  *source_records = held;
  ASSERT_LE(at, sb.next - 1);
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> src, ScanAll(db, kMainFork));
  std::string d = RowsDiff(src, ExpectedRows(held));
  ASSERT_TRUE(d.empty()) << "source: " << d;
  // The target: exactly the records up to applied_seq.
  const int64_t applied_records = static_cast<int64_t>(at - 1);
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> dst, ScanAll(db, "dst"));
  d = RowsDiff(dst, ExpectedRows(applied_records));
  ASSERT_TRUE(d.empty()) << "target at applied_seq " << at << ": " << d;
  // One target record per applied source record, with its GTID.
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo main_info, db.GetFork(kMainFork));
  ENGINE_ASSERT_OK_AND_ASSIGN(BinlogBounds db_bounds,
                              db.GetBinlogBounds("dst"));
  ASSERT_EQ(db_bounds.next, at + 1) << "target binlog";
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> entries,
                              db.ReadBinlog("dst", kFirstRecordSeq, 1000000));
  ASSERT_EQ(entries.size(), at + 1 - kFirstRecordSeq);
  for (size_t i = 0; i < entries.size(); ++i) {
    const uint64_t seq = kFirstRecordSeq + i;
    ASSERT_EQ(entries[i].seq, seq);
    ASSERT_EQ(entries[i].gtid, (Gtid{main_info.id, seq}))
        << "target record " << seq;
  }
  stats->records_verified += entries.size();
  Result<std::vector<std::string>> problems = db.Check();
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  for (const std::string& p : *problems) ADD_FAILURE() << "Check(): " << p;
  ASSERT_TRUE(problems->empty());
}

// Lets the replication finish and compares source and target fully.
void Finish(const std::string& path, int64_t source_records) {
  ENGINE_ASSERT_OK_AND_ASSIGN(Database db,
                              Database::Open(path, ParentOptions()));
  ENGINE_ASSERT_OK(EnsureRunning(db));
  ENGINE_ASSERT_OK_AND_ASSIGN(
      bool caught, db.WaitForReplication("dst", std::chrono::seconds(120)));
  ASSERT_TRUE(caught);
  ENGINE_ASSERT_OK(db.StopReplication("dst"));
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> src, ScanAll(db, kMainFork));
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> dst, ScanAll(db, "dst"));
  ASSERT_EQ(src, ExpectedRows(source_records));
  ASSERT_EQ(dst, src);
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo main_info, db.GetFork(kMainFork));
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> entries,
                              db.ReadBinlog("dst", kFirstRecordSeq, 1000000));
  ASSERT_EQ(entries.size(), static_cast<size_t>(source_records));
  for (size_t i = 0; i < entries.size(); ++i)
    ASSERT_EQ(entries[i].gtid, (Gtid{main_info.id, kFirstRecordSeq + i}));
  Result<std::vector<std::string>> problems = db.Check();
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  ASSERT_TRUE(problems->empty());
}

int Kills(int n) { return cow::LongTests() ? n * 10 : n; }

TEST(ReplicationCrashTest, ExactlyOnceWhenKilledWhileApplying) {
  const uint64_t seed = test::TestSeed();
  std::mt19937_64 rng(seed);
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  const int kills = Kills(200);
  Stats stats;
  std::unique_ptr<cow::ScratchDir> dir;
  std::string path;
  int64_t records = 0;
  uint64_t applied = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kills; ++i) {
    if (i % kKillsPerDatabase == 0) {
      if (dir != nullptr) {
        ASSERT_NO_FATAL_FAILURE(Finish(path, records));
      }
      dir = std::make_unique<cow::ScratchDir>();
      path = dir->path() + "/db";
      ASSERT_NO_FATAL_FAILURE(CreateDatabase(path));
      records = static_cast<int64_t>(uniform(40, 160));
      ENGINE_ASSERT_OK_AND_ASSIGN(Database db,
                                  Database::Open(path, ParentOptions()));
      for (int64_t r = 1; r <= records; ++r)
        ENGINE_ASSERT_OK(WriteRecord(db, r));
      applied = kFirstRecordSeq - 1;
      stats.source_records += static_cast<uint64_t>(records);
    }
    const bool after_ack = uniform(0, 2) != 0;
    const uint64_t delay_us =
        after_ack ? uniform(0, 20000) : uniform(0, 150000);
    SCOPED_TRACE("kill " + std::to_string(i) + (after_ack ? " after" : "") +
                 " " + std::to_string(delay_us) + " us, applied_seq " +
                 std::to_string(applied) + " of " +
                 std::to_string(records + 1));
    bool acked = false, done = false, hung = false;
    {
      Child child([&](int ack_fd) { ApplyingChild(path, ack_fd); });
      ASSERT_TRUE(child.started()) << std::strerror(errno);
      if (after_ack) {
        std::optional<uint64_t> ack = child.NextAck(&hung);
        acked = ack.has_value();
      }
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
      const int status = child.Kill();
      ASSERT_FALSE(hung) << "the child hung";
      for (std::optional<uint64_t> ack; (ack = child.NextAck(&hung));) {
        acked = true;
        done |= *ack == kAckDone;
      }
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the child died by itself (exit status " << status
          << "); its stderr says why";
    }
    ++stats.kills;
    stats.kills_before_running += !acked;
    stats.kills_caught_up += done;
    ASSERT_NO_FATAL_FAILURE(Verify(path, &records, false, &applied, &stats));
    if (done) {
      ASSERT_EQ(applied, kFirstRecordSeq - 1 + records);
    }
  }
  ASSERT_NO_FATAL_FAILURE(Finish(path, records));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::cout << "[ crash    ] " << stats.kills << " kills over "
            << stats.source_records
            << " source records: " << stats.kills_before_running
            << " before the replication ran, " << stats.kills_caught_up
            << " after it caught up, " << stats.progressed << " with progress; "
            << stats.records_verified << " target records verified, " << secs
            << " s\n";
  EXPECT_GT(stats.progressed, kills / 4);
  EXPECT_LT(stats.kills_caught_up, kills);
}

TEST(ReplicationCrashTest, ExactlyOnceWhenKilledWhileTheSourceIsWritten) {
  const uint64_t seed = test::TestSeed();
  std::mt19937_64 rng(seed);
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  const int kills = Kills(48);
  Stats stats;
  std::unique_ptr<cow::ScratchDir> dir;
  std::string path;
  int64_t records = 0;
  uint64_t applied = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kills; ++i) {
    if (i % kKillsPerDatabase == 0) {
      if (dir != nullptr) {
        ASSERT_NO_FATAL_FAILURE(Finish(path, records));
      }
      dir = std::make_unique<cow::ScratchDir>();
      path = dir->path() + "/db";
      ASSERT_NO_FATAL_FAILURE(CreateDatabase(path));
      records = 0;
      applied = kFirstRecordSeq - 1;
    }
    const uint64_t acks_before_kill = uniform(0, 12);
    const uint64_t delay_us = uniform(0, 1) * uniform(0, 5000);
    SCOPED_TRACE("kill " + std::to_string(i) + " after " +
                 std::to_string(acks_before_kill) + " acks + " +
                 std::to_string(delay_us) + " us, from record " +
                 std::to_string(records + 1));
    uint64_t acked = static_cast<uint64_t>(records);
    bool done = false, hung = false;
    {
      const uint64_t child_seed = seed ^ static_cast<uint64_t>(i);
      Child child([&](int ack_fd) {
        WritingChild(path, records + 1, child_seed, ack_fd);
      });
      ASSERT_TRUE(child.started()) << std::strerror(errno);
      auto take = [&](uint64_t ack) {
        if (ack == kAckDone) {
          done = true;
        } else {
          EXPECT_EQ(ack, acked + 1) << "acknowledgements out of order";
          acked = ack;
        }
      };
      for (uint64_t a = 0; a < acks_before_kill && !done; ++a) {
        std::optional<uint64_t> ack = child.NextAck(&hung);
        if (!ack) break;
        take(*ack);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
      const int status = child.Kill();
      ASSERT_FALSE(hung) << "the child hung";
      for (std::optional<uint64_t> ack; !done && (ack = child.NextAck(&hung));)
        take(*ack);
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the child died by itself (exit status " << status
          << "); its stderr says why";
    }
    ++stats.kills;
    // The source holds every acknowledged record, or one more.
    const int64_t before = records;
    records = static_cast<int64_t>(acked);
    ASSERT_NO_FATAL_FAILURE(Verify(path, &records, !done, &applied, &stats));
    stats.source_records += static_cast<uint64_t>(records - before);
  }
  ASSERT_NO_FATAL_FAILURE(Finish(path, records));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::cout << "[ crash    ] " << stats.kills << " kills, "
            << stats.source_records << " source records written by children ("
            << stats.in_flight_landed << " unacknowledged ones landed), "
            << stats.progressed << " kills with replication progress; "
            << stats.records_verified << " target records verified, " << secs
            << " s\n";
  EXPECT_GT(stats.source_records, static_cast<uint64_t>(kills));
  EXPECT_GT(stats.progressed, kills / 4);
}

}  // namespace
}  // namespace forkdb::engine
