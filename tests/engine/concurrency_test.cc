// Concurrency of the public API (DESIGN.md, "engine": per fork one writer at
// a time and any number of snapshot readers, which never block the writer;
// different forks written in parallel). Run it under ThreadSanitizer with the
// tsan preset (tools/test does).
//
// Main is seeded with accounts and a meta row, then forked into "a" and "b";
// each fork gets its own marker in every row and its own total (a bonus paid
// into one account), so a row or a total leaking from one fork into another
// shows. Then, on each of the two forks at once:
//   - one writer runs a bounded number of transactions of transfers between
//     accounts (which keep the fork's total), accounts closed into another
//     and opened empty, savepoints rolled back (around unbalanced writes) or
//     released, and whole transactions rolled back, each ending with an
//     update of the meta row (commit count, row count); it keeps a model of
//     its fork and checks Busy for a second writer;
//   - four readers repeatedly take GetSnapshot(fork) and check, in that one
//     snapshot: a forward scan and a backward scan agree, keys are in order,
//     every row carries the fork's marker, the balances sum to the fork's
//     total, the row count and the commit count are the meta row's, point
//     gets and index lookups return the scanned rows; they also check that
//     snapshots never go back in time and that the first snapshot a reader
//     took reads the same at the end, after every commit.
// A fifth thread meanwhile forks "a" and "b" (by name and from a snapshot),
// checks and writes the new fork, and drops it. At the end each fork equals
// its writer's model, main is as seeded, and Check() is clean.
//
// The amount of work is a count of transactions, not a duration; readers
// read until their writer is done (and at least kReadsMin times), so nothing
// depends on timing. FORKDB_LONG_TESTS=1 runs ten times as many transactions.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "forkdb/database.h"
#include "tests/cow/test_util.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using test::Col;
using test::RowString;

constexpr uint32_t kPageSize = 512;  // trees of height 3 with 100 rows
constexpr int64_t kAccounts = 100;
constexpr int64_t kAccountsMin = 60;  // writers open accounts below this
constexpr int64_t kInitialBalance = 1000;
constexpr int64_t kGroups = 5;
constexpr int kReaders = 4;
constexpr int kReadsMin = 20;
constexpr int kForkRounds = 30;

constexpr std::string_view kAccountsTable = "accounts";
constexpr std::string_view kMeta = "meta";
constexpr std::string_view kOwnerIndex = "accounts_owner";
constexpr std::string_view kGrpIndex = "accounts_grp";
// Account columns, in declaration order.
enum AccountCol { kId = 0, kOwner, kGrp, kBalance, kMarker, kNote };
// Meta columns: k (always 0), commits (by the fork's writer), rows.
enum MetaCol { kMetaK = 0, kMetaCommits, kMetaRows };

Value I(int64_t v) { return Value::Integer(v); }
Value T(std::string v) { return Value::Text(std::move(v)); }

// A fork the writers write, and what its readers expect of it.
struct ForkPlan {
  std::string name;
  int64_t total = 0;  // the sum of its balances
};

// The first failure of any thread, and how many there were. Threads report
// here instead of calling gtest assertions, and stop.
class Failures {
 public:
  void Add(const std::string& what) {
    if (count_.fetch_add(1, std::memory_order_relaxed) == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      first_ = what;
    }
  }
  int count() const { return count_.load(std::memory_order_relaxed); }
  std::string first() const {
    std::lock_guard<std::mutex> lock(mu_);
    return first_;
  }

 private:
  // Relaxed: only a count; the message is published under mu_.
  std::atomic<int> count_{0};
  mutable std::mutex mu_;
  std::string first_;
};

// Every row of the table in key order (reversed if asked), or an error.
Result<std::vector<Row>> ScanAll(const Reader& reader, std::string_view table,
                                 bool reverse) {
  FORKDB_ASSIGN_OR_RETURN(Cursor c,
                          reader.Scan(table, ScanRange{{}, {}, reverse}));
  std::vector<Row> rows;
  while (c.Valid()) {
    rows.push_back(c.row());
    FORKDB_RETURN_IF_ERROR(c.Next());
  }
  FORKDB_RETURN_IF_ERROR(c.status());
  return rows;
}

