// Key codec: see engine/key_codec.h for the format and the invariants cited
// here.
#include "engine/key_codec.h"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

namespace forkdb::engine {
namespace {

constexpr uint8_t kTagNull = 0x05;
constexpr uint8_t kTagNegativeInfinity = 0x10;
constexpr uint8_t kTagNegative = 0x11;
constexpr uint8_t kTagZero = 0x12;
constexpr uint8_t kTagPositive = 0x13;
constexpr uint8_t kTagPositiveInfinity = 0x14;
constexpr uint8_t kTagText = 0x20;
constexpr uint8_t kTagBlob = 0x30;

// Invariant 3: prefix + 0x00 and prefix + 0xff bound every extension.
static_assert(kTagNull > 0x00 && kTagBlob < 0xff);
// Invariant 1: the tags sort as the classes of value.h's invariant 3.
static_assert(kTagNull < kTagNegativeInfinity);
static_assert(kTagNegativeInfinity < kTagNegative && kTagNegative < kTagZero);
static_assert(kTagZero < kTagPositive && kTagPositive < kTagPositiveInfinity);
static_assert(kTagPositiveInfinity < kTagText && kTagText < kTagBlob);

constexpr int kExponentMin = -1074;  // the least denormal double is 2^-1074
constexpr int kExponentMax = 1023;   // the greatest double is below 2^1024
constexpr int kExponentBias = -kExponentMin;
constexpr int kGroupBits = 7;
constexpr int kGroupsMax = 9;  // the 63 bits below the significand's top bit
static_assert(kGroupBits * kGroupsMax == 63);
static_assert(kExponentMax + kExponentBias <= 0xffff);

// The escape that follows a 0x00 byte inside TEXT or BLOB.
constexpr uint8_t kEscapedZero = 0xff;
constexpr uint8_t kTerminator = 0x01;

constexpr uint64_t kTopBit = uint64_t{1} << 63;

// A finite nonzero number, exactly: |x| = significand * 2^(exponent - 63).
struct Binary {
  bool negative = false;
  int exponent = 0;
  uint64_t significand = 0;  // top bit set

