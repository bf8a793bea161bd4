// Tests of engine/row_codec.h: the format pinned by an example, each
// invariant by cases, schema evolution by column id, and randomized: rows
// against a std::map model, and random or damaged bytes that must decode to
// Corruption or to a canonical row.
#include "engine/row_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <map>

#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using test::Hex;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string Encode(std::initializer_list<ColumnValue> columns) {
  return EncodeRow(std::vector<ColumnValue>(columns));
}

TEST(RowCodecTest, FormatExample) {
  EXPECT_EQ(Hex(Encode({{0, Value::Integer(7)},
                        {1, Value::Null()},
                        {2, Value::Text("hi")}})),
            "03 01 0e 00 03 02 68 69");
  EXPECT_EQ(Hex(Encode({})), "00");
  EXPECT_EQ(Hex(Encode({{5, Value::Integer(-1)}})), "01 29 01");
  EXPECT_EQ(
      Hex(Encode({{0, Value::Boolean(false)}, {1, Value::Boolean(true)}})),
      "02 05 06");
  EXPECT_EQ(Hex(Encode({{0, Value::Real(1.0)}})),
            "01 02 00 00 00 00 00 00 f0 3f");
  EXPECT_EQ(Hex(Encode({{UINT32_MAX, Value::Blob("")}})),
            "01 fc ff ff ff 7f 00");
}

TEST(RowCodecTest, Invariant2_EveryTypeReadsBackExactly) {
  const std::vector<ColumnValue> row = {
      {0, Value::Null()},
      {1, Value::Integer(INT64_MIN)},
      {2, Value::Integer(INT64_MAX)},
      {3, Value::Real(-0.0)},
      {4, Value::Real(std::numeric_limits<double>::denorm_min())},
      {5, Value::Real(-std::numeric_limits<double>::infinity())},
      {6, Value::Text(std::string("a\0b", 3))},
      {7, Value::Blob(std::string(300, '\xff'))},
      {8, Value::Boolean(true)},
      {9, Value::Boolean(false)},
      {10, Value::Real(1.0)},
      {11, Value::Integer(1)},
      {1000000, Value::Text("")},
      {UINT32_MAX, Value::Integer(0)},
  };
  const std::string bytes = EncodeRow(row);
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<ColumnValue> decoded,
                              DecodeRow(bytes));
  ASSERT_EQ(decoded, row);
  EXPECT_TRUE(std::signbit(decoded[3].value.real()));  // == ignores the sign
  EXPECT_EQ(decoded[8].value.type(), Type::kBoolean);
  EXPECT_EQ(decoded[10].value.type(), Type::kReal);
  EXPECT_EQ(decoded[11].value.type(), Type::kInteger);
}

TEST(RowCodecTest, Invariant1_FieldOrderIsCanonical) {
  const std::string sorted = Encode(
      {{1, Value::Text("a")}, {4, Value::Null()}, {9, Value::Integer(3)}});
  const std::string shuffled = Encode(
      {{9, Value::Integer(3)}, {1, Value::Text("a")}, {4, Value::Null()}});
  EXPECT_EQ(shuffled, sorted);
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<ColumnValue> decoded,
                              DecodeRow(shuffled));
  ASSERT_EQ(decoded.size(), 3u);
  EXPECT_EQ(decoded[0].column_id, 1u);
  EXPECT_EQ(decoded[1].column_id, 4u);
  EXPECT_EQ(decoded[2].column_id, 9u);
}

TEST(RowCodecTest, Invariant1_DuplicateColumnIdIsABug) {
  const std::vector<ColumnValue> row = {{3, Value::Null()}, {3, Value::Null()}};
  EXPECT_DEBUG_DEATH(EncodeRow(row).size(), "duplicate column id");
}

