// Named cases of divergence detection (forkdb/divergence.h, and
// Database::FindMergeBase, Divergence, DivergentPages and Diff in
// forkdb/database.h), each with the records written out by hand from the
// header's rules: every divergence kind with its exact images, cell level,
// the four schema rules, identical changes, the diff kinds, the merge base of
// every shape of the fork tree (a fork with itself, with its own snapshot, a
// snapshot and a fork made from it, siblings after their parent was dropped,
// a grandchild, cousins), errors, early stop, and a durable database
// reopened. tests/engine/divergence_model_test.cc covers random histories.
#include "forkdb/divergence.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forkdb/database.h"
#include "tests/cow/test_util.h"
#include "tests/engine/divergence_text.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using test::Col;
using test::SchemaText;

Value I(int64_t v) { return Value::Integer(v); }
Value T(std::string v) { return Value::Text(std::move(v)); }

// kv: (k INTEGER key, v TEXT, n INTEGER).
TableSpec KV(std::string name = "kv") {
  return TableSpec{std::move(name),
                   {Col("k", Type::kInteger, true), Col("v", Type::kText),
                    Col("n", Type::kInteger)},
                   {"k"}};
}

Row R(int64_t k, std::string v, int64_t n) {
  return {I(k), T(std::move(v)), I(n)};
}

// The seed row k of kv: (k, "v<k>", 10 k).
Row Seeded(int64_t k) { return R(k, "v" + std::to_string(k), 10 * k); }

// ------------------------------------------------------------ rendering

std::string Text(const DivergentRow& r) { return test::RecordText(r); }
std::string Text(const DiffRow& r) { return test::RecordText(r, true); }

template <typename Record>
std::vector<std::string> Texts(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const Record& r : records) out.push_back(Text(r));
  return out;
}

// An expected row record of kv (or of `table` with `columns`).
DivergentRow Div(DivergenceKind kind, Row key, std::optional<Row> base,
                 std::optional<Row> a, std::optional<Row> b,
                 std::vector<std::string> columns = {"k", "v", "n"},
                 std::string table = "kv") {
  DivergentRow r;
  r.kind = kind;
  r.table = std::move(table);
  r.key_columns = {"k"};
  r.key = std::move(key);
  r.columns = std::move(columns);
  r.base = std::move(base);
  r.a = std::move(a);
  r.b = std::move(b);
  return r;
}

DivergentRow SchemaDiv(std::string table, std::optional<TableDef> base,
                       std::optional<TableDef> a, std::optional<TableDef> b) {
  DivergentRow r;
  r.kind = DivergenceKind::kSchema;
  r.table = std::move(table);
  r.base_schema = std::move(base);
  r.a_schema = std::move(a);
  r.b_schema = std::move(b);
  return r;
}

DiffRow Dif(DiffKind kind, Row key, std::optional<Row> a, std::optional<Row> b,
            std::vector<std::string> a_columns = {"k", "v", "n"},
            std::vector<std::string> b_columns = {"k", "v", "n"},
            std::string table = "kv") {
  DiffRow r;
  r.kind = kind;
  r.table = std::move(table);
  r.key_columns = {"k"};
  r.key = std::move(key);
  r.a_columns = std::move(a_columns);
  r.b_columns = std::move(b_columns);
  r.a = std::move(a);
  r.b = std::move(b);
  return r;
}

constexpr auto kUU = DivergenceKind::kUpdateUpdate;
constexpr auto kUD = DivergenceKind::kUpdateDelete;
constexpr auto kDU = DivergenceKind::kDeleteUpdate;
constexpr auto kII = DivergenceKind::kInsertInsert;

// ------------------------------------------------------------ the fixture

class DivergenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Database> db = Database::Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }

  // Runs `fn` in one transaction on `fork` and commits it.
  template <typename Fn>
  void Write(std::string_view fork, Fn&& fn) {
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin(fork));
    fn(txn);
    ENGINE_ASSERT_OK(txn.Commit());
  }

  // kv in main with rows 1..n, in one commit.
  void SeedMain(int n = 6) {
    Write("main", [&](Transaction& txn) {
      ENGINE_ASSERT_OK(txn.CreateTable(KV()));
      for (int k = 1; k <= n; ++k)
        ENGINE_ASSERT_OK(txn.Insert("kv", Seeded(k)));
    });
  }

  void Fork(std::string_view name, std::string_view from) {
    ENGINE_ASSERT_OK(db_.CreateFork(name, from));
  }

  Snapshot Snap(std::string_view fork) {
    Result<Snapshot> snap = db_.GetSnapshot(fork);
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    return snap.ok() ? std::move(*snap) : Snapshot();
  }

  ForkInfo Info(std::string_view fork) {
    Result<ForkInfo> info = db_.GetFork(fork);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : ForkInfo();
  }

  std::optional<TableDef> Def(const Reader& r, std::string_view table) {
    Result<TableDef> def = r.GetTable(table);
    EXPECT_TRUE(def.ok()) << def.status().ToString();
    if (!def.ok()) return std::nullopt;
    return *def;
  }

  std::vector<DivergentRow> Divergence(const CompareSide& a,
                                       const CompareSide& b,
                                       const DivergenceOptions& options = {}) {
    std::vector<DivergentRow> out;
    Status s = db_.Divergence(a, b, options, [&](const DivergentRow& r) {
      out.push_back(r);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::vector<DiffRow> Diff(const CompareSide& a, const CompareSide& b,
                            const DiffOptions& options = {}) {
    std::vector<DiffRow> out;
    Status s = db_.Diff(a, b, options, [&](const DiffRow& r) {
      out.push_back(r);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::vector<DivergentPage> Pages(const CompareSide& a, const CompareSide& b) {
    std::vector<DivergentPage> out;
    Status s = db_.DivergentPages(a, b, [&](const DivergentPage& p) {
      out.push_back(p);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // "fork@seq" of the merge base, "fork id N@seq" for a dropped fork.
  std::string MergeBaseText(const CompareSide& a, const CompareSide& b) {
    Result<MergeBase> mb = db_.FindMergeBase(a, b);
    if (!mb.ok()) return mb.status().ToString();
    return (mb->fork.empty() ? "id " + std::to_string(mb->fork_id) : mb->fork) +
           "@" + std::to_string(mb->commit_seq);
  }
  std::string At(std::string_view fork, uint64_t seq) {
    return std::string(fork) + "@" + std::to_string(seq);
  }

  // Every kind once: a and b forked from main's rows 1..6.
  void EveryKind() {
    SeedMain();
    Fork("a", "main");
    Fork("b", "main");
    Write("a", [](Transaction& txn) {
      ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "a1", 10)));
      ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "a2", 20)));
      ENGINE_ASSERT_OK(txn.Delete("kv", {I(3)}));
      ENGINE_ASSERT_OK(txn.Update("kv", {I(4)}, R(4, "same", 40)));
      ENGINE_ASSERT_OK(txn.Update("kv", {I(5)}, R(5, "a5", 50)));
      ENGINE_ASSERT_OK(txn.Insert("kv", R(10, "a10", 0)));
    });
    Write("b", [](Transaction& txn) {
      ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "b1", 10)));
      ENGINE_ASSERT_OK(txn.Delete("kv", {I(2)}));
      ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, R(3, "b3", 30)));
      ENGINE_ASSERT_OK(txn.Update("kv", {I(4)}, R(4, "same", 40)));
      ENGINE_ASSERT_OK(txn.Delete("kv", {I(6)}));
      ENGINE_ASSERT_OK(txn.Insert("kv", R(10, "b10", 0)));
      ENGINE_ASSERT_OK(txn.Insert("kv", R(11, "b11", 0)));
    });
  }
  std::vector<DivergentRow> EveryKindExpected() {
    return {Div(kUU, {I(1)}, Seeded(1), R(1, "a1", 10), R(1, "b1", 10)),
            Div(kUD, {I(2)}, Seeded(2), R(2, "a2", 20), std::nullopt),
            Div(kDU, {I(3)}, Seeded(3), std::nullopt, R(3, "b3", 30)),
            Div(kII, {I(10)}, std::nullopt, R(10, "a10", 0), R(10, "b10", 0))};
  }

  Database db_;
};

// ------------------------------------------------------------ row kinds

TEST_F(DivergenceTest, EveryKindWithItsExactImages) {
  EveryKind();
  EXPECT_EQ(Texts(Divergence("a", "b")), Texts(EveryKindExpected()));
  // Swapping the sides swaps the images and the one-sided kinds.
  EXPECT_EQ(
      Texts(Divergence("b", "a")),
      Texts(std::vector<DivergentRow>{
          Div(kUU, {I(1)}, Seeded(1), R(1, "b1", 10), R(1, "a1", 10)),
          Div(kDU, {I(2)}, Seeded(2), std::nullopt, R(2, "a2", 20)),
          Div(kUD, {I(3)}, Seeded(3), R(3, "b3", 30), std::nullopt),
          Div(kII, {I(10)}, std::nullopt, R(10, "b10", 0), R(10, "a10", 0))}));
  EXPECT_EQ(MergeBaseText("a", "b"), At("main", Info("a").fork_point));
  Result<MergeBase> mb = db_.FindMergeBase("a", "b");
  ASSERT_TRUE(mb.ok()) << mb.status().ToString();
  EXPECT_EQ(mb->fork_id, Info("main").id);
}

