// Tests for engine/table.cc: typed writes and each type error, primary keys
// (declared, composite, hidden), updates that move rows, range scans in both
// directions, unique and non-unique indexes, schema changes read through
// stored rows, index backfill, atomicity of failed calls (every tree compared
// entry by entry, plus the meta page), and a model-based randomized test on
// both cow backends with commits, aborts and forks.
#include "engine/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "engine/key_codec.h"
#include "tests/cow/test_util.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using cow::Backend;
using cow::TestStoreEnv;
using test::Col;

Value I(int64_t v) { return Value::Integer(v); }
Value R(double v) { return Value::Real(v); }
Value T(std::string v) { return Value::Text(std::move(v)); }
Value B(std::string v) { return Value::Blob(std::move(v)); }
Value Null() { return Value::Null(); }

// Every entry of every tree of the fork, plus the allocator state: what a
// failed call must leave exactly as it was.
struct ForkImage {
  std::map<PageNo, std::map<std::string, std::string>> trees;
  PageNo next_page = 0;
  PageNo free_head = 0;
  uint64_t free_count = 0;
  bool operator==(const ForkImage&) const = default;
};

// One fork "main" with an open transaction and a catalog in it.
struct Fixture {
  explicit Fixture(Backend backend = Backend::kMemory,
                   uint32_t block_size = cow::kBlockSizeDefault)
      : env(backend, block_size) {
    EXPECT_TRUE(env.store().CreateRootFork("main").ok());
    Begin();
  }
  void Begin(std::string_view fork = "main") {
    catalog.reset();
    pages.reset();
    txn.reset();
    auto t = env.store().Begin(fork);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    txn = std::move(t).value();
    pages =
        std::make_unique<TransactionPages>(txn.get(), env.store().block_size());
    auto c = Catalog::Open(pages.get(), txn.get());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    catalog.emplace(std::move(c).value());
  }
  Table Create(TableSpec spec) {
    auto def = catalog->CreateTable(spec);
    EXPECT_TRUE(def.ok()) << def.status().ToString();
    return OpenTable(spec.name);
  }
  Table OpenTable(std::string_view name) {
    auto def = catalog->GetTable(name);
    EXPECT_TRUE(def.ok()) << def.status().ToString();
    auto t = Table::Open(pages.get(), txn.get(), &*catalog, *def);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return std::move(t).value();
  }
  // Creates the index and backfills it through `table`.
  Status Index(Table& table, std::string name, std::vector<std::string> cols,
               bool unique) {
    auto index = catalog->CreateIndex(table.def().name, name, cols, unique);
    if (!index.ok()) return index.status();
    return table.BackfillIndex(*index);
  }
  ForkImage Snap() {
    ForkImage image;
    auto roots = catalog->TreeRoots();
    EXPECT_TRUE(roots.ok());
    for (PageNo root : *roots) {
      auto& entries = image.trees[root];
      auto cursor = BTree(pages.get(), root).NewCursor();
      EXPECT_TRUE(cursor->SeekToFirst().ok());
      while (cursor->Valid()) {
        auto value = cursor->value();
        EXPECT_TRUE(value.ok());
        entries[std::string(cursor->key())] = value.ok() ? *value : "";
        EXPECT_TRUE(cursor->Next().ok());
      }
    }
    auto meta = ReadMeta(pages.get());
    EXPECT_TRUE(meta.ok());
    if (meta.ok()) {
      image.next_page = meta->next_page;
      image.free_head = meta->free_head;
      image.free_count = meta->free_count;
    }
    return image;
  }
  Status Space() { return test::CheckCatalogPageSpace(pages.get(), *catalog); }

  TestStoreEnv env;
  std::unique_ptr<cow::Transaction> txn;
  std::unique_ptr<TransactionPages> pages;
  std::optional<Catalog> catalog;
};

std::vector<Row> ScanAll(const Table& table, std::optional<Row> lo = {},
                         std::optional<Row> hi = {},
                         ScanDirection dir = ScanDirection::kForward) {
  std::vector<Row> rows;
  auto cursor = table.Scan(lo, hi, dir);
  EXPECT_TRUE(cursor.ok()) << cursor.status().ToString();
  if (!cursor.ok()) return rows;
  while ((*cursor)->Valid()) {
    rows.push_back((*cursor)->row());
    EXPECT_TRUE((*cursor)->Next().ok());
  }
  return rows;
}

TableSpec AllTypes() {
  return TableSpec{
      "Things",
      {Col("id", Type::kInteger, true), Col("r", Type::kReal),
       Col("t", Type::kText), Col("b", Type::kBlob), Col("f", Type::kBoolean)},
      {"id"}};
}

