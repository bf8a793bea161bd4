// Corruption tests (DESIGN.md invariant 4: every byte read from a backend is
// checksum-verified; a mismatch is a Corruption error that names the block, and
// never a crash or wrong bytes).
//
// Byte flips: a store with forks, a fork made from a snapshot and a snapshot
// pinning old blocks; for thousands of cases, one stored block gets one byte
// XORed with a random mask, at a random offset that may fall in its checksum,
// then pages are read through fork snapshots, the old snapshot, a transaction
// (read and read-for-write) and a page diff. Each read must return the correct
// bytes if the damaged block is not on its path (known from a walk made before
// any damage), else Corruption naming the damaged block. The flip is then
// undone (XOR again) and the next case starts from a clean store.
//
// Opening damaged or foreign stores: a RocksDB database written by another
// program, or whose meta record is foreign or cut short; a store opened with
// another block size; block values cut short, grown, or missing.
//
// The seed is printed; FORKDB_TEST_SEED=<seed> replays a run.
// FORKDB_LONG_TESTS=1 runs ten times as many cases.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <random>

#include "cow/coding.h"
#include "cow/memory_block_store.h"
#include "cow/store.h"
#include "tests/cow/test_util.h"

namespace forkdb::cow {
namespace {

using Pages = std::map<PageNo, std::string>;

bool SameBytes(const char* data, uint32_t size, const std::string& bytes) {
  std::string expected = bytes;
  expected.resize(size, '\0');
  return std::memcmp(data, expected.data(), size) == 0;
}

// True if the status is Corruption and its message names `block` as "block
// <id>" followed by something that is not a digit.
bool NamesBlock(const Status& s, BlockId block) {
  if (!s.IsCorruption()) return false;
  const std::string needle = "block " + std::to_string(block);
  const std::string& m = s.message();
  for (size_t at = m.find(needle); at != std::string::npos;
       at = m.find(needle, at + 1)) {
    size_t end = at + needle.size();
    if (end == m.size() || !std::isdigit(static_cast<unsigned char>(m[end])))
      return true;
  }
  return false;
}

// The blocks read on the way from `root` to `page` (nodes, then the data
// block).
std::vector<BlockId> PathTo(Store& store, const Root& root, PageNo page) {
  std::vector<BlockId> path;
  int bits = 0;
  while ((1u << bits) < store.fanout()) ++bits;
  BlockId id = root.block;
  for (uint32_t level = root.height; level >= 1; --level) {
    path.push_back(id);
    auto node = store.backend()->ReadBlock(id);
    if (!node.ok()) return {};
    id = (*node)->child((page >> (bits * (level - 1))) & (store.fanout() - 1));
  }
  path.push_back(id);
  return path;
}

struct CorruptionParam {
  Backend backend;
  uint32_t block_size;
};

std::string ParamName(const CorruptionParam& p) {
  return BackendName(p.backend) + std::to_string(p.block_size);
}

class ByteFlipTest : public ::testing::TestWithParam<CorruptionParam> {
 protected:
  void SetUp() override {
    seed_ = TestSeed();
    rng_.seed(seed_);
    std::cout << "[ seed     ] FORKDB_TEST_SEED=" << seed_ << "\n";
    env_ = std::make_unique<TestStoreEnv>(GetParam().backend,
                                          GetParam().block_size);
  }
  void TearDown() override {
    views_.clear();
    env_.reset();
  }
  Store& store() { return env_->store(); }
  uint32_t block_size() const { return GetParam().block_size; }
  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }

  // A readable view: a snapshot with the pages it must hold and, per page, the
  // blocks on its read path.
  struct View {
    std::string name;
    std::unique_ptr<Snapshot> snapshot;
    Pages pages;
    std::map<PageNo, std::vector<BlockId>> paths;
  };

  void AddView(const std::string& name, std::unique_ptr<Snapshot> snapshot,
               const Pages& pages) {
    View view{name, std::move(snapshot), pages, {}};
    for (const auto& [page, bytes] : pages) {
      view.paths[page] = PathTo(store(), view.snapshot->root(), page);
      ASSERT_FALSE(view.paths[page].empty());
    }
    views_.push_back(std::move(view));
  }

