// B+tree: an ordered map of (key bytes -> value bytes) laid out in one fork's
// logical pages (DESIGN.md, "Tables"). Tables, secondary indexes and the
// catalog are all B+trees; keys are memcomparable (engine/key_codec.h), so the
// tree orders them with memcmp and never decodes them.
//
// A tree is named by its root page number, which never changes: a root split
// moves the old root's cells into two new pages and keeps the root page as the
// new top, and a root with one child takes over that child's contents. The
// caller stores the number once (in a meta page root slot, later the catalog).
//
// Every page the tree uses comes from a page allocator that lives in the same
// fork's pages (the meta page below plus a free list threaded through freed
// pages), so the allocator forks with the data and commits or aborts with it.
//
// Invariants (tests/engine/btree_test.cc names a test after each; CheckTree()
// verifies 1-6 and CheckPageSpace() verifies 7):
//   1. Within a node, keys are strictly increasing (memcmp, shorter first on a
//      common prefix); across the leaf chain too.
//   2. Separator i of an internal node bounds its children: every key in the
//      subtree left of it is < key_i, every key right of it is >= key_i.
//   3. All leaves are at level 0 and at the same depth; a node's level is one
//      more than its children's.
//   4. Every node but the root holds at least kMinFill of its usable bytes
//      (cells plus slots) after every operation; an internal non-root node
//      holds at least one separator. A root internal node holds at least one.
//   5. Leaves are linked left to right by their right-sibling field; the
//      last leaf's link is 0.
//   6. An overflow chain holds exactly the value's length and has exactly
//      ceil(length / overflow capacity) pages.
//   7. Every page below the meta page's next-page mark is exactly one of: the
//      meta page, a page of one tree, a page on the free list.
//
// Atomicity: a write changes several pages (a split writes three, a delete
// may free a chain). All of them go into the caller's cow::Transaction, and a
// failed call can leave the transaction's pages half-changed. The rule is the
// caller's: on any error from a write, abort the cow transaction (statement
// savepoints come later). The tree itself keeps no state between calls: a
// BTree is just (pages, root), and the allocator rereads the meta page on
// every call, so nothing in memory outlives a failed call.
//
// Node page format (leaf and internal), little-endian, P = page size:
//
//   offset  size  meaning
//   0       1     page type: 1 = leaf, 2 = internal
//   1       1     reserved, 0
//   2       2     level: 0 for a leaf, children's level + 1 for internal
//   4       2     cell count n
//   6       2     reserved, 0
//   8       4     cell start: cells fill [cell start, P) with no gaps
//   12      4     reserved, 0
//   16      8     leaf: right sibling page (0 = last leaf); internal: 0
//   24      8     internal: leftmost child page; leaf: 0
//   32      2n    slot array: cell offsets, in key order
//   ...           free space
//   cell start    cells, in any order
//
// Leaf cell:              key size (2), key, flags (1), value size (4), then
//                         the value (flags 0) or the first overflow page (8,
//                         flags 1; value size is then the total length).
// Internal cell:          key size (2), key, child page (8). The child holds
//                         the keys >= key up to the next separator.
//
// Overflow page format:
//
//   offset  size  meaning
//   0       1     page type: 3 = overflow
//   1       3     reserved, 0
//   4       4     bytes of the value in this page
//   8       8     next overflow page (0 = last)
//   16      ...   value bytes
//
// Meta page format (page kMetaPage; absent means a fresh fork):
//
//   offset  size  meaning
//   0       8     magic "FDBMETA1"
//   8       8     next page: the lowest page number never allocated
//   16      8     free list head (0 = empty)
//   24      8     free list length
//   32      8x16  root slots: a caller's tree roots (0 = none)
//
// Free page format:
//
//   offset  size  meaning
//   0       8     magic "FDBFREE1"
//   8       8     next free page (0 = last)
//
// Writes decode a node into memory, change it and encode it whole, so a node
// never has gaps between cells and a slot array in key order; reads search the
// decoded slot array by binary search.
#ifndef FORKDB_ENGINE_BTREE_H_
#define FORKDB_ENGINE_BTREE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cow/store.h"
#include "forkdb/status.h"

