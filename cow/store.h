// cow::Store: the page-level copy-on-write store. Forks, snapshots and
// transactions over a BlockStore backend.
//
// Each fork sees its own logical page space. A fork's page map is a persistent
// radix tree of blocks (one block per node, block_size / 8 slots per node);
// leaves point to data blocks. Blocks are shared between forks and
// reference-counted lazily (Rodeh, "B-trees, Shadowing, and Clones"): a fork or
// snapshot takes one reference on a root; a transaction shadows (copies) every
// block it writes that it did not allocate itself, and its commit settles the
// counts: an old block referenced only by this fork's tree is freed and its
// references pass to the shadow; a shared one keeps its count minus one and its
// unchanged children gain a reference from the shadow.
//
// Invariants (numbered as in the design; tests/cow/ names a test InvariantN_...
// after each):
//   1. Fork, snapshot and drop cost O(1) in the database's size (a drop also
//      pays for the blocks it frees).
//   2. No write to one fork is visible in another fork or in an older snapshot.
//   3. Every state change (commit, fork, drop, snapshot) is one atomic backend
//      batch, written before memory changes: a failed write changes nothing,
//      and after a crash every acknowledged commit is there and no half one.
//   4. Every byte read from the backend is checksum-verified (by the backend).
//   5. Every committed block is immutable, and its count equals the references
//      to it from page-map nodes, fork roots, fork bases and snapshots: no
//      leaked block, no reference to a freed one (Check() proves it).
//
// Thread safety: Store methods may be called from any thread. One writer per
// fork at a time: Begin() on a fork with an open transaction returns Busy
// without waiting for that transaction. Snapshot readers take no lock.
// Transactions on different forks build in parallel (allocating block ids
// under their own lock); commits, forks, drops, snapshots and Begin() are
// serialized by the store mutex, which a commit holds across its backend write.
// Snapshot and Transaction objects must be destroyed before their Store.
//
// A failed backend write is taken to have changed nothing. RocksDB can fail a
// write after its log record reached the disk (a failed fsync); the in-memory
// state then drops a commit that the next open may replay. Such an error is an
// IOError from Commit(); reopen the store before trusting it again.
#ifndef FORKDB_COW_STORE_H_
#define FORKDB_COW_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cow/block_store.h"
#include "cow/mutex.h"
#include "cow/rocksdb_block_store.h"

namespace forkdb::cow {

using ForkId = uint64_t;
using PageNo = uint64_t;
inline constexpr ForkId kNoFork = 0;
inline constexpr PageNo kPageNoMax = (uint64_t{1} << 40) - 1;

// A page map's root and what it holds. Copied by value; O(1).
struct Root {
  BlockId block = kNullBlock;  // root node; kNullBlock for an empty map
  uint32_t height = 0;  // levels of nodes above the data blocks; 0 when empty
  uint64_t pages = 0;   // mapped logical pages (data blocks)
  uint64_t nodes = 0;   // page-map nodes
  bool operator==(const Root&) const = default;
};

struct ForkInfo {
  ForkId id = kNoFork;
  std::string name;
  ForkId parent = kNoFork;  // kNoFork for a fork made from nothing
  uint64_t created_unix_us = 0;
  bool read_only = false;
  Root root;                    // committed state
  Root base;                    // the parent's state at the fork point, pinned
  uint64_t commit_seq = 0;      // commits made on this fork
  uint64_t fork_point_seq = 0;  // the parent's commit_seq at the fork point
};

// What a fork costs. A fork holds its committed state and its base; a block is
// its own if nothing else holds it (another fork's root or base, or a live
// snapshot), so that dropping the fork would free exactly its own blocks.
struct SpaceUsage {
  uint64_t own_blocks = 0;     // blocks dropping the fork would free
  uint64_t shared_blocks = 0;  // blocks of its state that others hold too
  uint64_t state_blocks = 0;   // blocks of its state: pages and page-map nodes
};

struct CheckProblem {
  enum class Kind {
    kChecksum,       // a block's bytes fail verification
    kDangling,       // a reference to a block the backend does not hold
    kCountMismatch,  // stored count differs from the references found
    kLeaked,         // a stored or counted block no root reaches
    kRecord,         // a persisted record disagrees with the store's state
  };
  Kind kind;
  BlockId block = kNullBlock;
  std::string message;
};

struct CheckReport {
  uint64_t blocks_reachable = 0;
  uint64_t blocks_stored = 0;
  std::vector<CheckProblem> problems;
  bool ok() const { return problems.empty(); }
  std::string ToString() const;
};

class Store;

// The page-map nodes one reader of a snapshot has walked, so that its next
// walks find them without the backend: a committed node never changes while
// a snapshot holds it. Keeps at most kMaxNodes. Not thread-safe: one per
// reader, used with one snapshot only.
class PageMapCache {
 public:
  static constexpr size_t kMaxNodes = size_t{1} << 16;
  size_t size() const { return nodes_.size(); }

