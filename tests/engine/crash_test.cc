// Crash test of the public API on a durable database (DESIGN.md invariant 3
// at engine level: after any crash every acknowledged commit is there with
// its rows exactly as written, no half transaction is, and the integrity
// check is clean), modelled on tests/cow/crash_test.cc.
//
// A child process (fork()) opens Database::Open(path) with sync on and runs
// numbered operations: the first creates a ledger table (primary key id, a
// unique index on acct, a non-unique one on grp) and a one-row meta table in
// main; after it come transactions, fork creations and fork drops. Each
// operation is drawn from (the database's seed, its number, the model before
// it), so the parent can recompute everything the child did; every few kills
// a fresh database starts with a seed derived from the test's. A transaction
// numbered n inserts a row whose key derives from n, moves an amount from
// another row to it, then does a few more row operations (transfers that also
// change the indexed columns, deletes that hand the balance to another row, key
// moves, extra inserts, calls that must fail on a unique or primary key
// conflict and change nothing, savepoints rolled back or released), and last
// rewrites the meta row (its commit count and the ledger's row count). Every
// transaction keeps two invariants: the balances sum to 0, and the meta row
// counts the ledger's rows. A few transactions are rolled back instead of
// committed. The child acknowledges an operation by writing its number to a
// pipe after the call returned OK, and holds a few snapshots open.
//
// The parent kills the child with SIGKILL at a random moment (after a random
// number of acknowledgements plus a short delay, or after a random delay that
// may land while it is still opening the database), reopens the database and
// checks:
//   - the database equals the model after every acknowledged operation, or
//     after the one in flight too: every fork, its parent and commit count,
//     every ledger row and the meta row (so every acknowledged commit is
//     there as written and no later one is, in part or whole);
//   - per fork, independently of the model: the balances sum to 0 and the
//     meta row counts the rows (no partial transaction), a backward scan is
//     the forward one reversed, and IndexLookup() on both indexes agrees
//     with the full scan (per key, per group, and over the whole index);
//   - Database::Check() reports no problem (cow reference counts, B+tree
//     invariants, index entries equal to rows).
//
// The child must not run gtest code: after fork() it runs only ChildMain,
// which reports failures on stderr and through its exit code.
//
// The seed is printed; FORKDB_TEST_SEED=<seed> replays the operations (not
// the exact kill moments). FORKDB_LONG_TESTS=1 runs 2000 kills instead of 200.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cow/rocksdb_block_store.h"
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
using cow::kChildSilenceMaxMs;
using test::Col;
using test::RowString;

// Small pages: trees of height 3 and more, and rows in overflow chains, with
// a few hundred rows.
constexpr uint32_t kPageSize = 512;
constexpr size_t kForksMax = 4;
constexpr int64_t kGroups = 7;
// Keys a transaction may create: n * kKeysPerTxn + 0, 1, ...
constexpr int64_t kKeysPerTxn = 64;
// A forked child cannot run RocksDB's background jobs (the parent's thread
// pool threads do not exist in it), so it never flushes or compacts; a fresh
// database every few kills keeps RocksDB far below its write-stop limits.
constexpr int kKillsPerDatabase = 8;

constexpr std::string_view kLedger = "ledger";
constexpr std::string_view kMeta = "meta";
constexpr std::string_view kAcctIndex = "ledger_acct";
constexpr std::string_view kGrpIndex = "ledger_grp";
// Ledger columns, in declaration order.
enum LedgerCol { kId = 0, kAcct, kGrp, kBalance, kTxn, kNote };
// Meta columns: k (always 0), commits, rows, last (the last transaction).
enum MetaCol { kMetaK = 0, kMetaCommits, kMetaRows, kMetaLast };

Value I(int64_t v) { return Value::Integer(v); }
Value T(std::string v) { return Value::Text(std::move(v)); }