  void Populate() {
    Pages main, a, b, old_main;
    std::vector<std::pair<PageNo, std::string>> writes;
    for (int i = 0; i < 250; ++i) {
      PageNo page = Uniform(0, 99) < 90 ? Uniform(0, 2000) : Uniform(0, 200000);
      std::string bytes =
          "main." + std::to_string(page) + "." + std::to_string(i);
      writes.emplace_back(page, bytes);
      main[page] = bytes;
    }
    ASSERT_OK(store().CreateRootFork("main"));
    ASSERT_OK(WritePages(store(), "main", writes));
    ASSERT_OK(store().CreateFork("a", "main"));
    a = main;
    writes.clear();
    for (int i = 0; i < 40; ++i) {
      PageNo page = Uniform(0, 3000);
      writes.emplace_back(page, "a." + std::to_string(page));
      a[page] = writes.back().second;
    }
    ASSERT_OK(WritePages(store(), "a", writes));
    ASSERT_OK_AND_ASSIGN(auto old, store().OpenSnapshot("main"));
    old_main = main;
    writes.clear();
    for (int i = 0; i < 40; ++i) {
      PageNo page = Uniform(0, 3000);
      writes.emplace_back(page, "main2." + std::to_string(page));
      main[page] = writes.back().second;
    }
    ASSERT_OK(WritePages(store(), "main", writes));
    ASSERT_OK(store().CreateForkFromSnapshot("b", *old));
    b = old_main;
    ASSERT_OK(WritePages(store(), "b", {{7, "b7"}, {150000, "b-far"}}));
    b[7] = "b7";
    b[150000] = "b-far";
    fork_a_ = a;
    ASSERT_NO_FATAL_FAILURE(
        AddView("snapshot of main before", std::move(old), old_main));
    for (const auto& [name, pages] : std::vector<std::pair<std::string, Pages>>{
             {"main", main}, {"a", a}, {"b", b}}) {
      ASSERT_OK_AND_ASSIGN(auto snap, store().OpenSnapshot(name));
      ASSERT_NO_FATAL_FAILURE(AddView("fork " + name, std::move(snap), pages));
    }
    ASSERT_OK_AND_ASSIGN(clean_diff_,
                         store().DiffPages(views_[0].snapshot->root(),
                                           views_[2].snapshot->root()));
    ASSERT_OK(store().backend()->ScanBlockIds([&](BlockId id) -> Status {
      stored_.push_back(id);
      return Status();
    }));
    auto report = store().Check();
    ASSERT_TRUE(report.ok() && report->ok());
  }

  // Reads `page` of `view` and judges the result against the damaged block.
  void ExpectReadCorrectOrNamed(const View& view, PageNo page,
                                BlockId damaged) {
    const std::vector<BlockId>& path = view.paths.at(page);
    bool on_path = std::find(path.begin(), path.end(), damaged) != path.end();
    auto block = view.snapshot->ReadPage(page);
    ++reads_;
    if (on_path) {
      ++corrupt_reads_;
      ASSERT_FALSE(block.ok()) << view.name << " page " << page
                               << ": damaged block read as good bytes";
      EXPECT_TRUE(NamesBlock(block.status(), damaged))
          << view.name << " page " << page << ": " << block.status().ToString();
    } else {
      ASSERT_TRUE(block.ok())
          << view.name << " page " << page << ": " << block.status().ToString();
      EXPECT_TRUE(
          SameBytes((*block)->data(), block_size(), view.pages.at(page)))
          << view.name << " page " << page << ": wrong bytes";
    }
  }

