// MemoryBlockStore: the embedded default backend. No files: blocks live in
// memory as shared immutable buffers, so reading a block is a pointer copy, and
// a commit moves buffers, never bytes. A block's checksum is verified on its
// first read, as a buffer pool verifies a block once when it loads it: after
// that the buffer is immutable and the same bytes are handed out again.
//
// Thread safety: a shared mutex guards the tables; reads take it shared.
#ifndef FORKDB_COW_MEMORY_BLOCK_STORE_H_
#define FORKDB_COW_MEMORY_BLOCK_STORE_H_

#include <map>
#include <vector>

#include "cow/block_store.h"
#include "cow/mutex.h"

namespace forkdb::cow {

class MemoryBlockStore final : public BlockStore {
 public:
  explicit MemoryBlockStore(uint32_t block_size = kBlockSizeDefault)
      : block_size_(block_size) {}

  uint32_t block_size() const override { return block_size_; }
  bool persistent() const override { return false; }
  Result<BlockRef> ReadBlock(BlockId id) override;
  Status Commit(const CommitBatch& batch) override;
  Result<std::optional<std::string>> ReadRecord(std::string_view key) override;
  Status ScanRecords(
      std::string_view prefix,
      const std::function<Status(std::string_view, std::string_view)>& fn)
      override;
  Result<bool> IsEmpty() override;
  Status ScanBlockIds(const std::function<Status(BlockId)>& fn) override;
  Status TEST_CorruptBlock(BlockId id, uint32_t offset, uint8_t mask) override;
  Status TEST_PutBlock(BlockId id, BlockRef block) override;

  // Bytes held in block buffers (for memory accounting in benchmarks).
  uint64_t block_bytes() const;

 private:
  const uint32_t block_size_;
  mutable SharedMutex mu_;
  std::vector<BlockRef> blocks_ FORKDB_GUARDED_BY(mu_);  // indexed by block id
  uint64_t block_count_ FORKDB_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::string, std::less<>> records_
      FORKDB_GUARDED_BY(mu_);
};

}  // namespace forkdb::cow

#endif  // FORKDB_COW_MEMORY_BLOCK_STORE_H_