uint64_t Mix(uint64_t seed, uint64_t n) {  // SplitMix64 of seed + n
  uint64_t z = seed + n * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// ---------------------------------------------------------------- the model

// One fork's rows: the ledger by id, and the meta row.
struct ForkState {
  std::map<int64_t, Row> rows;
  Row meta;
};

struct ForkModel {
  ForkState state;
  bool has_tables = false;
  std::string parent;  // empty for main
  uint64_t commit_seq = 0;
};
using Model = std::map<std::string, ForkModel>;

Model InitialModel() {
  Model model;
  model[std::string(kMainFork)] = ForkModel();
  return model;
}

// One call inside a transaction.
struct Step {
  enum class Kind {
    kInsert,
    kUpdate,
    kDelete,
    kInsertConflict,  // Insert that must fail: duplicate id or acct
    kUpdateConflict,  // Update that must fail: duplicate acct
    kSavepoint,
    kRollbackToSavepoint,
    kReleaseSavepoint,
  };
  Kind kind;
  std::string table;
  Row key;  // kUpdate, kDelete, kUpdateConflict
  Row row;  // kInsert, kUpdate, kInsertConflict, kUpdateConflict
};

// Applies a step to the model; `saves` is the savepoint stack.
void ApplyStep(const Step& s, ForkState* st, std::vector<ForkState>* saves) {
  switch (s.kind) {
    case Step::Kind::kInsert:
      if (s.table == kLedger) {
        st->rows[s.row[kId].integer()] = s.row;
      } else {
        st->meta = s.row;
      }
      break;
    case Step::Kind::kUpdate:
      if (s.table == kLedger) {
        st->rows.erase(s.key[0].integer());
        st->rows[s.row[kId].integer()] = s.row;
      } else {
        st->meta = s.row;
      }
      break;
    case Step::Kind::kDelete:
      st->rows.erase(s.key[0].integer());
      break;
    case Step::Kind::kInsertConflict:
    case Step::Kind::kUpdateConflict:
      break;
    case Step::Kind::kSavepoint:
      saves->push_back(*st);
      break;
    case Step::Kind::kRollbackToSavepoint:
      *st = std::move(saves->back());
      saves->pop_back();
      break;
    case Step::Kind::kReleaseSavepoint:
      saves->pop_back();
      break;
  }
}

struct CrashOp {
  enum class Kind { kCreateTables, kCommit, kFork, kDrop };
  Kind kind = Kind::kCommit;
  uint64_t n = 0;
  std::string fork;  // written, forked from or dropped
  std::string name;  // kFork: the new fork
  std::vector<Step> steps;
  bool rollback = false;  // kCommit: Rollback() instead of Commit()
};

// Draws the steps of transaction n over one fork's state, applying each to
// a copy of the state as it goes so that the next one sees its effect.
class TxnDrawer {
 public:
  TxnDrawer(std::mt19937_64* rng, uint64_t n, ForkState state)
      : rng_(*rng), n_(static_cast<int64_t>(n)), st_(std::move(state)) {}

  std::vector<Step> Draw() {
    // The transaction's own row: its key is derived from n, its balance
    // comes from another row.
    if (st_.rows.empty()) {
      Emit({Step::Kind::kInsert, std::string(kLedger), {}, NewRow(0)});
    } else {
      const int64_t amount = Uniform(1, 1000);
      Emit({Step::Kind::kInsert, std::string(kLedger), {}, NewRow(amount)});
      AddTo(OtherId(-1), -amount);
    }
    const int64_t more = Uniform(0, 4);
    for (int64_t i = 0; i < more; ++i) {
      if (Uniform(0, 5) == 0) {
        // A savepoint around one or two operations, rolled back or kept.
        Emit({Step::Kind::kSavepoint, "", {}, {}});
        const int64_t inner = Uniform(1, 2);
        for (int64_t j = 0; j < inner; ++j) RowOperation();
        Emit({Uniform(0, 1) == 0 ? Step::Kind::kRollbackToSavepoint
                                 : Step::Kind::kReleaseSavepoint,
              "",
              {},
              {}});
      } else {
        RowOperation();
      }
    }
    Row meta = st_.meta;
    meta[kMetaCommits] = I(meta[kMetaCommits].integer() + 1);
    meta[kMetaRows] = I(static_cast<int64_t>(st_.rows.size()));
    meta[kMetaLast] = I(n_);
    Emit({Step::Kind::kUpdate, std::string(kMeta), {I(0)}, std::move(meta)});
    return std::move(steps_);
  }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  void Emit(Step s) {
    ApplyStep(s, &st_, &saves_);
    steps_.push_back(std::move(s));
  }
  int64_t NewSub() {
    assert(next_sub_ < kKeysPerTxn);
    return next_sub_++;
  }
  std::string NewAcct() {
    return "a" + std::to_string(n_) + "." + std::to_string(NewSub());
  }
  Value NewGrp() {
    return Uniform(0, 9) == 0 ? Value::Null() : I(Uniform(0, kGroups - 1));
  }
  // Mostly inline, sometimes in an overflow chain of several pages.
  std::string NewNote() {
    const int64_t size =
        Uniform(0, 9) == 0 ? Uniform(500, 2000) : Uniform(0, 150);
    std::string note = "n" + std::to_string(n_) + ":";
    note.resize(static_cast<size_t>(size),
                static_cast<char>('a' + Uniform(0, 25)));
    return note;
  }
  Row NewRow(int64_t balance) {
    const int64_t sub = NewSub();
    return {I(n_ * kKeysPerTxn + sub),
            T("a" + std::to_string(n_) + "." + std::to_string(sub)),
            NewGrp(),
            I(balance),
            I(n_),
            T(NewNote())};
  }
  // A random row's id other than `not_id`. REQUIRES: such a row exists.
  int64_t OtherId(int64_t not_id) {
    for (;;) {
      auto it =
          std::next(st_.rows.begin(),
                    Uniform(0, static_cast<int64_t>(st_.rows.size()) - 1));
      if (it->first != not_id) return it->first;
    }
  }
  // Adds `amount` to the row's balance, and may change its indexed columns.
  void AddTo(int64_t id, int64_t amount) {
    Row row = st_.rows.at(id);
    row[kBalance] = I(row[kBalance].integer() + amount);
    row[kTxn] = I(n_);
    if (Uniform(0, 1) == 0) row[kAcct] = T(NewAcct());
    if (Uniform(0, 1) == 0) row[kGrp] = NewGrp();
    if (Uniform(0, 3) == 0) row[kNote] = T(NewNote());
    Emit({Step::Kind::kUpdate, std::string(kLedger), {I(id)}, std::move(row)});
  }

  void RowOperation() {
    const int64_t dice = Uniform(0, 99);
    const size_t size = st_.rows.size();
    if (dice < 40 && size >= 2) {  // transfer
      const int64_t from = OtherId(INT64_MIN);
      const int64_t to = OtherId(from);
      const int64_t amount = Uniform(1, 500);
      AddTo(from, -amount);
      AddTo(to, amount);
    } else if (dice < 55 && size >= 2) {  // delete; another row takes its
                                          // balance
      const int64_t gone = OtherId(INT64_MIN);
      const int64_t heir = OtherId(gone);
      AddTo(heir, st_.rows.at(gone)[kBalance].integer());
      Emit({Step::Kind::kDelete, std::string(kLedger), {I(gone)}, {}});
    } else if (dice < 68 && size >= 1) {  // the row moves to a new key
      const int64_t id = OtherId(INT64_MIN);
      Row row = st_.rows.at(id);
      row[kId] = I(n_ * kKeysPerTxn + NewSub());
      row[kTxn] = I(n_);
      Emit(
          {Step::Kind::kUpdate, std::string(kLedger), {I(id)}, std::move(row)});
    } else if (dice < 80 && size >= 1) {  // conflicts: must change nothing
      const Row& victim = st_.rows.at(OtherId(INT64_MIN));
      if (Uniform(0, 2) == 0 && size >= 2) {
        Row row = st_.rows.at(OtherId(victim[kId].integer()));
        row[kAcct] = victim[kAcct];
        row[kBalance] = I(row[kBalance].integer() + 1);
        Row key = {row[kId]};
        Emit({Step::Kind::kUpdateConflict, std::string(kLedger), std::move(key),
              std::move(row)});
      } else {
        Row row = NewRow(1);
        if (Uniform(0, 1) == 0) {
          row[kAcct] = victim[kAcct];  // unique index violation
        } else {
          row[kId] = victim[kId];  // duplicate primary key
        }
        Emit({Step::Kind::kInsertConflict,
              std::string(kLedger),
              {},
              std::move(row)});
      }
    } else {  // an extra row with nothing in it
      Emit({Step::Kind::kInsert, std::string(kLedger), {}, NewRow(0)});
    }
  }

  std::mt19937_64& rng_;
  const int64_t n_;
  ForkState st_;
  std::vector<ForkState> saves_;
  std::vector<Step> steps_;
  int64_t next_sub_ = 0;
};

// Operation n, drawn from the seed, n and the model before it.
CrashOp DrawOp(uint64_t seed, uint64_t n, const Model& model) {
  std::mt19937_64 rng(Mix(seed, n));
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  CrashOp op;
  op.n = n;
  if (!model.at(std::string(kMainFork)).has_tables) {
    op.kind = CrashOp::Kind::kCreateTables;
    op.fork = std::string(kMainFork);
    return op;
  }
  std::vector<std::string> leaves;  // forks that may be dropped
  for (const auto& [name, fork] : model) {
    if (name == kMainFork) continue;
    bool has_child = false;
    for (const auto& [other, f] : model) has_child |= f.parent == name;
    if (!has_child) leaves.push_back(name);
  }
  const uint64_t dice = uniform(0, 99);
  auto random_fork = [&] {
    return std::next(model.begin(), uniform(0, model.size() - 1))->first;
  };
  if (dice < 6 && model.size() < kForksMax) {
    op.kind = CrashOp::Kind::kFork;
    op.fork = random_fork();
    op.name = "f" + std::to_string(n);
  } else if (dice < 10 && !leaves.empty()) {
    op.kind = CrashOp::Kind::kDrop;
    op.fork = leaves[uniform(0, leaves.size() - 1)];
  } else {
    op.kind = CrashOp::Kind::kCommit;
    op.fork = random_fork();
    op.rollback = dice >= 94;
    op.steps = TxnDrawer(&rng, n, model.at(op.fork).state).Draw();
  }
  return op;
}

void ApplyToModel(const CrashOp& op, Model* model) {
  switch (op.kind) {
    case CrashOp::Kind::kCreateTables: {
      ForkModel& main = model->at(op.fork);
      main.has_tables = true;
      main.state.meta = {I(0), I(0), I(0), I(0)};
      ++main.commit_seq;
      break;
    }
    case CrashOp::Kind::kFork: {
      ForkModel child = model->at(op.fork);
      child.parent = op.fork;
      child.commit_seq = 0;
      (*model)[op.name] = std::move(child);
      break;
    }
    case CrashOp::Kind::kDrop:
      model->erase(op.fork);
      break;
    case CrashOp::Kind::kCommit: {
      if (op.rollback) break;
      ForkModel& fork = model->at(op.fork);
      std::vector<ForkState> saves;
      for (const Step& s : op.steps) ApplyStep(s, &fork.state, &saves);
      ++fork.commit_seq;
      break;
    }
  }
}

// ---------------------------------------------------------------- the database

Status ApplyStepToDatabase(const Step& s, Transaction& txn) {
  switch (s.kind) {
    case Step::Kind::kInsert: {
      FORKDB_ASSIGN_OR_RETURN(Row key, txn.Insert(s.table, s.row));
      if (!(key == Row{s.row[0]}))
        return Status::Aborted("Insert returned key ", RowString(key));
      return Status();
    }
    case Step::Kind::kUpdate:
      return txn.Update(s.table, s.key, s.row);
    case Step::Kind::kDelete:
      return txn.Delete(s.table, s.key);
    case Step::Kind::kInsertConflict:
    case Step::Kind::kUpdateConflict: {
      Status st = s.kind == Step::Kind::kInsertConflict
                      ? txn.Insert(s.table, s.row).status()
                      : txn.Update(s.table, s.key, s.row);
      if (!st.IsInvalidArgument()) {
        return Status::Aborted("a conflicting write of ", RowString(s.row),
                               " returned ", st.ToString());
      }
      return Status();
    }
    case Step::Kind::kSavepoint:
      return txn.Savepoint();
    case Step::Kind::kRollbackToSavepoint:
      return txn.RollbackToSavepoint();
    case Step::Kind::kReleaseSavepoint:
      return txn.ReleaseSavepoint();
  }
  return Status();
}

Status CreateTables(Transaction& txn) {
  FORKDB_RETURN_IF_ERROR(
      txn.CreateTable(
             {std::string(kLedger),
              {Col("id", Type::kInteger, true), Col("acct", Type::kText, true),
               Col("grp", Type::kInteger), Col("balance", Type::kInteger, true),
               Col("txn", Type::kInteger), Col("note", Type::kText)},
              {"id"}})
          .status());
  FORKDB_RETURN_IF_ERROR(
      txn.CreateIndex(kLedger, kAcctIndex, {"acct"}, true).status());
  FORKDB_RETURN_IF_ERROR(
      txn.CreateIndex(kLedger, kGrpIndex, {"grp"}, false).status());
  FORKDB_RETURN_IF_ERROR(
      txn.CreateTable(
             {std::string(kMeta),
              {Col("k", Type::kInteger, true), Col("commits", Type::kInteger),
               Col("rows", Type::kInteger), Col("last", Type::kInteger)},
              {"k"}})
          .status());
  return txn.Insert(kMeta, {I(0), I(0), I(0), I(0)}).status();
}

Status ApplyToDatabase(const CrashOp& op, Database& db) {
  switch (op.kind) {
    case CrashOp::Kind::kCreateTables: {
      FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin(op.fork));
      FORKDB_RETURN_IF_ERROR(CreateTables(txn));
      return txn.Commit();
    }
    case CrashOp::Kind::kFork:
      return db.CreateFork(op.name, op.fork).status();
    case CrashOp::Kind::kDrop:
      return db.DropFork(op.fork);
    case CrashOp::Kind::kCommit: {
      FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin(op.fork));
      for (size_t i = 0; i < op.steps.size(); ++i) {
        FORKDB_RETURN_IF_ERROR(ApplyStepToDatabase(op.steps[i], txn)
                                   .WithContext("step " + std::to_string(i)));
      }
      if (op.rollback) {
        txn.Rollback();
        return Status();
      }
      return txn.Commit();
    }
  }
  return Status();
}

