// Tests for the engine's binlog through the public API (forkdb/database.h):
// the record each commit appends (row images and keys, DDL events with their
// statement and schemas, savepoints, empty and rolled-back transactions,
// tables without a primary key), GTIDs, inheritance by forks (of a fork and
// of a snapshot), purging per fork, WaitForBinlog across threads, and a
// durable reopen. Every test ends with Database::Check() clean.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "forkdb/database.h"
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

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RowText(const Row& row) { return test::RowString(row); }
std::string RowText(const std::optional<Row>& row) {
  return row.has_value() ? RowText(*row) : "-";
}

const char* DdlName(SchemaChange::Kind kind) {
  switch (kind) {
    case SchemaChange::Kind::kCreateTable:
      return "create_table";
    case SchemaChange::Kind::kDropTable:
      return "drop_table";
    case SchemaChange::Kind::kCreateIndex:
      return "create_index";
    case SchemaChange::Kind::kDropIndex:
      return "drop_index";
    case SchemaChange::Kind::kRenameTable:
      return "rename_table";
    case SchemaChange::Kind::kAlterTable:
      return "alter_table";
  }
  return "?";
}

std::string DefText(const std::optional<TableDef>& def) {
  if (!def.has_value()) return "-";
  std::string out = def->name + "(";
  for (size_t i = 0; i < def->columns.size(); ++i) {
    if (i > 0) out += ",";
    out += def->columns[i].name;
  }
  out += ")";
  for (const IndexDef& index : def->indexes) out += "+" + index.name;
  return out;
}

// One line per event, every field the kind defines:
//   insert kv [k,v] key=(1) before=- after=(1, 'one')
//   ddl create_table kv before=- after=kv(k,v) stmt='CREATE ...'
std::string EventText(const BinlogEvent& e) {
  if (e.kind == BinlogEvent::Kind::kDdl) {
    return std::string("ddl ") + DdlName(e.ddl) + " " + e.table +
           " before=" + DefText(e.schema_before) +
           " after=" + DefText(e.schema_after) + " stmt='" + e.statement + "'";
  }
  std::string out = e.kind == BinlogEvent::Kind::kInsert   ? "insert "
                    : e.kind == BinlogEvent::Kind::kUpdate ? "update "
                                                           : "delete ";
  out += e.table + " [";
  for (size_t i = 0; i < e.columns.size(); ++i) {
    if (i > 0) out += ",";
    out += e.columns[i];
  }
  out += "] key=" + RowText(e.key) + " before=" + RowText(e.before) +
         " after=" + RowText(e.after);
  return out;
}

std::vector<std::string> EventTexts(const BinlogEntry& entry) {
  std::vector<std::string> out;
  for (const BinlogEvent& e : entry.events) out.push_back(EventText(e));
  return out;
}

// An entry in one comparable line: seq, GTID, then its events.
std::string EntryText(const BinlogEntry& entry) {
  std::string out = std::to_string(entry.seq) + " gtid " +
                    std::to_string(entry.gtid.origin) + ":" +
                    std::to_string(entry.gtid.seq) + " at " +
                    std::to_string(entry.commit_unix_us);
  for (const std::string& e : EventTexts(entry)) out += " | " + e;
  return out;
}

std::vector<std::string> EntryTexts(const std::vector<BinlogEntry>& entries) {
  std::vector<std::string> out;
  for (const BinlogEntry& e : entries) out.push_back(EntryText(e));
  return out;
}

class EngineBinlogTest : public ::testing::TestWithParam<cow::Backend> {
 protected:
  void SetUp() override { Open(); }

  void TearDown() override {
    if (!db_.valid()) return;
    Result<std::vector<std::string>> problems = db_.Check();
    ASSERT_TRUE(problems.ok()) << problems.status().ToString();
    EXPECT_TRUE(problems->empty()) << problems->front();
  }

  void Open() {
    db_ = Database();
    Result<Database> db = GetParam() == cow::Backend::kRocksDB
                              ? Database::Open(dir_.path(), {.sync = false})
                              : Database::Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }

  // Runs `fn` in a transaction on `fork` and commits.
  void Exec(std::string_view fork,
            const std::function<void(Transaction&)>& fn) {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin(fork));
    fn(txn);
    ENGINE_ASSERT_OK(txn.Commit());
  }

  // Creates kv in `fork` (one commit).
  void CreateKV(std::string_view fork = "main") {
    Exec(fork, [](Transaction& txn) {
      ENGINE_ASSERT_OK(txn.CreateTable(KV()).status());
    });
  }

  // Inserts (k, v) in its own commit.
  void Put(std::string_view fork, int64_t k, std::string v) {
    Exec(fork, [&](Transaction& txn) {
      ENGINE_ASSERT_OK(txn.Insert("kv", {I(k), T(v)}).status());
    });
  }

  BinlogBounds Bounds(std::string_view fork) {
    Result<BinlogBounds> b = db_.GetBinlogBounds(fork);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? *b : BinlogBounds{0, 0};
  }

  // Every record the fork keeps.
  std::vector<BinlogEntry> All(std::string_view fork) {
    const BinlogBounds b = Bounds(fork);
    Result<std::vector<BinlogEntry>> r = db_.ReadBinlog(fork, b.first, 10000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_EQ(r->size(), b.next - b.first);
    return std::move(*r);
  }

  // The single record at `seq`.
  BinlogEntry At(std::string_view fork, uint64_t seq) {
    Result<std::vector<BinlogEntry>> r = db_.ReadBinlog(fork, seq, 1);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->size() != 1) {
      ADD_FAILURE() << "no record " << seq << " in " << fork;
      return BinlogEntry{};
    }
    EXPECT_EQ((*r)[0].seq, seq);
    return std::move((*r)[0]);
  }

  uint64_t ForkId(std::string_view fork) {
    Result<ForkInfo> info = db_.GetFork(fork);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->id : 0;
  }

  cow::ScratchDir dir_;
  Database db_;
};

