// Table: the rows of one table and its secondary indexes, over the catalog's
// TableDef and the fork's B+trees (DESIGN.md, "Tables").
//
// A table is clustered by its primary key: the table tree maps
// EncodeKey(primary key values) to EncodeRow(every column by stable id). A
// table declared without a primary key keys rows by a hidden row id, one
// INTEGER taken from the TableDef's next_row_id (persisted with
// Catalog::SetNextRowId in the same savepoint as the row).
//
// A secondary index is a tree of keys EncodeKey(index column values ++
// primary key values) with empty values, so every entry is unique and names
// its row. A unique index additionally allows no two rows with equal index
// column values, except that NULLs are distinct (SQL): a row with a NULL in
// any index column never conflicts.
//
// Rows are std::vector<Value> in the table's column declaration order. On
// write each value must be NULL (unless NOT NULL) or of its column's declared
// type, except that INTEGER goes into a REAL column as a REAL and INTEGER 0/1
// into a BOOLEAN column as FALSE/TRUE (SQL.md, "Values and types"); anything
// else is InvalidArgument naming the table and column. On read, a column the
// stored row lacks (added after it was written) reads as the column's default
// or NULL, and a dropped column's field is skipped by id.
//
// Invariants (CheckTable() verifies them; tests/engine/table_test.cc):
//   1. Every table tree value decodes as a row, and re-encoding the row's
//      primary key (or hidden row id) gives the entry's key.
//   2. Every index tree holds exactly one entry per row, with key
//      EncodeKey(index values ++ primary key) and an empty value, and no
//      other entries.
//   3. No two rows of a unique index share index values free of NULLs.
//   4. Every mutating call is atomic: it runs inside a cow savepoint and
//      rolls it back on any error, so a failed call leaves rows, indexes, the
//      row id counter and the page allocator exactly as before.
//
// Thread safety: none; a Table is used by the one thread that owns its
// transaction or snapshot. A Table caches its TableDef: reopen it after a
// schema change made through the Catalog (BackfillIndex() updates it).
#ifndef FORKDB_ENGINE_TABLE_H_
#define FORKDB_ENGINE_TABLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cow/store.h"
#include "engine/btree.h"
#include "engine/catalog.h"
#include "engine/row_codec.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::engine {

class TableCursor;

enum class ScanDirection { kForward, kBackward };

class Table {
 public:
  // A writable table. `pages` must write into `txn` (savepoints); `catalog`
  // must be writable over the same transaction (the hidden row id counter).
  // InvalidArgument if `def` is not well formed. O(1).
  static Result<Table> Open(PageWriter* pages, cow::Transaction* txn,
                            Catalog* catalog, TableDef def);
  // A read-only table: every mutating call returns InvalidArgument.
  static Result<Table> Open(PageReader* pages, TableDef def);

  const TableDef& def() const { return def_; }
  // Whether rows are keyed by a hidden row id (no declared primary key).
  bool has_hidden_row_id() const { return def_.primary_key.empty(); }

  // Inserts the row and its index entries; returns the row's primary key
  // values (the hidden row id as one INTEGER). InvalidArgument for a type
  // error, a NULL in a NOT NULL column, a duplicate primary key or a unique
  // index violation. O(height x (1 + indexes)). If `stored` is given it
  // receives the row as stored (converted to the declared types).
  Result<Row> Insert(const Row& row, Row* stored = nullptr);
  // The row with this primary key (values in key column order; the hidden
  // row id as one INTEGER), or nullopt. InvalidArgument for a key of the
  // wrong arity. O(height).
  Result<std::optional<Row>> Get(std::span<const Value> key) const;
  // Replaces the row at `key` with `row`; if `row` has another primary key
  // the row moves there. Errors as Insert(), plus NotFound if there is no
  // row at `key`. O(height x (1 + indexes)). `before` and `after`, if given,
  // receive the old row and the row as stored.
  Status Update(std::span<const Value> key, const Row& row,
                Row* before = nullptr, Row* after = nullptr);
  // Deletes the row and its index entries; NotFound if absent. `before`, if
  // given, receives the deleted row.
  Status Delete(std::span<const Value> key, Row* before = nullptr);

  // A cursor over the rows with primary key in [lo, hi) (nullopt = no bound;
  // a bound may be a prefix of the key, ordered as a tuple prefix sorts
  // first), positioned at the first row in `direction`. REQUIRES: the table
  // is not written while the cursor is in use.
  Result<std::unique_ptr<TableCursor>> Scan(const std::optional<Row>& lo,
                                            const std::optional<Row>& hi,
                                            ScanDirection direction) const;

