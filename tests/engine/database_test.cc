// Tests for the public API (forkdb/database.h): opening both kinds of
// database, rows and scans through transactions and snapshots, isolation
// between forks and from snapshots, the fork tree and its drop rules,
// savepoints, atomicity of failed calls, handles destroyed in any order, the
// commit hook's change lists (and its writes landing in the same commit or
// not at all), and the integrity check.
#include "forkdb/database.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/btree.h"
#include "engine/catalog.h"
#include "engine/commit_hook.h"
#include "tests/cow/forkdb_tool.h"
#include "tests/cow/test_util.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using test::Col;

Value I(int64_t v) { return Value::Integer(v); }
Value T(std::string v) { return Value::Text(std::move(v)); }

TableSpec KV(std::string name = "kv") {
  return TableSpec{std::move(name),
                   {Col("k", Type::kInteger, true), Col("v", Type::kText)},
                   {"k"}};
}

// Every row of the table, in key order.
std::vector<Row> Rows(const Reader& r, std::string_view table,
                      ScanRange range = {}) {
  std::vector<Row> out;
  Result<Cursor> c = r.Scan(table, range);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return out;
  while (c->Valid()) {
    out.push_back(c->row());
    EXPECT_TRUE(c->Next().ok());
  }
  EXPECT_TRUE(c->status().ok());
  return out;
}

class DatabaseTest : public ::testing::TestWithParam<cow::Backend> {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    db_ = Database();
    Result<Database> db = GetParam() == cow::Backend::kRocksDB
                              ? Database::Open(dir_.path())
                              : Database::Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }

  // Creates kv in main with rows 1..n ("v1", ...).
  void Seed(int n) {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    ENGINE_ASSERT_OK(txn.CreateTable(KV()));
    for (int i = 1; i <= n; ++i)
      ENGINE_ASSERT_OK(txn.Insert("kv", {I(i), T("v" + std::to_string(i))}));
    ENGINE_ASSERT_OK(txn.Commit());
  }

  std::optional<Row> GetRow(std::string_view fork, int64_t k) {
    Result<Snapshot> snap = db_.GetSnapshot(fork);
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    if (!snap.ok()) return std::nullopt;
    Result<std::optional<Row>> row = snap->Get("kv", {I(k)});
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    return row.ok() ? *row : std::nullopt;
  }

  cow::ScratchDir dir_;
  Database db_;
};

TEST_P(DatabaseTest, NewDatabaseHasMainOnly) {
  std::vector<ForkInfo> forks = db_.ListForks();
  ASSERT_EQ(forks.size(), 1u);
  EXPECT_EQ(forks[0].name, "main");
  EXPECT_TRUE(forks[0].parent.empty());
  EXPECT_EQ(db_.durable(), GetParam() == cow::Backend::kRocksDB);
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot("main"));
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<TableDef> tables, snap.ListTables());
  EXPECT_TRUE(tables.empty());
}

TEST_P(DatabaseTest, WriteReadScanBothDirections) {
  Seed(50);
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot("main"));
  EXPECT_EQ(Rows(snap, "kv").size(), 50u);
  std::vector<Row> back =
      Rows(snap, "kv", ScanRange{Row{I(10)}, Row{I(20)}, true});
  ASSERT_EQ(back.size(), 10u);
  EXPECT_EQ(back.front()[0], I(19));
  EXPECT_EQ(back.back()[0], I(10));
  ENGINE_ASSERT_OK_AND_ASSIGN(std::optional<Row> row, snap.Get("KV", {I(7)}));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*row)[1], T("v7"));
  EXPECT_TRUE(snap.Get("missing", {I(1)}).status().IsNotFound());
  EXPECT_TRUE(snap.Get("kv", {I(1), I(2)}).status().IsInvalidArgument());

  ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
  ENGINE_ASSERT_OK(txn.Update("kv", {I(7)}, {I(7), T("seven")}));
  ENGINE_ASSERT_OK(txn.Delete("kv", {I(8)}));
  EXPECT_TRUE(txn.Delete("kv", {I(8)}).IsNotFound());
  EXPECT_TRUE(txn.Insert("kv", {I(9), T("dup")}).status().IsInvalidArgument());
  // The transaction reads its own writes; the older snapshot does not.
  ENGINE_ASSERT_OK_AND_ASSIGN(row, txn.Get("kv", {I(7)}));
  EXPECT_EQ((*row)[1], T("seven"));
  ENGINE_ASSERT_OK(txn.Commit());
  ENGINE_ASSERT_OK_AND_ASSIGN(row, snap.Get("kv", {I(7)}));
  EXPECT_EQ((*row)[1], T("v7"));
  EXPECT_EQ((*GetRow("main", 7))[1], T("seven"));
  EXPECT_FALSE(GetRow("main", 8).has_value());
}

