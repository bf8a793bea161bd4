// Unit tests of cow::Store. One body runs on both backends (TEST_P).
#include "cow/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "cow/memory_block_store.h"
#include "tests/cow/test_util.h"

namespace forkdb::cow {
namespace {

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { env_ = std::make_unique<TestStoreEnv>(GetParam()); }
  Store& store() { return env_->store(); }
  void Reopen() { env_->Reopen(); }
  void ExpectClean() {
    auto report = store().Check();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->ToString();
  }
  std::unique_ptr<TestStoreEnv> env_;
};

TEST_P(StoreTest, WriteCommitRead) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(
      WritePages(store(), "main", {{0, "zero"}, {1, "one"}, {700, "far"}}));
  EXPECT_EQ(ReadPageString(store(), "main", 0), "zero");
  EXPECT_EQ(ReadPageString(store(), "main", 1), "one");
  EXPECT_EQ(ReadPageString(store(), "main", 700), "far");
  EXPECT_EQ(ReadPageString(store(), "main", 2), "<unmapped>");
  ExpectClean();
}

TEST_P(StoreTest, AbortLeavesNothing) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "kept"}}));
  auto before = store().Stats();
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("main"));
    ASSERT_OK(txn->WritePage(0, "lost"));
    ASSERT_OK(txn->WritePage(5000, "lost"));
    txn->Abort();
  }
  EXPECT_EQ(ReadPageString(store(), "main", 0), "kept");
  EXPECT_EQ(ReadPageString(store(), "main", 5000), "<unmapped>");
  EXPECT_EQ(store().Stats().blocks_live, before.blocks_live);
  ExpectClean();
}

// Invariant 2: no write to one fork is visible in another fork or an older
// snapshot.
TEST_P(StoreTest, Invariant2_WritesStayInTheirFork) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "base"}, {1, "base1"}}));
  ASSERT_OK(store().CreateFork("a", "main"));
  ASSERT_OK_AND_ASSIGN(auto snap, store().OpenSnapshot("main"));
  ASSERT_OK(WritePages(store(), "a", {{0, "a0"}}));
  ASSERT_OK(WritePages(store(), "main", {{1, "main1"}, {2, "main2"}}));
  EXPECT_EQ(ReadPageString(store(), "a", 0), "a0");
  EXPECT_EQ(ReadPageString(store(), "a", 1), "base1");
  EXPECT_EQ(ReadPageString(store(), "a", 2), "<unmapped>");
  EXPECT_EQ(ReadPageString(store(), "main", 0), "base");
  EXPECT_EQ(ReadPageString(store(), "main", 1), "main1");
  ASSERT_OK_AND_ASSIGN(BlockRef old1, snap->ReadPage(1));
  EXPECT_STREQ(old1->data(), "base1");
  EXPECT_FALSE(snap->ReadPage(2).ok());
  ExpectClean();
  snap.reset();
  ExpectClean();
}

TEST_P(StoreTest, DropFreesOnlyUnsharedBlocks) {
  ASSERT_OK(store().CreateRootFork("main"));
  std::vector<std::pair<PageNo, std::string>> pages;
  for (PageNo p = 0; p < 2000; p += 3)
    pages.emplace_back(p, "p" + std::to_string(p));
  ASSERT_OK(WritePages(store(), "main", pages));
  uint64_t base_blocks = store().Stats().blocks_live;
  ASSERT_OK(store().CreateFork("child", "main"));
  EXPECT_EQ(store().Stats().blocks_live, base_blocks);  // a fork copies nothing
  ASSERT_OK(WritePages(store(), "child", {{3, "c3"}, {1500, "c1500"}}));
  EXPECT_GT(store().Stats().blocks_live, base_blocks);
  ASSERT_OK(store().DropFork("child"));
  EXPECT_EQ(store().Stats().blocks_live, base_blocks);
  EXPECT_EQ(ReadPageString(store(), "main", 3), "p3");
  ExpectClean();
}