// "" if the snapshot holds a consistent state of the fork, else the first
// problem. `rows` receives the scanned accounts.
std::string CheckSnapshot(const Snapshot& snap, const ForkPlan& plan,
                          std::mt19937_64& rng, std::vector<Row>* rows_out) {
  const std::string where = "fork " + plan.name + " at commit " +
                            std::to_string(snap.commit_seq()) + ": ";
  Result<std::vector<Row>> rows = ScanAll(snap, kAccountsTable, false);
  if (!rows.ok()) return where + "scan: " + rows.status().ToString();
  Result<std::vector<Row>> back = ScanAll(snap, kAccountsTable, true);
  if (!back.ok()) return where + "backward scan: " + back.status().ToString();
  std::reverse(back->begin(), back->end());
  if (*back != *rows) return where + "backward scan differs from forward";
  Result<std::optional<Row>> meta = snap.Get(kMeta, {I(0)});
  if (!meta.ok()) return where + "meta: " + meta.status().ToString();
  if (!meta->has_value()) return where + "no meta row";
  const Row& m = **meta;

  int64_t sum = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    const Row& row = (*rows)[i];
    if (i > 0 && Compare((*rows)[i - 1][kId], row[kId]) >= 0)
      return where + "keys out of order at " + RowString(row);
    if (row[kMarker] != T(plan.name))
      return where + "row of another fork: " + RowString(row);
    sum += row[kBalance].integer();
  }
  if (sum != plan.total) {
    return where + "balances sum to " + std::to_string(sum) + ", expected " +
           std::to_string(plan.total);
  }
  if (m[kMetaRows] != I(static_cast<int64_t>(rows->size()))) {
    return where + std::to_string(rows->size()) + " rows, meta says " +
           m[kMetaRows].ToString();
  }
  // One commit made the fork's marker and total; its writer's made the rest.
  if (m[kMetaCommits] != I(static_cast<int64_t>(snap.commit_seq()) - 1)) {
    return where + "meta counts " + m[kMetaCommits].ToString() +
           " commits of the writer";
  }
  if (rows->empty()) return where + "no rows";

  // Point gets and index lookups return what the scan saw.
  for (int i = 0; i < 3; ++i) {
    const Row& row = (*rows)[rng() % rows->size()];
    Result<std::optional<Row>> got = snap.Get(kAccountsTable, {row[kId]});
    if (!got.ok()) return where + "get: " + got.status().ToString();
    if (!got->has_value() || **got != row)
      return where + "Get disagrees with the scan at " + RowString(row);
    Result<std::vector<Row>> by_owner =
        snap.IndexLookup(kAccountsTable, kOwnerIndex, {row[kOwner]});
    if (!by_owner.ok()) return where + by_owner.status().ToString();
    if (*by_owner != std::vector<Row>{row})
      return where + "owner index disagrees with the scan at " + RowString(row);
  }
  Result<std::optional<Row>> none = snap.Get(kAccountsTable, {I(-1)});
  if (!none.ok() || none->has_value()) return where + "Get(-1) found a row";
  const int64_t g = static_cast<int64_t>(rng() % kGroups);
  std::vector<Row> want;
  for (const Row& row : *rows)
    if (row[kGrp] == I(g)) want.push_back(row);
  Result<std::vector<Row>> by_grp =
      snap.IndexLookup(kAccountsTable, kGrpIndex, {I(g)});
  if (!by_grp.ok()) return where + by_grp.status().ToString();
  if (*by_grp != want)
    return where + "group index disagrees with the scan for group " +
           std::to_string(g);
  *rows_out = std::move(*rows);
  return "";
}

Row Account(int64_t id, std::string owner, int64_t grp, int64_t balance,
            std::string marker, std::string note) {
  return {I(id),      T(std::move(owner)),  I(grp),
          I(balance), T(std::move(marker)), T(std::move(note))};
}

// One fork's writer: `txns` transactions, some rolled back. `model` holds the
// fork's accounts when called and after every commit.
class Writer {
 public:
  Writer(Database* db, const ForkPlan& plan, std::map<int64_t, Row> model,
         int64_t meta_commits, uint64_t seed, Failures* failures)
      : db_(*db),
        plan_(plan),
        model_(std::move(model)),
        commits_(meta_commits),
        rng_(seed),
        failures_(*failures) {
    next_id_ = model_.rbegin()->first + 1;
  }

  void Run(int txns) {
    for (int t = 0; t < txns && failures_.count() == 0; ++t) {
      if (std::string e = OneTransaction(t); !e.empty())
        failures_.Add("writer of " + plan_.name + ", transaction " +
                      std::to_string(t) + ": " + e);
    }
  }

