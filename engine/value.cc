// Value: construction, display and the total order (see forkdb/value.h for the
// invariants cited here).
#include "forkdb/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>
#include <system_error>

namespace forkdb::engine {
namespace {

// 2^63: the first double above every int64. Doubles at or beyond it compare
// without converting, because converting them to int64 would overflow.
constexpr double kTwoPow63 = 9223372036854775808.0;

// Where a type sorts among the classes of invariant 3.
int ClassRank(Type type) {
  switch (type) {
    case Type::kNull:
      return 0;
    case Type::kInteger:
    case Type::kReal:
    case Type::kBoolean:
      return 1;
    case Type::kText:
      return 2;
    case Type::kBlob:
      return 3;
  }
  assert(false && "unknown Type");
  return 0;
}

template <typename T>
int ThreeWay(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Exact comparison of an int64 with a double that is not NaN. Converting the
// int64 to double would round above 2^53, so instead the double is split into
// its integral part, which is exact in int64 whenever it is in range, and a
// fraction that only breaks ties.
int CompareIntegerReal(int64_t i, double d) {
  assert(!std::isnan(d));
  if (d >= kTwoPow63) return -1;  // also +Inf
  if (d < -kTwoPow63) return 1;   // also -Inf
  const double whole = std::trunc(d);
  const int64_t whole_i = static_cast<int64_t>(whole);  // exact: in range
  assert(static_cast<double>(whole_i) == whole);
  if (i != whole_i) return ThreeWay(i, whole_i);
  return ThreeWay(whole, d);  // i == trunc(d): the fraction decides
}

// REQUIRES: both numeric (INTEGER, REAL or BOOLEAN).
int CompareNumbers(const Value& a, const Value& b) {
  assert(a.is_numeric());
  assert(b.is_numeric());
  const bool a_real = a.type() == Type::kReal;
  const bool b_real = b.type() == Type::kReal;
  if (a_real && b_real) return ThreeWay(a.real(), b.real());  // -0.0 == 0.0
  if (!a_real && !b_real) return ThreeWay(a.integer(), b.integer());
  if (b_real) return CompareIntegerReal(a.integer(), b.real());
  return -CompareIntegerReal(b.integer(), a.real());
}

void AppendReal(std::string* out, double d) {
  assert(!std::isnan(d));
  if (std::isinf(d)) {
    out->append(d < 0 ? "-Inf" : "Inf");
    return;
  }
  char buf[64];
  // Without a precision, to_chars writes the shortest string that reads back
  // to the same double.
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  assert(ec == std::errc());
  const std::string_view digits(buf, static_cast<size_t>(end - buf));
  out->append(digits);
  // Keep a REAL visibly a REAL: 1.0, not 1 (SQLite shows it the same way).
  if (digits.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

}  // namespace

const char* TypeName(Type type) {
  switch (type) {
    case Type::kNull:
      return "NULL";
    case Type::kInteger:
      return "INTEGER";
    case Type::kReal:
      return "REAL";
    case Type::kText:
      return "TEXT";
    case Type::kBlob:
      return "BLOB";
    case Type::kBoolean:
      return "BOOLEAN";
  }
  return "UNKNOWN";
}

Value Value::Real(double v) {
  if (std::isnan(v)) return Value();  // invariant 2
  Value value(Type::kReal, v);
  assert(value.IsWellFormed());
  return value;
}

std::string Value::ToString() const {
  assert(IsWellFormed());
  std::string out;
  switch (type_) {
    case Type::kNull:
      out = "NULL";
      break;
    case Type::kInteger:
      out = std::to_string(integer());
      break;
    case Type::kReal:
      AppendReal(&out, real());
      break;
    case Type::kBoolean:
      out = boolean() ? "TRUE" : "FALSE";
      break;
    case Type::kText:
      out.reserve(text().size() + 2);
      out.push_back('\'');
      for (char c : text()) {
        if (c == '\'') out.push_back('\'');  // SQL doubles a quote
        out.push_back(c);
      }
      out.push_back('\'');
      break;
    case Type::kBlob: {
      static constexpr char kHex[] = "0123456789abcdef";
      out.reserve(blob().size() * 2 + 3);
      out.append("x'");
      for (char c : blob()) {
        const auto byte = static_cast<uint8_t>(c);
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xf]);
      }
      out.push_back('\'');
      break;
    }
  }
  return out;
}

bool Value::IsWellFormed() const {
  switch (type_) {
    case Type::kNull:
      return bits_ == 0 && bytes_.empty();
    case Type::kInteger:
      return bytes_.empty();
    case Type::kBoolean:
      return (bits_ == 0 || bits_ == 1) && bytes_.empty();
    case Type::kReal:
      return !std::isnan(std::bit_cast<double>(bits_)) && bytes_.empty();
    case Type::kText:
    case Type::kBlob:
      return bits_ == 0;
  }
  return false;
}

int Compare(const Value& a, const Value& b) {
  assert(a.IsWellFormed());
  assert(b.IsWellFormed());
  const int rank_a = ClassRank(a.type());
  const int rank_b = ClassRank(b.type());
  if (rank_a != rank_b) return ThreeWay(rank_a, rank_b);
  switch (a.type()) {
    case Type::kNull:
      return 0;
    case Type::kInteger:
    case Type::kReal:
    case Type::kBoolean:
      return CompareNumbers(a, b);
    case Type::kText:
    case Type::kBlob:
      // string_view compares as unsigned bytes, shorter prefix first.
      return ThreeWay(a.bytes().compare(b.bytes()), 0);
  }
  assert(false && "unknown Type");
  return 0;
}

int CompareRows(std::span<const Value> a, std::span<const Value> b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = Compare(a[i], b[i]); c != 0) return c;
  }
  return ThreeWay(a.size(), b.size());
}

bool operator==(const Value& a, const Value& b) {
  return a.type() == b.type() && Compare(a, b) == 0;
}

std::ostream& operator<<(std::ostream& out, const Value& v) {
  return out << v.ToString();
}

}  // namespace forkdb::engine
