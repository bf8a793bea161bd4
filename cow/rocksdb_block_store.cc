#include "cow/rocksdb_block_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

namespace forkdb::cow {

namespace {

constexpr char kBlockPrefix = 'B';
constexpr char kRecordPrefix = 'R';

std::string BlockKey(BlockId id) {
  std::string key(9, '\0');
  key[0] = kBlockPrefix;
  for (int i = 0; i < 8; ++i)
    key[1 + i] = static_cast<char>(id >> (56 - 8 * i));
  return key;
}

BlockId DecodeBlockKey(const rocksdb::Slice& key) {
  assert(key.size() == 9);
  BlockId id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | static_cast<uint8_t>(key[1 + i]);
  return id;
}

std::string RecordKey(std::string_view key) {
  std::string k(1, kRecordPrefix);
  k.append(key);
  return k;
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status();
  if (s.IsCorruption()) return Status::Corruption(what, ": ", s.ToString());
  return Status::IOError(what, ": ", s.ToString());
}

std::string EncodeBlock(const BlockBuf& block) {
  std::string value(block.data(), block.size());
  uint64_t sum = block.checksum();
  value.append(reinterpret_cast<const char*>(&sum), sizeof(sum));
  return value;
}

}  // namespace

Result<std::unique_ptr<RocksDBBlockStore>> RocksDBBlockStore::Open(
    const std::string& path, const RocksDBOptions& options) {
  if (options.block_size < kBlockSizeMin ||
      options.block_size > kBlockSizeMax ||
      (options.block_size & (options.block_size - 1)) != 0) {
    return Status::InvalidArgument("block size ", options.block_size,
                                   ": must be a power of two in [",
                                   kBlockSizeMin, ", ", kBlockSizeMax, "]");
  }
  if (!options.create_if_missing) {
    // RocksDB would create the directory before refusing: look first.
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec)) {
      return Status::NotFound("no store at '", path, "'");
    }
  }
  rocksdb::Options rocks;
  rocks.create_if_missing = options.create_if_missing;
  rocks.paranoid_checks = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocks, path, &raw);
  if (!s.ok()) {
    if (s.IsInvalidArgument()) {
      return Status::InvalidArgument("opening '", path, "': ", s.ToString());
    }
    return FromRocks(s, "opening '" + path + "'");
  }
  return std::unique_ptr<RocksDBBlockStore>(
      new RocksDBBlockStore(path, options, std::unique_ptr<rocksdb::DB>(raw)));
}

RocksDBBlockStore::RocksDBBlockStore(std::string path,
                                     const RocksDBOptions& options,
                                     std::unique_ptr<rocksdb::DB> db)
    : path_(std::move(path)),
      options_(options),
      db_(std::move(db)),
      pool_(options.cache_bytes) {}

RocksDBBlockStore::~RocksDBBlockStore() {
  if (db_) db_->Close().PermitUncheckedError();
}

Result<BlockRef> RocksDBBlockStore::ReadBlock(BlockId id) {
  if (BlockRef cached = pool_.Lookup(id)) return cached;
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), BlockKey(id), &value);
  if (s.IsNotFound()) return Status::NotFound("block ", id, ": not in store");
  if (!s.ok()) return FromRocks(s, "reading block " + std::to_string(id));
  const uint32_t size = options_.block_size;
  if (value.size() != size + sizeof(uint64_t)) {
    return Status::Corruption("block ", id, ": stored size ", value.size(),
                              " bytes, expected ", size + sizeof(uint64_t));
  }
  auto block = BlockBuf::Make(size);
  std::memcpy(block->mutable_data(), value.data(), size);
  uint64_t sum;
  std::memcpy(&sum, value.data() + size, sizeof(sum));
  block->set_checksum(sum);
  if (!block->Verify(id))
    return Status::Corruption("block ", id, ": checksum mismatch");
  pool_.Insert(id, block);
  return BlockRef(std::move(block));
}

Status RocksDBBlockStore::Commit(const CommitBatch& batch) {
  rocksdb::WriteBatch wb;
  for (const auto& [id, block] : batch.put_blocks) {
    assert(block->size() == options_.block_size);
    assert(block->Verify(id));
    wb.Put(BlockKey(id), EncodeBlock(*block)).PermitUncheckedError();
  }
  for (BlockId id : batch.delete_blocks)
    wb.Delete(BlockKey(id)).PermitUncheckedError();
  for (const auto& [key, value] : batch.put_records) {
    wb.Put(RecordKey(key), value).PermitUncheckedError();
  }
  for (const auto& key : batch.delete_records) {
    wb.Delete(RecordKey(key)).PermitUncheckedError();
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync && batch.sync;
  FORKDB_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "commit"));
  // Only after the batch is durable may the cache show it.
  for (BlockId id : batch.delete_blocks) pool_.Erase(id);
  for (const auto& [id, block] : batch.put_blocks) pool_.Insert(id, block);
  return Status();
}

Result<std::optional<std::string>> RocksDBBlockStore::ReadRecord(
    std::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), RecordKey(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "reading record '" + std::string(key) + "'");
  return std::optional<std::string>(std::move(value));
}

Status RocksDBBlockStore::ScanRecords(
    std::string_view prefix,
    const std::function<Status(std::string_view, std::string_view)>& fn) {
  const std::string start = RecordKey(prefix);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start);
       it->Next()) {
    rocksdb::Slice key = it->key();
    key.remove_prefix(1);
    FORKDB_RETURN_IF_ERROR(
        fn(std::string_view(key.data(), key.size()),
           std::string_view(it->value().data(), it->value().size())));
  }
  return FromRocks(it->status(), "scanning records");
}

Result<bool> RocksDBBlockStore::IsEmpty() {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekToFirst();
  bool empty = !it->Valid();
  FORKDB_RETURN_IF_ERROR(FromRocks(it->status(), "scanning"));
  return empty;
}

Status RocksDBBlockStore::ScanBlockIds(
    const std::function<Status(BlockId)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  const std::string start(1, kBlockPrefix);
  for (it->Seek(start); it->Valid() && it->key().starts_with(start);
       it->Next()) {
    if (it->key().size() != 9) {
      return Status::Corruption("malformed block key of ", it->key().size(),
                                " bytes");
    }
    FORKDB_RETURN_IF_ERROR(fn(DecodeBlockKey(it->key())));
  }
  return FromRocks(it->status(), "scanning blocks");
}

Status RocksDBBlockStore::TEST_CorruptBlock(BlockId id, uint32_t offset,
                                            uint8_t mask) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), BlockKey(id), &value);
  if (s.IsNotFound()) return Status::NotFound("block ", id);
  FORKDB_RETURN_IF_ERROR(FromRocks(s, "reading block"));
  if (offset >= value.size()) {
    return Status::InvalidArgument("offset ", offset, " past block ", id);
  }
  value[offset] = static_cast<char>(value[offset] ^ mask);
  FORKDB_RETURN_IF_ERROR(FromRocks(
      db_->Put(rocksdb::WriteOptions(), BlockKey(id), value), "corrupting"));
  pool_.Erase(id);
  return Status();
}

Status RocksDBBlockStore::TEST_PutBlock(BlockId id, BlockRef block) {
  std::string value = EncodeBlock(*block);
  FORKDB_RETURN_IF_ERROR(FromRocks(
      db_->Put(rocksdb::WriteOptions(), BlockKey(id), value), "putting"));
  pool_.Erase(id);
  return Status();
}

}  // namespace forkdb::cow