  const std::map<int64_t, Row>& model() const { return model_; }
  int64_t commits() const { return commits_; }
  int rollbacks() const { return rollbacks_; }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  int64_t RandomId(const std::map<int64_t, Row>& m, int64_t not_id) {
    for (;;) {
      auto it =
          std::next(m.begin(), Uniform(0, static_cast<int64_t>(m.size()) - 1));
      if (it->first != not_id) return it->first;
    }
  }
  std::string NewOwner() {
    return plan_.name + "-o" + std::to_string(owner_seq_++);
  }

  // Adds `amount` to the account in the transaction and in `m`; sometimes
  // changes its indexed columns too.
  Status AddTo(Transaction& txn, std::map<int64_t, Row>& m, int64_t id,
               int64_t amount) {
    Row row = m.at(id);
    row[kBalance] = I(row[kBalance].integer() + amount);
    if (Uniform(0, 3) == 0) row[kOwner] = T(NewOwner());
    if (Uniform(0, 3) == 0) row[kGrp] = I(Uniform(0, kGroups - 1));
    FORKDB_RETURN_IF_ERROR(txn.Update(kAccountsTable, {I(id)}, row));
    m[id] = std::move(row);
    return Status();
  }

  Status Transfer(Transaction& txn, std::map<int64_t, Row>& m) {
    const int64_t from = RandomId(m, -1);
    const int64_t to = RandomId(m, from);
    const int64_t amount = Uniform(1, 300);
    FORKDB_RETURN_IF_ERROR(AddTo(txn, m, from, -amount));
    return AddTo(txn, m, to, amount);
  }

  // Closes an account into another, or opens an empty one.
  Status CloseOrOpen(Transaction& txn, std::map<int64_t, Row>& m) {
    if (static_cast<int64_t>(m.size()) > kAccountsMin && Uniform(0, 1) == 0) {
      const int64_t gone = RandomId(m, -1);
      const int64_t heir = RandomId(m, gone);
      FORKDB_RETURN_IF_ERROR(
          AddTo(txn, m, heir, m.at(gone)[kBalance].integer()));
      FORKDB_RETURN_IF_ERROR(txn.Delete(kAccountsTable, {I(gone)}));
      m.erase(gone);
      return Status();
    }
    const int64_t id = next_id_++;
    Row row = Account(id, NewOwner(), Uniform(0, kGroups - 1), 0, plan_.name,
                      std::string(static_cast<size_t>(Uniform(0, 60)), 'n'));
    FORKDB_RETURN_IF_ERROR(txn.Insert(kAccountsTable, row).status());
    m[id] = std::move(row);
    return Status();
  }

  // "" or what went wrong.
  std::string OneTransaction(int t) {
    Result<Transaction> begun = db_.Begin(plan_.name);
    if (!begun.ok()) return "begin: " + begun.status().ToString();
    Transaction txn = std::move(begun).value();
    if (t % 50 == 0) {
      Result<Transaction> second = db_.Begin(plan_.name);
      if (!second.status().IsBusy())
        return "a second writer got " + second.status().ToString();
    }
    std::map<int64_t, Row> m = model_;
    const int64_t ops = Uniform(1, 4);
    for (int64_t i = 0; i < ops; ++i) {
      const int64_t dice = Uniform(0, 99);
      Status s;
      if (dice < 65) {
        s = Transfer(txn, m);
      } else if (dice < 80) {
        s = CloseOrOpen(txn, m);
      } else {
        // A savepoint: around unbalanced writes that are rolled back, or
        // around a transfer that is kept.
        s = txn.Savepoint();
        if (!s.ok()) return "savepoint: " + s.ToString();
        if (Uniform(0, 1) == 0) {
          std::map<int64_t, Row> scratch = m;
          s = AddTo(txn, scratch, RandomId(scratch, -1), 777);
          if (s.ok())
            s = txn.Insert(kAccountsTable, Account(next_id_++, NewOwner(), 0, 1,
                                                   plan_.name, "rolled back"))
                    .status();
          if (s.ok()) s = txn.RollbackToSavepoint();
        } else {
          s = Transfer(txn, m);
          if (s.ok()) s = txn.ReleaseSavepoint();
        }
      }
      if (!s.ok()) return s.ToString();
    }
    // The transaction reads its own writes.
    const int64_t probe = RandomId(m, -1);
    Result<std::optional<Row>> own = txn.Get(kAccountsTable, {I(probe)});
    if (!own.ok() || !own->has_value() || **own != m.at(probe))
      return "the transaction does not read its own write of account " +
             std::to_string(probe);
    if (Uniform(0, 9) == 0) {
      // Unbalanced, then thrown away whole.
      Status s = txn.Update(kMeta, {I(0)}, {I(0), I(-1), I(-1)});
      if (!s.ok()) return "meta: " + s.ToString();
      txn.Rollback();
      ++rollbacks_;
      return "";
    }
    Status s =
        txn.Update(kMeta, {I(0)},
                   {I(0), I(commits_ + 1), I(static_cast<int64_t>(m.size()))});
    if (!s.ok()) return "meta: " + s.ToString();
    s = txn.Commit();
    if (!s.ok()) return "commit: " + s.ToString();
    ++commits_;
    model_ = std::move(m);
    return "";
  }

