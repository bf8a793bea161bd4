// Tests of engine/key_codec.h: the format pinned by examples, each invariant
// by cases, and randomized: byte order against the reference order on random
// values and composite keys, exact round trips, and random or damaged bytes
// that must decode to Corruption or to a canonical key.
#include "engine/key_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using test::Hex;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTwo53 = 9007199254740992.0;
constexpr double kTwo63 = 9223372036854775808.0;

std::string Key(std::initializer_list<Value> values) {
  return EncodeKey(std::vector<Value>(values));
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

int ByteOrder(const std::string& a, const std::string& b) {
  return test::Sign(a.compare(b));  // char_traits<char> compares unsigned
}

std::vector<Type> TypesOf(const Row& row) {
  std::vector<Type> types;
  for (const Value& v : row) types.push_back(v.type());
  return types;
}

TEST(KeyCodecTest, FormatExamples) {
  EXPECT_EQ(Hex(Key({})), "");
  EXPECT_EQ(Hex(Key({Value::Null()})), "05");
  EXPECT_EQ(Hex(Key({Value::Integer(0)})), "12");
  EXPECT_EQ(Hex(Key({Value::Integer(1)})), "13 04 32 00");
  EXPECT_EQ(Hex(Key({Value::Real(1.5)})), "13 04 32 80");
  EXPECT_EQ(Hex(Key({Value::Integer(-1)})), "11 fb cd ff");
  EXPECT_EQ(Hex(Key({Value::Integer(INT64_MAX)})),
            "13 04 70 ff ff ff ff ff ff ff ff fc");
  EXPECT_EQ(Hex(Key({Value::Integer(INT64_MIN)})), "11 fb 8e ff");
  EXPECT_EQ(Hex(Key({Value::Real(-kInf)})), "10");
  EXPECT_EQ(Hex(Key({Value::Real(kInf)})), "14");
  EXPECT_EQ(Hex(Key({Value::Real(std::numeric_limits<double>::denorm_min())})),
            "13 00 00 00");
  EXPECT_EQ(Hex(Key({Value::Text("a")})), "20 61 00 01");
  EXPECT_EQ(Hex(Key({Value::Text(std::string("a\0", 2))})),
            "20 61 00 ff 00 01");
  EXPECT_EQ(Hex(Key({Value::Blob("")})), "30 00 01");
  EXPECT_EQ(Hex(Key({Value::Integer(1), Value::Null()})), "13 04 32 00 05");
}

TEST(KeyCodecTest, Invariant1_EqualNumbersShareOneEncoding) {
  EXPECT_EQ(Key({Value::Integer(1)}), Key({Value::Real(1.0)}));
  EXPECT_EQ(Key({Value::Integer(1)}), Key({Value::Boolean(true)}));
  EXPECT_EQ(Key({Value::Integer(0)}), Key({Value::Real(-0.0)}));
  EXPECT_EQ(Key({Value::Real(0.0)}), Key({Value::Real(-0.0)}));
  EXPECT_EQ(Key({Value::Boolean(false)}), Key({Value::Real(0.0)}));
  EXPECT_EQ(Key({Value::Integer(int64_t{1} << 53)}),
            Key({Value::Real(kTwo53)}));
  EXPECT_EQ(Key({Value::Integer(INT64_MIN)}), Key({Value::Real(-kTwo63)}));
}

TEST(KeyCodecTest, Invariant1_MixedNumbersOrderByValue) {
  constexpr int64_t k53 = int64_t{1} << 53;
  const std::vector<Value> ordered = {
      Value::Null(),
      Value::Real(-kInf),
      Value::Real(-std::numeric_limits<double>::max()),
      Value::Real(std::nextafter(-kTwo63, -kInf)),
      Value::Integer(INT64_MIN),
      Value::Integer(INT64_MIN + 1),
      Value::Integer(-k53 - 1),
      Value::Real(-kTwo53),
      Value::Real(-1.5),
      Value::Integer(-1),
      Value::Real(-std::numeric_limits<double>::denorm_min()),
      Value::Integer(0),
      Value::Real(std::numeric_limits<double>::denorm_min()),
      Value::Real(std::numeric_limits<double>::min()),
      Value::Real(0.5),
      Value::Boolean(true),
      Value::Real(1.5),
      Value::Integer(2),
      Value::Real(std::nextafter(kTwo53, 0.0)),
      Value::Real(kTwo53),
      Value::Integer(k53 + 1),
      Value::Real(std::nextafter(kTwo63, 0.0)),
      Value::Integer(INT64_MAX - 1),
      Value::Integer(INT64_MAX),
      Value::Real(kTwo63),
      Value::Real(std::numeric_limits<double>::max()),
      Value::Real(kInf),
      Value::Text(""),
      Value::Blob(""),
  };
  for (size_t i = 0; i + 1 < ordered.size(); ++i) {
    EXPECT_LT(Compare(ordered[i], ordered[i + 1]), 0)
        << ordered[i] << " vs " << ordered[i + 1];
    EXPECT_LT(ByteOrder(Key({ordered[i]}), Key({ordered[i + 1]})), 0)
        << ordered[i] << " vs " << ordered[i + 1];
  }
}

TEST(KeyCodecTest, Invariant1_StringsSortBeforeTheirExtensions) {
  const std::vector<std::string> ordered = {"",
                                            std::string("\0", 1),
                                            std::string("\0\0", 2),
                                            std::string("\0a", 2),
                                            "\x01",
                                            "a",
                                            std::string("a\0", 2),
                                            std::string("a\0\0", 3),
                                            std::string("a\0b", 3),
                                            "a\x01",
                                            "ab",
                                            "b",
                                            "\xff",
                                            "\xff\xff"};
  for (size_t i = 0; i + 1 < ordered.size(); ++i) {
    for (auto make : {&Value::Text, &Value::Blob}) {
      EXPECT_LT(ByteOrder(Key({make(ordered[i])}), Key({make(ordered[i + 1])})),
                0)
          << Hex(ordered[i]) << " vs " << Hex(ordered[i + 1]);
      // Also when another value follows: the terminator decides first.
      EXPECT_LT(ByteOrder(Key({make(ordered[i]), Value::Blob("\xff")}),
                          Key({make(ordered[i + 1]), Value::Null()})),
                0);
    }
  }
}

TEST(KeyCodecTest, Invariant1_TupleOrderIsLexicographic) {
  // A first value that compares equal across types defers to the second.
  EXPECT_LT(ByteOrder(Key({Value::Real(1.0), Value::Text("a")}),
                      Key({Value::Integer(1), Value::Text("b")})),
            0);
  EXPECT_LT(ByteOrder(Key({Value::Integer(1)}),
                      Key({Value::Integer(1), Value::Null()})),
            0);
  EXPECT_LT(ByteOrder(Key({Value::Integer(1), Value::Real(kInf)}),
                      Key({Value::Real(1.5)})),
            0);
}

TEST(KeyCodecTest, Invariant2_KeysConcatenate) {
  const Row a = {Value::Integer(-5), Value::Text(std::string("x\0", 2))};
  const Row b = {Value::Real(0.25), Value::Null(), Value::Blob("\xff")};
  Row ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  EXPECT_EQ(EncodeKey(ab), EncodeKey(a) + EncodeKey(b));
  std::string appended;
  for (const Value& v : ab) AppendKeyValue(&appended, v);
  EXPECT_EQ(appended, EncodeKey(ab));
}

TEST(KeyCodecTest, Invariant3_PrefixBoundsEveryExtension) {
  test::RandomValues random(test::TestSeed());
  for (int i = 0; i < test::Scaled(20000); ++i) {
    const Row prefix = random.AnyRow(3);
    Row longer = prefix;
    longer.push_back(random.Any());
    const std::string p = EncodeKey(prefix);
    const std::string k = EncodeKey(longer);
    ASSERT_LT(ByteOrder(p + '\0', k), 0);
    ASSERT_GT(ByteOrder(p + '\xff', k), 0);
    ASSERT_EQ(k.compare(0, p.size(), p), 0);
  }
}

TEST(KeyCodecTest, Invariant4_DeclaredTypesGiveExactValuesBack) {
  const Row row = {Value::Real(1.0),      Value::Integer(1),
                   Value::Boolean(true),  Value::Real(-0.0),
                   Value::Boolean(false), Value::Real(kTwo63),
                   Value::Real(-kInf),    Value::Null(),
                   Value::Text("t"),      Value::Blob("b")};
  const std::string key = EncodeKey(row);
  ENGINE_ASSERT_OK_AND_ASSIGN(Row typed, DecodeKey(key, TypesOf(row)));
  EXPECT_EQ(typed, row);
  EXPECT_EQ(typed[0].type(), Type::kReal);
  EXPECT_EQ(typed[2].type(), Type::kBoolean);
  // Canonical types without declared ones: integral numbers in int64 range
  // are INTEGER, the rest REAL.
  ENGINE_ASSERT_OK_AND_ASSIGN(Row canonical, DecodeKey(key));
  EXPECT_EQ(canonical,
            (Row{Value::Integer(1), Value::Integer(1), Value::Integer(1),
                 Value::Integer(0), Value::Integer(0), Value::Real(kTwo63),
                 Value::Real(-kInf), Value::Null(), Value::Text("t"),
                 Value::Blob("b")}));
  EXPECT_EQ(CompareRows(canonical, row), 0);
}

TEST(KeyCodecTest, Invariant4_NullFitsAnyDeclaredType) {
  for (Type t : {Type::kInteger, Type::kReal, Type::kText, Type::kBlob,
                 Type::kBoolean, Type::kNull}) {
    const Type types[] = {t};
    ENGINE_ASSERT_OK_AND_ASSIGN(Row row,
                                DecodeKey(Key({Value::Null()}), types));
    EXPECT_EQ(row, Row{Value::Null()});
  }
}

void ExpectCorruption(std::string_view key, std::span<const Type> types,
                      std::string_view message) {
  Result<Row> r = DecodeKey(key, types);
  ASSERT_FALSE(r.ok()) << Hex(key);
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find(message), std::string::npos)
      << r.status().ToString();
}

