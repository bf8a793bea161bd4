#include "cow/store.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <sstream>
#include <unordered_set>

#include "cow/coding.h"
#include "cow/memory_block_store.h"

namespace forkdb::cow {

// Records a store keeps in a persistent backend:
//   "meta"            magic "FORKDBv1", u32 block size, u64 next block id,
//                     u64 next fork id, u64 next snapshot id
//   "fork/" + be64 id fork record (EncodeFork)
//   "rc/" + be64 id   u32 reference count of a block (absent: 0, free)
//   "snap/" + be64 id root of a live snapshot; released when the store is next
//   opened
//
// The callbacks handed to backend scans run inside the caller's critical
// section; they carry FORKDB_NO_THREAD_SAFETY_ANALYSIS only because Clang's
// analysis does not follow a lambda through std::function.
namespace {

constexpr std::string_view kMagic = "FORKDBv1";
constexpr std::string_view kMetaKey = "meta";
constexpr std::string_view kForkPrefix = "fork/";
constexpr std::string_view kCountPrefix = "rc/";
constexpr std::string_view kSnapshotPrefix = "snap/";
constexpr uint32_t kForkRecordVersion = 1;
// No store has more block ids than this (2^40 blocks: 4 PiB at 4 KiB).
constexpr BlockId kBlockIdLimit = BlockId{1} << 40;

std::string KeyWithId(std::string_view prefix, uint64_t id) {
  std::string key(prefix);
  PutBigEndian64(&key, id);
  return key;
}

bool DecodeKeyId(std::string_view key, std::string_view prefix, uint64_t* id) {
  if (!key.starts_with(prefix)) return false;
  key.remove_prefix(prefix.size());
  return key.size() == 8 && GetBigEndian64(&key, id);
}

void EncodeRoot(std::string* out, const Root& root) {
  PutFixed64(out, root.block);
  PutFixed32(out, root.height);
  PutFixed64(out, root.pages);
  PutFixed64(out, root.nodes);
}

bool DecodeRoot(std::string_view* in, Root* root) {
  return GetFixed64(in, &root->block) && GetFixed32(in, &root->height) &&
         GetFixed64(in, &root->pages) && GetFixed64(in, &root->nodes);
}

std::string EncodeFork(const ForkInfo& info) {
  std::string out;
  PutFixed32(&out, kForkRecordVersion);
  PutFixed64(&out, info.id);
  PutLengthPrefixed(&out, info.name);
  PutFixed64(&out, info.parent);
  PutFixed64(&out, info.created_unix_us);
  PutFixed32(&out, info.read_only ? 1 : 0);
  EncodeRoot(&out, info.root);
  EncodeRoot(&out, info.base);
  PutFixed64(&out, info.commit_seq);
  PutFixed64(&out, info.fork_point_seq);
  return out;
}

bool DecodeFork(std::string_view in, ForkInfo* info) {
  uint32_t version = 0, read_only = 0;
  if (!GetFixed32(&in, &version) || version != kForkRecordVersion) return false;
  bool ok = GetFixed64(&in, &info->id) && GetLengthPrefixed(&in, &info->name) &&
            GetFixed64(&in, &info->parent) &&
            GetFixed64(&in, &info->created_unix_us) &&
            GetFixed32(&in, &read_only) && DecodeRoot(&in, &info->root) &&
            DecodeRoot(&in, &info->base) &&
            GetFixed64(&in, &info->commit_seq) &&
            GetFixed64(&in, &info->fork_point_seq);
  info->read_only = read_only != 0;
  return ok && in.empty();
}

uint64_t NowUnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status ValidateForkName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Status::InvalidArgument("fork name '", name,
                                   "': must be 1 to 64 characters");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) {
      return Status::InvalidArgument(
          "fork name '", name, "': character '", c,
          "' not allowed (use letters, digits, _ - .)");
    }
  }
  return Status();
}

int Log2(uint32_t v) {
  int n = 0;
  while ((1u << n) < v) ++n;
  return n;
}

}  // namespace

// Count changes a commit, fork, drop or snapshot will make, built under the
// store mutex before anything is written, applied only after the backend
// accepted the batch.
struct Store::Delta {
  std::unordered_map<BlockId, int64_t> counts;  // change of committed counts
  std::vector<BlockId> freed;  // committed blocks reaching zero
  std::vector<BlockId> added;  // new blocks, count 1
};

std::string CheckReport::ToString() const {
  std::ostringstream out;
  out << blocks_reachable << " blocks reachable, " << blocks_stored
      << " stored, " << problems.size() << " problems";
  for (const auto& p : problems) out << "\n  " << p.message;
  return out.str();
}

// ---------------------------------------------------------------------------
// Opening

Store::Store(std::unique_ptr<BlockStore> backend)
    : backend_(std::move(backend)),
      block_size_(backend_->block_size()),
      persistent_(backend_->persistent()) {}

Store::~Store() {
  MutexLock lock(&mu_);
  // Snapshots and transactions must be gone (documented REQUIRES). A snapshot
  // whose release failed is gone but keeps its entry in snapshots_.
  assert(snapshot_handles_ == 0);
  for ([[maybe_unused]] const auto& [id, fork] : forks_) assert(!fork.writer);
}

Result<std::unique_ptr<Store>> Store::Open(
    std::unique_ptr<BlockStore> backend) {
  if (backend == nullptr) return Status::InvalidArgument("no backend");
  uint32_t bs = backend->block_size();
  if (bs < kBlockSizeMin || bs > kBlockSizeMax || (bs & (bs - 1)) != 0) {
    return Status::InvalidArgument("block size ", bs,
                                   ": must be a power of two in [",
                                   kBlockSizeMin, ", ", kBlockSizeMax, "]");
  }
  std::unique_ptr<Store> store(new Store(std::move(backend)));
  FORKDB_RETURN_IF_ERROR(store->Load());
  return store;
}

Result<std::unique_ptr<Store>> Store::OpenMemory(uint32_t block_size) {
  return Open(std::make_unique<MemoryBlockStore>(block_size));
}

Result<std::unique_ptr<Store>> Store::OpenRocksDB(
    const std::string& path, const RocksDBOptions& options) {
  RocksDBOptions opts = options;
  if (opts.block_size == 0) {
    // Take the block size from the store's meta record (new_block_size for a
    // store that has none yet).
    opts.block_size = options.new_block_size;
    FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<RocksDBBlockStore> probe,
                            RocksDBBlockStore::Open(path, opts));
    FORKDB_ASSIGN_OR_RETURN(std::optional<std::string> meta,
                            probe->ReadRecord(kMetaKey));
    std::string_view in = meta ? std::string_view(*meta) : std::string_view();
    uint32_t stored = 0;
    if (in.starts_with(kMagic)) {
      in.remove_prefix(kMagic.size());
      if (GetFixed32(&in, &stored)) opts.block_size = stored;
    }
  }
  FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<RocksDBBlockStore> backend,
                          RocksDBBlockStore::Open(path, opts));
  auto store = Open(std::move(backend));
  if (!store.ok()) return store.status().WithContext("opening '" + path + "'");
  return store;
}

