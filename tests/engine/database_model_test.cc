// Model-based randomized test of the public API (forkdb/database.h), on both
// backends: random operations go to a Database and to a reference model (fork
// -> table -> std::map from primary key to row, plus each table's indexes,
// hidden row id counter and schema versions), and every answer is compared
// with the model's.
//
// What it drives: inserts, updates (also moving rows to a new key) and
// deletes, with the expected failures (duplicate key, unique index violation,
// missing row, NULL in a NOT NULL column, type error, wrong arity), each
// checked to change nothing; point gets, forward and backward range scans
// with random (also prefix and mixed-type) bounds, index lookups; index
// creation and drops (a unique one that must fail included); nested
// savepoints; commit and rollback; up to two transactions open at once on
// different forks; forks of forks and of snapshots (old ones and bases),
// read-only forks, drops under the header's drop rules; snapshots read long
// after later writes; and, on RocksDB, reopening the database. Every few
// thousand operations Database::Check() must find nothing and every fork,
// base, held snapshot and open transaction is compared whole with the model.
//
// The model orders keys with test::ReferenceCompareRows (written without the
// engine's code), so SQL equality of numbers (1 = 1.0 = TRUE) and the prefix
// rule of scan bounds come from the model, not from the key codec.
//
// The seed is printed; FORKDB_TEST_SEED=<seed> replays a run, and a failure
// names the seed and the operation index.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "forkdb/database.h"
#include "tests/cow/test_util.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using Code = Status::Code;
using test::Col;

// Rows per table and fork, about: inserts give way to updates and deletes
// above it, which keeps each full comparison cheap.
constexpr size_t kMaxRows = 100;

Value I(int64_t v) { return Value::Integer(v); }
Value Null() { return Value::Null(); }

// ---------------------------------------------------------------- the model

struct RowLess {
  bool operator()(const Row& a, const Row& b) const {
    return test::ReferenceCompareRows(a, b) < 0;
  }
};
using RowMap = std::map<Row, Row, RowLess>;  // primary key -> row

struct IndexModel {
  std::string name;
  std::vector<size_t> columns;  // column positions, in index order
  bool unique = false;
};

struct TableModel {
  RowMap rows;
  std::vector<IndexModel> indexes;
  uint64_t next_row_id = 1;     // hidden row id tables only
  uint64_t schema_version = 0;  // TableDef::schema_version
};

// One state of one fork: what a commit publishes and a snapshot holds.
// Copies share each table until one of them writes it, so that copying the
// model for a transaction, savepoint, snapshot or fork is cheap.
struct ForkModel {
  std::map<std::string, std::shared_ptr<TableModel>> tables;  // by name
  uint64_t schema_version = 0;  // Reader::SchemaVersion()

  const TableModel& table(const std::string& name) const {
    return *tables.at(name);
  }
  TableModel& mutable_table(const std::string& name) {
    std::shared_ptr<TableModel>& m = tables.at(name);
    if (m.use_count() > 1) m = std::make_shared<TableModel>(*m);
    return *m;
  }
};

// The fixed shapes of the tables (the indexes on them change).
struct IndexCandidate {
  std::string name;
  std::vector<size_t> columns;
};

struct Shape {
  TableSpec spec;
  std::vector<size_t> key;  // key column positions; empty: hidden row id
  size_t payload = 0;       // takes the large values; never indexed
  std::vector<IndexCandidate> candidates;
  bool hidden() const { return key.empty(); }
};

std::vector<Shape> Shapes() {
  std::vector<Shape> shapes;
  // An INTEGER primary key.
  shapes.push_back(Shape{
      TableSpec{"items",
                {Col("id", Type::kInteger, true), Col("name", Type::kText),
                 Col("qty", Type::kInteger), Col("price", Type::kReal),
                 Col("flag", Type::kBoolean, true), Col("tag", Type::kBlob),
                 Col("payload", Type::kBlob)},
                {"id"}},
      {0},
      6,
      {{"items_name", {1}},
       {"items_qty_name", {2, 1}},
       {"items_price", {3}},
       {"items_flag_tag", {4, 5}},
       {"items_tag", {5}}}});
  // A composite (TEXT, INTEGER) primary key.
  shapes.push_back(Shape{
      TableSpec{
          "pairs",
          {Col("grp", Type::kText, true), Col("seq", Type::kInteger, true),
           Col("val", Type::kReal), Col("note", Type::kText, true),
           Col("on", Type::kBoolean), Col("payload", Type::kText)},
          {"grp", "seq"}},
      {0, 1},
      5,
      {{"pairs_val", {2}},
       {"pairs_note_seq", {3, 1}},
       {"pairs_on_val", {4, 2}},
       {"pairs_seq", {1}}}});
  // No primary key: a hidden row id.
  shapes.push_back(
      Shape{TableSpec{"log",
                      {Col("x", Type::kInteger, true), Col("y", Type::kText),
                       Col("z", Type::kBoolean), Col("w", Type::kBlob),
                       Col("payload", Type::kBlob)},
                      {}},
            {},
            4,
            {{"log_x", {0}},
             {"log_yz", {1, 2}},
             {"log_w", {3}},
             {"log_zx", {2, 0}}}});
  return shapes;
}