namespace forkdb::engine {

using cow::PageNo;

inline constexpr PageNo kMetaPage = 0;
inline constexpr int kMetaRootSlots = 16;
inline constexpr uint32_t kNodeHeaderSize = 32;
inline constexpr uint32_t kOverflowHeaderSize = 16;

// Limits for a page size P. Keys longer than MaxKeySize(P) are refused with
// InvalidArgument; values longer than MaxInlineValueSize(P) go to an overflow
// chain. Both keep the largest cell under half the usable page, so any split
// or rebalance of two pages leaves both halves fitting and at least kMinFill.
inline constexpr uint32_t UsableSize(uint32_t page_size) {
  return page_size - kNodeHeaderSize;
}
inline constexpr uint32_t MaxKeySize(uint32_t page_size) {
  return page_size / 8;
}
inline constexpr uint32_t MaxInlineValueSize(uint32_t page_size) {
  return UsableSize(page_size) / 4;
}
// A non-root node below this many bytes of cells and slots is merged with or
// rebalanced against a sibling.
inline constexpr uint32_t MinFill(uint32_t page_size) {
  return UsableSize(page_size) / 4;
}
inline constexpr uint64_t kMaxValueSize = uint64_t{0xffffffff};

// Read access to one fork's pages, from a snapshot or a transaction, so that
// one B+tree code path serves both. Not thread-safe.
class PageReader {
 public:
  virtual ~PageReader() = default;
  // The page's bytes; NotFound if unmapped.
  virtual Result<cow::BlockRef> ReadPage(PageNo page) = 0;
  virtual uint32_t page_size() const = 0;
};

// Read and write access plus the page allocator (meta page and free list).
class PageWriter : public PageReader {
 public:
  // Overwrites the whole page (shorter input is zero-padded).
  virtual Status WritePage(PageNo page, std::string_view bytes) = 0;
  // The page's bytes to change in place (a zero page if unmapped), valid
  // until the next write; for small edits that would not pay for a copy.
  virtual Result<char*> MutablePage(PageNo page) = 0;
  // A page for the caller to overwrite: the free list head, else the next
  // never-used page. O(1) page reads and writes.
  Result<PageNo> AllocatePage();
  // Puts the page at the head of the free list. REQUIRES: the page was
  // allocated and is no longer referenced. O(1).
  Status FreePage(PageNo page);
  // Root slots of the meta page, for callers that keep a few named trees.
  Status SetRootSlot(int slot, PageNo root);
};

// A snapshot's pages for one reader. A snapshot never changes, so the reader
// keeps the page-map nodes it walked and the B+tree internal nodes it read
// (a few per thousand pages): a point lookup then reads only its leaf from
// the backend. Not thread-safe.
class SnapshotPages final : public PageReader {
 public:
  static constexpr size_t kMaxCachedNodes = size_t{1} << 16;
  SnapshotPages(const cow::Snapshot* snapshot, uint32_t page_size)
      : snapshot_(snapshot), page_size_(page_size) {}
  Result<cow::BlockRef> ReadPage(PageNo page) override;
  uint32_t page_size() const override { return page_size_; }

 private:
  const cow::Snapshot* snapshot_;
  uint32_t page_size_;
  cow::PageMapCache map_cache_;
  std::unordered_map<PageNo, cow::BlockRef> internal_nodes_;
};

class TransactionPages final : public PageWriter {
 public:
  TransactionPages(cow::Transaction* txn, uint32_t page_size)
      : txn_(txn), page_size_(page_size) {}
  Result<cow::BlockRef> ReadPage(PageNo page) override {
    return txn_->ReadPage(page);
  }
  Status WritePage(PageNo page, std::string_view bytes) override {
    return txn_->WritePage(page, bytes);
  }
  Result<char*> MutablePage(PageNo page) override {
    return txn_->MutablePage(page);
  }
  uint32_t page_size() const override { return page_size_; }

