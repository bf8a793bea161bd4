// Schema types of the public API: a table's columns, primary key and
// indexes as the catalog stores them (engine/catalog.h has the format).
//
// Names are case-insensitive (FoldName); a column's id is stable for the
// table's life and never reused, so renaming a column is metadata only and
// rows written before a rename read the same after it. Root page numbers are
// the B+trees' places in the fork's logical pages; callers need not use them.
#ifndef FORKDB_SCHEMA_H_
#define FORKDB_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/value.h"

namespace forkdb::engine {

struct ColumnDef {
  uint32_t id = 0;  // stable; never reused within a table
  std::string name;
  Type type = Type::kInteger;
  bool not_null = false;
  std::optional<Value> default_value;

  friend bool operator==(const ColumnDef&, const ColumnDef&) = default;
};

struct IndexDef {
  uint32_t id = 0;
  std::string name;
  std::vector<uint32_t> columns;  // column ids, in key order
  bool unique = false;
  uint64_t root = 0;  // root page of the index's B+tree

  friend bool operator==(const IndexDef&, const IndexDef&) = default;
};

struct TableDef {
  uint32_t id = 0;
  std::string name;
  std::vector<ColumnDef> columns;     // in declaration order
  std::vector<uint32_t> primary_key;  // column ids; empty = hidden row id
  uint64_t root = 0;                  // root page of the table's B+tree
  std::vector<IndexDef> indexes;
  uint32_t next_column_id = 0;
  uint64_t next_row_id = 1;
  uint64_t schema_version = 0;

  friend bool operator==(const TableDef&, const TableDef&) = default;

  // The column with this (case-insensitive) name or id; null if none.
  const ColumnDef* FindColumn(std::string_view name) const;
  const ColumnDef* FindColumnById(uint32_t id) const;
  const IndexDef* FindIndex(std::string_view name) const;
  // Invariants 1-4 for this table alone, for asserts and `forkdb check`.
  bool IsWellFormed() const;
};

// A column in one line: Column("name", Type::kText, /*not_null=*/true).
inline ColumnDef Column(std::string name, Type type, bool not_null = false,
                        std::optional<Value> default_value = std::nullopt) {
  ColumnDef c;
  c.name = std::move(name);
  c.type = type;
  c.not_null = not_null;
  c.default_value = std::move(default_value);
  return c;
}

// What CreateTable() takes: a table before the catalog numbers it. Column ids
// in `columns` are ignored; the primary key names columns by name.
struct TableSpec {
  std::string name;
  std::vector<ColumnDef> columns;
  std::vector<std::string> primary_key;  // empty = hidden row id
};

// ASCII lower case: the lookup form of an identifier.
std::string FoldName(std::string_view name);

}  // namespace forkdb::engine

#endif  // FORKDB_SCHEMA_H_
