// Helpers shared by the engine tests: status assertions, the replayable seed,
// a generator of random Values that favours the edge cases the codecs must
// order exactly, and a reference order written independently of value.cc.
#ifndef FORKDB_TESTS_ENGINE_TEST_UTIL_H_
#define FORKDB_TESTS_ENGINE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/btree.h"
#include "engine/catalog.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

#define ENGINE_ASSERT_OK(expr)                                     \
  do {                                                             \
    auto engine_s_ = (expr);                                       \
    ASSERT_TRUE(engine_s_.ok())                                    \
        << ::forkdb::engine::test::StatusOf(engine_s_).ToString(); \
  } while (0)
#define ENGINE_ASSERT_OK_AND_ASSIGN(lhs, expr)                                \
  ENGINE_ASSERT_OK_AND_ASSIGN_IMPL_(FORKDB_CONCAT_(engine_r_, __LINE__), lhs, \
                                    expr)
#define ENGINE_ASSERT_OK_AND_ASSIGN_IMPL_(r, lhs, expr) \
  auto r = (expr);                                      \
  ASSERT_TRUE(r.ok()) << r.status().ToString();         \
  lhs = std::move(r).value()

namespace forkdb::engine::test {

// Every page of the fork is the meta page, in one of the catalog's trees (its
// own, its tables' and their indexes'), or free (engine/btree.h invariant 7).
inline Status CheckCatalogPageSpace(PageReader* pages, const Catalog& catalog) {
  auto roots = catalog.TreeRoots();
  if (!roots.ok()) return roots.status();
  return CheckPageSpace(pages, *roots);
}

// Column() of forkdb/schema.h under its older test name.
inline ColumnDef Col(std::string name, Type type, bool not_null = false,
                     std::optional<Value> default_value = std::nullopt) {
  return Column(std::move(name), type, not_null, std::move(default_value));
}

// Fails every page write (whole or in place) after the first `writes_left`,
// as a failing backend would.
class FailingPages final : public PageWriter {
 public:
  FailingPages(cow::Transaction* txn, uint32_t page_size, int writes_left)
      : inner_(txn, page_size), writes_left_(writes_left) {}
  Result<cow::BlockRef> ReadPage(PageNo page) override {
    return inner_.ReadPage(page);
  }
  Status WritePage(PageNo page, std::string_view bytes) override {
    if (writes_left_-- <= 0) return Status::IOError("injected write failure");
    return inner_.WritePage(page, bytes);
  }
  Result<char*> MutablePage(PageNo page) override {
    if (writes_left_-- <= 0) return Status::IOError("injected write failure");
    return inner_.MutablePage(page);
  }
  uint32_t page_size() const override { return inner_.page_size(); }