Options CrashOptions() {
  Options options;
  options.sync = true;
  options.page_size = kPageSize;
  options.cache_bytes = size_t{4} << 20;
  return options;
}

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

std::string RowsDiff(const std::vector<Row>& got,
                     const std::vector<Row>& want) {
  for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    if (i >= got.size()) return "row missing: " + RowString(want[i]);
    if (i >= want.size()) return "unexpected row " + RowString(got[i]);
    if (!(got[i] == want[i])) {
      return "row " + std::to_string(i) + " is " + RowString(got[i]) +
             ", expected " + RowString(want[i]);
    }
  }
  return "";
}

// "" if the database holds exactly the model, else the first difference.
std::string CompareWithModel(Database& db, const Model& model) {
  std::vector<ForkInfo> forks = db.ListForks();
  if (forks.size() != model.size()) {
    return std::to_string(forks.size()) + " forks, model has " +
           std::to_string(model.size());
  }
  for (const ForkInfo& info : forks) {
    auto it = model.find(info.name);
    if (it == model.end()) return "unexpected fork " + info.name;
    const ForkModel& m = it->second;
    const std::string where = "fork " + info.name + ": ";
    if (info.parent != m.parent) {
      return where + "parent '" + info.parent + "', model '" + m.parent + "'";
    }
    if (info.commit_seq != m.commit_seq) {
      return where + "commit_seq " + std::to_string(info.commit_seq) +
             ", model " + std::to_string(m.commit_seq);
    }
    Result<Snapshot> snap = db.GetSnapshot(info.name);
    if (!snap.ok()) return where + snap.status().ToString();
    Result<std::vector<TableDef>> tables = snap->ListTables();
    if (!tables.ok()) return where + tables.status().ToString();
    if (!m.has_tables) {
      if (!tables->empty()) return where + "tables before they were created";
      continue;
    }
    if (tables->size() != 2) {
      return where + std::to_string(tables->size()) + " tables, expected 2";
    }
    Result<std::vector<Row>> rows = ScanAll(*snap, kLedger, false);
    if (!rows.ok()) return where + rows.status().ToString();
    std::vector<Row> want;
    for (const auto& [id, row] : m.state.rows) want.push_back(row);
    if (std::string d = RowsDiff(*rows, want); !d.empty()) return where + d;
    Result<std::vector<Row>> meta = ScanAll(*snap, kMeta, false);
    if (!meta.ok()) return where + meta.status().ToString();
    if (std::string d = RowsDiff(*meta, {m.state.meta}); !d.empty())
      return where + "meta: " + d;
  }
  return "";
}

