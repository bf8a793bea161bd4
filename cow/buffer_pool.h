// BufferPool: a cache of sealed blocks in front of a durable backend.
//
// Frames sit on an intrusive LRU list (Boost.Intrusive, no allocation per
// move). A frame is pinned while anyone outside the pool holds its BlockRef;
// only unpinned frames are evicted. Every cached block is clean: dirty blocks
// belong to their transaction until commit, when they enter the pool already
// written. The memory limit is soft: pinned frames are never evicted, so the
// pool may exceed it while they are held.
//
// Thread safety: one mutex guards the map and the list. Only the pool's own
// reference exists when use_count() == 1 under that mutex; a new reference can
// then come only from Lookup(), which needs the mutex, so an unpinned frame
// cannot become pinned while it is being evicted.
#ifndef FORKDB_COW_BUFFER_POOL_H_
#define FORKDB_COW_BUFFER_POOL_H_

#include <boost/intrusive/list.hpp>
#include <memory>
#include <unordered_map>

#include "cow/block.h"
#include "cow/mutex.h"

namespace forkdb::cow {

class BufferPool {
 public:
  explicit BufferPool(uint64_t capacity_bytes)
      : capacity_bytes_(capacity_bytes) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // The cached block, or null. Marks it most recently used. O(1).
  BlockRef Lookup(BlockId id);
  // Caches `block` under `id`, replacing any older frame, then evicts unpinned
  // frames from the cold end until the pool fits its limit. O(1) amortized.
  void Insert(BlockId id, BlockRef block);
  // Forgets `id` (the block was freed; its id may be reused).
  void Erase(BlockId id);

  uint64_t size_bytes() const;
  uint64_t capacity_bytes() const { return capacity_bytes_; }
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  struct Frame : boost::intrusive::list_base_hook<> {
    BlockId id;
    BlockRef block;
  };
  using LruList = boost::intrusive::list<Frame>;

  void EvictLocked() FORKDB_REQUIRES(mu_);
  void RemoveLocked(Frame* frame) FORKDB_REQUIRES(mu_);

  const uint64_t capacity_bytes_;
  mutable Mutex mu_;
  std::unordered_map<BlockId, std::unique_ptr<Frame>> frames_
      FORKDB_GUARDED_BY(mu_);
  LruList lru_ FORKDB_GUARDED_BY(mu_);  // front: most recently used
  uint64_t size_bytes_ FORKDB_GUARDED_BY(mu_) = 0;
  uint64_t hits_ FORKDB_GUARDED_BY(mu_) = 0;
  uint64_t misses_ FORKDB_GUARDED_BY(mu_) = 0;
};

}  // namespace forkdb::cow

#endif  // FORKDB_COW_BUFFER_POOL_H_
