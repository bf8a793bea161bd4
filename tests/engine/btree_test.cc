// Tests for engine/btree.cc: unit tests per behaviour and invariant, and a
// model-based randomized test against one std::map per tree per fork, on both
// cow backends.
#include "engine/btree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/cow/test_util.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using cow::Backend;
using cow::TestStoreEnv;

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

// One fork "main" with an open transaction and a tree in it.
struct Fixture {
  explicit Fixture(Backend backend = Backend::kMemory,
                   uint32_t block_size = cow::kBlockSizeDefault)
      : env(backend, block_size) {
    auto fork = env.store().CreateRootFork("main");
    EXPECT_TRUE(fork.ok());
    Begin();
    auto root = BTree::Create(pages.get());
    EXPECT_TRUE(root.ok()) << root.status().ToString();
    root_page = *root;
  }
  void Begin() {
    auto t = env.store().Begin("main");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    txn = std::move(t).value();
    pages = std::make_unique<TransactionPages>(txn.get(), block_size());
  }
  uint32_t block_size() { return env.store().block_size(); }
  BTree tree() {
    return BTree(static_cast<PageWriter*>(pages.get()), root_page);
  }
  TreeStats Stats() {
    TreeStats stats;
    Status s = CheckTree(pages.get(), root_page, nullptr, &stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return stats;
  }
  Status Space() { return CheckPageSpace(pages.get(), {root_page}); }

  TestStoreEnv env;
  std::unique_ptr<cow::Transaction> txn;
  std::unique_ptr<TransactionPages> pages;
  PageNo root_page = 0;
};

std::vector<std::string> ScanForward(BTree& tree) {
  std::vector<std::string> keys;
  auto cursor = tree.NewCursor();
  EXPECT_TRUE(cursor->SeekToFirst().ok());
  while (cursor->Valid()) {
    keys.emplace_back(cursor->key());
    EXPECT_TRUE(cursor->Next().ok());
  }
  return keys;
}

TEST(BTreeTest, EmptyTree) {
  Fixture f;
  BTree tree = f.tree();
  EXPECT_TRUE(tree.Get("a").status().IsNotFound());
  EXPECT_TRUE(tree.Delete("a").IsNotFound());
  EXPECT_TRUE(tree.Update("a", "b").IsNotFound());
  auto cursor = tree.NewCursor();
  ENGINE_ASSERT_OK(cursor->SeekToFirst());
  EXPECT_FALSE(cursor->Valid());
  ENGINE_ASSERT_OK(cursor->SeekToLast());
  EXPECT_FALSE(cursor->Valid());
  ENGINE_ASSERT_OK(cursor->Seek(""));
  EXPECT_FALSE(cursor->Valid());
  ENGINE_ASSERT_OK(cursor->SeekForPrev("\xff"));
  EXPECT_FALSE(cursor->Valid());
  TreeStats stats = f.Stats();
  EXPECT_EQ(stats.height, 1u);
  EXPECT_EQ(stats.keys, 0u);
  ENGINE_ASSERT_OK(f.Space());
}

TEST(BTreeTest, OneKey) {
  Fixture f;
  BTree tree = f.tree();
  ENGINE_ASSERT_OK(tree.Insert("k", "v1"));
  ENGINE_ASSERT_OK_AND_ASSIGN(std::string v, tree.Get("k"));
  EXPECT_EQ(v, "v1");
  Status again = tree.Insert("k", "v2");
  EXPECT_TRUE(again.IsInvalidArgument());
  EXPECT_EQ(again.message(), "key exists");
  ENGINE_ASSERT_OK(tree.Update("k", "v3"));
  EXPECT_EQ(*tree.Get("k"), "v3");
  bool replaced = false;
  ENGINE_ASSERT_OK(tree.Put("k", "", &replaced));
  EXPECT_TRUE(replaced);
  EXPECT_EQ(*tree.Get("k"), "");
  ENGINE_ASSERT_OK(tree.Put("", "empty key", &replaced));
  EXPECT_FALSE(replaced);
  EXPECT_EQ(ScanForward(tree), (std::vector<std::string>{"", "k"}));
  ENGINE_ASSERT_OK(tree.Delete("k"));
  EXPECT_TRUE(tree.Get("k").status().IsNotFound());
  EXPECT_EQ(f.Stats().keys, 1u);
  ENGINE_ASSERT_OK(f.Space());
}

TEST(BTreeTest, SplitsKeepRootPage) {
  Fixture f;
  BTree tree = f.tree();
  const PageNo root = tree.root();
  for (int i = 0; i < 20000; ++i)
    ENGINE_ASSERT_OK(
        tree.Insert(Key((i * 7919) % 20000), std::string(40, 'v')));
  EXPECT_EQ(tree.root(), root);
  TreeStats stats = f.Stats();
  EXPECT_GE(stats.height, 3u);
  EXPECT_EQ(stats.keys, 20000u);
  for (int i = 0; i < 20000; i += 97) EXPECT_TRUE(tree.Get(Key(i)).ok());
  std::vector<std::string> keys = ScanForward(tree);
  ASSERT_EQ(keys.size(), 20000u);
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(keys[i], Key(i));
  ENGINE_ASSERT_OK(f.Space());
  // The committed tree reads the same through a snapshot.
  ENGINE_ASSERT_OK(f.txn->Commit());
  ENGINE_ASSERT_OK_AND_ASSIGN(auto snap, f.env.store().OpenSnapshot("main"));
  SnapshotPages snap_pages(snap.get(), f.block_size());
  BTree read_only(static_cast<PageReader*>(&snap_pages), root);
  EXPECT_EQ(*read_only.Get(Key(1234)), std::string(40, 'v'));
  EXPECT_TRUE(read_only.Put("x", "y").IsInvalidArgument());
  ENGINE_ASSERT_OK(CheckTree(&snap_pages, root));
}

TEST(BTreeTest, MergesShrinkHeight) {
  Fixture f;
  BTree tree = f.tree();
  // Ascending keys fill pages about 3/4 (the right-edge split), so it takes
  // this many for three levels.
  constexpr int kKeys = 30000;
  for (int i = 0; i < kKeys; ++i)
    ENGINE_ASSERT_OK(tree.Insert(Key(i), std::string(30, 'v')));
  const TreeStats full = f.Stats();
  ASSERT_GE(full.height, 3u);
  // Delete from the middle outwards so that merges and rebalances hit both
  // sides; check the invariants along the way.
  for (int i = 0; i < kKeys; ++i) {
    const int k = (i % 2 == 0) ? kKeys / 2 + i / 2 : kKeys / 2 - 1 - i / 2;
    if (k < 3) continue;
    ENGINE_ASSERT_OK(tree.Delete(Key(k)));
    if (i % 3000 == 0) ENGINE_ASSERT_OK(f.Space());
  }
  const TreeStats small = f.Stats();
  EXPECT_EQ(small.height, 1u);
  EXPECT_EQ(small.keys, 3u);
  EXPECT_EQ(ScanForward(tree),
            (std::vector<std::string>{Key(0), Key(1), Key(2)}));
  ENGINE_ASSERT_OK(f.Space());
  // Every page but the meta page and the root went back to the free list.
  ENGINE_ASSERT_OK_AND_ASSIGN(MetaState meta, ReadMeta(f.pages.get()));
  EXPECT_EQ(meta.free_count, meta.next_page - 2);
  // Freed pages are reused before new ones.
  for (int i = 0; i < kKeys; ++i)
    ENGINE_ASSERT_OK(tree.Put(Key(i), std::string(30, 'w')));
  ENGINE_ASSERT_OK_AND_ASSIGN(MetaState again, ReadMeta(f.pages.get()));
  EXPECT_EQ(again.next_page, meta.next_page);
  ENGINE_ASSERT_OK(f.Space());
}

TEST(BTreeTest, AscendingKeysFillPagesThreeQuarters) {
  // The right-edge split: keys that only grow leave full pages behind them,
  // where a middle split would leave them half empty.
  constexpr int kKeys = 6000;
  Fixture ascending, shuffled;
  BTree asc = ascending.tree(), mixed = shuffled.tree();
  std::vector<int> order(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    order[i] = i;
    ENGINE_ASSERT_OK(asc.Insert(Key(i), std::string(30, 'v')));
  }
  std::mt19937 rng(7);
  std::shuffle(order.begin(), order.end(), rng);
  for (int i : order)
    ENGINE_ASSERT_OK(mixed.Insert(Key(i), std::string(30, 'v')));
  const TreeStats a = ascending.Stats(), m = shuffled.Stats();
  EXPECT_EQ(a.keys, static_cast<uint64_t>(kKeys));
  EXPECT_EQ(m.keys, static_cast<uint64_t>(kKeys));
  // A leaf cell here is 2 + 11 + 1 + 4 + 30 bytes plus a 2-byte slot. A
  // middle split would leave ascending leaves half full (about 150 leaves);
  // the right-edge split fills them at least 70%, no worse than shuffled
  // keys (about ln 2).
  const uint64_t bytes = uint64_t{kKeys} * 50;
  const uint64_t usable = UsableSize(ascending.block_size());
  EXPECT_LE(a.leaves * usable * 70, bytes * 100) << a.leaves << " leaves";
  EXPECT_LE(a.leaves, m.leaves);
  ENGINE_ASSERT_OK(ascending.Space());
  ENGINE_ASSERT_OK(shuffled.Space());
  EXPECT_EQ(ScanForward(asc).size(), static_cast<size_t>(kKeys));
}

TEST(BTreeTest, OverflowValues) {
  Fixture f;
  BTree tree = f.tree();
  const uint32_t inline_max = MaxInlineValueSize(f.block_size());
  const std::string at_limit(inline_max, 'a');
  const std::string over(inline_max + 1, 'b');
  ENGINE_ASSERT_OK(tree.Insert("at", at_limit));
  ENGINE_ASSERT_OK(tree.Insert("over", over));
  EXPECT_EQ(f.Stats().overflow_pages, 1u);
  std::string big(10 << 20, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < big.size(); i += 8) {
    const uint64_t r = rng();
    std::memcpy(&big[i], &r, 8);
  }
  ENGINE_ASSERT_OK(tree.Insert("big", big));
  EXPECT_EQ(*tree.Get("at"), at_limit);
  EXPECT_EQ(*tree.Get("over"), over);
  ENGINE_ASSERT_OK_AND_ASSIGN(std::string back, tree.Get("big"));
  EXPECT_TRUE(back == big);
  const uint64_t cap = f.block_size() - kOverflowHeaderSize;
  EXPECT_EQ(f.Stats().overflow_pages, 1 + (big.size() + cap - 1) / cap);
  ENGINE_ASSERT_OK(f.Space());
  // The cursor reads overflow values too.
  auto cursor = tree.NewCursor();
  ENGINE_ASSERT_OK(cursor->Seek("big"));
  ASSERT_TRUE(cursor->Valid());
  EXPECT_TRUE(*cursor->value() == big);
  ENGINE_ASSERT_OK(f.txn->Commit());
  // Overwriting frees the old chain; the store survives the check.
  f.Begin();
  tree = f.tree();
  ENGINE_ASSERT_OK(tree.Update("big", "small"));
  EXPECT_EQ(f.Stats().overflow_pages, 1u);
  ENGINE_ASSERT_OK_AND_ASSIGN(MetaState meta, ReadMeta(f.pages.get()));
  EXPECT_GE(meta.free_count, (big.size() + cap - 1) / cap);
  ENGINE_ASSERT_OK(tree.Delete("over"));
  EXPECT_EQ(f.Stats().overflow_pages, 0u);
  ENGINE_ASSERT_OK(f.Space());
  ENGINE_ASSERT_OK(f.txn->Commit());
  ENGINE_ASSERT_OK_AND_ASSIGN(cow::CheckReport report, f.env.store().Check());
  EXPECT_TRUE(report.ok()) << report.ToString();
}

// SummarizePage, TreeReaches and OverflowChain (the divergence reports'
// view of pages) name every page of a fork: each node is reached by its own
// tree at its level from its first key and by no other tree, each leaf's
// chains hold exactly the tree's overflow pages, and the rest is the meta
// page, free pages or unmapped.
TEST(BTreeTest, PageSummariesNameEveryPage) {
  Fixture f;
  ENGINE_ASSERT_OK_AND_ASSIGN(PageNo other_root, BTree::Create(f.pages.get()));
  BTree tree = f.tree();
  BTree other(static_cast<PageWriter*>(f.pages.get()), other_root);
  const std::string big(3 * f.block_size(), 'v');
  for (int i = 0; i < 3000; ++i) {
    ENGINE_ASSERT_OK(tree.Insert(Key(i), i % 500 == 0 ? big : "value"));
    ENGINE_ASSERT_OK(other.Insert(Key(i), "other"));
  }
  for (int i = 1000; i < 2000; ++i) ENGINE_ASSERT_OK(tree.Delete(Key(i)));
  std::vector<PageNo> used[2];
  TreeStats stats[2];
  const PageNo roots[2] = {f.root_page, other_root};
  for (int t = 0; t < 2; ++t)
    ENGINE_ASSERT_OK(CheckTree(f.pages.get(), roots[t], &used[t], &stats[t]));
  ASSERT_GE(stats[0].height, 2u);
  ASSERT_GT(stats[0].overflow_pages, 0u);
  ENGINE_ASSERT_OK_AND_ASSIGN(MetaState meta, ReadMeta(f.pages.get()));
  ASSERT_GT(meta.free_count, 0u);

  std::map<PageNo, int> owner;  // page -> tree
  for (int t = 0; t < 2; ++t) {
    for (PageNo p : used[t]) owner[p] = t;
  }
  uint64_t free_pages = 0;
  std::map<PageNo, int> chained;  // overflow page -> tree, from the leaves
  for (PageNo page = 0; page < meta.next_page + 2; ++page) {
    ENGINE_ASSERT_OK_AND_ASSIGN(PageSummary s,
                                SummarizePage(f.pages.get(), page, true));
    SCOPED_TRACE("page " + std::to_string(page));
    ENGINE_ASSERT_OK_AND_ASSIGN(PageSummary quick,
                                SummarizePage(f.pages.get(), page));
    EXPECT_EQ(quick.first_key, s.first_key);
    EXPECT_EQ(quick.last_key, s.last_key);
    EXPECT_TRUE(quick.overflows.empty());
    if (page == kMetaPage) {
      EXPECT_EQ(s.type, PageSummary::Type::kMeta);
    } else if (page >= meta.next_page) {
      EXPECT_EQ(s.type, PageSummary::Type::kUnmapped);
    } else if (s.type == PageSummary::Type::kFree) {
      EXPECT_EQ(owner.count(page), 0u);
      ++free_pages;
    } else if (s.type == PageSummary::Type::kOverflow) {
      EXPECT_EQ(owner.count(page), 1u);
    } else {
      ASSERT_TRUE(s.type == PageSummary::Type::kLeaf ||
                  s.type == PageSummary::Type::kInternal);
      ASSERT_EQ(owner.count(page), 1u);
      ASSERT_GT(s.count, 0u);
      EXPECT_LE(s.first_key, s.last_key);
      for (int t = 0; t < 2; ++t) {
        ENGINE_ASSERT_OK_AND_ASSIGN(
            bool reached,
            TreeReaches(f.pages.get(), roots[t], s.first_key, s.level, page));
        EXPECT_EQ(reached, owner[page] == t) << "tree " << t;
        // The last key reaches the node too.
        ENGINE_ASSERT_OK_AND_ASSIGN(
            reached,
            TreeReaches(f.pages.get(), roots[t], s.last_key, s.level, page));
        EXPECT_EQ(reached, owner[page] == t) << "tree " << t;
      }
      for (const PageSummary::Chain& c : s.overflows) {
        ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<PageNo> chain,
                                    OverflowChain(f.pages.get(), c.head));
        const uint64_t cap = f.block_size() - kOverflowHeaderSize;
        EXPECT_EQ(c.size, big.size());
        EXPECT_EQ(chain.size(), (big.size() + cap - 1) / cap);
        for (PageNo c : chain) chained[c] = owner[page];
      }
    }
  }
  EXPECT_EQ(free_pages, meta.free_count);
  uint64_t overflow_pages = 0;
  for (const auto& [page, t] : owner) {
    ENGINE_ASSERT_OK_AND_ASSIGN(PageSummary s,
                                SummarizePage(f.pages.get(), page));
    if (s.type != PageSummary::Type::kOverflow) continue;
    ++overflow_pages;
    EXPECT_EQ(chained.count(page), 1u) << page;
    EXPECT_EQ(chained[page], t) << page;
  }
  EXPECT_EQ(overflow_pages, stats[0].overflow_pages + stats[1].overflow_pages);
  EXPECT_EQ(chained.size(), overflow_pages);

