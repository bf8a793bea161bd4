// Divergence between forks (DESIGN.md, "Divergence detection"): what two
// forks changed since their histories split, and how their rows differ now.
// Database::FindMergeBase, Divergence, DivergentPages and Diff (in
// forkdb/database.h) report with the types below.
//
// The merge base of two sides is their common ancestor in the fork tree:
// where one descends from the other, the descendant's fork point; for two
// forks of one parent made at different times, the parent's state at the
// earlier fork point; a snapshot counts as its fork at the snapshot's commit.
//
// Three-way rules, per table name. A table is unchanged on a side if it is
// the same table as in the base (same table id and root page: the engine
// keeps both for a table's life) with the same declaration (name, columns
// with their ids, types, constraints and defaults, primary key, and the set
// of indexes by name, columns and uniqueness), or absent in both.
//   - unchanged on both sides: every row whose image differs from the
//     base's on both sides, and differs between the sides, is divergent:
//     update/update, update/delete, delete/update or insert/insert. With
//     `cell_level`, an update/update is divergent only if some column was
//     changed on both sides to different values.
//   - changed on both sides to the same declaration: as above, with the
//     base's rows read under the new declaration by column id (a column the
//     base row lacks reads as its default) if all three are the same table,
//     and with no base rows otherwise (a table made on both sides, say).
//   - changed on one side only (created, dropped, altered, re-created): one
//     `schema` record if the other side changed any row of the table; none
//     otherwise.
//   - changed on both sides differently: one `schema` record.
// Rows are compared with Value's operator== column by column; keys by their
// encoded form.
//
// Cost: the page maps of both sides are diffed against the base's, skipping
// every shared subtree; each changed leaf gives a key range; rows are read
// only where ranges of both sides overlap. O(changes), flat in table size.
#ifndef FORKDB_DIVERGENCE_H_
#define FORKDB_DIVERGENCE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/schema.h"
#include "forkdb/value.h"

namespace forkdb::engine {

class Snapshot;

// One side of a comparison: a fork's committed state when the call starts,
// or a snapshot's state. Converts implicitly from either.
class CompareSide {
 public:
  CompareSide(std::string_view fork) : fork_(fork) {}              // NOLINT
  CompareSide(const char* fork) : fork_(fork) {}                   // NOLINT
  CompareSide(const std::string& fork) : fork_(fork) {}            // NOLINT
  CompareSide(const Snapshot& snapshot) : snapshot_(&snapshot) {}  // NOLINT

  const Snapshot* snapshot() const { return snapshot_; }
  std::string_view fork() const { return fork_; }

 private:
  std::string_view fork_;
  const Snapshot* snapshot_ = nullptr;
};

// The common ancestor: fork `fork` (id `fork_id`; `fork` is empty if that
// fork was dropped since) after `commit_seq` of its commits.
struct MergeBase {
  std::string fork;
  uint64_t fork_id = 0;
  uint64_t commit_seq = 0;
};

enum class DivergenceKind {
  kUpdateUpdate,  // both sides changed the row, differently
  kUpdateDelete,  // a changed it, b deleted it
  kDeleteUpdate,  // a deleted it, b changed it
  kInsertInsert,  // both inserted the key, with different rows
  kSchema,        // the table's schema (see the rules above)
};
// "update/update", "update/delete", "delete/update", "insert/insert",
// "schema".
std::string_view DivergenceKindName(DivergenceKind kind);

// One divergent row (or, for kSchema, one table). `key` holds the primary
// key's values in key column order, named by `key_columns` (the hidden row
// id is one INTEGER named "rowid"); the images hold every column of the
// compared schema, named by `columns`; an absent image means no row on that
// side. For kSchema: `key`, `columns` and the images are empty, and the
// schemas are the table's definitions (absent where the table is).
struct DivergentRow {
  DivergenceKind kind = DivergenceKind::kUpdateUpdate;
  std::string table;
  std::vector<std::string> key_columns;
  Row key;
  std::vector<std::string> columns;
  std::optional<Row> base;
  std::optional<Row> a;
  std::optional<Row> b;
  std::optional<TableDef> base_schema;
  std::optional<TableDef> a_schema;
  std::optional<TableDef> b_schema;
};

struct DivergenceOptions {
  // Empty: every table. Otherwise that table alone (NotFound if none of the
  // compared states has it).
  std::string table;
  bool cell_level = false;  // compare updates column by column
};

// One logical page written on both sides since the merge base. `base`, `a`
// and `b` say what the page holds in each state: "<table> leaf", "<table>
// internal", "<table> overflow", "index <name> leaf" (or internal,
// overflow), "catalog ...", "binlog ...", "replication ...", "meta",
// "free", "overflow" (a chain no changed leaf names), "unmapped". `table`
// is the user table the page belongs to in a, else in b, else in the base;
// empty if none.
struct DivergentPage {
  uint64_t page = 0;
  std::string table;
  std::string base;
  std::string a;
  std::string b;
};

enum class DiffKind {
  kAdded,    // the row is in b only
  kRemoved,  // the row is in a only
  kChanged,  // in both, with different values
};
// "added", "removed", "changed".
std::string_view DiffKindName(DiffKind kind);

// One row whose current value differs between a and b. Images hold every
// column of that side's schema, named by `a_columns` / `b_columns`; two rows
// differ if their column names or values do. Tables whose columns are
// defined alike on both sides are compared through the page-map diff,
// O(changes); a table whose columns differ (or that was re-created) is read
// whole on both sides. A table one side lacks reports all its rows.
struct DiffRow {
  DiffKind kind = DiffKind::kChanged;
  std::string table;
  std::vector<std::string> key_columns;
  Row key;
  std::vector<std::string> a_columns;
  std::vector<std::string> b_columns;
  std::optional<Row> a;
  std::optional<Row> b;
};

struct DiffOptions {
  std::string table;  // as DivergenceOptions::table
};

// Receivers of a stream of records: return false to stop early.
using DivergentRowFn = std::function<bool(const DivergentRow&)>;
using DivergentPageFn = std::function<bool(const DivergentPage&)>;
using DiffRowFn = std::function<bool(const DiffRow&)>;

}  // namespace forkdb::engine

#endif  // FORKDB_DIVERGENCE_H_
