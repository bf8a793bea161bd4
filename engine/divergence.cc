// Divergence between forks (forkdb/divergence.h): the merge base from the
// fork tree, then page-map diffs against it, key ranges of the changed leaves,
// and row comparisons inside the ranges that both sides touched.
//
// Why a changed leaf bounds every changed row: a row lives in exactly one
// leaf, and any write of a row (insert, update, delete, a move by split or
// merge) rewrites the leaf that holds it before or after, which gives that
// leaf a new block in the writer's page map. So a row whose image differs
// between two states lies in [first key, last key] of some leaf that the
// page-map diff names, in one state or the other; rows outside those ranges
// are the same bytes on both sides. A changed page is matched to its tree by
// descending each tree toward the page's first key: a node is reached by any
// key of its range (tests/engine/divergence_model_test.cc checks the whole
// against a full three-way comparison of every row).
#include "forkdb/divergence.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cow/store.h"
#include "engine/binlog_tree.h"
#include "engine/btree.h"
#include "engine/catalog.h"
#include "engine/database_rep.h"
#include "engine/replicator.h"
#include "engine/table.h"
#include "forkdb/database.h"

namespace forkdb::engine {

std::string_view DivergenceKindName(DivergenceKind kind) {
  switch (kind) {
    case DivergenceKind::kUpdateUpdate:
      return "update/update";
    case DivergenceKind::kUpdateDelete:
      return "update/delete";
    case DivergenceKind::kDeleteUpdate:
      return "delete/update";
    case DivergenceKind::kInsertInsert:
      return "insert/insert";
    case DivergenceKind::kSchema:
      return "schema";
  }
  return "?";
}

std::string_view DiffKindName(DiffKind kind) {
  switch (kind) {
    case DiffKind::kAdded:
      return "added";
    case DiffKind::kRemoved:
      return "removed";
    case DiffKind::kChanged:
      return "changed";
  }
  return "?";
}

namespace {

// ------------------------------------------------------------ merge base

// A side as the public call named it: a fork, or a Snapshot handle's view.
struct SideRef {
  std::string_view fork;
  bool is_snapshot = false;
  const Reader::View* view = nullptr;  // null for an empty Snapshot handle
};

// The states one comparison reads, pinned for its duration: a, b and (for
// three-way calls) the merge base.
struct Pinned {
  std::unique_ptr<cow::Snapshot> owned[3];
  const cow::Snapshot* snap[3] = {nullptr, nullptr, nullptr};
  std::string name[2];  // the sides' names, for messages
  MergeBase base;
};

// One step up a side's ancestry: fork `fork` after `seq` commits, which is
// the side's own state (side >= 0) or the base of fork `base_of`.
struct Link {
  cow::ForkId fork;
  uint64_t seq;
  int side;
  std::string base_of;
};

std::vector<Link> Ancestry(const cow::Snapshot& snap, int side,
                           const std::map<cow::ForkId, cow::ForkInfo>& forks) {
  std::vector<Link> links{{snap.fork(), snap.commit_seq(), side, ""}};
  auto at = forks.find(snap.fork());
  while (at != forks.end() && at->second.parent != cow::kNoFork) {
    const cow::ForkInfo& f = at->second;
    links.push_back({f.parent, f.fork_point_seq, -1, f.name});
    at = forks.find(f.parent);
  }
  return links;
}

// Opens the sides (and, if `need_base`, their merge base) under the fork
// mutex, so that no fork of the ancestry is dropped meanwhile.
Status PinSides(Database::Rep* rep, const SideRef (&sides)[2], bool need_base,
                Pinned* out) {
  MutexLock lock(&rep->fork_mu);
  for (int i = 0; i < 2; ++i) {
    if (sides[i].is_snapshot && sides[i].view == nullptr)
      return Status::InvalidArgument("empty snapshot handle");
    if (sides[i].is_snapshot) {
      const SnapshotParts parts = PartsOf(*sides[i].view);
      if (parts.db != rep)
        return Status::InvalidArgument("snapshot of another database");
      out->snap[i] = parts.snap;
      Result<cow::ForkInfo> owner = rep->store->GetFork(parts.snap->fork());
      out->name[i] = owner.ok() ? "a snapshot of fork " + owner->name
                                : std::string("a snapshot");
    } else {
      FORKDB_ASSIGN_OR_RETURN(out->owned[i],
                              rep->store->OpenSnapshot(sides[i].fork));
      out->snap[i] = out->owned[i].get();
      out->name[i] = "fork " + std::string(sides[i].fork);
    }
  }
  if (!need_base) return Status();
  std::map<cow::ForkId, cow::ForkInfo> forks;
  for (cow::ForkInfo& f : rep->store->ListForks()) forks[f.id] = std::move(f);
  const std::vector<Link> a = Ancestry(*out->snap[0], 0, forks);
  const std::vector<Link> b = Ancestry(*out->snap[1], 1, forks);
  for (const Link& la : a) {
    for (const Link& lb : b) {
      if (la.fork != lb.fork) continue;
      const Link& low = la.seq <= lb.seq ? la : lb;
      if (low.side >= 0) {
        out->snap[2] = out->snap[low.side];
      } else {
        FORKDB_ASSIGN_OR_RETURN(out->owned[2],
                                rep->store->OpenBaseSnapshot(low.base_of));
        out->snap[2] = out->owned[2].get();
      }
      auto f = forks.find(low.fork);
      out->base.fork = f == forks.end() ? "" : f->second.name;
      out->base.fork_id = low.fork;
      out->base.commit_seq = low.seq;
      return Status();
    }
  }
  return Status::InvalidArgument(out->name[0], " and ", out->name[1],
                                 " have no common ancestor");
}

// ------------------------------------------------------------ key ranges

// An inclusive range of encoded keys; no `hi` means no upper bound.
struct KeyRange {
  std::string lo;
  std::optional<std::string> hi;
};
using Ranges = std::vector<KeyRange>;

bool Below(const std::optional<std::string>& x,
           const std::optional<std::string>& y) {  // x < y, none = +inf
  return x.has_value() && (!y.has_value() || *x < *y);
}

// Sorted and merged: disjoint, ascending.
void Normalize(Ranges* ranges) {
  std::sort(ranges->begin(), ranges->end(),
            [](const KeyRange& x, const KeyRange& y) { return x.lo < y.lo; });
  Ranges out;
  for (KeyRange& r : *ranges) {
    if (!out.empty() &&
        (!out.back().hi.has_value() || r.lo <= *out.back().hi)) {
      if (Below(out.back().hi, r.hi)) out.back().hi = std::move(r.hi);
      continue;
    }
    out.push_back(std::move(r));
  }
  *ranges = std::move(out);
}

Ranges Intersect(const Ranges& x, const Ranges& y) {
  Ranges out;
  size_t i = 0, j = 0;
  while (i < x.size() && j < y.size()) {
    const std::string& lo = std::max(x[i].lo, y[j].lo);
    const std::optional<std::string>& hi =
        Below(x[i].hi, y[j].hi) ? x[i].hi : y[j].hi;
    if (!hi.has_value() || lo <= *hi) out.push_back({lo, hi});
    if (Below(x[i].hi, y[j].hi)) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

const Ranges kWholeTable{{"", std::nullopt}};

// ------------------------------------------------------------ states

// One tree of a state: a user table's rows or index, or a system tree.
struct Tree {
  PageNo root = 0;
  std::string table;  // the user table it belongs to; empty if none
  std::string what;   // "<table>", "index <name>", "catalog", ...
  bool rows = false;  // a user table's own tree
};

// What a page is in one state: its summary and its tree (-1: none found).
struct Owner {
  PageSummary summary;
  int tree = -1;
};

// One compared state: its pages, tables and trees, and the pages it has
// classified. Not thread-safe.
class State {
 public:
  // With `chains`, classified leaves list their overflow chains too
  // (MapOverflow needs them).
  State(const cow::Snapshot* snap, uint32_t page_size, bool chains)
      : snap_(snap), pages_(snap, page_size), chains_(chains) {}

  Status Load() {
    FORKDB_ASSIGN_OR_RETURN(Catalog catalog, Catalog::Open(&pages_));
    FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> defs, catalog.ListTables());
    for (TableDef& def : defs) {
      trees_.push_back({def.root, def.name, def.name, true});
      tables_.emplace(FoldName(def.name), std::move(def));
    }
    for (const auto& [name, def] : tables_) {
      for (const IndexDef& index : def.indexes)
        trees_.push_back({index.root, def.name, "index " + index.name, false});
    }
    if (catalog.root() != 0) trees_.push_back({catalog.root(), "", "catalog"});
    FORKDB_ASSIGN_OR_RETURN(PageNo binlog,
                            GetRootSlot(&pages_, kBinlogRootSlot));
    if (binlog != 0) trees_.push_back({binlog, "", "binlog"});
    FORKDB_ASSIGN_OR_RETURN(PageNo replication,
                            GetRootSlot(&pages_, kReplicationRootSlot));
    if (replication != 0) trees_.push_back({replication, "", "replication"});
    return Status();
  }

  const cow::Root& root() const { return snap_->root(); }
  PageReader* pages() { return &pages_; }

  std::optional<TableDef> Find(const std::string& folded) const {
    auto it = tables_.find(folded);
    if (it == tables_.end()) return std::nullopt;
    return it->second;
  }
  void AddNames(std::vector<std::string>* names) const {
    for (const auto& [name, def] : tables_) names->push_back(name);
  }

  Result<const Owner*> Classify(PageNo page) {
    auto cached = owners_.find(page);
    if (cached != owners_.end()) return &cached->second;
    Owner owner;
    FORKDB_ASSIGN_OR_RETURN(owner.summary,
                            SummarizePage(&pages_, page, chains_));
    const PageSummary& s = owner.summary;
    if (s.type == PageSummary::Type::kLeaf ||
        s.type == PageSummary::Type::kInternal) {
      for (size_t t = 0; t < trees_.size() && owner.tree < 0; ++t) {
        if (trees_[t].root == page) owner.tree = static_cast<int>(t);
      }
      for (size_t t = 0; t < trees_.size() && owner.tree < 0 && s.count > 0;
           ++t) {
        FORKDB_ASSIGN_OR_RETURN(
            bool reached,
            TreeReaches(&pages_, trees_[t].root, s.first_key, s.level, page));
        if (reached) owner.tree = static_cast<int>(t);
      }
    }
    return &owners_.emplace(page, std::move(owner)).first->second;
  }

  // Key ranges of the user-table leaves among `pages`, by folded table name.
  Status AddRanges(const std::vector<PageNo>& pages,
                   std::map<std::string, Ranges>* out) {
    for (PageNo page : pages) {
      FORKDB_ASSIGN_OR_RETURN(const Owner* owner, Classify(page));
      if (owner->summary.type != PageSummary::Type::kLeaf || owner->tree < 0 ||
          owner->summary.count == 0)
        continue;
      const Tree& tree = trees_[owner->tree];
      if (!tree.rows) continue;
      (*out)[FoldName(tree.table)].push_back(
          {owner->summary.first_key, owner->summary.last_key});
    }
    return Status();
  }

  // Finds the tree of each overflow page in `wanted` from the chains that
  // the leaves among `pages` name, shortest chains first, stopping once all
  // are found: a changed leaf may name a long chain (a large binlog record,
  // say) that no wanted page is on.
  Status MapOverflow(const std::vector<PageNo>& pages,
                     const std::vector<PageNo>& wanted) {
    size_t missing = 0;
    for (PageNo page : wanted) {
      FORKDB_ASSIGN_OR_RETURN(const Owner* owner, Classify(page));
      if (owner->summary.type == PageSummary::Type::kOverflow) ++missing;
    }
    if (missing == 0) return Status();
    struct Chain {
      uint64_t size;
      PageNo head;
      int tree;
    };
    std::vector<Chain> chains;
    for (PageNo page : pages) {
      FORKDB_ASSIGN_OR_RETURN(const Owner* owner, Classify(page));
      if (owner->tree < 0) continue;
      for (const PageSummary::Chain& c : owner->summary.overflows)
        chains.push_back({c.size, c.head, owner->tree});
    }
    std::sort(chains.begin(), chains.end(),
              [](const Chain& x, const Chain& y) { return x.size < y.size; });
    const std::unordered_set<PageNo> want(wanted.begin(), wanted.end());
    for (const Chain& c : chains) {
      FORKDB_ASSIGN_OR_RETURN(std::vector<PageNo> chain,
                              OverflowChain(&pages_, c.head));
      for (PageNo p : chain) {
        if (want.count(p) != 0 && overflow_owner_.emplace(p, c.tree).second &&
            --missing == 0)
          return Status();
      }
    }
    return Status();
  }

  // What the page holds, in words, and the user table it belongs to.
  Result<std::pair<std::string, std::string>> Describe(PageNo page) {
    FORKDB_ASSIGN_OR_RETURN(const Owner* owner, Classify(page));
    int tree = owner->tree;
    std::string role;
    switch (owner->summary.type) {
      case PageSummary::Type::kUnmapped:
        return std::pair<std::string, std::string>{"unmapped", ""};
      case PageSummary::Type::kMeta:
        return std::pair<std::string, std::string>{"meta", ""};
      case PageSummary::Type::kFree:
        return std::pair<std::string, std::string>{"free", ""};
      case PageSummary::Type::kUnknown:
        return std::pair<std::string, std::string>{"unknown", ""};
      case PageSummary::Type::kLeaf:
        role = "leaf";
        break;
      case PageSummary::Type::kInternal:
        role = "internal";
        break;
      case PageSummary::Type::kOverflow: {
        role = "overflow";
        auto it = overflow_owner_.find(page);
        if (it != overflow_owner_.end()) tree = it->second;
        break;
      }
    }
    if (tree < 0) return std::pair<std::string, std::string>{role, ""};
    return std::pair<std::string, std::string>{trees_[tree].what + " " + role,
                                               trees_[tree].table};
  }

 private:
  const cow::Snapshot* snap_;
  SnapshotPages pages_;
  std::map<std::string, TableDef> tables_;  // by folded name
  std::vector<Tree> trees_;  // rows trees first: the likeliest owners
  std::unordered_map<PageNo, Owner> owners_;
  std::unordered_map<PageNo, int> overflow_owner_;
  const bool chains_;
};

// What the user declared: name, columns (with their ids), primary key and
// indexes (name, columns, uniqueness). Ids, root pages and counters are the
// engine's: two sides making the same declaration may differ there.
bool SameDeclaration(const TableDef& x, const TableDef& y) {
  if (x.name != y.name || x.columns != y.columns ||
      x.primary_key != y.primary_key || x.indexes.size() != y.indexes.size())
    return false;
  // Indexes as a set: by name.
  auto declared = [](const TableDef& def) {
    std::vector<std::tuple<std::string, std::vector<uint32_t>, bool>> out;
    for (const IndexDef& index : def.indexes)
      out.emplace_back(index.name, index.columns, index.unique);
    std::sort(out.begin(), out.end());
    return out;
  };
  return declared(x) == declared(y);
}

// One table's lineage: the same tree (a table keeps its id and root page for
// life), so rows that differ lie in the leaves a page-map diff names.
bool SameTable(const TableDef& x, const TableDef& y) {
  return x.id == y.id && x.root == y.root;
}

// The table is as it was in the base (or absent in both).
bool Unchanged(const std::optional<TableDef>& base,
               const std::optional<TableDef>& side) {
  if (base.has_value() != side.has_value()) return false;
  return !base.has_value() ||
         (SameTable(*base, *side) && SameDeclaration(*base, *side));
}

// Rows of both definitions decode alike from the same bytes.
bool SameRows(const TableDef& x, const TableDef& y) {
  return SameTable(x, y) && x.columns == y.columns &&
         x.primary_key == y.primary_key;
}

std::vector<std::string> ColumnNames(const TableDef& def) {
  std::vector<std::string> names;
  for (const ColumnDef& c : def.columns) names.push_back(c.name);
  return names;
}

std::vector<std::string> KeyColumnNames(const TableDef& def) {
  if (def.primary_key.empty()) return {"rowid"};
  std::vector<std::string> names;
  for (uint32_t id : def.primary_key)
    names.push_back(def.FindColumnById(id)->name);
  return names;
}

// The rows of one table in one state within a key range, in key order. A
// row is decoded only when asked for: most rows a comparison reads are the
// same bytes on every side.
class RangeCursor {
 public:
  RangeCursor(PageReader* pages, Table table)
      : table_(std::move(table)), tree_(pages, table_.def().root) {}

  Status Seek(const KeyRange& range) {
    hi_ = range.hi;
    FORKDB_RETURN_IF_ERROR(tree_.SeekNear(range.lo));
    return Load();
  }
  Status Next() {
    FORKDB_RETURN_IF_ERROR(tree_.Next());
    return Load();
  }
  bool Valid() const { return valid_; }
  const std::string& key() const { return key_; }
  const std::string& value() const { return value_; }
  Result<const Row*> row() {
    if (!decoded_) {
      FORKDB_ASSIGN_OR_RETURN(row_, table_.DecodeEntry(key_, value_));
      decoded_ = true;
    }
    return &row_;
  }
  const Table& table() const { return table_; }

 private:
  Status Load() {
    valid_ = tree_.Valid() && (!hi_.has_value() || tree_.key() <= *hi_);
    decoded_ = false;
    if (!valid_) return Status();
    key_.assign(tree_.key());
    return tree_.ValueInto(&value_);
  }

  Table table_;
  BTreeCursor tree_;
  std::optional<std::string> hi_;
  bool valid_ = false;
  bool decoded_ = false;
  std::string key_;
  std::string value_;  // the encoded row
  Row row_;
};

// Whether two cursors hold the same row at the current key: both absent
// (null), or equal bytes, or equal values (a row written before a column was
// added lacks it in its bytes but reads its default). The two tables must
// declare the same columns.
Result<bool> SameRow(RangeCursor* x, RangeCursor* y) {
  if (x == nullptr || y == nullptr) return x == y;
  if (x->value() == y->value()) return true;
  FORKDB_ASSIGN_OR_RETURN(const Row* rx, x->row());
  FORKDB_ASSIGN_OR_RETURN(const Row* ry, y->row());
  return *rx == *ry;
}

Result<std::optional<Row>> RowOf(RangeCursor* c) {
  if (c == nullptr) return std::optional<Row>();
  FORKDB_ASSIGN_OR_RETURN(const Row* row, c->row());
  return std::optional<Row>(*row);
}

// Up to three cursors walked together over the same ranges: each step
// yields the smallest key any of them holds and the cursors that hold it.
class Merger {
 public:
  // `cursors` may hold nulls (a side without the table).
  explicit Merger(std::vector<RangeCursor*> cursors)
      : cursors_(std::move(cursors)) {}

  // Calls visit(key, at, low) for every key in the ranges; at[i] is cursor
  // i if it holds the key, else null, and `low` one that does. visit returns
  // false to stop; *stopped tells.
  template <typename Visit>
  Status Run(const Ranges& ranges, Visit visit, bool* stopped) {
    std::vector<RangeCursor*> at(cursors_.size());
    for (const KeyRange& range : ranges) {
      for (RangeCursor* c : cursors_) {
        if (c != nullptr) FORKDB_RETURN_IF_ERROR(c->Seek(range));
      }
      for (;;) {
        RangeCursor* low = nullptr;
        for (RangeCursor* c : cursors_) {
          if (c != nullptr && c->Valid() &&
              (low == nullptr || c->key() < low->key()))
            low = c;
        }
        if (low == nullptr) break;
        for (size_t i = 0; i < cursors_.size(); ++i) {
          RangeCursor* c = cursors_[i];
          at[i] =
              c != nullptr && c->Valid() && (c == low || c->key() == low->key())
                  ? c
                  : nullptr;
        }
        FORKDB_ASSIGN_OR_RETURN(bool go, visit(low->key(), at, *low));
        if (!go) {
          *stopped = true;
          return Status();
        }
        for (RangeCursor* c : at) {
          if (c != nullptr) FORKDB_RETURN_IF_ERROR(c->Next());
        }
      }
    }
    return Status();
  }

 private:
  std::vector<RangeCursor*> cursors_;
};

// The folded names of the tables the states hold, ascending; or only
// `table`'s (NotFound if no state holds it).
Result<std::vector<std::string>> TableNames(
    std::initializer_list<const State*> states, const std::string& table) {
  std::vector<std::string> names;
  for (const State* state : states) state->AddNames(&names);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (table.empty()) return names;
  const std::string wanted = FoldName(table);
  if (!std::binary_search(names.begin(), names.end(), wanted))
    return Status::NotFound("table ", table, " does not exist");
  return std::vector<std::string>{wanted};
}

// ------------------------------------------------------------ three-way

class ThreeWay {
 public:
  ThreeWay(cow::Store* store, State* base, State* a, State* b,
           const DivergenceOptions& options, const DivergentRowFn& fn)
      : store_(store), base_(base), a_(a), b_(b), options_(options), fn_(fn) {}

  Status Run() {
    FORKDB_ASSIGN_OR_RETURN(std::vector<PageNo> da,
                            store_->DiffPages(base_->root(), a_->root()));
    FORKDB_ASSIGN_OR_RETURN(std::vector<PageNo> db,
                            store_->DiffPages(base_->root(), b_->root()));
    FORKDB_RETURN_IF_ERROR(base_->AddRanges(da, &ranges_a_));
    FORKDB_RETURN_IF_ERROR(a_->AddRanges(da, &ranges_a_));
    FORKDB_RETURN_IF_ERROR(base_->AddRanges(db, &ranges_b_));
    FORKDB_RETURN_IF_ERROR(b_->AddRanges(db, &ranges_b_));
    for (auto* ranges : {&ranges_a_, &ranges_b_}) {
      for (auto& [name, r] : *ranges) Normalize(&r);
    }
    FORKDB_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            TableNames({base_, a_, b_}, options_.table));
    for (const std::string& name : names) {
      bool stopped = false;
      FORKDB_RETURN_IF_ERROR(CompareTable(name, &stopped));
      if (stopped) break;
    }
    return Status();
  }

 private:
  const Ranges& RangesOf(const std::map<std::string, Ranges>& all,
                         const std::string& name) {
    static const Ranges kNone;
    auto it = all.find(name);
    return it == all.end() ? kNone : it->second;
  }

  Status CompareTable(const std::string& name, bool* stopped) {
    const std::optional<TableDef> sb = base_->Find(name);
    const std::optional<TableDef> sa = a_->Find(name);
    const std::optional<TableDef> sbb = b_->Find(name);
    if (!sa.has_value() && !sbb.has_value()) return Status();
    const bool a_same = Unchanged(sb, sa);
    const bool b_same = Unchanged(sb, sbb);
    if (a_same && b_same) {
      return CompareRows(
          *sa, *sbb, sb,
          Intersect(RangesOf(ranges_a_, name), RangesOf(ranges_b_, name)),
          stopped);
    }
    if (!a_same && !b_same && sa.has_value() && sbb.has_value() &&
        SameDeclaration(*sa, *sbb)) {
      // The same change on both sides. If all three are one table, the
      // base's rows are read under the new schema, and only rows both sides
      // touched can differ; else the base has no rows, and every row of
      // either side counts as changed.
      if (sb.has_value() && SameTable(*sb, *sa) && SameTable(*sb, *sbb)) {
        return CompareRows(
            *sa, *sbb, sa,
            Intersect(RangesOf(ranges_a_, name), RangesOf(ranges_b_, name)),
            stopped);
      }
      return CompareRows(*sa, *sbb, std::nullopt, kWholeTable, stopped);
    }
    bool report = !a_same && !b_same;
    if (!report && sb.has_value()) {
      // One side changed the schema: is there a row change on the other?
      State* other = a_same ? a_ : b_;
      const Ranges& ranges = RangesOf(a_same ? ranges_a_ : ranges_b_, name);
      FORKDB_ASSIGN_OR_RETURN(report, RowsChanged(other, *sb, ranges));
    }
    if (!report) return Status();
    DivergentRow out;
    out.kind = DivergenceKind::kSchema;
    out.table = sa.has_value()    ? sa->name
                : sbb.has_value() ? sbb->name
                                  : sb->name;
    out.base_schema = sb;
    out.a_schema = sa;
    out.b_schema = sbb;
    *stopped = !fn_(out);
    return Status();
  }

  // Whether any row of the table (schema `def` in both) differs between the
  // base and `side` within `ranges`.
  Result<bool> RowsChanged(State* side, const TableDef& def,
                           const Ranges& ranges) {
    FORKDB_ASSIGN_OR_RETURN(Table tb, Table::Open(base_->pages(), def));
    FORKDB_ASSIGN_OR_RETURN(Table ts, Table::Open(side->pages(), def));
    RangeCursor cb(base_->pages(), std::move(tb));
    RangeCursor cs(side->pages(), std::move(ts));
    bool changed = false;
    Merger merger({&cb, &cs});
    FORKDB_RETURN_IF_ERROR(merger.Run(
        ranges,
        [&](const std::string&, const std::vector<RangeCursor*>& at,
            const RangeCursor&) -> Result<bool> {
          FORKDB_ASSIGN_OR_RETURN(bool same, SameRow(at[0], at[1]));
          changed = !same;
          return same;
        },
        &changed));
    return changed;
  }

  // Rows of a table declared alike on both sides (read under `da` in a and
  // `db` in b), within `ranges`; the base's rows are read under `base_def`
  // (none if absent).
  Status CompareRows(const TableDef& da, const TableDef& db,
                     const std::optional<TableDef>& base_def,
                     const Ranges& ranges, bool* stopped) {
    if (ranges.empty()) return Status();
    std::optional<RangeCursor> cb;
    if (base_def.has_value()) {
      FORKDB_ASSIGN_OR_RETURN(Table t, Table::Open(base_->pages(), *base_def));
      cb.emplace(base_->pages(), std::move(t));
    }
    FORKDB_ASSIGN_OR_RETURN(Table ta, Table::Open(a_->pages(), da));
    FORKDB_ASSIGN_OR_RETURN(Table tb, Table::Open(b_->pages(), db));
    RangeCursor ca(a_->pages(), std::move(ta));
    RangeCursor cbb(b_->pages(), std::move(tb));
    const std::vector<std::string> columns = ColumnNames(da);
    const std::vector<std::string> key_columns = KeyColumnNames(da);
    Merger merger({cb.has_value() ? &*cb : nullptr, &ca, &cbb});
    return merger.Run(
        ranges,
        [&](const std::string& key, const std::vector<RangeCursor*>& at,
            const RangeCursor& any) -> Result<bool> {
          RangeCursor* base = at[0];
          RangeCursor* a = at[1];
          RangeCursor* b = at[2];
          FORKDB_ASSIGN_OR_RETURN(bool a_kept, SameRow(a, base));
          if (a_kept) return true;
          FORKDB_ASSIGN_OR_RETURN(bool b_kept, SameRow(b, base));
          if (b_kept) return true;
          FORKDB_ASSIGN_OR_RETURN(bool alike, SameRow(a, b));
          if (alike) return true;
          DivergentRow out;
          FORKDB_ASSIGN_OR_RETURN(out.base, RowOf(base));
          FORKDB_ASSIGN_OR_RETURN(out.a, RowOf(a));
          FORKDB_ASSIGN_OR_RETURN(out.b, RowOf(b));
          if (base == nullptr) {
            out.kind = DivergenceKind::kInsertInsert;
          } else if (a != nullptr && b != nullptr) {
            out.kind = DivergenceKind::kUpdateUpdate;
            if (options_.cell_level && !CellsCollide(*out.base, *out.a, *out.b))
              return true;
          } else {
            out.kind = a != nullptr ? DivergenceKind::kUpdateDelete
                                    : DivergenceKind::kDeleteUpdate;
          }
          out.table = da.name;
          out.key_columns = key_columns;
          FORKDB_ASSIGN_OR_RETURN(out.key, any.table().DecodeKeyValues(key));
          out.columns = columns;
          return fn_(out);
        },
        stopped);
  }

  static bool CellsCollide(const Row& base, const Row& a, const Row& b) {
    for (size_t i = 0; i < base.size(); ++i) {
      if (!(a[i] == base[i]) && !(b[i] == base[i]) && !(a[i] == b[i]))
        return true;
    }
    return false;
  }

  cow::Store* store_;
  State* base_;
  State* a_;
  State* b_;
  const DivergenceOptions& options_;
  const DivergentRowFn& fn_;
  std::map<std::string, Ranges> ranges_a_;  // by folded table name
  std::map<std::string, Ranges> ranges_b_;
};

// ------------------------------------------------------------ two-way

class TwoWay {
 public:
  TwoWay(cow::Store* store, State* a, State* b, const DiffOptions& options,
         const DiffRowFn& fn)
      : store_(store), a_(a), b_(b), options_(options), fn_(fn) {}

