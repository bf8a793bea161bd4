// Tests for engine/catalog.cc: one test per call and error, atomicity of
// failed calls (the catalog tree compared entry by entry, plus the meta page),
// persistence across reopen, forks carrying and diverging their catalogs, the
// entry decoder against damaged bytes, and a model-based randomized test on
// both cow backends.
#include "engine/catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/cow/test_util.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using cow::Backend;
using cow::TestStoreEnv;
using test::Col;

TableSpec Spec(std::string name, std::vector<ColumnDef> columns,
               std::vector<std::string> pk = {}) {
  return TableSpec{std::move(name), std::move(columns), std::move(pk)};
}

TableSpec Users() {
  return Spec("Users",
              {Col("id", Type::kInteger, true), Col("name", Type::kText, true),
               Col("score", Type::kReal, false, Value::Real(0.5)),
               Col("tag", Type::kText)},
              {"id"});
}

// Every catalog entry (raw bytes) plus the meta page's allocator state: what
// a failed call must leave exactly as it was.
struct CatalogImage {
  std::map<std::string, std::string> entries;
  PageNo next_page = 0;
  PageNo free_head = 0;
  uint64_t free_count = 0;
  bool operator==(const CatalogImage&) const = default;
};

CatalogImage Image(PageReader* pages, PageNo root) {
  CatalogImage image;
  auto cursor = BTree(pages, root).NewCursor();
  EXPECT_TRUE(cursor->SeekToFirst().ok());
  while (cursor->Valid()) {
    auto value = cursor->value();
    EXPECT_TRUE(value.ok());
    image.entries[std::string(cursor->key())] = value.ok() ? *value : "";
    EXPECT_TRUE(cursor->Next().ok());
  }
  auto meta = ReadMeta(pages);
  EXPECT_TRUE(meta.ok());
  if (meta.ok()) {
    image.next_page = meta->next_page;
    image.free_head = meta->free_head;
    image.free_count = meta->free_count;
  }
  return image;
}

// One fork "main" with an open transaction and a catalog in it.
struct Fixture {
  explicit Fixture(Backend backend = Backend::kMemory) : env(backend) {
    EXPECT_TRUE(env.store().CreateRootFork("main").ok());
    Begin();
  }
  void Begin(std::string_view fork = "main") {
    auto t = env.store().Begin(fork);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    txn = std::move(t).value();
    pages =
        std::make_unique<TransactionPages>(txn.get(), env.store().block_size());
    auto c = Catalog::Open(pages.get(), txn.get());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    catalog.emplace(std::move(c).value());
  }
  CatalogImage Snap() { return Image(pages.get(), catalog->root()); }
  Status Space() { return test::CheckCatalogPageSpace(pages.get(), *catalog); }

  TestStoreEnv env;
  std::unique_ptr<cow::Transaction> txn;
  std::unique_ptr<TransactionPages> pages;
  std::optional<Catalog> catalog;
};

TEST(CatalogTest, OpenOnFreshForkCreatesTreeInSlotZero) {
  Fixture f;
  ENGINE_ASSERT_OK_AND_ASSIGN(PageNo slot,
                              GetRootSlot(f.pages.get(), kCatalogRootSlot));
  EXPECT_EQ(slot, f.catalog->root());
  EXPECT_NE(slot, 0u);
  ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t version, f.catalog->SchemaVersion());
  EXPECT_EQ(version, 0u);
  ENGINE_ASSERT_OK_AND_ASSIGN(auto tables, f.catalog->ListTables());
  EXPECT_TRUE(tables.empty());
  ENGINE_ASSERT_OK(f.catalog->Check());
  ENGINE_ASSERT_OK(f.Space());
  // Opening again finds the same tree.
  ENGINE_ASSERT_OK_AND_ASSIGN(Catalog again,
                              Catalog::Open(f.pages.get(), f.txn.get()));
  EXPECT_EQ(again.root(), slot);
}

TEST(CatalogTest, CreateTableAssignsIdsAndCreatesEmptyTree) {
  Fixture f;
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->CreateTable(Users()));
  EXPECT_EQ(users.id, 1u);
  EXPECT_EQ(users.name, "Users");
  ASSERT_EQ(users.columns.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(users.columns[i].id, i);
  EXPECT_EQ(users.next_column_id, 4u);
  EXPECT_EQ(users.primary_key, std::vector<uint32_t>{0});
  EXPECT_EQ(users.schema_version, 1u);
  EXPECT_EQ(users.columns[2].default_value, Value::Real(0.5));
  ENGINE_ASSERT_OK(CheckTree(f.pages.get(), users.root));
  auto cursor = BTree(f.pages.get(), users.root).NewCursor();
  ENGINE_ASSERT_OK(cursor->SeekToFirst());
  EXPECT_FALSE(cursor->Valid());

  ENGINE_ASSERT_OK_AND_ASSIGN(
      TableDef log,
      f.catalog->CreateTable(
          Spec("log", {Col("a", Type::kBlob), Col("b", Type::kText)})));
  EXPECT_EQ(log.id, 2u);
  EXPECT_TRUE(log.primary_key.empty());
  EXPECT_NE(log.root, users.root);

  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef got, f.catalog->GetTable("USERS"));
  EXPECT_EQ(got, users);
  ENGINE_ASSERT_OK_AND_ASSIGN(auto tables, f.catalog->ListTables());
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "log");
  EXPECT_EQ(tables[1].name, "Users");
  ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t version, f.catalog->SchemaVersion());
  EXPECT_EQ(version, 2u);
  ENGINE_ASSERT_OK(f.catalog->Check());
  ENGINE_ASSERT_OK(f.Space());
}

TEST(CatalogTest, CreateTableCompositeKeyAndIntegerDefaultOfRealColumn) {
  Fixture f;
  ENGINE_ASSERT_OK_AND_ASSIGN(
      TableDef t, f.catalog->CreateTable(Spec(
                      "t",
                      {Col("a", Type::kInteger),
                       Col("r", Type::kReal, false, Value::Integer(3)),
                       Col("b", Type::kText),
                       Col("f", Type::kBoolean, true, Value::Boolean(true)),
                       Col("n", Type::kBlob, false, Value::Null())},
                      {"B", "a"})));
  EXPECT_EQ(t.primary_key, (std::vector<uint32_t>{2, 0}));
  EXPECT_EQ(t.columns[1].default_value, Value::Real(3.0));
  EXPECT_EQ(t.columns[3].default_value, Value::Boolean(true));
  EXPECT_EQ(t.columns[4].default_value, Value::Null());
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef got, f.catalog->GetTable("t"));
  EXPECT_EQ(got, t);
}

