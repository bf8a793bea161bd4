// forkdb/testing.h as a test author uses it (README, "Testing with a fork per
// test", shows this file): the suite seeds a table of users once, and every
// test writes to its own fork of the seed without seeing any other test's
// writes, whatever order the tests run in.
#include <gtest/gtest.h>

#include <optional>

#include "forkdb/database.h"
#include "forkdb/testing.h"

using forkdb::Status;
using forkdb::testing::ReadRows;
using namespace forkdb::engine;

class UsersTest : public forkdb::testing::ForkedDatabaseTest<UsersTest> {
 public:
  // Runs once for the suite, in a transaction on fork "main" that the
  // fixture commits.
  static Status Seed(Transaction& txn) {
    // users(id INTEGER NOT NULL PRIMARY KEY, name TEXT)
    const TableSpec users{"users",
                          {Column("id", Type::kInteger, /*not_null=*/true),
                           Column("name", Type::kText)},
                          {"id"}};
    FORKDB_RETURN_IF_ERROR(txn.CreateTable(users).status());
    int64_t id = 0;
    for (const char* name : {"ada", "grace", "linus"}) {
      FORKDB_RETURN_IF_ERROR(
          txn.Insert("users", {Value::Integer(++id), Value::Text(name)})
              .status());
    }
    return Status();
  }
};

TEST_F(UsersTest, EachTestHasItsOwnForkOfTheSeed) {
  EXPECT_EQ(fork(), "UsersTest.EachTestHasItsOwnForkOfTheSeed");
  EXPECT_EQ(ReadRows(GetSnapshot(), "users").size(), 3u);
}

// The next two tests insert the same key: each succeeds because neither sees
// the other's row, in whichever order they run.
TEST_F(UsersTest, InsertIsSeenOnlyInThisFork) {
  Transaction txn = Begin();  // on fork()
  FORKDB_ASSERT_OK(
      txn.Insert("users", {Value::Integer(4), Value::Text("barbara")}));
  FORKDB_ASSERT_OK(txn.Commit());

  Snapshot mine = GetSnapshot();
  EXPECT_EQ(ReadRows(mine, "users").size(), 4u);
  FORKDB_ASSERT_OK_AND_ASSIGN(std::optional<Row> row,
                              mine.Get("users", {Value::Integer(4)}));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*row)[1], Value::Text("barbara"));
  // main, which every test forks, still holds the seed alone.
  FORKDB_ASSERT_OK_AND_ASSIGN(Snapshot seed, db().GetSnapshot("main"));
  EXPECT_EQ(ReadRows(seed, "users").size(), 3u);
}

TEST_F(UsersTest, SameKeyInsertedByAnotherTest) {
  Transaction txn = Begin();
  FORKDB_ASSERT_OK(
      txn.Insert("users", {Value::Integer(4), Value::Text("margaret")}));
  FORKDB_ASSERT_OK(txn.Commit());
  FORKDB_ASSERT_OK_AND_ASSIGN(std::optional<Row> row,
                              GetSnapshot().Get("users", {Value::Integer(4)}));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*row)[1], Value::Text("margaret"));
}

TEST_F(UsersTest, DroppingTheTableStaysInThisFork) {
  Transaction txn = Begin();
  FORKDB_ASSERT_OK(txn.DropTable("users"));
  FORKDB_ASSERT_OK(txn.Commit());
  EXPECT_TRUE(
      GetSnapshot().Get("users", {Value::Integer(1)}).status().IsNotFound());
}