TEST_P(DatabaseTest, ForksAreIsolatedAndRecordTheirOrigin) {
  Seed(10);
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo info, db_.CreateFork("green", "main"));
  EXPECT_EQ(info.parent, "main");
  EXPECT_EQ(info.fork_point, 1u);
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("green"));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(1), T("green")}));
    ENGINE_ASSERT_OK(txn.Commit());
  }
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(1), T("blue")}));
    ENGINE_ASSERT_OK(txn.Commit());
  }
  EXPECT_EQ((*GetRow("green", 1))[1], T("green"));
  EXPECT_EQ((*GetRow("main", 1))[1], T("blue"));
  // The base snapshot is main at the fork point.
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot base, db_.GetBaseSnapshot("green"));
  EXPECT_EQ(base.fork(), "main");
  EXPECT_EQ(base.commit_seq(), 1u);
  ENGINE_ASSERT_OK_AND_ASSIGN(std::optional<Row> row, base.Get("kv", {I(1)}));
  EXPECT_EQ((*row)[1], T("v1"));
  EXPECT_TRUE(db_.GetBaseSnapshot("main").status().IsNotFound());

  // A fork of a snapshot starts from the snapshot's state.
  ENGINE_ASSERT_OK(db_.CreateFork("old", base).status());
  EXPECT_EQ((*GetRow("old", 1))[1], T("v1"));
  ENGINE_ASSERT_OK_AND_ASSIGN(info, db_.GetFork("old"));
  EXPECT_EQ(info.parent, "main");

  ENGINE_ASSERT_OK_AND_ASSIGN(ForkSpace space, db_.Space("green"));
  EXPECT_GT(space.own_pages, 0u);
  EXPECT_GT(space.shared_pages, 0u);
  // Read-only forks refuse writers.
  ENGINE_ASSERT_OK(db_.CreateFork("ro", "green", {.read_only = true}).status());
  EXPECT_TRUE(db_.Begin("ro").status().IsInvalidArgument());
  EXPECT_EQ((*GetRow("ro", 1))[1], T("green"));

  EXPECT_EQ(db_.ListForks().size(), 4u);
}