TEST_P(EngineBinlogTest, NewForkHasAnEmptyBinlog) {
  const BinlogBounds b = Bounds("main");
  EXPECT_EQ(b.first, 1u);
  EXPECT_EQ(b.next, 1u);
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> all,
                              db_.ReadBinlog("main", 1, 10));
  EXPECT_TRUE(all.empty());
  EXPECT_TRUE(db_.GetBinlogBounds("nope").status().IsNotFound());
  EXPECT_TRUE(db_.ReadBinlog("nope", 1, 10).status().IsNotFound());
  EXPECT_TRUE(db_.PurgeBinlog("nope", 1).status().IsNotFound());
  EXPECT_TRUE(db_.WaitForBinlog("nope", 1, std::chrono::milliseconds(10))
                  .status()
                  .IsNotFound());
  Database empty;
  EXPECT_TRUE(empty.GetBinlogBounds("main").status().IsInvalidArgument());
  EXPECT_TRUE(empty.ReadBinlog("main", 1, 1).status().IsInvalidArgument());
}

TEST_P(EngineBinlogTest, InsertUpdateDeleteImagesAndKeys) {
  const uint64_t main_id = ForkId("main");
  TableDef created;
  Exec("main", [&](Transaction& txn) {
    txn.SetStatement("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)");
    ENGINE_ASSERT_OK_AND_ASSIGN(created, txn.CreateTable(KV()));
  });
  const int64_t t0 = NowUs();
  Put("main", 1, "one");
  const int64_t t1 = NowUs();
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(1), T("uno")}));
  });
  Exec("main", [](Transaction& txn) {
    // The row moves to key 5: `key` is the old one, `after` has the new.
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(5), T("cinq")}));
  });
  Exec("main",
       [](Transaction& txn) { ENGINE_ASSERT_OK(txn.Delete("kv", {I(5)})); });

  const BinlogBounds b = Bounds("main");
  EXPECT_EQ(b.first, 1u);
  EXPECT_EQ(b.next, 6u);
  std::vector<BinlogEntry> all = All("main");
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i + 1);
    EXPECT_EQ(all[i].gtid, (Gtid{main_id, i + 1}));
    ASSERT_EQ(all[i].events.size(), 1u) << EntryText(all[i]);
  }
  EXPECT_EQ(EventTexts(all[0]),
            std::vector<std::string>{
                "ddl create_table kv before=- after=kv(k,v) stmt='CREATE TABLE "
                "kv (k INTEGER PRIMARY KEY, v TEXT)'"});
  EXPECT_EQ(EventTexts(all[1]),
            std::vector<std::string>{
                "insert kv [k,v] key=(1) before=- after=(1, 'one')"});
  EXPECT_EQ(EventTexts(all[2]),
            std::vector<std::string>{
                "update kv [k,v] key=(1) before=(1, 'one') after=(1, 'uno')"});
  EXPECT_EQ(EventTexts(all[3]),
            std::vector<std::string>{"update kv [k,v] key=(1) before=(1, "
                                     "'uno') after=(5, 'cinq')"});
  EXPECT_EQ(EventTexts(all[4]),
            std::vector<std::string>{
                "delete kv [k,v] key=(5) before=(5, 'cinq') after=-"});
  // Table ids are the catalog's.
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_EQ(all[i].events[0].table_id, created.id);
  EXPECT_EQ(all[0].events[0].table_id, created.id);
  // The schema after the create is the catalog's definition, exactly.
  ASSERT_TRUE(all[0].events[0].schema_after.has_value());
  EXPECT_TRUE(*all[0].events[0].schema_after == created);
  EXPECT_FALSE(all[0].events[0].schema_before.has_value());
  // Commit times are the commit's, in order.
  EXPECT_GE(all[1].commit_unix_us, t0);
  EXPECT_LE(all[1].commit_unix_us, t1);
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_GE(all[i].commit_unix_us, all[i - 1].commit_unix_us);
  // ReadBinlog's window.
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> some,
                              db_.ReadBinlog("main", 2, 2));
  ASSERT_EQ(some.size(), 2u);
  EXPECT_EQ(some[0].seq, 2u);
  EXPECT_EQ(some[1].seq, 3u);
  EXPECT_EQ(EntryText(some[1]), EntryText(all[2]));
  ENGINE_ASSERT_OK_AND_ASSIGN(some, db_.ReadBinlog("main", 0, 100));
  EXPECT_EQ(some.size(), 5u);
  ENGINE_ASSERT_OK_AND_ASSIGN(some, db_.ReadBinlog("main", 6, 100));
  EXPECT_TRUE(some.empty());
  ENGINE_ASSERT_OK_AND_ASSIGN(some, db_.ReadBinlog("main", 1, 0));
  EXPECT_TRUE(some.empty());
}