void Store::PutMetaLocked(CommitBatch* batch) {
  if (!persistent_) return;
  std::string meta(kMagic);
  PutFixed32(&meta, block_size_);
  {
    MutexLock alloc(&alloc_mu_);
    PutFixed64(&meta, next_block_id_);
  }
  PutFixed64(&meta, next_fork_id_);
  PutFixed64(&meta, next_snapshot_id_);
  batch->put_records.emplace_back(std::string(kMetaKey), std::move(meta));
}

Status Store::Load() {
  MutexLock lock(&mu_);
  FORKDB_ASSIGN_OR_RETURN(std::optional<std::string> meta,
                          backend_->ReadRecord(kMetaKey));
  if (!meta) {
    FORKDB_ASSIGN_OR_RETURN(bool empty, backend_->IsEmpty());
    if (!empty)
      return Status::InvalidArgument("not a forkdb store: no meta record");
    CommitBatch batch;
    PutMetaLocked(&batch);
    return backend_->Commit(batch);
  }
  std::string_view in(*meta);
  if (!in.starts_with(kMagic)) {
    return Status::InvalidArgument(
        "not a forkdb store: bad magic in meta record");
  }
  in.remove_prefix(kMagic.size());
  uint32_t stored_block_size;
  BlockId next_block = 0;
  if (!GetFixed32(&in, &stored_block_size) || !GetFixed64(&in, &next_block) ||
      next_block == kNullBlock || !GetFixed64(&in, &next_fork_id_) ||
      !GetFixed64(&in, &next_snapshot_id_) || !in.empty()) {
    return Status::Corruption("meta record: malformed");
  }
  if (stored_block_size != block_size_) {
    return Status::InvalidArgument("block size mismatch: store has ",
                                   stored_block_size, " bytes, opened with ",
                                   block_size_);
  }
  // Records are bytes from a backend: every field is checked before it sizes
  // an allocation, indexes a table or becomes a shift count.
  if (next_block > kBlockIdLimit || next_fork_id_ == kNoFork ||
      next_snapshot_id_ == 0) {
    return Status::Corruption("meta record: next ids out of range");
  }
  FORKDB_RETURN_IF_ERROR(backend_->ScanRecords(
      kForkPrefix,
      [&](std::string_view key,
          std::string_view value) FORKDB_NO_THREAD_SAFETY_ANALYSIS -> Status {
        ForkInfo info;
        uint64_t id;
        if (!DecodeKeyId(key, kForkPrefix, &id) || !DecodeFork(value, &info) ||
            info.id != id || id == kNoFork || id >= next_fork_id_ ||
            info.parent >= next_fork_id_ || !ValidateForkName(info.name).ok() ||
            fork_names_.count(info.name) || !ValidRoot(info.root, next_block) ||
            !ValidRoot(info.base, next_block)) {
          return Status::Corruption("fork record '", key, "': malformed");
        }
        fork_names_[info.name] = info.id;
        forks_[info.id].info = std::move(info);
        return Status();
      }));
  std::vector<std::pair<BlockId, uint32_t>> counts;
  BlockId max_id = kNullBlock;
  FORKDB_RETURN_IF_ERROR(backend_->ScanRecords(
      kCountPrefix,
      [&](std::string_view key, std::string_view value) -> Status {
        uint64_t id;
        uint32_t count;
        if (!DecodeKeyId(key, kCountPrefix, &id) ||
            !GetFixed32(&value, &count) || !value.empty() || id == kNullBlock ||
            id >= next_block || count == 0) {
          return Status::Corruption("count record '", key, "': malformed");
        }
        counts.emplace_back(id, count);
        max_id = std::max(max_id, id);
        return Status();
      }));
  // Ids above the largest counted one hold no live block: allocation starts
  // there (the meta record's next id only bounds the check above).
  try {
    counts_.assign(max_id + 1, 0);
  } catch (const std::bad_alloc&) {
    return Status::IOError("out of memory for the counts of ", max_id,
                           " blocks");
  }
  for (const auto& [id, count] : counts) counts_[id] = count;
  live_blocks_ = counts.size();
  {
    MutexLock alloc(&alloc_mu_);
    next_block_id_ = max_id + 1;
    for (BlockId id = max_id; id >= 1; --id) {
      if (counts_[id] == 0) free_ids_.push_back(id);
    }
  }
  // Snapshots live only as long as the process that made them: release
  // leftovers, each in its own batch. One whose blocks are damaged stays
  // pinned (so the store still opens, and Check() names the damage).
  std::vector<std::pair<std::string, Root>> leftovers;
  const uint64_t next_snapshot = next_snapshot_id_;
  FORKDB_RETURN_IF_ERROR(backend_->ScanRecords(
      kSnapshotPrefix,
      [&](std::string_view key, std::string_view value) -> Status {
        Root root;
        uint64_t id;
        if (!DecodeKeyId(key, kSnapshotPrefix, &id) ||
            !DecodeRoot(&value, &root) || !value.empty() ||
            id >= next_snapshot || !ValidRoot(root, next_block)) {
          return Status::Corruption("snapshot record '", key, "': malformed");
        }
        leftovers.emplace_back(std::string(key), root);
        return Status();
      }));
  for (const auto& [key, root] : leftovers) {
    Delta delta;
    CommitBatch batch;
    batch.delete_records.push_back(key);
    Status s;
    if (root.block != kNullBlock) {
      s = ReleaseLocked(&delta, root.block, root.height);
    }
    if (s.ok()) s = ApplyLocked(&delta, &batch, true);
    if (s.IsCorruption()) {
      uint64_t id = 0;
      std::string_view k(key);
      DecodeKeyId(k, kSnapshotPrefix, &id);
      snapshots_[id] = root;
      continue;
    }
    FORKDB_RETURN_IF_ERROR(s);
  }
  return Status();
}

