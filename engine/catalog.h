// Catalog: the schema of one fork (DESIGN.md, "Catalog"). It is a B+tree in
// the fork's own pages, so a fork carries its schema with it and each fork's
// schema then diverges independently; commit and abort apply to it as to rows.
//
// The catalog tree's root page is kept in root slot kCatalogRootSlot (0) of the
// meta page (engine/btree.h). A fork whose slot is 0 has an empty catalog; the
// first Catalog::Open() through a PageWriter creates the tree and sets the
// slot.
//
// Entries (keys are bytes; names are folded to ASCII lower case, because SQL
// identifiers are case-insensitive; the name is stored as given):
//
//   key                 value
//   "g"                 the global entry (format below)
//   "t" + folded name   one table's TableDef (format below)
//
// Index names are unique across the fork (DROP INDEX names no table), and are
// found by scanning the tables, which is O(tables); catalogs are small.
//
// Global entry, little-endian:
//
//   offset  size  meaning
//   0       1     format version: 1
//   1       8     global schema version: bumped by every successful change
//   9       4     next table id (ids start at 1, never reused)
//   13      4     next index id (ids start at 1, never reused, fork-wide)
//
// TableDef entry, little-endian; a name is a 2-byte length then its bytes:
//
//   offset  size  meaning
//   0       1     format version: 1
//   1       4     table id
//   5       8     root page of the table's B+tree
//   13      8     next row id (for the hidden row id of a table with no
//                 primary key)
//   21      8     table schema version
//   29      4     next column id (column ids are never reused in a table)
//   33      2+n   table name
//   ...     2     column count c, then c columns, in declaration order:
//             4     column id
//             2+n   column name
//             1     type (forkdb::engine::Type; 1..5, never kNull)
//             1     flags: bit 0 = NOT NULL, bit 1 = has a default
//             4+n   if it has a default: byte length, then the default as a
//                   one-field row (engine/row_codec.h) under column id 0
//   ...     2     primary key column count k, then k column ids (4 each);
//                 k = 0 means the table keys rows by a hidden row id
//   ...     2     index count x, then x indexes:
//             4     index id
//             2+n   index name
//             1     1 if unique, else 0
//             8     root page of the index's B+tree
//             2     column count, then the column ids (4 each)
//   end           no trailing bytes
//
// Invariants (tests/engine/catalog_test.cc checks each; TableDef::
// IsWellFormed() and the decoders verify 1-5, Corruption on stored bytes):
//   1. Column ids in a table are distinct and below next_column_id; column
//      names are distinct after folding.
//   2. Primary key and index column ids name columns of the table, with no
//      repeats within one key; an index has at least one column.
//   3. Every table and index root is a page other than the meta page; a
//      default value has the column's type (an INTEGER default of a REAL
//      column is stored as a REAL) or is NULL, unless AlterColumnType changed
//      the type afterwards (defaults are then converted by the table layer).
//   4. A table entry's key is "t" + the folded name of the table it holds;
//      table and index names are 1..kMaxNameSize bytes.
//   5. Table ids are below the global next table id, index ids below the
//      global next index id; index names are distinct across the catalog.
//   6. Every mutating call is atomic: it runs inside a cow savepoint and rolls
//      it back on any error, so a failed call leaves the pages unchanged.
//   7. Every change bumps the changed table's schema_version and the global
//      schema version by one.
//
// Thread safety: none; a Catalog is used by the one thread that owns its
// transaction or snapshot. It keeps no state between calls (every call reads
// the tree), so rolling back the transaction never leaves it stale.
#ifndef FORKDB_ENGINE_CATALOG_H_
#define FORKDB_ENGINE_CATALOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cow/store.h"
#include "engine/btree.h"
#include "forkdb/schema.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::engine {

inline constexpr int kCatalogRootSlot = 0;
inline constexpr uint8_t kCatalogFormatVersion = 1;
inline constexpr size_t kMaxNameSize = 128;
inline constexpr size_t kMaxColumns = 4096;

// The entry formats above. DecodeTableDef() returns Corruption for any byte
// string that is not a well-formed encoding, never crashes, and accepts only
// canonical bytes (re-encoding gives the same bytes). O(size).
std::string EncodeTableDef(const TableDef& def);
Result<TableDef> DecodeTableDef(std::string_view bytes);

