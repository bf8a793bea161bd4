// Tests of the integrity check (Store::Check and `forkdb check`): the check is
// itself checked by injecting faults, one at a time, into a store with forks,
// bases and a snapshot sharing blocks, and requiring that every fault is found
// and named (its CheckProblem kind and block id, and the id in the message),
// then undoing it and requiring a clean report again. Faults:
//   - a wrong reference count on a reachable block (Store::TEST_AdjustCount);
//   - a leaked block: a stored block no root references (TEST_PutBlock), or a
//     count on a block no root reaches;
//   - a dangling reference: a page-map node rewritten, with a valid checksum,
//     to point to a block never stored or an id never allocated;
//   - a damaged block: a byte of its bytes or of its checksum flipped;
//   - a persisted count record that disagrees (durable backend only).
// The seed is printed; FORKDB_TEST_SEED=<seed> replays a run.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <random>

#include "cow/coding.h"
#include "cow/store.h"
#include "tests/cow/forkdb_tool.h"
#include "tests/cow/test_util.h"

namespace forkdb::cow {
namespace {

constexpr uint32_t kBlockSize = 512;  // fanout 64: trees of height 2 and 3

using Kind = CheckProblem::Kind;

std::string KindName(Kind kind) {
  switch (kind) {
    case Kind::kChecksum:
      return "checksum";
    case Kind::kDangling:
      return "dangling";
    case Kind::kCountMismatch:
      return "count mismatch";
    case Kind::kLeaked:
      return "leaked";
    case Kind::kRecord:
      return "record";
  }
  return "?";
}

// Every block reachable from the roots, with its level (0: data block).
std::map<BlockId, uint32_t> ReachableBlocks(
    Store& store, const std::vector<Root>& extra_roots) {
  std::vector<std::pair<BlockId, uint32_t>> stack;
  for (const ForkInfo& info : store.ListForks()) {
    if (info.root.block) stack.emplace_back(info.root.block, info.root.height);
    if (info.base.block) stack.emplace_back(info.base.block, info.base.height);
  }
  for (const Root& root : extra_roots) {
    if (root.block) stack.emplace_back(root.block, root.height);
  }
  std::map<BlockId, uint32_t> out;
  while (!stack.empty()) {
    auto [id, level] = stack.back();
    stack.pop_back();
    if (!out.emplace(id, level).second || level == 0) continue;
    auto node = store.backend()->ReadBlock(id);
    if (!node.ok()) continue;
    for (uint32_t slot = 0; slot < store.fanout(); ++slot) {
      if (BlockId child = (*node)->child(slot))
        stack.emplace_back(child, level - 1);
    }
  }
  return out;
}

std::string CountKey(BlockId id) {
  std::string key = "rc/";
  PutBigEndian64(&key, id);
  return key;
}

class CheckTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    seed_ = TestSeed();
    rng_.seed(seed_);
    std::cout << "[ seed     ] FORKDB_TEST_SEED=" << seed_ << "\n";
    env_ = std::make_unique<TestStoreEnv>(GetParam(), kBlockSize);
  }
  void TearDown() override {
    snapshot_.reset();
    env_.reset();
  }
  Store& store() { return env_->store(); }

  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  template <typename Map>
  typename Map::const_iterator RandomEntry(const Map& m) {
    return std::next(m.begin(), Uniform(0, m.size() - 1));
  }

  // Forks sharing blocks, a base, a snapshot pinning old blocks, a tall tree.
  void Populate() {
    ASSERT_OK(store().CreateRootFork("main"));
    std::vector<std::pair<PageNo, std::string>> pages;
    for (PageNo p = 0; p < 3000; p += 11)
      pages.emplace_back(p, "m" + std::to_string(p));
    ASSERT_OK(WritePages(store(), "main", pages));
    ASSERT_OK(store().CreateFork("a", "main"));
    ASSERT_OK(
        WritePages(store(), "a", {{5, "a5"}, {2900, "a2900"}, {70000, "far"}}));
    ASSERT_OK(store().CreateFork("b", "a"));
    ASSERT_OK_AND_ASSIGN(snapshot_, store().OpenSnapshot("main"));
    ASSERT_OK(WritePages(store(), "main", {{0, "m0'"}, {1000, "m1000'"}}));
    ASSERT_OK(WritePages(store(), "b", {{11, "b11"}}));
    ASSERT_NO_FATAL_FAILURE(ExpectClean());
  }

  std::map<BlockId, uint32_t> Reachable() {
    return ReachableBlocks(store(), {snapshot_->root()});
  }

  CheckReport RunCheck() {
    auto report = store().Check();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : CheckReport();
  }