  Status Run() {
    FORKDB_ASSIGN_OR_RETURN(std::vector<PageNo> changed,
                            store_->DiffPages(a_->root(), b_->root()));
    FORKDB_RETURN_IF_ERROR(a_->AddRanges(changed, &ranges_));
    FORKDB_RETURN_IF_ERROR(b_->AddRanges(changed, &ranges_));
    for (auto& [name, r] : ranges_) Normalize(&r);
    FORKDB_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            TableNames({a_, b_}, options_.table));
    for (const std::string& name : names) {
      bool stopped = false;
      FORKDB_RETURN_IF_ERROR(CompareTable(name, &stopped));
      if (stopped) break;
    }
    return Status();
  }

 private:
  Status CompareTable(const std::string& name, bool* stopped) {
    const std::optional<TableDef> da = a_->Find(name);
    const std::optional<TableDef> db = b_->Find(name);
    // Rows that decode alike on both sides differ only inside the changed
    // leaves; otherwise every row may differ, so both tables are read whole.
    const bool alike = da.has_value() && db.has_value() && SameRows(*da, *db);
    const Ranges* ranges = &kWholeTable;
    if (alike) {
      auto it = ranges_.find(name);
      if (it == ranges_.end()) return Status();
      ranges = &it->second;
    }
    std::optional<RangeCursor> ca, cb;
    if (da.has_value()) {
      FORKDB_ASSIGN_OR_RETURN(Table t, Table::Open(a_->pages(), *da));
      ca.emplace(a_->pages(), std::move(t));
    }
    if (db.has_value()) {
      FORKDB_ASSIGN_OR_RETURN(Table t, Table::Open(b_->pages(), *db));
      cb.emplace(b_->pages(), std::move(t));
    }
    const std::vector<std::string> a_columns =
        da.has_value() ? ColumnNames(*da) : std::vector<std::string>();
    const std::vector<std::string> b_columns =
        db.has_value() ? ColumnNames(*db) : std::vector<std::string>();
    // Rows with the same column names compare by value; SameRow looks at
    // the bytes first, which needs the same column definitions too.
    const bool same_names = a_columns == b_columns;
    const bool same_columns =
        da.has_value() && db.has_value() && da->columns == db->columns;
    const std::vector<std::string> key_columns =
        KeyColumnNames(da.has_value() ? *da : *db);
    Merger merger(
        {ca.has_value() ? &*ca : nullptr, cb.has_value() ? &*cb : nullptr});
    return merger.Run(
        *ranges,
        [&](const std::string& key, const std::vector<RangeCursor*>& at,
            const RangeCursor& any) -> Result<bool> {
          RangeCursor* a = at[0];
          RangeCursor* b = at[1];
          if (a != nullptr && b != nullptr && same_names) {
            bool same = false;
            if (same_columns) {
              FORKDB_ASSIGN_OR_RETURN(same, SameRow(a, b));
            } else {
              FORKDB_ASSIGN_OR_RETURN(const Row* ra, a->row());
              FORKDB_ASSIGN_OR_RETURN(const Row* rb, b->row());
              same = *ra == *rb;
            }
            if (same) return true;
          }
          DiffRow out;
          out.kind = a == nullptr   ? DiffKind::kAdded
                     : b == nullptr ? DiffKind::kRemoved
                                    : DiffKind::kChanged;
          out.table = (da.has_value() ? *da : *db).name;
          out.key_columns = key_columns;
          FORKDB_ASSIGN_OR_RETURN(out.key, any.table().DecodeKeyValues(key));
          out.a_columns = a_columns;
          out.b_columns = b_columns;
          FORKDB_ASSIGN_OR_RETURN(out.a, RowOf(a));
          FORKDB_ASSIGN_OR_RETURN(out.b, RowOf(b));
          return fn_(out);
        },
        stopped);
  }