// The model's own type rules (forkdb/database.h, Transaction::Insert): the
// row as stored, or nullopt for a type error, a NULL in a NOT NULL column or
// a wrong number of values.
std::optional<Row> Normalize(const Shape& shape, const Row& row) {
  if (row.size() != shape.spec.columns.size()) return std::nullopt;
  Row out;
  for (size_t i = 0; i < row.size(); ++i) {
    const ColumnDef& c = shape.spec.columns[i];
    const Value& v = row[i];
    if (v.is_null()) {
      if (c.not_null) return std::nullopt;
      out.push_back(v);
    } else if (v.type() == c.type) {
      out.push_back(v);
    } else if (c.type == Type::kReal && v.type() == Type::kInteger) {
      out.push_back(Value::Real(static_cast<double>(v.integer())));
    } else if (c.type == Type::kBoolean && v.type() == Type::kInteger &&
               (v.integer() == 0 || v.integer() == 1)) {
      out.push_back(Value::Boolean(v.integer() == 1));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Row KeyOf(const Shape& shape, const Row& row) {
  Row key;
  for (size_t p : shape.key) key.push_back(row[p]);
  return key;
}

Row Project(const Row& row, const std::vector<size_t>& columns) {
  Row out;
  for (size_t p : columns) out.push_back(row[p]);
  return out;
}

// Whether the row has a value big enough for a long overflow chain.
bool HasLargeValue(const Row& row) {
  return std::any_of(row.begin(), row.end(), [](const Value& v) {
    return (v.type() == Type::kText || v.type() == Type::kBlob) &&
           v.bytes().size() >= (size_t{20} << 10);
  });
}

bool HasNull(const Row& values) {
  return std::any_of(values.begin(), values.end(),
                     [](const Value& v) { return v.is_null(); });
}

// Whether `row` would break a unique index of `m` against a row other than
// the one at `skip`. NULLs are distinct.
bool UniqueConflict(const TableModel& m, const Row& row, const Row* skip) {
  for (const IndexModel& index : m.indexes) {
    if (!index.unique) continue;
    const Row mine = Project(row, index.columns);
    if (HasNull(mine)) continue;
    for (const auto& [key, other] : m.rows) {
      if (skip != nullptr && test::ReferenceCompareRows(key, *skip) == 0)
        continue;
      if (test::ReferenceCompareRows(mine, Project(other, index.columns)) == 0)
        return true;
    }
  }
  return false;
}

// Whether two rows of `m` share NULL-free values of `columns`.
bool HasDuplicates(const TableModel& m, const std::vector<size_t>& columns) {
  std::set<Row, RowLess> seen;
  for (const auto& [key, row] : m.rows) {
    Row values = Project(row, columns);
    if (HasNull(values)) continue;
    if (!seen.insert(std::move(values)).second) return true;
  }
  return false;
}

// The rows an IndexLookup must return: leading index values equal to
// `prefix`, ordered by (index values, primary key).
std::vector<Row> ExpectedLookup(const TableModel& m, const IndexModel& index,
                                const Row& prefix) {
  std::vector<std::pair<Row, const Row*>> hits;
  for (const auto& [key, row] : m.rows) {
    Row values = Project(row, index.columns);
    bool match = true;
    for (size_t i = 0; i < prefix.size() && match; ++i)
      match = test::ReferenceCompare(values[i], prefix[i]) == 0;
    if (!match) continue;
    values.insert(values.end(), key.begin(), key.end());
    hits.emplace_back(std::move(values), &row);
  }
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
    return test::ReferenceCompareRows(a.first, b.first) < 0;
  });
  std::vector<Row> out;
  for (const auto& [order, row] : hits) out.push_back(*row);
  return out;
}

std::vector<Row> ExpectedScan(const TableModel& m, const ScanRange& range) {
  std::vector<Row> out;
  for (const auto& [key, row] : m.rows) {
    if (range.lo && test::ReferenceCompareRows(key, *range.lo) < 0) continue;
    if (range.hi && test::ReferenceCompareRows(key, *range.hi) >= 0) continue;
    out.push_back(row);
  }
  if (range.reverse) std::reverse(out.begin(), out.end());
  return out;
}

// OK if `errors` is empty, else one of `errors` (when several errors apply,
// the API does not say which one wins).
::testing::AssertionResult Outcome(const Status& s,
                                   const std::vector<Code>& errors,
                                   const std::string& what) {
  if (errors.empty()) {
    if (s.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << what << ": expected OK, got " << s.ToString();
  }
  for (Code c : errors)
    if (s.code() == c) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << what << ": expected";
  for (Code c : errors) failure << " " << Status::CodeName(c);
  failure << ", got " << (s.ok() ? std::string("OK") : s.ToString());
  return failure;
}

// A row for messages, with long TEXT and BLOB values shown by size only.
std::string Brief(const Row& row) {
  std::string out = "(";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ", ";
    const Value& v = row[i];
    if ((v.type() == Type::kText || v.type() == Type::kBlob) &&
        v.bytes().size() > 32) {
      out += std::string(TypeName(v.type())) + " of " +
             std::to_string(v.bytes().size()) + " bytes";
    } else {
      out += v.ToString();
    }
  }
  return out + ")";
}

std::string RowsString(const std::vector<Row>& rows) {
  std::string out = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) out += ", ";
    out += Brief(rows[i]);
    if (out.size() > 4000) return out + ", ...]";
  }
  return out + "]";
}

// ---------------------------------------------------------------- the run

class ModelRun {
 public:
  ModelRun(cow::Backend backend, uint64_t seed)
      : backend_(backend), seed_(seed), random_(seed), shapes_(Shapes()) {
    options_.sync = false;  // the test simulates no power loss
    // Small pages, so that a hundred rows span many pages (splits and
    // merges) and values of a few KiB make overflow chains.
    options_.page_size = backend == cow::Backend::kMemory ? 1024 : 2048;
  }

  void Run(int ops);

 private:
  struct ForkMeta {
    uint64_t id = 0;
    uint64_t parent_id = 0;  // 0: none (never cleared when the parent goes)
    bool read_only = false;
    uint64_t commit_seq = 0;
    uint64_t fork_point = 0;
    ForkModel committed;
    std::optional<ForkModel> base;  // the parent's state at the fork point
  };
  struct OpenTxn {
    std::string fork;
    Transaction txn;
    ForkModel work;
    std::vector<ForkModel> savepoints;  // the state at each open savepoint
    // Whether a change is still in the transaction (with its value at each
    // savepoint): a commit that writes nothing does not count in the fork's
    // commit_seq.
    bool wrote = false;
    std::vector<bool> wrote_at;
  };
  struct HeldSnapshot {
    Snapshot snap;
    ForkModel model;
    uint64_t fork_id = 0;  // the fork the state belongs to; 0 for none
    std::string what;
  };

  int U(int lo, int hi) { return random_.Uniform(lo, hi); }
  bool OneIn(int n) { return U(0, n - 1) == 0; }

  // Setup, reopening, whole-state comparisons.
  void Open();
  void Setup();
  void Reopen();
  void FullCheck(const std::string& when);
  void CompareForks();
  void CompareFork(const Reader& r, const ForkModel& m,
                   const std::string& what);
  void CompareTable(const Reader& r, size_t ti, const TableModel& m,
                    const std::string& what);

  // Random inputs.
  std::string TableName(size_t ti);
  const Row* ExistingRow(const TableModel& m);
  std::string ShortBytes();
  std::string LongBytes(size_t n);
  Value RandomValue(size_t ti, size_t col, const TableModel& m);
  Row RandomRow(size_t ti, const TableModel& m);
  Row RandomKey(size_t ti, const TableModel& m);
  std::optional<Row> RandomBound(size_t ti, const TableModel& m);

  // Choosing what to act on.
  OpenTxn* WriteTxn();  // an open transaction, begun if there is none
  std::vector<std::string> WritableForks(bool without_txn) const;
  std::string RandomFork();
  bool HasTxn(const std::string& fork) const;
  bool Live(uint64_t id) const;
  std::string NameOf(uint64_t id) const;

  // Operations.
  void OpInsert(OpenTxn& t, size_t ti);
  void OpUpdate(OpenTxn& t, size_t ti);
  void OpDelete(OpenTxn& t, size_t ti);
  void VerifyRefused(OpenTxn& t, size_t ti, const std::string& what,
                     const std::vector<Row>& keys);
  template <typename Fn>
  void WithReader(Fn&& fn);
  void OpGet(const Reader& r, const ForkModel& m, size_t ti,
             const std::string& what);
  void OpScan(const Reader& r, const ForkModel& m, size_t ti,
              const std::string& what);
  void OpLookup(const Reader& r, const ForkModel& m, size_t ti,
                const std::string& what);
  void OpCreateIndex(OpenTxn& t, size_t ti);
  void OpDropIndex(OpenTxn& t);
  void OpSavepoint(OpenTxn& t);
  void OpCommit(OpenTxn& t);
  void OpRollback(OpenTxn& t);
  void OpBegin();
  void OpSnapshot();
  void OpCreateFork();
  void OpDropFork();
  void CheckForkList();
  void EndTxn(OpenTxn& t);

  cow::Backend backend_;
  uint64_t seed_;
  test::RandomValues random_;
  const std::vector<Shape> shapes_;
  cow::ScratchDir dir_;
  Options options_;
  Database db_;

  std::map<std::string, ForkMeta> forks_;      // the live forks
  std::map<uint64_t, std::string> all_forks_;  // id -> name, dropped too
  std::vector<std::unique_ptr<OpenTxn>> txns_;
  std::vector<HeldSnapshot> snaps_;
  int forks_made_ = 0;
  std::map<std::string, int> counts_;
};