TEST_P(StoreTest, ParentDroppedChildKeepsState) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "m0"}, {9, "m9"}}));
  ASSERT_OK(store().CreateFork("child", "main"));
  ASSERT_OK(store().DropFork("main"));
  EXPECT_EQ(ReadPageString(store(), "child", 9), "m9");
  ExpectClean();
  ASSERT_OK(store().DropFork("child"));
  EXPECT_EQ(store().Stats().blocks_live, 0u);
  ExpectClean();
}

TEST_P(StoreTest, SecondWriterIsBusy) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("main"));
  auto second = store().Begin("main");
  EXPECT_TRUE(second.status().IsBusy()) << second.status().ToString();
  EXPECT_TRUE(store().DropFork("main").IsBusy());
  txn->Abort();
  EXPECT_TRUE(store().Begin("main").ok());
}

TEST_P(StoreTest, BadNamesAreRefused) {
  ASSERT_OK(store().CreateRootFork("main"));
  EXPECT_TRUE(store().CreateFork("main", "main").status().IsInvalidArgument());
  EXPECT_TRUE(store().CreateFork("", "main").status().IsInvalidArgument());
  EXPECT_TRUE(store().CreateFork("a b", "main").status().IsInvalidArgument());
  EXPECT_TRUE(store().CreateFork("x", "nope").status().IsNotFound());
  EXPECT_TRUE(store().DropFork("nope").IsNotFound());
  EXPECT_TRUE(store().Begin("nope").status().IsNotFound());
  EXPECT_EQ(store().ListForks().size(), 1u);
}

TEST_P(StoreTest, ReadOnlyForkRefusesWriters) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(store().CreateFork("ro", "main", /*read_only=*/true));
  EXPECT_TRUE(store().Begin("ro").status().IsInvalidArgument());
}

TEST_P(StoreTest, ForkFromSnapshot) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "v1"}}));
  ASSERT_OK_AND_ASSIGN(auto snap, store().OpenSnapshot("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "v2"}}));
  ASSERT_OK(store().CreateForkFromSnapshot("past", *snap));
  snap.reset();
  EXPECT_EQ(ReadPageString(store(), "past", 0), "v1");
  EXPECT_EQ(ReadPageString(store(), "main", 0), "v2");
  ASSERT_OK_AND_ASSIGN(ForkInfo info, store().GetFork("past"));
  ASSERT_OK_AND_ASSIGN(ForkInfo main, store().GetFork("main"));
  EXPECT_EQ(info.parent, main.id);
  EXPECT_EQ(info.fork_point_seq, 1u);
  ExpectClean();
}

TEST_P(StoreTest, ReleasedSnapshotIsRefused) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "v1"}}));
  ASSERT_OK_AND_ASSIGN(auto snap, store().OpenSnapshot("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "v2"}}));
  ASSERT_OK(snap->Release());
  EXPECT_TRUE(snap->Release().IsInvalidArgument());
  EXPECT_TRUE(snap->ReadPage(0).status().IsInvalidArgument());
  EXPECT_TRUE(
      store().CreateForkFromSnapshot("x", *snap).status().IsInvalidArgument());
  EXPECT_EQ(store().Stats().snapshots, 0u);
  ExpectClean();
}

TEST_P(StoreTest, BaseSnapshotIsTheForkPoint) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "v1"}}));
  ASSERT_OK(store().CreateFork("a", "main"));
  ASSERT_OK(WritePages(store(), "a", {{0, "a"}}));
  ASSERT_OK(WritePages(store(), "main", {{0, "v2"}}));
  ASSERT_OK_AND_ASSIGN(auto base, store().OpenBaseSnapshot("a"));
  ASSERT_OK_AND_ASSIGN(BlockRef page, base->ReadPage(0));
  EXPECT_STREQ(page->data(), "v1");
  EXPECT_TRUE(store().OpenBaseSnapshot("main").status().IsNotFound());
}