  cow::Store* store_;
  State* a_;
  State* b_;
  const DiffOptions& options_;
  const DiffRowFn& fn_;
  std::map<std::string, Ranges> ranges_;  // by folded table name
};

// The pages both sorted lists hold.
std::vector<PageNo> Common(const std::vector<PageNo>& x,
                           const std::vector<PageNo>& y) {
  std::vector<PageNo> out;
  std::set_intersection(x.begin(), x.end(), y.begin(), y.end(),
                        std::back_inserter(out));
  return out;
}

}  // namespace

// ------------------------------------------------------------ Database

namespace {

// The states of a call: pinned sides (and base), loaded.
struct Compared {
  Pinned pinned;
  std::optional<State> a, b, base;

  Status Open(Database::Rep* rep, const SideRef (&sides)[2], bool need_base,
              bool chains = false) {
    FORKDB_RETURN_IF_ERROR(PinSides(rep, sides, need_base, &pinned));
    const uint32_t page_size = rep->store->block_size();
    a.emplace(pinned.snap[0], page_size, chains);
    b.emplace(pinned.snap[1], page_size, chains);
    FORKDB_RETURN_IF_ERROR(a->Load());
    FORKDB_RETURN_IF_ERROR(b->Load());
    if (need_base) {
      base.emplace(pinned.snap[2], page_size, chains);
      FORKDB_RETURN_IF_ERROR(base->Load());
    }
    return Status();
  }
};

}  // namespace

