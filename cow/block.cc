#include "cow/block.h"

#include <xxhash.h>

namespace forkdb::cow {

uint64_t BlockChecksum(BlockId id, const char* data, uint32_t size_bytes) {
  return XXH3_64bits_withSeed(data, size_bytes, id);
}

std::shared_ptr<BlockBuf> BlockBuf::Make(uint32_t size_bytes) {
  return std::make_shared<BlockBuf>(size_bytes);
}

std::shared_ptr<BlockBuf> BlockBuf::Copy(const BlockBuf& other) {
  auto copy = std::make_shared<BlockBuf>(other.size(), Uninitialized());
  std::memcpy(copy->mutable_data(), other.data(), other.size());
  copy->set_checksum(other.checksum());
  return copy;
}

}  // namespace forkdb::cow