TEST_P(StoreTest, FreePageUnmaps) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "a"}, {1, "b"}}));
  ASSERT_OK(store().CreateFork("f", "main"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("f"));
    ASSERT_OK(txn->FreePage(0));
    EXPECT_TRUE(txn->FreePage(0).IsNotFound());
    EXPECT_TRUE(txn->FreePage(77).IsNotFound());
    ASSERT_OK(txn->WritePage(2, "new"));
    ASSERT_OK(txn->FreePage(2));  // allocated and freed in one transaction
    ASSERT_OK(txn->Commit());
  }
  EXPECT_EQ(ReadPageString(store(), "f", 0), "<unmapped>");
  EXPECT_EQ(ReadPageString(store(), "main", 0), "a");
  ASSERT_OK_AND_ASSIGN(ForkInfo info, store().GetFork("f"));
  EXPECT_EQ(info.root.pages, 1u);
  ExpectClean();
}

TEST_P(StoreTest, RollbackToSavepointUndoesOnlyWhatFollowedIt) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "c0"}, {1, "c1"}}));
  auto before = store().Stats();
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("main"));
    ASSERT_OK(txn->WritePage(0, "t0"));
    ASSERT_OK(txn->Savepoint());
    ASSERT_OK(txn->WritePage(0, "s0"));      // a block written before the mark
    ASSERT_OK(txn->WritePage(1, "s1"));      // a committed block
    ASSERT_OK(txn->WritePage(900, "s900"));  // a new page
    ASSERT_OK(txn->FreePage(0));
    ASSERT_OK(txn->RollbackToSavepoint());
    EXPECT_EQ(txn->savepoint_depth(), 0u);
    ASSERT_OK_AND_ASSIGN(BlockRef p0, txn->ReadPage(0));
    EXPECT_STREQ(p0->data(), "t0");
    ASSERT_OK_AND_ASSIGN(BlockRef p1, txn->ReadPage(1));
    EXPECT_STREQ(p1->data(), "c1");
    ASSERT_OK_AND_ASSIGN(bool mapped, txn->IsMapped(900));
    EXPECT_FALSE(mapped);
    EXPECT_EQ(txn->root().pages, 2u);
    ASSERT_OK(txn->Commit());
  }
  EXPECT_EQ(ReadPageString(store(), "main", 0), "t0");
  EXPECT_EQ(ReadPageString(store(), "main", 1), "c1");
  EXPECT_EQ(ReadPageString(store(), "main", 900), "<unmapped>");
  EXPECT_EQ(store().Stats().blocks_live, before.blocks_live);
  ExpectClean();
}

TEST_P(StoreTest, NestedSavepointsReleaseAndRollBack) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("main"));
  ASSERT_OK(txn->WritePage(0, "a"));
  ASSERT_OK(txn->Savepoint());  // outer
  ASSERT_OK(txn->WritePage(0, "b"));
  ASSERT_OK(txn->Savepoint());  // inner
  ASSERT_OK(txn->WritePage(0, "c"));
  ASSERT_OK(txn->ReleaseSavepoint());  // keep "c" inside the outer mark
  ASSERT_OK_AND_ASSIGN(BlockRef page, txn->ReadPage(0));
  EXPECT_STREQ(page->data(), "c");
  ASSERT_OK(txn->RollbackToSavepoint());  // back to "a"
  ASSERT_OK_AND_ASSIGN(page, txn->ReadPage(0));
  EXPECT_STREQ(page->data(), "a");
  EXPECT_TRUE(txn->RollbackToSavepoint().IsInvalidArgument());
  EXPECT_TRUE(txn->ReleaseSavepoint().IsInvalidArgument());
  ASSERT_OK(txn->Savepoint());
  ASSERT_OK(txn->WritePage(5, "kept"));
  ASSERT_OK(txn->Commit());  // releases the open savepoint
  EXPECT_EQ(ReadPageString(store(), "main", 0), "a");
  EXPECT_EQ(ReadPageString(store(), "main", 5), "kept");
  ExpectClean();
}