// Schema evolution: the row was written with columns 1 (id), 2 (dropped
// since), 3 (renamed since: nothing to do) and 5 (NULL). Column 7 was added
// after the row was written.
TEST(RowCodecTest, Invariant3_SchemaChangesNeedNoRewrite) {
  const std::string old_row = Encode({{1, Value::Integer(42)},
                                      {2, Value::Text("dropped")},
                                      {3, Value::Text("renamed")},
                                      {5, Value::Null()}});
  const ColumnId now[] = {7, 5, 3, 1};
  ENGINE_ASSERT_OK_AND_ASSIGN(auto values, DecodeRowColumns(old_row, now));
  ASSERT_EQ(values.size(), 4u);
  EXPECT_FALSE(values[0].has_value());  // added: the caller's default
  ASSERT_TRUE(values[1].has_value());   // NULL is stored, not absent
  EXPECT_TRUE(values[1]->is_null());
  EXPECT_EQ(values[2], Value::Text("renamed"));
  EXPECT_EQ(values[3], Value::Integer(42));
}

TEST(RowCodecTest, DecodeRowColumnsAnswersRepeatedAndEmptyRequests) {
  const std::string row =
      Encode({{0, Value::Integer(1)}, {UINT32_MAX, Value::Integer(2)}});
  const ColumnId twice[] = {UINT32_MAX, 0, UINT32_MAX, 17};
  ENGINE_ASSERT_OK_AND_ASSIGN(auto values, DecodeRowColumns(row, twice));
  EXPECT_EQ(values[0], Value::Integer(2));
  EXPECT_EQ(values[1], Value::Integer(1));
  EXPECT_EQ(values[2], Value::Integer(2));
  EXPECT_FALSE(values[3].has_value());
  ENGINE_ASSERT_OK_AND_ASSIGN(auto none, DecodeRowColumns(row, {}));
  EXPECT_TRUE(none.empty());
  // A skipped column is still checked.
  std::string bad = row;
  bad[1] = 0x07;  // column 0's tag becomes the reserved one
  const ColumnId last[] = {UINT32_MAX};
  EXPECT_TRUE(DecodeRowColumns(bad, last).status().IsCorruption());
}

void ExpectCorruption(const std::string& row, std::string_view message) {
  Result<std::vector<ColumnValue>> r = DecodeRow(row);
  ASSERT_FALSE(r.ok()) << Hex(row);
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find(message), std::string::npos)
      << r.status().ToString();
  const ColumnId ids[] = {0, 1};
  EXPECT_TRUE(DecodeRowColumns(row, ids).status().IsCorruption());
}

TEST(RowCodecTest, Invariant4_MalformedRowsAreCorruption) {
  ExpectCorruption("", "byte 0: field count is truncated");
  ExpectCorruption(Bytes({0x02, 0x00}), "field count 2 exceeds the 1 bytes");
  ExpectCorruption(Bytes({0x01}), "field count 1 exceeds the 0 bytes");
  ExpectCorruption(Bytes({0x01, 0x00, 0x00}), "1 bytes follow the last field");
  ExpectCorruption(Bytes({0x01, 0x07}), "reserved tag 7");
  ExpectCorruption(Bytes({0x01, 0x01}), "INTEGER is truncated");
  ExpectCorruption(Bytes({0x01, 0x01, 0x80}), "INTEGER is truncated");
  ExpectCorruption(Bytes({0x01, 0x01, 0x80, 0x00}), "not canonical");
  ExpectCorruption(Bytes({0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0x02}),
                   "overflows 64 bits");
  ExpectCorruption(Bytes({0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0x81, 0x00}),
                   "overflows 64 bits");
  ExpectCorruption(Bytes({0x01, 0x02, 0, 0, 0, 0, 0, 0, 0xf0}),
                   "REAL is truncated");
  ExpectCorruption(Bytes({0x01, 0x02, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}),
                   "REAL is NaN");
  ExpectCorruption(Bytes({0x01, 0x03, 0x05, 0x61}), "length 5 exceeds the 1");
  ExpectCorruption(Bytes({0x01, 0x04, 0x80}), "length is truncated");
  // Head beyond 32-bit ids, and an id that overflows from a previous one.
  ExpectCorruption(Bytes({0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}),
                   "too large");
  ExpectCorruption(Bytes({0x02, 0xf8, 0xff, 0xff, 0xff, 0x7f, 0x00}),
                   "column id 4294967296 exceeds 32 bits");
}