TEST_P(DatabaseTest, DropRules) {
  Seed(5);
  ENGINE_ASSERT_OK(db_.CreateFork("a", "main").status());
  ENGINE_ASSERT_OK(db_.CreateFork("a1", "a").status());
  {
    // In use: an open transaction.
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("a1"));
    EXPECT_TRUE(db_.DropFork("a1").IsBusy());
  }
  // a has a parent and a live child that needs its base.
  Status s = db_.DropFork("a");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("a1"), std::string::npos) << s.ToString();
  // main has no parent: it can go, and its child lives on.
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot main_snap, db_.GetSnapshot("main"));
  ENGINE_ASSERT_OK(db_.DropFork("main"));
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo a, db_.GetFork("a"));
  EXPECT_TRUE(a.parent.empty());
  EXPECT_TRUE(a.parent_dropped);
  EXPECT_TRUE(GetRow("a", 3).has_value());
  // An open snapshot of the dropped fork stays readable.
  EXPECT_EQ(Rows(main_snap, "kv").size(), 5u);
  ENGINE_ASSERT_OK(db_.DropFork("a1"));
  ENGINE_ASSERT_OK(db_.DropFork("a"));
  EXPECT_TRUE(db_.DropFork("a").IsNotFound());
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db_.Check());
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST_P(DatabaseTest, SavepointsAndFailedCallsChangeNothing) {
  Seed(3);
  ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
  ENGINE_ASSERT_OK(txn.CreateIndex("kv", "kv_v", {"v"}, true));
  ENGINE_ASSERT_OK(txn.Savepoint());
  ENGINE_ASSERT_OK(txn.Insert("kv", {I(4), T("v4")}).status());
  ENGINE_ASSERT_OK(txn.Savepoint());
  ENGINE_ASSERT_OK(txn.DropIndex("kv_v"));
  ENGINE_ASSERT_OK(txn.Insert("kv", {I(5), T("v4")}).status());
  ENGINE_ASSERT_OK(txn.RollbackToSavepoint());
  // The index is back, and it is enforced.
  EXPECT_TRUE(txn.Insert("kv", {I(5), T("v4")}).status().IsInvalidArgument());
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> hits,
                              txn.IndexLookup("kv", "kv_v", {T("v4")}));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0][0], I(4));
  ENGINE_ASSERT_OK(txn.RollbackToSavepoint());
  EXPECT_TRUE(txn.RollbackToSavepoint().IsInvalidArgument());
  EXPECT_EQ(Rows(txn, "kv").size(), 3u);
  // A failed unique index creation leaves no index.
  ENGINE_ASSERT_OK(txn.DropIndex("kv_v"));
  ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, {I(3), T("v1")}));
  EXPECT_TRUE(
      txn.CreateIndex("kv", "bad", {"v"}, true).status().IsInvalidArgument());
  EXPECT_TRUE(txn.IndexLookup("kv", "bad", {T("v1")}).status().IsNotFound());
  ENGINE_ASSERT_OK(txn.Commit());
  EXPECT_TRUE(txn.Insert("kv", {I(9), T("x")}).status().IsInvalidArgument());
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db_.Check());
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST_P(DatabaseTest, RollbackAndOneWriterPerFork) {
  Seed(2);
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    EXPECT_TRUE(db_.Begin("main").status().IsBusy());
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(3), T("v3")}).status());
    txn.Rollback();
    txn.Rollback();
    EXPECT_FALSE(txn.active());
  }
  {
    // Destroying an open transaction rolls it back.
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(3), T("v3")}).status());
  }
  EXPECT_FALSE(GetRow("main", 3).has_value());
  ENGINE_ASSERT_OK(db_.Begin("main").status());
}

TEST_P(DatabaseTest, HandlesOutliveTheDatabase) {
  Seed(20);
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot("main"));
  ENGINE_ASSERT_OK_AND_ASSIGN(Cursor cursor, snap.Scan("kv"));
  ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
  db_ = Database();  // the last Database handle goes first
  ENGINE_ASSERT_OK(txn.Insert("kv", {I(100), T("late")}).status());
  ENGINE_ASSERT_OK(txn.Commit());
  int n = 0;
  while (cursor.Valid()) {
    ++n;
    ENGINE_ASSERT_OK(cursor.Next());
  }
  EXPECT_EQ(n, 20);
  snap = Snapshot();
  txn = Transaction();
  // The cursor goes last, holding the store.
}