  // A chain that loops back on itself is Corruption, not a hang.
  const PageNo head =
      *std::find_if(used[0].begin(), used[0].end(), [&](PageNo p) {
        auto s = SummarizePage(f.pages.get(), p);
        return s.ok() && s->type == PageSummary::Type::kOverflow;
      });
  ENGINE_ASSERT_OK_AND_ASSIGN(char* bytes, f.pages->MutablePage(head));
  std::memcpy(bytes + 8, &head, sizeof(head));
  EXPECT_TRUE(OverflowChain(f.pages.get(), head).status().IsCorruption());
}

// SeekNear keeps the upper levels of the path that still lead to the key:
// ascending and descending seeks in any mix land where Seek() lands.
TEST(BTreeTest, SeekNearLandsWhereSeekDoes) {
  Fixture f(Backend::kMemory, cow::kBlockSizeMin);  // a taller tree
  BTree tree = f.tree();
  for (int i = 0; i < 20000; i += 2) ENGINE_ASSERT_OK(tree.Insert(Key(i), "v"));
  ASSERT_GE(f.Stats().height, 3u);
  auto near = tree.NewCursor();
  auto fresh = tree.NewCursor();
  std::mt19937_64 rng(7);
  for (int step = 0; step < 3000; ++step) {
    // Mostly small forward hops, sometimes a jump anywhere.
    static int at = 0;
    at = rng() % 8 == 0 ? static_cast<int>(rng() % 20100)
                        : at + static_cast<int>(rng() % 300);
    const std::string key = Key(at);
    ENGINE_ASSERT_OK(near->SeekNear(key));
    ENGINE_ASSERT_OK(fresh->Seek(key));
    ASSERT_EQ(near->Valid(), fresh->Valid()) << key;
    if (!fresh->Valid()) {
      at = 0;
      continue;
    }
    ASSERT_EQ(near->key(), fresh->key()) << key;
    // Walking on from there agrees too.
    ENGINE_ASSERT_OK(near->Next());
    ENGINE_ASSERT_OK(fresh->Next());
    ASSERT_EQ(near->Valid(), fresh->Valid());
    if (fresh->Valid()) {
      ASSERT_EQ(near->key(), fresh->key());
    }
  }
}