TEST(CatalogTest, CreateTableErrorsChangeNothing) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  EXPECT_FAILS_CLEANLY(f, f.catalog->CreateTable(Users()), kInvalidArgument,
                       "table Users already exists");
  TableSpec upper = Users();
  upper.name = "USERS";
  EXPECT_FAILS_CLEANLY(f, f.catalog->CreateTable(upper), kInvalidArgument,
                       "already exists");
  EXPECT_FAILS_CLEANLY(
      f,
      f.catalog->CreateTable(
          Spec("t", {Col("a", Type::kInteger), Col("A", Type::kText)})),
      kInvalidArgument, "duplicate column A");
  EXPECT_FAILS_CLEANLY(
      f, f.catalog->CreateTable(Spec("t", {Col("a", Type::kInteger)}, {"b"})),
      kInvalidArgument, "primary key names unknown column b");
  EXPECT_FAILS_CLEANLY(
      f,
      f.catalog->CreateTable(Spec("t", {Col("a", Type::kInteger)}, {"a", "A"})),
      kInvalidArgument, "twice");
  EXPECT_FAILS_CLEANLY(
      f,
      f.catalog->CreateTable(
          Spec("t", {Col("a", Type::kInteger, false, Value::Text("x"))})),
      kInvalidArgument, "default 'x' is not INTEGER");
  EXPECT_FAILS_CLEANLY(
      f,
      f.catalog->CreateTable(
          Spec("t", {Col("a", Type::kBoolean, false, Value::Integer(1))})),
      kInvalidArgument, "is not BOOLEAN");
  EXPECT_FAILS_CLEANLY(
      f, f.catalog->CreateTable(Spec("t", {Col("a", Type::kNull)})),
      kInvalidArgument, "not a column type");
  EXPECT_FAILS_CLEANLY(f, f.catalog->CreateTable(Spec("t", {})),
                       kInvalidArgument, "no columns");
  EXPECT_FAILS_CLEANLY(
      f, f.catalog->CreateTable(Spec("", {Col("a", Type::kInteger)})),
      kInvalidArgument, "name");
  EXPECT_FAILS_CLEANLY(f,
                       f.catalog->CreateTable(Spec(std::string(200, 'x'),
                                                   {Col("a", Type::kInteger)})),
                       kInvalidArgument, "1 to 128 bytes");
  EXPECT_FAILS_CLEANLY(
      f, f.catalog->CreateTable(Spec("t", {Col("", Type::kInteger)})),
      kInvalidArgument, "column name");
  ENGINE_ASSERT_OK(f.catalog->Check());
  ENGINE_ASSERT_OK(f.Space());
}

TEST(CatalogTest, DropTableFreesItsTreesAndIndexes) {
  Fixture f;
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->CreateTable(Users()));
  ENGINE_ASSERT_OK(
      f.catalog->CreateIndex("users", "by_name", {"name"}, false).status());
  // Put enough rows in the table tree that it has several pages.
  BTree tree(static_cast<PageWriter*>(f.pages.get()), users.root);
  for (int i = 0; i < 2000; ++i)
    ENGINE_ASSERT_OK(
        tree.Insert("key" + std::to_string(100000 + i), std::string(40, 'v')));
  ENGINE_ASSERT_OK(f.Space());
  ENGINE_ASSERT_OK_AND_ASSIGN(MetaState before, ReadMeta(f.pages.get()));
  ENGINE_ASSERT_OK(f.catalog->DropTable("USERS"));
  ENGINE_ASSERT_OK_AND_ASSIGN(MetaState after, ReadMeta(f.pages.get()));
  EXPECT_GT(after.free_count, before.free_count + 10);
  EXPECT_TRUE(f.catalog->GetTable("users").status().IsNotFound());
  ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t version, f.catalog->SchemaVersion());
  EXPECT_EQ(version, 3u);
  ENGINE_ASSERT_OK(f.Space());  // every freed page is on the free list
  EXPECT_FAILS_CLEANLY(f, f.catalog->DropTable("users"), kNotFound,
                       "table users does not exist");
  // The index name is free again, and ids are not reused.
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef again, f.catalog->CreateTable(Users()));
  EXPECT_EQ(again.id, 2u);
  ENGINE_ASSERT_OK_AND_ASSIGN(
      IndexDef index,
      f.catalog->CreateIndex("users", "by_name", {"name"}, false));
  EXPECT_EQ(index.id, 2u);
  ENGINE_ASSERT_OK(f.catalog->Check());
}

TEST(CatalogTest, CreateAndDropIndex) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  ENGINE_ASSERT_OK(
      f.catalog->CreateTable(Spec("other", {Col("x", Type::kInteger)}))
          .status());
  ENGINE_ASSERT_OK_AND_ASSIGN(
      IndexDef index,
      f.catalog->CreateIndex("users", "ByTag", {"TAG", "name"}, true));
  EXPECT_EQ(index.id, 1u);
  EXPECT_EQ(index.columns, (std::vector<uint32_t>{3, 1}));
  EXPECT_TRUE(index.unique);
  ENGINE_ASSERT_OK(CheckTree(f.pages.get(), index.root));
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->GetTable("users"));
  ASSERT_EQ(users.indexes.size(), 1u);
  EXPECT_EQ(users.indexes[0], index);
  EXPECT_EQ(users.schema_version, 2u);
  ENGINE_ASSERT_OK(f.Space());

  EXPECT_FAILS_CLEANLY(f, f.catalog->CreateIndex("nope", "i", {"x"}, false),
                       kNotFound, "table nope does not exist");
  EXPECT_FAILS_CLEANLY(
      f, f.catalog->CreateIndex("other", "bytag", {"x"}, false),
      kInvalidArgument, "index bytag already exists on table Users");
  EXPECT_FAILS_CLEANLY(f, f.catalog->CreateIndex("users", "i", {"zz"}, false),
                       kInvalidArgument, "has no column zz");
  EXPECT_FAILS_CLEANLY(
      f, f.catalog->CreateIndex("users", "i", {"id", "ID"}, false),
      kInvalidArgument, "named twice");
  EXPECT_FAILS_CLEANLY(f, f.catalog->CreateIndex("users", "i", {}, false),
                       kInvalidArgument, "no columns");
  EXPECT_FAILS_CLEANLY(f, f.catalog->DropIndex("missing"), kNotFound,
                       "index missing does not exist");

  ENGINE_ASSERT_OK(f.catalog->DropIndex("BYTAG"));
  ENGINE_ASSERT_OK_AND_ASSIGN(users, f.catalog->GetTable("users"));
  EXPECT_TRUE(users.indexes.empty());
  EXPECT_EQ(users.schema_version, 3u);
  ENGINE_ASSERT_OK(f.Space());
  ENGINE_ASSERT_OK(f.catalog->Check());
}