TEST_P(DatabaseTest, DurableReopenKeepsForksAndRows) {
  if (GetParam() != cow::Backend::kRocksDB) GTEST_SKIP() << "durable only";
  Seed(100);
  ENGINE_ASSERT_OK(db_.CreateFork("f", "main").status());
  Open();
  EXPECT_EQ(db_.ListForks().size(), 2u);
  EXPECT_EQ((*GetRow("f", 42))[1], T("v42"));
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db_.Check());
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST_P(DatabaseTest, CommitHookSeesEveryChangeInOrder) {
  std::vector<ChangeSet> seen;
  db_.SetCommitHook([&](const ChangeSet& c, CommitContext&) {
    seen.push_back(c);
    return Status();
  });
  Seed(2);
  ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
  ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(10), T("moved")}));
  ENGINE_ASSERT_OK(txn.Savepoint());
  ENGINE_ASSERT_OK(txn.Delete("kv", {I(2)}));
  ENGINE_ASSERT_OK(txn.RollbackToSavepoint());  // takes the delete back
  EXPECT_TRUE(txn.Insert("kv", {I(10), T("dup")}).status().IsInvalidArgument());
  txn.SetStatement("ALTER TABLE kv ADD COLUMN n INTEGER");
  ENGINE_ASSERT_OK(txn.AddColumn("kv", Col("n", Type::kInteger)));
  ENGINE_ASSERT_OK(txn.Delete("kv", {I(2)}));
  ENGINE_ASSERT_OK(txn.Commit());

  ASSERT_EQ(seen.size(), 2u);
  const ChangeSet& seed = seen[0];
  EXPECT_EQ(seed.fork, "main");
  EXPECT_EQ(seed.commit_seq, 1u);
  ASSERT_EQ(seed.changes.size(), 3u);
  EXPECT_EQ(std::get<SchemaChange>(seed.changes[0]).kind,
            SchemaChange::Kind::kCreateTable);
  EXPECT_FALSE(std::get<SchemaChange>(seed.changes[0]).before.has_value());
  EXPECT_EQ(std::get<SchemaChange>(seed.changes[0]).after->name, "kv");
  EXPECT_EQ(std::get<SchemaChange>(seed.changes[0]).statement, "");
  const auto& ins = std::get<RowChange>(seed.changes[2]);
  EXPECT_EQ(ins.kind, RowChange::Kind::kInsert);
  EXPECT_EQ(ins.key, (Row{I(2)}));
  EXPECT_FALSE(ins.before.has_value());
  EXPECT_EQ(*ins.after, (Row{I(2), T("v2")}));

  const ChangeSet& c = seen[1];
  EXPECT_EQ(c.commit_seq, 2u);
  ASSERT_EQ(c.changes.size(), 3u);
  const auto& upd = std::get<RowChange>(c.changes[0]);
  EXPECT_EQ(upd.kind, RowChange::Kind::kUpdate);
  EXPECT_EQ(upd.key, (Row{I(1)}));
  EXPECT_EQ(*upd.before, (Row{I(1), T("v1")}));
  EXPECT_EQ(*upd.after, (Row{I(10), T("moved")}));
  const auto& alter = std::get<SchemaChange>(c.changes[1]);
  EXPECT_EQ(alter.kind, SchemaChange::Kind::kAlterTable);
  EXPECT_EQ(alter.before->columns.size(), 2u);
  EXPECT_EQ(alter.after->columns.size(), 3u);
  EXPECT_EQ(alter.statement, "ALTER TABLE kv ADD COLUMN n INTEGER");
  const auto& del = std::get<RowChange>(c.changes[2]);
  EXPECT_EQ(del.kind, RowChange::Kind::kDelete);
  EXPECT_EQ(*del.before, (Row{I(2), T("v2"), Value::Null()}));
  EXPECT_FALSE(del.after.has_value());
}

TEST_P(DatabaseTest, CommitHookWritesLandAtomicallyWithTheData) {
  // The hook keeps a page of its own, as the binlog will: it notes what the
  // page held when the commit began, then writes this commit's change count.
  constexpr int kSlot = 15;
  bool fail = false;
  std::vector<std::string> found;
  db_.SetCommitHook([&](const ChangeSet& c, CommitContext& ctx) -> Status {
    PageWriter* pages = ctx.pages();
    FORKDB_ASSIGN_OR_RETURN(PageNo page, GetRootSlot(pages, kSlot));
    if (page == 0) {
      found.push_back("");
      FORKDB_ASSIGN_OR_RETURN(page, pages->AllocatePage());
      FORKDB_RETURN_IF_ERROR(pages->SetRootSlot(kSlot, page));
    } else {
      FORKDB_ASSIGN_OR_RETURN(cow::BlockRef bytes, pages->ReadPage(page));
      found.emplace_back(bytes->data());  // zero-padded: a C string
    }
    FORKDB_RETURN_IF_ERROR(
        pages->WritePage(page, "changes=" + std::to_string(c.changes.size())));
    if (fail) return Status::IOError("hook failed on purpose");
    return Status();
  });
  Seed(3);  // 4 changes: the table and 3 rows
  auto insert = [&](int64_t k) {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(k), T("x")}).status());
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(k + 1), T("x")}).status());
    Status s = txn.Commit();
    EXPECT_EQ(s.ok(), !fail) << s.ToString();
    EXPECT_FALSE(txn.active());
  };
  fail = true;
  insert(10);  // the hook writes "changes=2", then fails the commit
  EXPECT_FALSE(GetRow("main", 10).has_value());
  fail = false;
  insert(20);
  EXPECT_TRUE(GetRow("main", 20).has_value());
  insert(30);
  EXPECT_EQ(found, (std::vector<std::string>{"", "changes=4", "changes=4",
                                             "changes=2"}));
  // Without a hook the changes are still recorded (the binlog needs them),
  // and no hook runs.
  db_.SetCommitHook(nullptr);
  ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
  ENGINE_ASSERT_OK(txn.Insert("kv", {I(4), T("v4")}).status());
  EXPECT_EQ(txn.changes().changes.size(), 1u);
  ENGINE_ASSERT_OK(txn.Commit());
  EXPECT_EQ(found.size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest,
                         ::testing::Values(cow::Backend::kMemory,
                                           cow::Backend::kRocksDB),
                         [](const auto& info) {
                           return info.param == cow::Backend::kMemory
                                      ? "Memory"
                                      : "RocksDB";
                         });