TEST(BTreeTest, BackwardScan) {
  Fixture f;
  BTree tree = f.tree();
  for (int i = 0; i < 3000; ++i)
    ENGINE_ASSERT_OK(tree.Insert(Key(i), std::string(i % 300, 'x')));
  auto cursor = tree.NewCursor();
  ENGINE_ASSERT_OK(cursor->SeekToLast());
  for (int i = 2999; i >= 0; --i) {
    ASSERT_TRUE(cursor->Valid());
    ASSERT_EQ(cursor->key(), Key(i));
    ASSERT_EQ(cursor->value()->size(), static_cast<size_t>(i % 300));
    ENGINE_ASSERT_OK(cursor->Prev());
  }
  EXPECT_FALSE(cursor->Valid());
  // Direction changes in the middle.
  ENGINE_ASSERT_OK(cursor->Seek(Key(1500)));
  ENGINE_ASSERT_OK(cursor->Prev());
  EXPECT_EQ(cursor->key(), Key(1499));
  ENGINE_ASSERT_OK(cursor->Next());
  ENGINE_ASSERT_OK(cursor->Next());
  EXPECT_EQ(cursor->key(), Key(1501));
}

TEST(BTreeTest, SeekSemantics) {
  Fixture f;
  BTree tree = f.tree();
  for (int i = 10; i <= 5000; i += 10)
    ENGINE_ASSERT_OK(tree.Insert(Key(i), "v"));
  auto cursor = tree.NewCursor();
  ENGINE_ASSERT_OK(cursor->Seek(Key(15)));
  EXPECT_EQ(cursor->key(), Key(20));
  ENGINE_ASSERT_OK(cursor->Seek(Key(20)));
  EXPECT_EQ(cursor->key(), Key(20));
  ENGINE_ASSERT_OK(cursor->Seek(""));
  EXPECT_EQ(cursor->key(), Key(10));
  ENGINE_ASSERT_OK(cursor->Seek(Key(5001)));
  EXPECT_FALSE(cursor->Valid());
  ENGINE_ASSERT_OK(cursor->SeekForPrev(Key(15)));
  EXPECT_EQ(cursor->key(), Key(10));
  ENGINE_ASSERT_OK(cursor->SeekForPrev(Key(20)));
  EXPECT_EQ(cursor->key(), Key(20));
  ENGINE_ASSERT_OK(cursor->SeekForPrev(Key(5)));
  EXPECT_FALSE(cursor->Valid());
  ENGINE_ASSERT_OK(cursor->SeekForPrev("\xff"));
  EXPECT_EQ(cursor->key(), Key(5000));
  // Every key between two leaves lands on the next key.
  for (int i = 11; i < 5000; i += 10) {
    ENGINE_ASSERT_OK(cursor->Seek(Key(i)));
    ASSERT_EQ(cursor->key(), Key(i + 9));
    ENGINE_ASSERT_OK(cursor->SeekForPrev(Key(i)));
    ASSERT_EQ(cursor->key(), Key(i - 1));
  }
}

