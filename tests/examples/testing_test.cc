// Tests of forkdb/testing.h itself: fork names, per-suite seeded databases,
// both Seed() forms, OpenDatabase() hidden by a suite, every fork a test
// makes dropped after it, and a clear failure when one cannot be dropped.
// FailingSeedTest fails on purpose; CMake runs it alone and expects the
// failure text (tests/examples/CMakeLists.txt).
#include "forkdb/testing.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "forkdb/database.h"

namespace forkdb::testing {
namespace {

using engine::ColumnDef;
using engine::Database;
using engine::ForkInfo;
using engine::Snapshot;
using engine::TableDef;
using engine::TableSpec;
using engine::Transaction;
using engine::Type;
using engine::Value;

TableSpec Spec(std::string name) {
  return TableSpec{std::move(name),
                   {engine::Column("k", Type::kInteger, /*not_null=*/true),
                    engine::Column("v", Type::kText)},
                   {"k"}};
}

std::set<std::string> ForkNames(const Database& db) {
  std::set<std::string> names;
  for (const ForkInfo& f : db.ListForks()) names.insert(f.name);
  return names;
}

std::vector<std::string> TableNames(const Snapshot& snap) {
  std::vector<std::string> names;
  Result<std::vector<TableDef>> tables = snap.ListTables();
  EXPECT_TRUE(tables.ok()) << tables.status().ToString();
  if (tables.ok())
    for (const TableDef& t : *tables) names.push_back(t.name);
  return names;
}

TEST(ForkNameForTestTest, ReplacesCharactersOutsideTheForkAlphabet) {
  EXPECT_EQ(ForkNameForTest("Suite", "Test"), "Suite.Test");
  EXPECT_EQ(ForkNameForTest("Inst/Suite", "Name/0"), "Inst_Suite.Name_0");
  EXPECT_EQ(ForkNameForTest("A b", "c<int>-1.x"), "A_b.c_int_-1.x");
}

TEST(ForkNameForTestTest, LongNamesAreCutToTheLimitAndStayDistinct) {
  const std::string suite(50, 'S');
  const std::string a = ForkNameForTest(suite, std::string(30, 'T') + "/1");
  const std::string b = ForkNameForTest(suite, std::string(30, 'T') + "/2");
  EXPECT_EQ(a.size(), kForkNameMax);
  EXPECT_EQ(b.size(), kForkNameMax);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 50), suite);
  EXPECT_EQ(ForkNameForTest(std::string(31, 'S'), std::string(32, 'T')).size(),
            kForkNameMax);  // exactly at the limit: kept whole
}

TEST(StatusMacrosTest, FailuresCarryTheExpressionAndTheStatusText) {
  FORKDB_EXPECT_OK(Status());
  FORKDB_EXPECT_OK(Result<int>(1));
  EXPECT_NONFATAL_FAILURE(FORKDB_EXPECT_OK(Status::Busy("fork x")),
                          "Status::Busy(\"fork x\"): Busy: fork x");
  EXPECT_FATAL_FAILURE(FORKDB_ASSERT_OK(Result<int>(Status::NotFound("k 1"))),
                       "NotFound: k 1");
  EXPECT_FATAL_FAILURE(
      {
        FORKDB_ASSERT_OK_AND_ASSIGN(int v, Result<int>(Status::Aborted("a")));
        (void)v;
      },
      "Result<int>(Status::Aborted(\"a\")): Aborted: a");
  FORKDB_ASSERT_OK_AND_ASSIGN(int v, Result<int>(7));
  EXPECT_EQ(v, 7);
}

// Seeds through the Database (two forks) and returns void, reporting with
// gtest assertions; opens its own database (512-byte pages).
class DatabaseSeedTest : public ForkedDatabaseTest<DatabaseSeedTest> {
 public:
  static Result<Database> OpenDatabase() {
    return Database::Open(engine::Options{.page_size = 512});
  }
  static void Seed(Database& db) {
    Result<Transaction> txn = db.Begin("main");
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    FORKDB_ASSERT_OK(txn->CreateTable(Spec("from_database")));
    FORKDB_ASSERT_OK(txn->Commit());
    FORKDB_ASSERT_OK(db.CreateFork("golden", "main"));
  }

 protected:
  void TearDown() override {
    ForkedDatabaseTest::TearDown();
    // Whatever the test made is gone; what the seed made is still there.
    EXPECT_EQ(ForkNames(db()), (std::set<std::string>{"main", "golden"}));
  }
};