  // One case: damage one block, read around it, undo.
  void OneCase() {
    BlockId damaged = stored_[Uniform(0, stored_.size() - 1)];
    uint32_t offset = Uniform(0, block_size() + sizeof(uint64_t) - 1);
    uint8_t mask = Uniform(1, 255);
    SCOPED_TRACE("block " + std::to_string(damaged) + " byte " +
                 std::to_string(offset) + " ^ " + std::to_string(mask));
    ASSERT_OK(store().backend()->TEST_CorruptBlock(damaged, offset, mask));
    for (const View& view : views_) {
      // Every page whose path crosses the damage (at most 30 of them) and 10
      // others.
      std::vector<PageNo> on, off;
      for (const auto& [page, path] : view.paths) {
        bool hit = std::find(path.begin(), path.end(), damaged) != path.end();
        (hit ? on : off).push_back(page);
      }
      std::shuffle(on.begin(), on.end(), rng_);
      std::shuffle(off.begin(), off.end(), rng_);
      on.resize(std::min<size_t>(on.size(), 30));
      off.resize(std::min<size_t>(off.size(), 10));
      for (const auto* pages : {&on, &off}) {
        for (PageNo page : *pages) {
          ASSERT_NO_FATAL_FAILURE(
              ExpectReadCorrectOrNamed(view, page, damaged));
        }
      }
    }
    // Through a transaction on fork a: a read, and a read-for-write that copies
    // the old bytes (its path, shadowed, is the same path).
    {
      const View& view = views_[2];
      ASSERT_OK_AND_ASSIGN(auto txn, store().Begin("a"));
      PageNo page =
          std::next(fork_a_.begin(), Uniform(0, fork_a_.size() - 1))->first;
      const std::vector<BlockId>& path = view.paths.at(page);
      bool on_path = std::find(path.begin(), path.end(), damaged) != path.end();
      auto read = txn->ReadPage(page);
      auto writable = txn->MutablePage(page);
      if (on_path) {
        EXPECT_TRUE(NamesBlock(read.status(), damaged))
            << read.status().ToString();
        EXPECT_TRUE(NamesBlock(writable.status(), damaged))
            << writable.status().ToString();
      } else {
        ASSERT_TRUE(read.ok()) << read.status().ToString();
        EXPECT_TRUE(SameBytes((*read)->data(), block_size(), fork_a_.at(page)));
        ASSERT_TRUE(writable.ok()) << writable.status().ToString();
        EXPECT_TRUE(SameBytes(*writable, block_size(), fork_a_.at(page)));
      }
      txn->Abort();
    }
    // A diff between the old snapshot and fork a: the clean answer or the
    // error.
    auto diff = store().DiffPages(views_[0].snapshot->root(),
                                  views_[2].snapshot->root());
    if (diff.ok()) {
      EXPECT_EQ(*diff, clean_diff_);
    } else {
      EXPECT_TRUE(NamesBlock(diff.status(), damaged))
          << diff.status().ToString();
    }
    ASSERT_OK(store().backend()->TEST_CorruptBlock(damaged, offset, mask));
    ++cases_;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::unique_ptr<TestStoreEnv> env_;
  std::vector<View> views_;
  Pages fork_a_;
  std::vector<PageNo> clean_diff_;
  std::vector<BlockId> stored_;
  uint64_t cases_ = 0, reads_ = 0, corrupt_reads_ = 0;
};

TEST_P(ByteFlipTest, Invariant4_EveryReadIsCorrectOrCorruptionNamingTheBlock) {
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed_));
  ASSERT_NO_FATAL_FAILURE(Populate());
  const int cases = LongTests() ? 20000 : 2000;
  for (int i = 0; i < cases; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    ASSERT_NO_FATAL_FAILURE(OneCase());
  }
  auto report = store().Check();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok())
      << "undoing every flip leaves a clean store: " << report->ToString();
  std::cout << "[ flips    ] " << ParamName(GetParam()) << ": " << cases_
            << " damaged blocks, " << reads_ << " reads, " << corrupt_reads_
            << " of them through the damage\n";
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ByteFlipTest,
    ::testing::Values(CorruptionParam{Backend::kMemory, 512},
                      CorruptionParam{Backend::kRocksDB, 512},
                      CorruptionParam{Backend::kMemory, 4096},
                      CorruptionParam{Backend::kRocksDB, 4096}),
    [](const auto& info) { return ParamName(info.param); });