 private:
  TransactionPages inner_;
  int writes_left_;
};

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// The seed for a randomized test: FORKDB_TEST_SEED if set, else from the
// device. Printed, so that a failure can be replayed.
inline uint64_t TestSeed() {
  uint64_t seed;
  if (const char* env = std::getenv("FORKDB_TEST_SEED")) {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    seed = std::random_device()() ^ (uint64_t{std::random_device()()} << 32);
  }
  std::cout << "seed " << seed << " (FORKDB_TEST_SEED=" << seed
            << " replays)\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

// FORKDB_LONG_TESTS=1 runs ten times as many random cases.
inline int Scaled(int cases) {
  return std::getenv("FORKDB_LONG_TESTS") != nullptr ? cases * 10 : cases;
}

class RandomValues {
 public:
  explicit RandomValues(uint64_t seed) : rng_(seed) {}

  std::mt19937_64& rng() { return rng_; }
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }

  // Integers at the edges: int64 limits, around 2^53 (where doubles stop
  // being dense), around 2^63, powers of two, and small numbers.
  int64_t Integer() {
    constexpr int64_t kTwo53 = int64_t{1} << 53;
    switch (Uniform(0, 9)) {
      case 0: {
        static constexpr int64_t kEdges[] = {
            0,
            1,
            -1,
            2,
            INT64_MIN,
            INT64_MIN + 1,
            INT64_MAX,
            INT64_MAX - 1,
            kTwo53,
            kTwo53 - 1,
            kTwo53 + 1,
            -kTwo53,
            -kTwo53 - 1,
            -kTwo53 + 1,
            int64_t{1} << 62,
            INT64_MAX - 1023,
            INT64_MAX - 1024,
            INT64_MIN + 1024,
        };
        return kEdges[Uniform(0, std::size(kEdges) - 1)];
      }
      case 1:
      case 2:
        return Uniform(-5, 5);
      case 3: {  // +-2^k + small
        const int64_t p = int64_t{1} << Uniform(0, 62);
        const int64_t v = p + Uniform(-2, 2);
        return Uniform(0, 1) ? v : -v;
      }
      case 4:  // near 2^53
        return (Uniform(0, 1) ? 1 : -1) * (kTwo53 + Uniform(-3, 3));
      default:
        return static_cast<int64_t>(rng_() >> Uniform(0, 63));
    }
  }

  // Doubles at the edges, never NaN.
  double Real() {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    const double sign = Uniform(0, 1) ? 1.0 : -1.0;
    switch (Uniform(0, 9)) {
      case 0: {
        static const double kEdges[] = {
            0.0,
            -0.0,
            kInf,
            -kInf,
            std::numeric_limits<double>::denorm_min(),
            -std::numeric_limits<double>::denorm_min(),
            std::numeric_limits<double>::min(),
            std::nextafter(std::numeric_limits<double>::min(), 0.0),
            std::numeric_limits<double>::max(),
            -std::numeric_limits<double>::max(),
            9007199254740992.0,  // 2^53
            std::nextafter(9007199254740992.0, 0.0),
            std::nextafter(9007199254740992.0, kInf),
            9223372036854775808.0,  // 2^63
            std::nextafter(9223372036854775808.0, 0.0),
            std::nextafter(9223372036854775808.0, kInf),
            -9223372036854775808.0,
            std::nextafter(-9223372036854775808.0, -kInf),
            std::nextafter(-9223372036854775808.0, 0.0),
            0.5,
            1.5,
            -1.5,
            0.1,
            1.0,
            -1.0,
        };
        return kEdges[Uniform(0, std::size(kEdges) - 1)];
      }
      case 1:  // the same number as an integer, or next to it
        return static_cast<double>(Integer()) + Uniform(-1, 1) * 0.5;
      case 2:
        return sign * std::ldexp(1.0, Uniform(-1074, 1023));
      case 3:
        return Uniform(-8, 8) * 0.25;
      default: {  // any bit pattern but NaN
        double d;
        do {
          d = std::bit_cast<double>(rng_());
        } while (std::isnan(d));
        return d;
      }
    }
  }

  // Short strings over a small alphabet, so that equal strings, prefixes and
  // embedded zero bytes are common; sometimes longer and any byte.
  std::string Bytes() {
    static constexpr char kAlphabet[] = {'\0', '\x01', 'a', 'b', '\xff'};
    std::string s;
    if (Uniform(0, 9) == 0) {
      const int n = Uniform(0, 40);
      for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(rng_()));
      return s;
    }
    const int n = Uniform(0, 4);
    for (int i = 0; i < n; ++i)
      s.push_back(kAlphabet[Uniform(0, std::size(kAlphabet) - 1)]);
    return s;
  }

  Value Any() {
    switch (Uniform(0, 11)) {
      case 0:
        return Value::Null();
      case 1:
        return Value::Boolean(Uniform(0, 1) == 1);
      case 2:
      case 3:
      case 4:
        return Value::Integer(Integer());
      case 5:
      case 6:
      case 7:
        return Value::Real(Real());
      case 8: {  // an integer and a real that may be equal to it
        const int64_t i = Integer();
        return Uniform(0, 1) ? Value::Integer(i)
                             : Value::Real(static_cast<double>(i));
      }
      case 9:
      case 10:
        return Value::Text(Bytes());
      default:
        return Value::Blob(Bytes());
    }
  }