void ModelRun::Open() {
  db_ = Database();
  Result<Database> db = backend_ == cow::Backend::kRocksDB
                            ? Database::Open(dir_.path() + "/db", options_)
                            : Database::Open(options_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  db_ = std::move(*db);
}

void ModelRun::Setup() {
  ASSERT_NO_FATAL_FAILURE(Open());
  ENGINE_ASSERT_OK_AND_ASSIGN(ForkInfo main, db_.GetFork(kMainFork));
  ForkMeta& meta = forks_[std::string(kMainFork)];
  meta.id = main.id;
  all_forks_[main.id] = std::string(kMainFork);
  // The tables, with one unique and one plain index each to start.
  ENGINE_ASSERT_OK_AND_ASSIGN(Transaction txn, db_.Begin(kMainFork));
  for (size_t ti = 0; ti < shapes_.size(); ++ti) {
    const Shape& shape = shapes_[ti];
    ENGINE_ASSERT_OK(txn.CreateTable(shape.spec));
    meta.committed.tables[shape.spec.name] = std::make_shared<TableModel>();
    TableModel& m = meta.committed.mutable_table(shape.spec.name);
    for (size_t c = 0; c < 2; ++c) {
      const IndexCandidate& cand = shape.candidates[c];
      std::vector<std::string> names;
      for (size_t p : cand.columns) names.push_back(shape.spec.columns[p].name);
      const bool unique = c == 0;
      ENGINE_ASSERT_OK(
          txn.CreateIndex(shape.spec.name, cand.name, names, unique));
      m.indexes.push_back({cand.name, cand.columns, unique});
    }
  }
  // Versions start wherever the catalog starts them; the model counts from
  // there.
  for (auto& [name, m] : meta.committed.tables) {
    ENGINE_ASSERT_OK_AND_ASSIGN(TableDef def, txn.GetTable(name));
    m->schema_version = def.schema_version;
  }
  ENGINE_ASSERT_OK_AND_ASSIGN(meta.committed.schema_version,
                              txn.SchemaVersion());
  ENGINE_ASSERT_OK(txn.Commit());
  meta.commit_seq = 1;
}

void ModelRun::Reopen() {
  ++counts_["reopen"];
  // Every handle goes first: open transactions roll back.
  txns_.clear();
  snaps_.clear();
  db_ = Database();
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(FullCheck("after reopen"));
}

std::string ModelRun::TableName(size_t ti) {
  std::string name = shapes_[ti].spec.name;
  if (OneIn(8)) {  // names are case-insensitive
    for (char& c : name)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

const Row* ModelRun::ExistingRow(const TableModel& m) {
  if (m.rows.empty()) return nullptr;
  auto it = m.rows.begin();
  std::advance(it, U(0, static_cast<int>(m.rows.size()) - 1));
  return &it->second;
}

// Short strings over a small alphabet with zero and 0xff bytes, so that equal
// values, prefixes and embedded zeros are common; index keys stay short.
std::string ModelRun::ShortBytes() {
  static constexpr char kAlphabet[] = {'\0', 'a', 'b', 'z', '\x7f', '\xff'};
  std::string s;
  if (OneIn(10)) {
    const int n = U(0, 16);
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(random_.rng()()));
    return s;
  }
  const int n = U(0, 8);
  for (int i = 0; i < n; ++i)
    s.push_back(kAlphabet[U(0, static_cast<int>(std::size(kAlphabet)) - 1)]);
  return s;
}

std::string ModelRun::LongBytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t bits = random_.rng()();
    for (size_t j = i; j < n && j < i + 8; ++j, bits >>= 8)
      s[j] = static_cast<char>(bits & (OneIn(16) ? 0 : 0xff));
  }
  return s;
}

Value ModelRun::RandomValue(size_t ti, size_t col, const TableModel& m) {
  const Shape& shape = shapes_[ti];
  const ColumnDef& c = shape.spec.columns[col];
  const int dice = U(0, 99);
  if (dice < (c.not_null ? 1 : 10)) return Null();
  if (dice < 22) {  // a value another row has: duplicates and conflicts
    if (const Row* other = ExistingRow(m)) return (*other)[col];
  }
  if (col == shape.payload) {
    std::string bytes;
    const int size = U(0, 999);
    if (size < 4) {
      bytes = LongBytes(static_cast<size_t>(U(20 << 10, 100 << 10)));
    } else if (size < 150) {
      bytes = LongBytes(static_cast<size_t>(U(100, 3000)));
    } else if (size < 500) {
      return Null();
    } else {
      bytes = ShortBytes();
    }
    return c.type == Type::kText ? Value::Text(std::move(bytes))
                                 : Value::Blob(std::move(bytes));
  }
  switch (c.type) {
    case Type::kInteger:
      if (ti == 1 && col == 1) return I(U(0, 3) != 0 ? U(-30, 30) : U(-9, 9));
      if (dice < 60) return I(U(-200, 200));
      if (dice < 80) return I(U(-20, 20));
      return I(random_.Integer());
    case Type::kReal:
      if (dice < 40) return Value::Real(U(-40, 40) * 0.5);
      if (dice < 50) return OneIn(2) ? Value::Real(-0.0) : Value::Real(0.0);
      if (dice < 60) return I(U(-20, 20));  // stored as REAL
      return Value::Real(random_.Real());
    case Type::kText:
      if (ti == 1 && col == 0) {  // the composite key's first column
        static const char* kGroups[] = {"", "a", "b", "ab", "\xff", "z"};
        if (OneIn(5)) return Value::Text(std::string("a\0b", 3));
        if (OneIn(6)) return Value::Text(std::string("\0", 1));
        return Value::Text(kGroups[U(0, 5)]);
      }
      return Value::Text(ShortBytes());
    case Type::kBlob:
      return Value::Blob(ShortBytes());
    case Type::kBoolean:
      if (dice < 70) return Value::Boolean(OneIn(2));
      return I(U(0, 1));  // stored as FALSE/TRUE
    default:
      return Null();
  }
}

Row ModelRun::RandomRow(size_t ti, const TableModel& m) {
  const Shape& shape = shapes_[ti];
  Row row;
  for (size_t col = 0; col < shape.spec.columns.size(); ++col)
    row.push_back(RandomValue(ti, col, m));
  const int dice = U(0, 199);
  if (dice < 3) {  // any value in any column: likely a type error
    row[U(0, static_cast<int>(row.size()) - 1)] = random_.Any();
  } else if (dice < 4) {
    row.pop_back();  // wrong arity
  } else if (dice < 5) {
    row.push_back(I(1));
  }
  return row;
}

// A key to look up: mostly one that exists, sometimes a numerically equal one
// of another type, a missing one, or one of the wrong arity.
Row ModelRun::RandomKey(size_t ti, const TableModel& m) {
  const Shape& shape = shapes_[ti];
  const int dice = U(0, 99);
  Row key;
  auto it = m.rows.begin();
  if (!m.rows.empty() && dice < 70) {
    std::advance(it, U(0, static_cast<int>(m.rows.size()) - 1));
    key = it->first;
    if (OneIn(10)) {  // 5 = 5.0; 0 and 1 = FALSE and TRUE
      for (Value& v : key) {
        if (v.type() != Type::kInteger) continue;
        if (v.integer() == 0 || v.integer() == 1) {
          v = OneIn(2) ? Value::Boolean(v.integer() == 1)
                       : Value::Real(static_cast<double>(v.integer()));
        } else if (v.integer() > -(int64_t{1} << 53) &&
                   v.integer() < (int64_t{1} << 53)) {
          v = Value::Real(static_cast<double>(v.integer()));
        }
      }
    }
  } else if (shape.hidden()) {
    key = {I(U(-1, static_cast<int>(m.next_row_id) + 1))};
  } else {
    for (size_t p : shape.key) key.push_back(RandomValue(ti, p, m));
    if (OneIn(10)) key[0] = random_.Any();
  }
  if (OneIn(100)) {
    if (key.size() > 1 || OneIn(2)) {
      key.pop_back();
    } else {
      key.push_back(I(0));
    }
  }
  return key;
}