TEST_P(StoreTest, MutablePageCopiesOldBytes) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{4, "hello world"}}));
  ASSERT_OK(store().CreateFork("f", "main"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("f"));
    ASSERT_OK_AND_ASSIGN(char* bytes, txn->MutablePage(4));
    EXPECT_STREQ(bytes, "hello world");
    bytes[0] = 'J';
    ASSERT_OK(txn->Commit());
  }
  EXPECT_EQ(ReadPageString(store(), "f", 4), "Jello world");
  EXPECT_EQ(ReadPageString(store(), "main", 4), "hello world");
  ExpectClean();
}

TEST_P(StoreTest, TreeGrowsUnderSharedRoot) {
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{1, "small"}}));
  ASSERT_OK(store().CreateFork("f", "main"));
  ASSERT_OK(WritePages(store(), "f", {{kPageNoMax, "huge"}, {1, "f1"}}));
  EXPECT_EQ(ReadPageString(store(), "f", kPageNoMax), "huge");
  EXPECT_EQ(ReadPageString(store(), "f", 1), "f1");
  EXPECT_EQ(ReadPageString(store(), "main", 1), "small");
  ExpectClean();
  ASSERT_OK(store().DropFork("main"));
  ExpectClean();
}

TEST_P(StoreTest, DiffFindsExactlyTheChangedPages) {
  ASSERT_OK(store().CreateRootFork("main"));
  std::vector<std::pair<PageNo, std::string>> pages;
  for (PageNo p = 0; p < 3000; ++p) pages.emplace_back(p, "x");
  ASSERT_OK(WritePages(store(), "main", pages));
  ASSERT_OK(store().CreateFork("f", "main"));
  ASSERT_OK(WritePages(store(), "f", {{7, "y"}, {2999, "y"}, {100000, "new"}}));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("f"));
    ASSERT_OK(txn->FreePage(1234));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto a, store().OpenSnapshot("main"));
  ASSERT_OK_AND_ASSIGN(auto b, store().OpenSnapshot("f"));
  ASSERT_OK_AND_ASSIGN(auto diff, store().DiffPages(a->root(), b->root()));
  EXPECT_EQ(diff, (std::vector<PageNo>{7, 1234, 2999, 100000}));
  ASSERT_OK_AND_ASSIGN(auto same, store().DiffPages(a->root(), a->root()));
  EXPECT_TRUE(same.empty());
}

TEST_P(StoreTest, SpaceAccounting) {
  ASSERT_OK(store().CreateRootFork("main"));
  std::vector<std::pair<PageNo, std::string>> pages;
  for (PageNo p = 0; p < 1000; ++p) pages.emplace_back(p, "x");
  ASSERT_OK(WritePages(store(), "main", pages));
  ASSERT_OK_AND_ASSIGN(SpaceUsage main_alone, store().Space("main"));
  EXPECT_EQ(main_alone.shared_blocks, 0u);
  EXPECT_EQ(main_alone.own_blocks,
            1000u + 3u);  // 1000 pages, a root and two leaves
  ASSERT_OK(store().CreateFork("f", "main"));
  ASSERT_OK_AND_ASSIGN(SpaceUsage f0, store().Space("f"));
  EXPECT_EQ(f0.own_blocks, 0u);
  EXPECT_EQ(f0.shared_blocks, 1003u);
  ASSERT_OK(WritePages(store(), "f", {{0, "y"}}));
  ASSERT_OK_AND_ASSIGN(SpaceUsage f1, store().Space("f"));
  EXPECT_EQ(f1.own_blocks, 3u);  // root, leaf, page
  EXPECT_EQ(f1.shared_blocks, 1000u);
}

TEST_P(StoreTest, SpaceCountsWhatTheForkAloneHoldsThroughItsBase) {
  // The parent moves on; the child's root and base still hold the old state,
  // both on the child's behalf: all of it is the child's own.
  ASSERT_OK(store().CreateRootFork("p"));
  std::vector<std::pair<PageNo, std::string>> pages;
  for (PageNo p = 0; p < 100; ++p) pages.emplace_back(p, "x");
  ASSERT_OK(WritePages(store(), "p", pages));
  ASSERT_OK(store().CreateFork("c", "p"));
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("p"));
    for (PageNo p = 0; p < 100; ++p) ASSERT_OK(txn->FreePage(p));
    ASSERT_OK(txn->Commit());
  }
  ASSERT_OK_AND_ASSIGN(SpaceUsage usage, store().Space("c"));
  EXPECT_EQ(usage.own_blocks, 101u);  // 100 pages and one node
  EXPECT_EQ(usage.shared_blocks, 0u);
  EXPECT_EQ(usage.state_blocks, 101u);
  uint64_t live = store().Stats().blocks_live;
  ASSERT_OK(store().DropFork("c"));
  EXPECT_EQ(live - store().Stats().blocks_live, usage.own_blocks);
}

