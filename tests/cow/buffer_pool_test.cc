#include "cow/buffer_pool.h"

#include <gtest/gtest.h>

namespace forkdb::cow {
namespace {

BlockRef MakeBlock(char tag) {
  auto block = BlockBuf::Make(512);
  block->mutable_data()[0] = tag;
  return block;
}

TEST(BufferPoolTest, EvictsLeastRecentlyUsedFirst) {
  BufferPool pool(3 * 512);
  pool.Insert(1, MakeBlock('a'));
  pool.Insert(2, MakeBlock('b'));
  pool.Insert(3, MakeBlock('c'));
  ASSERT_NE(pool.Lookup(1),
            nullptr);  // 1 is now the most recent; 2 the coldest
  pool.Insert(4, MakeBlock('d'));
  EXPECT_EQ(pool.Lookup(2), nullptr);
  EXPECT_NE(pool.Lookup(1), nullptr);
  EXPECT_NE(pool.Lookup(3), nullptr);
  EXPECT_NE(pool.Lookup(4), nullptr);
  EXPECT_EQ(pool.size_bytes(), 3u * 512);
}

TEST(BufferPoolTest, PinnedBlocksAreNeverEvicted) {
  BufferPool pool(2 * 512);
  pool.Insert(1, MakeBlock('a'));
  BlockRef pinned = pool.Lookup(1);
  pool.Insert(2, MakeBlock('b'));
  pool.Lookup(2).reset();
  pool.Insert(3, MakeBlock('c'));  // over the limit: 2 goes, pinned 1 stays
  EXPECT_NE(pool.Lookup(1), nullptr);
  EXPECT_EQ(pool.Lookup(2), nullptr);
  EXPECT_EQ(pinned->data()[0], 'a');
  // Everything pinned: the pool goes over its limit rather than drop a pinned
  // block.
  BlockRef p3 = pool.Lookup(3);
  BlockRef p4 =
      MakeBlock('d');  // held by the reader that inserts it, as ReadBlock does
  pool.Insert(4, p4);
  EXPECT_NE(pool.Lookup(1), nullptr);
  EXPECT_GT(pool.size_bytes(), pool.capacity_bytes());
  pinned.reset();
  p3.reset();
  pool.Insert(5, MakeBlock('e'));
  EXPECT_LE(pool.size_bytes(), pool.capacity_bytes());
}

TEST(BufferPoolTest, EraseForgetsAndInsertReplaces) {
  BufferPool pool(4 * 512);
  pool.Insert(7, MakeBlock('x'));
  pool.Insert(7, MakeBlock('y'));
  EXPECT_EQ(pool.Lookup(7)->data()[0], 'y');
  EXPECT_EQ(pool.size_bytes(), 512u);
  pool.Erase(7);
  EXPECT_EQ(pool.Lookup(7), nullptr);
  EXPECT_EQ(pool.size_bytes(), 0u);
  EXPECT_EQ(pool.hits(), 1u);
  EXPECT_EQ(pool.misses(), 1u);
}

}  // namespace
}  // namespace forkdb::cow