TEST(CatalogTest, RenameTableIsMetadataOnly) {
  Fixture f;
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->CreateTable(Users()));
  ENGINE_ASSERT_OK(
      f.catalog->CreateTable(Spec("other", {Col("x", Type::kInteger)}))
          .status());
  ENGINE_ASSERT_OK(f.catalog->RenameTable("users", "People"));
  EXPECT_TRUE(f.catalog->GetTable("users").status().IsNotFound());
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef people, f.catalog->GetTable("people"));
  EXPECT_EQ(people.name, "People");
  EXPECT_EQ(people.id, users.id);
  EXPECT_EQ(people.root, users.root);
  EXPECT_EQ(people.columns, users.columns);
  EXPECT_EQ(people.schema_version, users.schema_version + 1);
  // A change of case only.
  ENGINE_ASSERT_OK(f.catalog->RenameTable("people", "PEOPLE"));
  ENGINE_ASSERT_OK_AND_ASSIGN(people, f.catalog->GetTable("people"));
  EXPECT_EQ(people.name, "PEOPLE");
  ENGINE_ASSERT_OK_AND_ASSIGN(auto tables, f.catalog->ListTables());
  EXPECT_EQ(tables.size(), 2u);

  EXPECT_FAILS_CLEANLY(f, f.catalog->RenameTable("people", "OTHER"),
                       kInvalidArgument, "table other already exists");
  EXPECT_FAILS_CLEANLY(f, f.catalog->RenameTable("users", "x"), kNotFound,
                       "table users does not exist");
  EXPECT_FAILS_CLEANLY(f, f.catalog->RenameTable("people", ""),
                       kInvalidArgument, "name");
  ENGINE_ASSERT_OK(f.catalog->Check());
}

TEST(CatalogTest, RenameColumnKeepsItsId) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  ENGINE_ASSERT_OK(f.catalog->RenameColumn("users", "NAME", "full_name"));
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->GetTable("users"));
  EXPECT_EQ(users.columns[1].name, "full_name");
  EXPECT_EQ(users.columns[1].id, 1u);
  EXPECT_EQ(users.schema_version, 2u);
  ENGINE_ASSERT_OK(f.catalog->RenameColumn("users", "full_name", "Full_Name"));
  EXPECT_FAILS_CLEANLY(f, f.catalog->RenameColumn("users", "tag", "ID"),
                       kInvalidArgument, "column id exists");
  EXPECT_FAILS_CLEANLY(f, f.catalog->RenameColumn("users", "nope", "x"),
                       kNotFound, "has no column nope");
  EXPECT_FAILS_CLEANLY(f, f.catalog->RenameColumn("nope", "id", "x"), kNotFound,
                       "table nope does not exist");
  EXPECT_FAILS_CLEANLY(f, f.catalog->RenameColumn("users", "id", ""),
                       kInvalidArgument, "name");
}

TEST(CatalogTest, AddColumnTakesANewIdNeverReused) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  ENGINE_ASSERT_OK(f.catalog->DropColumn("users", "tag"));
  ColumnDef c = Col("tag", Type::kInteger, true, Value::Integer(7));
  c.id = 1;  // ignored
  ENGINE_ASSERT_OK_AND_ASSIGN(ColumnDef added,
                              f.catalog->AddColumn("users", c));
  EXPECT_EQ(added.id, 4u);  // not 3, the dropped column's
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->GetTable("users"));
  ASSERT_EQ(users.columns.size(), 4u);
  EXPECT_EQ(users.columns.back(), added);
  EXPECT_EQ(users.next_column_id, 5u);
  EXPECT_EQ(users.schema_version, 3u);

  EXPECT_FAILS_CLEANLY(f,
                       f.catalog->AddColumn("users", Col("NAME", Type::kText)),
                       kInvalidArgument, "column NAME already exists");
  EXPECT_FAILS_CLEANLY(
      f, f.catalog->AddColumn("users", Col("x", Type::kText, true)),
      kInvalidArgument, "without a non-NULL default");
  EXPECT_FAILS_CLEANLY(
      f,
      f.catalog->AddColumn("users", Col("x", Type::kText, true, Value::Null())),
      kInvalidArgument, "without a non-NULL default");
  EXPECT_FAILS_CLEANLY(
      f,
      f.catalog->AddColumn("users",
                           Col("x", Type::kText, false, Value::Integer(1))),
      kInvalidArgument, "is not TEXT");
  EXPECT_FAILS_CLEANLY(f, f.catalog->AddColumn("users", Col("x", Type::kNull)),
                       kInvalidArgument, "not a column type");
  EXPECT_FAILS_CLEANLY(f, f.catalog->AddColumn("nope", Col("x", Type::kText)),
                       kNotFound, "table nope does not exist");
}

