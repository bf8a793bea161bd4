// BlockStore: the narrow key-value interface under the copy-on-write store.
//
// A backend keeps two kinds of things: blocks (id -> fixed-size bytes with a
// checksum) and records (short string keys -> string values: roots, fork
// records, reference counts, metadata). It knows nothing of forks or page maps.
// The interface is kept this narrow (read a block, read and scan records, one
// atomic batch) so that a distributed key-value store could implement it.
//
// Thread safety: every method may be called from any thread; implementations
// synchronize internally. Commit() calls are serialized by the caller
// (cow::Store).
#ifndef FORKDB_COW_BLOCK_STORE_H_
#define FORKDB_COW_BLOCK_STORE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cow/block.h"
#include "forkdb/status.h"

namespace forkdb::cow {

// Everything one commit changes. Applied all or nothing.
struct CommitBatch {
  std::vector<std::pair<BlockId, BlockRef>> put_blocks;  // sealed blocks
  std::vector<BlockId> delete_blocks;
  std::vector<std::pair<std::string, std::string>> put_records;
  std::vector<std::string> delete_records;
  // Whether this commit must be on stable storage before Commit() returns (the
  // backend's own sync option may turn it off for all commits).
  bool sync = true;

  bool empty() const {
    return put_blocks.empty() && delete_blocks.empty() && put_records.empty() &&
           delete_records.empty();
  }
};

class BlockStore {
 public:
  virtual ~BlockStore() = default;

  virtual uint32_t block_size() const = 0;
  // True if the store survives the process (records and counts must be
  // written).
  virtual bool persistent() const = 0;

  // The block's bytes, checksum-verified. NotFound if no such block; Corruption
  // naming the block if its bytes do not match its checksum. Never returns
  // wrong bytes.
  virtual Result<BlockRef> ReadBlock(BlockId id) = 0;

  // Applies the batch atomically: after a crash, either all of it or none is
  // there.
  virtual Status Commit(const CommitBatch& batch) = 0;

  // The record's value, or nullopt if absent.
  virtual Result<std::optional<std::string>> ReadRecord(
      std::string_view key) = 0;
  // Calls fn for every record whose key starts with prefix, in key order.
  virtual Status ScanRecords(
      std::string_view prefix,
      const std::function<Status(std::string_view key, std::string_view value)>&
          fn) = 0;
  // True if the backend holds nothing at all (not even foreign keys).
  virtual Result<bool> IsEmpty() = 0;
  // Calls fn with the id of every stored block, in id order (for the integrity
  // check).
  virtual Status ScanBlockIds(const std::function<Status(BlockId)>& fn) = 0;

  // Test hooks: damage a stored block (XOR one byte) or its checksum.
  virtual Status TEST_CorruptBlock(BlockId id, uint32_t offset,
                                   uint8_t mask) = 0;
  // Test hook: store raw bytes for a block without going through a commit.
  virtual Status TEST_PutBlock(BlockId id, BlockRef block) = 0;
};

}  // namespace forkdb::cow

#endif  // FORKDB_COW_BLOCK_STORE_H_
