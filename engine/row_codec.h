// Row codec: how a table row is stored in a B+tree leaf, an overflow chain
// and a binlog row image. A row is a list of (column id, value) pairs. Columns
// are named by the stable ids the catalog hands out (DESIGN.md, "Catalog"), not
// by position, so a schema change never rewrites rows:
//   - a rename changes only the catalog;
//   - a dropped column's id is skipped by every decoder that no longer asks
//     for it, and the bytes go away when the row is next written;
//   - an added column is absent from rows written before it, and decoding
//     says so, so the caller supplies the column's default.
//
// Invariants (tests/engine/row_codec_test.cc names a test after each):
//   1. Canonical: fields are stored in strictly increasing column id order,
//      whatever order EncodeRow() is given them, so equal rows have equal
//      bytes and a divergence check may compare row images as bytes.
//   2. Exact: every value reads back with its type and bits (-0.0 stays -0.0,
//      a BOOLEAN stays a BOOLEAN, INTEGER 1 is not REAL 1.0).
//   3. NULL is stored, absence is not: a column that holds NULL reads back as
//      NULL, never as the default meant for a column the row predates.
//   4. Decoding trusts no byte: malformed input is Corruption, never a crash,
//      a read past the end or an allocation the input's size does not bound,
//      and every input DecodeRow() accepts is canonical: encoding what it
//      returned gives back the same bytes.
//
// Format. Varints are LEB128 (7 bits per byte, least significant first, high
// bit = more), at most 10 bytes, and never longer than needed.
//
//   offset  size      meaning
//   0       1..5      varint: number of fields n (at most the bytes that
//   follow)
//   ...     n times:  a field:
//             1..5    varint head = (delta << 3) | tag, where delta is the
//                     column id minus the previous field's id minus 1 (the
//                     first field: the column id itself)
//             ...     payload, by tag:
//
//   tag  value    payload
//   0    NULL     none
//   1    INTEGER  varint of the zigzag form: (v << 1) ^ (v >> 63), so small
//                 negative numbers stay short
//   2    REAL     8 bytes, the IEEE 754 bits little-endian; never NaN
//   3    TEXT     varint byte length, then the bytes
//   4    BLOB     varint byte length, then the bytes
//   5    FALSE    none (a BOOLEAN)
//   6    TRUE     none (a BOOLEAN)
//   7    reserved: Corruption
//
// Column ids 0, 1, 2 holding 7, NULL and 'hi' encode as 03 01 0e 00 03 02
// 68 69. The field count lets a decoder tell a row that was cut short at a
// field boundary from a row that predates a column; the checksum that catches
// flipped bits is the block's (cow/block.h).
//
// Thread safety: all functions are pure and thread-safe.
#ifndef FORKDB_ENGINE_ROW_CODEC_H_
#define FORKDB_ENGINE_ROW_CODEC_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::engine {

using ColumnId = uint32_t;

struct ColumnValue {
  ColumnId column_id = 0;
  Value value;

  friend bool operator==(const ColumnValue&, const ColumnValue&) = default;
};

// The encoding of a row's columns, in any order. REQUIRES: no two columns
// share an id. O(total size), plus O(n log n) if the ids are not ascending.
std::string EncodeRow(std::span<const ColumnValue> columns);

// Every column the row holds, in ascending id order. Corruption, naming the
// byte offset, if `row` is malformed. O(size of row).
Result<std::vector<ColumnValue>> DecodeRow(std::string_view row);

// The values of the columns `column_ids`, in that order: a value (perhaps
// NULL) for each column the row holds, nullopt for one it does not (the
// caller supplies the default). Columns the row holds that are not asked for
// are skipped. Corruption if `row` is malformed, even in a skipped column.
// O(size of row + m log m) for m ids.
Result<std::vector<std::optional<Value>>> DecodeRowColumns(
    std::string_view row, std::span<const ColumnId> column_ids);

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_ROW_CODEC_H_