TEST(CatalogTest, DropColumnRefusesKeyAndIndexColumns) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  ENGINE_ASSERT_OK(
      f.catalog->CreateIndex("users", "by_tag", {"tag"}, false).status());
  EXPECT_FAILS_CLEANLY(f, f.catalog->DropColumn("users", "ID"),
                       kInvalidArgument,
                       "cannot drop column id: it is part of the primary key");
  EXPECT_FAILS_CLEANLY(f, f.catalog->DropColumn("users", "tag"),
                       kInvalidArgument,
                       "cannot drop column tag: index by_tag uses it");
  EXPECT_FAILS_CLEANLY(f, f.catalog->DropColumn("users", "nope"), kNotFound,
                       "has no column nope");
  EXPECT_FAILS_CLEANLY(f, f.catalog->DropColumn("nope", "id"), kNotFound,
                       "does not exist");
  ENGINE_ASSERT_OK(f.catalog->DropColumn("users", "Score"));
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->GetTable("users"));
  ASSERT_EQ(users.columns.size(), 3u);
  EXPECT_EQ(users.columns[2].name, "tag");
  EXPECT_EQ(users.columns[2].id, 3u);
  EXPECT_EQ(users.FindColumnById(2), nullptr);

  ENGINE_ASSERT_OK(
      f.catalog->CreateTable(Spec("solo", {Col("only", Type::kText)}))
          .status());
  EXPECT_FAILS_CLEANLY(f, f.catalog->DropColumn("solo", "only"),
                       kInvalidArgument, "it is the only column");
}

TEST(CatalogTest, AlterColumnTypeRecordsTheType) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  ENGINE_ASSERT_OK(f.catalog->AlterColumnType("users", "score", Type::kText));
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->GetTable("users"));
  EXPECT_EQ(users.columns[2].type, Type::kText);
  EXPECT_EQ(users.columns[2].id, 2u);
  EXPECT_EQ(users.schema_version, 2u);
  EXPECT_FAILS_CLEANLY(
      f, f.catalog->AlterColumnType("users", "score", Type::kNull),
      kInvalidArgument, "not a column type");
  EXPECT_FAILS_CLEANLY(f,
                       f.catalog->AlterColumnType("users", "nope", Type::kText),
                       kNotFound, "has no column nope");
  ENGINE_ASSERT_OK(f.catalog->Check());
}

TEST(CatalogTest, EveryChangeBumpsTableAndGlobalVersion) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  uint64_t expected = 1;
  auto check = [&](uint64_t global, uint64_t table) {
    auto v = f.catalog->SchemaVersion();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, global);
    auto t = f.catalog->GetTable("users");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->schema_version, table);
  };
  check(1, 1);
  ENGINE_ASSERT_OK(f.catalog->RenameColumn("users", "tag", "label"));
  check(2, ++expected);
  ENGINE_ASSERT_OK(
      f.catalog->AddColumn("users", Col("extra", Type::kBlob)).status());
  check(3, ++expected);
  ENGINE_ASSERT_OK(f.catalog->AlterColumnType("users", "extra", Type::kText));
  check(4, ++expected);
  ENGINE_ASSERT_OK(f.catalog->DropColumn("users", "extra"));
  check(5, ++expected);
  ENGINE_ASSERT_OK(
      f.catalog->CreateIndex("users", "i", {"label"}, false).status());
  check(6, ++expected);
  ENGINE_ASSERT_OK(f.catalog->DropIndex("i"));
  check(7, ++expected);
  ENGINE_ASSERT_OK(f.catalog->RenameTable("users", "Users"));
  check(8, ++expected);
  // Failures bump nothing.
  EXPECT_FALSE(f.catalog->DropColumn("users", "id").ok());
  check(8, expected);
  // SetNextRowId is the table layer's counter, not a schema change.
  ENGINE_ASSERT_OK(f.catalog->SetNextRowId("users", 100));
  check(8, expected);
  EXPECT_FAILS_CLEANLY(f, f.catalog->SetNextRowId("users", 99),
                       kInvalidArgument, "below 100");
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->GetTable("users"));
  EXPECT_EQ(users.next_row_id, 100u);
}

TEST(CatalogTest, ReadOnlyCatalogReadsAndRefusesWrites) {
  Fixture f;
  {  // A fork with no catalog tree reads as empty.
    ENGINE_ASSERT_OK_AND_ASSIGN(auto snap, f.env.store().OpenSnapshot("main"));
    SnapshotPages pages(snap.get(), f.env.store().block_size());
    ENGINE_ASSERT_OK_AND_ASSIGN(Catalog c, Catalog::Open(&pages));
    EXPECT_EQ(c.root(), 0u);
    ENGINE_ASSERT_OK_AND_ASSIGN(auto tables, c.ListTables());
    EXPECT_TRUE(tables.empty());
    EXPECT_TRUE(c.GetTable("users").status().IsNotFound());
  }
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->CreateTable(Users()));
  ENGINE_ASSERT_OK(f.txn->Commit());
  ENGINE_ASSERT_OK_AND_ASSIGN(auto snap, f.env.store().OpenSnapshot("main"));
  SnapshotPages pages(snap.get(), f.env.store().block_size());
  ENGINE_ASSERT_OK_AND_ASSIGN(Catalog c, Catalog::Open(&pages));
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef got, c.GetTable("users"));
  EXPECT_EQ(got, users);
  EXPECT_TRUE(c.CreateTable(Users()).status().IsInvalidArgument());
  EXPECT_TRUE(c.DropTable("users").IsInvalidArgument());
  EXPECT_TRUE(c.RenameTable("users", "x").IsInvalidArgument());
  ENGINE_ASSERT_OK(c.Check());
}

TEST(CatalogTest, PersistsAcrossCommitAndReopenOnRocksDB) {
  Fixture f(Backend::kRocksDB);
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  ENGINE_ASSERT_OK(
      f.catalog->CreateIndex("users", "by_tag", {"tag"}, true).status());
  ENGINE_ASSERT_OK(
      f.catalog->CreateTable(Spec("t2", {Col("a", Type::kBlob)})).status());
  ENGINE_ASSERT_OK(f.catalog->RenameColumn("t2", "a", "b"));
  ENGINE_ASSERT_OK_AND_ASSIGN(auto before, f.catalog->ListTables());
  const CatalogImage image = f.Snap();
  ENGINE_ASSERT_OK(f.txn->Commit());
  f.catalog.reset();
  f.pages.reset();
  f.txn.reset();
  f.env.Reopen();
  f.Begin();
  ENGINE_ASSERT_OK_AND_ASSIGN(auto after, f.catalog->ListTables());
  EXPECT_EQ(after, before);
  EXPECT_TRUE(f.Snap() == image);
  ENGINE_ASSERT_OK(f.catalog->Check());
  ENGINE_ASSERT_OK(f.Space());
  // An aborted change is not persisted.
  ENGINE_ASSERT_OK(f.catalog->DropTable("users"));
  f.txn->Abort();
  f.catalog.reset();
  f.pages.reset();
  f.txn.reset();
  f.env.Reopen();
  f.Begin();
  ENGINE_ASSERT_OK_AND_ASSIGN(after, f.catalog->ListTables());
  EXPECT_EQ(after, before);
}