// A table without a primary key is keyed by its hidden row id, named
// "rowid"; rows inserted on both sides take the same new ids.
TEST_F(DivergenceTest, HiddenRowIdKeysAreNamedRowid) {
  Write("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.CreateTable(TableSpec{
        "log", {Col("x", Type::kInteger), Col("y", Type::kText)}, {}}));
    ENGINE_ASSERT_OK(txn.Insert("log", {I(1), T("one")}));
    ENGINE_ASSERT_OK(txn.Insert("log", {I(2), T("two")}));
  });
  Fork("a", "main");
  Fork("b", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("log", {I(1)}, {I(1), T("a")}));
    ENGINE_ASSERT_OK(txn.Insert("log", {I(3), T("a3")}));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("log", {I(1)}, {I(1), T("b")}));
    ENGINE_ASSERT_OK(txn.Insert("log", {I(3), T("b3")}));
  });
  std::vector<DivergentRow> want = {
      Div(kUU, {I(1)}, Row{I(1), T("one")}, Row{I(1), T("a")},
          Row{I(1), T("b")}, {"x", "y"}, "log"),
      Div(kII, {I(3)}, std::nullopt, Row{I(3), T("a3")}, Row{I(3), T("b3")},
          {"x", "y"}, "log")};
  for (DivergentRow& r : want) r.key_columns = {"rowid"};
  EXPECT_EQ(Texts(Divergence("a", "b")), Texts(want));
}

TEST_F(DivergenceTest, DiffKindsWithTheirExactImages) {
  EveryKind();
  EXPECT_EQ(
      Texts(Diff("a", "b")),
      Texts(std::vector<DiffRow>{
          Dif(DiffKind::kChanged, {I(1)}, R(1, "a1", 10), R(1, "b1", 10)),
          Dif(DiffKind::kRemoved, {I(2)}, R(2, "a2", 20), std::nullopt),
          Dif(DiffKind::kAdded, {I(3)}, std::nullopt, R(3, "b3", 30)),
          Dif(DiffKind::kChanged, {I(5)}, R(5, "a5", 50), Seeded(5)),
          Dif(DiffKind::kRemoved, {I(6)}, Seeded(6), std::nullopt),
          Dif(DiffKind::kChanged, {I(10)}, R(10, "a10", 0), R(10, "b10", 0)),
          Dif(DiffKind::kAdded, {I(11)}, std::nullopt, R(11, "b11", 0))}));
  EXPECT_EQ(
      Texts(Diff("main", "a", DiffOptions{"KV"})),
      Texts(std::vector<DiffRow>{
          Dif(DiffKind::kChanged, {I(1)}, Seeded(1), R(1, "a1", 10)),
          Dif(DiffKind::kChanged, {I(2)}, Seeded(2), R(2, "a2", 20)),
          Dif(DiffKind::kRemoved, {I(3)}, Seeded(3), std::nullopt),
          Dif(DiffKind::kChanged, {I(4)}, Seeded(4), R(4, "same", 40)),
          Dif(DiffKind::kChanged, {I(5)}, Seeded(5), R(5, "a5", 50)),
          Dif(DiffKind::kAdded, {I(10)}, std::nullopt, R(10, "a10", 0))}));
}

TEST_F(DivergenceTest, DiffReportsRowsWhoseColumnNamesDiffer) {
  SeedMain(3);
  Fork("a", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.RenameColumn("kv", "v", "w"));
  });
  std::vector<DiffRow> want;
  for (int k = 1; k <= 3; ++k)
    want.push_back(Dif(DiffKind::kChanged, {I(k)}, Seeded(k), Seeded(k),
                       {"k", "w", "n"}, {"k", "v", "n"}));
  EXPECT_EQ(Texts(Diff("a", "main")), Texts(want));
}

TEST_F(DivergenceTest, CellLevelReportsOnlyColumnsChangedOnBothSides) {
  SeedMain();
  Fork("a", "main");
  Fork("b", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "a1", 10)));  // v
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "x", 20)));   // v
    ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, R(3, "x", 77)));   // v, n
    ENGINE_ASSERT_OK(txn.Update("kv", {I(4)}, R(4, "x", 40)));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "v1", 99)));  // n
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "y", 20)));   // v
    ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, R(3, "v3", 77)));  // n alike
    ENGINE_ASSERT_OK(txn.Delete("kv", {I(4)}));
  });
  EXPECT_EQ(Texts(Divergence("a", "b")),
            Texts(std::vector<DivergentRow>{
                Div(kUU, {I(1)}, Seeded(1), R(1, "a1", 10), R(1, "v1", 99)),
                Div(kUU, {I(2)}, Seeded(2), R(2, "x", 20), R(2, "y", 20)),
                Div(kUU, {I(3)}, Seeded(3), R(3, "x", 77), R(3, "v3", 77)),
                Div(kUD, {I(4)}, Seeded(4), R(4, "x", 40), std::nullopt)}));
  EXPECT_EQ(Texts(Divergence("a", "b", DivergenceOptions{"", true})),
            Texts(std::vector<DivergentRow>{
                Div(kUU, {I(2)}, Seeded(2), R(2, "x", 20), R(2, "y", 20)),
                Div(kUD, {I(4)}, Seeded(4), R(4, "x", 40), std::nullopt)}));
}