struct Database::Compare {
  // A fork name, or the view behind a compared snapshot.
  static SideRef RefOf(const CompareSide& side) {
    if (side.snapshot() == nullptr) return SideRef{side.fork(), false, nullptr};
    return SideRef{{}, true, side.snapshot()->view_.get()};
  }
};

Result<MergeBase> Database::FindMergeBase(const CompareSide& a,
                                          const CompareSide& b) {
  if (rep_ == nullptr) return Status::InvalidArgument("empty handle");
  const SideRef sides[2] = {Compare::RefOf(a), Compare::RefOf(b)};
  Pinned pinned;
  FORKDB_RETURN_IF_ERROR(PinSides(rep_.get(), sides, true, &pinned));
  return pinned.base;
}

Status Database::Divergence(const CompareSide& a, const CompareSide& b,
                            const DivergenceOptions& options,
                            const DivergentRowFn& fn) {
  if (rep_ == nullptr) return Status::InvalidArgument("empty handle");
  const SideRef sides[2] = {Compare::RefOf(a), Compare::RefOf(b)};
  Compared states;
  FORKDB_RETURN_IF_ERROR(states.Open(rep_.get(), sides, true));
  return ThreeWay(rep_->store.get(), &*states.base, &*states.a, &*states.b,
                  options, fn)
      .Run();
}

