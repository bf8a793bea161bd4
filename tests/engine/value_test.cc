// Tests of forkdb/value.h: factories, display, and the total order
// (invariants 1 to 4), by cases and against a reference order on random
// values.
#include "forkdb/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTwo53 = 9007199254740992.0;
constexpr double kTwo63 = 9223372036854775808.0;

TEST(ValueTest, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.type(), Type::kNull);
  EXPECT_TRUE(v.IsWellFormed());
  EXPECT_EQ(v, Value::Null());
}

TEST(ValueTest, FactoriesKeepTypeAndValue) {
  EXPECT_EQ(Value::Integer(INT64_MIN).integer(), INT64_MIN);
  EXPECT_EQ(Value::Integer(7).type(), Type::kInteger);
  EXPECT_EQ(Value::Real(1.5).real(), 1.5);
  EXPECT_EQ(Value::Real(1.5).type(), Type::kReal);
  EXPECT_EQ(Value::Text("héllo").text(), "héllo");
  EXPECT_EQ(Value::Text("a").type(), Type::kText);
  EXPECT_EQ(Value::Blob(std::string("\0\xff", 2)).blob(),
            std::string("\0\xff", 2));
  EXPECT_EQ(Value::Blob("").type(), Type::kBlob);
  EXPECT_TRUE(Value::Boolean(true).boolean());
  EXPECT_EQ(Value::Boolean(true).integer(), 1);
  EXPECT_EQ(Value::Boolean(false).integer(), 0);
  EXPECT_EQ(Value::Boolean(false).type(), Type::kBoolean);
  EXPECT_TRUE(Value::Boolean(false).is_numeric());
  EXPECT_FALSE(Value::Text("1").is_numeric());
  EXPECT_TRUE(std::signbit(Value::Real(-0.0).real()));
}

TEST(ValueTest, Invariant2_RealNaNIsNull) {
  EXPECT_TRUE(Value::Real(std::nan("")).is_null());
  EXPECT_TRUE(Value::Real(-std::nan("")).is_null());
  EXPECT_TRUE(Value::Real(kInf - kInf).is_null());
  EXPECT_EQ(Value::Real(kInf).real(), kInf);
}

TEST(ValueTest, TypeNames) {
  EXPECT_STREQ(TypeName(Type::kNull), "NULL");
  EXPECT_STREQ(TypeName(Type::kInteger), "INTEGER");
  EXPECT_STREQ(TypeName(Type::kReal), "REAL");
  EXPECT_STREQ(TypeName(Type::kText), "TEXT");
  EXPECT_STREQ(TypeName(Type::kBlob), "BLOB");
  EXPECT_STREQ(TypeName(Type::kBoolean), "BOOLEAN");
}

TEST(ValueTest, ToStringIsSqlLiteralLike) {
  EXPECT_EQ(Value::Null().ToString(), "NULL");
  EXPECT_EQ(Value::Integer(42).ToString(), "42");
  EXPECT_EQ(Value::Integer(-7).ToString(), "-7");
  EXPECT_EQ(Value::Integer(INT64_MIN).ToString(), "-9223372036854775808");
  EXPECT_EQ(Value::Real(1.5).ToString(), "1.5");
  EXPECT_EQ(Value::Real(1.0).ToString(), "1.0");
  EXPECT_EQ(Value::Real(-0.0).ToString(), "-0.0");
  EXPECT_EQ(Value::Real(0.1).ToString(), "0.1");
  EXPECT_EQ(Value::Real(1e300).ToString(), "1e+300");
  EXPECT_EQ(Value::Real(kTwo63).ToString(), "9223372036854775808.0");
  EXPECT_EQ(Value::Real(kInf).ToString(), "Inf");
  EXPECT_EQ(Value::Real(-kInf).ToString(), "-Inf");
  EXPECT_EQ(Value::Text("text").ToString(), "'text'");
  EXPECT_EQ(Value::Text("it's").ToString(), "'it''s'");
  EXPECT_EQ(Value::Text("").ToString(), "''");
  EXPECT_EQ(Value::Blob("\x0a\xff").ToString(), "x'0aff'");
  EXPECT_EQ(Value::Blob("").ToString(), "x''");
  EXPECT_EQ(Value::Boolean(true).ToString(), "TRUE");
  EXPECT_EQ(Value::Boolean(false).ToString(), "FALSE");
  std::ostringstream out;
  out << Value::Text("x");
  EXPECT_EQ(out.str(), "'x'");
}

TEST(ValueTest, ToStringOfRealReadsBackExactly) {
  test::RandomValues random(test::TestSeed());
  for (int i = 0; i < test::Scaled(20000); ++i) {
    const double d = random.Real();
    if (std::isinf(d)) continue;
    const std::string s = Value::Real(d).ToString();
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), d) << s;
  }
}

TEST(ValueTest, Invariant3_ClassesSortNullNumbersTextBlob) {
  const Value ordered[] = {Value::Null(),
                           Value::Real(-kInf),
                           Value::Integer(-1),
                           Value::Boolean(false),
                           Value::Real(0.5),
                           Value::Integer(INT64_MAX),
                           Value::Real(kInf),
                           Value::Text(""),
                           Value::Text("\xff"),
                           Value::Blob(""),
                           Value::Blob(std::string("\0", 1))};
  for (size_t i = 0; i < std::size(ordered); ++i) {
    for (size_t j = 0; j < std::size(ordered); ++j) {
      EXPECT_EQ(test::Sign(Compare(ordered[i], ordered[j])),
                i < j ? -1 : (i > j ? 1 : 0))
          << ordered[i] << " vs " << ordered[j];
    }
  }
}