 private:
  friend class Snapshot;
  // By level and the page-number prefix the node covers.
  std::unordered_map<uint64_t, BlockRef> nodes_;
};

// A read-only view of one fork's committed state (or its base) at one moment.
// O(1) to make; holds one reference on the root until destroyed.
class Snapshot {
 public:
  ~Snapshot();  // releases the snapshot if Release() was not called
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // The page's bytes; NotFound if the page is not mapped; InvalidArgument after
  // Release(). O(height). Thread-safe, but not concurrently with Release().
  Result<BlockRef> ReadPage(PageNo page) const;
  // The same through the caller's cache of page-map nodes: O(1) backend reads
  // per page once the path is cached. `cache` must serve this snapshot only.
  Result<BlockRef> ReadPage(PageNo page, PageMapCache* cache) const;
  // Drops the snapshot's reference now (and frees what only it held). Later
  // calls, and reads, return InvalidArgument. O(blocks freed).
  Status Release();
  bool released() const { return released_; }
  const Root& root() const { return root_; }
  ForkId fork() const { return fork_; }
  uint64_t commit_seq() const { return commit_seq_; }

 private:
  friend class Store;
  Snapshot(Store* store, uint64_t id, ForkId fork, Root root,
           uint64_t commit_seq)
      : store_(store),
        id_(id),
        fork_(fork),
        root_(root),
        commit_seq_(commit_seq) {}

  Store* const store_;
  const uint64_t id_;
  const ForkId fork_;
  const Root root_;
  const uint64_t commit_seq_;
  bool released_ = false;
};

// A private shadow of one fork's committed root. Nothing it writes is visible
// elsewhere until Commit(); Abort() (or destruction) frees everything it
// allocated. Not thread-safe: one thread uses a transaction at a time.
class Transaction {
 public:
  ~Transaction();  // aborts if neither committed nor aborted
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // The page as this transaction sees it; NotFound if unmapped. The bytes stay
  // valid while the returned ref is held. For a page this transaction has
  // already written they are its live buffer: later writes in the transaction
  // show through, so copy what must outlive them (a before-image, say).
  // O(height).
  Result<BlockRef> ReadPage(PageNo page);
  // A writable view of the page, mapping a zero-filled page if it is unmapped.
  // Shadows the page and its path on first write. The pointer is valid until
  // the next call that writes or until Commit/Abort. O(height) plus one block
  // copy per shadow.
  Result<char*> MutablePage(PageNo page);
  // Overwrites the whole page with `bytes` (shorter input is zero-padded).
  Status WritePage(PageNo page, std::string_view bytes);
  // Unmaps the page; NotFound if it is not mapped.
  Status FreePage(PageNo page);
  // Whether the page is mapped; a read error or an ended transaction is an
  // error, not "unmapped".
  Result<bool> IsMapped(PageNo page);