void ExpectCorruption(std::string_view key, std::string_view message) {
  Result<Row> r = DecodeKey(key);
  ASSERT_FALSE(r.ok()) << Hex(key);
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find(message), std::string::npos)
      << r.status().ToString();
}

TEST(KeyCodecTest, Invariant4_DeclaredTypeMismatchIsCorruption) {
  const Type integer[] = {Type::kInteger};
  const Type real[] = {Type::kReal};
  const Type boolean[] = {Type::kBoolean};
  const Type text[] = {Type::kText};
  const Type blob[] = {Type::kBlob};
  const Type two[] = {Type::kInteger, Type::kInteger};
  ExpectCorruption(Key({Value::Real(0.5)}), integer,
                   "a non-integral number where INTEGER is declared");
  ExpectCorruption(Key({Value::Real(kTwo63)}), integer, "non-integral");
  ExpectCorruption(Key({Value::Real(kInf)}), integer, "non-integral");
  ExpectCorruption(Key({Value::Integer(2)}), boolean, "other than 0 or 1");
  ExpectCorruption(Key({Value::Integer((int64_t{1} << 53) + 1)}), real,
                   "not a double");
  ExpectCorruption(Key({Value::Text("1")}), integer, "TEXT where INTEGER");
  ExpectCorruption(Key({Value::Blob("1")}), text, "BLOB where TEXT");
  ExpectCorruption(Key({Value::Integer(1)}), blob, "a number where BLOB");
  ExpectCorruption(Key({Value::Integer(1), Value::Integer(2)}), integer,
                   "more than the 1 declared values");
  ExpectCorruption(Key({Value::Integer(1)}), two, "holds 1 values, 2 are");
}

