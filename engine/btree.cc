// B+tree over a fork's logical pages; the format and invariants are in
// btree.h.
#include "engine/btree.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <optional>
#include <unordered_set>
#include <utility>

namespace forkdb::engine {
namespace {

static_assert(std::endian::native == std::endian::little,
              "page formats are little-endian and read with memcpy");
static_assert(kNodeHeaderSize == 32, "the node header table in btree.h");
static_assert(kOverflowHeaderSize == 16, "the overflow table in btree.h");
static_assert(MaxKeySize(cow::kBlockSizeMin) >= 64);
// The largest leaf cell (and its slot) must stay under half the usable page
// so that a split or rebalance always leaves two halves that fit (btree.h).
static_assert(2 + MaxKeySize(cow::kBlockSizeMin) + 5 +
                  MaxInlineValueSize(cow::kBlockSizeMin) + 2 <=
              UsableSize(cow::kBlockSizeMin) / 2);
static_assert(2 + MaxKeySize(cow::kBlockSizeMax) + 5 +
                  MaxInlineValueSize(cow::kBlockSizeMax) + 2 <=
              UsableSize(cow::kBlockSizeMax) / 2);

constexpr uint8_t kTypeLeaf = 1;
constexpr uint8_t kTypeInternal = 2;
constexpr uint8_t kTypeOverflow = 3;
constexpr uint8_t kFlagOverflow = 1;
constexpr uint32_t kLeafTailFixed = 5;  // flags (1) + value size (4)
constexpr uint32_t kMaxHeight = 64;     // far above any real tree
constexpr char kMetaMagic[8] = {'F', 'D', 'B', 'M', 'E', 'T', 'A', '1'};
constexpr char kFreeMagic[8] = {'F', 'D', 'B', 'F', 'R', 'E', 'E', '1'};
constexpr uint32_t kMetaRootsOffset = 32;

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
template <typename T>
void Store(char* p, T v) {
  std::memcpy(p, &v, sizeof(v));
}
std::string Fixed64(uint64_t v) {
  std::string s(8, '\0');
  Store<uint64_t>(s.data(), v);
  return s;
}

// A cell as views: the key and what follows it (leaf: flags, value size and
// value or overflow page; internal: the child page).
struct Cell {
  std::string_view key;
  std::string_view tail;
  uint32_t size() const { return 2 + key.size() + tail.size(); }
};

// A decoded node. The views in `cells` point into `holders` (write paths copy
// the page, because a transaction's page changes in place when written) or
// into a BlockRef the reader keeps.
struct Node {
  PageNo page = 0;
  bool leaf = true;
  uint16_t level = 0;
  PageNo right = 0;
  PageNo child0 = 0;
  std::vector<Cell> cells;
  std::vector<std::shared_ptr<const std::string>> holders;