class Catalog {
 public:
  // A writable catalog. `pages` must write into `txn`, which the catalog
  // uses for its savepoints. Creates the catalog tree if the fork has none
  // (so Open itself writes on a fresh fork). Corruption if the root slot or
  // the global entry is bad. O(height).
  static Result<Catalog> Open(PageWriter* pages, cow::Transaction* txn);
  // A read-only catalog; a fork with no catalog tree reads as empty. Every
  // mutating call returns InvalidArgument.
  static Result<Catalog> Open(PageReader* pages);

  // The catalog tree's root page; 0 for a read-only catalog of a fork that
  // has none.
  PageNo root() const { return root_; }

  // Global schema version: 0 for a fresh catalog.
  Result<uint64_t> SchemaVersion() const;

  // Creates the table and its empty B+tree, assigning the table id and column
  // ids 0, 1, ... in declaration order. InvalidArgument if a table of that
  // name exists, a name is empty or too long, two columns share a name, a
  // column's type is NULL, a default does not fit its column's type, or the
  // primary key names an unknown column or one column twice. Secondary
  // indexes (UNIQUE constraints too) are made with CreateIndex() after, in
  // the same transaction. O(height).
  Result<TableDef> CreateTable(const TableSpec& spec);
  // Drops the table entry and frees its B+tree and its index trees.
  // NotFound if there is no such table. O(pages of the table).
  Status DropTable(std::string_view name);
  // NotFound if absent; Corruption for bad bytes. O(height).
  Result<TableDef> GetTable(std::string_view name) const;
  // Every table, in folded-name order. O(catalog size).
  Result<std::vector<TableDef>> ListTables() const;

  // Creates an empty index B+tree on the table's columns (by name). Filling
  // it from the table's existing rows, and enforcing `unique`, is the table
  // layer's job, in the same transaction. NotFound for an unknown table;
  // InvalidArgument for a taken index name, no columns, an unknown or
  // repeated column. O(tables) for the fork-wide name check.
  Result<IndexDef> CreateIndex(std::string_view table, std::string_view name,
                               const std::vector<std::string>& columns,
                               bool unique);
  // Drops the index and frees its tree. NotFound if no table has it.
  // O(tables + index pages).
  Status DropIndex(std::string_view name);

  // Metadata only: rows, index trees and ids are untouched. NotFound for an
  // unknown table or column; InvalidArgument if the new name is taken (a
  // change of case only is allowed) or malformed.
  Status RenameTable(std::string_view old_name, std::string_view new_name);
  Status RenameColumn(std::string_view table, std::string_view old_name,
                      std::string_view new_name);
  // Appends the column with a new id (the given id is ignored) and returns
  // it. Rows written before it lack it; readers supply the default.
  // InvalidArgument for a taken name, a NULL type, a default not fitting the
  // type, or NOT NULL without a non-NULL default (old rows would break it).
  Result<ColumnDef> AddColumn(std::string_view table, const ColumnDef& column);
  // Removes the column from the table's definition; its id is never reused.
  // InvalidArgument if it is a primary-key column, is used by an index, or
  // is the table's last column.
  Status DropColumn(std::string_view table, std::string_view column);
  // Records the new type. Whether existing values convert is for the table
  // layer to decide later. InvalidArgument for the NULL type.
  Status AlterColumnType(std::string_view table, std::string_view column,
                         Type type);

  // Sets the table's next hidden row id (the table layer's counter).
  // InvalidArgument if it would go backwards. Does not bump versions.
  Status SetNextRowId(std::string_view table, uint64_t next_row_id);

  // The catalog root and every table and index root, for CheckPageSpace().
  Result<std::vector<PageNo>> TreeRoots() const;
  // Invariants 1-5 over the whole catalog, plus CheckTree() on its tree.
  Status Check() const;

 private:
  struct Global {
    uint64_t schema_version = 0;
    uint32_t next_table_id = 1;
    uint32_t next_index_id = 1;
  };

  Catalog(PageReader* reader, PageWriter* writer, cow::Transaction* txn,
          PageNo root)
      : reader_(reader), writer_(writer), txn_(txn), root_(root) {}

  // Runs `fn` inside a savepoint: released on success, rolled back on error.
  template <typename Fn>
  Status Atomically(Fn&& fn);
  Status RequireWritable() const;
  Result<Global> ReadGlobal() const;
  Status WriteGlobal(const Global& global);
  Result<TableDef> Load(std::string_view name) const;
  // Writes `def` under its (possibly new) name, bumping both versions.
  Status StoreChanged(TableDef def, Global* global);

  PageReader* reader_;
  PageWriter* writer_;     // null for a read-only catalog
  cow::Transaction* txn_;  // null for a read-only catalog
  PageNo root_;
};

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_CATALOG_H_