 private:
  cow::Transaction* txn_;
  uint32_t page_size_;
};

// The meta page's state. A fork whose meta page is unmapped reads as
// {next_page = 1, no free pages, no roots}.
struct MetaState {
  PageNo next_page = kMetaPage + 1;
  PageNo free_head = 0;
  uint64_t free_count = 0;
  PageNo roots[kMetaRootSlots] = {};
};
Result<MetaState> ReadMeta(PageReader* pages);
// Root slot `slot` of the meta page (0 if unset). InvalidArgument for a slot
// outside [0, kMetaRootSlots).
Result<PageNo> GetRootSlot(PageReader* pages, int slot);

class BTreeCursor;

// A handle on one tree: (pages, root). Cheap to make; holds no other state.
// A handle made over a PageReader only reads; its writes return
// InvalidArgument. Costs are O(height) page reads plus O(page) work per level,
// plus O(value size / page) for an overflow value. Not thread-safe.
class BTree {
 public:
  BTree(PageReader* pages, PageNo root)
      : pages_(pages), writer_(nullptr), root_(root) {}
  BTree(PageWriter* pages, PageNo root)
      : pages_(pages), writer_(pages), root_(root) {}

  // Allocates an empty tree (one empty leaf) and returns its root page.
  static Result<PageNo> Create(PageWriter* pages);

  PageNo root() const { return root_; }

  // The value; NotFound if the key is absent; InvalidArgument for a key longer
  // than MaxKeySize(); Corruption for bad page bytes.
  Result<std::string> Get(std::string_view key) const;
  // Adds a new key. InvalidArgument "key exists" if present; InvalidArgument
  // for a key longer than MaxKeySize() or a value longer than kMaxValueSize.
  Status Insert(std::string_view key, std::string_view value);
  // Adds a new key and returns true, or returns false, writing nothing, if
  // the key is present: one descent where Get() then Insert() take two.
  Result<bool> InsertIfAbsent(std::string_view key, std::string_view value);
  // Inserts or overwrites. *replaced (if given) tells which.
  Status Put(std::string_view key, std::string_view value,
             bool* replaced = nullptr);
  // Overwrites an existing key; NotFound if absent.
  Status Update(std::string_view key, std::string_view value);
  // Removes the key (and frees its overflow chain); NotFound if absent.
  Status Delete(std::string_view key);
  // Frees every page of the tree, the root included. The handle is then
  // unusable.
  Status Drop();

  // A cursor over the tree. REQUIRES: the tree is not written while the cursor
  // is in use (a transaction's pages change under it; a snapshot's never do).
  std::unique_ptr<BTreeCursor> NewCursor() const;

 private:
  // kInsertIfAbsent: a present key is no error; *replaced says it was there.
  enum class PutMode { kInsert, kInsertIfAbsent, kUpdate, kUpsert };
  Status Write(std::string_view key, std::string_view value, PutMode mode,
               bool* replaced);
  // The write or delete done in place in its leaf if it needs no split,
  // merge or overflow chain change (true), else nothing done (false).
  Result<bool> WriteInPlace(std::string_view key, std::string_view value,
                            PutMode mode, bool* replaced);
  Result<bool> DeleteInPlace(std::string_view key);

  PageReader* pages_;
  PageWriter* writer_;
  PageNo root_;
};

// A position in a tree, for range scans in both directions. Seek() and the
// moves return Corruption for bad pages; reaching either end is not an error
// (Valid() turns false). Holds the pages on its path from the root.
class BTreeCursor {
 public:
  BTreeCursor(PageReader* pages, PageNo root);
  ~BTreeCursor();
  BTreeCursor(const BTreeCursor&) = delete;
  BTreeCursor& operator=(const BTreeCursor&) = delete;

