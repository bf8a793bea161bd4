// Blocks: the physical pages of a store, named by a 64-bit block id.
//
// A block's bytes are written once, by the transaction that allocated it, and
// are immutable from the moment it is sealed (given its checksum) at commit.
// Readers share sealed blocks through BlockRef without copying.
//
// Invariants:
//   1. Block id 0 (kNullBlock) names no block; it marks an empty slot.
//   2. A sealed block's checksum is XXH3_64bits_withSeed(bytes, block_size,
//   block id),
//      so a block stored under the wrong id fails verification too.
#ifndef FORKDB_COW_BLOCK_H_
#define FORKDB_COW_BLOCK_H_

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

namespace forkdb::cow {

using BlockId = uint64_t;
inline constexpr BlockId kNullBlock = 0;
inline constexpr uint32_t kBlockSizeDefault = 4096;
inline constexpr uint32_t kBlockSizeMin = 512;
inline constexpr uint32_t kBlockSizeMax = 65536;

// Checksum of a block's bytes, seeded with its id (invariant 2).
uint64_t BlockChecksum(BlockId id, const char* data, uint32_t size_bytes);

// A block's bytes plus the checksum they were sealed with.
class BlockBuf {
 public:
  // A zero-filled, unsealed block of `size_bytes`.
  static std::shared_ptr<BlockBuf> Make(uint32_t size_bytes);
  static std::shared_ptr<BlockBuf> Copy(const BlockBuf& other);

  explicit BlockBuf(uint32_t size_bytes)
      : size_(size_bytes), data_(new char[size_bytes]()) {}
  // Uninitialized bytes, for a copy that overwrites them all.
  struct Uninitialized {};
  BlockBuf(uint32_t size_bytes, Uninitialized)
      : size_(size_bytes), data_(new char[size_bytes]) {}

  uint32_t size() const { return size_; }
  const char* data() const { return data_.get(); }
  char* mutable_data() { return data_.get(); }

  uint64_t checksum() const { return checksum_; }
  void set_checksum(uint64_t checksum) { checksum_ = checksum; }
  // Computes and stores the checksum of the current bytes under `id`.
  void Seal(BlockId id) { checksum_ = BlockChecksum(id, data(), size_); }
  bool Verify(BlockId id) const {
    return BlockChecksum(id, data(), size_) == checksum_;
  }
  // Set once a backend has verified this buffer: a sealed buffer never changes,
  // so a backend that keeps it in memory verifies it once, as a cache verifies
  // a block once when it loads it. Relaxed order: the bytes themselves are
  // published by the lock that handed the buffer out.
  // The check is tied to the id: a buffer verified under one id and handed out
  // under another is verified again (and fails).
  bool verified(BlockId id) const {
    return verified_id_.load(std::memory_order_relaxed) == id;
  }
  void set_verified(BlockId id) const {
    verified_id_.store(id, std::memory_order_relaxed);
  }

  // Node view: a page-map node is an array of little-endian block ids.
  BlockId child(uint32_t slot) const {
    BlockId id;
    std::memcpy(&id, data() + slot * sizeof(BlockId), sizeof(id));
    return id;
  }
  void set_child(uint32_t slot, BlockId id) {
    std::memcpy(mutable_data() + slot * sizeof(BlockId), &id, sizeof(id));
  }

 private:
  uint32_t size_;
  uint64_t checksum_ = 0;
  mutable std::atomic<BlockId> verified_id_{kNullBlock};
  std::unique_ptr<char[]> data_;
};

using BlockRef = std::shared_ptr<const BlockBuf>;

static_assert(sizeof(BlockId) == 8, "page-map nodes hold 8-byte block ids");
static_assert(kBlockSizeMin % sizeof(BlockId) == 0);

}  // namespace forkdb::cow

#endif  // FORKDB_COW_BLOCK_H_