// "" if the fork keeps its invariants and its indexes agree with its rows,
// else the first problem. Independent of the model.
std::string CheckForkInvariants(Database& db, const ForkInfo& info) {
  const std::string where = "fork " + info.name + ": ";
  Result<Snapshot> snap = db.GetSnapshot(info.name);
  if (!snap.ok()) return where + snap.status().ToString();
  Result<std::vector<TableDef>> tables = snap->ListTables();
  if (!tables.ok()) return where + tables.status().ToString();
  if (tables->empty()) return "";  // killed before the tables were made
  Result<std::vector<Row>> rows = ScanAll(*snap, kLedger, false);
  if (!rows.ok()) return where + rows.status().ToString();
  Result<std::optional<Row>> meta = snap->Get(kMeta, {I(0)});
  if (!meta.ok()) return where + meta.status().ToString();
  if (!meta->has_value()) return where + "no meta row";
  const Row& m = **meta;

  // The invariants every transaction keeps.
  int64_t sum = 0;
  for (const Row& row : *rows) sum += row[kBalance].integer();
  if (sum != 0) return where + "balances sum to " + std::to_string(sum);
  if (m[kMetaRows] != I(static_cast<int64_t>(rows->size()))) {
    return where + std::to_string(rows->size()) + " rows, the meta row says " +
           m[kMetaRows].ToString();
  }
  for (const Row& row : *rows) {
    if (row[kTxn].integer() > m[kMetaLast].integer()) {
      return where + "row " + RowString(row) +
             " written after the last transaction " + m[kMetaLast].ToString();
    }
  }

  // Backward scan.
  Result<std::vector<Row>> back = ScanAll(*snap, kLedger, true);
  if (!back.ok()) return where + back.status().ToString();
  std::reverse(back->begin(), back->end());
  if (std::string d = RowsDiff(*back, *rows); !d.empty())
    return where + "backward scan: " + d;

  // Index lookups against the scan.
  for (const Row& row : *rows) {
    Result<std::optional<Row>> got = snap->Get(kLedger, {row[kId]});
    if (!got.ok()) return where + got.status().ToString();
    if (!got->has_value() || !(**got == row))
      return where + "Get of " + RowString(row) + " disagrees with the scan";
    Result<std::vector<Row>> by_acct =
        snap->IndexLookup(kLedger, kAcctIndex, {row[kAcct]});
    if (!by_acct.ok()) return where + by_acct.status().ToString();
    if (std::string d = RowsDiff(*by_acct, {row}); !d.empty())
      return where + "IndexLookup(" + row[kAcct].ToString() + "): " + d;
  }
  for (int64_t g = 0; g < kGroups; ++g) {
    std::vector<Row> want;
    for (const Row& row : *rows)
      if (row[kGrp] == I(g)) want.push_back(row);
    Result<std::vector<Row>> by_grp =
        snap->IndexLookup(kLedger, kGrpIndex, {I(g)});
    if (!by_grp.ok()) return where + by_grp.status().ToString();
    if (std::string d = RowsDiff(*by_grp, want); !d.empty())
      return where + "IndexLookup(grp " + std::to_string(g) + "): " + d;
  }
  // The whole of each index, in index order: (grp, id) with NULLs first, and
  // acct.
  std::vector<Row> by_grp_want = *rows;
  std::stable_sort(
      by_grp_want.begin(), by_grp_want.end(),
      [](const Row& a, const Row& b) { return Compare(a[kGrp], b[kGrp]) < 0; });
  std::vector<Row> by_acct_want = *rows;
  std::sort(by_acct_want.begin(), by_acct_want.end(),
            [](const Row& a, const Row& b) {
              return Compare(a[kAcct], b[kAcct]) < 0;
            });
  for (auto [index, want] : {std::pair{kGrpIndex, &by_grp_want},
                             std::pair{kAcctIndex, &by_acct_want}}) {
    Result<std::vector<Row>> all = snap->IndexLookup(kLedger, index, {});
    if (!all.ok()) return where + all.status().ToString();
    if (std::string d = RowsDiff(*all, *want); !d.empty())
      return where + "whole index " + std::string(index) + ": " + d;
  }
  return "";
}

