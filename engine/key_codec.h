// Key codec: the memcomparable encoding of a tuple of Values that orders every
// B+tree key, primary or secondary (DESIGN.md, "Tables"). memcmp on two
// encodings gives the same answer as CompareRows() on the tuples, so a B+tree
// compares keys as plain bytes and never decodes them to search.
//
// Invariants (tests/engine/key_codec_test.cc names a test after each):
//   1. Order: sign(memcmp(EncodeKey(a), EncodeKey(b))), shorter first on a
//      common prefix, equals sign(CompareRows(a, b)) for all tuples a and b.
//      In particular two tuples encode to the same bytes iff CompareRows() is
//      0: INTEGER 1, REAL 1.0 and TRUE share one encoding, and so do 0, 0.0,
//      -0.0 and FALSE. A unique index is therefore unique under SQL equality.
//   2. Concatenation: EncodeKey(a ++ b) == EncodeKey(a) + EncodeKey(b). A
//      key's encoding is a byte prefix of the encoding of every longer key
//      that starts with the same values, so a prefix scan is a byte-range scan.
//   3. Every tag is in [0x01, 0xfe]: for an encoded prefix p, p + "\x00"
//      sorts before and p + "\xff" after every key that extends p.
//   4. Decoding is exact given the declared types: DecodeKey(EncodeKey(a),
//      types of a) == a (value.h's operator==; -0.0 reads back as 0.0, which
//      is == to it). Without declared types a number reads back in its
//      canonical type: INTEGER if it is integral and fits in int64, else REAL.
//   5. Decoding trusts no byte: malformed input is Corruption, never a crash
//      or a read past the end, and every input DecodeKey() accepts is
//      canonical: encoding what it returned gives back the same bytes.
//
// Why one encoding for all numbers: SQL compares INTEGER and REAL by value, and
// a key that separated them by type tag would sort 2 before 1.5. The
// alternative contract, "a column's declared type fixes the type", holds today
// (SQL.md converts an INTEGER written to a REAL column), but it would leave
// mixed expressions and future index kinds to a rule nothing checks, and the
// order would still need two number formats. One exact binary-float form covers
// both types: any int64 has at most 64 significant bits and any double at most
// 53, so a 64-bit significand and a wide exponent represent both without
// rounding. The cost is that the key alone cannot tell INTEGER 2 from REAL 2.0
// (invariant 1 requires they be the same bytes), so exact types come from the
// catalog's declared types (invariant 4). The model is SQLite4's key encoding,
// which also gives every number one tag, in decimal; binary keeps doubles
// exact.
//
// NaN never reaches a key: Value::Real(NaN) is NULL (value.h, invariant 2),
// so there is nothing to order, and no byte string decodes to NaN.
//
// Format. A key is the concatenation of its values' encodings, first column
// first; the empty tuple is no bytes. Each value opens with a tag:
//
//   tag   value                               followed by
//   0x05  NULL                                nothing
//   0x10  -Inf                                nothing
//   0x11  negative finite number              exponent, mantissa (see below),
//                                             every byte complemented (~)
//   0x12  zero: 0, 0.0, -0.0, FALSE           nothing
//   0x13  positive finite number              exponent, mantissa
//   0x14  +Inf                                nothing
//   0x20  TEXT                                escaped bytes, then 0x00 0x01
//   0x30  BLOB                                escaped bytes, then 0x00 0x01
//
// A finite nonzero number is |x| = s * 2^(e - 63), where the significand s is
// a 64-bit integer with its top bit set and e = floor(log2 |x|), from -1074
// (the least denormal double) to 1023 (the greatest double).
//
//   offset  size  meaning
//   0       1     tag 0x11 or 0x13
//   1       2     e + 1074, big-endian (0 .. 2097)
//   3       1..9  the 63 bits of s below its top bit, 7 at a time, most
//                 significant first: byte = (7 bits << 1) | more, where more
//                 is 1 on every byte but the last. Trailing all-zero groups
//                 are dropped, except that at least one byte is written.
//
// A larger exponent means a larger magnitude; at equal exponents the groups
// compare like the bits they hold, and where one mantissa ends (more = 0) the
// other continues with the same 7 bits (more = 1) and is larger. A negative
// number complements all bytes after its tag, which reverses that order.
// Examples: 1 = 13 04 32 00; 1.5 = 13 04 32 80; -1 = 11 fb cd ff;
// 2^63 - 1 = 13 04 70 ff ff ff ff ff ff ff ff fc.
//
// TEXT and BLOB escape each 0x00 byte as 0x00 0xff and end with 0x00 0x01, so
// a string sorts before its extensions: 'a' = 20 61 00 01 < 'a\0' =
// 20 61 00 ff 00 01 < 'ab' = 20 61 62 00 01.
//
// Thread safety: all functions are pure and thread-safe.
#ifndef FORKDB_ENGINE_KEY_CODEC_H_
#define FORKDB_ENGINE_KEY_CODEC_H_

#include <span>
#include <string>
#include <string_view>

#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::engine {

// Appends the encoding of one value to *out. O(size of the value).
void AppendKeyValue(std::string* out, const Value& value);

// The encoding of the tuple `values`. O(total size).
std::string EncodeKey(std::span<const Value> values);

// The values encoded in `key`, numbers in their canonical type (invariant 4).
// Corruption, naming the byte offset, if `key` is not a canonical encoding.
// O(size of key).
Result<Row> DecodeKey(std::string_view key);

// The values encoded in `key`, which must be exactly types.size() values each
// NULL or of its declared type; a number is converted to the declared type
// only if that is exact (REAL 0.5 in an INTEGER column, 2 in a BOOLEAN column
// or 2^53 + 1 in a REAL column are Corruption). O(size of key).
Result<Row> DecodeKey(std::string_view key, std::span<const Type> types);

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_KEY_CODEC_H_
