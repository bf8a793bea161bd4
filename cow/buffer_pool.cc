#include "cow/buffer_pool.h"

#include <cassert>

namespace forkdb::cow {

BufferPool::~BufferPool() {
  MutexLock lock(&mu_);
  lru_.clear();
}

BlockRef BufferPool::Lookup(BlockId id) {
  MutexLock lock(&mu_);
  auto it = frames_.find(id);
  if (it == frames_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  Frame* frame = it->second.get();
  lru_.erase(lru_.iterator_to(*frame));
  lru_.push_front(*frame);
  return frame->block;
}

void BufferPool::Insert(BlockId id, BlockRef block) {
  assert(block != nullptr);
  MutexLock lock(&mu_);
  auto it = frames_.find(id);
  if (it != frames_.end()) RemoveLocked(it->second.get());
  auto frame = std::make_unique<Frame>();
  frame->id = id;
  frame->block = std::move(block);
  size_bytes_ += frame->block->size();
  lru_.push_front(*frame);
  frames_.emplace(id, std::move(frame));
  EvictLocked();
}

void BufferPool::Erase(BlockId id) {
  MutexLock lock(&mu_);
  auto it = frames_.find(id);
  if (it != frames_.end()) RemoveLocked(it->second.get());
}

void BufferPool::RemoveLocked(Frame* frame) {
  assert(size_bytes_ >= frame->block->size());
  size_bytes_ -= frame->block->size();
  lru_.erase(lru_.iterator_to(*frame));
  frames_.erase(frame->id);  // destroys the frame
}

void BufferPool::EvictLocked() {
  // Walk from the cold end; `next` stays valid when the frame before it is
  // erased.
  auto next = lru_.end();
  while (size_bytes_ > capacity_bytes_ && next != lru_.begin()) {
    auto frame = std::prev(next);
    if (frame->block.use_count() > 1) {  // pinned: someone reads it
      next = frame;
      continue;
    }
    RemoveLocked(&*frame);
  }
}

uint64_t BufferPool::size_bytes() const {
  MutexLock lock(&mu_);
  return size_bytes_;
}
uint64_t BufferPool::hits() const {
  MutexLock lock(&mu_);
  return hits_;
}
uint64_t BufferPool::misses() const {
  MutexLock lock(&mu_);
  return misses_;
}

}  // namespace forkdb::cow