// ---------------------------------------------------------------------------
// Opening damaged and foreign stores (durable backend).

std::string BlockKey(BlockId id) {
  std::string key = "B";
  PutBigEndian64(&key, id);
  return key;
}

class OpenCorruptionTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.path() + "/db"; }
  RocksDBOptions Options(uint32_t block_size) {
    RocksDBOptions options;
    options.block_size = block_size;
    return options;
  }
  // Runs fn on the store's raw RocksDB database (the store must be closed).
  void WithRawDb(const std::function<void(rocksdb::DB*)>& fn) {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, db_path(), &raw);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<rocksdb::DB> db(raw);
    fn(db.get());
    ASSERT_TRUE(db->Close().ok());
  }
  // A store with one fork "main" of a few pages; returns the block ids on the
  // path to `page` (root node first, data block last).
  std::vector<BlockId> MakeStore(uint32_t block_size, PageNo page) {
    auto store = Store::OpenRocksDB(db_path(), Options(block_size));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    EXPECT_OK((*store)->CreateRootFork("main"));
    EXPECT_OK(WritePages(**store, "main",
                         {{0, "zero"}, {page, "target"}, {9000, "far"}}));
    auto info = (*store)->GetFork("main");
    EXPECT_TRUE(info.ok());
    return PathTo(**store, info->root, page);
  }

  ScratchDir dir_;
};

TEST_F(OpenCorruptionTest, ForeignRocksDBIsNotAForkdbStore) {
  WithRawDb([](rocksdb::DB* db) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "user:1", "alice").ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "user:2", "bob").ok());
  });
  for (uint32_t block_size : {kBlockSizeDefault, 0u}) {
    auto store = Store::OpenRocksDB(db_path(), Options(block_size));
    ASSERT_FALSE(store.ok());
    EXPECT_TRUE(store.status().IsInvalidArgument())
        << store.status().ToString();
    EXPECT_NE(store.status().message().find("not a forkdb store"),
              std::string::npos)
        << store.status().ToString();
  }
  // Nothing was written into the foreign database.
  WithRawDb([](rocksdb::DB* db) {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions()));
    int keys = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++keys;
    EXPECT_EQ(keys, 2);
  });
}

TEST_F(OpenCorruptionTest, ForeignOrShortMetaRecordIsRefused) {
  ASSERT_FALSE(MakeStore(512, 5).empty());
  std::string meta;
  WithRawDb([&](rocksdb::DB* db) {
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "Rmeta", &meta).ok());
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), "Rmeta", "SQLite format 3").ok());
  });
  auto foreign = Store::OpenRocksDB(db_path(), Options(512));
  EXPECT_TRUE(foreign.status().IsInvalidArgument())
      << foreign.status().ToString();
  EXPECT_NE(foreign.status().message().find("not a forkdb store"),
            std::string::npos)
      << foreign.status().ToString();
  WithRawDb([&](rocksdb::DB* db) {
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), "Rmeta", meta.substr(0, 15)).ok());
  });
  auto short_meta = Store::OpenRocksDB(db_path(), Options(512));
  EXPECT_TRUE(short_meta.status().IsCorruption())
      << short_meta.status().ToString();
  WithRawDb([&](rocksdb::DB* db) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "Rmeta", meta).ok());
  });
  EXPECT_OK(Store::OpenRocksDB(db_path(), Options(512)));
}