// ---------------------------------------------------------------- the child
// No gtest, no exceptions; ends only by _exit or SIGKILL.

struct ChildPlan {
  std::string path;
  uint64_t seed = 0;
  uint64_t first_op = 1;  // the first operation number to run
  uint64_t ops = 0;       // how many to run before waiting to be killed
  Model model;            // the state before first_op
};

[[noreturn]] void ChildMain(const ChildPlan& plan, int ack_fd) {
  Result<Database> opened = Database::Open(plan.path, CrashOptions());
  if (!opened.ok()) ChildDie("open", opened.status());
  Database db = std::move(opened).value();
  Model model = plan.model;
  std::mt19937_64 rng(Mix(plan.seed ^ 0x5eedull, plan.first_op));
  std::vector<Snapshot> snapshots;  // never released: killed
  for (uint64_t n = plan.first_op; n < plan.first_op + plan.ops; ++n) {
    CrashOp op = DrawOp(plan.seed, n, model);
    Status s = ApplyToDatabase(op, db);
    if (!s.ok()) ChildDie("operation " + std::to_string(n), s);
    ApplyToModel(op, &model);
    ChildAck(ack_fd, n);
    if (rng() % 6 == 0 && snapshots.size() < 2) {
      auto fork = std::next(model.begin(), rng() % model.size())->first;
      Result<Snapshot> snap = db.GetSnapshot(fork);
      if (!snap.ok()) ChildDie("snapshot", snap.status());
      snapshots.push_back(std::move(snap).value());
    }
  }
  ChildAck(ack_fd, kAckDone);
  for (;;) pause();
}