TEST(BTreeTest, LongKeyRefused) {
  Fixture f;
  BTree tree = f.tree();
  const uint32_t max = MaxKeySize(f.block_size());
  Status s = tree.Insert(std::string(max + 1, 'k'), "v");
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find(std::to_string(max + 1)), std::string::npos)
      << s.message();
  EXPECT_TRUE(tree.Get(std::string(max + 1, 'k')).status().IsInvalidArgument());
  // Keys at the limit work, with values at the inline limit, through splits.
  for (int i = 0; i < 200; ++i) {
    std::string key(max, 'k');
    std::snprintf(key.data(), 8, "%07d", i);
    ENGINE_ASSERT_OK(
        tree.Insert(key, std::string(MaxInlineValueSize(f.block_size()), 'v')));
  }
  for (int i = 0; i < 200; i += 2) {
    std::string key(max, 'k');
    std::snprintf(key.data(), 8, "%07d", i);
    ENGINE_ASSERT_OK(tree.Delete(key));
  }
  EXPECT_EQ(f.Stats().keys, 100u);
  ENGINE_ASSERT_OK(f.Space());
}

TEST(BTreeTest, SmallPagesWork) {
  Fixture f(Backend::kMemory, cow::kBlockSizeMin);
  BTree tree = f.tree();
  for (int i = 0; i < 3000; ++i)
    ENGINE_ASSERT_OK(tree.Insert(Key(i), std::string(i % 200, 'v')));
  for (int i = 0; i < 3000; i += 3) ENGINE_ASSERT_OK(tree.Delete(Key(i)));
  EXPECT_EQ(f.Stats().keys, 2000u);
  ENGINE_ASSERT_OK(f.Space());
}