TEST_P(EngineBinlogTest, MultiRowTransactionIsOneRecord) {
  CreateKV();
  TableDef other;
  Exec("main", [&](Transaction& txn) {
    ENGINE_ASSERT_OK_AND_ASSIGN(other, txn.CreateTable(KV("other")));
  });
  Put("main", 10, "ten");
  const BinlogBounds before = Bounds("main");
  ASSERT_EQ(before.next, 4u);
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(1), T("a")}).status());
    ENGINE_ASSERT_OK(txn.Insert("other", {I(1), T("x")}).status());
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(2), T("b")}).status());
    ENGINE_ASSERT_OK(txn.Update("kv", {I(10)}, {I(10), T("TEN")}));
    ENGINE_ASSERT_OK(txn.Delete("other", {I(1)}));
    ENGINE_ASSERT_OK(txn.Delete("kv", {I(1)}));
  });
  const BinlogBounds after = Bounds("main");
  EXPECT_EQ(after.first, 1u);
  EXPECT_EQ(after.next, 5u);
  BinlogEntry e = At("main", 4);
  EXPECT_EQ(e.gtid, (Gtid{ForkId("main"), 4}));
  EXPECT_EQ(EventTexts(e),
            (std::vector<std::string>{
                "insert kv [k,v] key=(1) before=- after=(1, 'a')",
                "insert other [k,v] key=(1) before=- after=(1, 'x')",
                "insert kv [k,v] key=(2) before=- after=(2, 'b')",
                "update kv [k,v] key=(10) before=(10, 'ten') after=(10, 'TEN')",
                "delete other [k,v] key=(1) before=(1, 'x') after=-",
                "delete kv [k,v] key=(1) before=(1, 'a') after=-",
            }));
  ASSERT_EQ(e.events.size(), 6u);
  EXPECT_EQ(e.events[1].table_id, other.id);
  EXPECT_EQ(e.events[4].table_id, other.id);
  EXPECT_NE(e.events[0].table_id, other.id);
  // The change list the transaction showed is what the record holds.
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo info, db_.GetFork("main"));
  EXPECT_EQ(info.commit_seq, 4u);
}

TEST_P(EngineBinlogTest, EmptyOrRolledBackTransactionsWriteNothing) {
  CreateKV();
  Put("main", 1, "one");
  const BinlogBounds b = Bounds("main");
  ASSERT_EQ(b.next, 3u);
  // Committed with no changes.
  Exec("main", [](Transaction&) {});
  // Only reads.
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK_AND_ASSIGN(std::optional<Row> row, txn.Get("kv", {I(1)}));
    EXPECT_TRUE(row.has_value());
  });
  // Only failed calls: a duplicate key, a missing row, a missing table.
  Exec("main", [](Transaction& txn) {
    EXPECT_TRUE(
        txn.Insert("kv", {I(1), T("dup")}).status().IsInvalidArgument());
    EXPECT_TRUE(txn.Delete("kv", {I(99)}).IsNotFound());
    EXPECT_TRUE(txn.CreateTable(KV()).status().IsInvalidArgument());
    EXPECT_TRUE(txn.changes().empty());
  });
  // Rolled back, explicitly and by destruction.
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(2), T("two")}).status());
    txn.Rollback();
  }
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(3), T("three")}).status());
    ENGINE_ASSERT_OK(txn.CreateTable(KV("t2")).status());
  }
  // Everything undone by a savepoint.
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Savepoint());
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(4), T("four")}).status());
    ENGINE_ASSERT_OK(txn.RollbackToSavepoint());
    EXPECT_TRUE(txn.changes().empty());
  });
  // A commit the hook refuses.
  db_.SetCommitHook([](const ChangeSet&, CommitContext&) -> Status {
    return Status::Aborted("refused");
  });
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(5), T("five")}).status());
    EXPECT_TRUE(txn.Commit().IsAborted());
  }
  db_.SetCommitHook(nullptr);
  const BinlogBounds after = Bounds("main");
  EXPECT_EQ(after.first, 1u);
  EXPECT_EQ(after.next, 3u);
  EXPECT_EQ(All("main").size(), 2u);
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo info, db_.GetFork("main"));
  EXPECT_EQ(info.commit_seq, 2u);
  // The next commit is record 3.
  Put("main", 6, "six");
  EXPECT_EQ(Bounds("main").next, 4u);
  EXPECT_EQ(EventTexts(At("main", 3)),
            std::vector<std::string>{
                "insert kv [k,v] key=(6) before=- after=(6, 'six')"});
}

TEST_P(EngineBinlogTest, RolledBackSavepointChangesAreAbsent) {
  CreateKV();
  Put("main", 1, "one");
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(2), T("two")}).status());
    ENGINE_ASSERT_OK(txn.Savepoint());
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(3), T("three")}).status());
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(1), T("gone")}));
    txn.SetStatement("CREATE TABLE t2");
    ENGINE_ASSERT_OK(txn.CreateTable(KV("t2")).status());
    ENGINE_ASSERT_OK(txn.Insert("t2", {I(1), T("t2")}).status());
    ENGINE_ASSERT_OK(txn.RollbackToSavepoint());
    txn.SetStatement("");
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(4), T("four")}).status());
    // A nested pair: the inner rolled back, the outer released.
    ENGINE_ASSERT_OK(txn.Savepoint());
    ENGINE_ASSERT_OK(txn.Delete("kv", {I(2)}));
    ENGINE_ASSERT_OK(txn.Savepoint());
    ENGINE_ASSERT_OK(txn.Delete("kv", {I(4)}));
    ENGINE_ASSERT_OK(txn.RollbackToSavepoint());
    ENGINE_ASSERT_OK(txn.ReleaseSavepoint());
  });
  ASSERT_EQ(Bounds("main").next, 4u);
  EXPECT_EQ(EventTexts(At("main", 3)),
            (std::vector<std::string>{
                "insert kv [k,v] key=(2) before=- after=(2, 'two')",
                "insert kv [k,v] key=(4) before=- after=(4, 'four')",
                "delete kv [k,v] key=(2) before=(2, 'two') after=-",
            }));
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot("main"));
  EXPECT_TRUE(snap.GetTable("t2").status().IsNotFound());
}