  Database& db_;
  const ForkPlan plan_;
  std::map<int64_t, Row> model_;
  int64_t commits_;
  std::mt19937_64 rng_;
  Failures& failures_;
  int64_t next_id_ = 0;
  uint64_t owner_seq_ = 0;
  int rollbacks_ = 0;
};

struct ReaderStats {
  uint64_t snapshots = 0;
  uint64_t distinct_commits = 0;
};

// One snapshot reader of a fork, until `writer_done` and at least kReadsMin
// snapshots.
ReaderStats ReadUntilDone(Database* db, const ForkPlan& plan, uint64_t seed,
                          const std::atomic<bool>* writer_done,
                          Failures* failures) {
  std::mt19937_64 rng(seed);
  ReaderStats stats;
  uint64_t last_seq = 0;
  std::optional<Snapshot> first;
  std::vector<Row> first_rows;
  // Acquire: pairs with the writer's release store after its last commit.
  for (int i = 0;
       (i < kReadsMin || !writer_done->load(std::memory_order_acquire)) &&
       failures->count() == 0;
       ++i) {
    Result<Snapshot> snap = db->GetSnapshot(plan.name);
    if (!snap.ok()) {
      failures->Add("snapshot of " + plan.name + ": " +
                    snap.status().ToString());
      return stats;
    }
    if (snap->commit_seq() < last_seq) {
      failures->Add("fork " + plan.name + ": snapshot went back from commit " +
                    std::to_string(last_seq) + " to " +
                    std::to_string(snap->commit_seq()));
      return stats;
    }
    stats.distinct_commits += snap->commit_seq() != last_seq;
    last_seq = snap->commit_seq();
    std::vector<Row> rows;
    if (std::string e = CheckSnapshot(*snap, plan, rng, &rows); !e.empty()) {
      failures->Add(e);
      return stats;
    }
    ++stats.snapshots;
    if (!first.has_value()) {
      first = std::move(snap).value();
      first_rows = std::move(rows);
    }
  }
  // The first snapshot still reads as it did, whatever was committed since.
  if (first.has_value() && failures->count() == 0) {
    Result<std::vector<Row>> again = ScanAll(*first, kAccountsTable, false);
    if (!again.ok() || *again != first_rows)
      failures->Add("fork " + plan.name + ": the snapshot of commit " +
                    std::to_string(first->commit_seq()) + " changed");
  }
  return stats;
}