TEST_P(StoreTest, FirstWriteAfterForkCopiesAtMostHeightPlusOneBlocks) {
  ASSERT_OK(store().CreateRootFork("main"));
  std::vector<std::pair<PageNo, std::string>> pages;
  for (PageNo p = 0; p < 5000; ++p) pages.emplace_back(p, "x");
  ASSERT_OK(WritePages(store(), "main", pages));
  ASSERT_OK(store().CreateFork("f", "main"));
  ASSERT_OK_AND_ASSIGN(ForkInfo info, store().GetFork("f"));
  ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("f"));
  ASSERT_OK_AND_ASSIGN(char* bytes, txn->MutablePage(4321));
  bytes[0] = 'z';
  EXPECT_EQ(txn->blocks_written(), info.root.height + 1u);
  ASSERT_OK(txn->Commit());
}

// Invariant 1: fork, snapshot and drop cost O(1) in the database's size. Their
// time is measured by bench/fork_bench.cc; here, that they write and copy no
// block at all.
TEST_P(StoreTest, Invariant1_ForkSnapshotAndDropCopyNoBlock) {
  ASSERT_OK(store().CreateRootFork("main"));
  std::vector<std::pair<PageNo, std::string>> pages;
  for (PageNo p = 0; p < 4000; ++p) pages.emplace_back(p, "x");
  ASSERT_OK(WritePages(store(), "main", pages));
  auto before = store().Stats();
  std::vector<std::unique_ptr<Snapshot>> snapshots;
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(store().CreateFork("f" + std::to_string(i), "main"));
    ASSERT_OK_AND_ASSIGN(auto snap, store().OpenSnapshot("main"));
    snapshots.push_back(std::move(snap));
  }
  auto after = store().Stats();
  EXPECT_EQ(after.blocks_live, before.blocks_live);
  EXPECT_EQ(after.next_block_id, before.next_block_id);
  ExpectClean();
  snapshots.clear();
  for (int i = 0; i < 100; ++i) {
    ASSERT_OK(store().DropFork("f" + std::to_string(i)));
  }
  EXPECT_EQ(store().Stats().blocks_live, before.blocks_live);
  ExpectClean();
}

TEST_P(StoreTest, StateSurvivesReopen) {
  if (GetParam() != Backend::kRocksDB)
    GTEST_SKIP() << "memory store has no reopen";
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(WritePages(store(), "main", {{0, "a"}, {600, "b"}}));
  ASSERT_OK(store().CreateFork("f", "main"));
  ASSERT_OK(WritePages(store(), "f", {{0, "fa"}}));
  {
    ASSERT_OK_AND_ASSIGN(auto snap, store().OpenSnapshot("f"));
    ASSERT_OK(WritePages(store(), "f", {{0, "fb"}}));
  }
  Reopen();
  EXPECT_EQ(ReadPageString(store(), "main", 0), "a");
  EXPECT_EQ(ReadPageString(store(), "main", 600), "b");
  EXPECT_EQ(ReadPageString(store(), "f", 0), "fb");
  ASSERT_OK_AND_ASSIGN(ForkInfo info, store().GetFork("f"));
  EXPECT_EQ(info.name, "f");
  EXPECT_EQ(info.commit_seq, 2u);
  ExpectClean();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kMemory, Backend::kRocksDB),
                         [](const auto& info) {
                           return BackendName(info.param);
                         });

}  // namespace
}  // namespace forkdb::cow