TEST(CatalogTest, ForkCarriesItsCatalogAndDivergesIndependently) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  ENGINE_ASSERT_OK(f.txn->Commit());
  ENGINE_ASSERT_OK(f.env.store().CreateFork("dev", "main").status());

  f.Begin("dev");
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef dev_users, f.catalog->GetTable("users"));
  ENGINE_ASSERT_OK(
      f.catalog->AddColumn("users", Col("email", Type::kText)).status());
  ENGINE_ASSERT_OK(
      f.catalog->CreateTable(Spec("dev_only", {Col("a", Type::kInteger)}))
          .status());
  ENGINE_ASSERT_OK(f.txn->Commit());

  f.Begin("main");
  ENGINE_ASSERT_OK(f.catalog->RenameTable("users", "members"));
  ENGINE_ASSERT_OK(f.txn->Commit());

  auto tables_of = [&](std::string_view fork) {
    auto snap = f.env.store().OpenSnapshot(fork);
    EXPECT_TRUE(snap.ok());
    SnapshotPages pages(snap->get(), f.env.store().block_size());
    auto c = Catalog::Open(&pages);
    EXPECT_TRUE(c.ok());
    EXPECT_TRUE(c->Check().ok());
    auto roots = c->TreeRoots();
    EXPECT_TRUE(roots.ok());
    EXPECT_TRUE(CheckPageSpace(&pages, *roots).ok());
    std::vector<std::string> names;
    auto tables = c->ListTables();
    EXPECT_TRUE(tables.ok());
    for (const TableDef& t : *tables)
      names.push_back(t.name + "/" + std::to_string(t.columns.size()) + "/v" +
                      std::to_string(t.schema_version));
    return names;
  };
  EXPECT_EQ(tables_of("main"), (std::vector<std::string>{"members/4/v2"}));
  EXPECT_EQ(tables_of("dev"),
            (std::vector<std::string>{"dev_only/1/v1", "Users/5/v2"}));
  EXPECT_EQ(dev_users.columns.size(), 4u);
}

TEST(CatalogTest, DecodeRejectsDamagedEntries) {
  Fixture f;
  ENGINE_ASSERT_OK(f.catalog->CreateTable(Users()).status());
  ENGINE_ASSERT_OK(
      f.catalog->CreateIndex("users", "by_tag", {"tag", "id"}, true).status());
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->GetTable("users"));
  const std::string good = EncodeTableDef(users);
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef back, DecodeTableDef(good));
  EXPECT_EQ(back, users);
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_TRUE(DecodeTableDef(good.substr(0, n)).status().IsCorruption()) << n;
  EXPECT_TRUE(DecodeTableDef(good + "x").status().IsCorruption());

  const uint64_t seed = test::TestSeed();
  test::RandomValues random(seed);
  int accepted = 0;
  for (int i = 0; i < test::Scaled(20000); ++i) {
    const std::string bad = test::Mutate(random, good);
    Result<TableDef> r = DecodeTableDef(bad);
    if (r.ok()) {
      ++accepted;
      EXPECT_TRUE(r->IsWellFormed());
      EXPECT_EQ(EncodeTableDef(*r), bad) << test::Hex(bad);
    } else {
      EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    }
  }
  std::cout << "damaged entries accepted as other valid defs: " << accepted
            << "\n";

  // A damaged entry in the tree is Corruption naming the catalog page.
  BTree tree(static_cast<PageWriter*>(f.pages.get()), f.catalog->root());
  ENGINE_ASSERT_OK(tree.Update("tusers", good.substr(0, 20)));
  Status s = f.catalog->GetTable("users").status();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("catalog page"), std::string::npos);
  EXPECT_TRUE(f.catalog->ListTables().status().IsCorruption());
  EXPECT_TRUE(f.catalog->Check().IsCorruption());
  // An entry under the wrong name.
  ENGINE_ASSERT_OK(tree.Update("tusers", good));
  ENGINE_ASSERT_OK(tree.Insert("tpeople", good));
  EXPECT_TRUE(f.catalog->GetTable("people").status().IsCorruption());
  ENGINE_ASSERT_OK(tree.Delete("tpeople"));
  // A bad global entry.
  ENGINE_ASSERT_OK(tree.Update("g", "short"));
  EXPECT_TRUE(f.catalog->SchemaVersion().status().IsCorruption());
  EXPECT_TRUE(
      Catalog::Open(f.pages.get(), f.txn.get()).status().IsCorruption());
}

