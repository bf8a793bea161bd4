// Value: one SQL value as the engine stores, compares and shows it (SQL.md,
// "Values and types"). Keys are encoded from Values (engine/key_codec.h), rows
// too (engine/row_codec.h), so the order and equality defined here are the ones
// every B+tree and every divergence report uses.
//
// Invariants:
//   1. type() names exactly one representation: kNull holds nothing, kInteger
//      an int64, kBoolean an int64 that is 0 or 1, kReal a double, kText and
//      kBlob a byte string; the fields a type does not use stay zero or empty
//      (IsWellFormed() checks it).
//   2. A REAL value is never NaN. Value::Real(NaN) is NULL, as in SQLite
//      (sqlite3VdbeMemSetDouble), so Compare() is a total order with no
//      unordered element and every encoding can rely on it.
//   3. Compare() is a total order that follows SQLite's sort order: NULL first,
//      then numbers, then TEXT, then BLOB. Numbers (INTEGER, BOOLEAN, REAL)
//      compare by exact numeric value across types, with no rounding:
//      INTEGER 9007199254740993 > REAL 9007199254740992.0, -0.0 == 0.0 == 0,
//      TRUE == 1. TEXT and BLOB compare bytewise (memcmp, then shorter first).
//   4. operator== holds iff the types are the same and Compare() is 0: it is
//      identity for storage purposes (INTEGER 1 != REAL 1.0), while Compare()
//      is SQL equality (INTEGER 1 = REAL 1.0). -0.0 == 0.0 under both.
#ifndef FORKDB_VALUE_H_
#define FORKDB_VALUE_H_

#include <bit>
#include <cassert>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forkdb::engine {

// A value's type. BOOLEAN is its own type in memory and in rows so that a
// BOOLEAN column reads back TRUE/FALSE, but it is the number 0 or 1 for
// Compare() and in keys (SQL.md: "stored as INTEGER 0/1").
enum class Type : uint8_t {
  kNull = 0,
  kInteger,
  kReal,
  kText,
  kBlob,
  kBoolean,
};

// "NULL", "INTEGER", "REAL", "TEXT", "BLOB", "BOOLEAN": for error messages.
const char* TypeName(Type type);

class Value {
 public:
  // NULL.
  Value() = default;

  static Value Null() { return Value(); }
  static Value Integer(int64_t v) { return Value(Type::kInteger, v); }
  // NULL if `v` is NaN (invariant 2); every other double, including -0.0,
  // infinities and denormals, is kept bit for bit.
  static Value Real(double v);
  // `v` should be UTF-8; it is not checked (SQLite does not either), and all
  // orders treat it as bytes.
  static Value Text(std::string v) { return Value(Type::kText, std::move(v)); }
  static Value Blob(std::string bytes) {
    return Value(Type::kBlob, std::move(bytes));
  }
  static Value Boolean(bool v) {
    return Value(Type::kBoolean, int64_t{v ? 1 : 0});
  }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  // INTEGER, REAL or BOOLEAN: the types Compare() orders numerically.
  bool is_numeric() const {
    return type_ == Type::kInteger || type_ == Type::kReal ||
           type_ == Type::kBoolean;
  }

  // REQUIRES: type() is kInteger or kBoolean (a boolean is 0 or 1).
  int64_t integer() const {
    assert(type_ == Type::kInteger || type_ == Type::kBoolean);
    return static_cast<int64_t>(bits_);
  }
  // REQUIRES: type() == kReal.
  double real() const {
    assert(type_ == Type::kReal);
    return std::bit_cast<double>(bits_);
  }
  // REQUIRES: type() == kBoolean.
  bool boolean() const {
    assert(type_ == Type::kBoolean);
    return bits_ != 0;
  }
  // REQUIRES: type() == kText.
  const std::string& text() const {
    assert(type_ == Type::kText);
    return bytes_;
  }
  // REQUIRES: type() == kBlob.
  const std::string& blob() const {
    assert(type_ == Type::kBlob);
    return bytes_;
  }
  // The bytes of a TEXT or BLOB value. REQUIRES: type() is kText or kBlob.
  std::string_view bytes() const {
    assert(type_ == Type::kText || type_ == Type::kBlob);
    return bytes_;
  }

  // A SQL-literal-like rendering for display and error messages:
  // NULL, 42, -7, 1.5, 1.0 (a REAL always shows a '.', an exponent or Inf),
  // 1e+300, Inf, -Inf, 'it''s', x'0aff', TRUE, FALSE. A REAL is printed with
  // the fewest digits that read back to the same double. O(size).
  std::string ToString() const;

  // Invariant 1 (and 2), for asserts and `forkdb check`.
  bool IsWellFormed() const;

 private:
  Value(Type type, int64_t v) : type_(type), bits_(static_cast<uint64_t>(v)) {}
  Value(Type type, double v) : type_(type), bits_(std::bit_cast<uint64_t>(v)) {}
  Value(Type type, std::string v) : type_(type), bytes_(std::move(v)) {}

  // Plain fields rather than a std::variant: one number field serves INTEGER,
  // BOOLEAN and REAL, and GCC 12 reports false maybe-uninitialized warnings
  // on a variant holding a std::string.
  Type type_ = Type::kNull;
  uint64_t bits_ = 0;  // INTEGER and BOOLEAN: the int64; REAL: the double
  std::string bytes_;  // TEXT and BLOB
};

// Negative, zero or positive as a sorts before, with or after b under the
// total order of invariant 3. Thread-safe; O(1) for numbers, O(size) for
// TEXT and BLOB.
int Compare(const Value& a, const Value& b);

// Lexicographic Compare() of two tuples; a proper prefix sorts first.
int CompareRows(std::span<const Value> a, std::span<const Value> b);

// Invariant 4: same type and Compare() == 0.
bool operator==(const Value& a, const Value& b);

// Writes ToString(); lets a Value go into a Status message or a gtest output.
std::ostream& operator<<(std::ostream& out, const Value& v);

// The values of one row, in the order their context defines (a table's
// columns, a key's columns).
using Row = std::vector<Value>;

}  // namespace forkdb::engine

#endif  // FORKDB_VALUE_H_