Status Database::DivergentPages(const CompareSide& a, const CompareSide& b,
                                const DivergentPageFn& fn) {
  if (rep_ == nullptr) return Status::InvalidArgument("empty handle");
  const SideRef sides[2] = {Compare::RefOf(a), Compare::RefOf(b)};
  Compared states;
  FORKDB_RETURN_IF_ERROR(states.Open(rep_.get(), sides, true, true));
  cow::Store* store = rep_->store.get();
  FORKDB_ASSIGN_OR_RETURN(
      std::vector<PageNo> da,
      store->DiffPages(states.base->root(), states.a->root()));
  FORKDB_ASSIGN_OR_RETURN(
      std::vector<PageNo> db,
      store->DiffPages(states.base->root(), states.b->root()));
  const std::vector<PageNo> both = Common(da, db);
  if (both.empty()) return Status();
  // Overflow pages are named by the leaves that hold their chains.
  std::vector<PageNo> either;
  std::set_union(da.begin(), da.end(), db.begin(), db.end(),
                 std::back_inserter(either));
  FORKDB_RETURN_IF_ERROR(states.a->MapOverflow(da, both));
  FORKDB_RETURN_IF_ERROR(states.b->MapOverflow(db, both));
  FORKDB_RETURN_IF_ERROR(states.base->MapOverflow(either, both));
  for (PageNo page : both) {
    DivergentPage out;
    out.page = page;
    std::string table[3];
    State* order[3] = {&*states.a, &*states.b, &*states.base};
    std::string* role[3] = {&out.a, &out.b, &out.base};
    for (int i = 0; i < 3; ++i) {
      FORKDB_ASSIGN_OR_RETURN(auto described, order[i]->Describe(page));
      *role[i] = std::move(described.first);
      table[i] = std::move(described.second);
    }
    out.table = !table[0].empty()   ? table[0]
                : !table[1].empty() ? table[1]
                                    : table[2];
    if (!fn(out)) break;
  }
  return Status();
}

Status Database::Diff(const CompareSide& a, const CompareSide& b,
                      const DiffOptions& options, const DiffRowFn& fn) {
  if (rep_ == nullptr) return Status::InvalidArgument("empty handle");
  const SideRef sides[2] = {Compare::RefOf(a), Compare::RefOf(b)};
  Compared states;
  FORKDB_RETURN_IF_ERROR(states.Open(rep_.get(), sides, false));
  return TwoWay(rep_->store.get(), &*states.a, &*states.b, options, fn).Run();
}

}  // namespace forkdb::engine