  // Savepoints nest. Savepoint() marks the transaction's state, O(1): a block
  // the transaction wrote before it keeps its place and is written in place
  // after it, its bytes first saved once in the savepoint's undo log (one
  // block copy, no new block or path). RollbackTo-
  // Savepoint() returns to the innermost mark and removes it, restoring the
  // saved bytes and freeing every block allocated since (O(blocks the
  // transaction owns)); ReleaseSavepoint()
  // removes the innermost mark and keeps what was written since. Both return
  // InvalidArgument without a savepoint. The SQL layer makes each statement
  // atomic with them.
  Status Savepoint();
  Status RollbackToSavepoint();
  Status ReleaseSavepoint();
  size_t savepoint_depth() const { return savepoints_.size(); }

  // Publishes the new root atomically (open savepoints are released first). On
  // error nothing is visible and the transaction is aborted.
  // O(blocks written + fanout x shadowed nodes).
  Status Commit();
  void Abort();

  ForkId fork() const { return fork_; }
  const Root& root() const { return work_; }
  // Blocks this transaction allocated so far (shadows and new pages); 0 once
  // it has committed or aborted.
  size_t blocks_written() const { return owned_.size(); }

 private:
  friend class Store;
  Transaction(Store* store, ForkId fork, Root base)
      : store_(store), fork_(fork), committed_(base), work_(base) {}

  struct Path {
    BlockBuf* leaf;
    uint32_t slot;
  };
  Result<BlockRef> Lookup(PageNo page);
  Result<Path> ShadowPath(PageNo page);
  Result<BlockBuf*> Own(BlockId* slot, bool is_node);
  Status Grow(PageNo page);
  void ReleaseOwned();
  // The block if this transaction owns it (and may write it in place, its
  // before-image saved for the innermost savepoint); null otherwise.
  BlockBuf* Writable(BlockId id);
  BlockId AddOwned(std::shared_ptr<BlockBuf> block);
  // `id` has left the current tree: free it, or keep it for the savepoint that
  // can bring it back.
  void Supersede(BlockId id);
  void FreeOwned(const std::vector<BlockId>& ids);

  Store* const store_;
  const ForkId fork_;
  const Root committed_;
  Root work_;
  static constexpr uint64_t kNoImage = ~uint64_t{0};
  struct Owned {
    std::shared_ptr<BlockBuf> block;
    uint64_t gen;  // the savepoint generation that allocated it
    // The generation of the savepoint whose undo log holds this block's
    // bytes as they were at its mark; kNoImage if none does.
    uint64_t imaged = kNoImage;
  };
  struct SavepointState {
    Root work;     // the tree at the mark
    uint64_t gen;  // blocks with gen <= this existed at the mark
    std::vector<BlockId> superseded;  // such blocks that left the tree since
    // Before-images of such blocks, taken at their first write since the
    // mark, oldest first (an id may appear twice; the oldest image wins).
    std::vector<std::pair<BlockId, std::unique_ptr<char[]>>> undo;
  };
  std::unordered_map<BlockId, Owned> owned_;
  std::vector<SavepointState> savepoints_;
  // Saves the block's bytes in the innermost savepoint's undo log if it
  // existed at the mark and has no image there yet.
  void SaveImage(BlockId id, Owned* owned);
  uint64_t gen_ = 0;
  bool done_ = false;
};

struct StoreStats {
  uint64_t forks = 0;
  uint64_t snapshots = 0;
  uint64_t blocks_live = 0;  // blocks with a nonzero count
  uint64_t next_block_id = 0;
  uint64_t free_block_ids = 0;  // ids below next_block_id ready for reuse
};

class Store {
 public:
  // Opens a store on `backend`: formats an empty backend, validates an existing
  // one (InvalidArgument if it is not a forkdb store or its block size
  // differs).
  static Result<std::unique_ptr<Store>> Open(
      std::unique_ptr<BlockStore> backend);
  static Result<std::unique_ptr<Store>> OpenMemory(
      uint32_t block_size = kBlockSizeDefault);
  static Result<std::unique_ptr<Store>> OpenRocksDB(
      const std::string& path, const RocksDBOptions& options = {});
  ~Store();

  uint32_t block_size() const { return block_size_; }
  uint32_t fanout() const { return block_size_ / sizeof(BlockId); }
  BlockStore* backend() { return backend_.get(); }

