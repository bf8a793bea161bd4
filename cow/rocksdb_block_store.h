// RocksDBBlockStore: the durable backend. One commit is one RocksDB WriteBatch
// holding the new blocks, the freed blocks and every changed record (roots,
// fork records, reference counts), written with the sync option the user chose.
// A buffer pool sits in front of it for reads.
//
// Key layout (default column family):
//   'B' + big-endian u64 block id -> block bytes (block_size) + u64 LE checksum
//   'R' + record key               -> record value
//
// Thread safety: RocksDB is thread-safe; the buffer pool locks itself.
#ifndef FORKDB_COW_ROCKSDB_BLOCK_STORE_H_
#define FORKDB_COW_ROCKSDB_BLOCK_STORE_H_

#include <memory>
#include <string>

#include "cow/block_store.h"
#include "cow/buffer_pool.h"

namespace rocksdb {
class DB;
}

namespace forkdb::cow {

struct RocksDBOptions {
  // Fixed when the store is created. 0 (for cow::Store::OpenRocksDB only): the
  // size recorded in an existing store, or the default for a new one.
  uint32_t block_size = kBlockSizeDefault;
  // With block_size 0: the size of a store that has none recorded yet (a new
  // one, or one whose creation was cut short before its first record).
  uint32_t new_block_size = kBlockSizeDefault;
  bool create_if_missing = true;
  // fsync the write-ahead log at every commit. Off: a crash may lose the last
  // commits (never half of one).
  bool sync = true;
  uint64_t cache_bytes = 64ull << 20;  // buffer pool limit
};

class RocksDBBlockStore final : public BlockStore {
 public:
  // Opens (or creates) the RocksDB database at `path`. IOError if RocksDB
  // cannot open it.
  static Result<std::unique_ptr<RocksDBBlockStore>> Open(
      const std::string& path, const RocksDBOptions& options);
  ~RocksDBBlockStore() override;

  uint32_t block_size() const override { return options_.block_size; }
  bool persistent() const override { return true; }
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

  const BufferPool& buffer_pool() const { return pool_; }
  const std::string& path() const { return path_; }

 private:
  RocksDBBlockStore(std::string path, const RocksDBOptions& options,
                    std::unique_ptr<rocksdb::DB> db);

  const std::string path_;
  const RocksDBOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  BufferPool pool_;
};

}  // namespace forkdb::cow

#endif  // FORKDB_COW_ROCKSDB_BLOCK_STORE_H_