  bool IsWellFormed() const {
    return (significand & kTopBit) != 0 && exponent >= kExponentMin &&
           exponent <= kExponentMax;
  }
};

// REQUIRES: i != 0.
Binary FromInteger(int64_t i) {
  assert(i != 0);
  // Unsigned negation: |INT64_MIN| = 2^63 fits.
  const uint64_t magnitude =
      i < 0 ? uint64_t{0} - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
  const int zeros = std::countl_zero(magnitude);
  Binary b{i < 0, 63 - zeros, magnitude << zeros};
  assert(b.IsWellFormed());
  return b;
}

// REQUIRES: d is finite and nonzero.
Binary FromDouble(double d) {
  assert(std::isfinite(d));
  assert(d != 0);
  const auto bits = std::bit_cast<uint64_t>(d);
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  const uint64_t fraction = bits & ((uint64_t{1} << 52) - 1);
  Binary b;
  b.negative = (bits >> 63) != 0;
  if (biased == 0) {  // denormal: fraction * 2^-1074
    const int zeros = std::countl_zero(fraction);
    b.exponent = kExponentMin + 63 - zeros;
    b.significand = fraction << zeros;
  } else {  // (2^52 + fraction) * 2^(biased - 1075)
    b.exponent = biased - 1023;
    b.significand = (fraction | (uint64_t{1} << 52)) << 11;
  }
  assert(b.IsWellFormed());
  return b;
}

// The int64 equal to b, if there is one.
std::optional<int64_t> ToInteger(const Binary& b) {
  assert(b.IsWellFormed());
  if (b.exponent < 0) return std::nullopt;  // 0 < |x| < 1
  if (b.exponent == 63) {
    if (b.negative && b.significand == kTopBit) return INT64_MIN;
    return std::nullopt;
  }
  if (b.exponent > 63) return std::nullopt;
  const int shift = 63 - b.exponent;
  if ((b.significand & ((uint64_t{1} << shift) - 1)) != 0) return std::nullopt;
  const uint64_t magnitude = b.significand >> shift;  // < 2^63
  const auto i = static_cast<int64_t>(magnitude);
  return b.negative ? -i : i;
}

// The double equal to b, if there is one.
std::optional<double> ToDouble(const Binary& b) {
  assert(b.IsWellFormed());
  const int zeros = std::countr_zero(b.significand);
  const int significant_bits = 64 - zeros;
  const int lowest_bit_exponent = b.exponent - 63 + zeros;
  if (significant_bits > 53) return std::nullopt;
  if (lowest_bit_exponent < kExponentMin) return std::nullopt;
  // Both conversions are exact: at most 53 bits, and a representable result.
  const double magnitude = std::ldexp(
      static_cast<double>(b.significand >> zeros), lowest_bit_exponent);
  assert(std::isfinite(magnitude));
  return b.negative ? -magnitude : magnitude;
}

void AppendNumber(std::string* out, const Binary& b) {
  assert(b.IsWellFormed());
  const uint8_t flip = b.negative ? 0xff : 0x00;
  out->push_back(static_cast<char>(b.negative ? kTagNegative : kTagPositive));
  const auto stored = static_cast<uint16_t>(b.exponent + kExponentBias);
  out->push_back(static_cast<char>((stored >> 8) ^ flip));
  out->push_back(static_cast<char>((stored & 0xff) ^ flip));
  // The bits below the top one, left-aligned: group k is bits 63-7k .. 57-7k.
  const uint64_t rest = b.significand << 1;
  auto group = [rest](int k) {
    return static_cast<uint8_t>((rest >> (57 - kGroupBits * k)) & 0x7f);
  };
  int groups = 1;
  for (int k = 0; k < kGroupsMax; ++k) {
    if (group(k) != 0) groups = k + 1;
  }
  for (int k = 0; k < groups; ++k) {
    const uint8_t more = k + 1 < groups ? 1 : 0;
    out->push_back(static_cast<char>(((group(k) << 1) | more) ^ flip));
  }
}

void AppendEscaped(std::string* out, uint8_t tag, std::string_view bytes) {
  out->push_back(static_cast<char>(tag));
  for (char c : bytes) {
    out->push_back(c);
    if (c == '\0') out->push_back(static_cast<char>(kEscapedZero));
  }
  out->push_back('\0');
  out->push_back(static_cast<char>(kTerminator));
}

// One decoded value before its type is settled: a number stays exact until
// the caller says whether it wants an INTEGER, a REAL or a BOOLEAN.
struct Item {
  size_t offset = 0;  // of the tag, for messages
  size_t index = 0;   // which value of the key, from 0
  uint8_t tag = 0;
  Binary number;      // kTagNegative, kTagPositive
  std::string bytes;  // kTagText, kTagBlob
};

// Corruption naming the key's size, the value and the byte offset.
template <typename... Args>
Status KeyError(size_t key_size, size_t index, size_t offset, Args&&... args) {
  return Status::Corruption("key of ", key_size, " bytes, value ", index,
                            " at byte ", offset, ": ",
                            std::forward<Args>(args)...);
}

// Reads values from a key; every read is bounds-checked (invariant 5).
class KeyReader {
 public:
  explicit KeyReader(std::string_view key) : key_(key) {}

  bool done() const { return pos_ == key_.size(); }
  size_t values_read() const { return values_; }

  Result<Item> Next() {
    assert(!done());
    const size_t start = pos_;
    Item item;
    item.offset = start;
    item.index = values_;
    item.tag = Byte();
    switch (item.tag) {
      case kTagNull:
      case kTagNegativeInfinity:
      case kTagZero:
      case kTagPositiveInfinity:
        break;
      case kTagNegative:
      case kTagPositive:
        FORKDB_RETURN_IF_ERROR(
            ReadNumber(item.tag == kTagNegative, start, &item.number));
        break;
      case kTagText:
      case kTagBlob:
        FORKDB_RETURN_IF_ERROR(ReadEscaped(start, &item.bytes));
        break;
      default:
        return Error(start, "unknown tag ", Hex(item.tag));
    }
    ++values_;
    assert(pos_ <= key_.size());
    return item;
  }