  void ExpectClean() {
    CheckReport report = RunCheck();
    ASSERT_TRUE(report.ok()) << report.ToString();
    EXPECT_EQ(report.blocks_reachable, report.blocks_stored);
    EXPECT_EQ(report.blocks_reachable, store().Stats().blocks_live);
  }

  // The report names the fault: a problem of `kind` on `block` whose message
  // says "block <id>". With `only`, every problem is about that block.
  void ExpectFound(const CheckReport& report, Kind kind, BlockId block,
                   bool only) {
    ASSERT_FALSE(report.ok())
        << KindName(kind) << " at block " << block << " went unnoticed";
    bool found = false;
    for (const CheckProblem& p : report.problems) {
      if (p.kind == kind && p.block == block) {
        found = true;
        EXPECT_NE(p.message.find("block " + std::to_string(block)),
                  std::string::npos)
            << p.message;
      }
      if (only) {
        EXPECT_EQ(p.block, block) << "unrelated problem: " << p.message;
      }
    }
    EXPECT_TRUE(found) << "no " << KindName(kind) << " problem for block "
                       << block << " in: " << report.ToString();
    ++faults_found_;
  }

  // One random fault: inject it, check that it is found, undo it, check clean.
  void InjectOne(int variant) {
    std::map<BlockId, uint32_t> reachable = Reachable();
    ASSERT_FALSE(reachable.empty());
    switch (variant) {
      case 0: {  // a count too high or too low on a reachable block
        BlockId id = RandomEntry(reachable)->first;
        int64_t delta =
            Uniform(0, 1) ? -1 : static_cast<int64_t>(Uniform(1, 3));
        SCOPED_TRACE("count of block " + std::to_string(id) + " off by " +
                     std::to_string(delta));
        store().TEST_AdjustCount(id, delta);
        ASSERT_NO_FATAL_FAILURE(
            ExpectFound(RunCheck(), Kind::kCountMismatch, id, true));
        store().TEST_AdjustCount(id, -delta);
        break;
      }
      case 1: {  // a stored block no root references
        BlockId id = store().TEST_AllocateBlockId();
        SCOPED_TRACE("stray block " + std::to_string(id));
        auto block = BlockBuf::Make(kBlockSize);
        block->mutable_data()[Uniform(0, kBlockSize - 1)] = 'x';
        block->Seal(id);
        ASSERT_OK(store().backend()->TEST_PutBlock(id, block));
        ASSERT_NO_FATAL_FAILURE(
            ExpectFound(RunCheck(), Kind::kLeaked, id, true));
        CommitBatch undo;
        undo.delete_blocks.push_back(id);
        ASSERT_OK(store().backend()->Commit(undo));
        break;
      }
      case 2: {  // a count on a block no root reaches
        BlockId id = store().TEST_AllocateBlockId();
        SCOPED_TRACE("count on unreachable block " + std::to_string(id));
        store().TEST_AdjustCount(id, 1);
        ASSERT_NO_FATAL_FAILURE(
            ExpectFound(RunCheck(), Kind::kLeaked, id, true));
        store().TEST_AdjustCount(id, -1);
        break;
      }
      case 3: {  // a node pointing to a block that is not stored
        std::vector<std::pair<BlockId, uint32_t>> slots;  // (node, empty slot)
        for (const auto& [id, level] : reachable) {
          if (level == 0) continue;
          ASSERT_OK_AND_ASSIGN(BlockRef node, store().backend()->ReadBlock(id));
          for (uint32_t slot = 0; slot < store().fanout(); ++slot) {
            if (node->child(slot) == kNullBlock) slots.emplace_back(id, slot);
          }
        }
        ASSERT_FALSE(slots.empty());
        auto [node_id, slot] = slots[Uniform(0, slots.size() - 1)];
        BlockId missing =
            Uniform(0, 1) ? store().TEST_AllocateBlockId()
                          : store().Stats().next_block_id + Uniform(0, 1000);
        SCOPED_TRACE("node " + std::to_string(node_id) + " slot " +
                     std::to_string(slot) + " points to missing block " +
                     std::to_string(missing));
        ASSERT_OK_AND_ASSIGN(BlockRef original,
                             store().backend()->ReadBlock(node_id));
        auto damaged = BlockBuf::Copy(*original);
        damaged->set_child(slot, missing);
        damaged->Seal(node_id);  // a valid checksum: only the link is wrong
        ASSERT_OK(store().backend()->TEST_PutBlock(node_id, damaged));
        ASSERT_NO_FATAL_FAILURE(
            ExpectFound(RunCheck(), Kind::kDangling, missing, true));
        ASSERT_OK(store().backend()->TEST_PutBlock(node_id, original));
        break;
      }
      case 4: {  // a flipped byte in a block or in its checksum
        auto [id, level] = *RandomEntry(reachable);
        uint32_t offset = Uniform(0, kBlockSize + sizeof(uint64_t) - 1);
        uint8_t mask = Uniform(1, 255);
        SCOPED_TRACE("block " + std::to_string(id) + " (level " +
                     std::to_string(level) + ") byte " +
                     std::to_string(offset) + " ^ " + std::to_string(mask));
        ASSERT_OK(store().backend()->TEST_CorruptBlock(id, offset, mask));
        // Below a damaged node the walk stops, so its children may show up as
        // leaked or miscounted; no other block may be called damaged.
        CheckReport report = RunCheck();
        ASSERT_NO_FATAL_FAILURE(
            ExpectFound(report, Kind::kChecksum, id, level == 0));
        for (const CheckProblem& p : report.problems) {
          if (p.kind == Kind::kChecksum || p.kind == Kind::kDangling) {
            EXPECT_EQ(p.block, id) << p.message;
          }
        }
        ASSERT_OK(store().backend()->TEST_CorruptBlock(id, offset, mask));
        break;
      }
      case 5: {  // a persisted count record that disagrees with the counts
        if (GetParam() != Backend::kRocksDB) return;
        BlockId id = RandomEntry(reachable)->first;
        SCOPED_TRACE("count record of block " + std::to_string(id));
        ASSERT_OK_AND_ASSIGN(auto original,
                             store().backend()->ReadRecord(CountKey(id)));
        ASSERT_TRUE(original.has_value());
        std::string_view value(*original);
        uint32_t count = 0;
        ASSERT_TRUE(GetFixed32(&value, &count));
        std::string wrong;  // never the right count
        PutFixed32(&wrong, count + static_cast<uint32_t>(Uniform(1, 1000)));
        CommitBatch damage;
        damage.put_records.emplace_back(CountKey(id), wrong);
        ASSERT_OK(store().backend()->Commit(damage));
        ASSERT_NO_FATAL_FAILURE(
            ExpectFound(RunCheck(), Kind::kRecord, id, true));
        CommitBatch undo;
        undo.put_records.emplace_back(CountKey(id), *original);
        ASSERT_OK(store().backend()->Commit(undo));
        break;
      }
    }
    ASSERT_NO_FATAL_FAILURE(ExpectClean())
        << "after undoing variant " << variant;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::unique_ptr<TestStoreEnv> env_;
  std::unique_ptr<Snapshot> snapshot_;
  int faults_found_ = 0;
};

TEST_P(CheckTest, CleanStoreGivesOkReport) {
  ASSERT_OK(store().CreateRootFork("empty"));
  ASSERT_NO_FATAL_FAILURE(ExpectClean());
  ASSERT_NO_FATAL_FAILURE(Populate());
  CheckReport report = RunCheck();
  EXPECT_TRUE(report.ok()) << report.ToString();
  EXPECT_EQ(report.blocks_reachable, Reachable().size());
  EXPECT_GT(report.blocks_reachable, 300u);
  EXPECT_NE(report.ToString().find("0 problems"), std::string::npos)
      << report.ToString();
  if (GetParam() == Backend::kRocksDB) {
    snapshot_.reset();
    env_->Reopen();
    ASSERT_OK_AND_ASSIGN(snapshot_, store().OpenSnapshot("main"));
    ASSERT_NO_FATAL_FAILURE(ExpectClean());
  }
}

TEST_P(CheckTest, EveryInjectedFaultIsFoundAndNamed) {
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed_));
  ASSERT_NO_FATAL_FAILURE(Populate());
  const int faults = LongTests() ? 1200 : 150;
  for (int i = 0; i < faults; ++i) {
    SCOPED_TRACE("fault " + std::to_string(i));
    const int variants = GetParam() == Backend::kRocksDB ? 6 : 5;
    ASSERT_NO_FATAL_FAILURE(
        InjectOne(static_cast<int>(Uniform(0, variants - 1))));
  }
  std::cout << "[ faults   ] " << BackendName(GetParam()) << ": "
            << faults_found_ << " injected faults found and named\n";
  EXPECT_EQ(faults_found_, faults);
}