// A scan bound: a key that exists, a prefix of one, or any values.
std::optional<Row> ModelRun::RandomBound(size_t ti, const TableModel& m) {
  if (OneIn(4)) return std::nullopt;
  const size_t arity = shapes_[ti].hidden() ? 1 : shapes_[ti].key.size();
  Row bound = RandomKey(ti, m);
  if (bound.size() > arity) bound.resize(arity);
  if (OneIn(4))
    bound.resize(static_cast<size_t>(
        U(0, static_cast<int>(bound.size()))));  // a prefix, maybe empty
  if (OneIn(15) && !bound.empty()) bound[0] = random_.Any();
  return bound;
}

bool ModelRun::HasTxn(const std::string& fork) const {
  return std::any_of(txns_.begin(), txns_.end(),
                     [&](const auto& t) { return t->fork == fork; });
}

bool ModelRun::Live(uint64_t id) const {
  auto it = all_forks_.find(id);
  return it != all_forks_.end() && forks_.count(it->second) > 0;
}

std::string ModelRun::NameOf(uint64_t id) const {
  auto it = all_forks_.find(id);
  return it == all_forks_.end() ? std::string() : it->second;
}

std::vector<std::string> ModelRun::WritableForks(bool without_txn) const {
  std::vector<std::string> out;
  for (const auto& [name, meta] : forks_)
    if (!meta.read_only && (!without_txn || !HasTxn(name))) out.push_back(name);
  return out;
}

std::string ModelRun::RandomFork() {
  auto it = forks_.begin();
  std::advance(it, U(0, static_cast<int>(forks_.size()) - 1));
  return it->first;
}

ModelRun::OpenTxn* ModelRun::WriteTxn() {
  if (txns_.empty()) {
    std::vector<std::string> writable = WritableForks(true);
    if (writable.empty()) return nullptr;
    const std::string fork =
        writable[U(0, static_cast<int>(writable.size()) - 1)];
    Result<Transaction> txn = db_.Begin(fork);
    EXPECT_TRUE(txn.ok()) << "begin " << fork << ": "
                          << txn.status().ToString();
    if (!txn.ok()) return nullptr;
    ++counts_["begin"];
    auto t = std::make_unique<OpenTxn>();
    t->fork = fork;
    t->txn = std::move(*txn);
    t->work = forks_[fork].committed;
    txns_.push_back(std::move(t));
  }
  return txns_[U(0, static_cast<int>(txns_.size()) - 1)].get();
}

void ModelRun::EndTxn(OpenTxn& t) {
  EXPECT_FALSE(t.txn.active());
  txns_.erase(std::find_if(txns_.begin(), txns_.end(),
                           [&](const auto& p) { return p.get() == &t; }));
}

// ---------------------------------------------------------------- rows

// A refused call changes nothing: the rows at the keys it named read as
// before, and now and then the whole table and its indexes are compared (the
// next full check would find any other change, later).
void ModelRun::VerifyRefused(OpenTxn& t, size_t ti, const std::string& what,
                             const std::vector<Row>& keys) {
  const Shape& shape = shapes_[ti];
  const TableModel& m = t.work.table(shape.spec.name);
  if (OneIn(16)) {
    ++counts_["refused_full_compare"];
    CompareTable(t.txn, ti, m, "after refused " + what);
    return;
  }
  const size_t arity = shape.hidden() ? 1 : shape.key.size();
  for (const Row& key : keys) {
    if (key.size() != arity) continue;
    ENGINE_ASSERT_OK_AND_ASSIGN(std::optional<Row> got,
                                t.txn.Get(shape.spec.name, key));
    auto it = m.rows.find(key);
    ASSERT_EQ(got.has_value(), it != m.rows.end())
        << Brief(key) << " after refused " << what;
    if (got.has_value()) {
      ASSERT_EQ(*got, it->second) << Brief(key) << " after refused " << what;
    }
  }
}

void ModelRun::OpInsert(OpenTxn& t, size_t ti) {
  const Shape& shape = shapes_[ti];
  TableModel& m = t.work.mutable_table(shape.spec.name);
  const Row row = RandomRow(ti, m);
  const std::optional<Row> norm = Normalize(shape, row);
  std::vector<Code> errors;
  Row key;
  if (!norm.has_value()) {
    errors.push_back(Code::kInvalidArgument);
  } else {
    key = shape.hidden() ? Row{I(static_cast<int64_t>(m.next_row_id))}
                         : KeyOf(shape, *norm);
    if (m.rows.count(key) > 0 || UniqueConflict(m, *norm, nullptr))
      errors.push_back(Code::kInvalidArgument);
  }
  const std::string what =
      "insert into " + shape.spec.name + " of " + Brief(row) + " on " + t.fork;
  Result<Row> r = t.txn.Insert(TableName(ti), row);
  ASSERT_TRUE(Outcome(r.status(), errors, what));
  if (!errors.empty()) {
    ++counts_["insert_refused"];
    ASSERT_NO_FATAL_FAILURE(VerifyRefused(
        t, ti, what, {key, {I(static_cast<int64_t>(m.next_row_id))}}));
    return;
  }
  ++counts_["insert"];
  if (HasLargeValue(*norm)) ++counts_["insert_large_value"];
  t.wrote = true;
  ASSERT_EQ(*r, key) << what;
  m.rows.emplace(key, *norm);
  if (shape.hidden()) ++m.next_row_id;
}

void ModelRun::OpUpdate(OpenTxn& t, size_t ti) {
  const Shape& shape = shapes_[ti];
  TableModel& m = t.work.mutable_table(shape.spec.name);
  const Row key = RandomKey(ti, m);
  Row row = RandomRow(ti, m);
  auto old = m.rows.find(key);
  // Keep the key (the common update), take another row's key (a duplicate)
  // or leave the random one (the row moves).
  const int dice = U(0, 9);
  if (!shape.hidden() && row.size() == shape.spec.columns.size()) {
    if (dice < 5 && old != m.rows.end()) {
      for (size_t i = 0; i < shape.key.size(); ++i)
        row[shape.key[i]] = old->first[i];
    } else if (dice < 7) {
      if (const Row* other = ExistingRow(m))
        for (size_t p : shape.key) row[p] = (*other)[p];
    }
  }
  const std::optional<Row> norm = Normalize(shape, row);
  const size_t arity = shape.hidden() ? 1 : shape.key.size();
  std::vector<Code> errors;
  Row new_key;
  if (key.size() != arity || !norm.has_value())
    errors.push_back(Code::kInvalidArgument);
  if (key.size() == arity && old == m.rows.end())
    errors.push_back(Code::kNotFound);
  if (errors.empty()) {
    new_key = shape.hidden() ? old->first : KeyOf(shape, *norm);
    const bool moves = test::ReferenceCompareRows(new_key, old->first) != 0;
    if ((moves && m.rows.count(new_key) > 0) ||
        UniqueConflict(m, *norm, &old->first))
      errors.push_back(Code::kInvalidArgument);
  }
  const std::string what = "update of " + shape.spec.name + " " + Brief(key) +
                           " to " + Brief(row) + " on " + t.fork;
  ASSERT_TRUE(Outcome(t.txn.Update(TableName(ti), key, row), errors, what));
  if (!errors.empty()) {
    ++counts_["update_refused"];
    ASSERT_NO_FATAL_FAILURE(
        VerifyRefused(t, ti, what, {key, norm ? KeyOf(shape, *norm) : Row{}}));
    return;
  }
  const bool moved = test::ReferenceCompareRows(new_key, old->first) != 0;
  ++counts_[moved ? "update_moved" : "update"];
  t.wrote = true;
  m.rows.erase(old);
  m.rows.emplace(new_key, *norm);
  // The row reads back under its new key, and not under the old one.
  ENGINE_ASSERT_OK_AND_ASSIGN(std::optional<Row> got,
                              t.txn.Get(TableName(ti), new_key));
  ASSERT_TRUE(got.has_value()) << what;
  ASSERT_EQ(*got, *norm) << what;
  if (moved) {
    ENGINE_ASSERT_OK_AND_ASSIGN(got, t.txn.Get(TableName(ti), key));
    ASSERT_FALSE(got.has_value()) << what;
  }
}