TEST(TableTest, TypedInsertReadsBackExactly) {
  Fixture f;
  Table t = f.Create(AllTypes());
  const Row row = {I(-7), R(-0.0), T(std::string("a\0b", 3)),
                   B(std::string("\0\xff", 2)), Value::Boolean(true)};
  ENGINE_ASSERT_OK_AND_ASSIGN(Row pk, t.Insert(row));
  EXPECT_EQ(pk, Row{I(-7)});
  ENGINE_ASSERT_OK_AND_ASSIGN(std::optional<Row> got, t.Get(pk));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, row);
  ENGINE_ASSERT_OK_AND_ASSIGN(got, t.Get(Row{I(8)}));
  EXPECT_FALSE(got.has_value());
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, EachTypeErrorNamesTableAndColumnAndChangesNothing) {
  Fixture f;
  Table t = f.Create(AllTypes());
  ENGINE_ASSERT_OK(t.Insert({I(1), R(1), T("x"), B("y"), Value::Boolean(0)}));
  const Row good = {I(2), R(1), T("x"), B("y"), Value::Boolean(false)};
  const std::vector<std::pair<size_t, Value>> bad = {
      {0, R(1.0)},   {0, T("1")}, {0, Value::Boolean(true)},
      {1, T("1.5")}, {1, B("x")}, {1, Value::Boolean(true)},
      {2, I(3)},     {2, B("x")}, {3, T("x")},
      {3, I(1)},     {4, I(2)},   {4, R(1.0)},
      {4, T("true")}};
  for (const auto& [col, v] : bad) {
    Row row = good;
    row[col] = v;
    SCOPED_TRACE(v.ToString());
    EXPECT_FAILS_CLEANLY(f, t.Insert(row), kInvalidArgument,
                         "table Things column " + t.def().columns[col].name);
    EXPECT_FAILS_CLEANLY(f, t.Update(Row{I(1)}, row), kInvalidArgument,
                         "column " + t.def().columns[col].name);
  }
  EXPECT_FAILS_CLEANLY(f, t.Insert({I(3)}), kInvalidArgument, "row has 1");
  EXPECT_FAILS_CLEANLY(f, t.Get(Row{I(1), I(2)}), kInvalidArgument, "key");
}

TEST(TableTest, NotNullRefusesNull) {
  Fixture f;
  Table t =
      f.Create({"n",
                {Col("k", Type::kText, true), Col("v", Type::kInteger, true)},
                {"k"}});
  EXPECT_FAILS_CLEANLY(f, t.Insert({T("a"), Null()}), kInvalidArgument,
                       "table n column v: NULL");
  EXPECT_FAILS_CLEANLY(f, t.Insert({Null(), I(1)}), kInvalidArgument,
                       "column k");
  ENGINE_ASSERT_OK(t.Insert({T("a"), I(1)}));
  EXPECT_FAILS_CLEANLY(f, t.Update(Row{T("a")}, {T("a"), Null()}),
                       kInvalidArgument, "column v");
}

TEST(TableTest, IntegerIntoRealBecomesRealAndBooleanTakesZeroOne) {
  Fixture f;
  Table t = f.Create(AllTypes());
  ENGINE_ASSERT_OK(t.Insert({I(1), I(3), Null(), Null(), I(1)}));
  ENGINE_ASSERT_OK(t.Insert({I(2), I(INT64_MAX), Null(), Null(), I(0)}));
  ENGINE_ASSERT_OK_AND_ASSIGN(auto row, t.Get(Row{I(1)}));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ((*row)[1], R(3.0));
  EXPECT_EQ((*row)[1].type(), Type::kReal);
  EXPECT_EQ((*row)[4], Value::Boolean(true));
  ENGINE_ASSERT_OK_AND_ASSIGN(row, t.Get(Row{I(2)}));
  EXPECT_EQ((*row)[1], R(9223372036854775808.0));
  EXPECT_EQ((*row)[4], Value::Boolean(false));
  // A key given as REAL finds the INTEGER key: keys compare numbers by value.
  ENGINE_ASSERT_OK_AND_ASSIGN(row, t.Get(Row{R(1.0)}));
  EXPECT_TRUE(row.has_value());
}