TEST(BTreeTest, CorruptPageIsCorruption) {
  Fixture f;
  BTree tree = f.tree();
  for (int i = 0; i < 500; ++i) ENGINE_ASSERT_OK(tree.Insert(Key(i), "v"));
  std::vector<PageNo> used;
  ENGINE_ASSERT_OK(CheckTree(f.pages.get(), f.root_page, &used));
  ASSERT_GE(used.size(), 2u);
  // Garble a leaf's slot array.
  const PageNo victim = used[1];
  ENGINE_ASSERT_OK_AND_ASSIGN(cow::BlockRef block, f.txn->ReadPage(victim));
  std::string bytes(block->data(), block->size());
  for (int i = 32; i < 64; ++i) bytes[i] = static_cast<char>(0xff);
  ENGINE_ASSERT_OK(f.txn->WritePage(victim, bytes));
  Status s = CheckTree(f.pages.get(), f.root_page);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("page " + std::to_string(victim)),
            std::string::npos)
      << s.message();
  auto cursor = tree.NewCursor();
  Status scan = cursor->SeekToFirst();
  while (scan.ok() && cursor->Valid()) scan = cursor->Next();
  EXPECT_TRUE(scan.IsCorruption()) << scan.ToString();
}

TEST(BTreeTest, OrphanPageDetected) {
  Fixture f;
  BTree tree = f.tree();
  ENGINE_ASSERT_OK(tree.Insert("a", "b"));
  ENGINE_ASSERT_OK(f.Space());
  ENGINE_ASSERT_OK_AND_ASSIGN(PageNo leaked, f.pages->AllocatePage());
  Status s = f.Space();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(
      s.message().find("page " + std::to_string(leaked) + " is an orphan"),
      std::string::npos)
      << s.message();
  ENGINE_ASSERT_OK(f.pages->FreePage(leaked));
  ENGINE_ASSERT_OK(f.Space());
}