TEST_F(DivergenceTest, IdenticalChangesOnBothSidesAreNotDivergent) {
  SeedMain();
  Write("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.CreateTable(
        TableSpec{"prices",
                  {Col("k", Type::kInteger, true), Col("p", Type::kReal)},
                  {"k"}}));
    ENGINE_ASSERT_OK(txn.Insert("prices", {I(1), Value::Real(1.5)}));
  });
  Fork("a", "main");
  Fork("b", "main");
  for (const char* fork : {"a", "b"}) {
    Write(fork, [](Transaction& txn) {
      ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "same", 1)));
      ENGINE_ASSERT_OK(txn.Delete("kv", {I(2)}));
      ENGINE_ASSERT_OK(txn.Insert("kv", R(9, "nine", 9)));
      // Moved to the same new key on both sides.
      ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, R(30, "v3", 30)));
    });
  }
  // 0.0 and -0.0 are one value: the same change.
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("prices", {I(1)}, {I(1), Value::Real(0.0)}));
    // Changed and changed back: no change.
    ENGINE_ASSERT_OK(txn.Update("kv", {I(4)}, R(4, "x", 40)));
  });
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(4)}, Seeded(4)));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("prices", {I(1)}, {I(1), Value::Real(-0.0)}));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(4)}, R(4, "y", 40)));
  });
  EXPECT_EQ(Texts(Divergence("a", "b")), std::vector<std::string>{});
  EXPECT_EQ(Texts(Divergence("a", "b", DivergenceOptions{"", true})),
            std::vector<std::string>{});
  EXPECT_EQ(Texts(Diff("a", "b")),
            Texts(std::vector<DiffRow>{
                Dif(DiffKind::kChanged, {I(4)}, Seeded(4), R(4, "y", 40))}));
}

// ------------------------------------------------------------ schemas

TEST_F(DivergenceTest, SameSchemaChangeReadsBaseRowsUnderTheNewSchema) {
  SeedMain();
  Fork("a", "main");
  Fork("b", "main");
  for (const char* fork : {"a", "b"}) {
    Write(fork, [](Transaction& txn) {
      ENGINE_ASSERT_OK(
          txn.AddColumn("kv", Col("c", Type::kInteger, false, I(7))));
    });
  }
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(1), T("v1"), I(10), I(1)}));
    // The default written out: the same row as the base's under the new
    // schema.
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, {I(2), T("v2"), I(20), I(7)}));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, {I(3), T("a3"), I(30), I(7)}));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, {I(1), T("v1"), I(10), I(2)}));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, {I(2), T("b2"), I(20), I(7)}));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, {I(3), T("v3"), I(30), I(8)}));
  });
  // The premise: both sides made the same change.
  Snapshot a = Snap("a");
  Snapshot b = Snap("b");
  std::optional<TableDef> da = Def(a, "kv");
  std::optional<TableDef> db = Def(b, "kv");
  ASSERT_TRUE(da && db);
  ASSERT_EQ(SchemaText(da), SchemaText(db));

  const std::vector<std::string> columns = {"k", "v", "n", "c"};
  const std::vector<DivergentRow> want = {
      Div(kUU, {I(1)}, Row{I(1), T("v1"), I(10), I(7)},
          Row{I(1), T("v1"), I(10), I(1)}, Row{I(1), T("v1"), I(10), I(2)},
          columns),
      Div(kUU, {I(3)}, Row{I(3), T("v3"), I(30), I(7)},
          Row{I(3), T("a3"), I(30), I(7)}, Row{I(3), T("v3"), I(30), I(8)},
          columns)};
  EXPECT_EQ(Texts(Divergence("a", "b")), Texts(want));
  EXPECT_EQ(Texts(Divergence("a", "b", DivergenceOptions{"", true})),
            Texts(std::vector<DivergentRow>{want[0]}));
}

// Two tables made apart (other ids or root pages) with one declaration:
// their rows compare with no base rows.
TEST_F(DivergenceTest, SameTableDeclaredOnBothSidesComparesInserts) {
  SeedMain(1);
  Fork("a", "main");
  Fork("b", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.CreateTable(KV("pad")));  // t2 gets other pages
    ENGINE_ASSERT_OK(txn.CreateTable(KV("t2")));
    ENGINE_ASSERT_OK(txn.Insert("t2", R(1, "x", 1)));
    ENGINE_ASSERT_OK(txn.Insert("t2", R(2, "same", 2)));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.CreateTable(KV("t2")));
    ENGINE_ASSERT_OK(txn.Insert("t2", R(1, "y", 1)));
    ENGINE_ASSERT_OK(txn.Insert("t2", R(2, "same", 2)));
    ENGINE_ASSERT_OK(txn.Insert("t2", R(3, "z", 3)));
  });
  Snapshot a = Snap("a");
  Snapshot b = Snap("b");
  std::optional<TableDef> da = Def(a, "t2");
  std::optional<TableDef> db = Def(b, "t2");
  ASSERT_TRUE(da && db);
  ASSERT_TRUE(da->columns == db->columns) << "the premise: one declaration";
  EXPECT_NE(SchemaText(da), SchemaText(db)) << "the premise: two tables";
  EXPECT_EQ(Texts(Divergence("a", "b")),
            Texts(std::vector<DivergentRow>{Div(kII, {I(1)}, std::nullopt,
                                                R(1, "x", 1), R(1, "y", 1),
                                                {"k", "v", "n"}, "t2")}));
}