  // Forks. Names are 1-64 characters of [A-Za-z0-9_.-], unique among live
  // forks. An empty fork with no parent.
  Result<ForkId> CreateRootFork(std::string_view name);
  // A new fork sharing `from`'s committed state. O(1) in database size.
  Result<ForkId> CreateFork(std::string_view name, std::string_view from,
                            bool read_only = false);
  // A new fork sharing the snapshot's state; its parent is the snapshot's fork.
  Result<ForkId> CreateForkFromSnapshot(std::string_view name,
                                        const Snapshot& snapshot,
                                        bool read_only = false);
  // Drops the fork: Busy while it has an open transaction. Children keep their
  // state. Frees exactly the blocks whose count reaches zero. O(blocks freed).
  Status DropFork(std::string_view name);
  Result<ForkInfo> GetFork(std::string_view name) const;
  Result<ForkInfo> GetFork(ForkId id) const;
  // The fork's commit count alone, without copying its description: NotFound
  // for a dropped fork. O(1); takes the store mutex briefly.
  Result<uint64_t> CommitSeq(ForkId id) const;
  std::vector<ForkInfo> ListForks() const;

  // Snapshots: O(1); the fork's committed state, or its base (the parent's
  // state at the fork point; NotFound for a fork with no base).
  Result<std::unique_ptr<Snapshot>> OpenSnapshot(std::string_view fork);
  Result<std::unique_ptr<Snapshot>> OpenBaseSnapshot(std::string_view fork);

  // One writer per fork: Busy if the fork has an open transaction;
  // InvalidArgument if the fork is read-only.
  Result<std::unique_ptr<Transaction>> Begin(std::string_view fork);

  // The logical pages whose block differs between two page maps (mapped in one
  // only, or mapped to different blocks), ascending. Skips every subtree whose
  // block id is the same on both sides: O(changed pages x height). Both roots
  // must be pinned (by a fork or snapshot) for the duration of the call.
  Result<std::vector<PageNo>> DiffPages(const Root& a, const Root& b);

  // What the fork owns and shares (SpaceUsage). Computed as a dry run of
  // DropFork, which reads only the fork's own blocks and stops at the top of
  // every shared subtree: O(own blocks), never O(database size) for a fork
  // that shares most of it. Cached until the next change of any count, so
  // asking again costs O(1) while nothing is written.
  Result<SpaceUsage> Space(std::string_view fork);

  // Integrity check: walks every root, recomputes every reference count,
  // verifies every reachable block's checksum, and compares with the stored
  // counts and blocks. Holds the store mutex: commits wait. O(database size).
  Result<CheckReport> Check();

  StoreStats Stats() const;

  // Test hook: Space() computed afresh, ignoring the cache.
  Result<SpaceUsage> TEST_SpaceByWalk(std::string_view fork);

  // Test hooks: change a block's count without a reference (to test the check).
  void TEST_AdjustCount(BlockId id, int64_t delta);
  BlockId TEST_AllocateBlockId();

 private:
  friend class Snapshot;
  friend class Transaction;
  struct Delta;
  struct ForkState {
    ForkInfo info;
    bool writer = false;
    // Space() as of apply_epoch_ == space_epoch: any count change may change
    // it, and every count change goes through ApplyLocked, which bumps the
    // epoch.
    std::optional<SpaceUsage> space;
    uint64_t space_epoch = 0;
  };

  explicit Store(std::unique_ptr<BlockStore> backend);
  Status Load();

  Result<ForkId> CreateForkLocked(std::string_view name, const Root& root,
                                  ForkId parent, uint64_t fork_point_seq,
                                  bool read_only, bool pin_base)
      FORKDB_REQUIRES(mu_);
  Result<ForkState*> FindLocked(std::string_view name) FORKDB_REQUIRES(mu_);
  Result<std::unique_ptr<Snapshot>> SnapshotLocked(ForkId fork,
                                                   const Root& root,
                                                   uint64_t seq)
      FORKDB_REQUIRES(mu_);
  Status ReleaseSnapshot(Snapshot* snapshot) FORKDB_EXCLUDES(mu_);