void ModelRun::OpDelete(OpenTxn& t, size_t ti) {
  const Shape& shape = shapes_[ti];
  TableModel& m = t.work.mutable_table(shape.spec.name);
  const Row key = RandomKey(ti, m);
  const size_t arity = shape.hidden() ? 1 : shape.key.size();
  auto it = m.rows.find(key);
  std::vector<Code> errors;
  if (key.size() != arity) {
    errors.push_back(Code::kInvalidArgument);
  } else if (it == m.rows.end()) {
    errors.push_back(Code::kNotFound);
  }
  const std::string what =
      "delete from " + shape.spec.name + " of " + Brief(key) + " on " + t.fork;
  ASSERT_TRUE(Outcome(t.txn.Delete(TableName(ti), key), errors, what));
  if (!errors.empty()) {
    ++counts_["delete_refused"];
    ASSERT_NO_FATAL_FAILURE(VerifyRefused(t, ti, what, {key}));
    return;
  }
  ++counts_["delete"];
  t.wrote = true;
  m.rows.erase(it);
}

// ---------------------------------------------------------------- reads

// Calls fn(reader, model, what) on an open transaction, a held snapshot or a
// fresh snapshot of a live fork.
template <typename Fn>
void ModelRun::WithReader(Fn&& fn) {
  const int dice = U(0, 9);
  if (dice < 4 && !txns_.empty()) {
    OpenTxn& t = *txns_[U(0, static_cast<int>(txns_.size()) - 1)];
    fn(static_cast<const Reader&>(t.txn), t.work, "transaction on " + t.fork);
  } else if (dice < 7 && !snaps_.empty()) {
    HeldSnapshot& h = snaps_[U(0, static_cast<int>(snaps_.size()) - 1)];
    fn(static_cast<const Reader&>(h.snap), h.model, h.what);
  } else {
    const std::string fork = RandomFork();
    ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot(fork));
    fn(static_cast<const Reader&>(snap), forks_[fork].committed,
       "snapshot of " + fork);
  }
}

void ModelRun::OpGet(const Reader& r, const ForkModel& fm, size_t ti,
                     const std::string& what) {
  const Shape& shape = shapes_[ti];
  const TableModel& m = fm.table(shape.spec.name);
  const Row key = RandomKey(ti, m);
  const std::string where =
      "get " + shape.spec.name + " " + Brief(key) + " in " + what;
  Result<std::optional<Row>> got = r.Get(TableName(ti), key);
  if (key.size() != (shape.hidden() ? 1 : shape.key.size())) {
    ASSERT_TRUE(Outcome(got.status(), {Code::kInvalidArgument}, where));
    return;
  }
  ASSERT_TRUE(got.ok()) << where << ": " << got.status().ToString();
  ++counts_["get"];
  auto it = m.rows.find(key);
  if (it == m.rows.end()) {
    ASSERT_FALSE(got->has_value()) << where << ": " << Brief(**got);
  } else {
    ASSERT_TRUE(got->has_value()) << where;
    ASSERT_EQ(**got, it->second) << where;
  }
}

// Every row of a scan, or the status that ended it.
Result<std::vector<Row>> ScanRows(const Reader& r, std::string_view table,
                                  const ScanRange& range) {
  FORKDB_ASSIGN_OR_RETURN(Cursor c, r.Scan(table, range));
  std::vector<Row> rows;
  while (c.Valid()) {
    rows.push_back(c.row());
    FORKDB_RETURN_IF_ERROR(c.Next());
  }
  FORKDB_RETURN_IF_ERROR(c.status());
  return rows;
}

void ModelRun::OpScan(const Reader& r, const ForkModel& fm, size_t ti,
                      const std::string& what) {
  const Shape& shape = shapes_[ti];
  const TableModel& m = fm.table(shape.spec.name);
  ScanRange range;
  range.lo = RandomBound(ti, m);
  range.hi = RandomBound(ti, m);
  range.reverse = OneIn(2);
  const std::string where =
      std::string(range.reverse ? "backward" : "forward") + " scan of " +
      shape.spec.name + " from " + (range.lo ? Brief(*range.lo) : "-") +
      " to " + (range.hi ? Brief(*range.hi) : "-") + " in " + what;
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> got,
                              ScanRows(r, TableName(ti), range));
  const std::vector<Row> want = ExpectedScan(m, range);
  ASSERT_EQ(got.size(), want.size())
      << where << "\n got " << RowsString(got) << "\nwant " << RowsString(want);
  ASSERT_TRUE(got == want) << where << "\n got " << RowsString(got) << "\nwant "
                           << RowsString(want);
  ++counts_["scan"];
  counts_["scan_rows"] += static_cast<int>(got.size());
}

void ModelRun::OpLookup(const Reader& r, const ForkModel& fm, size_t ti,
                        const std::string& what) {
  const Shape& shape = shapes_[ti];
  const TableModel& m = fm.table(shape.spec.name);
  const int dice = U(0, 19);
  if (dice == 0 || m.indexes.empty()) {
    // An index this table does not have (dropped, or never made).
    const IndexCandidate& c =
        shape.candidates[U(0, static_cast<int>(shape.candidates.size()) - 1)];
    const bool has =
        std::any_of(m.indexes.begin(), m.indexes.end(),
                    [&](const auto& x) { return x.name == c.name; });
    Result<std::vector<Row>> got = r.IndexLookup(TableName(ti), c.name, {});
    if (!has) {
      ASSERT_TRUE(Outcome(got.status(), {Code::kNotFound},
                          "lookup in missing index " + c.name + " in " + what));
      ++counts_["lookup_missing"];
    }
    return;
  }
  const IndexModel& index =
      m.indexes[U(0, static_cast<int>(m.indexes.size()) - 1)];
  Row prefix;
  // Mostly a prefix of one value or more; the empty one reads the whole index.
  const size_t n =
      OneIn(10)
          ? 0
          : static_cast<size_t>(U(1, static_cast<int>(index.columns.size())));
  const Row* source = ExistingRow(m);
  for (size_t i = 0; i < n; ++i) {
    const size_t col = index.columns[i];
    if (source != nullptr && !OneIn(4)) {
      prefix.push_back((*source)[col]);
    } else {
      prefix.push_back(OneIn(10) ? random_.Any() : RandomValue(ti, col, m));
    }
  }
  const bool too_long = dice == 1;
  if (too_long) prefix.resize(index.columns.size() + 1, I(0));
  const std::string where =
      "lookup in " + index.name + " of " + Brief(prefix) + " in " + what;
  Result<std::vector<Row>> got =
      r.IndexLookup(TableName(ti), index.name, prefix);
  if (too_long) {
    ASSERT_TRUE(Outcome(got.status(), {Code::kInvalidArgument}, where));
    return;
  }
  ASSERT_TRUE(got.ok()) << where << ": " << got.status().ToString();
  const std::vector<Row> want = ExpectedLookup(m, index, prefix);
  ASSERT_TRUE(*got == want) << where << "\n got " << RowsString(*got)
                            << "\nwant " << RowsString(want);
  ++counts_["lookup"];
  counts_["lookup_rows"] += static_cast<int>(want.size());
}

// ---------------------------------------------------------------- schema