TEST(BTreeTest, DropFreesEveryPage) {
  Fixture f;
  BTree tree = f.tree();
  for (int i = 0; i < 2000; ++i)
    ENGINE_ASSERT_OK(
        tree.Insert(Key(i), std::string(i % 7 == 0 ? 5000 : 50, 'v')));
  ENGINE_ASSERT_OK(tree.Drop());
  ENGINE_ASSERT_OK(CheckPageSpace(f.pages.get(), {}));
}

// Atomicity: a write that fails half-way, followed by the abort the caller
// owes, leaves exactly the committed tree.
TEST(BTreeTest, FailedWriteThenAbortLeavesCommittedTree) {
  Fixture f;
  std::map<std::string, std::string> committed;
  {
    BTree tree = f.tree();
    for (int i = 0; i < 2000; ++i) {
      ENGINE_ASSERT_OK(tree.Insert(Key(i), std::string(i % 50, 'v')));
      committed[Key(i)] = std::string(i % 50, 'v');
    }
    ENGINE_ASSERT_OK(f.txn->Commit());
  }
  std::mt19937_64 rng(test::TestSeed());
  int failures = 0;
  for (int round = 0; round < 300; ++round) {
    ENGINE_ASSERT_OK_AND_ASSIGN(auto txn, f.env.store().Begin("main"));
    test::FailingPages pages(txn.get(), f.block_size(), rng() % 60);
    BTree tree(static_cast<PageWriter*>(&pages), f.root_page);
    std::map<std::string, std::string> working = committed;
    Status s;
    for (int op = 0; op < 20 && s.ok(); ++op) {
      const std::string key = Key(rng() % 3000);
      if (rng() % 3 == 0) {
        s = tree.Delete(key);
        if (s.IsNotFound()) s = Status();
        working.erase(key);
      } else {
        std::string value(rng() % 3 == 0 ? rng() % 20000 : rng() % 400, 'x');
        s = tree.Put(key, value);
        working[key] = value;
      }
    }
    if (s.ok()) {
      ENGINE_ASSERT_OK(txn->Commit());
      committed = std::move(working);
    } else {
      ASSERT_TRUE(s.IsIOError()) << s.ToString();
      txn->Abort();
      ++failures;
    }
    ENGINE_ASSERT_OK_AND_ASSIGN(auto snap, f.env.store().OpenSnapshot("main"));
    SnapshotPages snap_pages(snap.get(), f.block_size());
    ENGINE_ASSERT_OK(CheckPageSpace(&snap_pages, {f.root_page}));
    BTree read(static_cast<PageReader*>(&snap_pages), f.root_page);
    auto cursor = read.NewCursor();
    ENGINE_ASSERT_OK(cursor->SeekToFirst());
    for (const auto& [k, v] : committed) {
      ASSERT_TRUE(cursor->Valid());
      ASSERT_EQ(cursor->key(), k);
      ASSERT_EQ(*cursor->value(), v);
      ENGINE_ASSERT_OK(cursor->Next());
    }
    ASSERT_FALSE(cursor->Valid());
  }
  EXPECT_GT(failures, 100);
}

// ---------------------------------------------------------------------------
// Model-based randomized test.

constexpr int kTrees = 3;

// Values are shared, so that copying a model (at every transaction) copies
// keys and pointers only.
using Model = std::map<std::string, std::shared_ptr<const std::string>>;
constexpr int kMaxForks = 4;

struct ForkModel {
  std::string name;
  std::vector<Model> committed;
};

class BTreeModelTest : public ::testing::TestWithParam<Backend> {};

class ModelRun {
 public:
  ModelRun(Backend backend, uint64_t seed)
      : env_(backend), rng_(seed), page_size_(env_.store().block_size()) {}