TEST(TableTest, HiddenRowIdCountsFromCatalogAndFailuresDoNotConsume) {
  Fixture f;
  Table t = f.Create({"h", {Col("v", Type::kText, true)}, {}});
  ENGINE_ASSERT_OK(f.Index(t, "h_v", {"v"}, true));
  ENGINE_ASSERT_OK_AND_ASSIGN(Row k1, t.Insert({T("a")}));
  ENGINE_ASSERT_OK_AND_ASSIGN(Row k2, t.Insert({T("b")}));
  EXPECT_EQ(k1, Row{I(1)});
  EXPECT_EQ(k2, Row{I(2)});
  EXPECT_FAILS_CLEANLY(f, t.Insert({T("a")}), kInvalidArgument, "h_v");
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef def, f.catalog->GetTable("h"));
  EXPECT_EQ(def.next_row_id, 3u);
  ENGINE_ASSERT_OK(f.txn->Commit());
  f.Begin();
  t = f.OpenTable("h");
  ENGINE_ASSERT_OK_AND_ASSIGN(Row k3, t.Insert({T("c")}));
  EXPECT_EQ(k3, Row{I(3)});
  f.txn->Abort();
  f.Begin();
  t = f.OpenTable("h");
  ENGINE_ASSERT_OK_AND_ASSIGN(k3, t.Insert({T("d")}));
  EXPECT_EQ(k3, Row{I(3)});
  ENGINE_ASSERT_OK(t.Update(k1, {T("z")}));
  ENGINE_ASSERT_OK_AND_ASSIGN(auto rows, t.IndexScan("h_v", Row{T("z")}));
  EXPECT_EQ(rows, std::vector<Row>{Row{T("z")}});
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, CompositePrimaryKeyOrdersNullNegativeAndZeroBytes) {
  Fixture f;
  Table t = f.Create({"c",
                      {Col("a", Type::kInteger), Col("b", Type::kText),
                       Col("v", Type::kInteger)},
                      {"a", "b"}});
  const std::vector<Row> keys = {
      {Null(), T("")},
      {Null(), T(std::string("\0", 1))},
      {I(INT64_MIN), T("x")},
      {I(-1), Null()},
      {I(-1), T("a")},
      {I(-1), T(std::string("a\0", 2))},
      {I(-1), T(std::string("a\0\0", 3))},
      {I(-1), T("ab")},
      {I(0), T("")},
      {I(5), T("\xff")},
  };
  // Insert in reverse so the tree, not the insertion order, sorts them.
  for (size_t i = keys.size(); i-- > 0;)
    ENGINE_ASSERT_OK(t.Insert({keys[i][0], keys[i][1], I(int64_t(i))}));
  const std::vector<Row> rows = ScanAll(t);
  ASSERT_EQ(rows.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(rows[i], (Row{keys[i][0], keys[i][1], I(int64_t(i))})) << i;
    ENGINE_ASSERT_OK_AND_ASSIGN(auto got, t.Get(keys[i]));
    EXPECT_TRUE(got.has_value()) << i;
  }
  EXPECT_FAILS_CLEANLY(f, t.Insert({I(-1), T("a"), I(9)}), kInvalidArgument,
                       "duplicate primary key");
  EXPECT_FAILS_CLEANLY(f, t.Insert({Null(), T(""), I(9)}), kInvalidArgument,
                       "duplicate primary key");
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, UpdateMovesRowAndIndexEntries) {
  Fixture f;
  Table t =
      f.Create({"u", {Col("k", Type::kInteger), Col("v", Type::kText)}, {"k"}});
  ENGINE_ASSERT_OK(f.Index(t, "u_v", {"v"}, false));
  ENGINE_ASSERT_OK(t.Insert({I(1), T("a")}));
  ENGINE_ASSERT_OK(t.Insert({I(2), T("b")}));
  ENGINE_ASSERT_OK(t.Update(Row{I(1)}, {I(10), T("c")}));
  ENGINE_ASSERT_OK_AND_ASSIGN(auto got, t.Get(Row{I(1)}));
  EXPECT_FALSE(got.has_value());
  ENGINE_ASSERT_OK_AND_ASSIGN(got, t.Get(Row{I(10)}));
  EXPECT_EQ(*got, (Row{I(10), T("c")}));
  ENGINE_ASSERT_OK_AND_ASSIGN(auto keys, t.IndexScanKeys("u_v", Row{T("c")}));
  EXPECT_EQ(keys, std::vector<Row>{Row{I(10)}});
  ENGINE_ASSERT_OK_AND_ASSIGN(keys, t.IndexScanKeys("u_v", Row{T("a")}));
  EXPECT_TRUE(keys.empty());
  // Same key, new value; then a move onto a taken key is refused.
  ENGINE_ASSERT_OK(t.Update(Row{I(10)}, {I(10), T("b")}));
  ENGINE_ASSERT_OK_AND_ASSIGN(keys, t.IndexScanKeys("u_v", Row{T("b")}));
  EXPECT_EQ(keys, (std::vector<Row>{Row{I(2)}, Row{I(10)}}));
  EXPECT_FAILS_CLEANLY(f, t.Update(Row{I(10)}, {I(2), T("z")}),
                       kInvalidArgument, "duplicate primary key");
  EXPECT_FAILS_CLEANLY(f, t.Update(Row{I(99)}, {I(99), T("z")}), kNotFound,
                       "no row");
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, DeleteRemovesRowAndIndexEntries) {
  Fixture f;
  Table t =
      f.Create({"d", {Col("k", Type::kInteger), Col("v", Type::kText)}, {"k"}});
  ENGINE_ASSERT_OK(f.Index(t, "d_v", {"v"}, true));
  ENGINE_ASSERT_OK(t.Insert({I(1), T("a")}));
  ENGINE_ASSERT_OK(t.Delete(Row{I(1)}));
  ENGINE_ASSERT_OK_AND_ASSIGN(auto got, t.Get(Row{I(1)}));
  EXPECT_FALSE(got.has_value());
  EXPECT_FAILS_CLEANLY(f, t.Delete(Row{I(1)}), kNotFound, "no row");
  // The unique value is free again.
  ENGINE_ASSERT_OK(t.Insert({I(2), T("a")}));
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, RangeScansBothWays) {
  Fixture f;
  Table t = f.Create(
      {"s", {Col("a", Type::kInteger), Col("b", Type::kInteger)}, {"a", "b"}});
  for (int a = 0; a < 20; ++a)
    for (int b = 0; b < 3; ++b) ENGINE_ASSERT_OK(t.Insert({I(a), I(b)}));
  auto expect = [&](std::optional<Row> lo, std::optional<Row> hi, int first,
                    int count) {
    std::vector<Row> fwd = ScanAll(t, lo, hi, ScanDirection::kForward);
    std::vector<Row> bwd = ScanAll(t, lo, hi, ScanDirection::kBackward);
    ASSERT_EQ(fwd.size(), size_t(count));
    ASSERT_EQ(bwd.size(), size_t(count));
    for (int i = 0; i < count; ++i) {
      const int n = first + i;
      EXPECT_EQ(fwd[i], (Row{I(n / 3), I(n % 3)}));
      EXPECT_EQ(bwd[count - 1 - i], fwd[i]);
    }
  };
  expect(std::nullopt, std::nullopt, 0, 60);
  expect(Row{I(5)}, Row{I(7)}, 15, 6);              // prefix bounds
  expect(Row{I(5), I(1)}, Row{I(7), I(1)}, 16, 6);  // full keys, hi excluded
  expect(Row{I(-100)}, Row{I(0), I(2)}, 0, 2);
  expect(Row{I(19), I(2)}, std::nullopt, 59, 1);
  expect(std::nullopt, Row{I(0)}, 0, 0);
  expect(Row{I(7)}, Row{I(5)}, 0, 0);
  expect(Row{R(2.5)}, Row{R(3.5)}, 9, 3);  // REAL bounds on INTEGER keys
}