// Dropped and made again alike on both sides: no base rows, even where the
// base had the name.
TEST_F(DivergenceTest, TableRecreatedOnBothSidesHasNoBaseRows) {
  SeedMain(3);
  Fork("a", "main");
  Fork("b", "main");
  for (const char* fork : {"a", "b"}) {
    Write(fork, [](Transaction& txn) {
      ENGINE_ASSERT_OK(txn.DropTable("kv"));
      ENGINE_ASSERT_OK(txn.CreateTable(KV()));
      ENGINE_ASSERT_OK(txn.Insert("kv", Seeded(1)));
      ENGINE_ASSERT_OK(txn.Insert("kv", Seeded(2)));
    });
  }
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "a2", 20)));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "b2", 20)));
  });
  EXPECT_EQ(Texts(Divergence("a", "b")),
            Texts(std::vector<DivergentRow>{Div(
                kII, {I(2)}, std::nullopt, R(2, "a2", 20), R(2, "b2", 20))}));
}

// Dropped and made again alike on one side only: a change on that side,
// even though the declaration matches the other side's (which is the
// base's): a schema record if the other side changed rows, else nothing.
TEST_F(DivergenceTest, TableRecreatedOnOneSideIsAOneSidedChange) {
  SeedMain(3);
  Snapshot base = Snap("main");
  Fork("a", "main");
  Fork("b", "main");
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.DropTable("kv"));
    ENGINE_ASSERT_OK(txn.CreateTable(KV()));
    ENGINE_ASSERT_OK(txn.Insert("kv", R(1, "b1", 10)));
  });
  // a is the merge base itself: nothing can diverge.
  EXPECT_EQ(Texts(Divergence("a", "b")), std::vector<std::string>{});
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "a2", 20)));
  });
  Snapshot a = Snap("a");
  Snapshot b = Snap("b");
  EXPECT_EQ(Texts(Divergence("a", "b")),
            Texts(std::vector<DivergentRow>{
                SchemaDiv("kv", Def(base, "kv"), Def(a, "kv"), Def(b, "kv"))}));
}

TEST_F(DivergenceTest, SchemaChangeOnOneSideDivergesOnlyIfTheOtherChangedRows) {
  SeedMain();
  Write("main", [](Transaction& txn) {
    for (const char* t : {"quiet", "gone", "gone_quiet"}) {
      ENGINE_ASSERT_OK(txn.CreateTable(KV(t)));
      ENGINE_ASSERT_OK(txn.Insert(t, R(1, "one", 1)));
    }
  });
  Snapshot base = Snap("main");
  Fork("a", "main");
  Fork("b", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.AddColumn("kv", Col("c", Type::kText)));
    ENGINE_ASSERT_OK(txn.CreateIndex("quiet", "quiet_v", {"v"}, false));
    ENGINE_ASSERT_OK(txn.DropTable("gone"));
    ENGINE_ASSERT_OK(txn.DropTable("gone_quiet"));
    // A table only a has: a one-sided change.
    ENGINE_ASSERT_OK(txn.CreateTable(KV("new_in_a")));
    ENGINE_ASSERT_OK(txn.Insert("new_in_a", R(1, "x", 1)));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(6)}, R(6, "b6", 60)));
    ENGINE_ASSERT_OK(txn.Update("gone", {I(1)}, R(1, "b", 1)));
  });
  Snapshot a = Snap("a");
  Snapshot b = Snap("b");
  EXPECT_EQ(
      Texts(Divergence("a", "b")),
      Texts(std::vector<DivergentRow>{
          SchemaDiv("gone", Def(base, "gone"), std::nullopt, Def(b, "gone")),
          SchemaDiv("kv", Def(base, "kv"), Def(a, "kv"), Def(b, "kv"))}));
  EXPECT_EQ(Texts(Divergence("a", "b", DivergenceOptions{"kv", true})),
            Texts(std::vector<DivergentRow>{
                SchemaDiv("kv", Def(base, "kv"), Def(a, "kv"), Def(b, "kv"))}));
  EXPECT_EQ(Texts(Divergence("a", "b", DivergenceOptions{"quiet", false})),
            std::vector<std::string>{});
  // The table only a has is all removed rows in the diff.
  EXPECT_EQ(Texts(Diff("a", "b", DiffOptions{"new_in_a"})),
            Texts(std::vector<DiffRow>{Dif(DiffKind::kRemoved, {I(1)},
                                           R(1, "x", 1), std::nullopt,
                                           {"k", "v", "n"}, {}, "new_in_a")}));
  EXPECT_EQ(Texts(Diff("b", "a", DiffOptions{"new_in_a"})),
            Texts(std::vector<DiffRow>{Dif(DiffKind::kAdded, {I(1)},
                                           std::nullopt, R(1, "x", 1), {},
                                           {"k", "v", "n"}, "new_in_a")}));
}