bool Store::ValidRoot(const Root& root, BlockId next_block) const {
  const int bits = Log2(fanout());
  if ((root.block == kNullBlock) != (root.height == 0)) return false;
  if (root.block >= next_block) return false;
  // Every capacity shift, bits x height, must stay below 64.
  if (root.height > static_cast<uint32_t>(63 / bits)) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Counts, allocation, and the one place that writes

Result<BlockRef> Store::ReadReferenced(BlockId id) {
  Result<BlockRef> block = backend_->ReadBlock(id);
  // A block some tree references must be there: its absence is damage, not an
  // unmapped page.
  if (block.status().IsNotFound()) {
    return Status::Corruption("block ", id, ": referenced but not stored");
  }
  return block;
}

uint32_t Store::CountLocked(BlockId id) const {
  return id < counts_.size() ? counts_[id] : 0;
}

BlockId Store::AllocateBlockId() {
  MutexLock alloc(&alloc_mu_);
  if (!free_ids_.empty()) {
    BlockId id = free_ids_.back();
    free_ids_.pop_back();
    assert(id != kNullBlock);
    return id;
  }
  return next_block_id_++;
}

void Store::ReturnBlockIds(const std::vector<BlockId>& ids) {
  MutexLock lock(&mu_);
  FreeBlockIdsLocked(ids);
}

BlockId Store::TEST_AllocateBlockId() { return AllocateBlockId(); }

void Store::FreeBlockIdsLocked(const std::vector<BlockId>& ids) {
  for ([[maybe_unused]] BlockId id : ids) assert(CountLocked(id) == 0);
  MutexLock alloc(&alloc_mu_);
  free_ids_.insert(free_ids_.end(), ids.begin(), ids.end());
}

Status Store::ApplyLocked(Delta* delta, CommitBatch* batch, bool sync) {
  batch->sync = sync;
  batch->delete_blocks = delta->freed;
  if (persistent_) {
    for (const auto& [id, change] : delta->counts) {
      int64_t count = int64_t{CountLocked(id)} + change;
      assert(count >= 0);
      if (count == 0) {
        batch->delete_records.push_back(KeyWithId(kCountPrefix, id));
      } else {
        std::string value;
        PutFixed32(&value, static_cast<uint32_t>(count));
        batch->put_records.emplace_back(KeyWithId(kCountPrefix, id),
                                        std::move(value));
      }
    }
    std::string one;
    PutFixed32(&one, 1);
    for (BlockId id : delta->added) {
      batch->put_records.emplace_back(KeyWithId(kCountPrefix, id), one);
    }
    PutMetaLocked(batch);
  }
  // Invariant 3: the backend first; memory changes only once it has accepted
  // the batch.
  FORKDB_RETURN_IF_ERROR(backend_->Commit(*batch));
  {
    MutexLock alloc(&alloc_mu_);
    if (counts_.size() < next_block_id_) counts_.resize(next_block_id_, 0);
  }
  for (const auto& [id, change] : delta->counts) {
    int64_t count = int64_t{counts_[id]} + change;
    assert(count >= 0);
    if (counts_[id] > 0 && count == 0) --live_blocks_;
    if (counts_[id] == 0 && count > 0) ++live_blocks_;
    counts_[id] = static_cast<uint32_t>(count);
  }
  for (BlockId id : delta->added) {
    assert(counts_[id] == 0);
    counts_[id] = 1;
    ++live_blocks_;
  }
  FreeBlockIdsLocked(delta->freed);
  ++apply_epoch_;
  return Status();
}

Status Store::ReleaseLocked(Delta* delta, BlockId block, uint32_t level) {
  std::vector<std::pair<BlockId, uint32_t>> stack{{block, level}};
  while (!stack.empty()) {
    auto [id, lvl] = stack.back();
    stack.pop_back();
    assert(id != kNullBlock);
    int64_t& change = delta->counts[id];
    int64_t count = int64_t{CountLocked(id)} + change;
    if (count <= 0) {
      return Status::Corruption("block ", id,
                                ": released more often than referenced");
    }
    --change;
    if (count > 1) continue;
    delta->freed.push_back(id);
    if (lvl == 0) continue;
    FORKDB_ASSIGN_OR_RETURN(BlockRef node, ReadReferenced(id));
    for (uint32_t slot = 0; slot < fanout(); ++slot) {
      BlockId child = node->child(slot);
      if (child != kNullBlock) stack.emplace_back(child, lvl - 1);
    }
  }
  return Status();
}

Status Store::ReleaseForkLocked(Delta* delta, const ForkInfo& info) {
  if (info.root.block != kNullBlock) {
    FORKDB_RETURN_IF_ERROR(
        ReleaseLocked(delta, info.root.block, info.root.height));
  }
  if (info.base.block != kNullBlock) {
    FORKDB_RETURN_IF_ERROR(
        ReleaseLocked(delta, info.base.block, info.base.height));
  }
  return Status();
}

// `new_block` (owned by txn) replaces `old_block` at the same place of the
// tree, one level up of which either released its reference to `old_block`
// (release_old) or keeps it (the parent is shared and survives).
Status Store::ReconcileLocked(Delta* delta, const Transaction& txn,
                              BlockId old_block, BlockId new_block,
                              uint32_t level, bool release_old) {
  assert(old_block != kNullBlock);
  assert(txn.owned_.count(new_block) == 1);
  bool old_dies = false;
  if (release_old) {
    int64_t& change = delta->counts[old_block];
    int64_t count = int64_t{CountLocked(old_block)} + change;
    if (count <= 0) {
      return Status::Corruption("block ", old_block,
                                ": released more often than referenced");
    }
    --change;
    if (count == 1) {
      delta->freed.push_back(old_block);
      old_dies = true;
    }
  }
  if (level == 0) return Status();
  FORKDB_ASSIGN_OR_RETURN(BlockRef old_node, ReadReferenced(old_block));
  const BlockBuf& new_node = *txn.owned_.at(new_block).block;
  for (uint32_t slot = 0; slot < fanout(); ++slot) {
    BlockId oc = old_node->child(slot);
    BlockId nc = new_node.child(slot);
    if (oc == nc) {
      // Shared by the surviving old node and the new one; or passed on from a
      // dead one.
      if (nc != kNullBlock && !old_dies) ++delta->counts[nc];
      continue;
    }
    if (nc != kNullBlock) {
      // Slots only ever hold their old block, a block the transaction owns, or
      // nothing.
      assert(txn.owned_.count(nc) == 1);
      if (oc != kNullBlock) {
        FORKDB_RETURN_IF_ERROR(
            ReconcileLocked(delta, txn, oc, nc, level - 1, old_dies));
      }
    } else if (old_dies) {
      FORKDB_RETURN_IF_ERROR(ReleaseLocked(delta, oc, level - 1));
    }
  }
  return Status();
}

// ---------------------------------------------------------------------------
// Forks

Result<Store::ForkState*> Store::FindLocked(std::string_view name) {
  auto it = fork_names_.find(name);
  if (it == fork_names_.end())
    return Status::NotFound("fork '", name, "' does not exist");
  return &forks_.at(it->second);
}

void Store::PutForkRecordLocked(CommitBatch* batch, const ForkInfo& info) {
  if (!persistent_) return;
  batch->put_records.emplace_back(KeyWithId(kForkPrefix, info.id),
                                  EncodeFork(info));
}

Result<ForkId> Store::CreateForkLocked(std::string_view name, const Root& root,
                                       ForkId parent, uint64_t fork_point_seq,
                                       bool read_only, bool pin_base) {
  FORKDB_RETURN_IF_ERROR(ValidateForkName(name));
  if (fork_names_.count(name)) {
    return Status::InvalidArgument("fork '", name, "' already exists");
  }
  ForkInfo info;
  info.id = next_fork_id_;
  info.name = std::string(name);
  info.parent = parent;
  info.created_unix_us = NowUnixMicros();
  info.read_only = read_only;
  info.root = root;
  info.fork_point_seq = fork_point_seq;
  Delta delta;
  if (root.block != kNullBlock) delta.counts[root.block] += 1;
  if (pin_base) {
    info.base = root;  // pinned: the common ancestor for three-way comparisons
    if (root.block != kNullBlock) delta.counts[root.block] += 1;
  }
  CommitBatch batch;
  PutForkRecordLocked(&batch, info);
  ++next_fork_id_;
  Status s = ApplyLocked(&delta, &batch, true);
  if (!s.ok()) {
    --next_fork_id_;
    return s;
  }
  fork_names_[info.name] = info.id;
  forks_[info.id].info = info;
  return info.id;
}

Result<ForkId> Store::CreateRootFork(std::string_view name) {
  MutexLock lock(&mu_);
  return CreateForkLocked(name, Root(), kNoFork, 0, false, /*pin_base=*/false);
}

Result<ForkId> Store::CreateFork(std::string_view name, std::string_view from,
                                 bool read_only) {
  MutexLock lock(&mu_);
  FORKDB_ASSIGN_OR_RETURN(ForkState * parent, FindLocked(from));
  return CreateForkLocked(name, parent->info.root, parent->info.id,
                          parent->info.commit_seq, read_only,
                          /*pin_base=*/true);
}

Result<ForkId> Store::CreateForkFromSnapshot(std::string_view name,
                                             const Snapshot& snapshot,
                                             bool read_only) {
  if (snapshot.store_ != this) {
    return Status::InvalidArgument("snapshot belongs to another store");
  }
  if (snapshot.released()) {
    return Status::InvalidArgument("snapshot already released");
  }
  MutexLock lock(&mu_);
  // If the snapshot's fork was dropped, the new fork has no parent but keeps
  // its base.
  ForkId parent = forks_.count(snapshot.fork_) ? snapshot.fork_ : kNoFork;
  return CreateForkLocked(name, snapshot.root_, parent, snapshot.commit_seq_,
                          read_only,
                          /*pin_base=*/true);
}

Status Store::DropFork(std::string_view name) {
  MutexLock lock(&mu_);
  FORKDB_ASSIGN_OR_RETURN(ForkState * fork, FindLocked(name));
  if (fork->writer) {
    return Status::Busy("fork '", name, "' has an open transaction");
  }
  Delta delta;
  const ForkInfo& info = fork->info;
  FORKDB_RETURN_IF_ERROR(ReleaseForkLocked(&delta, info));
  CommitBatch batch;
  if (persistent_)
    batch.delete_records.push_back(KeyWithId(kForkPrefix, info.id));
  FORKDB_RETURN_IF_ERROR(ApplyLocked(&delta, &batch, true));
  ForkId id = info.id;
  fork_names_.erase(fork_names_.find(name));
  forks_.erase(id);
  return Status();
}

Result<ForkInfo> Store::GetFork(std::string_view name) const {
  MutexLock lock(&mu_);
  auto it = fork_names_.find(name);
  if (it == fork_names_.end())
    return Status::NotFound("fork '", name, "' does not exist");
  return forks_.at(it->second).info;
}

Result<ForkInfo> Store::GetFork(ForkId id) const {
  MutexLock lock(&mu_);
  auto it = forks_.find(id);
  if (it == forks_.end())
    return Status::NotFound("fork ", id, " does not exist");
  return it->second.info;
}

Result<uint64_t> Store::CommitSeq(ForkId id) const {
  MutexLock lock(&mu_);
  auto it = forks_.find(id);
  if (it == forks_.end())
    return Status::NotFound("fork ", id, " does not exist");
  return it->second.info.commit_seq;
}

std::vector<ForkInfo> Store::ListForks() const {
  MutexLock lock(&mu_);
  std::vector<ForkInfo> out;
  out.reserve(forks_.size());
  for (const auto& [id, fork] : forks_) out.push_back(fork.info);
  return out;
}

StoreStats Store::Stats() const {
  MutexLock lock(&mu_);
  MutexLock alloc(&alloc_mu_);
  return StoreStats{forks_.size(), snapshots_.size(), live_blocks_,
                    next_block_id_, free_ids_.size()};
}

void Store::TEST_AdjustCount(BlockId id, int64_t delta) {
  MutexLock lock(&mu_);
  if (counts_.size() <= id) counts_.resize(id + 1, 0);
  counts_[id] = static_cast<uint32_t>(int64_t{counts_[id]} + delta);
}

// ---------------------------------------------------------------------------
// Snapshots

Result<std::unique_ptr<Snapshot>> Store::SnapshotLocked(ForkId fork,
                                                        const Root& root,
                                                        uint64_t seq) {
  Delta delta;
  if (root.block != kNullBlock) delta.counts[root.block] += 1;
  uint64_t id = next_snapshot_id_++;
  CommitBatch batch;
  if (persistent_) {
    std::string value;
    EncodeRoot(&value, root);
    batch.put_records.emplace_back(KeyWithId(kSnapshotPrefix, id),
                                   std::move(value));
  }
  if (persistent_ || root.block != kNullBlock) {
    // A snapshot needs no fsync: if it is lost in a crash, so is its count.
    Status s = ApplyLocked(&delta, &batch, false);
    if (!s.ok()) {
      --next_snapshot_id_;
      return s;
    }
  }
  snapshots_[id] = root;
  ++snapshot_handles_;
  return std::unique_ptr<Snapshot>(new Snapshot(this, id, fork, root, seq));
}

Result<std::unique_ptr<Snapshot>> Store::OpenSnapshot(std::string_view fork) {
  MutexLock lock(&mu_);
  FORKDB_ASSIGN_OR_RETURN(ForkState * state, FindLocked(fork));
  return SnapshotLocked(state->info.id, state->info.root,
                        state->info.commit_seq);
}

Result<std::unique_ptr<Snapshot>> Store::OpenBaseSnapshot(
    std::string_view fork) {
  MutexLock lock(&mu_);
  FORKDB_ASSIGN_OR_RETURN(ForkState * state, FindLocked(fork));
  if (state->info.parent == kNoFork && state->info.base.block == kNullBlock) {
    return Status::NotFound("fork '", fork, "' has no base");
  }
  return SnapshotLocked(state->info.parent, state->info.base,
                        state->info.fork_point_seq);
}

Status Store::ReleaseSnapshot(Snapshot* snapshot) {
  MutexLock lock(&mu_);
  Delta delta;
  const Root& root = snapshot->root_;
  CommitBatch batch;
  if (persistent_) {
    batch.delete_records.push_back(KeyWithId(kSnapshotPrefix, snapshot->id_));
  }
  Status s;
  if (root.block != kNullBlock) {
    s = ReleaseLocked(&delta, root.block, root.height);
  }
  if (s.ok() && (persistent_ || root.block != kNullBlock)) {
    s = ApplyLocked(&delta, &batch, false);
  }
  // On failure the snapshot's reference stays counted (and, when persistent,
  // recorded): nothing is freed early; the next open releases it.
  if (s.ok()) snapshots_.erase(snapshot->id_);
  --snapshot_handles_;
  return s;
}

Status Snapshot::Release() {
  if (released_) return Status::InvalidArgument("snapshot already released");
  released_ = true;
  return store_->ReleaseSnapshot(this);
}

Snapshot::~Snapshot() {
  if (!released_) Release().IgnoreError();  // a failure is healed at next open
}

Result<BlockRef> Snapshot::ReadPage(PageNo page) const {
  if (released_) return Status::InvalidArgument("snapshot already released");
  return store_->ReadPageAt(root_, page);
}

Result<BlockRef> Snapshot::ReadPage(PageNo page, PageMapCache* cache) const {
  if (released_) return Status::InvalidArgument("snapshot already released");
  const int bits = Log2(store_->fanout());
  if (root_.block == kNullBlock ||
      page >= (uint64_t{1} << (bits * root_.height))) {
    return Status::NotFound("page ", page, " is not mapped");
  }
  BlockId id = root_.block;
  for (uint32_t level = root_.height; level >= 1; --level) {
    // Level < 64 and the prefix has at most 40 - bits bits: one key each.
    const uint64_t key = ((page >> (bits * level)) << 6) | level;
    const BlockBuf* node;
    if (auto it = cache->nodes_.find(key); it != cache->nodes_.end()) {
      node = it->second.get();
    } else {
      FORKDB_ASSIGN_OR_RETURN(BlockRef ref, store_->ReadReferenced(id));
      node = ref.get();
      if (cache->nodes_.size() < PageMapCache::kMaxNodes)
        cache->nodes_.emplace(key, std::move(ref));
      else
        return store_->ReadPageAt(root_, page);  // full: uncached
    }
    id = node->child((page >> (bits * (level - 1))) & (store_->fanout() - 1));
    if (id == kNullBlock)
      return Status::NotFound("page ", page, " is not mapped");
  }
  return store_->ReadReferenced(id);
}

Result<BlockRef> Store::ReadPageAt(const Root& root, PageNo page) {
  const int bits = Log2(fanout());
  if (root.block == kNullBlock ||
      page >= (uint64_t{1} << (bits * root.height))) {
    return Status::NotFound("page ", page, " is not mapped");
  }
  BlockId id = root.block;
  for (uint32_t level = root.height; level >= 1; --level) {
    FORKDB_ASSIGN_OR_RETURN(BlockRef node, ReadReferenced(id));
    id = node->child((page >> (bits * (level - 1))) & (fanout() - 1));
    if (id == kNullBlock)
      return Status::NotFound("page ", page, " is not mapped");
  }
  return ReadReferenced(id);
}

// ---------------------------------------------------------------------------
// Transactions

Result<std::unique_ptr<Transaction>> Store::Begin(std::string_view fork) {
  MutexLock lock(&mu_);
  FORKDB_ASSIGN_OR_RETURN(ForkState * state, FindLocked(fork));
  if (state->info.read_only) {
    return Status::InvalidArgument("fork '", fork, "' is read-only");
  }
  if (state->writer)
    return Status::Busy("fork '", fork, "' has an open transaction");
  state->writer = true;
  return std::unique_ptr<Transaction>(
      new Transaction(this, state->info.id, state->info.root));
}

void Store::EndTransaction(ForkId fork,
                           const std::vector<BlockId>& unused_ids) {
  MutexLock lock(&mu_);
  FreeBlockIdsLocked(unused_ids);
  auto it = forks_.find(fork);
  assert(it != forks_.end());
  it->second.writer = false;
}

Status Store::CommitTransaction(Transaction* txn) {
  const Root& old_root = txn->committed_;
  const Root& new_root = txn->work_;
  MutexLock lock(&mu_);
  ForkState& fork = forks_.at(txn->fork_);
  assert(fork.writer);
  assert(fork.info.root == old_root);
  Delta delta;
  Status s;
  if (new_root.block != old_root.block && old_root.block != kNullBlock) {
    // Where the tree grew, new top nodes stand above the old root on their slot
    // 0.
    BlockId block = new_root.block;
    for (uint32_t level = new_root.height; level > old_root.height; --level) {
      block = txn->owned_.at(block).block->child(0);
    }
    if (block != old_root.block) {
      s = ReconcileLocked(&delta, *txn, old_root.block, block, old_root.height,
                          true);
    }
  }
  ForkInfo info = fork.info;
  CommitBatch batch;
  if (s.ok()) {
    info.root = new_root;
    ++info.commit_seq;
    for (auto& [id, owned] : txn->owned_) {
      owned.block->Seal(id);
      batch.put_blocks.emplace_back(id, owned.block);
      delta.added.push_back(id);
    }
    PutForkRecordLocked(&batch, info);
    s = ApplyLocked(&delta, &batch, true);
  }
  if (!s.ok()) return s;  // the caller aborts
  fork.info = std::move(info);
  fork.writer = false;
  return Status();
}

Transaction::~Transaction() {
  if (!done_) Abort();
}

void Transaction::ReleaseOwned() {
  std::vector<BlockId> ids;
  ids.reserve(owned_.size());
  for (const auto& [id, block] : owned_) ids.push_back(id);
  owned_.clear();
  savepoints_.clear();
  store_->EndTransaction(fork_, ids);
}

void Transaction::Abort() {
  if (done_) return;
  done_ = true;
  ReleaseOwned();
}

Status Transaction::Commit() {
  if (done_) return Status::InvalidArgument("transaction already ended");
  while (!savepoints_.empty()) FORKDB_RETURN_IF_ERROR(ReleaseSavepoint());
  if (work_ == committed_ && owned_.empty()) {
    Abort();  // nothing written
    return Status();
  }
  Status s = store_->CommitTransaction(this);
  if (!s.ok()) {
    Abort();
    return s.WithContext("commit");
  }
  done_ = true;
  owned_.clear();  // the blocks now belong to the store, immutable
  return Status();
}

Result<BlockRef> Transaction::Lookup(PageNo page) {
  const int bits = Log2(store_->fanout());
  const uint32_t mask = store_->fanout() - 1;
  if (work_.block == kNullBlock ||
      page >= (uint64_t{1} << (bits * work_.height))) {
    return Status::NotFound("page ", page, " is not mapped");
  }
  BlockId id = work_.block;
  for (uint32_t level = work_.height; level >= 1; --level) {
    BlockRef node;
    if (auto it = owned_.find(id); it != owned_.end()) {
      node = it->second.block;
    } else {
      FORKDB_ASSIGN_OR_RETURN(node, store_->ReadReferenced(id));
    }
    id = node->child((page >> (bits * (level - 1))) & mask);
    if (id == kNullBlock)
      return Status::NotFound("page ", page, " is not mapped");
  }
  if (auto it = owned_.find(id); it != owned_.end())
    return BlockRef(it->second.block);
  return store_->ReadReferenced(id);
}

Result<BlockRef> Transaction::ReadPage(PageNo page) {
  if (done_) return Status::InvalidArgument("transaction already ended");
  return Lookup(page);
}

Result<bool> Transaction::IsMapped(PageNo page) {
  if (done_) return Status::InvalidArgument("transaction already ended");
  Result<BlockRef> block = Lookup(page);
  if (block.ok()) return true;
  if (block.status().IsNotFound()) return false;
  return block.status();
}

BlockBuf* Transaction::Writable(BlockId id) {
  auto it = owned_.find(id);
  if (it == owned_.end()) return nullptr;
  SaveImage(id, &it->second);
  return it->second.block.get();
}
void Transaction::SaveImage(BlockId id, Owned* owned) {
  if (savepoints_.empty()) return;
  SavepointState& mark = savepoints_.back();
  if (owned->gen > mark.gen) return;  // made since the mark: rollback frees it
  if (owned->imaged == mark.gen) return;
  const uint32_t size = store_->block_size();
  std::unique_ptr<char[]> image(new char[size]);
  std::memcpy(image.get(), owned->block->data(), size);
  mark.undo.emplace_back(id, std::move(image));
  owned->imaged = mark.gen;
}
BlockId Transaction::AddOwned(std::shared_ptr<BlockBuf> block) {
  BlockId id = store_->AllocateBlockId();
  assert(owned_.count(id) == 0);
  owned_.emplace(id, Owned{std::move(block), gen_});
  return id;
}

void Transaction::FreeOwned(const std::vector<BlockId>& ids) {
  for (BlockId id : ids) {
    [[maybe_unused]] size_t erased = owned_.erase(id);
    assert(erased == 1);
  }
  store_->ReturnBlockIds(ids);  // never committed: free again at once
}

void Transaction::Supersede(BlockId id) {
  auto it = owned_.find(id);
  if (it == owned_.end()) return;  // a committed block: the commit settles it
  if (!savepoints_.empty() && it->second.gen <= savepoints_.back().gen) {
    savepoints_.back().superseded.push_back(id);
  } else {
    FreeOwned({id});
  }
}

Result<BlockBuf*> Transaction::Own(BlockId* slot, bool is_node) {
  BlockId id = *slot;
  if (id != kNullBlock) {
    if (BlockBuf* writable = Writable(id)) return writable;
  }
  std::shared_ptr<BlockBuf> block;
  if (id == kNullBlock) {
    block = BlockBuf::Make(store_->block_size());
    if (is_node) {
      ++work_.nodes;
    } else {
      ++work_.pages;
    }
  } else {
    FORKDB_ASSIGN_OR_RETURN(BlockRef old, store_->ReadReferenced(id));
    block = BlockBuf::Copy(*old);  // shadow
  }
  BlockBuf* raw = block.get();
  BlockId fresh = AddOwned(std::move(block));
  if (id != kNullBlock) Supersede(id);
  *slot = fresh;
  return raw;
}

Status Transaction::Savepoint() {
  if (done_) return Status::InvalidArgument("transaction already ended");
  savepoints_.push_back(SavepointState{work_, gen_, {}, {}});
  ++gen_;
  return Status();
}

Status Transaction::RollbackToSavepoint() {
  if (done_) return Status::InvalidArgument("transaction already ended");
  if (savepoints_.empty()) return Status::InvalidArgument("no savepoint");
  const SavepointState& mark = savepoints_.back();
  // Newest image first, so that the oldest, the bytes at the mark, wins.
  // Blocks that existed at the mark stay owned until it goes (Supersede).
  for (auto it = mark.undo.rbegin(); it != mark.undo.rend(); ++it) {
    auto owned = owned_.find(it->first);
    assert(owned != owned_.end());
    std::memcpy(owned->second.block->mutable_data(), it->second.get(),
                store_->block_size());
    owned->second.imaged = kNoImage;
  }
  std::vector<BlockId> since;
  for (const auto& [id, owned] : owned_) {
    if (owned.gen > mark.gen) since.push_back(id);
  }
  FreeOwned(since);
  work_ = mark.work;  // its superseded blocks are in this tree again
  savepoints_.pop_back();
  return Status();
}

Status Transaction::ReleaseSavepoint() {
  if (done_) return Status::InvalidArgument("transaction already ended");
  if (savepoints_.empty()) return Status::InvalidArgument("no savepoint");
  SavepointState released = std::move(savepoints_.back());
  savepoints_.pop_back();
  // The outer savepoint needs the images of the blocks that existed at its
  // own mark; a later image of one it already has is harmless (the oldest
  // wins on rollback).
  for (auto& [id, image] : released.undo) {
    auto owned = owned_.find(id);
    assert(owned != owned_.end());
    owned->second.imaged = kNoImage;
    if (savepoints_.empty() || owned->second.gen > savepoints_.back().gen)
      continue;
    savepoints_.back().undo.emplace_back(id, std::move(image));
    owned->second.imaged = savepoints_.back().gen;
  }
  std::vector<BlockId> superseded = std::move(released.superseded);
  // Each block left the tree after the released mark: an outer savepoint that
  // saw it keeps it; otherwise nothing can bring it back.
  for (BlockId id : superseded) Supersede(id);
  return Status();
}

Status Transaction::Grow(PageNo page) {
  const int bits = Log2(store_->fanout());
  if (work_.block == kNullBlock) {
    work_.height = 1;
    while (page >= (uint64_t{1} << (bits * work_.height))) ++work_.height;
    return Status();
  }
  while (page >= (uint64_t{1} << (bits * work_.height))) {
    auto top = BlockBuf::Make(store_->block_size());
    top->set_child(0, work_.block);
    work_.block = AddOwned(std::move(top));
    ++work_.height;
    ++work_.nodes;
  }
  return Status();
}

Result<Transaction::Path> Transaction::ShadowPath(PageNo page) {
  const int bits = Log2(store_->fanout());
  const uint32_t mask = store_->fanout() - 1;
  FORKDB_RETURN_IF_ERROR(Grow(page));
  FORKDB_ASSIGN_OR_RETURN(BlockBuf * node, Own(&work_.block, true));
  for (uint32_t level = work_.height; level > 1; --level) {
    uint32_t slot = (page >> (bits * (level - 1))) & mask;
    BlockId child = node->child(slot);
    FORKDB_ASSIGN_OR_RETURN(BlockBuf * next, Own(&child, true));
    node->set_child(slot, child);
    node = next;
  }
  return Path{node, static_cast<uint32_t>(page & mask)};
}

Result<char*> Transaction::MutablePage(PageNo page) {
  if (done_) return Status::InvalidArgument("transaction already ended");
  if (page > kPageNoMax) {
    return Status::InvalidArgument("page ", page, " beyond the largest page ",
                                   kPageNoMax);
  }
  FORKDB_ASSIGN_OR_RETURN(Path path, ShadowPath(page));
  BlockId data = path.leaf->child(path.slot);
  FORKDB_ASSIGN_OR_RETURN(BlockBuf * block, Own(&data, false));
  path.leaf->set_child(path.slot, data);
  return block->mutable_data();
}

Status Transaction::WritePage(PageNo page, std::string_view bytes) {
  if (done_) return Status::InvalidArgument("transaction already ended");
  if (bytes.size() > store_->block_size()) {
    return Status::InvalidArgument("page ", page, ": ", bytes.size(),
                                   " bytes exceed the block size ",
                                   store_->block_size());
  }
  if (page > kPageNoMax) {
    return Status::InvalidArgument("page ", page, " beyond the largest page ",
                                   kPageNoMax);
  }
  FORKDB_ASSIGN_OR_RETURN(Path path, ShadowPath(page));
  BlockId data = path.leaf->child(path.slot);
  BlockBuf* block = data == kNullBlock ? nullptr : Writable(data);
  if (block == nullptr) {
    // A whole-page write needs no copy of the old bytes.
    auto fresh = BlockBuf::Make(store_->block_size());
    block = fresh.get();
    path.leaf->set_child(path.slot, AddOwned(std::move(fresh)));
    if (data == kNullBlock) {
      ++work_.pages;
    } else {
      Supersede(data);
    }
  }
  if (!bytes.empty()) {
    std::memcpy(block->mutable_data(), bytes.data(), bytes.size());
  }
  std::memset(block->mutable_data() + bytes.size(), 0,
              store_->block_size() - bytes.size());
  return Status();
}

Status Transaction::FreePage(PageNo page) {
  if (done_) return Status::InvalidArgument("transaction already ended");
  FORKDB_RETURN_IF_ERROR(Lookup(page).status());
  FORKDB_ASSIGN_OR_RETURN(Path path, ShadowPath(page));
  BlockId data = path.leaf->child(path.slot);
  assert(data != kNullBlock);
  path.leaf->set_child(path.slot, kNullBlock);
  Supersede(data);
  --work_.pages;
  return Status();
}

// ---------------------------------------------------------------------------
// Diff, space, check

Result<std::vector<PageNo>> Store::DiffPages(const Root& a, const Root& b) {
  struct Side {
    BlockId block;
    uint32_t
        level;  // the block's real level; above it the side is a virtual chain
  };
  const uint32_t fan = fanout();
  const int bits = Log2(fan);
  std::vector<PageNo> out;
  // Explicit stack of (a, b, view level, first page); visits children in order.
  struct Frame {
    Side a, b;
    uint32_t level;
    PageNo first;
  };
  std::vector<Frame> stack;
  stack.push_back({{a.block, a.height},
                   {b.block, b.height},
                   std::max(a.height, b.height),
                   0});
  std::vector<BlockId> ca(fan), cb(fan);
  auto children = [&](const Side& s, uint32_t level, std::vector<BlockId>* c,
                      uint32_t* child_level) -> Status {
    std::fill(c->begin(), c->end(), kNullBlock);
    if (s.block == kNullBlock) return Status();
    if (level > s.level) {  // virtual node above a shorter tree
      (*c)[0] = s.block;
      *child_level = s.level;
      return Status();
    }
    FORKDB_ASSIGN_OR_RETURN(BlockRef node, ReadReferenced(s.block));
    for (uint32_t i = 0; i < fan; ++i) (*c)[i] = node->child(i);
    *child_level = level - 1;
    return Status();
  };
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    if (f.a.block == f.b.block &&
        (f.a.block == kNullBlock || f.a.level == f.b.level)) {
      continue;  // the same subtree on both sides
    }
    if (f.level == 0) {
      out.push_back(f.first);
      continue;
    }
    uint32_t la = 0, lb = 0;
    FORKDB_RETURN_IF_ERROR(children(f.a, f.level, &ca, &la));
    FORKDB_RETURN_IF_ERROR(children(f.b, f.level, &cb, &lb));
    const uint64_t span = uint64_t{1} << (bits * (f.level - 1));
    for (uint32_t i = fan;
         i-- > 0;) {  // reversed: the stack pops in page order
      if (ca[i] == cb[i] && (ca[i] == kNullBlock || la == lb)) continue;
      stack.push_back(
          {{ca[i], la}, {cb[i], lb}, f.level - 1, f.first + i * span});
    }
  }
  return out;
}