TEST_F(DatabaseSeedTest, TheSuiteHasItsOwnSeededDatabase) {
  EXPECT_EQ(db().page_size(), 512u);
  EXPECT_EQ(TableNames(GetSnapshot()),
            std::vector<std::string>{"from_database"});
  FORKDB_ASSERT_OK_AND_ASSIGN(ForkInfo info, db().GetFork(fork()));
  EXPECT_EQ(info.parent, "main");
  EXPECT_EQ(fork(), "DatabaseSeedTest.TheSuiteHasItsOwnSeededDatabase");
}

TEST_F(DatabaseSeedTest, ForksTheTestMadeAreDroppedChildrenFirst) {
  FORKDB_ASSERT_OK(db().CreateFork("child", fork()));
  FORKDB_ASSERT_OK(db().CreateFork("grandchild", "child"));
  FORKDB_ASSERT_OK(db().CreateFork("sibling", "main"));
  // An open snapshot does not stop the drop, and stays readable.
  Snapshot snap = GetSnapshot();
  ASSERT_TRUE(snap.valid());
  TearDown();  // the check in TearDown() above runs now too
  EXPECT_EQ(TableNames(snap), std::vector<std::string>{"from_database"});
}

TEST_F(DatabaseSeedTest, AForkNameInUseGetsASuffix) {
  const std::string taken =
      ForkNameForTest("DatabaseSeedTest", "AForkNameInUseGetsASuffix");
  EXPECT_EQ(fork(), taken);
  TearDown();
  // As if an earlier repetition of the test could not drop its fork.
  FORKDB_ASSERT_OK(db().CreateFork(taken, "main"));
  SetUp();
  EXPECT_EQ(fork(), taken + "-2");
  FORKDB_EXPECT_OK(db().DropFork(taken));  // not the test's: made before SetUp
}

// Seeds through a Transaction on main and returns Status: a second suite in
// the same binary, with a database of its own.
class TransactionSeedTest : public ForkedDatabaseTest<TransactionSeedTest> {
 public:
  static Status Seed(Transaction& txn) {
    return txn.CreateTable(Spec("from_transaction")).status();
  }
};

TEST_F(TransactionSeedTest, TheSuiteHasItsOwnSeededDatabase) {
  EXPECT_EQ(db().page_size(), 4096u);
  EXPECT_EQ(TableNames(GetSnapshot()),
            std::vector<std::string>{"from_transaction"});
  EXPECT_EQ(ForkNames(db()), (std::set<std::string>{"main", fork()}));
}

TEST_F(TransactionSeedTest, BeginOnTheTestsForkWhileOneIsOpenFails) {
  Transaction first = Begin();
  ASSERT_TRUE(first.active());
  Transaction second;
  EXPECT_NONFATAL_FAILURE(second = Begin(), "Busy");
  EXPECT_FALSE(second.valid());
}

TEST_F(TransactionSeedTest, TearDownFailsNamingTheForkWhileATransactionIsOpen) {
  Transaction txn = Begin();
  FORKDB_ASSERT_OK(
      txn.Insert("from_transaction", {Value::Integer(1), Value()}));
  const std::string expected = "fork '" + fork() + "': Busy";
  EXPECT_NONFATAL_FAILURE(TearDown(), expected);
  txn.Rollback();  // now the fixture's own TearDown() can drop it
}

// A suite whose tests write main by mistake.
class MainWriteTest : public ForkedDatabaseTest<MainWriteTest> {
 public:
  static Status Seed(Transaction& txn) {
    return txn.CreateTable(Spec("t")).status();
  }
};

TEST_F(MainWriteTest, TearDownFailsATestThatCommittedToMain) {
  {
    Transaction txn;
    FORKDB_ASSERT_OK_AND_ASSIGN(txn, db().Begin("main"));
    FORKDB_ASSERT_OK(txn.Insert("t", {Value::Integer(1), Value()}));
    FORKDB_ASSERT_OK(txn.Commit());
  }
  EXPECT_NONFATAL_FAILURE(TearDown(), "committed 1 transaction(s) to main");
  SetUp();  // main's new state is the baseline now
}

// Fails on purpose: run alone by CMake, which expects the message below and
// that no test body ran.
class FailingSeedTest : public ForkedDatabaseTest<FailingSeedTest> {
 public:
  static Status Seed(Transaction& txn) {
    return txn.Insert("no_such_table", {Value::Integer(1)}).status();
  }
};

TEST_F(FailingSeedTest, NeverRuns) {
  ADD_FAILURE() << "the test body ran after a failed seed";
}

}  // namespace
}  // namespace forkdb::testing