TEST_F(DivergenceTest, DifferentSchemaChangesOnBothSidesDiverge) {
  SeedMain();
  Write("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.CreateTable(KV("other")));
  });
  Snapshot base = Snap("main");
  Fork("a", "main");
  Fork("b", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.AddColumn("kv", Col("c", Type::kText)));
    ENGINE_ASSERT_OK(txn.RenameColumn("other", "v", "w"));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.AddColumn("kv", Col("d", Type::kText)));
    ENGINE_ASSERT_OK(txn.DropColumn("other", "n"));
  });
  Snapshot a = Snap("a");
  Snapshot b = Snap("b");
  EXPECT_EQ(Texts(Divergence("a", "b")),
            Texts(std::vector<DivergentRow>{
                SchemaDiv("kv", Def(base, "kv"), Def(a, "kv"), Def(b, "kv")),
                SchemaDiv("other", Def(base, "other"), Def(a, "other"),
                          Def(b, "other"))}));
}

// ------------------------------------------------------------ merge bases

TEST_F(DivergenceTest, AForkComparedWithItselfIsEmpty) {
  SeedMain();
  Fork("a", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "a1", 10)));
  });
  EXPECT_EQ(MergeBaseText("a", "a"), At("a", Info("a").commit_seq));
  EXPECT_TRUE(Divergence("a", "a").empty());
  EXPECT_TRUE(Diff("a", "a").empty());
  EXPECT_TRUE(Pages("a", "a").empty());
}

TEST_F(DivergenceTest, AForkWithItsOwnEarlierSnapshot) {
  SeedMain();
  Fork("a", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(5)}, R(5, "a5", 50)));
  });
  Snapshot s = Snap("a");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "a1", 10)));
    ENGINE_ASSERT_OK(txn.Delete("kv", {I(2)}));
    ENGINE_ASSERT_OK(txn.Insert("kv", R(7, "a7", 70)));
  });
  EXPECT_EQ(MergeBaseText("a", s), At("a", s.commit_seq()));
  EXPECT_EQ(MergeBaseText(s, "a"), At("a", s.commit_seq()));
  // One side is the merge base: nothing is divergent.
  EXPECT_TRUE(Divergence("a", s).empty());
  EXPECT_TRUE(Divergence(s, "a").empty());
  EXPECT_TRUE(Pages("a", s).empty());
  EXPECT_EQ(Texts(Diff(s, "a")),
            Texts(std::vector<DiffRow>{
                Dif(DiffKind::kChanged, {I(1)}, Seeded(1), R(1, "a1", 10)),
                Dif(DiffKind::kRemoved, {I(2)}, Seeded(2), std::nullopt),
                Dif(DiffKind::kAdded, {I(7)}, std::nullopt, R(7, "a7", 70))}));
}

TEST_F(DivergenceTest, ASnapshotAndAForkMadeFromIt) {
  SeedMain();
  Snapshot s = Snap("main");
  Write("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "m1", 10)));
  });
  ENGINE_ASSERT_OK(db_.CreateFork("f", s));
  Write("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "m2", 20)));
  });
  Write("f", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "f1", 10)));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "f2", 20)));
  });
  EXPECT_EQ(MergeBaseText(s, "f"), At("main", s.commit_seq()));
  EXPECT_EQ(MergeBaseText("main", "f"), At("main", s.commit_seq()));
  EXPECT_TRUE(Divergence(s, "f").empty());
  EXPECT_EQ(Texts(Divergence("main", "f")),
            Texts(std::vector<DivergentRow>{
                Div(kUU, {I(1)}, Seeded(1), R(1, "m1", 10), R(1, "f1", 10)),
                Div(kUU, {I(2)}, Seeded(2), R(2, "m2", 20), R(2, "f2", 20))}));
  EXPECT_EQ(Texts(Diff(s, "f")),
            Texts(std::vector<DiffRow>{
                Dif(DiffKind::kChanged, {I(1)}, Seeded(1), R(1, "f1", 10)),
                Dif(DiffKind::kChanged, {I(2)}, Seeded(2), R(2, "f2", 20))}));
}

TEST_F(DivergenceTest, SiblingsKeepTheirMergeBaseAfterTheParentIsDropped) {
  SeedMain();
  Fork("a", "main");
  // The parent keeps writing: b's fork point is later, and the merge base
  // is the earlier one, a's.
  Write("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, R(3, "m3", 30)));
  });
  Fork("b", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "a1", 10)));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(3)}, R(3, "a3", 30)));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "b1", 10)));
  });
  const uint64_t main_id = Info("main").id;
  const uint64_t fork_point = Info("a").fork_point;
  ASSERT_LT(fork_point, Info("b").fork_point);
  const std::vector<DivergentRow> want = {
      Div(kUU, {I(1)}, Seeded(1), R(1, "a1", 10), R(1, "b1", 10)),
      Div(kUU, {I(3)}, Seeded(3), R(3, "a3", 30), R(3, "m3", 30))};
  EXPECT_EQ(MergeBaseText("a", "b"), At("main", fork_point));
  EXPECT_EQ(Texts(Divergence("a", "b")), Texts(want));

  ENGINE_ASSERT_OK(db_.DropFork("main"));
  EXPECT_TRUE(Info("a").parent_dropped);
  Result<MergeBase> mb = db_.FindMergeBase("a", "b");
  ASSERT_TRUE(mb.ok()) << mb.status().ToString();
  EXPECT_EQ(mb->fork, "");
  EXPECT_EQ(mb->fork_id, main_id);
  EXPECT_EQ(mb->commit_seq, fork_point);
  EXPECT_EQ(Texts(Divergence("a", "b")), Texts(want));
  EXPECT_EQ(
      Texts(Diff("a", "b")),
      Texts(std::vector<DiffRow>{
          Dif(DiffKind::kChanged, {I(1)}, R(1, "a1", 10), R(1, "b1", 10)),
          Dif(DiffKind::kChanged, {I(3)}, R(3, "a3", 30), R(3, "m3", 30))}));
}