Result<SpaceUsage> Store::SpaceLocked(const ForkInfo& info) {
  // A dry run of DropFork: the blocks its releases would free are the fork's
  // own. Only those are read; a shared subtree stops the walk at its top.
  Delta delta;
  FORKDB_RETURN_IF_ERROR(ReleaseForkLocked(&delta, info));
  const std::unordered_set<BlockId> freed(delta.freed.begin(),
                                          delta.freed.end());
  // Own blocks of the state: reachable from the root through own blocks only
  // (below a block someone else holds, everything is held through it).
  uint64_t own_in_state = 0;
  std::vector<std::pair<BlockId, uint32_t>> stack;
  if (freed.count(info.root.block)) {
    stack.emplace_back(info.root.block, info.root.height);
  }
  while (!stack.empty()) {
    auto [id, level] = stack.back();
    stack.pop_back();
    ++own_in_state;
    if (level == 0) continue;
    FORKDB_ASSIGN_OR_RETURN(BlockRef node, ReadReferenced(id));
    for (uint32_t slot = 0; slot < fanout(); ++slot) {
      BlockId child = node->child(slot);
      if (child != kNullBlock && freed.count(child)) {
        stack.emplace_back(child, level - 1);
      }
    }
  }
  SpaceUsage usage;
  usage.own_blocks = freed.size();
  usage.state_blocks = info.root.pages + info.root.nodes;
  if (own_in_state > usage.state_blocks) {
    return Status::Corruption("fork '", info.name, "': ", own_in_state,
                              " own blocks exceed its ", usage.state_blocks,
                              " blocks");
  }
  usage.shared_blocks = usage.state_blocks - own_in_state;
  return usage;
}