INSTANTIATE_TEST_SUITE_P(Backends, CheckTest,
                         ::testing::Values(Backend::kMemory, Backend::kRocksDB),
                         [](const auto& info) {
                           return BackendName(info.param);
                         });

// `forkdb check PATH` on a durable store: exit 0 when clean, 1 with the damaged
// block named, 2 when PATH is not a forkdb store.
class CheckToolTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.path() + "/db"; }
  std::unique_ptr<Store> OpenStore() {
    RocksDBOptions options;
    options.block_size = kBlockSize;
    auto store = Store::OpenRocksDB(db_path(), options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  ToolRun Check(const std::string& path) {
    return RunForkdbTool("check --store-only " + ShellQuote(path));
  }

  ScratchDir dir_;
};

TEST_F(CheckToolTest, CleanStoreExitsZero) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CreateRootFork("main"));
    ASSERT_OK(WritePages(*store, "main", {{0, "a"}, {100, "b"}, {9000, "c"}}));
    ASSERT_OK(store->CreateFork("f", "main"));
    ASSERT_OK(WritePages(*store, "f", {{0, "fa"}}));
  }
  ToolRun run = Check(db_path());
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("ok"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("2 forks"), std::string::npos) << run.output;
}

TEST_F(CheckToolTest, DamagedStoreExitsOneNamingTheBlock) {
  BlockId data = kNullBlock;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->CreateRootFork("main"));
    ASSERT_OK(WritePages(*store, "main", {{0, "a"}, {100, "b"}, {9000, "c"}}));
    auto reachable = ReachableBlocks(*store, {});
    for (const auto& [id, level] : reachable) {
      if (level == 0) data = id;
    }
    ASSERT_NE(data, kNullBlock);
  }
  ASSERT_EQ(Check(db_path()).exit_code, 0);
  // Three damages, one at a time, each undone before the next: a flipped byte,
  // a stray block, a node pointing to a block that is not stored.
  for (int damage = 0; damage < 3; ++damage) {
    BlockId named = kNullBlock;
    BlockId node_id = kNullBlock;
    BlockRef original;
    {
      auto store = OpenStore();
      ASSERT_NE(store, nullptr);
      if (damage == 0) {
        named = data;
        ASSERT_OK(store->backend()->TEST_CorruptBlock(data, 3, 0x40));
      } else if (damage == 1) {
        named = store->Stats().next_block_id + 7;
        auto stray = BlockBuf::Make(kBlockSize);
        stray->Seal(named);
        ASSERT_OK(store->backend()->TEST_PutBlock(named, stray));
      } else {
        ASSERT_OK_AND_ASSIGN(ForkInfo info, store->GetFork("main"));
        node_id = info.root.block;
        ASSERT_OK_AND_ASSIGN(original, store->backend()->ReadBlock(node_id));
        uint32_t slot = store->fanout() - 1;
        ASSERT_EQ(original->child(slot), kNullBlock);
        named = store->Stats().next_block_id + 3;
        auto damaged = BlockBuf::Copy(*original);
        damaged->set_child(slot, named);
        damaged->Seal(node_id);
        ASSERT_OK(store->backend()->TEST_PutBlock(node_id, damaged));
      }
    }
    ToolRun run = Check(db_path());
    SCOPED_TRACE("damage " + std::to_string(damage) + ", output:\n" +
                 run.output);
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.output.find("block " + std::to_string(named)),
              std::string::npos);
    EXPECT_NE(run.output.find("PROBLEMS FOUND"), std::string::npos);
    {
      auto store = OpenStore();
      ASSERT_NE(store, nullptr);
      if (damage == 0) {
        ASSERT_OK(store->backend()->TEST_CorruptBlock(data, 3, 0x40));
      } else if (damage == 1) {
        CommitBatch undo;
        undo.delete_blocks.push_back(named);
        ASSERT_OK(store->backend()->Commit(undo));
      } else {
        ASSERT_OK(store->backend()->TEST_PutBlock(node_id, original));
      }
    }
    EXPECT_EQ(Check(db_path()).exit_code, 0)
        << "after undoing damage " << damage;
  }
}

TEST_F(CheckToolTest, PathThatIsNotAStoreExitsTwo) {
  ToolRun missing = Check(dir_.path() + "/nothing-here");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("no store at"), std::string::npos)
      << missing.output;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/nothing-here"))
      << "checking a missing path must not create it";

  ToolRun empty_dir = Check(dir_.path());
  EXPECT_EQ(empty_dir.exit_code, 2) << empty_dir.output;

  // A RocksDB database that some other program wrote.
  const std::string foreign = dir_.path() + "/foreign";
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, foreign, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "user:1", "alice").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  ToolRun run = Check(foreign);
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("not a forkdb store"), std::string::npos)
      << run.output;

  ToolRun usage = RunForkdbTool("check");
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  EXPECT_NE(usage.output.find("usage"), std::string::npos) << usage.output;
}

}  // namespace
}  // namespace forkdb::cow