TEST_F(DivergenceTest, GrandchildWithItsAncestorsAndACousin) {
  SeedMain();
  Fork("a", "main");
  Fork("b", "main");
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(4)}, R(4, "a4", 40)));
  });
  Fork("g", "a");
  Write("main", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "m1", 10)));
  });
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "a2", 20)));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(4)}, R(4, "b4", 40)));
  });
  Write("g", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "g1", 10)));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "g2", 20)));
  });
  const uint64_t main_at = Info("a").fork_point;
  const uint64_t a_at = Info("g").fork_point;
  ASSERT_GT(a_at, 0u);

  // The grandparent: the merge base is where g's line left main.
  EXPECT_EQ(MergeBaseText("main", "g"), At("main", main_at));
  EXPECT_EQ(MergeBaseText("g", "main"), At("main", main_at));
  EXPECT_EQ(Texts(Divergence("main", "g")),
            Texts(std::vector<DivergentRow>{
                Div(kUU, {I(1)}, Seeded(1), R(1, "m1", 10), R(1, "g1", 10))}));
  // The parent: g's own fork point.
  EXPECT_EQ(MergeBaseText("a", "g"), At("a", a_at));
  EXPECT_EQ(Texts(Divergence("a", "g")),
            Texts(std::vector<DivergentRow>{Div(
                kUU, {I(2)}, R(2, "v2", 20), R(2, "a2", 20), R(2, "g2", 20))}));
  // A cousin: back to main, where a and b split.
  EXPECT_EQ(MergeBaseText("b", "g"), At("main", main_at));
  EXPECT_EQ(Texts(Divergence("b", "g")),
            Texts(std::vector<DivergentRow>{
                Div(kUU, {I(4)}, Seeded(4), R(4, "b4", 40), R(4, "a4", 40))}));
}

// ------------------------------------------------------------ pages

TEST_F(DivergenceTest, PagesWrittenOnBothSides) {
  SeedMain();
  Fork("a", "main");
  Fork("b", "main");
  // Two adjacent keys of one small table: one leaf, written on both sides,
  // with no divergent row.
  Write("a", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "a1", 10)));
  });
  Write("b", [](Transaction& txn) {
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "b2", 20)));
  });
  EXPECT_TRUE(Divergence("a", "b").empty());
  const std::vector<DivergentPage> pages = Pages("a", "b");
  bool kv_leaf = false;
  for (size_t i = 0; i < pages.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(pages[i - 1].page, pages[i].page);
    }
    if (pages[i].table == "kv") {
      kv_leaf = true;
      EXPECT_EQ(pages[i].a, "kv leaf");
      EXPECT_EQ(pages[i].b, "kv leaf");
      EXPECT_EQ(pages[i].base, "kv leaf");
    }
  }
  EXPECT_TRUE(kv_leaf) << pages.size() << " pages, none of kv";
  // main wrote nothing since: no page was written on both sides.
  EXPECT_TRUE(Pages("main", "a").empty());
}

// ------------------------------------------------------------ errors

TEST_F(DivergenceTest, UnknownForkOrTableIsNotFound) {
  EveryKind();
  auto ignore_row = [](const DivergentRow&) { return true; };
  auto ignore_diff = [](const DiffRow&) { return true; };
  auto ignore_page = [](const DivergentPage&) { return true; };
  EXPECT_TRUE(db_.FindMergeBase("nope", "a").status().IsNotFound());
  EXPECT_TRUE(db_.FindMergeBase("a", "nope").status().IsNotFound());
  EXPECT_TRUE(db_.Divergence("nope", "a", {}, ignore_row).IsNotFound());
  EXPECT_TRUE(db_.Divergence("a", "nope", {}, ignore_row).IsNotFound());
  EXPECT_TRUE(db_.Diff("nope", "a", {}, ignore_diff).IsNotFound());
  EXPECT_TRUE(db_.DivergentPages("a", "nope", ignore_page).IsNotFound());
  EXPECT_TRUE(
      db_.Divergence("a", "b", DivergenceOptions{"nope", false}, ignore_row)
          .IsNotFound());
  EXPECT_TRUE(
      db_.Diff("a", "b", DiffOptions{"nope"}, ignore_diff).IsNotFound());
}