TEST(TableTest, UniqueViolationLeavesNothing) {
  Fixture f;
  Table t = f.Create({"uq",
                      {Col("k", Type::kInteger), Col("a", Type::kText),
                       Col("b", Type::kInteger), Col("c", Type::kReal)},
                      {"k"}});
  ENGINE_ASSERT_OK(f.Index(t, "uq_plain", {"b"}, false));
  ENGINE_ASSERT_OK(f.Index(t, "uq_a", {"a"}, true));
  ENGINE_ASSERT_OK(f.Index(t, "uq_bc", {"b", "c"}, true));
  ENGINE_ASSERT_OK(t.Insert({I(1), T("x"), I(1), R(1.5)}));
  ENGINE_ASSERT_OK(t.Insert({I(2), T("y"), I(1), R(2.5)}));
  EXPECT_FAILS_CLEANLY(f, t.Insert({I(3), T("x"), I(7), R(0)}),
                       kInvalidArgument, "unique index uq_a");
  // The second unique index fails after the first one's entry went in.
  ENGINE_ASSERT_OK(t.Insert({I(3), T("z"), I(1), I(2)}));
  EXPECT_FAILS_CLEANLY(f, t.Insert({I(4), T("w"), I(1), R(2)}),
                       kInvalidArgument, "unique index uq_bc");
  EXPECT_FAILS_CLEANLY(f, t.Update(Row{I(1)}, {I(1), T("y"), I(1), R(1.5)}),
                       kInvalidArgument, "uq_a");
  EXPECT_FAILS_CLEANLY(f, t.Update(Row{I(1)}, {I(9), T("x"), I(1), R(2.5)}),
                       kInvalidArgument, "uq_bc");
  // Updating a row to its own values conflicts with nothing.
  ENGINE_ASSERT_OK(t.Update(Row{I(1)}, {I(1), T("x"), I(1), R(1.5)}));
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, NullsInUniqueIndexNeverConflict) {
  Fixture f;
  Table t = f.Create({"nu",
                      {Col("k", Type::kInteger), Col("a", Type::kInteger),
                       Col("b", Type::kText)},
                      {"k"}});
  ENGINE_ASSERT_OK(f.Index(t, "nu_ab", {"a", "b"}, true));
  ENGINE_ASSERT_OK(t.Insert({I(1), Null(), Null()}));
  ENGINE_ASSERT_OK(t.Insert({I(2), Null(), Null()}));
  ENGINE_ASSERT_OK(t.Insert({I(3), I(1), Null()}));
  ENGINE_ASSERT_OK(t.Insert({I(4), I(1), Null()}));
  ENGINE_ASSERT_OK(t.Insert({I(5), I(1), T("")}));
  EXPECT_FAILS_CLEANLY(f, t.Insert({I(6), I(1), T("")}), kInvalidArgument,
                       "nu_ab");
  ENGINE_ASSERT_OK_AND_ASSIGN(auto keys, t.IndexScanKeys("nu_ab", Row{I(1)}));
  EXPECT_EQ(keys, (std::vector<Row>{Row{I(3)}, Row{I(4)}, Row{I(5)}}));
  ENGINE_ASSERT_OK_AND_ASSIGN(keys,
                              t.IndexScanKeys("nu_ab", Row{Null(), Null()}));
  EXPECT_EQ(keys, (std::vector<Row>{Row{I(1)}, Row{I(2)}}));
  EXPECT_EQ(t.IndexScanKeys("nope", Row{}).status().code(),
            Status::Code::kNotFound);
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, AddedColumnReadsDefaultOrNull) {
  Fixture f;
  Table t = f.Create({"ac", {Col("k", Type::kInteger)}, {"k"}});
  ENGINE_ASSERT_OK(t.Insert({I(1)}));
  ENGINE_ASSERT_OK(
      f.catalog->AddColumn("ac", Col("d", Type::kText, true, T("dflt")))
          .status());
  ENGINE_ASSERT_OK(f.catalog->AddColumn("ac", Col("n", Type::kReal)).status());
  t = f.OpenTable("ac");
  ENGINE_ASSERT_OK_AND_ASSIGN(auto row, t.Get(Row{I(1)}));
  EXPECT_EQ(*row, (Row{I(1), T("dflt"), Null()}));
  ENGINE_ASSERT_OK(t.Insert({I(2), T("own"), I(4)}));
  EXPECT_EQ(ScanAll(t), (std::vector<Row>{Row{I(1), T("dflt"), Null()},
                                          Row{I(2), T("own"), R(4)}}));
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, DroppedColumnIsSkipped) {
  Fixture f;
  Table t = f.Create({"dc",
                      {Col("k", Type::kInteger), Col("gone", Type::kText),
                       Col("v", Type::kInteger)},
                      {"k"}});
  ENGINE_ASSERT_OK(t.Insert({I(1), T("bye"), I(7)}));
  ENGINE_ASSERT_OK(f.catalog->DropColumn("dc", "gone"));
  t = f.OpenTable("dc");
  ENGINE_ASSERT_OK_AND_ASSIGN(auto row, t.Get(Row{I(1)}));
  EXPECT_EQ(*row, (Row{I(1), I(7)}));
  ENGINE_ASSERT_OK(t.Update(Row{I(1)}, {I(1), I(8)}));
  ENGINE_ASSERT_OK_AND_ASSIGN(row, t.Get(Row{I(1)}));
  EXPECT_EQ(*row, (Row{I(1), I(8)}));
  ENGINE_ASSERT_OK(t.CheckTable());
}