TEST(KeyCodecTest, Invariant5_MalformedKeysAreCorruption) {
  ExpectCorruption(Bytes({0x00}), "unknown tag 0x00");
  ExpectCorruption(Bytes({0x12, 0xff}), "byte 1: unknown tag 0xff");
  ExpectCorruption(Bytes({0x13}), "number is truncated");
  ExpectCorruption(Bytes({0x13, 0x04, 0x32}), "number is truncated");
  ExpectCorruption(Bytes({0x13, 0x04, 0x32, 0x81}), "number is truncated");
  ExpectCorruption(Bytes({0x13, 0x08, 0x32, 0x00}), "exponent");
  ExpectCorruption(Bytes({0x13, 0x04, 0x32, 0x81, 0x00}), "not canonical");
  ExpectCorruption(Bytes({0x13, 0x04, 0x32, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0xfe}),
                   "more than 9 mantissa bytes");
  // 2^-1074 * 1.5 is finer than the least denormal; 2^64 - 1 is no double.
  ExpectCorruption(Bytes({0x13, 0x00, 0x00, 0x80}), "neither");
  ExpectCorruption(Bytes({0x13, 0x04, 0x71, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xfe}),
                   "neither");
  ExpectCorruption(Bytes({0x20, 0x61}), "string has no terminator");
  ExpectCorruption(Bytes({0x20, 0x61, 0x00}), "string has no terminator");
  ExpectCorruption(Bytes({0x30, 0x00, 0x02}), "bad escape 0x02");
  ExpectCorruption(Bytes({0x05, 0x20, 0x00, 0x00, 0x01}),
                   "value 1 at byte 2: bad escape 0x00");
}