Result<SpaceUsage> Store::Space(std::string_view fork) {
  MutexLock lock(&mu_);
  FORKDB_ASSIGN_OR_RETURN(ForkState * state, FindLocked(fork));
  if (!state->space || state->space_epoch != apply_epoch_) {
    FORKDB_ASSIGN_OR_RETURN(SpaceUsage usage, SpaceLocked(state->info));
    state->space = usage;
    state->space_epoch = apply_epoch_;
  }
  return *state->space;
}

Result<SpaceUsage> Store::TEST_SpaceByWalk(std::string_view fork) {
  MutexLock lock(&mu_);
  FORKDB_ASSIGN_OR_RETURN(ForkState * state, FindLocked(fork));
  return SpaceLocked(state->info);
}

Result<CheckReport> Store::Check() {
  MutexLock lock(&mu_);
  BlockId next_block;
  {
    MutexLock alloc(&alloc_mu_);
    next_block = next_block_id_;
  }
  CheckReport report;
  std::unordered_map<BlockId, uint32_t> refs;  // references found
  std::unordered_map<BlockId, std::string>
      where;  // first referrer, for messages
  std::vector<std::pair<BlockId, uint32_t>> stack;
  auto reference = [&](BlockId id, uint32_t level, const std::string& from) {
    if (refs[id]++ == 0) {
      where[id] = from;
      stack.emplace_back(id, level);
    }
  };
  for (const auto& [id, fork] : forks_) {
    const ForkInfo& f = fork.info;
    if (f.root.block)
      reference(f.root.block, f.root.height, "root of fork '" + f.name + "'");
    if (f.base.block)
      reference(f.base.block, f.base.height, "base of fork '" + f.name + "'");
  }
  for (const auto& [id, root] : snapshots_) {
    if (root.block)
      reference(root.block, root.height, "snapshot " + std::to_string(id));
  }
  while (!stack.empty()) {
    auto [id, level] = stack.back();
    stack.pop_back();
    ++report.blocks_reachable;
    Result<BlockRef> block = backend_->ReadBlock(id);
    if (!block.ok()) {
      if (block.status().IsNotFound()) {
        report.problems.push_back({CheckProblem::Kind::kDangling, id,
                                   "dangling reference: block " +
                                       std::to_string(id) + " (referenced by " +
                                       where[id] + ") is not stored"});
      } else if (block.status().IsCorruption()) {
        report.problems.push_back(
            {CheckProblem::Kind::kChecksum, id,
             block.status().message() + " (referenced by " + where[id] + ")"});
      } else {
        return block.status();
      }
      continue;
    }
    if (level == 0) continue;
    for (uint32_t slot = 0; slot < fanout(); ++slot) {
      BlockId child = (*block)->child(slot);
      if (child == kNullBlock) continue;
      if (child >= next_block) {
        report.problems.push_back(
            {CheckProblem::Kind::kDangling, child,
             "dangling reference: block " + std::to_string(child) +
                 " in node " + std::to_string(id) + " was never allocated"});
        continue;
      }
      reference(child, level - 1, "node " + std::to_string(id));
    }
  }
  for (const auto& [id, found] : refs) {
    if (CountLocked(id) != found) {
      report.problems.push_back(
          {CheckProblem::Kind::kCountMismatch, id,
           "count mismatch: block " + std::to_string(id) + " has count " +
               std::to_string(CountLocked(id)) + ", " + std::to_string(found) +
               " references found"});
    }
  }
  for (BlockId id = 1; id < counts_.size(); ++id) {
    if (counts_[id] != 0 && !refs.count(id)) {
      report.problems.push_back(
          {CheckProblem::Kind::kLeaked, id,
           "leaked block: block " + std::to_string(id) + " has count " +
               std::to_string(counts_[id]) + " but no root reaches it"});
    }
  }
  FORKDB_RETURN_IF_ERROR(backend_->ScanBlockIds(
      [&](BlockId id) FORKDB_NO_THREAD_SAFETY_ANALYSIS -> Status {
        ++report.blocks_stored;
        if (!refs.count(id) && CountLocked(id) == 0) {
          report.problems.push_back({CheckProblem::Kind::kLeaked, id,
                                     "leaked block: block " +
                                         std::to_string(id) +
                                         " is stored but no root reaches it"});
        }
        return Status();
      }));
  if (persistent_) {
    // The persisted counts and fork records must say what memory says.
    std::unordered_map<BlockId, uint32_t> stored;
    FORKDB_RETURN_IF_ERROR(backend_->ScanRecords(
        kCountPrefix,
        [&](std::string_view key,
            std::string_view value) FORKDB_NO_THREAD_SAFETY_ANALYSIS -> Status {
          uint64_t id;
          uint32_t count = 0;
          if (!DecodeKeyId(key, kCountPrefix, &id) ||
              !GetFixed32(&value, &count)) {
            report.problems.push_back({CheckProblem::Kind::kRecord, kNullBlock,
                                       "malformed count record"});
            return Status();
          }
          stored[id] = count;
          return Status();
        }));
    for (BlockId id = 1; id < counts_.size(); ++id) {
      uint32_t s = stored.count(id) ? stored[id] : 0;
      if (s != counts_[id]) {
        report.problems.push_back({CheckProblem::Kind::kRecord, id,
                                   "count record of block " +
                                       std::to_string(id) + " says " +
                                       std::to_string(s) + ", store has " +
                                       std::to_string(counts_[id])});
      }
    }
    size_t records = 0;
    FORKDB_RETURN_IF_ERROR(backend_->ScanRecords(
        kForkPrefix,
        [&](std::string_view,
            std::string_view value) FORKDB_NO_THREAD_SAFETY_ANALYSIS -> Status {
          ++records;
          ForkInfo info;
          auto it =
              DecodeFork(value, &info) ? forks_.find(info.id) : forks_.end();
          if (it == forks_.end() || EncodeFork(it->second.info) != value) {
            report.problems.push_back({CheckProblem::Kind::kRecord, kNullBlock,
                                       "fork record of '" + info.name +
                                           "' differs from the open store"});
          }
          return Status();
        }));
    if (records != forks_.size()) {
      report.problems.push_back({CheckProblem::Kind::kRecord, kNullBlock,
                                 std::to_string(records) +
                                     " fork records for " +
                                     std::to_string(forks_.size()) + " forks"});
    }
  }
  std::sort(report.problems.begin(), report.problems.end(),
            [](const CheckProblem& x, const CheckProblem& y) {
              return x.block < y.block;
            });
  return report;
}

}  // namespace forkdb::cow
