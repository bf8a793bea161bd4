// Built against an installed forkdb (tools/check-package): forkdb/testing.h
// from the install, with GoogleTest linked by the consumer.
#include <gtest/gtest.h>

#include "forkdb/testing.h"

namespace {

using forkdb::Status;
using forkdb::testing::ReadRows;
using namespace forkdb::engine;

class KvTest : public forkdb::testing::ForkedDatabaseTest<KvTest> {
 public:
  static Status Seed(Transaction& txn) {
    FORKDB_RETURN_IF_ERROR(
        txn.CreateTable({"kv",
                         {{.name = "k", .not_null = true, .default_value = {}}},
                         {"k"}})
            .status());
    return txn.Insert("kv", {Value::Integer(1)}).status();
  }
};

TEST_F(KvTest, WritesStayInTheTestsFork) {
  Transaction txn = Begin();
  FORKDB_ASSERT_OK(txn.Insert("kv", {Value::Integer(2)}));
  FORKDB_ASSERT_OK(txn.Commit());
  EXPECT_EQ(ReadRows(GetSnapshot(), "kv").size(), 2u);
}

TEST_F(KvTest, SeesOnlyTheSeed) {
  EXPECT_EQ(ReadRows(GetSnapshot(), "kv").size(), 1u);
}

}  // namespace