// Forks a and b while they are written: by name and from a snapshot, checks
// the new fork, writes it (which must not show in its parent), drops it.
int ForkAndDrop(Database* db, const std::vector<ForkPlan>& plans, uint64_t seed,
                Failures* failures) {
  std::mt19937_64 rng(seed);
  int made = 0;
  for (int i = 0; i < kForkRounds && failures->count() == 0; ++i) {
    const ForkPlan& from = plans[i % plans.size()];
    const std::string name = "c" + std::to_string(i);
    Status s;
    std::optional<Snapshot> at;
    if (i % 3 == 0) {
      Result<Snapshot> snap = db->GetSnapshot(from.name);
      if (!snap.ok()) {
        failures->Add("snapshot for a fork: " + snap.status().ToString());
        return made;
      }
      at = std::move(snap).value();
      s = db->CreateFork(name, *at).status();
    } else {
      s = db->CreateFork(name, from.name).status();
    }
    if (!s.ok()) {
      failures->Add("fork " + name + " of " + from.name + ": " + s.ToString());
      return made;
    }
    ++made;
    // The new fork holds a consistent state of its parent...
    Result<Snapshot> snap = db->GetSnapshot(name);
    if (!snap.ok()) {
      failures->Add("snapshot of " + name + ": " + snap.status().ToString());
      return made;
    }
    std::string e = [&]() -> std::string {
      // Not CheckSnapshot(): it ties the meta row to the fork's own commit
      // count, which starts again at 0 in the new fork.
      Result<std::vector<Row>> scanned = ScanAll(*snap, kAccountsTable, false);
      if (!scanned.ok()) return scanned.status().ToString();
      int64_t sum = 0;
      for (const Row& row : *scanned) {
        if (row[kMarker] != T(from.name))
          return "row of another fork: " + RowString(row);
        sum += row[kBalance].integer();
      }
      if (sum != from.total) return "balances sum to " + std::to_string(sum);
      Result<std::optional<Row>> meta = snap->Get(kMeta, {I(0)});
      if (!meta.ok() || !meta->has_value() ||
          (**meta)[kMetaRows] != I(static_cast<int64_t>(scanned->size())))
        return "the meta row does not count the rows";
      if (at.has_value()) {
        Result<std::vector<Row>> parent = ScanAll(*at, kAccountsTable, false);
        if (!parent.ok() || *parent != *scanned)
          return "differs from the snapshot it was made from";
      }
      return "";
    }();
    if (!e.empty()) {
      failures->Add("fork " + name + " of " + from.name + ": " + e);
      return made;
    }
    // ... and its writes stay in it (the parent's readers check the marker).
    {
      Result<Transaction> txn = db->Begin(name);
      if (!txn.ok()) {
        failures->Add("begin " + name + ": " + txn.status().ToString());
        return made;
      }
      Result<std::vector<Row>> scanned = ScanAll(*txn, kAccountsTable, false);
      if (!scanned.ok()) {
        failures->Add("scan " + name + ": " + scanned.status().ToString());
        return made;
      }
      for (size_t k = 0; k < scanned->size(); k += 1 + rng() % 7) {
        Row row = (*scanned)[k];
        row[kMarker] = T(name);
        row[kBalance] = I(row[kBalance].integer() + 5);
        s = txn->Update(kAccountsTable, {row[kId]}, row);
        if (!s.ok()) break;
      }
      if (s.ok()) s = txn->Commit();
      if (!s.ok()) {
        failures->Add("write " + name + ": " + s.ToString());
        return made;
      }
    }
    snap = Snapshot();
    at.reset();
    s = db->DropFork(name);
    if (!s.ok()) {
      failures->Add("drop " + name + ": " + s.ToString());
      return made;
    }
  }
  return made;
}

class EngineConcurrencyTest : public ::testing::TestWithParam<cow::Backend> {};