  // Bytes of cells and slots.
  uint32_t ByteSize() const {
    uint32_t total = 0;
    for (const Cell& c : cells) total += c.size() + 2;
    return total;
  }
  // Child slot c: 0 is the leftmost child, c > 0 the child of separator c-1.
  PageNo Child(size_t c) const {
    assert(!leaf);
    assert(c <= cells.size());
    return c == 0 ? child0 : Load<uint64_t>(cells[c - 1].tail.data());
  }
  std::string_view Own(std::string bytes) {
    auto held = std::make_shared<const std::string>(std::move(bytes));
    holders.push_back(held);
    return *held;
  }
  void Absorb(const Node& other) {
    holders.insert(holders.end(), other.holders.begin(), other.holders.end());
  }
  bool IsSorted() const {
    for (size_t i = 1; i < cells.size(); ++i) {
      if (cells[i - 1].key.compare(cells[i].key) >= 0) return false;
    }
    return true;
  }
};

// Index of the first cell whose key is >= key.
size_t LowerBound(const Node& node, std::string_view key) {
  size_t lo = 0, hi = node.cells.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (node.cells[mid].key.compare(key) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
// Index of the first cell whose key is > key: for an internal node, the child
// slot whose subtree holds `key` (invariant 2).
size_t UpperBound(const Node& node, std::string_view key) {
  size_t lo = 0, hi = node.cells.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (node.cells[mid].key.compare(key) <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

struct LeafValue {
  bool overflow = false;
  uint32_t size = 0;
  std::string_view bytes;  // inline value
  PageNo first = 0;        // overflow chain
};
LeafValue ParseLeafTail(std::string_view tail) {
  assert(tail.size() >= kLeafTailFixed);
  LeafValue v;
  v.overflow = (static_cast<uint8_t>(tail[0]) & kFlagOverflow) != 0;
  v.size = Load<uint32_t>(tail.data() + 1);
  if (v.overflow) {
    assert(tail.size() == kLeafTailFixed + 8);
    v.first = Load<uint64_t>(tail.data() + kLeafTailFixed);
  } else {
    v.bytes = tail.substr(kLeafTailFixed);
    assert(v.bytes.size() == v.size);
  }
  return v;
}
std::string MakeLeafTail(const LeafValue& v) {
  std::string tail(kLeafTailFixed, '\0');
  tail[0] = static_cast<char>(v.overflow ? kFlagOverflow : 0);
  Store<uint32_t>(tail.data() + 1, v.size);
  if (v.overflow) {
    tail += Fixed64(v.first);
  } else {
    tail.append(v.bytes);
  }
  return tail;
}

// A node page's header fields, checked (DecodeHeader).
struct NodeHeader {
  bool leaf = true;
  uint16_t level = 0;
  uint16_t count = 0;
  uint32_t cell_start = 0;
  PageNo right = 0;
  PageNo child0 = 0;
  // Bytes of cells and slots, given invariant 6's tiling of the cell area.
  uint32_t ByteSize(uint32_t page_size) const {
    return page_size - cell_start + 2u * count;
  }
};

Status DecodeHeader(const char* data, uint32_t page_size, PageNo page,
                    NodeHeader* h) {
  const uint8_t type = static_cast<uint8_t>(data[0]);
  if (type != kTypeLeaf && type != kTypeInternal) {
    return Status::Corruption("page ", page, ": type ", int{type},
                              " is not a B+tree node");
  }
  h->leaf = type == kTypeLeaf;
  h->level = Load<uint16_t>(data + 2);
  h->count = Load<uint16_t>(data + 4);
  h->cell_start = Load<uint32_t>(data + 8);
  h->right = Load<uint64_t>(data + 16);
  h->child0 = Load<uint64_t>(data + 24);
  if (h->leaf != (h->level == 0)) {
    return Status::Corruption("page ", page, ": level ", h->level,
                              " does not match the page type");
  }
  if (h->leaf ? h->child0 != 0 : (h->right != 0 || h->child0 == 0)) {
    return Status::Corruption("page ", page, ": bad sibling or child link");
  }
  if (kNodeHeaderSize + uint64_t{h->count} * 2 > h->cell_start ||
      h->cell_start > page_size) {
    return Status::Corruption("page ", page, ": ", h->count,
                              " cells do not fit before cell start ",
                              h->cell_start);
  }
  return Status();
}

// Cell i of a node whose header decoded as `h`, checked before use: its
// offset, key size and tail lie inside the page, and its flags and sizes are
// well formed. Corruption naming the page and cell otherwise.
Status DecodeCell(const char* data, uint32_t page_size, PageNo page,
                  const NodeHeader& h, uint32_t i, Cell* cell) {
  const uint32_t off = Load<uint16_t>(data + kNodeHeaderSize + 2 * i);
  if (off < h.cell_start || off + 2 > page_size) {
    return Status::Corruption("page ", page, ": cell ", i, " offset ", off,
                              " out of range");
  }
  const uint32_t key_size = Load<uint16_t>(data + off);
  const uint32_t end = off + 2 + key_size;
  if (key_size > MaxKeySize(page_size) || end > page_size) {
    return Status::Corruption("page ", page, ": cell ", i, " key size ",
                              key_size, " out of range");
  }
  cell->key = std::string_view(data + off + 2, key_size);
  uint32_t tail_size;
  if (h.leaf) {
    if (end + kLeafTailFixed > page_size) {
      return Status::Corruption("page ", page, ": cell ", i, " truncated");
    }
    const uint8_t flags = static_cast<uint8_t>(data[end]);
    const uint32_t value_size = Load<uint32_t>(data + end + 1);
    const uint32_t max_inline = MaxInlineValueSize(page_size);
    if (flags == kFlagOverflow) {
      if (value_size <= max_inline) {
        return Status::Corruption("page ", page, ": cell ", i,
                                  " overflows a value of only ", value_size,
                                  " bytes");
      }
      tail_size = kLeafTailFixed + 8;
    } else if (flags == 0) {
      if (value_size > max_inline) {
        return Status::Corruption("page ", page, ": cell ", i,
                                  " inline value of ", value_size,
                                  " bytes exceeds ", max_inline);
      }
      tail_size = kLeafTailFixed + value_size;
    } else {
      return Status::Corruption("page ", page, ": cell ", i, " flags ",
                                int{flags});
    }
  } else {
    tail_size = 8;
  }
  if (end + uint64_t{tail_size} > page_size) {
    return Status::Corruption("page ", page, ": cell ", i, " truncated");
  }
  cell->tail = std::string_view(data + end, tail_size);
  if (!h.leaf && Load<uint64_t>(cell->tail.data()) == 0) {
    return Status::Corruption("page ", page, ": cell ", i, " child 0");
  }
  return Status();
}

// Decodes a node page, trusting no byte: every length and offset is checked
// before use, so bad bytes give Corruption, never a read outside the page.
// `strict` (for the checker) also proves the cells tile [cell start, P).
Status DecodeNode(const char* data, uint32_t page_size, PageNo page,
                  bool strict, Node* out) {
  NodeHeader h;
  FORKDB_RETURN_IF_ERROR(DecodeHeader(data, page_size, page, &h));
  out->page = page;
  out->leaf = h.leaf;
  out->level = h.level;
  out->right = h.right;
  out->child0 = h.child0;
  out->cells.clear();
  out->cells.reserve(h.count);
  uint64_t total = 0;
  for (uint32_t i = 0; i < h.count; ++i) {
    Cell cell;
    FORKDB_RETURN_IF_ERROR(DecodeCell(data, page_size, page, h, i, &cell));
    total += cell.size();
    out->cells.push_back(cell);
  }
  if (strict) {
    // Cells must tile [cell_start, P): no overlap, no gap.
    std::vector<std::pair<uint32_t, uint32_t>> spans;
    for (const Cell& c : out->cells) {
      const uint32_t off = static_cast<uint32_t>(c.key.data() - 2 - data);
      spans.emplace_back(off, off + c.size());
    }
    std::sort(spans.begin(), spans.end());
    uint32_t at = h.cell_start;
    for (const auto& [begin, end] : spans) {
      if (begin != at) {
        return Status::Corruption("page ", page, ": cells overlap or leave a ",
                                  "gap at offset ", at);
      }
      at = end;
    }
    if (at != page_size || total != page_size - h.cell_start) {
      return Status::Corruption("page ", page,
                                ": cells do not fill the cell area");
    }
  }
  return Status();
}

// One node page searched in place: the header is checked once and only the
// O(log n) cells a binary search touches are decoded (and checked), where
// DecodeNode decodes them all. Point lookups and in-place leaf writes use it.
struct NodeView {
  const char* data = nullptr;
  uint32_t page_size = 0;
  PageNo page = 0;
  NodeHeader h;

  Status Open(const char* bytes, uint32_t size, PageNo page_no) {
    data = bytes;
    page_size = size;
    page = page_no;
    return DecodeHeader(data, page_size, page, &h);
  }
  Status CellAt(uint32_t i, Cell* cell) const {
    assert(i < h.count);
    return DecodeCell(data, page_size, page, h, i, cell);
  }
  // The first cell whose key is >= key (upper: > key).
  Status Search(std::string_view key, bool upper, uint32_t* index) const {
    uint32_t lo = 0, hi = h.count;
    while (lo < hi) {
      const uint32_t mid = (lo + hi) / 2;
      Cell cell;
      FORKDB_RETURN_IF_ERROR(CellAt(mid, &cell));
      const int cmp = cell.key.compare(key);
      if (upper ? cmp <= 0 : cmp < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    *index = lo;
    return Status();
  }
  // Internal node: the page of child slot c (0 = leftmost).
  Result<PageNo> Child(uint32_t c) const {
    assert(!h.leaf && c <= h.count);
    if (c == 0) return h.child0;
    Cell cell;
    FORKDB_RETURN_IF_ERROR(CellAt(c - 1, &cell));
    return Load<uint64_t>(cell.tail.data());
  }
};

std::string EncodeNode(const Node& node, uint32_t page_size) {
  assert(node.ByteSize() <= UsableSize(page_size));
  assert(node.IsSorted());
  std::string page(page_size, '\0');
  char* p = page.data();
  p[0] = static_cast<char>(node.leaf ? kTypeLeaf : kTypeInternal);
  Store<uint16_t>(p + 2, node.level);
  Store<uint16_t>(p + 4, static_cast<uint16_t>(node.cells.size()));
  Store<uint64_t>(p + 16, node.leaf ? node.right : 0);
  Store<uint64_t>(p + 24, node.leaf ? 0 : node.child0);
  uint32_t end = page_size;
  for (size_t i = 0; i < node.cells.size(); ++i) {
    const Cell& c = node.cells[i];
    end -= c.size();
    Store<uint16_t>(p + end, static_cast<uint16_t>(c.key.size()));
    std::memcpy(p + end + 2, c.key.data(), c.key.size());
    std::memcpy(p + end + 2 + c.key.size(), c.tail.data(), c.tail.size());
    Store<uint16_t>(p + kNodeHeaderSize + 2 * i, static_cast<uint16_t>(end));
  }
  Store<uint32_t>(p + 8, end);
  assert(end >= kNodeHeaderSize + 2 * node.cells.size());
  return page;
}

Status CheckPageSize(const cow::BlockRef& block, uint32_t page_size,
                     PageNo page) {
  if (block->size() != page_size) {
    return Status::Corruption("page ", page, ": ", block->size(),
                              " bytes, expected ", page_size);
  }
  return Status();
}

// Reads a node for writing: a private copy of the page, so later writes to
// the same page cannot change the views.
Status LoadNode(PageReader* pages, PageNo page, Node* out) {
  FORKDB_ASSIGN_OR_RETURN(cow::BlockRef block, pages->ReadPage(page));
  FORKDB_RETURN_IF_ERROR(CheckPageSize(block, pages->page_size(), page));
  auto copy = std::make_shared<const std::string>(block->data(), block->size());
  out->holders.assign(1, copy);
  return DecodeNode(copy->data(), pages->page_size(), page, false, out);
}

// Where a key is or would go: the leaf page read in place, the first cell
// >= key there, and whether that cell holds the key.
struct LeafPosition {
  cow::BlockRef block;  // keeps `view` and `cell` alive
  NodeView view;
  uint32_t index = 0;
  bool found = false;
  Cell cell;  // cell `index` when found
};

// Descends from `root` to the leaf for `key`, reading O(log n) cells per
// level in place. O(height x log cells).
Status FindLeaf(PageReader* pages, PageNo root, std::string_view key,
                LeafPosition* pos) {
  PageNo page = root;
  int above = -1;  // the level of the node above
  for (uint32_t depth = 0;; ++depth) {
    if (depth >= kMaxHeight)
      return Status::Corruption("tree at page ", root, ": deeper than ",
                                kMaxHeight, " levels");
    FORKDB_ASSIGN_OR_RETURN(pos->block, pages->ReadPage(page));
    FORKDB_RETURN_IF_ERROR(CheckPageSize(pos->block, pages->page_size(), page));
    FORKDB_RETURN_IF_ERROR(
        pos->view.Open(pos->block->data(), pages->page_size(), page));
    const NodeHeader& h = pos->view.h;
    if (above >= 0 && h.level + 1 != above) {
      return Status::Corruption("page ", page, ": level ", h.level,
                                " under level ", above);
    }
    above = h.level;
    if (h.leaf) {
      FORKDB_RETURN_IF_ERROR(pos->view.Search(key, false, &pos->index));
      pos->found = false;
      if (pos->index < h.count) {
        FORKDB_RETURN_IF_ERROR(pos->view.CellAt(pos->index, &pos->cell));
        pos->found = pos->cell.key == key;
      }
      return Status();
    }
    uint32_t c;
    FORKDB_RETURN_IF_ERROR(pos->view.Search(key, true, &c));
    FORKDB_ASSIGN_OR_RETURN(page, pos->view.Child(c));
  }
}

Status StoreNode(PageWriter* pages, const Node& node) {
  assert(node.page != kMetaPage);
  assert(node.leaf == (node.level == 0));
  return pages->WritePage(node.page, EncodeNode(node, pages->page_size()));
}

uint32_t OverflowCapacity(uint32_t page_size) {
  return page_size - kOverflowHeaderSize;
}

Result<PageNo> WriteOverflow(PageWriter* pages, std::string_view value) {
  const uint32_t cap = OverflowCapacity(pages->page_size());
  const size_t count = (value.size() + cap - 1) / cap;
  assert(count >= 1);
  std::vector<PageNo> chain;
  chain.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    FORKDB_ASSIGN_OR_RETURN(PageNo page, pages->AllocatePage());
    chain.push_back(page);
  }
  std::string buf(pages->page_size(), '\0');
  for (size_t i = 0; i < count; ++i) {
    const std::string_view part = value.substr(i * cap, cap);
    std::fill(buf.begin(), buf.end(), '\0');
    buf[0] = static_cast<char>(kTypeOverflow);
    Store<uint32_t>(buf.data() + 4, static_cast<uint32_t>(part.size()));
    Store<uint64_t>(buf.data() + 8, i + 1 < count ? chain[i + 1] : 0);
    std::memcpy(buf.data() + kOverflowHeaderSize, part.data(), part.size());
    FORKDB_RETURN_IF_ERROR(pages->WritePage(chain[i], buf));
  }
  assert(chain.size() == count);
  return chain.front();
}

// Walks an overflow chain of a `size`-byte value, checking invariant 6. Calls
// visit(page, bytes) for each page in order.
template <typename Visit>
Status WalkOverflow(PageReader* pages, PageNo first, uint64_t size,
                    Visit visit) {
  const uint32_t cap = OverflowCapacity(pages->page_size());
  const uint64_t count = (size + cap - 1) / cap;
  PageNo page = first;
  uint64_t seen = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (page == 0 || page == kMetaPage) {
      return Status::Corruption("overflow chain at page ", first,
                                " ends after ", i, " of ", count, " pages");
    }
    FORKDB_ASSIGN_OR_RETURN(cow::BlockRef block, pages->ReadPage(page));
    FORKDB_RETURN_IF_ERROR(CheckPageSize(block, pages->page_size(), page));
    const char* p = block->data();
    const uint32_t used = Load<uint32_t>(p + 4);
    const uint64_t want = i + 1 < count ? cap : size - seen;
    if (static_cast<uint8_t>(p[0]) != kTypeOverflow || used != want) {
      return Status::Corruption("overflow page ", page, " (chain at ", first,
                                "): holds ", used, " bytes, expected ", want);
    }
    const PageNo next = Load<uint64_t>(p + 8);
    if ((i + 1 == count) != (next == 0)) {
      return Status::Corruption("overflow page ", page, " (chain at ", first,
                                "): chain length differs from ", count,
                                " pages");
    }
    FORKDB_RETURN_IF_ERROR(
        visit(page, std::string_view(p + kOverflowHeaderSize, used)));
    seen += used;
    page = next;
  }
  assert(seen == size);
  return Status();
}

Status ReadValue(PageReader* pages, std::string_view tail, std::string* out) {
  const LeafValue v = ParseLeafTail(tail);
  if (!v.overflow) {
    out->assign(v.bytes);
    return Status();
  }
  out->clear();
  out->reserve(v.size);
  FORKDB_RETURN_IF_ERROR(WalkOverflow(pages, v.first, v.size,
                                      [out](PageNo, std::string_view bytes) {
                                        out->append(bytes);
                                        return Status();
                                      }));
  assert(out->size() == v.size);
  return Status();
}

Status FreeValue(PageWriter* pages, std::string_view tail) {
  const LeafValue v = ParseLeafTail(tail);
  if (!v.overflow) return Status();
  std::vector<PageNo> chain;
  FORKDB_RETURN_IF_ERROR(
      WalkOverflow(pages, v.first, v.size, [&chain](PageNo page, auto) {
        chain.push_back(page);
        return Status();
      }));
  for (PageNo page : chain) FORKDB_RETURN_IF_ERROR(pages->FreePage(page));
  return Status();
}

// The split point of `cells`: without promotion, left = [0, k) and right =
// [k, n); with promotion, cells[k] moves up and right = [k + 1, n). Chooses
// the k that minimizes the larger half, which keeps both halves at least
// (total - largest cell) / 2. A node on the tree's right edge (`append`)
// is split as far right as keeps the right half at least `min_right` bytes
// and the left within `usable`: keys that only grow (a binlog's seqs, an
// auto-numbered key) then fill their pages about 3/4 rather than 1/2.
size_t ChooseSplit(const std::vector<Cell>& cells, bool promote, bool append,
                   uint64_t min_right, uint64_t usable) {
  assert(cells.size() >= (promote ? 3u : 2u));
  uint64_t total = 0;
  for (const Cell& c : cells) total += c.size() + 2;
  if (append) {
    uint64_t right = 0;
    for (size_t k = cells.size() - 1; k >= 1; --k) {
      // right = cells [k + promote, n); left = [0, k)
      right += cells[k].size() + 2;
      const uint64_t promoted = promote ? cells[k].size() + 2 : 0;
      const uint64_t right_bytes = right - promoted;
      const uint64_t left_bytes = total - right;
      if (k + (promote ? 1 : 0) < cells.size() && right_bytes >= min_right &&
          left_bytes <= usable)
        return k;
      if (left_bytes < usable / 2) break;  // no better than balanced
    }
  }
  size_t best = 1;
  uint64_t best_max = UINT64_MAX;
  uint64_t left = 0;
  for (size_t k = 1; k + (promote ? 1 : 0) < cells.size(); ++k) {
    left += cells[k - 1].size() + 2;
    const uint64_t right = total - left - (promote ? cells[k].size() + 2 : 0);
    const uint64_t worst = std::max(left, right);
    if (worst < best_max) {
      best_max = worst;
      best = k;
    }
  }
  assert(best >= 1 && best < cells.size());
  return best;
}

Status MetaCorruption(const char* what) {
  return Status::Corruption("meta page ", kMetaPage, ": ", what);
}

std::string EncodeMeta(const MetaState& meta, uint32_t page_size) {
  std::string page(page_size, '\0');
  std::memcpy(page.data(), kMetaMagic, 8);
  Store<uint64_t>(page.data() + 8, meta.next_page);
  Store<uint64_t>(page.data() + 16, meta.free_head);
  Store<uint64_t>(page.data() + 24, meta.free_count);
  for (int i = 0; i < kMetaRootSlots; ++i)
    Store<uint64_t>(page.data() + kMetaRootsOffset + 8 * i, meta.roots[i]);
  return page;
}

Status WriteMeta(PageWriter* pages, const MetaState& meta) {
  assert(meta.next_page > kMetaPage);
  assert(meta.free_head < meta.next_page);
  return pages->WritePage(kMetaPage, EncodeMeta(meta, pages->page_size()));
}

}  // namespace

// ---------------------------------------------------------------------------
// Page allocator.

Result<MetaState> ReadMeta(PageReader* pages) {
  MetaState meta;
  Result<cow::BlockRef> block = pages->ReadPage(kMetaPage);
  if (block.status().IsNotFound()) return meta;  // a fresh fork
  if (!block.ok()) return block.status();
  FORKDB_RETURN_IF_ERROR(CheckPageSize(*block, pages->page_size(), kMetaPage));
  const char* p = (*block)->data();
  if (std::memcmp(p, kMetaMagic, 8) != 0) return MetaCorruption("bad magic");
  meta.next_page = Load<uint64_t>(p + 8);
  meta.free_head = Load<uint64_t>(p + 16);
  meta.free_count = Load<uint64_t>(p + 24);
  if (meta.next_page <= kMetaPage || meta.next_page > cow::kPageNoMax + 1)
    return MetaCorruption("next page out of range");
  if (meta.free_head >= meta.next_page || meta.free_count >= meta.next_page ||
      (meta.free_head == 0) != (meta.free_count == 0)) {
    return MetaCorruption("free list head or length out of range");
  }
  for (int i = 0; i < kMetaRootSlots; ++i) {
    meta.roots[i] = Load<uint64_t>(p + kMetaRootsOffset + 8 * i);
    if (meta.roots[i] >= meta.next_page)
      return MetaCorruption("root slot beyond the next page");
  }
  return meta;
}

Result<PageNo> GetRootSlot(PageReader* pages, int slot) {
  if (slot < 0 || slot >= kMetaRootSlots)
    return Status::InvalidArgument("root slot ", slot, " out of range");
  FORKDB_ASSIGN_OR_RETURN(MetaState meta, ReadMeta(pages));
  return meta.roots[slot];
}

Status PageWriter::SetRootSlot(int slot, PageNo root) {
  if (slot < 0 || slot >= kMetaRootSlots)
    return Status::InvalidArgument("root slot ", slot, " out of range");
  FORKDB_ASSIGN_OR_RETURN(MetaState meta, ReadMeta(this));
  if (root >= meta.next_page)
    return Status::InvalidArgument("root ", root, " was never allocated");
  meta.roots[slot] = root;
  return WriteMeta(this, meta);
}

Result<cow::BlockRef> SnapshotPages::ReadPage(PageNo page) {
  if (auto it = internal_nodes_.find(page); it != internal_nodes_.end())
    return it->second;
  FORKDB_ASSIGN_OR_RETURN(cow::BlockRef block,
                          snapshot_->ReadPage(page, &map_cache_));
  if (block->size() > 0 &&
      static_cast<uint8_t>(block->data()[0]) == kTypeInternal &&
      internal_nodes_.size() < kMaxCachedNodes) {
    internal_nodes_.emplace(page, block);
  }
  return block;
}

Result<PageNo> PageWriter::AllocatePage() {
  FORKDB_ASSIGN_OR_RETURN(MetaState meta, ReadMeta(this));
  PageNo page;
  if (meta.free_head != 0) {
    page = meta.free_head;
    FORKDB_ASSIGN_OR_RETURN(cow::BlockRef block, ReadPage(page));
    FORKDB_RETURN_IF_ERROR(CheckPageSize(block, page_size(), page));
    if (std::memcmp(block->data(), kFreeMagic, 8) != 0)
      return Status::Corruption("free page ", page, ": bad magic");
    const PageNo next = Load<uint64_t>(block->data() + 8);
    if (next != 0 && next >= meta.next_page)
      return Status::Corruption("free page ", page, ": next ", next);
    if ((next == 0) != (meta.free_count == 1))
      return Status::Corruption("free page ", page, ": free list length ",
                                meta.free_count, " disagrees with the chain");
    meta.free_head = next;
    --meta.free_count;
  } else {
    if (meta.next_page > cow::kPageNoMax)
      return Status::InvalidArgument("fork has no page numbers left");
    page = meta.next_page++;
  }
  assert(page != kMetaPage);
  FORKDB_RETURN_IF_ERROR(WriteMeta(this, meta));
  return page;
}

Status PageWriter::FreePage(PageNo page) {
  FORKDB_ASSIGN_OR_RETURN(MetaState meta, ReadMeta(this));
  assert(page != kMetaPage);
  assert(page < meta.next_page);
  if (page == kMetaPage || page >= meta.next_page)
    return Status::InvalidArgument("page ", page, " was never allocated");
  std::string bytes(page_size(), '\0');
  std::memcpy(bytes.data(), kFreeMagic, 8);
  Store<uint64_t>(bytes.data() + 8, meta.free_head);
  FORKDB_RETURN_IF_ERROR(WritePage(page, bytes));
  meta.free_head = page;
  ++meta.free_count;
  return WriteMeta(this, meta);
}

// ---------------------------------------------------------------------------
// Writes.

Result<PageNo> BTree::Create(PageWriter* pages) {
  FORKDB_ASSIGN_OR_RETURN(PageNo root, pages->AllocatePage());
  Node node;
  node.page = root;
  FORKDB_RETURN_IF_ERROR(StoreNode(pages, node));
  return root;
}

namespace {

// Rebuilds the tree along `path` (root first) after its last node changed:
// splits an overfull node, merges or rebalances an underfull non-root node
// with a sibling, and walks up while a parent changed. Writes every node it
// finishes; stops at the first node that needs nothing of its parent.
// `slots[d]` is path[d]'s child slot in path[d - 1].
Status FixUp(PageWriter* pages, std::vector<Node>& path,
             const std::vector<size_t>& slots) {
  const uint32_t page_size = pages->page_size();
  const uint32_t usable = UsableSize(page_size);
  // Nodes on the tree's right edge: the last child of every ancestor.
  std::vector<bool> right_edge(path.size(), true);
  for (size_t d = 1; d < path.size(); ++d)
    right_edge[d] = right_edge[d - 1] && slots[d] == path[d - 1].cells.size();
  for (size_t d = path.size(); d-- > 0;) {
    Node& node = path[d];
    if (node.ByteSize() > usable) {
      if (d == 0) {
        // Root split: both halves move to new pages and the root page becomes
        // their parent, so the root page number never changes.
        FORKDB_ASSIGN_OR_RETURN(PageNo left_page, pages->AllocatePage());
        FORKDB_ASSIGN_OR_RETURN(PageNo right_page, pages->AllocatePage());
        Node left, right;
        left.leaf = right.leaf = node.leaf;
        left.level = right.level = node.level;
        left.page = left_page;
        right.page = right_page;
        left.holders = right.holders = node.holders;
        std::string_view sep;
        const size_t k = ChooseSplit(node.cells, !node.leaf, right_edge[d],
                                     MinFill(page_size), usable);
        left.cells.assign(node.cells.begin(), node.cells.begin() + k);
        if (node.leaf) {
          right.cells.assign(node.cells.begin() + k, node.cells.end());
          left.right = right_page;
          right.right = node.right;
          sep = right.cells.front().key;
        } else {
          left.child0 = node.child0;
          right.child0 = Load<uint64_t>(node.cells[k].tail.data());
          right.cells.assign(node.cells.begin() + k + 1, node.cells.end());
          sep = node.cells[k].key;
        }
        FORKDB_RETURN_IF_ERROR(StoreNode(pages, left));
        FORKDB_RETURN_IF_ERROR(StoreNode(pages, right));
        Node top;
        top.page = node.page;
        top.leaf = false;
        top.level = node.level + 1;
        top.child0 = left_page;
        top.cells.push_back(
            {top.Own(std::string(sep)), top.Own(Fixed64(right_page))});
        assert(top.ByteSize() <= usable);
        return StoreNode(pages, top);
      }
      Node& parent = path[d - 1];
      FORKDB_ASSIGN_OR_RETURN(PageNo right_page, pages->AllocatePage());
      Node right;
      right.page = right_page;
      right.leaf = node.leaf;
      right.level = node.level;
      right.holders = node.holders;
      const size_t k = ChooseSplit(node.cells, !node.leaf, right_edge[d],
                                   MinFill(page_size), usable);
      std::string sep;
      if (node.leaf) {
        right.cells.assign(node.cells.begin() + k, node.cells.end());
        right.right = node.right;
        node.right = right_page;
        sep = std::string(right.cells.front().key);
      } else {
        right.child0 = Load<uint64_t>(node.cells[k].tail.data());
        right.cells.assign(node.cells.begin() + k + 1, node.cells.end());
        sep = std::string(node.cells[k].key);
      }
      node.cells.resize(k);
      FORKDB_RETURN_IF_ERROR(StoreNode(pages, node));
      FORKDB_RETURN_IF_ERROR(StoreNode(pages, right));
      const size_t at = slots[d];
      parent.cells.insert(
          parent.cells.begin() + at,
          Cell{parent.Own(std::move(sep)), parent.Own(Fixed64(right_page))});
      continue;
    }
    if (d > 0 && node.ByteSize() < MinFill(page_size)) {
      Node& parent = path[d - 1];
      if (parent.cells.empty()) {
        return Status::Corruption("page ", parent.page,
                                  ": internal node without separators");
      }
      const size_t c = slots[d];
      const size_t li = c > 0 ? c - 1 : 0;  // left child slot of the pair
      Node sibling;
      FORKDB_RETURN_IF_ERROR(
          LoadNode(pages, parent.Child(c > 0 ? c - 1 : 1), &sibling));
      if (sibling.level != node.level) {
        return Status::Corruption("page ", sibling.page, ": level ",
                                  sibling.level, ", expected ", node.level);
      }
      Node& left = c > 0 ? sibling : node;
      Node& right = c > 0 ? node : sibling;
      const std::string_view sep = parent.cells[li].key;
      std::vector<Cell> all = left.cells;
      uint32_t total = left.ByteSize() + right.ByteSize();
      if (!node.leaf) {
        const Cell down{left.Own(std::string(sep)),
                        left.Own(Fixed64(right.child0))};
        all.push_back(down);
        total += down.size() + 2;
      }
      all.insert(all.end(), right.cells.begin(), right.cells.end());
      left.Absorb(right);
      if (total <= usable) {
        // Merge into the left page; the right page goes back to the free list.
        left.cells = std::move(all);
        if (node.leaf) left.right = right.right;
        FORKDB_RETURN_IF_ERROR(StoreNode(pages, left));
        FORKDB_RETURN_IF_ERROR(pages->FreePage(right.page));
        parent.cells.erase(parent.cells.begin() + li);
        continue;
      }
      // Rebalance: share the cells evenly; the parent's separator changes
      // (and may grow, so the parent may now need a split).
      right.holders = left.holders;
      const size_t k = ChooseSplit(all, !node.leaf, false, 0, usable);
      std::string new_sep;
      if (node.leaf) {
        right.cells.assign(all.begin() + k, all.end());
        new_sep = std::string(all[k].key);
      } else {
        right.child0 = Load<uint64_t>(all[k].tail.data());
        right.cells.assign(all.begin() + k + 1, all.end());
        new_sep = std::string(all[k].key);
      }
      all.resize(k);
      left.cells = std::move(all);
      FORKDB_RETURN_IF_ERROR(StoreNode(pages, left));
      FORKDB_RETURN_IF_ERROR(StoreNode(pages, right));
      parent.cells[li].key = parent.Own(std::move(new_sep));
      continue;
    }
    if (d == 0) {
      // Shrink: a root internal node with one child takes over its contents.
      while (!node.leaf && node.cells.empty()) {
        const PageNo root = node.page;
        const PageNo child = node.child0;
        Node taken;
        FORKDB_RETURN_IF_ERROR(LoadNode(pages, child, &taken));
        if (taken.level + 1 != node.level) {
          return Status::Corruption("page ", child, ": level ", taken.level,
                                    ", expected ", node.level - 1);
        }
        FORKDB_RETURN_IF_ERROR(pages->FreePage(child));
        node = std::move(taken);
        node.page = root;
      }
    }
    return StoreNode(pages, node);
  }
  return Status();
}

// Descends to the leaf that holds `key`, filling `path` (root first, copies)
// and `slots`.
Status DescendForWrite(PageWriter* pages, PageNo root, std::string_view key,
                       std::vector<Node>* path, std::vector<size_t>* slots) {
  PageNo page = root;
  slots->push_back(0);
  while (true) {
    if (path->size() > kMaxHeight)
      return Status::Corruption("tree at page ", root, ": deeper than ",
                                kMaxHeight, " levels");
    path->emplace_back();
    FORKDB_RETURN_IF_ERROR(LoadNode(pages, page, &path->back()));
    const Node& node = path->back();
    if (path->size() > 1 && node.level + 1 != (*path)[path->size() - 2].level) {
      return Status::Corruption("page ", page, ": level ", node.level,
                                " under level ",
                                (*path)[path->size() - 2].level);
    }
    if (node.leaf) break;
    const size_t c = UpperBound(node, key);
    slots->push_back(c);
    page = node.Child(c);
  }
  assert(path->size() == slots->size());
  assert(path->back().leaf);
  return Status();
}

Status CheckKey(std::string_view key, uint32_t page_size) {
  if (key.size() > MaxKeySize(page_size)) {
    return Status::InvalidArgument("key of ", key.size(),
                                   " bytes exceeds the maximum of ",
                                   MaxKeySize(page_size), " bytes");
  }
  return Status();
}

}  // namespace

namespace {

// In-place leaf edits, for the common write that neither splits nor merges:
// the leaf page is changed where it lies (Transaction::MutablePage), where
// the general path decodes every node on the path and re-encodes the leaf.
// Both keep the cells tiling [cell start, P) with no gap (invariant 6), so a
// node's bytes are always ByteSize() of its header.

// Removes the cell at `off` of `size` bytes from the cell area: the cells
// below it move up, and the slots that pointed at them follow.
void RemoveCellBytes(char* p, NodeHeader* h, uint32_t off, uint32_t size) {
  std::memmove(p + h->cell_start + size, p + h->cell_start,
               off - h->cell_start);
  for (uint32_t j = 0; j < h->count; ++j) {
    char* slot = p + kNodeHeaderSize + 2 * j;
    const uint16_t at = Load<uint16_t>(slot);
    if (at < off) Store<uint16_t>(slot, static_cast<uint16_t>(at + size));
  }
  h->cell_start += size;
}

// Writes a leaf cell at the bottom of the cell area and returns its offset.
uint32_t AddLeafCell(char* p, NodeHeader* h, std::string_view key,
                     std::string_view value) {
  const uint32_t size = 2 + static_cast<uint32_t>(key.size()) + kLeafTailFixed +
                        static_cast<uint32_t>(value.size());
  h->cell_start -= size;
  char* c = p + h->cell_start;
  Store<uint16_t>(c, static_cast<uint16_t>(key.size()));
  std::memcpy(c + 2, key.data(), key.size());
  c += 2 + key.size();
  c[0] = 0;  // inline
  Store<uint32_t>(c + 1, static_cast<uint32_t>(value.size()));
  std::memcpy(c + kLeafTailFixed, value.data(), value.size());
  return h->cell_start;
}

void StoreHeaderCounts(char* p, const NodeHeader& h) {
  Store<uint16_t>(p + 4, h.count);
  Store<uint32_t>(p + 8, h.cell_start);
}

// The slot array's bytes [i, count) move one slot right (insert) or the
// bytes [i + 1, count) one slot left (erase).
void OpenSlot(char* p, uint32_t i, uint32_t count) {
  char* at = p + kNodeHeaderSize + 2 * i;
  std::memmove(at + 2, at, 2 * (count - i));
}
void CloseSlot(char* p, uint32_t i, uint32_t count) {
  char* at = p + kNodeHeaderSize + 2 * i;
  std::memmove(at, at + 2, 2 * (count - i - 1));
}

}  // namespace

Result<bool> BTree::WriteInPlace(std::string_view key, std::string_view value,
                                 PutMode mode, bool* replaced) {
  const uint32_t page_size = writer_->page_size();
  if (value.size() > MaxInlineValueSize(page_size)) return false;
  LeafPosition pos;
  FORKDB_RETURN_IF_ERROR(FindLeaf(writer_, root_, key, &pos));
  if (pos.found && mode == PutMode::kInsert)
    return Status::InvalidArgument("key exists");
  if (pos.found && mode == PutMode::kInsertIfAbsent) {
    *replaced = true;
    return true;  // nothing to do
  }
  if (!pos.found && mode == PutMode::kUpdate)
    return Status::NotFound("key not found");
  NodeHeader h = pos.view.h;
  const uint32_t new_size = 2 + static_cast<uint32_t>(key.size()) +
                            kLeafTailFixed +
                            static_cast<uint32_t>(value.size());
  uint32_t old_size = 0;
  if (pos.found) {
    if (ParseLeafTail(pos.cell.tail).overflow) return false;  // a chain to free
    old_size = static_cast<uint32_t>(2 + key.size() + pos.cell.tail.size());
  }
  const uint32_t after =
      h.ByteSize(page_size) - old_size + new_size + (pos.found ? 0 : 2);
  if (after > UsableSize(page_size)) return false;  // a split
  if (pos.view.page != root_ && after < MinFill(page_size)) return false;
  const uint32_t i = pos.index;
  const PageNo page = pos.view.page;
  pos = LeafPosition();  // drops the views: the page may now be copied
  FORKDB_ASSIGN_OR_RETURN(char* p, writer_->MutablePage(page));
  if (replaced != nullptr) *replaced = old_size != 0;
  if (old_size != 0) {
    const uint32_t off = Load<uint16_t>(p + kNodeHeaderSize + 2 * i);
    if (old_size == new_size) {
      // Same length: only the value bytes change.
      std::memcpy(p + off + 2 + key.size() + kLeafTailFixed, value.data(),
                  value.size());
      return true;
    }
    RemoveCellBytes(p, &h, off, old_size);
  } else {
    OpenSlot(p, i, h.count);
    ++h.count;
  }
  const uint32_t off = AddLeafCell(p, &h, key, value);
  Store<uint16_t>(p + kNodeHeaderSize + 2 * i, static_cast<uint16_t>(off));
  StoreHeaderCounts(p, h);
  return true;
}

Result<bool> BTree::DeleteInPlace(std::string_view key) {
  const uint32_t page_size = writer_->page_size();
  LeafPosition pos;
  FORKDB_RETURN_IF_ERROR(FindLeaf(writer_, root_, key, &pos));
  if (!pos.found) return Status::NotFound("key not found");
  NodeHeader h = pos.view.h;
  const uint32_t size =
      static_cast<uint32_t>(2 + key.size() + pos.cell.tail.size());
  const uint32_t after = h.ByteSize(page_size) - size - 2;
  if (pos.view.page != root_ && after < MinFill(page_size)) return false;
  const std::string tail(pos.cell.tail);  // the page may be copied below
  const uint32_t i = pos.index;
  const PageNo page = pos.view.page;
  pos = LeafPosition();
  FORKDB_RETURN_IF_ERROR(FreeValue(writer_, tail));
  FORKDB_ASSIGN_OR_RETURN(char* p, writer_->MutablePage(page));
  const uint32_t off = Load<uint16_t>(p + kNodeHeaderSize + 2 * i);
  CloseSlot(p, i, h.count);
  --h.count;
  RemoveCellBytes(p, &h, off, size);
  StoreHeaderCounts(p, h);
  return true;
}

Status BTree::Write(std::string_view key, std::string_view value, PutMode mode,
                    bool* replaced) {
  if (writer_ == nullptr)
    return Status::InvalidArgument("tree at page ", root_, " is read-only");
  const uint32_t page_size = writer_->page_size();
  FORKDB_RETURN_IF_ERROR(CheckKey(key, page_size));
  if (value.size() > kMaxValueSize) {
    return Status::InvalidArgument("value of ", value.size(),
                                   " bytes exceeds the maximum of ",
                                   kMaxValueSize, " bytes");
  }
  FORKDB_ASSIGN_OR_RETURN(bool done, WriteInPlace(key, value, mode, replaced));
  if (done) return Status();
  std::vector<Node> path;
  std::vector<size_t> slots;
  FORKDB_RETURN_IF_ERROR(DescendForWrite(writer_, root_, key, &path, &slots));
  Node& leaf = path.back();
  const size_t i = LowerBound(leaf, key);
  const bool found = i < leaf.cells.size() && leaf.cells[i].key == key;
  if (found && mode == PutMode::kInsert)
    return Status::InvalidArgument("key exists");
  if (replaced != nullptr) *replaced = found;
  if (found && mode == PutMode::kInsertIfAbsent) return Status();
  if (!found && mode == PutMode::kUpdate)
    return Status::NotFound("key not found");

  LeafValue v;
  v.size = static_cast<uint32_t>(value.size());
  if (value.size() > MaxInlineValueSize(page_size)) {
    v.overflow = true;
    FORKDB_ASSIGN_OR_RETURN(v.first, WriteOverflow(writer_, value));
  } else {
    v.bytes = value;
  }
  const std::string_view tail = leaf.Own(MakeLeafTail(v));
  if (found) {
    // The new chain is written before the old one is freed, so the two never
    // share a page.
    FORKDB_RETURN_IF_ERROR(FreeValue(writer_, leaf.cells[i].tail));
    leaf.cells[i].tail = tail;
  } else {
    leaf.cells.insert(leaf.cells.begin() + i,
                      Cell{leaf.Own(std::string(key)), tail});
  }
  assert(leaf.IsSorted());
  return FixUp(writer_, path, slots);
}

Status BTree::Insert(std::string_view key, std::string_view value) {
  return Write(key, value, PutMode::kInsert, nullptr);
}
Result<bool> BTree::InsertIfAbsent(std::string_view key,
                                   std::string_view value) {
  bool present = false;
  FORKDB_RETURN_IF_ERROR(Write(key, value, PutMode::kInsertIfAbsent, &present));
  return !present;
}
Status BTree::Put(std::string_view key, std::string_view value,
                  bool* replaced) {
  return Write(key, value, PutMode::kUpsert, replaced);
}
Status BTree::Update(std::string_view key, std::string_view value) {
  return Write(key, value, PutMode::kUpdate, nullptr);
}

Status BTree::Delete(std::string_view key) {
  if (writer_ == nullptr)
    return Status::InvalidArgument("tree at page ", root_, " is read-only");
  FORKDB_RETURN_IF_ERROR(CheckKey(key, writer_->page_size()));
  FORKDB_ASSIGN_OR_RETURN(bool done, DeleteInPlace(key));
  if (done) return Status();
  std::vector<Node> path;
  std::vector<size_t> slots;
  FORKDB_RETURN_IF_ERROR(DescendForWrite(writer_, root_, key, &path, &slots));
  Node& leaf = path.back();
  const size_t i = LowerBound(leaf, key);
  if (i == leaf.cells.size() || leaf.cells[i].key != key)
    return Status::NotFound("key not found");
  FORKDB_RETURN_IF_ERROR(FreeValue(writer_, leaf.cells[i].tail));
  leaf.cells.erase(leaf.cells.begin() + i);
  assert(leaf.IsSorted());
  return FixUp(writer_, path, slots);
}

Status BTree::Drop() {
  if (writer_ == nullptr)
    return Status::InvalidArgument("tree at page ", root_, " is read-only");
  std::vector<PageNo> used;
  FORKDB_RETURN_IF_ERROR(CheckTree(writer_, root_, &used));
  assert(!used.empty());
  for (PageNo page : used) FORKDB_RETURN_IF_ERROR(writer_->FreePage(page));
  return Status();
}

Result<std::string> BTree::Get(std::string_view key) const {
  FORKDB_RETURN_IF_ERROR(CheckKey(key, pages_->page_size()));
  LeafPosition pos;
  FORKDB_RETURN_IF_ERROR(FindLeaf(pages_, root_, key, &pos));
  if (!pos.found) return Status::NotFound("key not found");
  std::string out;
  FORKDB_RETURN_IF_ERROR(ReadValue(pages_, pos.cell.tail, &out));
  return out;
}

std::unique_ptr<BTreeCursor> BTree::NewCursor() const {
  return std::make_unique<BTreeCursor>(pages_, root_);
}

// ---------------------------------------------------------------------------
// Cursor.

struct BTreeCursor::Level {
  cow::BlockRef block;  // keeps the views in `node` alive
  Node node;
  size_t index = 0;  // internal: child slot; leaf: cell
};

BTreeCursor::BTreeCursor(PageReader* pages, PageNo root)
    : pages_(pages), root_(root) {}
BTreeCursor::~BTreeCursor() = default;

bool BTreeCursor::Valid() const { return valid_; }

std::string_view BTreeCursor::key() const {
  assert(valid_);
  const Level& leaf = path_.back();
  assert(leaf.index < leaf.node.cells.size());
  return leaf.node.cells[leaf.index].key;
}

Result<std::string> BTreeCursor::value() const {
  std::string out;
  FORKDB_RETURN_IF_ERROR(ValueInto(&out));
  return out;
}

Status BTreeCursor::ValueInto(std::string* out) const {
  assert(valid_);
  const Level& leaf = path_.back();
  assert(leaf.index < leaf.node.cells.size());
  return ReadValue(pages_, leaf.node.cells[leaf.index].tail, out);
}

namespace {
Status ReadLevel(PageReader* pages, PageNo page, cow::BlockRef* block,
                 Node* node) {
  FORKDB_ASSIGN_OR_RETURN(*block, pages->ReadPage(page));
  FORKDB_RETURN_IF_ERROR(CheckPageSize(*block, pages->page_size(), page));
  return DecodeNode((*block)->data(), pages->page_size(), page, false, node);
}
}  // namespace

// Pushes levels from `page` down to a leaf along the leftmost (or rightmost)
// edge.
Status BTreeCursor::Descend(PageNo page, bool leftmost) {
  while (true) {
    if (path_.size() >= kMaxHeight)
      return Status::Corruption("tree at page ", root_, ": deeper than ",
                                kMaxHeight, " levels");
    Level level;
    FORKDB_RETURN_IF_ERROR(ReadLevel(pages_, page, &level.block, &level.node));
    if (!path_.empty() && level.node.level + 1 != path_.back().node.level) {
      return Status::Corruption("page ", page, ": level ", level.node.level,
                                " under level ", path_.back().node.level);
    }
    const size_t n = level.node.cells.size();
    level.index = leftmost ? 0 : (level.node.leaf ? (n > 0 ? n - 1 : 0) : n);
    const bool leaf = level.node.leaf;
    if (!leaf) page = level.node.Child(level.index);
    path_.push_back(std::move(level));
    if (leaf) return Status();
  }
}

// Moves to the first (forward) or last cell of the adjacent leaf, skipping
// empty leaves; past either end the cursor becomes invalid.
Status BTreeCursor::SkipEmpty(bool forward) {
  while (true) {
    path_.pop_back();
    while (!path_.empty()) {
      const Level& up = path_.back();
      if (forward ? up.index < up.node.cells.size() : up.index > 0) break;
      path_.pop_back();
    }
    if (path_.empty()) {
      valid_ = false;
      return Status();
    }
    Level& up = path_.back();
    if (forward) {
      ++up.index;
    } else {
      --up.index;
    }
    FORKDB_RETURN_IF_ERROR(Descend(up.node.Child(up.index), forward));
    if (!path_.back().node.cells.empty()) {
      valid_ = true;
      return Status();
    }
  }
}

Status BTreeCursor::SeekToFirst() {
  path_.clear();
  valid_ = false;
  FORKDB_RETURN_IF_ERROR(Descend(root_, true));
  if (path_.back().node.cells.empty()) return SkipEmpty(true);
  valid_ = true;
  return Status();
}

Status BTreeCursor::SeekToLast() {
  path_.clear();
  valid_ = false;
  FORKDB_RETURN_IF_ERROR(Descend(root_, false));
  if (path_.back().node.cells.empty()) return SkipEmpty(false);
  valid_ = true;
  return Status();
}

Status BTreeCursor::Seek(std::string_view key) {
  return SeekImpl(key, true, 0);
}

Status BTreeCursor::SeekForPrev(std::string_view key) {
  return SeekImpl(key, false, 0);
}

Status BTreeCursor::SeekNear(std::string_view key) {
  // Keep the levels whose chosen child still holds `key` (invariant 2): a
  // seek near the last position re-reads only the levels below them.
  size_t keep = 0;
  while (keep + 1 < path_.size() &&
         UpperBound(path_[keep].node, key) == path_[keep].index)
    ++keep;
  return SeekImpl(key, true, keep);
}

Status BTreeCursor::SeekImpl(std::string_view key, bool forward, size_t keep) {
  assert(keep == 0 || keep < path_.size());
  path_.resize(keep);
  valid_ = false;
  PageNo page = keep == 0 ? root_ : path_.back().node.Child(path_.back().index);
  while (true) {
    if (path_.size() >= kMaxHeight)
      return Status::Corruption("tree at page ", root_, ": deeper than ",
                                kMaxHeight, " levels");
    Level level;
    FORKDB_RETURN_IF_ERROR(ReadLevel(pages_, page, &level.block, &level.node));
    if (!path_.empty() && level.node.level + 1 != path_.back().node.level) {
      return Status::Corruption("page ", page, ": level ", level.node.level,
                                " under level ", path_.back().node.level);
    }
    const bool leaf = level.node.leaf;
    if (leaf) {
      level.index =
          forward ? LowerBound(level.node, key) : UpperBound(level.node, key);
    } else {
      level.index = UpperBound(level.node, key);
      page = level.node.Child(level.index);
    }
    path_.push_back(std::move(level));
    if (leaf) break;
  }
  Level& leaf = path_.back();
  if (forward) {
    if (leaf.index < leaf.node.cells.size()) {
      valid_ = true;
      return Status();
    }
    return SkipEmpty(true);
  }
  // UpperBound gave the first key > `key`; the one before it is the answer.
  if (leaf.index > 0) {
    --leaf.index;
    valid_ = true;
    return Status();
  }
  return SkipEmpty(false);
}

Status BTreeCursor::Next() {
  assert(valid_);
  Level& leaf = path_.back();
  if (++leaf.index < leaf.node.cells.size()) return Status();
  return SkipEmpty(true);
}

Status BTreeCursor::Prev() {
  assert(valid_);
  Level& leaf = path_.back();
  if (leaf.index > 0) {
    --leaf.index;
    return Status();
  }
  return SkipEmpty(false);
}

// ---------------------------------------------------------------------------
// Checker.

namespace {

struct TreeChecker {
  PageReader* pages;
  PageNo root;
  std::vector<PageNo>* used;
  TreeStats* stats;
  std::unordered_set<PageNo> seen;
  std::vector<PageNo> leaves;
  std::vector<PageNo> rights;
  std::optional<std::string> last_key;

  Status Use(PageNo page) {
    if (page == kMetaPage)
      return Status::Corruption("tree at page ", root, " uses the meta page");
    if (!seen.insert(page).second)
      return Status::Corruption("page ", page, " is used twice in the tree at ",
                                root);
    if (used != nullptr) used->push_back(page);
    return Status();
  }

  // Checks the subtree at `page`; keys must lie in [lo, hi) (no bound when
  // null). `level` is the level the parent expects (-1 for the root).
  Status Visit(PageNo page, int level, const std::string* lo,
               const std::string* hi) {
    FORKDB_RETURN_IF_ERROR(Use(page));
    FORKDB_ASSIGN_OR_RETURN(cow::BlockRef block, pages->ReadPage(page));
    FORKDB_RETURN_IF_ERROR(CheckPageSize(block, pages->page_size(), page));
    Node node;
    FORKDB_RETURN_IF_ERROR(
        DecodeNode(block->data(), pages->page_size(), page, true, &node));
    const bool is_root = level < 0;
    if (is_root) {
      stats->height = node.level + 1;
    } else if (node.level != level) {
      return Status::Corruption("page ", page, ": level ", node.level,
                                ", expected ", level, " (invariant 3)");
    }
    if (!node.IsSorted())
      return Status::Corruption("page ", page,
                                ": keys not strictly increasing (invariant 1)");
    for (const Cell& c : node.cells) {
      if ((lo != nullptr && c.key.compare(*lo) < 0) ||
          (hi != nullptr && c.key.compare(*hi) >= 0)) {
        return Status::Corruption("page ", page,
                                  ": key outside its parent's separators "
                                  "(invariant 2)");
      }
    }
    if (!is_root && node.ByteSize() < MinFill(pages->page_size())) {
      return Status::Corruption("page ", page, ": ", node.ByteSize(),
                                " bytes used, below the minimum ",
                                MinFill(pages->page_size()), " (invariant 4)");
    }
    if (node.leaf) {
      ++stats->leaves;
      stats->keys += node.cells.size();
      leaves.push_back(page);
      rights.push_back(node.right);
      for (const Cell& c : node.cells) {
        if (last_key && c.key.compare(*last_key) <= 0)
          return Status::Corruption("page ", page,
                                    ": key not above the previous leaf's "
                                    "(invariant 1)");
        last_key = std::string(c.key);
        const LeafValue v = ParseLeafTail(c.tail);
        if (v.overflow) {
          FORKDB_RETURN_IF_ERROR(WalkOverflow(
              pages, v.first, v.size, [this](PageNo p, std::string_view) {
                ++stats->overflow_pages;
                return Use(p);
              }));
        }
      }
      return Status();
    }
    ++stats->internal;
    if (node.cells.empty())
      return Status::Corruption("page ", page,
                                ": internal node without separators "
                                "(invariant 4)");
    for (size_t c = 0; c <= node.cells.size(); ++c) {
      const std::string child_lo = c == 0 ? (lo ? *lo : std::string())
                                          : std::string(node.cells[c - 1].key);
      const std::string child_hi = c < node.cells.size()
                                       ? std::string(node.cells[c].key)
                                       : (hi ? *hi : std::string());
      const bool has_lo = c > 0 || lo != nullptr;
      const bool has_hi = c < node.cells.size() || hi != nullptr;
      FORKDB_RETURN_IF_ERROR(Visit(node.Child(c), node.level - 1,
                                   has_lo ? &child_lo : nullptr,
                                   has_hi ? &child_hi : nullptr));
    }
    return Status();
  }
};

}  // namespace

Result<PageSummary> SummarizePage(PageReader* pages, PageNo page, bool chains) {
  PageSummary out;
  Result<cow::BlockRef> read = pages->ReadPage(page);
  if (read.status().IsNotFound()) {
    out.type = PageSummary::Type::kUnmapped;
    return out;
  }
  FORKDB_RETURN_IF_ERROR(read.status());
  const cow::BlockRef& block = *read;
  FORKDB_RETURN_IF_ERROR(CheckPageSize(block, pages->page_size(), page));
  const char* p = block->data();
  const uint8_t type = static_cast<uint8_t>(p[0]);
  if (page == kMetaPage) {
    out.type = PageSummary::Type::kMeta;
  } else if (std::memcmp(p, kFreeMagic, sizeof(kFreeMagic)) == 0) {
    out.type = PageSummary::Type::kFree;
  } else if (type == kTypeOverflow) {
    out.type = PageSummary::Type::kOverflow;
    out.next = Load<uint64_t>(p + 8);
  } else if (type == kTypeLeaf || type == kTypeInternal) {
    NodeView view;
    FORKDB_RETURN_IF_ERROR(view.Open(p, pages->page_size(), page));
    out.type =
        view.h.leaf ? PageSummary::Type::kLeaf : PageSummary::Type::kInternal;
    out.level = view.h.level;
    out.count = view.h.count;
    const bool all = chains && view.h.leaf;
    for (uint32_t i = 0; i < view.h.count;
         i = all || i + 1 == view.h.count ? i + 1 : view.h.count - 1) {
      Cell cell;
      FORKDB_RETURN_IF_ERROR(view.CellAt(i, &cell));
      if (i == 0) out.first_key = cell.key;
      if (i + 1 == view.h.count) out.last_key = cell.key;
      if (all) {
        const LeafValue v = ParseLeafTail(cell.tail);
        if (v.overflow) out.overflows.push_back({v.first, v.size});
      }
    }
  }
  return out;
}

Result<bool> TreeReaches(PageReader* pages, PageNo root, std::string_view key,
                         uint16_t level, PageNo page) {
  PageNo at = root;
  for (uint32_t depth = 0; depth < kMaxHeight; ++depth) {
    FORKDB_ASSIGN_OR_RETURN(cow::BlockRef block, pages->ReadPage(at));
    FORKDB_RETURN_IF_ERROR(CheckPageSize(block, pages->page_size(), at));
    NodeView view;
    FORKDB_RETURN_IF_ERROR(view.Open(block->data(), pages->page_size(), at));
    if (view.h.level <= level || view.h.leaf) {
      return view.h.level == level && at == page;
    }
    uint32_t c;
    FORKDB_RETURN_IF_ERROR(view.Search(key, true, &c));
    FORKDB_ASSIGN_OR_RETURN(at, view.Child(c));
  }
  return Status::Corruption("tree at page ", root, ": deeper than ", kMaxHeight,
                            " levels");
}

Result<std::vector<PageNo>> OverflowChain(PageReader* pages, PageNo first) {
  std::vector<PageNo> chain;
  std::unordered_set<PageNo> seen;
  for (PageNo page = first; page != 0;) {
    if (page == kMetaPage || !seen.insert(page).second) {
      return Status::Corruption("overflow chain at page ", first,
                                " loops or reaches the meta page");
    }
    FORKDB_ASSIGN_OR_RETURN(cow::BlockRef block, pages->ReadPage(page));
    FORKDB_RETURN_IF_ERROR(CheckPageSize(block, pages->page_size(), page));
    if (static_cast<uint8_t>(block->data()[0]) != kTypeOverflow) {
      return Status::Corruption("page ", page, " on the overflow chain at ",
                                first, " is not an overflow page");
    }
    chain.push_back(page);
    page = Load<uint64_t>(block->data() + 8);
  }
  return chain;
}

Status CheckTree(PageReader* pages, PageNo root,
                 std::vector<PageNo>* pages_used, TreeStats* stats) {
  TreeStats local;
  TreeChecker checker{pages, root, pages_used, stats ? stats : &local,
                      {},    {},   {},         {}};
  *checker.stats = TreeStats();
  FORKDB_RETURN_IF_ERROR(checker.Visit(root, -1, nullptr, nullptr));
  for (size_t i = 0; i < checker.leaves.size(); ++i) {
    const PageNo want =
        i + 1 < checker.leaves.size() ? checker.leaves[i + 1] : 0;
    if (checker.rights[i] != want) {
      return Status::Corruption("page ", checker.leaves[i], ": right sibling ",
                                checker.rights[i], ", expected ", want,
                                " (invariant 5)");
    }
  }
  assert(checker.stats->leaves == checker.leaves.size());
  return Status();
}

Status CheckPageSpace(PageReader* pages, const std::vector<PageNo>& roots) {
  FORKDB_ASSIGN_OR_RETURN(MetaState meta, ReadMeta(pages));
  std::vector<uint8_t> owner(meta.next_page, 0);  // 0 none, 1 tree, 2 free
  owner[kMetaPage] = 1;
  uint64_t free_count = 0;
  for (PageNo page = meta.free_head; page != 0;) {
    if (page >= meta.next_page || owner[page] != 0)
      return Status::Corruption("free list: page ", page,
                                " out of range or listed twice (invariant 7)");
    owner[page] = 2;
    ++free_count;
    FORKDB_ASSIGN_OR_RETURN(cow::BlockRef block, pages->ReadPage(page));
    FORKDB_RETURN_IF_ERROR(CheckPageSize(block, pages->page_size(), page));
    if (std::memcmp(block->data(), kFreeMagic, 8) != 0)
      return Status::Corruption("free page ", page, ": bad magic");
    page = Load<uint64_t>(block->data() + 8);
  }
  if (free_count != meta.free_count)
    return Status::Corruption("free list holds ", free_count,
                              " pages; the meta page says ", meta.free_count);
  for (PageNo root : roots) {
    std::vector<PageNo> used;
    FORKDB_RETURN_IF_ERROR(CheckTree(pages, root, &used));
    for (PageNo page : used) {
      if (page >= meta.next_page || owner[page] != 0) {
        return Status::Corruption("page ", page, " of the tree at ", root,
                                  " is beyond the next page, free, or in "
                                  "another tree (invariant 7)");
      }
      owner[page] = 1;
    }
  }
  for (PageNo page = 0; page < meta.next_page; ++page) {
    if (owner[page] == 0)
      return Status::Corruption("page ", page,
                                " is an orphan: in no tree and not free "
                                "(invariant 7)");
  }
  return Status();
}

}  // namespace forkdb::engine