TEST_P(EngineBinlogTest, DdlEventsCarryStatementAndSchemas) {
  TableDef kv;
  Exec("main", [&](Transaction& txn) {
    txn.SetStatement("CREATE TABLE kv");
    ENGINE_ASSERT_OK_AND_ASSIGN(kv, txn.CreateTable(KV()));
    // The statement stays until replaced.
    ENGINE_ASSERT_OK(txn.CreateIndex("kv", "kv_v", {"v"}, false).status());
  });
  Exec("main", [](Transaction& txn) {
    // No statement set in this transaction.
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(1), T("a")}).status());
    ENGINE_ASSERT_OK(txn.AddColumn("kv", Col("c", Type::kInteger)).status());
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(2), T("b"), I(3)}).status());
    txn.SetStatement("ALTER TABLE kv RENAME v TO w");
    ENGINE_ASSERT_OK(txn.RenameColumn("kv", "v", "w"));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(1), T("a2"), I(9)}));
    txn.SetStatement("DROP INDEX kv_v");
    ENGINE_ASSERT_OK(txn.DropIndex("kv_v"));
    txn.SetStatement("ALTER TABLE kv DROP c");
    ENGINE_ASSERT_OK(txn.DropColumn("kv", "c"));
    ENGINE_ASSERT_OK(txn.Delete("kv", {I(2)}));
  });
  Exec("main", [](Transaction& txn) {
    txn.SetStatement("ALTER TABLE kv RENAME TO kv2");
    ENGINE_ASSERT_OK(txn.RenameTable("kv", "kv2"));
    ENGINE_ASSERT_OK(txn.Insert("kv2", {I(7), T("seven")}).status());
    txn.SetStatement("DROP TABLE kv2");
    ENGINE_ASSERT_OK(txn.DropTable("kv2"));
  });
  ASSERT_EQ(Bounds("main").next, 4u);
  EXPECT_EQ(EventTexts(At("main", 1)),
            (std::vector<std::string>{
                "ddl create_table kv before=- after=kv(k,v) stmt='CREATE "
                "TABLE kv'",
                "ddl create_index kv_v before=kv(k,v) after=kv(k,v)+kv_v "
                "stmt='CREATE TABLE kv'",
            }));
  EXPECT_EQ(
      EventTexts(At("main", 2)),
      (std::vector<std::string>{
          "insert kv [k,v] key=(1) before=- after=(1, 'a')",
          "ddl alter_table kv before=kv(k,v)+kv_v after=kv(k,v,c)+kv_v "
          "stmt=''",
          "insert kv [k,v,c] key=(2) before=- after=(2, 'b', 3)",
          "ddl alter_table kv before=kv(k,v,c)+kv_v after=kv(k,w,c)+kv_v "
          "stmt='ALTER TABLE kv RENAME v TO w'",
          "update kv [k,w,c] key=(1) before=(1, 'a', NULL) after=(1, 'a2', 9)",
          "ddl drop_index kv_v before=kv(k,w,c)+kv_v after=kv(k,w,c) "
          "stmt='DROP INDEX kv_v'",
          "ddl alter_table kv before=kv(k,w,c) after=kv(k,w) stmt='ALTER "
          "TABLE kv DROP c'",
          "delete kv [k,w] key=(2) before=(2, 'b') after=-",
      }));
  EXPECT_EQ(EventTexts(At("main", 3)),
            (std::vector<std::string>{
                "ddl rename_table kv before=kv(k,w) after=kv2(k,w) "
                "stmt='ALTER TABLE kv RENAME TO kv2'",
                "insert kv2 [k,w] key=(7) before=- after=(7, 'seven')",
                "ddl drop_table kv2 before=kv2(k,w) after=- stmt='DROP TABLE "
                "kv2'",
            }));
  // DDL events name the table's id where the table exists after them.
  BinlogEntry first = At("main", 1);
  ASSERT_EQ(first.events.size(), 2u);
  EXPECT_EQ(first.events[0].table_id, kv.id);
  EXPECT_EQ(first.events[1].table_id, kv.id);
  ASSERT_TRUE(first.events[1].schema_after.has_value());
  ASSERT_EQ(first.events[1].schema_after->indexes.size(), 1u);
  EXPECT_EQ(first.events[1].schema_after->indexes[0].name, "kv_v");
  EXPECT_FALSE(first.events[1].schema_after->indexes[0].unique);
  BinlogEntry third = At("main", 3);
  ASSERT_EQ(third.events.size(), 3u);
  EXPECT_EQ(third.events[1].table_id, kv.id);  // renamed, same id
  ASSERT_TRUE(third.events[2].schema_before.has_value());
  EXPECT_EQ(third.events[2].schema_before->id, kv.id);
}