  // The primary keys of the rows whose leading index columns equal `prefix`
  // (at most the index's column count values), in index order. NotFound for
  // an unknown index. O(height + matches).
  Result<std::vector<Row>> IndexScanKeys(std::string_view index,
                                         std::span<const Value> prefix) const;
  // The primary keys of the rows whose leading index columns equal `prefix`
  // and whose next index column lies in [lo, hi] (or [lo, hi) without
  // `hi_inclusive`; a null bound is open), in index order. A bound compares
  // as Compare() does, so a NULL in the column sorts below any lo.
  // O(height + entries read).
  Result<std::vector<Row>> IndexRangeKeys(std::string_view index,
                                          std::span<const Value> prefix,
                                          const Value* lo, const Value* hi,
                                          bool hi_inclusive) const;
  // The rows IndexScanKeys() names, in the same order.
  Result<std::vector<Row>> IndexScan(std::string_view index,
                                     std::span<const Value> prefix) const;

  // Fills the (empty, newly created) index from the existing rows and adds
  // it to this handle's TableDef. InvalidArgument naming the index, with
  // nothing changed, if it is unique and two rows conflict. O(rows x height),
  // and O(rows) memory.
  Status BackfillIndex(const IndexDef& index);

  // For readers that walk the table's tree themselves (divergence reports):
  // the row an entry holds, in declaration order (a column the stored row
  // lacks reads as its default), and the key values an encoded key names.
  Result<Row> DecodeEntry(std::string_view key, std::string_view value) const {
    return DecodeStoredRow(key, value);
  }
  Result<Row> DecodeKeyValues(std::string_view key) const;

  // Invariants 1-3 plus CheckTree() of the table and index trees; Corruption
  // naming the table, index and key. O(rows x indexes).
  Status CheckTable() const;

 private:
  friend class TableCursor;

  Table(PageReader* reader, PageWriter* writer, cow::Transaction* txn,
        Catalog* catalog, TableDef def);

  template <typename Fn>
  Status Atomically(Fn&& fn);
  Status RequireWritable() const;

  // The row converted to declared types, or InvalidArgument.
  Result<Row> Normalize(const Row& row) const;
  Status CheckKeyArity(std::span<const Value> key) const;
  Row PrimaryKeyOf(const Row& row) const;
  std::vector<Type> KeyTypes() const;
  std::string EncodeStoredRow(const Row& row) const;
  Result<Row> DecodeStoredRow(std::string_view key,
                              std::string_view bytes) const;
  std::string IndexKey(const IndexDef& index, const Row& row,
                       std::span<const Value> pk) const;
  // Adds the row's entry to each index, refusing a unique conflict.
  Status AddIndexEntries(std::span<const IndexDef> indexes, const Row& row,
                         std::span<const Value> pk);
  Status AddIndexEntry(const IndexDef& index, const Row& row,
                       std::span<const Value> pk);
  Status RemoveIndexEntries(const Row& row, std::span<const Value> pk);
  // Writes a new row under a key that must be free.
  Status InsertAt(const Row& row, std::span<const Value> pk);
  Status RemoveAt(std::span<const Value> pk, const Row& old_row);
  size_t Position(uint32_t column_id) const;

  PageReader* reader_;
  PageWriter* writer_;     // null for a read-only table
  cow::Transaction* txn_;  // null for a read-only table
  Catalog* catalog_;       // null for a read-only table
  TableDef def_;
  std::vector<ColumnId> column_ids_;  // in declaration order
};

// A range scan of a table (Table::Scan). Not thread-safe.
class TableCursor {
 public:
  bool Valid() const { return valid_; }
  // REQUIRES: Valid(). The current row, in column declaration order.
  const Row& row() const { return row_; }
  // REQUIRES: Valid(). The current row's encoded primary key.
  const std::string& key() const { return key_; }
  // Moves one row in the scan's direction; Valid() turns false at the bound.
  Status Next();

 private:
  friend class Table;
  TableCursor(const Table* table, std::unique_ptr<BTreeCursor> cursor,
              std::optional<std::string> lo, std::optional<std::string> hi,
              ScanDirection direction)
      : table_(table),
        cursor_(std::move(cursor)),
        lo_(std::move(lo)),
        hi_(std::move(hi)),
        direction_(direction) {}
  Status Start();
  // Sets valid_, key_ and row_ from the tree cursor and the bounds.
  Status Load();

  const Table* table_;
  std::unique_ptr<BTreeCursor> cursor_;
  std::optional<std::string> lo_;  // inclusive
  std::optional<std::string> hi_;  // exclusive
  ScanDirection direction_;
  bool valid_ = false;
  std::string key_;
  Row row_;
};

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_TABLE_H_