// Every (a, b) drawn: byte order equals the reference order, and each key
// reads back (exactly with declared types, Compare-equal without).
TEST(KeyCodecTest, Invariant1_ByteOrderEqualsCompareOrderOnRandomValues) {
  test::RandomValues random(test::TestSeed());
  std::vector<Value> values;
  std::vector<std::string> keys;
  for (int i = 0; i < test::Scaled(20000); ++i) {
    values.push_back(random.Any());
    keys.push_back(EncodeKey(std::span(&values.back(), 1)));
  }
  int pairs = 0;
  for (int i = 0; i < test::Scaled(300000); ++i) {
    const size_t x = random.rng()() % values.size();
    const size_t y = random.rng()() % values.size();
    ASSERT_EQ(ByteOrder(keys[x], keys[y]),
              test::ReferenceCompare(values[x], values[y]))
        << values[x] << " = " << Hex(keys[x]) << " vs " << values[y] << " = "
        << Hex(keys[y]);
    ++pairs;
  }
  // Sorted by bytes, neighbours are in reference order too.
  std::vector<size_t> order(values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    ASSERT_EQ(ByteOrder(keys[order[i]], keys[order[i + 1]]),
              test::ReferenceCompare(values[order[i]], values[order[i + 1]]));
  }
  std::cout << values.size() << " random values, " << pairs
            << " random pairs\n";
}

TEST(KeyCodecTest, Invariant1_ByteOrderEqualsCompareOrderOnRandomTuples) {
  test::RandomValues random(test::TestSeed());
  int pairs = 0;
  int ties = 0;
  for (int i = 0; i < test::Scaled(100000); ++i) {
    Row a = random.AnyRow(4);
    // Share a prefix often, so that later values decide.
    Row b = a;
    b.resize(random.Uniform(0, b.size()));
    while (b.size() < static_cast<size_t>(random.Uniform(0, 4)))
      b.push_back(random.Any());
    const int expected = test::ReferenceCompareRows(a, b);
    ASSERT_EQ(test::Sign(CompareRows(a, b)), expected);
    ASSERT_EQ(ByteOrder(EncodeKey(a), EncodeKey(b)), expected)
        << test::RowString(a) << " = " << Hex(EncodeKey(a)) << " vs "
        << test::RowString(b) << " = " << Hex(EncodeKey(b));
    ++pairs;
    if (expected == 0) ++ties;
  }
  std::cout << pairs << " random tuple pairs, " << ties << " equal\n";
}

TEST(KeyCodecTest, Invariant4_RandomKeysRoundTrip) {
  test::RandomValues random(test::TestSeed());
  int keys = 0;
  for (int i = 0; i < test::Scaled(50000); ++i) {
    const Row row = random.AnyRow(5);
    const std::string key = EncodeKey(row);
    ENGINE_ASSERT_OK_AND_ASSIGN(Row typed, DecodeKey(key, TypesOf(row)));
    ASSERT_EQ(typed, row) << test::RowString(row) << " = " << Hex(key);
    ENGINE_ASSERT_OK_AND_ASSIGN(Row canonical, DecodeKey(key));
    ASSERT_EQ(CompareRows(canonical, row), 0) << test::RowString(row);
    ASSERT_EQ(EncodeKey(canonical), key);
    ++keys;
  }
  std::cout << keys << " random keys round-tripped\n";
}

// Random bytes and damaged keys: Corruption, or a key that is canonical.
TEST(KeyCodecTest, Invariant5_GarbageIsCorruptionOrCanonical) {
  test::RandomValues random(test::TestSeed());
  static constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x05, 0x10, 0x11,
                                             0x12, 0x13, 0x14, 0x20, 0x30,
                                             0x04, 0x32, 0x80, 0xfe, 0xff};
  int inputs = 0;
  int accepted = 0;
  for (int i = 0; i < test::Scaled(200000); ++i) {
    std::string bytes;
    if (random.Uniform(0, 2) == 0) {
      const int n = random.Uniform(0, 24);
      for (int j = 0; j < n; ++j) {
        bytes.push_back(static_cast<char>(
            random.Uniform(0, 1)
                ? kInteresting[random.Uniform(0, std::size(kInteresting) - 1)]
                : static_cast<uint8_t>(random.rng()())));
      }
    } else {
      bytes = test::Mutate(random, EncodeKey(random.AnyRow(4)));
    }
    ++inputs;
    Result<Row> canonical = DecodeKey(bytes);
    if (canonical.ok()) {
      ++accepted;
      ASSERT_EQ(EncodeKey(*canonical), bytes) << Hex(bytes);
    } else {
      ASSERT_TRUE(canonical.status().IsCorruption());
    }
    std::vector<Type> types(random.Uniform(0, 4));
    for (Type& t : types) t = static_cast<Type>(random.Uniform(0, 5));
    Result<Row> typed = DecodeKey(bytes, types);
    if (typed.ok()) {
      ASSERT_EQ(EncodeKey(*typed), bytes) << Hex(bytes);
    } else {
      ASSERT_TRUE(typed.status().IsCorruption());
    }
  }
  std::cout << inputs << " garbage inputs, " << accepted << " accepted\n";
}

}  // namespace
}  // namespace forkdb::engine