  // Positions at the first key >= `key`.
  Status Seek(std::string_view key);
  // Seek() for a cursor whose tree has not changed since it was last
  // positioned: keeps the upper levels of its path that still lead to
  // `key`, so ascending seeks through one region read few pages again.
  Status SeekNear(std::string_view key);
  // Positions at the last key <= `key`.
  Status SeekForPrev(std::string_view key);
  Status SeekToFirst();
  Status SeekToLast();
  // REQUIRES: Valid().
  Status Next();
  Status Prev();
  bool Valid() const;
  // REQUIRES: Valid(). The view lives until the cursor moves.
  std::string_view key() const;
  // REQUIRES: Valid(). Reads an overflow chain if the value has one.
  Result<std::string> value() const;
  // The same into *out, reusing its buffer: for scans that read many values.
  Status ValueInto(std::string* out) const;

 private:
  struct Level;
  Status Descend(PageNo page, bool leftmost);
  // Keeps the first `keep` levels of the path (their chosen children must
  // lead to `key`) and descends from there.
  Status SeekImpl(std::string_view key, bool forward, size_t keep);
  Status SkipEmpty(bool forward);

  PageReader* pages_;
  PageNo root_;
  std::vector<Level> path_;  // root first; the leaf last
  bool valid_ = false;
};

struct TreeStats {
  uint32_t height = 0;  // levels: 1 for a lone leaf
  uint64_t keys = 0;
  uint64_t leaves = 0;
  uint64_t internal = 0;
  uint64_t overflow_pages = 0;
};

// Verifies invariants 1-6 of the tree at `root`, reading every page once.
// Returns Corruption naming the page and the broken rule. Appends every page
// the tree uses (nodes and overflow pages) to *pages_used if given. For
// `forkdb check` and tests. O(tree size).
Status CheckTree(PageReader* pages, PageNo root,
                 std::vector<PageNo>* pages_used = nullptr,
                 TreeStats* stats = nullptr);
// Verifies invariant 7 for a fork holding exactly the trees at `roots`: the
// free list is well formed and every page below next page is the meta page,
// in exactly one tree, or free; an orphan or a page used twice is Corruption
// naming it. O(fork size).
Status CheckPageSpace(PageReader* pages, const std::vector<PageNo>& roots);

// What one page holds, read without assuming its role: for reports that
// look at pages a page-map diff names (divergence). Node fields are set for
// kLeaf and kInternal; `first_key`/`last_key` are the smallest and largest
// cell keys (both empty for a node without cells); `overflows` lists
// each overflow chain a leaf's cells name (first page and value size).
// `next` is an overflow page's next page.
struct PageSummary {
  enum class Type {
    kUnmapped,
    kMeta,
    kLeaf,
    kInternal,
    kOverflow,
    kFree,
    kUnknown
  };
  Type type = Type::kUnknown;
  uint16_t level = 0;
  uint32_t count = 0;
  std::string first_key;
  std::string last_key;
  struct Chain {
    PageNo head = 0;
    uint64_t size = 0;
  };
  std::vector<Chain> overflows;
  PageNo next = 0;
};
// Corruption if a node's header or cells are malformed; a page of an
// unknown type is kUnknown. Reads a leaf's every cell only for `chains`
// (to fill `overflows`), else just the first and last. O(page).
Result<PageSummary> SummarizePage(PageReader* pages, PageNo page,
                                  bool chains = false);
// Whether the descent from `root` toward `key` meets `page` at `level`
// (a node is reached by any key of its range). O(height).
Result<bool> TreeReaches(PageReader* pages, PageNo root, std::string_view key,
                         uint16_t level, PageNo page);
// The pages of the overflow chain that starts at `first`, in order.
// Corruption if a page on it is not an overflow page or the chain loops.
// O(chain length).
Result<std::vector<PageNo>> OverflowChain(PageReader* pages, PageNo first);

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_BTREE_H_