// Random rows against a std::map model: decode gives the model back,
// DecodeRowColumns answers random id sets, re-encoding is byte-identical.
TEST(RowCodecTest, RandomRowsMatchModel) {
  test::RandomValues random(test::TestSeed());
  int rows = 0;
  for (int i = 0; i < test::Scaled(30000); ++i) {
    std::map<ColumnId, Value> model;
    const int n = random.Uniform(0, 12);
    for (int j = 0; j < n; ++j) {
      ColumnId id;
      switch (random.Uniform(0, 3)) {
        case 0:
          id = static_cast<ColumnId>(random.Uniform(0, 20));
          break;
        case 1:
          id = UINT32_MAX - static_cast<ColumnId>(random.Uniform(0, 3));
          break;
        default:
          id = static_cast<ColumnId>(random.rng()());
      }
      model[id] = random.Any();
    }
    std::vector<ColumnValue> columns;
    for (const auto& [id, v] : model) columns.push_back({id, v});
    std::shuffle(columns.begin(), columns.end(), random.rng());
    const std::string bytes = EncodeRow(columns);

    ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<ColumnValue> decoded,
                                DecodeRow(bytes));
    ASSERT_EQ(decoded.size(), model.size());
    auto it = model.begin();
    for (const ColumnValue& c : decoded) {
      ASSERT_EQ(c.column_id, it->first);
      ASSERT_EQ(c.value, it->second);
      if (c.value.type() == Type::kReal) {
        ASSERT_EQ(std::signbit(c.value.real()),
                  std::signbit(it->second.real()));
      }
      ++it;
    }
    ASSERT_EQ(EncodeRow(decoded), bytes);

    std::vector<ColumnId> ids(random.Uniform(0, 6));
    for (ColumnId& id : ids) {
      id = !model.empty() && random.Uniform(0, 1)
               ? std::next(model.begin(), random.Uniform(0, model.size() - 1))
                     ->first
               : static_cast<ColumnId>(random.Uniform(0, 20));
    }
    ENGINE_ASSERT_OK_AND_ASSIGN(auto values, DecodeRowColumns(bytes, ids));
    for (size_t k = 0; k < ids.size(); ++k) {
      auto found = model.find(ids[k]);
      if (found == model.end()) {
        ASSERT_FALSE(values[k].has_value());
      } else {
        ASSERT_EQ(values[k], found->second);
      }
    }
    ++rows;
  }
  std::cout << rows << " random rows\n";
}

// Random bytes and damaged rows: Corruption, or a row that is canonical.
TEST(RowCodecTest, Invariant4_GarbageIsCorruptionOrCanonical) {
  test::RandomValues random(test::TestSeed());
  int inputs = 0;
  int accepted = 0;
  for (int i = 0; i < test::Scaled(200000); ++i) {
    std::string bytes;
    if (random.Uniform(0, 2) == 0) {
      const int n = random.Uniform(0, 24);
      for (int j = 0; j < n; ++j) {
        // Small bytes are counts, heads and lengths that fit.
        bytes.push_back(static_cast<char>(random.Uniform(0, 1)
                                              ? random.Uniform(0, 9)
                                              : random.Uniform(0, 255)));
      }
    } else {
      std::vector<ColumnValue> columns;
      for (int j = random.Uniform(0, 5); j > 0; --j)
        columns.push_back({static_cast<ColumnId>(j * 3), random.Any()});
      bytes = test::Mutate(random, EncodeRow(columns));
    }
    ++inputs;
    Result<std::vector<ColumnValue>> row = DecodeRow(bytes);
    if (row.ok()) {
      ++accepted;
      ASSERT_EQ(EncodeRow(*row), bytes) << Hex(bytes);
    } else {
      ASSERT_TRUE(row.status().IsCorruption());
    }
    const ColumnId ids[] = {0, 3, 6, 9};
    auto values = DecodeRowColumns(bytes, ids);
    ASSERT_EQ(values.ok(), row.ok()) << Hex(bytes);
  }
  std::cout << inputs << " garbage inputs, " << accepted << " accepted\n";
}

}  // namespace
}  // namespace forkdb::engine