  void Run(int ops) {
    ASSERT_TRUE(env_.store().CreateRootFork("f0").ok());
    {
      ASSERT_OK_AND_ASSIGN(auto txn, env_.store().Begin("f0"));
      TransactionPages pages(txn.get(), page_size_);
      for (int t = 0; t < kTrees; ++t) {
        ASSERT_OK_AND_ASSIGN(PageNo root, BTree::Create(&pages));
        ASSERT_OK(pages.SetRootSlot(t, root));
      }
      ASSERT_OK(txn->Commit());
    }
    forks_.push_back(ForkModel{"f0", std::vector<Model>(kTrees)});
    int next_fork = 1;
    current_ = 0;
    BeginTxn();
    for (int op = 1; op <= ops && !::testing::Test::HasFatalFailure(); ++op) {
      Step(op);
      if (op % 100 == 0 || Uniform(0, 99) == 0) {
        // End the transaction: mostly commit, sometimes abort.
        if (Uniform(0, 4) == 0) {
          txn_->Abort();
          working_ = forks_[current_].committed;
          ++aborts_;
        } else {
          ASSERT_OK(txn_->Commit());
          forks_[current_].committed = std::move(working_);
          ++commits_;
        }
        pages_.reset();
        txn_.reset();
        // Sometimes fork the current fork or switch to another one.
        const int what = Uniform(0, 9);
        if (what == 0) {
          if (static_cast<int>(forks_.size()) >= kMaxForks) {
            const size_t victim = Uniform(0, forks_.size() - 1);
            ASSERT_OK(env_.store().DropFork(forks_[victim].name));
            forks_.erase(forks_.begin() + victim);
            if (current_ >= forks_.size()) current_ = 0;
          }
          const std::string name = "f" + std::to_string(next_fork++);
          ASSERT_TRUE(
              env_.store().CreateFork(name, forks_[current_].name).ok());
          forks_.push_back(ForkModel{name, forks_[current_].committed});
          ++forks_made_;
        }
        if (what <= 2) current_ = Uniform(0, forks_.size() - 1);
        BeginTxn();
      }
      if (op % 5000 == 0) CheckAll();
    }
    CheckAll();
    std::cout << "ops " << ops << ", commits " << commits_ << ", aborts "
              << aborts_ << ", forks " << forks_made_ << ", drops of trees "
              << tree_drops_ << ", overflow writes " << overflow_writes_
              << ", scans " << scans_ << ", max height " << max_height_
              << ", max keys in a tree " << max_keys_ << "\n";
  }