TEST_P(EngineBinlogTest, TableWithoutPrimaryKeyUsesTheRowId) {
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(
        txn.CreateTable(
               {"log", {Col("a", Type::kText), Col("b", Type::kReal)}, {}})
            .status());
  });
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK_AND_ASSIGN(Row k1,
                                txn.Insert("log", {T("x"), Value::Real(1.5)}));
    EXPECT_EQ(k1, (Row{I(1)}));
    ENGINE_ASSERT_OK_AND_ASSIGN(Row k2, txn.Insert("log", {T("y"), Value()}));
    EXPECT_EQ(k2, (Row{I(2)}));
  });
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("log", {I(2)}, {T("y2"), Value::Real(-2.0)}));
    ENGINE_ASSERT_OK(txn.Delete("log", {I(1)}));
  });
  ASSERT_EQ(Bounds("main").next, 4u);
  EXPECT_EQ(EventTexts(At("main", 2)),
            (std::vector<std::string>{
                "insert log [a,b] key=(1) before=- after=('x', 1.5)",
                "insert log [a,b] key=(2) before=- after=('y', NULL)",
            }));
  EXPECT_EQ(
      EventTexts(At("main", 3)),
      (std::vector<std::string>{
          "update log [a,b] key=(2) before=('y', NULL) after=('y2', -2.0)",
          "delete log [a,b] key=(1) before=('x', 1.5) after=-",
      }));
  BinlogEntry e = At("main", 2);
  ASSERT_EQ(e.events[0].key.size(), 1u);
  EXPECT_EQ(e.events[0].key[0].type(), Type::kInteger);
}

TEST_P(EngineBinlogTest, ValuesOfEveryTypeSurvive) {
  Exec("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(
        txn.CreateTable({"all",
                         {Col("k", Type::kBlob, true), Col("i", Type::kInteger),
                          Col("r", Type::kReal), Col("t", Type::kText),
                          Col("b", Type::kBoolean)},
                         {"k"}})
            .status());
  });
  const Row row = {Value::Blob(std::string("\0\xff", 2)), I(INT64_MIN),
                   Value::Real(-0.0), T(std::string("a\0b", 3)),
                   Value::Boolean(true)};
  Exec("main", [&](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Insert("all", row).status());
  });
  BinlogEntry e = At("main", 2);
  ASSERT_EQ(e.events.size(), 1u);
  ASSERT_TRUE(e.events[0].after.has_value());
  const Row& after = *e.events[0].after;
  ASSERT_EQ(after.size(), row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    EXPECT_EQ(after[i], row[i]) << i;
    EXPECT_EQ(after[i].type(), row[i].type()) << i;
  }
  EXPECT_EQ(e.events[0].key, (Row{row[0]}));
  EXPECT_EQ(e.events[0].columns,
            (std::vector<std::string>{"k", "i", "r", "t", "b"}));
}

TEST_P(EngineBinlogTest, ForkInheritsRecordsUpToTheForkPoint) {
  const uint64_t main_id = ForkId("main");
  CreateKV();
  Put("main", 1, "m1");
  Put("main", 2, "m2");
  const std::vector<std::string> at_fork = EntryTexts(All("main"));
  ASSERT_EQ(at_fork.size(), 3u);
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo child, db_.CreateFork("child", "main"));
  EXPECT_NE(child.id, main_id);
  // The child starts with the parent's records, byte for byte the same.
  const BinlogBounds cb = Bounds("child");
  EXPECT_EQ(cb.first, 1u);
  EXPECT_EQ(cb.next, 4u);
  EXPECT_EQ(EntryTexts(All("child")), at_fork);

  // Each side goes on from 4, its own records.
  Put("child", 10, "c10");
  Put("main", 20, "m20");
  Put("main", 21, "m21");
  EXPECT_EQ(Bounds("child").next, 5u);
  EXPECT_EQ(Bounds("main").next, 6u);
  BinlogEntry c4 = At("child", 4);
  EXPECT_EQ(c4.gtid, (Gtid{child.id, 4}));
  EXPECT_EQ(EventTexts(c4),
            std::vector<std::string>{
                "insert kv [k,v] key=(10) before=- after=(10, 'c10')"});
  BinlogEntry m4 = At("main", 4);
  EXPECT_EQ(m4.gtid, (Gtid{main_id, 4}));
  EXPECT_EQ(EventTexts(m4),
            std::vector<std::string>{
                "insert kv [k,v] key=(20) before=- after=(20, 'm20')"});
  // The child does not see main's fifth, nor main the child's fourth.
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> tail,
                              db_.ReadBinlog("child", 5, 10));
  EXPECT_TRUE(tail.empty());
  std::vector<std::string> child_all = EntryTexts(All("child"));
  ASSERT_EQ(child_all.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(child_all.begin(), child_all.begin() + 3),
            at_fork);
  std::vector<std::string> main_all = EntryTexts(All("main"));
  ASSERT_EQ(main_all.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(main_all.begin(), main_all.begin() + 3),
            at_fork);
  for (const std::string& m : main_all) EXPECT_NE(m, child_all[3]);
  // The inherited records keep main's GTIDs in the child.
  EXPECT_EQ(At("child", 2).gtid, (Gtid{main_id, 2}));

  // A grandchild inherits through both.
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo grand, db_.CreateFork("grand", "child"));
  EXPECT_EQ(EntryTexts(All("grand")), child_all);
  Put("grand", 30, "g30");
  EXPECT_EQ(At("grand", 5).gtid, (Gtid{grand.id, 5}));
  EXPECT_EQ(Bounds("child").next, 5u);
}