void ModelRun::OpCreateIndex(OpenTxn& t, size_t ti) {
  const Shape& shape = shapes_[ti];
  TableModel& m = t.work.mutable_table(shape.spec.name);
  const IndexCandidate& cand =
      shape.candidates[U(0, static_cast<int>(shape.candidates.size()) - 1)];
  std::string name = cand.name;
  std::vector<std::string> columns;
  for (size_t p : cand.columns) columns.push_back(shape.spec.columns[p].name);
  std::string table = TableName(ti);
  const int dice = U(0, 29);
  if (dice == 0) {
    table = "nosuch";
  } else if (dice == 1) {
    columns.push_back("nosuch");
  } else if (dice == 2) {  // a name another table's index has
    const Shape& other = shapes_[(ti + 1) % shapes_.size()];
    const TableModel& om = t.work.table(other.spec.name);
    if (!om.indexes.empty()) name = om.indexes[0].name;
  }
  // Unique more often when it is likely to hold, so both outcomes happen.
  const bool unique =
      OneIn(HasDuplicates(m, cand.columns) ? 3 : 2) || dice == 3;
  bool taken = false;
  for (const auto& [tn, tm] : t.work.tables)
    for (const IndexModel& x : tm->indexes) taken = taken || x.name == name;
  std::vector<Code> errors;
  if (table == "nosuch") errors.push_back(Code::kNotFound);
  if (taken || columns.size() != cand.columns.size() ||
      (unique && HasDuplicates(m, cand.columns)))
    errors.push_back(Code::kInvalidArgument);
  const std::string what = std::string(unique ? "unique " : "") + "index " +
                           name + " on " + table + " in " + t.fork;
  Result<IndexDef> r = t.txn.CreateIndex(table, name, columns, unique);
  ASSERT_TRUE(Outcome(r.status(), errors, "create " + what));
  if (!errors.empty()) {
    ++counts_[unique && !taken && table != "nosuch" &&
                      columns.size() == cand.columns.size()
                  ? "create_unique_index_refused"
                  : "create_index_refused"];
    ASSERT_NO_FATAL_FAILURE(
        CompareTable(t.txn, ti, m, "after refused create " + what));
    return;
  }
  ++counts_[unique ? "create_unique_index" : "create_index"];
  t.wrote = true;
  EXPECT_EQ(FoldName(r->name), FoldName(name)) << what;
  EXPECT_EQ(r->unique, unique) << what;
  ASSERT_EQ(r->columns.size(), cand.columns.size()) << what;
  m.indexes.push_back({name, cand.columns, unique});
  ++m.schema_version;
  ++t.work.schema_version;
}

void ModelRun::OpDropIndex(OpenTxn& t) {
  // An index that exists, or one that does not.
  std::vector<std::pair<std::string, std::string>> all;  // (table, index)
  for (const auto& [tn, tm] : t.work.tables)
    for (const IndexModel& x : tm->indexes) all.emplace_back(tn, x.name);
  std::string table, name;
  if (!all.empty() && !OneIn(8)) {
    std::tie(table, name) = all[U(0, static_cast<int>(all.size()) - 1)];
  } else {
    const Shape& shape = shapes_[U(0, static_cast<int>(shapes_.size()) - 1)];
    name = shape.candidates[U(0, static_cast<int>(shape.candidates.size()) - 1)]
               .name;
    for (const auto& [tn, x] : all)
      if (x == name) table = tn;
  }
  std::vector<Code> errors;
  if (table.empty()) errors.push_back(Code::kNotFound);
  const std::string what = "drop index " + name + " in " + t.fork;
  ASSERT_TRUE(Outcome(t.txn.DropIndex(name), errors, what));
  if (!errors.empty()) {
    ++counts_["drop_index_refused"];
    return;
  }
  ++counts_["drop_index"];
  t.wrote = true;
  TableModel& m = t.work.mutable_table(table);
  m.indexes.erase(std::find_if(m.indexes.begin(), m.indexes.end(),
                               [&](const auto& x) { return x.name == name; }));
  ++m.schema_version;
  ++t.work.schema_version;
}

// ---------------------------------------------------------------- transactions

void ModelRun::OpSavepoint(OpenTxn& t) {
  const int dice = U(0, 9);
  if (dice < 4 && t.savepoints.size() < 4) {
    ENGINE_ASSERT_OK(t.txn.Savepoint());
    t.savepoints.push_back(t.work);
    t.wrote_at.push_back(t.wrote);
    ++counts_["savepoint"];
  } else if (dice < 7) {
    const std::vector<Code> errors =
        t.savepoints.empty() ? std::vector<Code>{Code::kInvalidArgument}
                             : std::vector<Code>{};
    ASSERT_TRUE(Outcome(t.txn.RollbackToSavepoint(), errors,
                        "rollback to savepoint on " + t.fork));
    if (t.savepoints.empty()) return;
    t.work = std::move(t.savepoints.back());
    t.savepoints.pop_back();
    t.wrote = t.wrote_at.back();
    t.wrote_at.pop_back();
    ++counts_["rollback_to_savepoint"];
  } else {
    const std::vector<Code> errors =
        t.savepoints.empty() ? std::vector<Code>{Code::kInvalidArgument}
                             : std::vector<Code>{};
    ASSERT_TRUE(Outcome(t.txn.ReleaseSavepoint(), errors,
                        "release savepoint on " + t.fork));
    if (t.savepoints.empty()) return;
    t.savepoints.pop_back();
    t.wrote_at.pop_back();
    ++counts_["release_savepoint"];
  }
}

void ModelRun::OpCommit(OpenTxn& t) {
  ENGINE_ASSERT_OK(t.txn.Commit());
  ForkMeta& meta = forks_.at(t.fork);
  meta.committed = std::move(t.work);
  if (t.wrote) ++meta.commit_seq;
  ++counts_[t.wrote ? "commit" : "commit_empty"];
  EndTxn(t);
}

void ModelRun::OpRollback(OpenTxn& t) {
  t.txn.Rollback();
  ++counts_["rollback"];
  EndTxn(t);
}

void ModelRun::OpBegin() {
  // A second transaction on another fork, or a Begin the model refuses.
  const int dice = U(0, 9);
  std::string fork = RandomFork();
  if (dice == 0) fork = "f" + std::to_string(forks_made_ + 1000);  // none such
  std::vector<Code> errors;
  if (forks_.count(fork) == 0) {
    errors.push_back(Code::kNotFound);
  } else if (forks_.at(fork).read_only) {
    errors.push_back(Code::kInvalidArgument);
  } else if (HasTxn(fork)) {
    errors.push_back(Code::kBusy);
  }
  if (errors.empty() && txns_.size() >= 2) return;
  Result<Transaction> txn = db_.Begin(fork);
  ASSERT_TRUE(Outcome(txn.status(), errors, "begin on " + fork));
  if (!errors.empty()) {
    ++counts_["begin_refused"];
    return;
  }
  ++counts_["begin"];
  auto t = std::make_unique<OpenTxn>();
  t->fork = fork;
  t->txn = std::move(*txn);
  t->work = forks_.at(fork).committed;
  txns_.push_back(std::move(t));
}

// ---------------------------------------------------------------- forks