  // REQUIRES: called while reading value values_read().
  template <typename... Args>
  Status Error(size_t offset, Args&&... args) const {
    return KeyError(key_.size(), values_, offset, std::forward<Args>(args)...);
  }

 private:
  // REQUIRES: !done().
  uint8_t Byte() {
    assert(pos_ < key_.size());
    return static_cast<uint8_t>(key_[pos_++]);
  }

  static std::string Hex(uint8_t byte) {
    static constexpr char kHex[] = "0123456789abcdef";
    return {'0', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
  }

  Status ReadNumber(bool negative, size_t start, Binary* b) {
    const uint8_t flip = negative ? 0xff : 0x00;
    if (key_.size() - pos_ < 3) return Error(start, "number is truncated");
    const int high = Byte() ^ flip;
    const int low = Byte() ^ flip;
    const int stored = (high << 8) | low;
    if (stored > kExponentMax + kExponentBias)
      return Error(start, "number exponent ", stored - kExponentBias,
                   " is out of range");
    uint64_t rest = 0;
    for (int k = 0;; ++k) {
      if (k == kGroupsMax)
        return Error(start, "number has more than ", kGroupsMax,
                     " mantissa bytes");
      if (done()) return Error(start, "number is truncated");
      const uint8_t byte = Byte() ^ flip;
      const uint64_t group = byte >> 1;
      rest |= group << (57 - kGroupBits * k);
      if ((byte & 1) == 0) {
        // Canonical: no trailing zero group after the first (invariant 5).
        if (k > 0 && group == 0)
          return Error(start, "number mantissa is not canonical");
        break;
      }
    }
    b->negative = negative;
    b->exponent = stored - kExponentBias;
    b->significand = kTopBit | (rest >> 1);
    assert(b->IsWellFormed());
    return Status();
  }

  Status ReadEscaped(size_t start, std::string* out) {
    for (;;) {
      const void* zero =
          std::memchr(key_.data() + pos_, '\0', key_.size() - pos_);
      if (zero == nullptr) return Error(start, "string has no terminator");
      const size_t at =
          static_cast<size_t>(static_cast<const char*>(zero) - key_.data());
      out->append(key_.data() + pos_, at - pos_);
      pos_ = at + 1;
      if (done()) return Error(start, "string has no terminator");
      const uint8_t escape = Byte();
      if (escape == kTerminator) return Status();
      if (escape != kEscapedZero)
        return Error(at, "bad escape ", Hex(escape), " after 0x00 in string");
      out->push_back('\0');
    }
  }

  std::string_view key_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

// The value of `item` in its canonical type (invariant 4).
Result<Value> CanonicalValue(Item& item, size_t key_size) {
  switch (item.tag) {
    case kTagNull:
      return Value::Null();
    case kTagNegativeInfinity:
      return Value::Real(-HUGE_VAL);
    case kTagZero:
      return Value::Integer(0);
    case kTagPositiveInfinity:
      return Value::Real(HUGE_VAL);
    case kTagNegative:
    case kTagPositive:
      if (auto i = ToInteger(item.number)) return Value::Integer(*i);
      if (auto d = ToDouble(item.number)) return Value::Real(*d);
      return KeyError(key_size, item.index, item.offset,
                      "number is neither an INTEGER nor a REAL value");
    case kTagText:
      return Value::Text(std::move(item.bytes));
    case kTagBlob:
      return Value::Blob(std::move(item.bytes));
  }
  assert(false && "KeyReader returned an unknown tag");
  return KeyError(key_size, item.index, item.offset, "unknown tag");
}

// The value of `item` as the declared type `type`, if that is exact.
Result<Value> DeclaredValue(Item& item, Type type, size_t key_size) {
  if (item.tag == kTagNull) return Value::Null();  // any column may hold NULL
  auto mismatch = [&](const char* found) {
    return KeyError(key_size, item.index, item.offset, found, " where ",
                    TypeName(type), " is declared");
  };
  const char* kind = item.tag == kTagText   ? "TEXT"
                     : item.tag == kTagBlob ? "BLOB"
                                            : nullptr;  // a number
  switch (type) {
    case Type::kNull:
      return mismatch("a non-NULL value");
    case Type::kInteger:
    case Type::kBoolean: {
      if (kind != nullptr) return mismatch(kind);
      std::optional<int64_t> i;
      if (item.tag == kTagZero) {
        i = 0;
      } else if (item.tag == kTagNegative || item.tag == kTagPositive) {
        i = ToInteger(item.number);
      }
      if (!i) return mismatch("a non-integral number");
      if (type == Type::kInteger) return Value::Integer(*i);
      if (*i != 0 && *i != 1) return mismatch("a number other than 0 or 1");
      return Value::Boolean(*i == 1);
    }
    case Type::kReal: {
      if (kind != nullptr) return mismatch(kind);
      if (item.tag == kTagZero) return Value::Real(0.0);
      if (item.tag == kTagNegativeInfinity) return Value::Real(-HUGE_VAL);
      if (item.tag == kTagPositiveInfinity) return Value::Real(HUGE_VAL);
      if (auto d = ToDouble(item.number)) return Value::Real(*d);
      return mismatch("a number that is not a double");
    }
    case Type::kText:
    case Type::kBlob: {
      const uint8_t want = type == Type::kText ? kTagText : kTagBlob;
      if (item.tag != want) return mismatch(kind ? kind : "a number");
      return type == Type::kText ? Value::Text(std::move(item.bytes))
                                 : Value::Blob(std::move(item.bytes));
    }
  }
  return mismatch("a value of unknown declared type");
}

}  // namespace

void AppendKeyValue(std::string* out, const Value& value) {
  assert(value.IsWellFormed());
  switch (value.type()) {
    case Type::kNull:
      out->push_back(static_cast<char>(kTagNull));
      return;
    case Type::kInteger:
    case Type::kBoolean:
      if (value.integer() == 0) {
        out->push_back(static_cast<char>(kTagZero));
      } else {
        AppendNumber(out, FromInteger(value.integer()));
      }
      return;
    case Type::kReal: {
      const double d = value.real();
      assert(!std::isnan(d));  // value.h, invariant 2
      if (d == 0) {            // also -0.0 (invariant 1)
        out->push_back(static_cast<char>(kTagZero));
      } else if (std::isinf(d)) {
        out->push_back(static_cast<char>(d < 0 ? kTagNegativeInfinity
                                               : kTagPositiveInfinity));
      } else {
        AppendNumber(out, FromDouble(d));
      }
      return;
    }
    case Type::kText:
      AppendEscaped(out, kTagText, value.text());
      return;
    case Type::kBlob:
      AppendEscaped(out, kTagBlob, value.blob());
      return;
  }
  assert(false && "unknown Type");
}

std::string EncodeKey(std::span<const Value> values) {
  std::string out;
  for (const Value& v : values) AppendKeyValue(&out, v);
  return out;
}

Result<Row> DecodeKey(std::string_view key) {
  KeyReader reader(key);
  Row row;
  while (!reader.done()) {
    FORKDB_ASSIGN_OR_RETURN(Item item, reader.Next());
    FORKDB_ASSIGN_OR_RETURN(Value v, CanonicalValue(item, key.size()));
    assert(v.IsWellFormed());
    row.push_back(std::move(v));
  }
  return row;
}

Result<Row> DecodeKey(std::string_view key, std::span<const Type> types) {
  KeyReader reader(key);
  Row row;
  row.reserve(types.size());
  while (!reader.done()) {
    if (reader.values_read() == types.size())
      return Status::Corruption("key of ", key.size(),
                                " bytes holds more than the ", types.size(),
                                " declared values");
    FORKDB_ASSIGN_OR_RETURN(Item item, reader.Next());
    FORKDB_ASSIGN_OR_RETURN(Value v,
                            DeclaredValue(item, types[item.index], key.size()));
    assert(v.IsWellFormed());
    row.push_back(std::move(v));
  }
  if (row.size() != types.size())
    return Status::Corruption("key of ", key.size(), " bytes holds ",
                              row.size(), " values, ", types.size(),
                              " are declared");
  return row;
}

}  // namespace forkdb::engine