TEST_P(EngineBinlogTest, ForkOfAForkWithoutRecordsStartsAtOne) {
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo child, db_.CreateFork("child", "main"));
  const BinlogBounds b = Bounds("child");
  EXPECT_EQ(b.first, 1u);
  EXPECT_EQ(b.next, 1u);
  CreateKV("child");
  EXPECT_EQ(Bounds("child").next, 2u);
  EXPECT_EQ(At("child", 1).gtid, (Gtid{child.id, 1}));
  EXPECT_EQ(Bounds("main").next, 1u);
}

TEST_P(EngineBinlogTest, ForkOfASnapshot) {
  CreateKV();
  Put("main", 1, "one");
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot("main"));
  const std::vector<std::string> at_snap = EntryTexts(All("main"));
  Put("main", 2, "two");
  Put("main", 3, "three");
  ASSERT_EQ(Bounds("main").next, 5u);
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo old, db_.CreateFork("old", snap));
  const BinlogBounds b = Bounds("old");
  EXPECT_EQ(b.first, 1u);
  EXPECT_EQ(b.next, 3u);
  EXPECT_EQ(EntryTexts(All("old")), at_snap);
  Put("old", 9, "nine");
  BinlogEntry e = At("old", 3);
  EXPECT_EQ(e.gtid, (Gtid{old.id, 3}));
  EXPECT_EQ(EventTexts(e),
            std::vector<std::string>{
                "insert kv [k,v] key=(9) before=- after=(9, 'nine')"});
  EXPECT_EQ(EventTexts(At("main", 3)),
            std::vector<std::string>{
                "insert kv [k,v] key=(2) before=- after=(2, 'two')"});
}

TEST_P(EngineBinlogTest, PurgeOnAChildLeavesTheParentsRecords) {
  CreateKV();
  Put("main", 1, "one");
  Put("main", 2, "two");
  const std::vector<std::string> main_before = EntryTexts(All("main"));
  ASSERT_EQ(main_before.size(), 3u);
  ENGINE_ASSERT_OK(db_.CreateFork("child", "main").status());

  ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t purged, db_.PurgeBinlog("child", 3));
  EXPECT_EQ(purged, 2u);
  BinlogBounds cb = Bounds("child");
  EXPECT_EQ(cb.first, 3u);
  EXPECT_EQ(cb.next, 4u);
  EXPECT_TRUE(db_.ReadBinlog("child", 1, 10).status().IsNotFound());
  EXPECT_TRUE(db_.ReadBinlog("child", 2, 10).status().IsNotFound());
  EXPECT_EQ(EntryTexts(All("child")), std::vector<std::string>{main_before[2]});
  // The parent keeps all of its own.
  BinlogBounds mb = Bounds("main");
  EXPECT_EQ(mb.first, 1u);
  EXPECT_EQ(mb.next, 4u);
  EXPECT_EQ(EntryTexts(All("main")), main_before);
  // The child numbers on.
  Put("child", 5, "five");
  EXPECT_EQ(Bounds("child").next, 5u);
  EXPECT_EQ(At("child", 4).gtid, (Gtid{ForkId("child"), 4}));
  // Twice, and below first: nothing.
  ENGINE_ASSERT_OK_AND_ASSIGN(purged, db_.PurgeBinlog("child", 3));
  EXPECT_EQ(purged, 0u);
  ENGINE_ASSERT_OK_AND_ASSIGN(purged, db_.PurgeBinlog("child", 1));
  EXPECT_EQ(purged, 0u);
  // Everything, beyond next: clamped.
  ENGINE_ASSERT_OK_AND_ASSIGN(purged, db_.PurgeBinlog("child", 1000));
  EXPECT_EQ(purged, 2u);
  cb = Bounds("child");
  EXPECT_EQ(cb.first, 5u);
  EXPECT_EQ(cb.next, 5u);
  Put("child", 6, "six");
  EXPECT_EQ(Bounds("child").next, 6u);
  EXPECT_EQ(At("child", 5).gtid, (Gtid{ForkId("child"), 5}));
  EXPECT_EQ(EntryTexts(All("main")), main_before);
}

TEST_P(EngineBinlogTest, PurgeOnTheParentLeavesTheChildsRecords) {
  CreateKV();
  Put("main", 1, "one");
  Put("main", 2, "two");
  ENGINE_ASSERT_OK(db_.CreateFork("child", "main").status());
  const std::vector<std::string> child_before = EntryTexts(All("child"));
  ASSERT_EQ(child_before.size(), 3u);
  ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t purged, db_.PurgeBinlog("main", 4));
  EXPECT_EQ(purged, 3u);
  BinlogBounds mb = Bounds("main");
  EXPECT_EQ(mb.first, 4u);
  EXPECT_EQ(mb.next, 4u);
  EXPECT_TRUE(db_.ReadBinlog("main", 1, 10).status().IsNotFound());
  EXPECT_TRUE(db_.ReadBinlog("main", 3, 10).status().IsNotFound());
  EXPECT_EQ(EntryTexts(All("child")), child_before);
  BinlogBounds cb = Bounds("child");
  EXPECT_EQ(cb.first, 1u);
  EXPECT_EQ(cb.next, 4u);
  // A fork made after the purge starts where the parent's log starts.
  Put("main", 3, "three");
  ENGINE_ASSERT_OK(db_.CreateFork("late", "main").status());
  BinlogBounds lb = Bounds("late");
  EXPECT_EQ(lb.first, 4u);
  EXPECT_EQ(lb.next, 5u);
  EXPECT_TRUE(db_.ReadBinlog("late", 2, 10).status().IsNotFound());
  EXPECT_EQ(EventTexts(At("late", 4)),
            std::vector<std::string>{
                "insert kv [k,v] key=(3) before=- after=(3, 'three')"});
}