// A table whose index lost an entry (written with valid checksums, so only
// the engine's check can see it) is reported by Database::Check() and by
// `forkdb check`, naming the fork, table and index.
TEST(DatabaseCheckTest, FindsAnIndexThatDisagreesWithItsTable) {
  cow::ScratchDir dir;
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(dir.path()));
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db.Begin("main"));
    ENGINE_ASSERT_OK(txn.CreateTable(KV()));
    for (int i = 0; i < 200; ++i)
      ENGINE_ASSERT_OK(txn.Insert("kv", {I(i), T("v" + std::to_string(i))}));
    ENGINE_ASSERT_OK(txn.CreateIndex("kv", "kv_v", {"v"}, false));
    ENGINE_ASSERT_OK(txn.Commit());
    ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db.Check());
    EXPECT_TRUE(problems.empty()) << problems.front();
  }
  cow::ToolRun clean =
      cow::RunForkdbTool("check " + cow::ShellQuote(dir.path()));
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  {
    // Behind the engine's back: drop the index tree's first entry.
    cow::RocksDBOptions options;
    options.block_size = 0;
    ENGINE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<cow::Store> store,
                                cow::Store::OpenRocksDB(dir.path(), options));
    ENGINE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<cow::Transaction> txn,
                                store->Begin("main"));
    TransactionPages pages(txn.get(), store->block_size());
    ENGINE_ASSERT_OK_AND_ASSIGN(Catalog catalog,
                                Catalog::Open(&pages, txn.get()));
    ENGINE_ASSERT_OK_AND_ASSIGN(TableDef def, catalog.GetTable("kv"));
    BTree index(&pages, def.indexes.at(0).root);
    std::unique_ptr<BTreeCursor> cursor = index.NewCursor();
    ENGINE_ASSERT_OK(cursor->SeekToFirst());
    ASSERT_TRUE(cursor->Valid());
    const std::string key(cursor->key());
    cursor.reset();
    ENGINE_ASSERT_OK(index.Delete(key));
    ENGINE_ASSERT_OK(txn->Commit());
  }
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(dir.path()));
    ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db.Check());
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("fork main"), std::string::npos) << problems[0];
    EXPECT_NE(problems[0].find("kv_v"), std::string::npos) << problems[0];
  }
  cow::ToolRun damaged =
      cow::RunForkdbTool("check " + cow::ShellQuote(dir.path()));
  EXPECT_EQ(damaged.exit_code, 1) << damaged.output;
  EXPECT_NE(damaged.output.find("kv_v"), std::string::npos) << damaged.output;
  EXPECT_NE(damaged.output.find("PROBLEMS FOUND"), std::string::npos);
}

TEST(DatabaseOpenTest, BadArguments) {
  EXPECT_TRUE(Database::Open({.page_size = 1000}).status().IsInvalidArgument());
  cow::ScratchDir dir;
  EXPECT_TRUE(Database::Open(dir.path() + "/none", {.create_if_missing = false})
                  .status()
                  .IsNotFound());
  Database empty;
  EXPECT_TRUE(empty.Begin("main").status().IsInvalidArgument());
  EXPECT_TRUE(empty.ListForks().empty());
  ENGINE_ASSERT_OK_AND_ASSIGN(Database db, Database::Open());
  EXPECT_TRUE(db.Begin("nope").status().IsNotFound());
  EXPECT_TRUE(db.CreateFork("bad name!", "main").status().IsInvalidArgument());
  EXPECT_TRUE(db.CreateFork("x", "nope").status().IsNotFound());
}

}  // namespace
}  // namespace forkdb::engine