  Row AnyRow(int max_size) {
    Row row(Uniform(0, max_size));
    for (Value& v : row) v = Any();
    return row;
  }

 private:
  std::mt19937_64 rng_;
};

// The reference order (value.h, invariant 3), written without value.cc's
// code: numbers compare as long double, which on x86-64 holds every int64
// and every double exactly (64-bit significand, 15-bit exponent).
static_assert(std::numeric_limits<long double>::digits >= 64,
              "the reference order needs an exact long double");

inline int ReferenceRank(const Value& v) {
  if (v.is_null()) return 0;
  if (v.is_numeric()) return 1;
  return v.type() == Type::kText ? 2 : 3;
}

inline int ReferenceCompare(const Value& a, const Value& b) {
  const int ra = ReferenceRank(a);
  const int rb = ReferenceRank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 0) return 0;
  if (ra == 1) {
    auto exact = [](const Value& v) -> long double {
      return v.type() == Type::kReal ? static_cast<long double>(v.real())
                                     : static_cast<long double>(v.integer());
    };
    const long double x = exact(a);
    const long double y = exact(b);
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  const std::string_view x = a.bytes();
  const std::string_view y = b.bytes();
  auto less = [](char p, char q) {
    return static_cast<unsigned char>(p) < static_cast<unsigned char>(q);
  };
  if (std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                   less))
    return -1;
  if (std::lexicographical_compare(y.begin(), y.end(), x.begin(), x.end(),
                                   less))
    return 1;
  return 0;
}

inline int ReferenceCompareRows(const Row& a, const Row& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (int c = ReferenceCompare(a[i], b[i]); c != 0) return c;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

inline int Sign(int v) { return (v > 0) - (v < 0); }

inline std::string RowString(const Row& row) {
  std::string out = "(";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ", ";
    out += row[i].ToString();
  }
  return out + ")";
}

inline std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 0xf]);
  }
  return out;
}

// Random bytes, or a valid encoding damaged: a byte changed, cut short,
// a byte inserted or removed.
inline std::string Mutate(RandomValues& random, std::string bytes) {
  const int edits = random.Uniform(1, 3);
  for (int e = 0; e < edits; ++e) {
    const size_t at = bytes.empty() ? 0 : random.rng()() % (bytes.size() + 1);
    switch (random.Uniform(0, 3)) {
      case 0:
        if (at < bytes.size()) bytes[at] = static_cast<char>(random.rng()());
        break;
      case 1:
        bytes.resize(at);
        break;
      case 2:
        bytes.insert(bytes.begin() + at, static_cast<char>(random.rng()()));
        break;
      default:
        if (at < bytes.size()) bytes.erase(at, 1);
        break;
    }
  }
  return bytes;
}

}  // namespace forkdb::engine::test

// Runs a failing call and checks its code, its message and that nothing
// changed: `f` is a fixture with Snap() (an image of what the call may touch,
// comparable with ==) and txn (the cow transaction).
#define EXPECT_FAILS_CLEANLY(f, expr, want, text)                           \
  do {                                                                      \
    const auto before_ = (f).Snap();                                        \
    const Status s_ = test::StatusOf(expr);                                 \
    EXPECT_EQ(s_.code(), Status::Code::want) << s_.ToString();              \
    EXPECT_NE(s_.message().find(text), std::string::npos) << s_.ToString(); \
    EXPECT_TRUE((f).Snap() == before_) << "changed by " #expr;              \
    EXPECT_EQ((f).txn->savepoint_depth(), 0u);                              \
  } while (0)

#endif  // FORKDB_TESTS_ENGINE_TEST_UTIL_H_