TEST_P(EngineBinlogTest, PurgeIsBusyWithAnOpenTransaction) {
  CreateKV();
  Put("main", 1, "one");
  ENGINE_ASSERT_OK(db_.CreateFork("child", "main").status());
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin("main"));
    ENGINE_ASSERT_OK(txn.Insert("kv", {I(2), T("two")}).status());
    EXPECT_TRUE(db_.PurgeBinlog("main", 2).status().IsBusy());
    // Another fork is not held up.
    ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t purged, db_.PurgeBinlog("child", 2));
    EXPECT_EQ(purged, 1u);
    ENGINE_ASSERT_OK(txn.Commit());
  }
  BinlogBounds mb = Bounds("main");
  EXPECT_EQ(mb.first, 1u);
  EXPECT_EQ(mb.next, 4u);
  ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t purged, db_.PurgeBinlog("main", 2));
  EXPECT_EQ(purged, 1u);
  EXPECT_EQ(Bounds("main").first, 2u);
  // A read-only fork cannot be purged.
  ENGINE_ASSERT_OK(db_.CreateFork("ro", "main", {.read_only = true}).status());
  EXPECT_TRUE(db_.PurgeBinlog("ro", 3).status().IsInvalidArgument());
  EXPECT_EQ(Bounds("ro").first, 2u);
}

TEST_P(EngineBinlogTest, WaitForAnExistingRecordReturnsAtOnce) {
  CreateKV();
  const auto start = std::chrono::steady_clock::now();
  ENGINE_ASSERT_OK_AND_ASSIGN(
      bool got, db_.WaitForBinlog("main", 1, std::chrono::seconds(30)));
  EXPECT_TRUE(got);
  ENGINE_ASSERT_OK_AND_ASSIGN(
      got, db_.WaitForBinlog("main", 0, std::chrono::seconds(30)));
  EXPECT_TRUE(got);
  // Even a zero timeout.
  ENGINE_ASSERT_OK_AND_ASSIGN(
      got, db_.WaitForBinlog("main", 1, std::chrono::milliseconds(0)));
  EXPECT_TRUE(got);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A purged record existed: the wait is on next.
  ENGINE_ASSERT_OK(db_.PurgeBinlog("main", 2).status());
  ENGINE_ASSERT_OK_AND_ASSIGN(
      got, db_.WaitForBinlog("main", 1, std::chrono::milliseconds(0)));
  EXPECT_TRUE(got);
}

TEST_P(EngineBinlogTest, WaitTimesOutWithoutTheRecord) {
  CreateKV();
  const auto start = std::chrono::steady_clock::now();
  ENGINE_ASSERT_OK_AND_ASSIGN(
      bool got, db_.WaitForBinlog("main", 2, std::chrono::milliseconds(100)));
  EXPECT_FALSE(got);
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(100));
  ENGINE_ASSERT_OK_AND_ASSIGN(
      got, db_.WaitForBinlog("main", 2, std::chrono::milliseconds(0)));
  EXPECT_FALSE(got);
}

TEST_P(EngineBinlogTest, WaitWakesWhenAnotherThreadCommits) {
  CreateKV();
  std::atomic<bool> started{false};
  Result<bool> got = Status::Aborted("not run");
  std::chrono::steady_clock::duration waited{};
  std::thread waiter([&] {
    started = true;
    const auto start = std::chrono::steady_clock::now();
    got = db_.WaitForBinlog("main", 2, std::chrono::seconds(30));
    waited = std::chrono::steady_clock::now() - start;
  });
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Put("main", 1, "one");
  waiter.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got);
  EXPECT_LT(waited, std::chrono::seconds(10));
  EXPECT_EQ(Bounds("main").next, 3u);
}

TEST_P(EngineBinlogTest, WaitIgnoresCommitsToOtherForks) {
  CreateKV();
  ENGINE_ASSERT_OK(db_.CreateFork("child", "main").status());
  std::atomic<bool> started{false};
  Result<bool> got = Status::Aborted("not run");
  std::chrono::steady_clock::duration waited{};
  std::thread waiter([&] {
    started = true;
    const auto start = std::chrono::steady_clock::now();
    got = db_.WaitForBinlog("main", 2, std::chrono::milliseconds(300));
    waited = std::chrono::steady_clock::now() - start;
  });
  while (!started) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  Put("child", 1, "one");  // record 2 of the child, not of main
  waiter.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(*got);
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_EQ(Bounds("child").next, 3u);
  EXPECT_EQ(Bounds("main").next, 2u);
}