// Fields of records size allocations and become shift counts: damaged ones
// are Corruption at open, never a crash, an overflow or a huge allocation.
TEST_F(OpenCorruptionTest, DamagedRecordFieldsAreRefusedAtOpen) {
  ASSERT_FALSE(MakeStore(512, 5).empty());
  std::string meta, fork;
  std::string fork_key = "Rfork/";
  PutBigEndian64(&fork_key, 1);
  WithRawDb([&](rocksdb::DB* db) {
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "Rmeta", &meta).ok());
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), fork_key, &fork).ok());
  });
  auto put = [&](const std::string& key, const std::string& value) {
    WithRawDb([&](rocksdb::DB* db) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
    });
  };
  auto expect_corruption = [&](const char* what) {
    auto store = Store::OpenRocksDB(db_path(), Options(512));
    EXPECT_TRUE(store.status().IsCorruption())
        << what << ": " << store.status().ToString();
  };
  // meta: magic (8), block size (4), next block id (8), next fork id (8), ...
  std::string huge_next = meta;
  uint64_t next = uint64_t{1} << 50;
  std::memcpy(huge_next.data() + 12, &next, 8);
  put("Rmeta", huge_next);
  expect_corruption("next block id 2^50");
  std::string big_but_legal = meta;
  next = uint64_t{1} << 40;  // in range: sizes nothing, since counts do
  std::memcpy(big_but_legal.data() + 12, &next, 8);
  put("Rmeta", big_but_legal);
  EXPECT_OK(Store::OpenRocksDB(db_path(), Options(512)));
  put("Rmeta", meta);
  // fork: version (4), id (8), name length (4), "main", parent (8), created
  // (8), read-only (4), root block (8), root height (4), ...
  std::string tall = fork;
  uint32_t height = 12;  // 6 bits a level at 512 bytes: 72-bit shifts
  std::memcpy(tall.data() + 4 + 8 + 4 + 4 + 8 + 8 + 4 + 8, &height, 4);
  put(fork_key, tall);
  expect_corruption("root height 12");
  std::string renumbered = fork;
  uint64_t id = 1000;  // beyond the next fork id
  std::memcpy(renumbered.data() + 4, &id, 8);
  put(fork_key, renumbered);
  expect_corruption("fork id beyond the next id");
  put(fork_key, fork);
  EXPECT_OK(Store::OpenRocksDB(db_path(), Options(512)));
}

TEST_F(OpenCorruptionTest, DifferentBlockSizeIsRefusedNamingBothSizes) {
  ASSERT_FALSE(MakeStore(4096, 5).empty());
  for (uint32_t other : {512u, 1024u, 8192u}) {
    auto store = Store::OpenRocksDB(db_path(), Options(other));
    ASSERT_FALSE(store.ok()) << "opened with block size " << other;
    EXPECT_TRUE(store.status().IsInvalidArgument())
        << store.status().ToString();
    EXPECT_NE(store.status().message().find("4096"), std::string::npos)
        << store.status().ToString();
    EXPECT_NE(store.status().message().find(std::to_string(other)),
              std::string::npos)
        << store.status().ToString();
  }
  // Block size 0 means "as recorded".
  auto store = Store::OpenRocksDB(db_path(), Options(0));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->block_size(), 4096u);
  EXPECT_EQ(ReadPageString(**store, "main", 5), "target");
}