  Result<BlockRef> ReadPageAt(const Root& root, PageNo page);
  // A root from a record is usable: its height fits the page-number space and
  // its block is below `next_block`.
  bool ValidRoot(const Root& root, BlockId next_block) const;
  // Reads a block that a tree references: Corruption (not NotFound) if absent.
  Result<BlockRef> ReadReferenced(BlockId id);
  Status CommitTransaction(Transaction* txn) FORKDB_EXCLUDES(mu_);
  void EndTransaction(ForkId fork, const std::vector<BlockId>& unused_ids)
      FORKDB_EXCLUDES(mu_);
  BlockId AllocateBlockId() FORKDB_EXCLUDES(alloc_mu_);
  // Returns ids a transaction allocated and never committed.
  void ReturnBlockIds(const std::vector<BlockId>& ids) FORKDB_EXCLUDES(mu_);
  void FreeBlockIdsLocked(const std::vector<BlockId>& ids) FORKDB_REQUIRES(mu_);

  // Settles counts for dropping one reference to `block` at `level` (0: data
  // block).
  Status ReleaseLocked(Delta* delta, BlockId block, uint32_t level)
      FORKDB_REQUIRES(mu_);
  // Settles counts for dropping the fork's references (its root and base).
  Status ReleaseForkLocked(Delta* delta, const ForkInfo& info)
      FORKDB_REQUIRES(mu_);
  Status ReconcileLocked(Delta* delta, const Transaction& txn,
                         BlockId old_block, BlockId new_block, uint32_t level,
                         bool release_old) FORKDB_REQUIRES(mu_);
  // Writes the batch (with the delta's counts and `forks` records), then
  // applies it.
  Status ApplyLocked(Delta* delta, CommitBatch* batch, bool sync)
      FORKDB_REQUIRES(mu_);
  void PutForkRecordLocked(CommitBatch* batch, const ForkInfo& info)
      FORKDB_REQUIRES(mu_);
  void PutMetaLocked(CommitBatch* batch) FORKDB_REQUIRES(mu_);
  uint32_t CountLocked(BlockId id) const FORKDB_REQUIRES(mu_);
  Result<SpaceUsage> SpaceLocked(const ForkInfo& info) FORKDB_REQUIRES(mu_);

  std::unique_ptr<BlockStore> backend_;
  const uint32_t block_size_;
  const bool persistent_;

  mutable Mutex mu_;
  std::map<ForkId, ForkState> forks_ FORKDB_GUARDED_BY(mu_);
  std::map<std::string, ForkId, std::less<>> fork_names_ FORKDB_GUARDED_BY(mu_);
  std::map<uint64_t, Root> snapshots_
      FORKDB_GUARDED_BY(mu_);                            // live snapshot roots
  std::vector<uint32_t> counts_ FORKDB_GUARDED_BY(mu_);  // indexed by block id
  uint64_t live_blocks_ FORKDB_GUARDED_BY(mu_) = 0;
  uint64_t apply_epoch_ FORKDB_GUARDED_BY(mu_) = 0;  // batches applied
  // Block ids have their own lock, taken after mu_ when both are needed, so
  // that transactions allocating blocks never wait for another fork's commit
  // (which holds mu_ across its backend write).
  mutable Mutex alloc_mu_ FORKDB_ACQUIRED_AFTER(mu_);
  std::vector<BlockId> free_ids_ FORKDB_GUARDED_BY(alloc_mu_);
  BlockId next_block_id_ FORKDB_GUARDED_BY(alloc_mu_) = 1;
  ForkId next_fork_id_ FORKDB_GUARDED_BY(mu_) = 1;
  uint64_t next_snapshot_id_ FORKDB_GUARDED_BY(mu_) = 1;
  // Snapshot objects not yet released. A failed release leaves its root in
  // snapshots_ (counted, released at the next open), but its object may go.
  uint64_t snapshot_handles_ FORKDB_GUARDED_BY(mu_) = 0;
};

}  // namespace forkdb::cow

#endif  // FORKDB_COW_STORE_H_