TEST_P(EngineBinlogTest, CheckIsCleanAfterAllOfIt) {
  CreateKV();
  for (int i = 0; i < 40; ++i) Put("main", i, std::string(200, 'a' + i % 26));
  ENGINE_ASSERT_OK(db_.CreateFork("a", "main").status());
  ENGINE_ASSERT_OK(db_.CreateFork("b", "main").status());
  for (int i = 0; i < 20; ++i) Put("a", 100 + i, "a");
  for (int i = 0; i < 10; ++i) Put("b", 200 + i, "b");
  ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t purged, db_.PurgeBinlog("a", 30));
  EXPECT_EQ(purged, 29u);
  ENGINE_ASSERT_OK_AND_ASSIGN(purged, db_.PurgeBinlog("main", 1000));
  EXPECT_EQ(purged, 41u);
  ENGINE_ASSERT_OK(db_.CreateFork("a1", "a").status());
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot("b"));
  ENGINE_ASSERT_OK(db_.CreateFork("b_old", snap).status());
  Put("a1", 300, "a1");
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db_.Check());
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(Bounds("a").first, 30u);
  EXPECT_EQ(Bounds("a").next, 62u);
  EXPECT_EQ(Bounds("a1").next, 63u);
  EXPECT_EQ(Bounds("b").next, 52u);
  EXPECT_EQ(Bounds("b_old").next, 52u);
  EXPECT_EQ(Bounds("main").first, 42u);
  EXPECT_EQ(Bounds("main").next, 42u);
  // Dropping forks that share the log frees only their own pages.
  ENGINE_ASSERT_OK(db_.DropFork("a1"));
  ENGINE_ASSERT_OK(db_.DropFork("b_old"));
  ENGINE_ASSERT_OK_AND_ASSIGN(problems, db_.Check());
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(All("b").size(), 51u);
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineBinlogTest,
                         ::testing::Values(cow::Backend::kMemory,
                                           cow::Backend::kRocksDB),
                         [](const auto& info) {
                           return info.param == cow::Backend::kMemory
                                      ? "Memory"
                                      : "RocksDB";
                         });

// A durable database keeps every fork's binlog, its purges and its
// numbering across a close and an open.
TEST(EngineBinlogDurableTest, ReopenKeepsTheBinlog) {
  cow::ScratchDir dir;
  std::vector<std::string> main_log, child_log;
  uint64_t child_id = 0;
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(dir.path()));
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db.Begin("main"));
    txn.SetStatement("CREATE TABLE kv");
    ENGINE_ASSERT_OK(txn.CreateTable(KV()).status());
    ENGINE_ASSERT_OK(txn.Commit());
    for (int i = 1; i <= 4; ++i) {
      ENGINE_ASSERT_OK_AND_ASSIGN(txn, db.Begin("main"));
      ENGINE_ASSERT_OK(txn.Insert("kv", {I(i), T("v" + std::to_string(i))}));
      ENGINE_ASSERT_OK(txn.Commit());
    }
    ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo child, db.CreateFork("child", "main"));
    child_id = child.id;
    ENGINE_ASSERT_OK_AND_ASSIGN(txn, db.Begin("child"));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(1), T("c")}));
    ENGINE_ASSERT_OK(txn.Commit());
    ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t purged, db.PurgeBinlog("main", 3));
    EXPECT_EQ(purged, 2u);
    ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> m,
                                db.ReadBinlog("main", 3, 100));
    ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> c,
                                db.ReadBinlog("child", 1, 100));
    main_log = EntryTexts(m);
    child_log = EntryTexts(c);
    ASSERT_EQ(main_log.size(), 3u);
    ASSERT_EQ(child_log.size(), 6u);
  }
  ENGINE_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(dir.path()));
  ENGINE_ASSERT_OK_AND_ASSIGN(BinlogBounds mb, db.GetBinlogBounds("main"));
  EXPECT_EQ(mb.first, 3u);
  EXPECT_EQ(mb.next, 6u);
  ENGINE_ASSERT_OK_AND_ASSIGN(BinlogBounds cb, db.GetBinlogBounds("child"));
  EXPECT_EQ(cb.first, 1u);
  EXPECT_EQ(cb.next, 7u);
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> m,
                              db.ReadBinlog("main", 3, 100));
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<BinlogEntry> c,
                              db.ReadBinlog("child", 1, 100));
  EXPECT_EQ(EntryTexts(m), main_log);
  EXPECT_EQ(EntryTexts(c), child_log);
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[5].gtid, (Gtid{child_id, 6}));
  ASSERT_FALSE(c[0].events.empty());
  EXPECT_EQ(c[0].events[0].statement, "CREATE TABLE kv");
  EXPECT_TRUE(db.ReadBinlog("main", 2, 100).status().IsNotFound());
  // Numbering goes on after the reopen.
  ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db.Begin("main"));
  ENGINE_ASSERT_OK(txn.Delete("kv", {I(4)}));
  ENGINE_ASSERT_OK(txn.Commit());
  ENGINE_ASSERT_OK_AND_ASSIGN(mb, db.GetBinlogBounds("main"));
  EXPECT_EQ(mb.next, 7u);
  ENGINE_ASSERT_OK_AND_ASSIGN(m, db.ReadBinlog("main", 6, 100));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(EventTexts(m[0]),
            std::vector<std::string>{
                "delete kv [k,v] key=(4) before=(4, 'v4') after=-"});
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db.Check());
  EXPECT_TRUE(problems.empty()) << problems.front();
}

}  // namespace
}  // namespace forkdb::engine