// ---------------------------------------------------------------- the parent

struct CrashStats {
  int kills = 0;
  int kills_before_first_ack = 0;
  int kills_after_last_op = 0;
  int in_flight_survived = 0;
  uint64_t acked = 0;
  uint64_t commits_acked = 0;
  uint64_t forks_acked = 0;
  uint64_t drops_acked = 0;
  uint64_t rows_checked = 0;
};

// One kill: runs a child from `*next_op` on `*model`, kills it, and checks the
// reopened database; on return `*model` and `*next_op` describe what
// survived.
void KillAndVerify(const std::string& path, uint64_t seed, uint64_t ops,
                   bool kill_after_acks, uint64_t acks_before_kill,
                   uint64_t delay_us, Model* model, uint64_t* next_op,
                   CrashStats* stats) {
  ChildPlan plan{path, seed, *next_op, ops, *model};
  uint64_t acked = *next_op - 1;
  bool done = false, hung = false;
  auto take_ack = [&](std::optional<uint64_t> ack) {
    if (*ack == kAckDone) {
      done = true;
    } else {
      EXPECT_EQ(*ack, acked + 1) << "acknowledgements out of order";
      acked = *ack;
    }
  };
  {
    Child child([&](int ack_fd) { ChildMain(plan, ack_fd); });
    ASSERT_TRUE(child.started()) << std::strerror(errno);
    if (kill_after_acks) {
      for (uint64_t i = 0; i < acks_before_kill && !done; ++i) {
        std::optional<uint64_t> ack = child.NextAck(&hung);
        if (!ack) break;
        take_ack(ack);
      }
    }
    // In ack mode the delay is short, to land inside the next operation.
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    int status = child.Kill();
    ASSERT_FALSE(hung) << "child acknowledged nothing for "
                       << kChildSilenceMaxMs << " ms";
    // Acknowledgements written before the kill are still in the pipe.
    while (!done) {
      std::optional<uint64_t> ack = child.NextAck(&hung);
      if (!ack) break;
      take_ack(ack);
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child died by itself (exit status " << status
        << "); its stderr says why";
  }
  ++stats->kills;
  if (acked == *next_op - 1) ++stats->kills_before_first_ack;
  if (done) ++stats->kills_after_last_op;
  stats->acked += acked - (*next_op - 1);

  // The model after every acknowledged operation, and after the one in flight.
  Model at_acked = *model;
  for (uint64_t n = *next_op; n <= acked; ++n) {
    CrashOp op = DrawOp(seed, n, at_acked);
    stats->commits_acked += op.kind == CrashOp::Kind::kCommit && !op.rollback;
    stats->forks_acked += op.kind == CrashOp::Kind::kFork;
    stats->drops_acked += op.kind == CrashOp::Kind::kDrop;
    ApplyToModel(op, &at_acked);
  }
  Model in_flight = at_acked;
  ApplyToModel(DrawOp(seed, acked + 1, in_flight), &in_flight);

  Result<Database> opened = Database::Open(path, CrashOptions());
  ASSERT_TRUE(opened.ok()) << "reopen after the kill: "
                           << opened.status().ToString();
  Database db = std::move(opened).value();
  // A database killed while it was being created is created again with the
  // page size asked for (the test below pins the case down).
  EXPECT_EQ(db.page_size(), kPageSize);
  std::string diff = CompareWithModel(db, at_acked);
  if (diff.empty()) {
    *model = std::move(at_acked);
    *next_op = acked + 1;
  } else {
    std::string diff_in_flight =
        done ? "no operation was in flight" : CompareWithModel(db, in_flight);
    ASSERT_TRUE(diff_in_flight.empty())
        << "after " << acked << " acknowledged operations the database is "
        << "neither that state (" << diff << ") nor the next one ("
        << diff_in_flight << ")";
    *model = std::move(in_flight);
    *next_op = acked + 2;
    ++stats->in_flight_survived;
  }
  for (const ForkInfo& info : db.ListForks()) {
    std::string problem = CheckForkInvariants(db, info);
    ASSERT_TRUE(problem.empty()) << problem;
    stats->rows_checked += model->at(info.name).state.rows.size();
  }
  Result<std::vector<std::string>> problems = db.Check();
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  for (const std::string& p : *problems) ADD_FAILURE() << "Check(): " << p;
  ASSERT_TRUE(problems->empty());
}

TEST(EngineCrashTest,
     Invariant3_AcknowledgedCommitsSurviveKillNoPartialTransactionIsVisible) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  const int kills = cow::LongTests() ? 2000 : 200;
  CrashStats stats;
  std::unique_ptr<cow::ScratchDir> dir;
  Model model;
  uint64_t next_op = 1;
  uint64_t ops_seed = 0;
  for (int i = 0; i < kills; ++i) {
    if (i % kKillsPerDatabase == 0) {
      // Each database runs its own sequence of operations.
      dir = std::make_unique<cow::ScratchDir>();
      model = InitialModel();
      next_op = 1;
      ops_seed = Mix(seed, static_cast<uint64_t>(i / kKillsPerDatabase));
    }
    const uint64_t ops = uniform(1, 20);
    const bool kill_after_acks = uniform(0, 2) != 0;
    const uint64_t acks_before_kill = uniform(0, ops);
    const uint64_t delay_us =
        kill_after_acks ? uniform(0, 1) * uniform(0, 3000) : uniform(0, 60000);
    SCOPED_TRACE("kill " + std::to_string(i) + " from operation " +
                 std::to_string(next_op) +
                 (kill_after_acks
                      ? ", after " + std::to_string(acks_before_kill) + " acks"
                      : ", after " + std::to_string(delay_us) + " us"));
    ASSERT_NO_FATAL_FAILURE(KillAndVerify(dir->path() + "/db", ops_seed, ops,
                                          kill_after_acks, acks_before_kill,
                                          delay_us, &model, &next_op, &stats));
  }
  std::cout << "[ crash    ] " << stats.kills << " kills, " << stats.acked
            << " acknowledged operations verified (" << stats.commits_acked
            << " commits, " << stats.forks_acked << " forks, "
            << stats.drops_acked << " drops), " << stats.in_flight_survived
            << " in-flight operations survived, "
            << stats.kills_before_first_ack
            << " kills before any acknowledgement, "
            << stats.kills_after_last_op << " after the last operation, "
            << stats.rows_checked << " rows checked against the indexes\n";
  EXPECT_GT(stats.commits_acked, static_cast<uint64_t>(kills));
  EXPECT_GT(stats.forks_acked, 0u);
  EXPECT_GT(stats.drops_acked, 0u);
}

// A database killed after RocksDB created its files but before the store
// wrote its meta record (the state cow::RocksDBBlockStore::Open() leaves) is
// created again with the page size Options asks for, not the default one.
// The crash test above meets this when a kill lands in the first open.
TEST(EngineCrashTest, DatabaseKilledWhileBeingCreatedKeepsPageSize) {
  cow::ScratchDir dir;
  const std::string path = dir.path() + "/db";
  {
    cow::RocksDBOptions options;
    options.block_size = kPageSize;
    ENGINE_ASSERT_OK(cow::RocksDBBlockStore::Open(path, options));
  }
  ENGINE_ASSERT_OK_AND_ASSIGN(Database db,
                              Database::Open(path, CrashOptions()));
  EXPECT_EQ(db.page_size(), kPageSize);
}

}  // namespace
}  // namespace forkdb::engine
