#include "cow/memory_block_store.h"

namespace forkdb::cow {

Result<BlockRef> MemoryBlockStore::ReadBlock(BlockId id) {
  BlockRef block;
  {
    ReaderLock lock(&mu_);
    if (id < blocks_.size()) block = blocks_[id];
  }
  if (!block) return Status::NotFound("block ", id, ": not in store");
  if (!block->verified(id)) {
    // Verified on its first read; the buffer is immutable from then on (and
    // TEST_CorruptBlock installs a new, unverified one).
    if (!block->Verify(id)) {
      return Status::Corruption("block ", id, ": checksum mismatch");
    }
    block->set_verified(id);
  }
  return block;
}

Status MemoryBlockStore::Commit(const CommitBatch& batch) {
  WriterLock lock(&mu_);
  for (const auto& [id, block] : batch.put_blocks) {
    assert(id != kNullBlock);
    assert(block->size() == block_size_);
    if (id >= blocks_.size())
      blocks_.resize(std::max<size_t>(id + 1, blocks_.size() * 2));
    if (!blocks_[id]) ++block_count_;
    blocks_[id] = block;
  }
  for (BlockId id : batch.delete_blocks) {
    if (id < blocks_.size() && blocks_[id]) {
      blocks_[id].reset();
      --block_count_;
    }
  }
  for (const auto& [key, value] : batch.put_records) records_[key] = value;
  for (const auto& key : batch.delete_records) {
    auto it = records_.find(key);
    if (it != records_.end()) records_.erase(it);
  }
  return Status();
}

Result<std::optional<std::string>> MemoryBlockStore::ReadRecord(
    std::string_view key) {
  ReaderLock lock(&mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryBlockStore::ScanRecords(
    std::string_view prefix,
    const std::function<Status(std::string_view, std::string_view)>& fn) {
  std::vector<std::pair<std::string, std::string>> found;
  {
    ReaderLock lock(&mu_);
    for (auto it = records_.lower_bound(prefix);
         it != records_.end() && it->first.starts_with(prefix); ++it) {
      found.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [key, value] : found) FORKDB_RETURN_IF_ERROR(fn(key, value));
  return Status();
}

Result<bool> MemoryBlockStore::IsEmpty() {
  ReaderLock lock(&mu_);
  return block_count_ == 0 && records_.empty();
}

Status MemoryBlockStore::ScanBlockIds(
    const std::function<Status(BlockId)>& fn) {
  std::vector<BlockId> ids;
  {
    ReaderLock lock(&mu_);
    ids.reserve(block_count_);
    for (BlockId id = 0; id < blocks_.size(); ++id) {
      if (blocks_[id]) ids.push_back(id);
    }
  }
  for (BlockId id : ids) FORKDB_RETURN_IF_ERROR(fn(id));
  return Status();
}

Status MemoryBlockStore::TEST_CorruptBlock(BlockId id, uint32_t offset,
                                           uint8_t mask) {
  WriterLock lock(&mu_);
  if (id >= blocks_.size() || !blocks_[id])
    return Status::NotFound("block ", id);
  if (offset >= block_size_ + sizeof(uint64_t)) {
    return Status::InvalidArgument("offset ", offset, " past block ", id);
  }
  // Replace rather than modify: readers holding the old buffer keep intact
  // bytes.
  auto damaged = BlockBuf::Copy(*blocks_[id]);
  if (offset < block_size_) {
    damaged->mutable_data()[offset] ^= static_cast<char>(mask);
  } else {
    damaged->set_checksum(damaged->checksum() ^
                          (uint64_t{mask} << (8 * (offset - block_size_))));
  }
  blocks_[id] = std::move(damaged);
  return Status();
}

Status MemoryBlockStore::TEST_PutBlock(BlockId id, BlockRef block) {
  CommitBatch batch;
  batch.put_blocks.emplace_back(id, std::move(block));
  return Commit(batch);
}

uint64_t MemoryBlockStore::block_bytes() const {
  ReaderLock lock(&mu_);
  return block_count_ * block_size_;
}

}  // namespace forkdb::cow