void ModelRun::OpSnapshot() {
  const int dice = U(0, 9);
  if ((dice < 4 && !snaps_.empty()) || snaps_.size() >= 6) {
    snaps_.erase(snaps_.begin() + U(0, static_cast<int>(snaps_.size()) - 1));
    ++counts_["snapshot_released"];
    return;
  }
  const std::string fork = RandomFork();
  const ForkMeta& meta = forks_.at(fork);
  HeldSnapshot h;
  if (dice < 7) {
    ENGINE_ASSERT_OK_AND_ASSIGN(h.snap, db_.GetSnapshot(fork));
    h.model = meta.committed;
    h.fork_id = meta.id;
    h.what = "snapshot of " + fork + " at " + std::to_string(meta.commit_seq);
    EXPECT_EQ(h.snap.fork(), fork);
    EXPECT_EQ(h.snap.commit_seq(), meta.commit_seq) << h.what;
    ++counts_["snapshot"];
  } else {
    Result<Snapshot> base = db_.GetBaseSnapshot(fork);
    if (!meta.base.has_value()) {
      ASSERT_TRUE(Outcome(base.status(), {Code::kNotFound},
                          "base snapshot of " + fork));
      return;
    }
    ASSERT_TRUE(base.ok()) << "base of " << fork << ": "
                           << base.status().ToString();
    h.snap = std::move(*base);
    h.model = *meta.base;
    h.fork_id = meta.parent_id;
    h.what = "base snapshot of " + fork;
    EXPECT_EQ(h.snap.fork(),
              Live(meta.parent_id) ? NameOf(meta.parent_id) : std::string())
        << h.what;
    EXPECT_EQ(h.snap.commit_seq(), meta.fork_point) << h.what;
    ++counts_["base_snapshot"];
  }
  // Read it at once too; most reads of it come later, after other writes.
  ASSERT_NO_FATAL_FAILURE(OpScan(
      h.snap, h.model, U(0, static_cast<int>(shapes_.size()) - 1), h.what));
  snaps_.push_back(std::move(h));
}

void ModelRun::OpCreateFork() {
  if (forks_.size() >= 10) return;
  const std::string name = "f" + std::to_string(++forks_made_);
  ForkOptions options;
  options.read_only = OneIn(5);
  ForkMeta meta;
  meta.read_only = options.read_only;
  Result<ForkInfo> info = Status::Aborted("not made");
  std::string what;
  if (!snaps_.empty() && OneIn(3)) {
    const HeldSnapshot& h = snaps_[U(0, static_cast<int>(snaps_.size()) - 1)];
    what = "fork " + name + " of " + h.what;
    info = db_.CreateFork(name, h.snap, options);
    meta.committed = h.model;
    meta.parent_id = Live(h.fork_id) ? h.fork_id : 0;
    meta.fork_point = h.snap.commit_seq();
    ++counts_["fork_of_snapshot"];
  } else {
    const std::string from = RandomFork();
    what = "fork " + name + " of " + from;
    if (OneIn(20)) {  // a name that is taken
      const std::string taken = RandomFork();
      ASSERT_TRUE(Outcome(db_.CreateFork(taken, from).status(),
                          {Code::kInvalidArgument}, "fork named " + taken));
    }
    info = db_.CreateFork(name, from, options);
    const ForkMeta& parent = forks_.at(from);
    meta.committed = parent.committed;
    meta.parent_id = parent.id;
    meta.fork_point = parent.commit_seq;
    ++counts_["fork"];
  }
  ASSERT_TRUE(info.ok()) << what << ": " << info.status().ToString();
  if (options.read_only) ++counts_["fork_read_only"];
  meta.id = info->id;
  meta.base = meta.committed;
  EXPECT_EQ(info->name, name);
  EXPECT_EQ(info->parent_id, meta.parent_id) << what;
  EXPECT_EQ(info->parent, NameOf(meta.parent_id)) << what;
  EXPECT_EQ(info->read_only, meta.read_only) << what;
  EXPECT_EQ(info->commit_seq, 0u) << what;
  EXPECT_EQ(info->fork_point, meta.fork_point) << what;
  ASSERT_EQ(all_forks_.count(meta.id), 0u) << what << ": fork id reused";
  all_forks_[meta.id] = name;
  forks_[name] = std::move(meta);
  // The new fork reads as its source did.
  ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot(name));
  ASSERT_NO_FATAL_FAILURE(CompareFork(snap, forks_[name].committed, what));
  ASSERT_NO_FATAL_FAILURE(CheckForkList());
}

void ModelRun::OpDropFork() {
  if (forks_.size() <= 2) return;
  std::string name = RandomFork();
  if (OneIn(20)) name = "f" + std::to_string(forks_made_ + 1000);  // none such
  std::vector<Code> errors;
  if (forks_.count(name) == 0) {
    errors.push_back(Code::kNotFound);
  } else {
    const ForkMeta& meta = forks_.at(name);
    bool children = false;
    for (const auto& [n, f] : forks_)
      children = children || f.parent_id == meta.id;
    if (meta.parent_id != 0 && children)
      errors.push_back(Code::kInvalidArgument);
    if (HasTxn(name)) errors.push_back(Code::kBusy);
    // Keep one fork that can be written.
    if (errors.empty() && !meta.read_only && WritableForks(false).size() <= 1)
      return;
  }
  ASSERT_TRUE(Outcome(db_.DropFork(name), errors, "drop fork " + name));
  if (!errors.empty()) {
    ++counts_[errors[0] == Code::kBusy       ? "drop_fork_busy"
              : errors[0] == Code::kNotFound ? "drop_fork_missing"
                                             : "drop_fork_has_children"];
    if (forks_.count(name) > 0) ENGINE_ASSERT_OK(db_.GetFork(name).status());
    return;
  }
  ++counts_[name == kMainFork ? "drop_main" : "drop_fork"];
  forks_.erase(name);
  ASSERT_TRUE(Outcome(db_.GetFork(name).status(), {Code::kNotFound},
                      "fork " + name + " after its drop"));
  ASSERT_NO_FATAL_FAILURE(CheckForkList());
}

void ModelRun::CheckForkList() {
  const std::vector<ForkInfo> list = db_.ListForks();
  std::vector<const ForkMeta*> want;
  for (const auto& [name, meta] : forks_) want.push_back(&meta);
  std::sort(want.begin(), want.end(),
            [](const ForkMeta* a, const ForkMeta* b) { return a->id < b->id; });
  ASSERT_EQ(list.size(), want.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const ForkMeta& m = *want[i];
    const ForkInfo& f = list[i];
    const std::string what = "fork list entry " + f.name;
    ASSERT_EQ(f.id, m.id) << what;
    EXPECT_EQ(f.name, NameOf(m.id)) << what;
    EXPECT_EQ(f.parent_id, m.parent_id) << what;
    const bool parent_live = m.parent_id != 0 && Live(m.parent_id);
    EXPECT_EQ(f.parent, parent_live ? NameOf(m.parent_id) : "") << what;
    EXPECT_EQ(f.parent_dropped, m.parent_id != 0 && !parent_live) << what;
    EXPECT_EQ(f.read_only, m.read_only) << what;
    EXPECT_EQ(f.commit_seq, m.commit_seq) << what;
    EXPECT_EQ(f.fork_point, m.fork_point) << what;
  }
}

// ---------------------------------------------------------------- comparisons