// Invariant 6: a call that fails half-way through its writes rolls back to
// its savepoint, so the same transaction goes on with the catalog (and the
// page space) exactly as before the call. No abort is needed.
TEST(CatalogTest, WriteFailingMidCallRollsBackTheWholeCall) {
  Fixture f;
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef users, f.catalog->CreateTable(Users()));
  ENGINE_ASSERT_OK(
      f.catalog->CreateIndex("users", "by_tag", {"tag"}, false).status());
  BTree tree(static_cast<PageWriter*>(f.pages.get()), users.root);
  for (int i = 0; i < 1000; ++i)
    ENGINE_ASSERT_OK(
        tree.Insert("key" + std::to_string(100000 + i), std::string(40, 'v')));
  // Enough tables that the catalog tree itself splits.
  for (int i = 0; i < 60; ++i)
    ENGINE_ASSERT_OK(f.catalog
                         ->CreateTable(Spec(
                             "filler_table_" + std::to_string(i),
                             {Col("a", Type::kInteger), Col("b", Type::kText)}))
                         .status());
  using Call = std::function<Status(Catalog&)>;
  const std::vector<std::pair<std::string, Call>> calls = {
      {"CreateTable",
       [](Catalog& c) {
         TableSpec spec = Users();
         spec.name = "new_table";
         return c.CreateTable(spec).status();
       }},
      {"DropTable", [](Catalog& c) { return c.DropTable("users"); }},
      {"CreateIndex",
       [](Catalog& c) {
         return c.CreateIndex("users", "by_name", {"name"}, true).status();
       }},
      {"DropIndex", [](Catalog& c) { return c.DropIndex("by_tag"); }},
      {"RenameTable",
       [](Catalog& c) { return c.RenameTable("users", "zzz_people"); }},
      {"RenameColumn",
       [](Catalog& c) { return c.RenameColumn("users", "name", "n"); }},
      {"AddColumn",
       [](Catalog& c) {
         return c.AddColumn("users", Col("x", Type::kText)).status();
       }},
      {"DropColumn", [](Catalog& c) { return c.DropColumn("users", "score"); }},
      {"AlterColumnType",
       [](Catalog& c) {
         return c.AlterColumnType("users", "score", Type::kText);
       }},
      {"DropFiller", [](Catalog& c) { return c.DropTable("filler_table_7"); }},
  };
  int failures = 0;
  for (const auto& [name, call] : calls) {
    bool succeeded = false;
    for (int writes = 0; writes < 200 && !succeeded; ++writes) {
      SCOPED_TRACE(name + " with " + std::to_string(writes) + " writes");
      const CatalogImage before = f.Snap();
      // An outer savepoint lets each attempt that succeeds be undone.
      ENGINE_ASSERT_OK(f.txn->Savepoint());
      test::FailingPages pages(f.txn.get(), f.env.store().block_size(), writes);
      ENGINE_ASSERT_OK_AND_ASSIGN(Catalog c,
                                  Catalog::Open(&pages, f.txn.get()));
      const Status s = call(c);
      EXPECT_EQ(f.txn->savepoint_depth(), 1u);
      if (s.ok()) {
        succeeded = true;
      } else {
        ASSERT_TRUE(s.IsIOError()) << s.ToString();
        ++failures;
        ASSERT_TRUE(f.Snap() == before);
        ENGINE_ASSERT_OK(f.catalog->Check());
        ENGINE_ASSERT_OK(f.Space());
      }
      ENGINE_ASSERT_OK(f.txn->RollbackToSavepoint());
      ASSERT_TRUE(f.Snap() == before);
    }
    EXPECT_TRUE(succeeded) << name;
  }
  std::cout << "failed calls rolled back: " << failures << "\n";
  EXPECT_GT(failures, 20);
}

// ---------------------------------------------------------------------------
// Model-based randomized test.

// The model: what the catalog should hold, kept with plain structs and rules
// written apart from catalog.cc. Roots are whatever the catalog assigned.
struct Model {
  std::map<std::string, TableDef> tables;  // by folded name
  uint64_t version = 0;
  uint32_t next_table_id = 1;
  uint32_t next_index_id = 1;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(c));
  return s;
}

class CatalogModelTest : public ::testing::TestWithParam<Backend> {};

class CatalogModelRun {
 public:
  CatalogModelRun(Backend backend, uint64_t seed)
      : f_(backend), random_(seed) {}