 private:
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }

  void BeginTxn() {
    auto txn = env_.store().Begin(forks_[current_].name);
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    txn_ = std::move(txn).value();
    pages_ = std::make_unique<TransactionPages>(txn_.get(), page_size_);
    working_ = forks_[current_].committed;
  }

  // Keys from a bounded space, so that most operations hit existing keys;
  // lengths from 0 to the maximum, with shared prefixes.
  std::string RandomKey() {
    const int id = Uniform(0, 2999);
    std::string key = "t" + std::to_string(id % 7) + "/" + std::to_string(id);
    const int shape = id % 40;
    if (shape == 0) {
      key.resize(MaxKeySize(page_size_), static_cast<char>('a' + id % 26));
    } else if (shape < 4) {
      key.resize(30 + id % 200, '\xff');
    } else if (shape == 5) {
      key = std::string(id % 3, '\0') + key;
    }
    return key;
  }

  std::string RandomValue() {
    size_t size;
    const int r = Uniform(0, 999);
    if (r < 600) {
      size = Uniform(0, 60);
    } else if (r < 900) {
      size = Uniform(60, 1200);  // around the inline limit
    } else if (r < 995) {
      size = Uniform(1000, 20000);
    } else {
      size = Uniform(20000, 300000);
    }
    if (size > MaxInlineValueSize(page_size_)) ++overflow_writes_;
    std::string value(size, '\0');
    uint64_t x = rng_() | 1;
    for (size_t i = 0; i < size; i += 8) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      std::memcpy(&value[i], &x, std::min<size_t>(8, size - i));
    }
    return value;
  }

  PageNo Root(int t) {
    auto root = GetRootSlot(pages_.get(), t);
    EXPECT_TRUE(root.ok()) << root.status().ToString();
    return root.ok() ? *root : 0;
  }

  void Step(int op) {
    const int t = Uniform(0, kTrees - 1);
    BTree tree(static_cast<PageWriter*>(pages_.get()), Root(t));
    auto& model = working_[t];
    const std::string key = RandomKey();
    const auto it = model.find(key);
    const bool present = it != model.end();
    const int what = Uniform(0, 999);
    SCOPED_TRACE("op " + std::to_string(op) + " tree " + std::to_string(t));
    if (what < 300) {
      std::string value = RandomValue();
      bool replaced = false;
      ASSERT_OK(tree.Put(key, value, &replaced));
      ASSERT_EQ(replaced, present);
      model[key] = std::make_shared<const std::string>(std::move(value));
    } else if (what < 400) {
      std::string value = RandomValue();
      Status s = tree.Insert(key, value);
      if (present) {
        ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
      } else {
        ASSERT_OK(s);
        model[key] = std::make_shared<const std::string>(std::move(value));
      }
    } else if (what < 480) {
      std::string value = RandomValue();
      Status s = tree.Update(key, value);
      if (present) {
        ASSERT_OK(s);
        model[key] = std::make_shared<const std::string>(std::move(value));
      } else {
        ASSERT_TRUE(s.IsNotFound()) << s.ToString();
      }
    } else if (what < 700) {
      Status s = tree.Delete(key);
      if (present) {
        ASSERT_OK(s);
        model.erase(key);
      } else {
        ASSERT_TRUE(s.IsNotFound()) << s.ToString();
      }
    } else if (what < 850) {
      auto got = tree.Get(key);
      if (present) {
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ASSERT_TRUE(*got == *it->second) << "value differs";
      } else {
        ASSERT_TRUE(got.status().IsNotFound()) << got.status().ToString();
      }
    } else if (what < 999 || Uniform(0, 9) != 0) {
      Scan(tree, model, key);
    } else {
      // Drop the whole tree and start an empty one under the same slot.
      ASSERT_OK(tree.Drop());
      ASSERT_OK_AND_ASSIGN(PageNo root, BTree::Create(pages_.get()));
      ASSERT_OK(pages_->SetRootSlot(t, root));
      model.clear();
      ++tree_drops_;
    }
  }

  void Scan(BTree& tree, const Model& model, const std::string& from) {
    ++scans_;
    auto cursor = tree.NewCursor();
    const bool forward = Uniform(0, 1) == 0;
    const int limit = Uniform(1, 60);
    const int start = Uniform(0, 9);
    if (forward) {
      auto m = model.lower_bound(from);
      if (start == 0) {
        ASSERT_OK(cursor->SeekToFirst());
        m = model.begin();
      } else {
        ASSERT_OK(cursor->Seek(from));
      }
      for (int i = 0; i < limit; ++i, ++m) {
        if (m == model.end()) {
          ASSERT_FALSE(cursor->Valid());
          return;
        }
        ASSERT_TRUE(cursor->Valid());
        ASSERT_EQ(cursor->key(), m->first);
        if (i % 4 == 0) {
          ASSERT_TRUE(*cursor->value() == *m->second);
        }
        ASSERT_OK(cursor->Next());
      }
    } else {
      auto m = model.upper_bound(from);  // reverse iterator starts before it
      if (start == 0) {
        ASSERT_OK(cursor->SeekToLast());
        m = model.end();
      } else {
        ASSERT_OK(cursor->SeekForPrev(from));
      }
      Model::const_reverse_iterator r(m);
      for (int i = 0; i < limit; ++i, ++r) {
        if (r == model.rend()) {
          ASSERT_FALSE(cursor->Valid());
          return;
        }
        ASSERT_TRUE(cursor->Valid());
        ASSERT_EQ(cursor->key(), r->first);
        if (i % 4 == 0) {
          ASSERT_TRUE(*cursor->value() == *r->second);
        }
        ASSERT_OK(cursor->Prev());
      }
    }
  }

  // The invariants of every tree, no orphan page, the full contents against
  // the model, and the cow store's own check.
  void CheckAll() {
    std::vector<PageNo> roots;
    for (int t = 0; t < kTrees; ++t) {
      roots.push_back(Root(t));
      TreeStats stats;
      ASSERT_OK(CheckTree(pages_.get(), roots.back(), nullptr, &stats));
      ASSERT_EQ(stats.keys, working_[t].size());
      max_height_ = std::max(max_height_, stats.height);
      max_keys_ = std::max<uint64_t>(max_keys_, stats.keys);
      BTree tree(static_cast<PageReader*>(pages_.get()), roots.back());
      auto cursor = tree.NewCursor();
      ASSERT_OK(cursor->SeekToFirst());
      for (const auto& [k, v] : working_[t]) {
        ASSERT_TRUE(cursor->Valid());
        ASSERT_EQ(cursor->key(), k);
        ASSERT_TRUE(*cursor->value() == *v);
        ASSERT_OK(cursor->Next());
      }
      ASSERT_FALSE(cursor->Valid());
    }
    ASSERT_OK(CheckPageSpace(pages_.get(), roots));
    ASSERT_OK_AND_ASSIGN(cow::CheckReport report, env_.store().Check());
    ASSERT_TRUE(report.ok()) << report.ToString();
  }

  TestStoreEnv env_;
  std::mt19937_64 rng_;
  uint32_t page_size_;
  std::vector<ForkModel> forks_;
  size_t current_ = 0;
  std::unique_ptr<cow::Transaction> txn_;
  std::unique_ptr<TransactionPages> pages_;
  std::vector<Model> working_;
  int commits_ = 0, aborts_ = 0, forks_made_ = 0, tree_drops_ = 0;
  int overflow_writes_ = 0, scans_ = 0;
  uint32_t max_height_ = 0;
  uint64_t max_keys_ = 0;
};

TEST_P(BTreeModelTest, MatchesMapAcrossCommitsAbortsAndForks) {
  const uint64_t seed = test::TestSeed();
  const auto start = std::chrono::steady_clock::now();
  ModelRun run(GetParam(), seed);
  run.Run(test::Scaled(100000));
  std::cout << "took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " ms\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, BTreeModelTest,
                         ::testing::Values(Backend::kMemory, Backend::kRocksDB),
                         [](const auto& info) {
                           return cow::BackendName(info.param);
                         });

}  // namespace
}  // namespace forkdb::engine