void ModelRun::CompareTable(const Reader& r, size_t ti, const TableModel& m,
                            const std::string& what) {
  const Shape& shape = shapes_[ti];
  const std::string where = shape.spec.name + " in " + what;
  ENGINE_ASSERT_OK_AND_ASSIGN(TableDef def, r.GetTable(shape.spec.name));
  EXPECT_EQ(def.schema_version, m.schema_version) << where;
  if (shape.hidden()) {
    EXPECT_EQ(def.next_row_id, m.next_row_id) << where;
  }
  // The indexes, by name.
  std::map<std::string, std::pair<std::vector<size_t>, bool>> want_indexes,
      got_indexes;
  for (const IndexModel& x : m.indexes)
    want_indexes[FoldName(x.name)] = {x.columns, x.unique};
  for (const IndexDef& x : def.indexes) {
    std::vector<size_t> columns;
    for (uint32_t id : x.columns) {
      const ColumnDef* c = def.FindColumnById(id);
      ASSERT_NE(c, nullptr) << where;
      for (size_t p = 0; p < shape.spec.columns.size(); ++p)
        if (FoldName(shape.spec.columns[p].name) == FoldName(c->name))
          columns.push_back(p);
    }
    got_indexes[FoldName(x.name)] = {columns, x.unique};
  }
  ASSERT_TRUE(got_indexes == want_indexes) << where << ": indexes differ";
  // Every row, in key order.
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> rows,
                              ScanRows(r, shape.spec.name, {}));
  std::vector<Row> want;
  for (const auto& [key, row] : m.rows) want.push_back(row);
  ASSERT_EQ(rows.size(), want.size()) << where;
  ASSERT_TRUE(rows == want) << where << "\n got " << RowsString(rows)
                            << "\nwant " << RowsString(want);
  // Every index entry, in index order.
  for (const IndexModel& x : m.indexes) {
    ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<Row> got,
                                r.IndexLookup(shape.spec.name, x.name, {}));
    const std::vector<Row> expected = ExpectedLookup(m, x, {});
    ASSERT_TRUE(got == expected)
        << where << " index " << x.name << "\n got " << RowsString(got)
        << "\nwant " << RowsString(expected);
  }
}

void ModelRun::CompareFork(const Reader& r, const ForkModel& m,
                           const std::string& what) {
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<TableDef> tables, r.ListTables());
  std::vector<std::string> names;
  for (const TableDef& t : tables) names.push_back(t.name);
  std::vector<std::string> want;
  for (const auto& [name, tm] : m.tables) want.push_back(name);
  ASSERT_EQ(names, want) << what;
  ENGINE_ASSERT_OK_AND_ASSIGN(uint64_t version, r.SchemaVersion());
  EXPECT_EQ(version, m.schema_version) << what;
  for (size_t ti = 0; ti < shapes_.size(); ++ti)
    ASSERT_NO_FATAL_FAILURE(
        CompareTable(r, ti, m.table(shapes_[ti].spec.name), what));
}

void ModelRun::CompareForks() {
  for (const auto& [name, meta] : forks_) {
    ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot snap, db_.GetSnapshot(name));
    ASSERT_NO_FATAL_FAILURE(CompareFork(snap, meta.committed, "fork " + name));
    if (!meta.base.has_value()) continue;
    ENGINE_ASSERT_OK_AND_ASSIGN(Snapshot base, db_.GetBaseSnapshot(name));
    ASSERT_NO_FATAL_FAILURE(CompareFork(base, *meta.base, "base of " + name));
  }
  for (const HeldSnapshot& h : snaps_)
    ASSERT_NO_FATAL_FAILURE(CompareFork(h.snap, h.model, "held " + h.what));
  for (const auto& t : txns_)
    ASSERT_NO_FATAL_FAILURE(
        CompareFork(t->txn, t->work, "transaction on " + t->fork));
}

void ModelRun::FullCheck(const std::string& when) {
  ++counts_["full_check"];
  ENGINE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> problems, db_.Check());
  ASSERT_TRUE(problems.empty()) << when << ": " << problems.size()
                                << " problems, first: " << problems.front();
  ASSERT_NO_FATAL_FAILURE(CheckForkList());
  ASSERT_NO_FATAL_FAILURE(CompareForks());
}

// ---------------------------------------------------------------- the loop

void ModelRun::Run(int ops) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(Setup());
  const bool durable = backend_ == cow::Backend::kRocksDB;
  const int check_every = 5000;
  const int reopen_every = ops / 4;
  for (int op = 0; op < ops; ++op) {
    SCOPED_TRACE(::testing::Message()
                 << "seed " << seed_ << " op " << op
                 << " (FORKDB_TEST_SEED=" << seed_ << " replays)");
    const size_t ti =
        static_cast<size_t>(U(0, static_cast<int>(shapes_.size()) - 1));
    const int dice = U(0, 999);
    if (dice < 470) {  // writes
      OpenTxn* t = WriteTxn();
      ASSERT_FALSE(::testing::Test::HasFailure());
      if (t == nullptr) continue;
      const size_t rows = t->work.table(shapes_[ti].spec.name).rows.size();
      if (dice < 250 && rows < kMaxRows) {
        OpInsert(*t, ti);
      } else if (dice < 380) {
        OpUpdate(*t, ti);
      } else {
        OpDelete(*t, ti);
      }
    } else if (dice < 560) {
      WithReader([&](const Reader& r, const ForkModel& m,
                     const std::string& w) { OpGet(r, m, ti, w); });
    } else if (dice < 650) {
      WithReader([&](const Reader& r, const ForkModel& m,
                     const std::string& w) { OpScan(r, m, ti, w); });
    } else if (dice < 740) {
      WithReader([&](const Reader& r, const ForkModel& m,
                     const std::string& w) { OpLookup(r, m, ti, w); });
    } else if (dice < 780) {
      if (OpenTxn* t = WriteTxn()) OpSavepoint(*t);
    } else if (dice < 795) {
      if (OpenTxn* t = WriteTxn()) OpCreateIndex(*t, ti);
    } else if (dice < 801) {
      if (OpenTxn* t = WriteTxn()) OpDropIndex(*t);
    } else if (dice < 850) {
      if (!txns_.empty())
        OpCommit(*txns_[U(0, static_cast<int>(txns_.size()) - 1)]);
    } else if (dice < 862) {
      if (!txns_.empty())
        OpRollback(*txns_[U(0, static_cast<int>(txns_.size()) - 1)]);
    } else if (dice < 880) {
      OpBegin();
    } else if (dice < 940) {
      OpSnapshot();
    } else if (dice < 950) {
      OpCreateFork();
    } else if (dice < 960) {
      OpDropFork();
    } else if (dice < 962) {
      CheckForkList();
    } else {
      // More reads of held snapshots: isolation from everything since.
      if (snaps_.empty()) continue;
      HeldSnapshot& h = snaps_[U(0, static_cast<int>(snaps_.size()) - 1)];
      if (OneIn(2)) {
        OpGet(h.snap, h.model, ti, h.what);
      } else {
        OpLookup(h.snap, h.model, ti, h.what);
      }
    }
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "stopped at op " << op << "; seed " << seed_;
      return;
    }
    if (op % check_every == check_every - 1) {
      ASSERT_NO_FATAL_FAILURE(FullCheck("check at op " + std::to_string(op)));
    }
    if (durable && op % reopen_every == reopen_every - 1) {
      ASSERT_NO_FATAL_FAILURE(Reopen());
    }
  }
  ASSERT_NO_FATAL_FAILURE(FullCheck("at the end"));
  if (durable) {
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  size_t rows = 0;
  for (const auto& [name, meta] : forks_)
    for (const auto& [tn, tm] : meta.committed.tables) rows += tm->rows.size();
  std::cout << ops << " ops on " << cow::BackendName(backend_) << " in " << secs
            << " s; " << forks_made_ << " forks made, " << forks_.size()
            << " live with " << rows << " rows;";
  for (const auto& [k, n] : counts_) std::cout << " " << k << "=" << n;
  std::cout << "\n";
  EXPECT_GE(forks_made_, 16);
}

class DatabaseModelTest : public ::testing::TestWithParam<cow::Backend> {};

TEST_P(DatabaseModelTest, RandomOpsMatchModel) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  // 200,000 operations per run over both backends; the memory one is faster.
  const int ops = (GetParam() == cow::Backend::kMemory ? 150000 : 50000) *
                  (cow::LongTests() ? 10 : 1);
  ModelRun run(GetParam(), seed);
  run.Run(ops);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseModelTest,
                         ::testing::Values(cow::Backend::kMemory,
                                           cow::Backend::kRocksDB),
                         [](const auto& info) {
                           return cow::BackendName(info.param);
                         });

}  // namespace
}  // namespace forkdb::engine