// Every fork but main is made from another, and main cannot be made again,
// so two forks without a common ancestor can only come from two databases.
TEST_F(DivergenceTest, ASnapshotOfAnotherDatabaseIsInvalidArgument) {
  SeedMain();
  ENGINE_ASSERT_OK_AND_ASSIGN(Database other, Database::Open());
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot foreign, other.GetSnapshot("main"));
  EXPECT_TRUE(db_.FindMergeBase("main", foreign).status().IsInvalidArgument());
  EXPECT_TRUE(db_.Divergence("main", foreign, {},
                             [](const DivergentRow&) { return true; })
                  .IsInvalidArgument());
  EXPECT_TRUE(db_.Diff(foreign, "main", {}, [](const DiffRow&) { return true; })
                  .IsInvalidArgument());
  EXPECT_TRUE(db_.DivergentPages("main", foreign,
                                 [](const DivergentPage&) { return true; })
                  .IsInvalidArgument());
}

TEST_F(DivergenceTest, ReturningFalseStopsTheStream) {
  EveryKind();
  std::vector<DivergentRow> rows;
  ENGINE_ASSERT_OK(db_.Divergence("a", "b", {}, [&](const DivergentRow& r) {
    rows.push_back(r);
    return false;
  }));
  EXPECT_EQ(Texts(rows),
            Texts(std::vector<DivergentRow>{EveryKindExpected()[0]}));
  std::vector<DiffRow> diffs;
  ENGINE_ASSERT_OK(db_.Diff("a", "b", {}, [&](const DiffRow& r) {
    diffs.push_back(r);
    return false;
  }));
  EXPECT_EQ(diffs.size(), 1u);
  int pages = 0;
  ENGINE_ASSERT_OK(db_.DivergentPages("a", "b", [&](const DivergentPage&) {
    ++pages;
    return false;
  }));
  EXPECT_EQ(pages, 1);  // kv's leaf at least was written on both sides
}

// ------------------------------------------------------------ durable

TEST(DivergenceDurableTest, ReopenedDatabaseKeepsForkTreeAndDivergence) {
  cow::ScratchDir dir;
  const std::vector<DivergentRow> want = {
      Div(kUU, {I(1)}, Seeded(1), R(1, "a1", 10), R(1, "b1", 10)),
      Div(kUD, {I(2)}, Seeded(2), R(2, "a2", 20), std::nullopt)};
  uint64_t fork_point = 0;
  {
    ENGINE_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(dir.path()));
    ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db.Begin("main"));
    ENGINE_ASSERT_OK(txn.CreateTable(KV()));
    for (int k = 1; k <= 4; ++k) ENGINE_ASSERT_OK(txn.Insert("kv", Seeded(k)));
    ENGINE_ASSERT_OK(txn.Commit());
    ENGINE_ASSERT_OK(db.CreateFork("a", "main"));
    ENGINE_ASSERT_OK(db.CreateFork("b", "main"));
    ENGINE_ASSERT_OK_AND_ASSIGN(txn, db.Begin("a"));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "a1", 10)));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(2)}, R(2, "a2", 20)));
    ENGINE_ASSERT_OK(txn.Commit());
    ENGINE_ASSERT_OK_AND_ASSIGN(txn, db.Begin("b"));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "b1", 10)));
    ENGINE_ASSERT_OK(txn.Delete("kv", {I(2)}));
    ENGINE_ASSERT_OK(txn.Commit());
    // main writes on after the forks: the base must stay where it was.
    ENGINE_ASSERT_OK_AND_ASSIGN(txn, db.Begin("main"));
    ENGINE_ASSERT_OK(txn.Update("kv", {I(1)}, R(1, "m1", 10)));
    ENGINE_ASSERT_OK(txn.Commit());
    ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo a, db.GetFork("a"));
    fork_point = a.fork_point;
  }
  ENGINE_ASSERT_OK_AND_ASSIGN(Database db, Database::Open(dir.path()));
  ENGINE_ASSERT_OK_AND_ASSIGN(MergeBase mb, db.FindMergeBase("a", "b"));
  EXPECT_EQ(mb.fork, "main");
  EXPECT_EQ(mb.commit_seq, fork_point);
  std::vector<DivergentRow> got;
  ENGINE_ASSERT_OK(db.Divergence("a", "b", {}, [&](const DivergentRow& r) {
    got.push_back(r);
    return true;
  }));
  EXPECT_EQ(Texts(got), Texts(want));
  got.clear();
  ENGINE_ASSERT_OK(db.Divergence("main", "b", {}, [&](const DivergentRow& r) {
    got.push_back(r);
    return true;
  }));
  EXPECT_EQ(Texts(got),
            Texts(std::vector<DivergentRow>{
                Div(kUU, {I(1)}, Seeded(1), R(1, "m1", 10), R(1, "b1", 10))}));
}

}  // namespace
}  // namespace forkdb::engine