TEST_P(EngineConcurrencyTest,
       ConcurrencyForkWritersAndSnapshotReadersKeepEachForkConsistent) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed));
  cow::ScratchDir dir;
  Options options;
  options.page_size = kPageSize;
  options.sync = false;  // nothing here crashes
  Result<Database> opened = GetParam() == cow::Backend::kRocksDB
                                ? Database::Open(dir.path() + "/db", options)
                                : Database::Open(options);
  ENGINE_ASSERT_OK(opened);
  Database db = std::move(opened).value();

  // Main: the accounts, each with the same balance, marked "main".
  std::map<int64_t, Row> seeded;
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db.Begin(kMainFork));
    ENGINE_ASSERT_OK(txn.CreateTable(
        {std::string(kAccountsTable),
         {Col("id", Type::kInteger, true), Col("owner", Type::kText, true),
          Col("grp", Type::kInteger), Col("balance", Type::kInteger, true),
          Col("marker", Type::kText, true), Col("note", Type::kText)},
         {"id"}}));
    ENGINE_ASSERT_OK(
        txn.CreateIndex(kAccountsTable, kOwnerIndex, {"owner"}, true));
    ENGINE_ASSERT_OK(
        txn.CreateIndex(kAccountsTable, kGrpIndex, {"grp"}, false));
    ENGINE_ASSERT_OK(txn.CreateTable(
        {std::string(kMeta),
         {Col("k", Type::kInteger, true), Col("commits", Type::kInteger),
          Col("rows", Type::kInteger)},
         {"k"}}));
    for (int64_t id = 0; id < kAccounts; ++id) {
      Row row = Account(id, "main-o" + std::to_string(id), id % kGroups,
                        kInitialBalance, "main",
                        std::string(static_cast<size_t>(id % 50), 'x'));
      ENGINE_ASSERT_OK(txn.Insert(kAccountsTable, row));
      seeded[id] = std::move(row);
    }
    ENGINE_ASSERT_OK(txn.Insert(kMeta, {I(0), I(0), I(kAccounts)}));
    ENGINE_ASSERT_OK(txn.Commit());
  }
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot main_before, db.GetSnapshot(kMainFork));

  // Forks a and b: their own marker on every row, their own total.
  std::vector<ForkPlan> plans = {{"a", kAccounts * kInitialBalance + 1000},
                                 {"b", kAccounts * kInitialBalance + 2000}};
  std::vector<std::map<int64_t, Row>> models;
  for (const ForkPlan& plan : plans) {
    ENGINE_ASSERT_OK(db.CreateFork(plan.name, kMainFork));
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db.Begin(plan.name));
    std::map<int64_t, Row> model = seeded;
    for (auto& [id, row] : model) {
      row[kMarker] = T(plan.name);
      if (id == 0) {
        row[kBalance] = I(row[kBalance].integer() + plan.total -
                          kAccounts * kInitialBalance);
      }
      ENGINE_ASSERT_OK(txn.Update(kAccountsTable, {I(id)}, row));
    }
    ENGINE_ASSERT_OK(txn.Commit());
    models.push_back(std::move(model));
  }

  const int txns = cow::LongTests() ? 3000 : 300;
  Failures failures;
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::atomic<bool>> writer_done(plans.size());
  std::vector<ReaderStats> reader_stats(plans.size() * kReaders);
  int forks_made = 0;
  std::vector<std::thread> threads;
  for (size_t f = 0; f < plans.size(); ++f) {
    writers.push_back(std::make_unique<Writer>(&db, plans[f], models[f], 0,
                                               seed + 100 * f, &failures));
    writer_done[f].store(false, std::memory_order_relaxed);
  }
  for (size_t f = 0; f < plans.size(); ++f) {
    threads.emplace_back([&, f] {
      writers[f]->Run(txns);
      // Release: the readers that see it also see every commit before it.
      writer_done[f].store(true, std::memory_order_release);
    });
    for (int r = 0; r < kReaders; ++r) {
      threads.emplace_back([&, f, r] {
        reader_stats[f * kReaders + r] = ReadUntilDone(
            &db, plans[f], seed + 100 * f + 1 + r, &writer_done[f], &failures);
      });
    }
  }
  threads.emplace_back(
      [&] { forks_made = ForkAndDrop(&db, plans, seed + 999, &failures); });
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(failures.count(), 0)
      << failures.count() << " failures; the first: " << failures.first();

  // Each fork is what its writer committed; main is as seeded.
  for (size_t f = 0; f < plans.size(); ++f) {
    SCOPED_TRACE("fork " + plans[f].name);
    ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db.GetSnapshot(plans[f].name));
    std::vector<Row> want;
    for (const auto& [id, row] : writers[f]->model()) want.push_back(row);
    ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> rows,
                                ScanAll(snap, kAccountsTable, false));
    EXPECT_EQ(rows, want);
    ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo info, db.GetFork(plans[f].name));
    EXPECT_EQ(info.commit_seq,
              static_cast<uint64_t>(writers[f]->commits()) + 1);
    std::mt19937_64 rng(seed);
    std::vector<Row> checked;
    EXPECT_EQ(CheckSnapshot(snap, plans[f], rng, &checked), "");
  }
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot main_after, db.GetSnapshot(kMainFork));
  EXPECT_EQ(main_after.commit_seq(), main_before.commit_seq());
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> main_rows,
                              ScanAll(main_after, kAccountsTable, false));
  std::vector<Row> main_want;
  for (const auto& [id, row] : seeded) main_want.push_back(row);
  EXPECT_EQ(main_rows, main_want);
  EXPECT_EQ(db.ListForks().size(), 1 + plans.size());
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db.Check());
  EXPECT_TRUE(problems.empty()) << problems.front();

  uint64_t snapshots = 0, distinct = 0;
  for (const ReaderStats& s : reader_stats) {
    snapshots += s.snapshots;
    distinct += s.distinct_commits;
  }
  int rollbacks = 0;
  for (const auto& w : writers) rollbacks += w->rollbacks();
  std::cout << "[ concur   ] " << plans.size() << " forks x " << txns
            << " transactions (" << rollbacks << " rolled back), " << snapshots
            << " snapshots checked, seeing " << distinct
            << " successive states, " << forks_made
            << " forks made and dropped meanwhile\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineConcurrencyTest,
                         ::testing::Values(cow::Backend::kMemory,
                                           cow::Backend::kRocksDB),
                         [](const auto& info) {
                           return cow::BackendName(info.param);
                         });

}  // namespace
}  // namespace forkdb::engine