TEST(ValueTest, Invariant3_IntegerAndRealCompareExactly) {
  auto I = [](int64_t v) { return Value::Integer(v); };
  auto R = [](double v) { return Value::Real(v); };
  constexpr int64_t k53 = int64_t{1} << 53;
  // 2^53 + 1 is no double: converting it would make these equal.
  EXPECT_GT(Compare(I(k53 + 1), R(kTwo53)), 0);
  EXPECT_LT(Compare(R(kTwo53), I(k53 + 1)), 0);
  EXPECT_EQ(Compare(I(k53), R(kTwo53)), 0);
  EXPECT_LT(Compare(I(-k53 - 1), R(-kTwo53)), 0);
  // INT64_MAX converts to 2^63, yet it is smaller.
  EXPECT_LT(Compare(I(INT64_MAX), R(kTwo63)), 0);
  EXPECT_GT(Compare(I(INT64_MAX), R(std::nextafter(kTwo63, 0.0))), 0);
  EXPECT_EQ(Compare(I(INT64_MIN), R(-kTwo63)), 0);
  EXPECT_GT(Compare(I(INT64_MIN), R(std::nextafter(-kTwo63, -kInf))), 0);
  EXPECT_LT(Compare(I(INT64_MIN), R(std::nextafter(-kTwo63, 0.0))), 0);
  // Fractions break ties with the integral part, on both sides of zero.
  EXPECT_LT(Compare(I(1), R(1.5)), 0);
  EXPECT_GT(Compare(I(2), R(1.5)), 0);
  EXPECT_GT(Compare(I(-1), R(-1.5)), 0);
  EXPECT_LT(Compare(I(-2), R(-1.5)), 0);
  EXPECT_GT(Compare(I(0), R(-std::numeric_limits<double>::denorm_min())), 0);
  EXPECT_LT(Compare(I(0), R(std::numeric_limits<double>::denorm_min())), 0);
  EXPECT_LT(Compare(I(INT64_MAX), R(kInf)), 0);
  EXPECT_GT(Compare(I(INT64_MIN), R(-kInf)), 0);
  EXPECT_EQ(Compare(R(-0.0), R(0.0)), 0);
  EXPECT_EQ(Compare(R(-0.0), I(0)), 0);
  EXPECT_EQ(Compare(Value::Boolean(true), I(1)), 0);
  EXPECT_EQ(Compare(Value::Boolean(false), R(-0.0)), 0);
  EXPECT_LT(Compare(Value::Boolean(true), R(1.5)), 0);
}

TEST(ValueTest, Invariant3_TextAndBlobCompareBytewise) {
  EXPECT_LT(Compare(Value::Text("a"), Value::Text("ab")), 0);
  EXPECT_LT(Compare(Value::Text("a"), Value::Text(std::string("a\0", 2))), 0);
  EXPECT_LT(Compare(Value::Text(std::string("a\0", 2)), Value::Text("ab")), 0);
  EXPECT_LT(Compare(Value::Text("z"), Value::Text("\x80")), 0);  // unsigned
  EXPECT_LT(Compare(Value::Text("B"), Value::Text("a")), 0);     // no folding
  EXPECT_LT(Compare(Value::Blob("\x7f"), Value::Blob("\xff")), 0);
  EXPECT_LT(Compare(Value::Text("\xff\xff"), Value::Blob("")), 0);
}

TEST(ValueTest, Invariant4_EqualityIsSameTypeAndCompareZero) {
  EXPECT_EQ(Value::Real(-0.0), Value::Real(0.0));
  EXPECT_NE(Value::Integer(1), Value::Real(1.0));
  EXPECT_NE(Value::Integer(1), Value::Boolean(true));
  EXPECT_NE(Value::Text("a"), Value::Blob("a"));
  EXPECT_EQ(Value::Text("a"), Value::Text("a"));
  EXPECT_NE(Value::Integer(INT64_MAX), Value::Integer(INT64_MAX - 1));
}

TEST(ValueTest, CompareRowsIsLexicographicShorterFirst) {
  const Row a = {Value::Integer(1), Value::Text("a")};
  const Row b = {Value::Real(1.0), Value::Text("b")};
  const Row prefix = {Value::Integer(1)};
  EXPECT_LT(CompareRows(a, b), 0);
  EXPECT_LT(CompareRows(prefix, a), 0);
  EXPECT_GT(CompareRows(a, prefix), 0);
  EXPECT_EQ(CompareRows(prefix, Row{Value::Real(1.0)}), 0);
  EXPECT_EQ(CompareRows(Row{}, Row{}), 0);
}

// Compare() agrees with the reference order, is antisymmetric, and sorting by
// it leaves every pair in order (so it is transitive on what was drawn).
TEST(ValueTest, Invariant3_CompareMatchesReferenceOnRandomValues) {
  test::RandomValues random(test::TestSeed());
  const int n = test::Scaled(4000);
  std::vector<Value> values;
  for (int i = 0; i < n; ++i) values.push_back(random.Any());
  int pairs = 0;
  for (int i = 0; i < test::Scaled(200000); ++i) {
    const Value& a = values[random.rng()() % values.size()];
    const Value& b = values[random.rng()() % values.size()];
    ASSERT_EQ(test::Sign(Compare(a, b)), test::ReferenceCompare(a, b))
        << a << " vs " << b;
    ASSERT_EQ(test::Sign(Compare(a, b)), -test::Sign(Compare(b, a)));
    ++pairs;
  }
  std::sort(values.begin(), values.end(),
            [](const Value& a, const Value& b) { return Compare(a, b) < 0; });
  for (size_t i = 0; i + 1 < values.size(); ++i)
    ASSERT_LE(test::ReferenceCompare(values[i], values[i + 1]), 0);
  std::cout << pairs << " random pairs, " << values.size()
            << " values sorted\n";
}

}  // namespace
}  // namespace forkdb::engine