  void Run(int ops) {
    committed_ = model_;
    for (int op = 1; op <= ops && !::testing::Test::HasFatalFailure(); ++op) {
      Step(op);
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "at op " << op << ": " << last_;
        return;
      }
      if (op % 250 == 0) FullCheck();
    }
    FullCheck();
    std::cout << "ops " << ops << ", ok " << ok_ << ", failed " << failed_
              << ", commits " << commits_ << ", aborts " << aborts_
              << ", max tables " << max_tables_ << "\n";
  }

 private:
  int R(int lo, int hi) { return random_.Uniform(lo, hi); }
  // A name from a small pool, in random case, so collisions are common.
  std::string Name(const char* prefix, int pool) {
    std::string s = prefix + std::to_string(R(0, pool - 1));
    for (char& c : s)
      if (R(0, 3) == 0) c = static_cast<char>(std::toupper(c));
    return s;
  }
  std::string Case(std::string s) {
    for (char& c : s)
      if (R(0, 3) == 0) c = static_cast<char>(std::toupper(c));
    return s;
  }
  // Usually a table that exists, so that most calls get past the lookup.
  std::string TableName() {
    if (model_.tables.empty() || R(0, 4) == 0) return Name("t", 8);
    auto it = model_.tables.begin();
    std::advance(it, R(0, static_cast<int>(model_.tables.size()) - 1));
    return Case(it->second.name);
  }
  // Usually a column of the table, if it exists.
  std::string ColumnName(const std::string& table) {
    TableDef* t = Find(table);
    if (t == nullptr || R(0, 4) == 0) return Name("c", 8);
    return Case(t->columns[R(0, static_cast<int>(t->columns.size()) - 1)].name);
  }
  // Usually a default of the column's type (or none).
  std::optional<Value> DefaultFor(Type type) {
    if (R(0, 4) == 0) return AnyDefault();
    if (R(0, 2) == 0) return std::nullopt;
    for (;;) {
      Value v = random_.Any();
      if (v.type() == type) return v;
    }
  }
  TableDef* Find(const std::string& name) {
    auto it = model_.tables.find(Lower(name));
    return it == model_.tables.end() ? nullptr : &it->second;
  }
  ColumnDef* FindCol(TableDef* t, const std::string& name) {
    for (ColumnDef& c : t->columns)
      if (Lower(c.name) == Lower(name)) return &c;
    return nullptr;
  }
  Type AnyType() { return static_cast<Type>(R(1, 5)); }
  std::optional<Value> AnyDefault() {
    switch (R(0, 3)) {
      case 0:
        return std::nullopt;
      case 1:
        return Value::Null();
      default:
        return random_.Any();
    }
  }
  // Whether the default suits the type, and its stored form.
  static bool Fits(Type type, std::optional<Value>* d) {
    if (!d->has_value() || (*d)->is_null() || (*d)->type() == type) return true;
    if (type == Type::kReal && (*d)->type() == Type::kInteger) {
      *d = Value::Real(static_cast<double>((*d)->integer()));
      return true;
    }
    return false;
  }
  void Bump(TableDef* t) {
    ++t->schema_version;
    ++model_.version;
  }

  // Runs the call; on success applies `apply` to the model; on failure checks
  // the expected code and that the catalog is unchanged.
  template <typename Call, typename Apply>
  void Expect(Status::Code expected, Call&& call, Apply&& apply) {
    const CatalogImage before = f_.Snap();
    const Status s = call();
    last_ += " -> " + s.ToString();
    EXPECT_EQ(s.code(), expected) << last_;
    if (s.ok()) {
      ++ok_;
      apply();
    } else {
      ++failed_;
      EXPECT_TRUE(f_.Snap() == before) << "failed call changed the catalog";
    }
    EXPECT_EQ(f_.txn->savepoint_depth(), 0u);
  }

  void Step(int op) {
    (void)op;
    const int kind = R(0, 99);
    if (kind < 14) return CreateTable();
    if (kind < 18) return DropTable();
    if (kind < 28) return RenameTable();
    if (kind < 38) return RenameColumn();
    if (kind < 52) return AddColumn();
    if (kind < 62) return DropColumn();
    if (kind < 70) return AlterType();
    if (kind < 82) return CreateIndex();
    if (kind < 90) return DropIndex();
    if (kind < 93) return Get();
    if (kind < 97) return Commit();
    return Abort();
  }

  void CreateTable() {
    TableSpec spec;
    spec.name = Name("t", 8);
    const int n = R(0, 4) == 0 ? R(0, 1) : R(1, 5);
    const int first = R(0, 7);
    for (int i = 0; i < n; ++i) {
      // Distinct names unless the dice ask for a clash.
      ColumnDef c = Col(
          R(0, 15) == 0 ? Name("c", 8) : Case("c" + std::to_string(first + i)),
          R(0, 40) == 0 ? Type::kNull : AnyType());
      c.not_null = R(0, 1) == 1;
      c.default_value = DefaultFor(c.type);
      spec.columns.push_back(c);
    }
    const int k = R(0, 2);
    for (int i = 0; i < k && n > 0; ++i)
      spec.primary_key.push_back(
          R(0, 10) == 0 ? Name("c", 8) : spec.columns[R(0, n - 1)].name);
    last_ = "CreateTable " + spec.name;

    Status::Code code = Status::Code::kOk;
    TableDef def;
    def.name = spec.name;
    if (Find(spec.name) != nullptr || spec.columns.empty())
      code = Status::Code::kInvalidArgument;
    for (const ColumnDef& given : spec.columns) {
      ColumnDef c = given;
      c.id = def.next_column_id++;
      if (c.type == Type::kNull || !Fits(c.type, &c.default_value) ||
          FindCol(&def, c.name) != nullptr)
        code = Status::Code::kInvalidArgument;
      def.columns.push_back(c);
    }
    for (const std::string& p : spec.primary_key) {
      ColumnDef* c = FindCol(&def, p);
      if (c == nullptr ||
          std::count(def.primary_key.begin(), def.primary_key.end(), c->id)) {
        code = Status::Code::kInvalidArgument;
        break;
      }
      def.primary_key.push_back(c->id);
    }
    Result<TableDef> got = Status::Aborted("not run");
    Expect(
        code,
        [&] {
          got = f_.catalog->CreateTable(spec);
          return got.status();
        },
        [&] {
          def.id = model_.next_table_id++;
          def.root = got->root;
          def.schema_version = 1;
          ++model_.version;
          EXPECT_EQ(*got, def);
          model_.tables[Lower(def.name)] = def;
          max_tables_ = std::max(max_tables_, model_.tables.size());
        });
  }

  void DropTable() {
    const std::string name = TableName();
    last_ = "DropTable " + name;
    Expect(
        Find(name) ? Status::Code::kOk : Status::Code::kNotFound,
        [&] { return f_.catalog->DropTable(name); },
        [&] {
          model_.tables.erase(Lower(name));
          ++model_.version;
        });
  }

  void RenameTable() {
    const std::string from = TableName();
    const std::string to = R(0, 2) == 0 ? TableName() : Name("t", 8);
    last_ = "RenameTable " + from + " " + to;
    Status::Code code = Status::Code::kOk;
    if (Find(from) == nullptr)
      code = Status::Code::kNotFound;
    else if (Lower(from) != Lower(to) && Find(to) != nullptr)
      code = Status::Code::kInvalidArgument;
    Expect(
        code, [&] { return f_.catalog->RenameTable(from, to); },
        [&] {
          TableDef t = *Find(from);
          model_.tables.erase(Lower(from));
          t.name = to;
          Bump(&t);
          model_.tables[Lower(to)] = t;
        });
  }

  void RenameColumn() {
    const std::string table = TableName();
    const std::string from = ColumnName(table);
    const std::string to = R(0, 2) == 0 ? ColumnName(table) : Name("c", 8);
    last_ = "RenameColumn " + table + " " + from + " " + to;
    TableDef* t = Find(table);
    Status::Code code = Status::Code::kOk;
    if (t == nullptr || FindCol(t, from) == nullptr)
      code = Status::Code::kNotFound;
    else if (FindCol(t, to) != nullptr && FindCol(t, to) != FindCol(t, from))
      code = Status::Code::kInvalidArgument;
    Expect(
        code, [&] { return f_.catalog->RenameColumn(table, from, to); },
        [&] {
          FindCol(t, from)->name = to;
          Bump(t);
        });
  }

  void AddColumn() {
    const std::string table = TableName();
    ColumnDef c = Col(R(0, 3) == 0 ? ColumnName(table) : Name("c", 12),
                      R(0, 30) == 0 ? Type::kNull : AnyType());
    c.not_null = R(0, 3) == 0;
    c.default_value = DefaultFor(c.type);
    last_ = "AddColumn " + table + " " + c.name;
    TableDef* t = Find(table);
    ColumnDef stored = c;
    Status::Code code = Status::Code::kOk;
    if (t == nullptr)
      code = Status::Code::kNotFound;
    else if (c.type == Type::kNull || !Fits(c.type, &stored.default_value) ||
             FindCol(t, c.name) != nullptr ||
             (c.not_null &&
              (!c.default_value.has_value() || c.default_value->is_null())))
      code = Status::Code::kInvalidArgument;
    Result<ColumnDef> got = Status::Aborted("not run");
    Expect(
        code,
        [&] {
          got = f_.catalog->AddColumn(table, c);
          return got.status();
        },
        [&] {
          stored.id = t->next_column_id++;
          EXPECT_EQ(*got, stored);
          t->columns.push_back(stored);
          Bump(t);
        });
  }

  void DropColumn() {
    const std::string table = TableName();
    const std::string column = ColumnName(table);
    last_ = "DropColumn " + table + " " + column;
    TableDef* t = Find(table);
    ColumnDef* c = t ? FindCol(t, column) : nullptr;
    Status::Code code = Status::Code::kOk;
    if (c == nullptr) {
      code = Status::Code::kNotFound;
    } else {
      bool used =
          std::count(t->primary_key.begin(), t->primary_key.end(), c->id) > 0 ||
          t->columns.size() == 1;
      for (const IndexDef& i : t->indexes)
        used = used || std::count(i.columns.begin(), i.columns.end(), c->id);
      if (used) code = Status::Code::kInvalidArgument;
    }
    Expect(
        code, [&] { return f_.catalog->DropColumn(table, column); },
        [&] {
          t->columns.erase(t->columns.begin() + (c - t->columns.data()));
          Bump(t);
        });
  }

  void AlterType() {
    const std::string table = TableName();
    const std::string column = ColumnName(table);
    const Type type = R(0, 20) == 0 ? Type::kNull : AnyType();
    last_ = "AlterColumnType " + table + " " + column;
    TableDef* t = Find(table);
    ColumnDef* c = t ? FindCol(t, column) : nullptr;
    Status::Code code = Status::Code::kOk;
    if (c == nullptr)
      code = Status::Code::kNotFound;
    else if (type == Type::kNull)
      code = Status::Code::kInvalidArgument;
    Expect(
        code, [&] { return f_.catalog->AlterColumnType(table, column, type); },
        [&] {
          c->type = type;
          Bump(t);
        });
  }

  void CreateIndex() {
    const std::string table = TableName();
    const std::string name = Name("i", 10);
    std::vector<std::string> columns;
    const int n = R(0, 12) == 0 ? 0 : R(1, 2);
    for (int i = 0; i < n; ++i) columns.push_back(ColumnName(table));
    const bool unique = R(0, 1) == 1;
    last_ = "CreateIndex " + table + " " + name;
    TableDef* t = Find(table);
    Status::Code code = Status::Code::kOk;
    IndexDef index;
    index.name = name;
    index.unique = unique;
    if (t == nullptr) {
      code = Status::Code::kNotFound;
    } else {
      for (auto& [key, other] : model_.tables)
        for (const IndexDef& i : other.indexes)
          if (Lower(i.name) == Lower(name))
            code = Status::Code::kInvalidArgument;
      if (columns.empty()) code = Status::Code::kInvalidArgument;
      for (const std::string& col : columns) {
        ColumnDef* c = FindCol(t, col);
        if (c == nullptr ||
            std::count(index.columns.begin(), index.columns.end(), c->id)) {
          code = Status::Code::kInvalidArgument;
          break;
        }
        index.columns.push_back(c->id);
      }
    }
    Result<IndexDef> got = Status::Aborted("not run");
    Expect(
        code,
        [&] {
          got = f_.catalog->CreateIndex(table, name, columns, unique);
          return got.status();
        },
        [&] {
          index.id = model_.next_index_id++;
          index.root = got->root;
          EXPECT_EQ(*got, index);
          t->indexes.push_back(index);
          Bump(t);
        });
  }

  void DropIndex() {
    const std::string name = Name("i", 10);
    last_ = "DropIndex " + name;
    TableDef* owner = nullptr;
    size_t at = 0;
    for (auto& [key, t] : model_.tables)
      for (size_t i = 0; i < t.indexes.size(); ++i)
        if (Lower(t.indexes[i].name) == Lower(name)) {
          owner = &t;
          at = i;
        }
    Expect(
        owner ? Status::Code::kOk : Status::Code::kNotFound,
        [&] { return f_.catalog->DropIndex(name); },
        [&] {
          owner->indexes.erase(owner->indexes.begin() + at);
          Bump(owner);
        });
  }

  void Get() {
    const std::string name = TableName();
    last_ = "GetTable " + name;
    Result<TableDef> got = f_.catalog->GetTable(name);
    TableDef* t = Find(name);
    if (t == nullptr) {
      EXPECT_TRUE(got.status().IsNotFound()) << got.status().ToString();
    } else {
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, *t);
    }
  }

  void Commit() {
    last_ = "Commit";
    ASSERT_OK(f_.txn->Commit());
    committed_ = model_;
    ++commits_;
    f_.Begin();
  }

  void Abort() {
    last_ = "Abort";
    f_.txn->Abort();
    model_ = committed_;
    ++aborts_;
    f_.Begin();
  }

  void FullCheck() {
    ENGINE_ASSERT_OK(f_.catalog->Check());
    ENGINE_ASSERT_OK(f_.Space());
    ENGINE_ASSERT_OK_AND_ASSIGN(auto tables, f_.catalog->ListTables());
    ASSERT_EQ(tables.size(), model_.tables.size());
    size_t i = 0;
    for (const auto& [key, t] : model_.tables) {
      EXPECT_EQ(tables[i], t) << "table " << t.name;
      ENGINE_ASSERT_OK(CheckTree(f_.pages.get(), tables[i].root));
      ++i;
    }
    ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t version, f_.catalog->SchemaVersion());
    EXPECT_EQ(version, model_.version);
  }

  Fixture f_;
  test::RandomValues random_;
  Model model_;
  Model committed_;
  std::string last_;
  int ok_ = 0, failed_ = 0, commits_ = 0, aborts_ = 0;
  size_t max_tables_ = 0;
};

TEST_P(CatalogModelTest, MatchesModelAcrossRandomSchemaChanges) {
  const uint64_t seed = test::TestSeed();
  const auto start = std::chrono::steady_clock::now();
  CatalogModelRun run(GetParam(), seed);
  run.Run(test::Scaled(6000));
  std::cout << "took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " ms\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, CatalogModelTest,
                         ::testing::Values(Backend::kMemory, Backend::kRocksDB),
                         [](const auto& info) {
                           return cow::BackendName(info.param);
                         });

}  // namespace
}  // namespace forkdb::engine