TEST(TableTest, BackfillFillsNewIndex) {
  Fixture f;
  Table t = f.Create(
      {"bf", {Col("k", Type::kInteger), Col("v", Type::kInteger)}, {"k"}});
  for (int i = 0; i < 300; ++i) ENGINE_ASSERT_OK(t.Insert({I(i), I(i % 7)}));
  ENGINE_ASSERT_OK(f.Index(t, "bf_v", {"v"}, false));
  ENGINE_ASSERT_OK(f.Index(t, "bf_kv", {"v", "k"}, true));
  ENGINE_ASSERT_OK(t.CheckTable());
  ENGINE_ASSERT_OK_AND_ASSIGN(auto rows, t.IndexScan("bf_v", Row{I(3)}));
  EXPECT_EQ(rows.size(), 43u);
  for (const Row& r : rows) EXPECT_EQ(r[1], I(3));
  // A reopened handle sees the index through the catalog.
  Table again = f.OpenTable("bf");
  ENGINE_ASSERT_OK(again.Insert({I(1000), I(3)}));
  ENGINE_ASSERT_OK_AND_ASSIGN(rows, again.IndexScan("bf_v", Row{I(3)}));
  EXPECT_EQ(rows.size(), 44u);
  ENGINE_ASSERT_OK(again.CheckTable());
  ENGINE_ASSERT_OK(f.Space());
}

TEST(TableTest, BackfillRefusedChangesNothing) {
  Fixture f;
  Table t = f.Create(
      {"br", {Col("k", Type::kInteger), Col("v", Type::kInteger)}, {"k"}});
  for (int i = 0; i < 200; ++i) ENGINE_ASSERT_OK(t.Insert({I(i), I(i)}));
  ENGINE_ASSERT_OK(t.Insert({I(500), I(150)}));
  ENGINE_ASSERT_OK_AND_ASSIGN(
      IndexDef index, f.catalog->CreateIndex("br", "br_v", {"v"}, true));
  EXPECT_FAILS_CLEANLY(f, t.BackfillIndex(index), kInvalidArgument, "br_v");
  EXPECT_EQ(t.def().indexes.size(), 0u);
  ENGINE_ASSERT_OK(f.Space());
}

TEST(TableTest, CheckTableFindsExtraAndMissingIndexEntries) {
  Fixture f;
  Table t = f.Create(
      {"ck", {Col("k", Type::kInteger), Col("v", Type::kInteger)}, {"k"}});
  ENGINE_ASSERT_OK(f.Index(t, "ck_v", {"v"}, false));
  ENGINE_ASSERT_OK(t.Insert({I(1), I(2)}));
  ENGINE_ASSERT_OK(t.CheckTable());
  BTree index(f.pages.get(), t.def().indexes[0].root);
  ENGINE_ASSERT_OK(index.Insert(EncodeKey(Row{I(9), I(9)}), ""));
  EXPECT_TRUE(t.CheckTable().IsCorruption());
  ENGINE_ASSERT_OK(index.Delete(EncodeKey(Row{I(9), I(9)})));
  ENGINE_ASSERT_OK(index.Delete(EncodeKey(Row{I(2), I(1)})));
  EXPECT_TRUE(t.CheckTable().IsCorruption());
}

TEST(TableTest, ReadOnlyTableRefusesWrites) {
  Fixture f;
  Table t = f.Create({"ro", {Col("k", Type::kInteger)}, {"k"}});
  ENGINE_ASSERT_OK(t.Insert({I(1)}));
  ENGINE_ASSERT_OK_AND_ASSIGN(
      Table ro, Table::Open(static_cast<PageReader*>(f.pages.get()), t.def()));
  ENGINE_ASSERT_OK_AND_ASSIGN(auto got, ro.Get(Row{I(1)}));
  EXPECT_TRUE(got.has_value());
  EXPECT_EQ(ro.Scan({}, {}, ScanDirection::kForward).ok(), true);
  EXPECT_FAILS_CLEANLY(f, ro.Insert({I(2)}), kInvalidArgument, "read-only");
  EXPECT_FAILS_CLEANLY(f, ro.Delete(Row{I(1)}), kInvalidArgument, "read-only");
  EXPECT_FAILS_CLEANLY(f, ro.Update(Row{I(1)}, {I(1)}), kInvalidArgument,
                       "read-only");
}

// ---------------------------------------------------------------------------
// Model-based randomized test.

// The model of one table: encoded primary key -> row (normalized).
struct TableModel {
  std::map<std::string, Row> rows;
  uint64_t next_row_id = 1;
};
using ForkModel = std::map<std::string, TableModel>;  // by table name

struct Schema {
  TableSpec spec;
  // (name, column positions, unique)
  std::vector<std::tuple<std::string, std::vector<size_t>, bool>> indexes;
};

std::vector<Schema> Schemas() {
  return {
      {TableSpec{"t1",
                 {Col("a", Type::kInteger), Col("b", Type::kText),
                  Col("c", Type::kReal), Col("d", Type::kBoolean, true),
                  Col("e", Type::kBlob), Col("p", Type::kText)},
                 {"a", "b"}},
       {{"t1_c", {2}, true},
        {"t1_de", {3, 4}, false},
        {"t1_eb", {4, 1}, true}}},
      {TableSpec{
           "t2", {Col("x", Type::kInteger, true), Col("y", Type::kText)}, {}},
       {{"t2_xy", {0, 1}, true}, {"t2_y", {1}, false}}},
  };
}