// A block value of the wrong length (cut short, or grown) is Corruption naming
// the block, whether it is a data block or a node on the path.
TEST_F(OpenCorruptionTest, WrongLengthBlockValueIsCorruption) {
  const uint32_t block_size = 512;
  std::vector<BlockId> path = MakeStore(block_size, 300);
  ASSERT_GE(path.size(), 3u);
  struct Damage {
    size_t path_index;  // which block on the path
    size_t length;      // its new value length
  };
  const size_t full = block_size + sizeof(uint64_t);
  for (Damage d :
       {Damage{path.size() - 1, 0}, Damage{path.size() - 1, full - 1},
        Damage{path.size() - 1, block_size}, Damage{path.size() - 1, full + 1},
        Damage{0, 100}, Damage{1, full - 8}}) {
    const BlockId id = path[d.path_index];
    SCOPED_TRACE("block " + std::to_string(id) + " cut to " +
                 std::to_string(d.length) + " bytes");
    std::string original;
    WithRawDb([&](rocksdb::DB* db) {
      ASSERT_TRUE(
          db->Get(rocksdb::ReadOptions(), BlockKey(id), &original).ok());
      ASSERT_EQ(original.size(), full);
      std::string damaged = original;
      damaged.resize(d.length, 'x');
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), BlockKey(id), damaged).ok());
    });
    {
      auto store = Store::OpenRocksDB(db_path(), Options(block_size));
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      ASSERT_OK_AND_ASSIGN(auto snap, (*store)->OpenSnapshot("main"));
      auto read = snap->ReadPage(300);
      EXPECT_TRUE(NamesBlock(read.status(), id)) << read.status().ToString();
      // A page elsewhere reads correctly unless it shares the damaged node.
      auto other = snap->ReadPage(9000);
      if (d.path_index == 0) {
        EXPECT_TRUE(NamesBlock(other.status(), id))
            << other.status().ToString();
      } else {
        ASSERT_TRUE(other.ok()) << other.status().ToString();
        EXPECT_STREQ((*other)->data(), "far");
      }
      auto report = (*store)->Check();
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      bool named = false;
      for (const CheckProblem& p : report->problems) {
        named |= p.kind == CheckProblem::Kind::kChecksum && p.block == id;
      }
      EXPECT_TRUE(named) << report->ToString();
    }
    WithRawDb([&](rocksdb::DB* db) {
      ASSERT_TRUE(
          db->Put(rocksdb::WriteOptions(), BlockKey(id), original).ok());
    });
  }
  auto store = Store::OpenRocksDB(db_path(), Options(block_size));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(ReadPageString(**store, "main", 300), "target");
}

// A block that a page map references but the backend lost is not an unmapped
// page: reading through it must not answer NotFound as if the page were free.
TEST_F(OpenCorruptionTest, MissingBlockIsNotReadAsUnmappedPage) {
  const uint32_t block_size = 512;
  std::vector<BlockId> path = MakeStore(block_size, 300);
  ASSERT_GE(path.size(), 3u);
  for (size_t i : {path.size() - 1, size_t{1}}) {
    const BlockId id = path[i];
    SCOPED_TRACE("block " + std::to_string(id) + " deleted");
    std::string original;
    WithRawDb([&](rocksdb::DB* db) {
      ASSERT_TRUE(
          db->Get(rocksdb::ReadOptions(), BlockKey(id), &original).ok());
      ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), BlockKey(id)).ok());
    });
    {
      auto store = Store::OpenRocksDB(db_path(), Options(block_size));
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      ASSERT_OK_AND_ASSIGN(auto snap, (*store)->OpenSnapshot("main"));
      auto read = snap->ReadPage(300);
      EXPECT_TRUE(NamesBlock(read.status(), id)) << read.status().ToString();
      ASSERT_OK_AND_ASSIGN(auto txn, (*store)->Begin("main"));
      EXPECT_TRUE(NamesBlock(txn->ReadPage(300).status(), id));
      EXPECT_TRUE(NamesBlock(txn->MutablePage(300).status(), id));
      txn->Abort();
    }
    WithRawDb([&](rocksdb::DB* db) {
      ASSERT_TRUE(
          db->Put(rocksdb::WriteOptions(), BlockKey(id), original).ok());
    });
  }
}

}  // namespace
}  // namespace forkdb::cow

namespace forkdb::cow {
namespace {

// Invariant 4 on the memory backend: a buffer verified under one id and stored
// under another is verified again, and fails.
TEST(MemoryBlockStoreTest, BlockStoredUnderAnotherIdFailsVerification) {
  MemoryBlockStore backend(512);
  auto block = BlockBuf::Make(512);
  std::memcpy(block->mutable_data(), "payload", 7);
  block->Seal(2);
  ASSERT_OK(backend.TEST_PutBlock(2, block));
  ASSERT_OK_AND_ASSIGN(BlockRef read, backend.ReadBlock(2));
  EXPECT_STREQ(read->data(), "payload");
  ASSERT_OK(backend.TEST_PutBlock(8, read));
  auto moved = backend.ReadBlock(8);
  EXPECT_TRUE(moved.status().IsCorruption()) << moved.status().ToString();
  EXPECT_NE(moved.status().message().find("block 8"), std::string::npos);
}

}  // namespace
}  // namespace forkdb::cow