class TableModelTest : public ::testing::TestWithParam<Backend> {};

TEST_P(TableModelTest, RandomOpsMatchModel) {
  const uint64_t seed = test::TestSeed();
  test::RandomValues random(seed);
  auto U = [&](int lo, int hi) { return random.Uniform(lo, hi); };
  const std::vector<Schema> schemas = Schemas();
  // Small pages, so that a few hundred rows per fork make trees of height 2-3
  // and long values make overflow chains.
  Fixture f(GetParam(), 1024);
  for (const Schema& s : schemas) {
    Table t = f.Create(s.spec);
    for (const auto& [name, positions, unique] : s.indexes) {
      std::vector<std::string> cols;
      for (size_t p : positions) cols.push_back(s.spec.columns[p].name);
      ENGINE_ASSERT_OK(f.Index(t, name, cols, unique));
    }
  }
  ENGINE_ASSERT_OK(f.txn->Commit());

  std::map<std::string, ForkModel> committed;  // by fork
  committed["main"] = {{"t1", {}}, {"t2", {}}};
  std::string fork = "main";
  ForkModel work = committed[fork];
  std::vector<Table> tables;
  auto begin = [&]() {
    f.Begin(fork);
    tables.clear();
    for (const Schema& s : schemas) tables.push_back(f.OpenTable(s.spec.name));
  };
  begin();

  // Values from small domains, so keys and unique values collide often;
  // sometimes of a wrong type.
  auto value_for = [&](Type type) -> Value {
    if (U(0, 12) == 0) return Null();
    if (U(0, 80) == 0) {  // likely a type error
      Value v = random.Any();
      if (v.type() == Type::kText || v.type() == Type::kBlob)
        v = Value::Blob(std::string(v.bytes().substr(0, 8)));
      return v;
    }
    switch (type) {
      case Type::kInteger:
        if (U(0, 20) == 0) return I(random.Integer());
        return U(0, 2) != 0 ? I(U(-300, 300)) : I(U(-4, 4));
      case Type::kReal:
        if (U(0, 3) == 0) return I(U(-3, 3));
        return U(0, 3) != 0 ? R(U(-600, 600) * 0.5) : R(U(-12, 12) * 0.5);
      case Type::kText: {
        static const char* kTexts[] = {"", "a", "b", "ab"};
        if (U(0, 5) == 0) return T(std::string("a\0", 2));
        if (U(0, 2) == 0) {  // short, so that index keys fit 1 KiB pages
          static constexpr char kAlphabet[] = {'\0', 'a', 'b', 'z', '\xff'};
          std::string text(U(0, 8), 'a');
          for (char& c : text) c = kAlphabet[U(0, 4)];
          return T(std::move(text));
        }
        return T(kTexts[U(0, 3)]);
      }
      case Type::kBlob: {
        static constexpr char kBytes[] = {'\0', '\x01', '\xff'};
        std::string blob(U(0, 4), '\0');
        for (char& c : blob) c = kBytes[U(0, 2)];
        return B(std::move(blob));
      }
      case Type::kBoolean:
        return U(0, 3) == 0 ? I(U(0, 1)) : Value::Boolean(U(0, 1) == 1);
      default:
        return Null();
    }
  };
  auto random_row = [&](size_t t) {
    Row row;
    for (const ColumnDef& c : schemas[t].spec.columns) {
      if (c.name == "p" && U(0, 9) == 0) {  // an overflow chain
        row.push_back(T(std::string(U(500, 5000), 'p')));
      } else {
        row.push_back(value_for(c.type));
      }
    }
    return row;
  };
  // The model's own type rules (SQL.md): the normalized row, or nullopt.
  auto normalize = [&](size_t t, const Row& row) -> std::optional<Row> {
    Row out;
    for (size_t i = 0; i < row.size(); ++i) {
      const ColumnDef& c = schemas[t].spec.columns[i];
      const Value& v = row[i];
      if (v.is_null()) {
        if (c.not_null) return std::nullopt;
        out.push_back(v);
      } else if (v.type() == c.type) {
        out.push_back(v);
      } else if (c.type == Type::kReal && v.type() == Type::kInteger) {
        out.push_back(R(static_cast<double>(v.integer())));
      } else if (c.type == Type::kBoolean && v.type() == Type::kInteger &&
                 (v.integer() == 0 || v.integer() == 1)) {
        out.push_back(Value::Boolean(v.integer() == 1));
      } else {
        return std::nullopt;
      }
    }
    return out;
  };
  auto pk_of = [&](size_t t, const Row& row, uint64_t row_id) -> Row {
    if (t == 1) return Row{I(static_cast<int64_t>(row_id))};
    return Row{row[0], row[1]};
  };
  // Whether `row` conflicts on a unique index with a model row other than
  // the one at `skip`.
  auto unique_conflict = [&](size_t t, const TableModel& m, const Row& row,
                             const std::string& skip) {
    for (const auto& [name, positions, unique] : schemas[t].indexes) {
      if (!unique) continue;
      bool has_null = false;
      for (size_t p : positions) has_null = has_null || row[p].is_null();
      if (has_null) continue;
      for (const auto& [key, other] : m.rows) {
        if (key == skip) continue;
        bool equal = true;
        for (size_t p : positions)
          equal = equal && test::ReferenceCompare(row[p], other[p]) == 0;
        if (equal) return true;
      }
    }
    return false;
  };
  auto random_key = [&](size_t t) -> Row {
    const TableModel& m = work[schemas[t].spec.name];
    if (!m.rows.empty() && U(0, 3) != 0) {
      auto it = m.rows.begin();
      std::advance(it, U(0, static_cast<int>(m.rows.size()) - 1));
      auto decoded = DecodeKey(it->first);
      EXPECT_TRUE(decoded.ok());
      return *decoded;
    }
    if (t == 1) return Row{I(U(0, static_cast<int>(m.next_row_id) + 1))};
    return Row{value_for(Type::kInteger), value_for(Type::kText)};
  };
  auto expect_code = [&](const Status& s, bool ok, Status::Code code,
                         const char* what) {
    if (ok) {
      EXPECT_TRUE(s.ok()) << what << ": " << s.ToString();
    } else {
      EXPECT_EQ(s.code(), code) << what << ": " << s.ToString();
    }
  };
  auto compare_all = [&]() {
    for (size_t t = 0; t < schemas.size(); ++t) {
      const TableModel& m = work[schemas[t].spec.name];
      std::vector<Row> want;
      for (const auto& [k, r] : m.rows) want.push_back(r);
      ASSERT_EQ(ScanAll(tables[t]), want) << "table " << schemas[t].spec.name;
      // Index contents: expected from the model rows.
      for (size_t x = 0; x < schemas[t].indexes.size(); ++x) {
        const auto& [name, positions, unique] = schemas[t].indexes[x];
        std::set<std::string> expected;
        for (const auto& [k, r] : m.rows) {
          std::string key;
          for (size_t p : positions) AppendKeyValue(&key, r[p]);
          key += k;
          expected.insert(key);
        }
        std::set<std::string> actual;
        auto cursor =
            BTree(f.pages.get(), tables[t].def().indexes[x].root).NewCursor();
        ENGINE_ASSERT_OK(cursor->SeekToFirst());
        while (cursor->Valid()) {
          actual.insert(std::string(cursor->key()));
          ENGINE_ASSERT_OK(cursor->Next());
        }
        ASSERT_EQ(actual, expected) << "index " << name;
      }
    }
  };
  auto full_check = [&]() {
    compare_all();
    for (const Table& t : tables) ENGINE_ASSERT_OK(t.CheckTable());
    ENGINE_ASSERT_OK(f.catalog->Check());
    ENGINE_ASSERT_OK(f.Space());
    ENGINE_ASSERT_OK(f.txn->Commit());
    committed[fork] = work;
    ENGINE_ASSERT_OK_AND_ASSIGN(cow::CheckReport report, f.env.store().Check());
    ASSERT_TRUE(report.ok()) << report.ToString();
    begin();
  };

  const int ops = test::Scaled(20000);
  const auto start = std::chrono::steady_clock::now();
  int forks_made = 0;
  std::map<std::string, int> counts;
  for (int op = 0; op < ops; ++op) {
    if (::testing::Test::HasFatalFailure() || ::testing::Test::HasFailure()) {
      std::cout << "failed at op " << op << " seed " << seed << "\n";
      return;
    }
    const size_t t = U(0, 2) == 0 ? 1 : 0;
    Table& table = tables[t];
    TableModel& m = work[schemas[t].spec.name];
    const int dice = U(0, 999);
    if (dice < 400) {  // insert
      ++counts["insert"];
      const Row row = random_row(t);
      const std::optional<Row> norm = normalize(t, row);
      bool ok = norm.has_value();
      std::string key;
      if (ok) {
        key = EncodeKey(pk_of(t, *norm, m.next_row_id));
        ok = m.rows.count(key) == 0 && !unique_conflict(t, m, *norm, "");
      }
      Result<Row> r = table.Insert(row);
      expect_code(r.status(), ok, Status::Code::kInvalidArgument, "insert");
      ++counts[ok ? "insert_ok" : "insert_refused"];
      if (ok && r.ok()) {
        EXPECT_EQ(EncodeKey(*r), key);
        m.rows[key] = *norm;
        if (t == 1) ++m.next_row_id;
      }
    } else if (dice < 580) {  // update
      ++counts["update"];
      const Row key = random_key(t);
      const std::string old_key = EncodeKey(key);
      Row row = random_row(t);
      if (U(0, 1) == 0 && t == 0 && m.rows.count(old_key)) {
        row[0] = key[0];  // keep the key
        row[1] = key[1];
      }
      const std::optional<Row> norm = normalize(t, row);
      Status::Code code = Status::Code::kOk;
      std::string new_key;
      if (!norm.has_value()) {
        code = Status::Code::kInvalidArgument;
      } else if (m.rows.count(old_key) == 0) {
        code = Status::Code::kNotFound;
      } else {
        new_key = t == 1 ? old_key : EncodeKey(pk_of(t, *norm, 0));
        if ((new_key != old_key && m.rows.count(new_key)) ||
            unique_conflict(t, m, *norm, old_key))
          code = Status::Code::kInvalidArgument;
      }
      const Status s = table.Update(key, row);
      expect_code(s, code == Status::Code::kOk, code, "update");
      ++counts[code == Status::Code::kOk ? "update_ok" : "update_refused"];
      if (code == Status::Code::kOk && s.ok()) {
        m.rows.erase(old_key);
        m.rows[new_key] = *norm;
      }
    } else if (dice < 640) {  // delete
      ++counts["delete"];
      const Row key = random_key(t);
      const std::string k = EncodeKey(key);
      const bool present = m.rows.count(k) > 0;
      const Status s = table.Delete(key);
      expect_code(s, present, Status::Code::kNotFound, "delete");
      if (present) m.rows.erase(k);
    } else if (dice < 780) {  // get
      ++counts["get"];
      const Row key = random_key(t);
      auto it = m.rows.find(EncodeKey(key));
      ENGINE_ASSERT_OK_AND_ASSIGN(std::optional<Row> got, table.Get(key));
      if (it == m.rows.end()) {
        EXPECT_FALSE(got.has_value());
      } else {
        ASSERT_TRUE(got.has_value());
        EXPECT_EQ(*got, it->second);
      }
    } else if (dice < 890) {  // range scan
      ++counts["scan"];
      std::optional<Row> lo, hi;
      if (U(0, 3) != 0) lo = random_key(t);
      if (U(0, 3) != 0) hi = random_key(t);
      if (lo && U(0, 2) == 0) lo->resize(1);
      if (hi && U(0, 2) == 0) hi->resize(1);
      const std::string lo_key = lo ? EncodeKey(*lo) : "";
      const std::string hi_key = hi ? EncodeKey(*hi) : "";
      std::vector<Row> want;
      for (auto it = m.rows.lower_bound(lo_key);
           it != m.rows.end() && (!hi || it->first < hi_key); ++it)
        want.push_back(it->second);
      const bool backward = U(0, 1) == 1;
      std::vector<Row> got = ScanAll(
          table, lo, hi,
          backward ? ScanDirection::kBackward : ScanDirection::kForward);
      if (backward) std::reverse(got.begin(), got.end());
      ASSERT_EQ(got, want) << "scan";
    } else if (dice < 960) {  // index scan
      ++counts["index_scan"];
      const size_t x = U(0, static_cast<int>(schemas[t].indexes.size()) - 1);
      const auto& [name, positions, unique] = schemas[t].indexes[x];
      Row prefix;
      const size_t n = U(0, static_cast<int>(positions.size()));
      if (!m.rows.empty() && U(0, 1) == 0) {
        auto it = m.rows.begin();
        std::advance(it, U(0, static_cast<int>(m.rows.size()) - 1));
        for (size_t i = 0; i < n; ++i)
          prefix.push_back(it->second[positions[i]]);
      } else {
        for (size_t i = 0; i < n; ++i)
          prefix.push_back(
              value_for(schemas[t].spec.columns[positions[i]].type));
      }
      std::map<std::string, Row> want;  // by index key
      for (const auto& [k, r] : m.rows) {
        bool match = true;
        for (size_t i = 0; i < n; ++i)
          match =
              match && test::ReferenceCompare(r[positions[i]], prefix[i]) == 0;
        if (!match) continue;
        std::string ik;
        for (size_t p : positions) AppendKeyValue(&ik, r[p]);
        want[ik + k] = r;
      }
      ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> got,
                                  table.IndexScan(name, prefix));
      std::vector<Row> want_rows;
      for (auto& [k, r] : want) want_rows.push_back(r);
      ASSERT_EQ(got, want_rows) << "index scan " << name;
    } else if (dice < 980) {  // commit
      ++counts["commit"];
      ENGINE_ASSERT_OK(f.txn->Commit());
      committed[fork] = work;
      begin();
    } else if (dice < 990) {  // abort
      ++counts["abort"];
      f.txn->Abort();
      work = committed[fork];
      begin();
    } else {  // fork the current fork (committing first), or switch forks
      ++counts["fork"];
      ENGINE_ASSERT_OK(f.txn->Commit());
      committed[fork] = work;
      f.catalog.reset();
      f.pages.reset();
      f.txn.reset();
      if (committed.size() < 8 && U(0, 1) == 0) {
        const std::string child = "f" + std::to_string(++forks_made);
        ENGINE_ASSERT_OK(f.env.store().CreateFork(child, fork).status());
        committed[child] = committed[fork];
      }
      auto it = committed.begin();
      std::advance(it, U(0, static_cast<int>(committed.size()) - 1));
      fork = it->first;
      work = committed[fork];
      begin();
    }
    if (op % 2500 == 2499) full_check();
  }
  full_check();
  // Every fork still holds exactly its own model.
  for (const auto& [name, model] : committed) {
    f.txn->Abort();
    fork = name;
    work = model;
    begin();
    compare_all();
    for (const Table& t : tables) ENGINE_ASSERT_OK(t.CheckTable());
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  size_t rows_now = 0;
  for (const auto& [name, model] : committed)
    for (const auto& [tn, tm] : model) rows_now += tm.rows.size();
  TreeStats stats;
  ENGINE_ASSERT_OK(
      CheckTree(f.pages.get(), tables[0].def().root, nullptr, &stats));
  std::cout << "rows across forks " << rows_now << ", t1 height "
            << stats.height << " overflow pages " << stats.overflow_pages
            << "; ";
  std::cout << ops << " ops on " << cow::BackendName(GetParam()) << " in "
            << secs << " s, " << committed.size() << " forks;";
  for (const auto& [k, n] : counts) std::cout << " " << k << "=" << n;
  std::cout << "\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, TableModelTest,
                         ::testing::Values(Backend::kMemory, Backend::kRocksDB),
                         [](const auto& info) {
                           return cow::BackendName(info.param);
                         });

}  // namespace
}  // namespace forkdb::engine
