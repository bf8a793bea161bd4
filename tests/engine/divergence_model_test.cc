// Model-based randomized test of divergence detection (forkdb/divergence.h):
// random histories of a small fork tree are compared with a brute-force
// reference that reads every row of every table of the three states through
// the public API alone and applies the header's rules literally.
//
// What it checks, per comparison of two sides (a fork's current state, or a
// snapshot held since):
//   1. FindMergeBase names the common ancestor that the test computes from
//      its own fork tree (parent, and the snapshot each fork was made from,
//      which is exactly its fork point), never from the engine.
//   2. Divergence, row level and cell level, equals ReferenceDivergence run
//      on the test's own merge base snapshot, as sets of records with every
//      field (kind, table, key and key columns, columns, the three images,
//      the three schemas), and streams in order: tables by folded name, then
//      keys ascending.
//   3. Diff equals ReferenceDiff (every row of both sides), in order.
//   4. DivergentPages: pages ascending and unique; none when one side is the
//      merge base itself; a page naming a table whenever both sides changed
//      one of its rows (the row's leaf was written on both sides).
//   5. The same with a table filter, now and then.
//
// Histories: tables with an INTEGER key, a composite (TEXT, INTEGER) key and
// no key (hidden row id), columns of every type, a few hundred rows in some
// (several leaves), TEXT and BLOB values of several KiB (overflow pages);
// inserts, updates (also moving the key), deletes, delete then reinsert,
// identical transactions on two forks; in half the seeds schema changes
// too (create and drop tables, add, drop and rename columns, rename tables,
// create and drop indexes), on one side, on both alike or differently.
// Topologies: forks of the current state or of older snapshots, of main or
// of forks (children, siblings forked at different times while the parent
// kept writing, cousins), and now and then main dropped at the end.
//
// Each run goes through kSeeds seeds from a printed base; FORKDB_TEST_SEED
// replays one seed, and a failure names its seed, the history and the
// differing records.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/divergence.h"
#include "tests/engine/divergence_text.h"
#include "tests/engine/test_util.h"

namespace forkdb::engine {
namespace {

using test::Col;
using test::ImageText;
using test::NamesText;
using test::RecordText;
using test::RowText;
using test::SchemaText;
using test::ValueText;

// Seeds per run; FORKDB_LONG_TESTS=1 runs ten times as many.
constexpr int kSeeds = 500;
// Seeds that may fail before the run stops reporting.
constexpr int kMaxFailedSeeds = 3;

// ------------------------------------------------------------ rows, schemas

// Rows are compared with Value's operator== column by column (the header's
// rule: the same type and Compare() 0).
bool SameRow(const Row& a, const Row& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i])) return false;
  return true;
}

bool SameImage(const std::optional<Row>& a, const std::optional<Row>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a.has_value() || SameRow(*a, *b);
}

// The same table: the engine keeps a table's id and root page for its life.
bool SameTable(const TableDef& a, const TableDef& b) {
  return a.id == b.id && a.root == b.root;
}

// What the user declared: name, columns (ids, types, constraints,
// defaults), primary key, and indexes by name, columns and uniqueness.
bool SameDeclaration(const TableDef& a, const TableDef& b) {
  if (a.name != b.name || a.columns != b.columns ||
      a.primary_key != b.primary_key)
    return false;
  using Declared = std::tuple<std::string, std::vector<uint32_t>, bool>;
  auto indexes = [](const TableDef& d) {
    std::vector<Declared> out;
    for (const IndexDef& i : d.indexes)
      out.emplace_back(i.name, i.columns, i.unique);
    std::sort(out.begin(), out.end());
    return out;
  };
  return indexes(a) == indexes(b);
}

bool SameDeclaration(const std::optional<TableDef>& a,
                     const std::optional<TableDef>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a.has_value() || SameDeclaration(*a, *b);
}

// A table is unchanged on a side if it is the base's table with the base's
// declaration, or absent in both.
bool Unchanged(const std::optional<TableDef>& base,
               const std::optional<TableDef>& side) {
  if (base.has_value() != side.has_value()) return false;
  return !base.has_value() ||
         (SameTable(*base, *side) && SameDeclaration(*base, *side));
}

// Keys in the order of their encoded form: the reference order of
// tests/engine/test_util.h (the keys here are INTEGER and TEXT only).
struct KeyLess {
  bool operator()(const Row& a, const Row& b) const {
    return test::ReferenceCompareRows(a, b) < 0;
  }
};
using RowMap = std::map<Row, Row, KeyLess>;  // primary key -> row

struct TableState {
  TableDef def;
  RowMap rows;
};
using State = std::map<std::string, TableState>;  // by folded name

// Every table and row the reader sees. Failures are added to the test.
State ReadState(const Reader& r) {
  State state;
  Result<std::vector<TableDef>> tables = r.ListTables();
  if (!tables.ok()) {
    ADD_FAILURE() << "ListTables: " << tables.status().ToString();
    return state;
  }
  for (const TableDef& def : *tables) {
    TableState& t = state[FoldName(def.name)];
    t.def = def;
    Result<Cursor> c = r.Scan(def.name);
    if (!c.ok()) {
      ADD_FAILURE() << "Scan " << def.name << ": " << c.status().ToString();
      continue;
    }
    while (c->Valid()) {
      Result<Row> key = c->key();
      if (!key.ok()) {
        ADD_FAILURE() << "key: " << key.status().ToString();
        break;
      }
      t.rows.emplace(std::move(*key), c->row());
      if (Status s = c->Next(); !s.ok()) {
        ADD_FAILURE() << "Next: " << s.ToString();
        break;
      }
    }
  }
  return state;
}

const TableState* FindTable(const State& s, const std::string& name) {
  auto it = s.find(name);
  return it == s.end() ? nullptr : &it->second;
}

std::optional<TableDef> DefOf(const TableState* t) {
  if (t == nullptr) return std::nullopt;
  return t->def;
}

std::optional<Row> RowAt(const RowMap& rows, const Row& key) {
  auto it = rows.find(key);
  if (it == rows.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ColumnNames(const TableDef& def) {
  std::vector<std::string> out;
  for (const ColumnDef& c : def.columns) out.push_back(c.name);
  return out;
}

std::vector<std::string> KeyColumnNames(const TableDef& def) {
  if (def.primary_key.empty()) return {"rowid"};
  std::vector<std::string> out;
  for (uint32_t id : def.primary_key) {
    const ColumnDef* c = def.FindColumnById(id);
    out.push_back(c != nullptr ? c->name : "?");
  }
  return out;
}

// A row of `from` read under `to` by column id; a column `from` lacks reads
// as its default (or NULL).
Row UnderSchema(const Row& row, const TableDef& from, const TableDef& to) {
  Row out;
  for (const ColumnDef& c : to.columns) {
    std::optional<Value> v;
    for (size_t i = 0; i < from.columns.size() && i < row.size(); ++i)
      if (from.columns[i].id == c.id) v = row[i];
    out.push_back(v ? *v : c.default_value.value_or(Value::Null()));
  }
  return out;
}

// Whether the side changed any row of the table (same schema as the base).
bool RowsChanged(const RowMap& base, const RowMap& side) {
  if (base.size() != side.size()) return true;
  for (auto b = base.begin(), s = side.begin(); b != base.end(); ++b, ++s) {
    if (test::ReferenceCompareRows(b->first, s->first) != 0) return true;
    if (!SameRow(b->second, s->second)) return true;
  }
  return false;
}

std::set<std::string> TableNames(const std::vector<const State*>& states) {
  std::set<std::string> names;
  for (const State* s : states)
    for (const auto& [name, t] : *s) names.insert(name);
  return names;
}

// -------------------------------------------------------- the reference

// The three-way comparison of one table whose schema `def` a and b share
// (the base's rows already read under it).
void ThreeWay(const std::string& table, const TableDef& def, const RowMap& base,
              const RowMap& a, const RowMap& b, bool cell_level,
              std::vector<DivergentRow>* out) {
  std::set<Row, KeyLess> keys;
  for (const RowMap* m : {&base, &a, &b})
    for (const auto& [key, row] : *m) keys.insert(key);
  for (const Row& key : keys) {
    std::optional<Row> rb = RowAt(base, key);
    std::optional<Row> ra = RowAt(a, key);
    std::optional<Row> rbb = RowAt(b, key);
    if (SameImage(ra, rb) || SameImage(rbb, rb) || SameImage(ra, rbb)) continue;
    DivergenceKind kind;
    if (!rb.has_value()) {
      kind = DivergenceKind::kInsertInsert;
    } else if (ra.has_value() && rbb.has_value()) {
      kind = DivergenceKind::kUpdateUpdate;
    } else if (ra.has_value()) {
      kind = DivergenceKind::kUpdateDelete;
    } else {
      kind = DivergenceKind::kDeleteUpdate;
    }
    if (cell_level && kind == DivergenceKind::kUpdateUpdate) {
      bool both = false;
      for (size_t i = 0; i < rb->size(); ++i) {
        const Value& vb = (*rb)[i];
        const Value& va = (*ra)[i];
        const Value& vbb = (*rbb)[i];
        if (!(va == vb) && !(vbb == vb) && !(va == vbb)) both = true;
      }
      if (!both) continue;
    }
    DivergentRow r;
    r.kind = kind;
    r.table = table;
    r.key_columns = KeyColumnNames(def);
    r.key = key;
    r.columns = ColumnNames(def);
    r.base = rb;
    r.a = ra;
    r.b = rbb;
    out->push_back(std::move(r));
  }
}

// The header's three-way rules, per table name, over whole states.
std::vector<DivergentRow> ReferenceDivergence(
    const State& base, const State& a, const State& b,
    const DivergenceOptions& options) {
  std::vector<DivergentRow> out;
  for (const std::string& name : TableNames({&base, &a, &b})) {
    if (!options.table.empty() && name != FoldName(options.table)) continue;
    const TableState* tb = FindTable(base, name);
    const TableState* ta = FindTable(a, name);
    const TableState* tbb = FindTable(b, name);
    const std::optional<TableDef> sb = DefOf(tb);
    const std::optional<TableDef> sa = DefOf(ta);
    const std::optional<TableDef> sbb = DefOf(tbb);
    auto schema_record = [&] {
      DivergentRow r;
      r.kind = DivergenceKind::kSchema;
      r.table = name;
      r.base_schema = sb;
      r.a_schema = sa;
      r.b_schema = sbb;
      out.push_back(std::move(r));
    };
    const bool a_same = Unchanged(sb, sa);
    const bool b_same = Unchanged(sb, sbb);
    if (a_same && b_same) {
      ThreeWay(name, ta->def, tb->rows, ta->rows, tbb->rows, options.cell_level,
               &out);
    } else if (!a_same && !b_same && SameDeclaration(sa, sbb)) {
      if (ta == nullptr) continue;  // dropped on both sides
      RowMap base_rows;
      if (tb != nullptr && SameTable(tb->def, ta->def) &&
          SameTable(tb->def, tbb->def)) {
        for (const auto& [key, row] : tb->rows)
          base_rows.emplace(key, UnderSchema(row, tb->def, ta->def));
      }
      ThreeWay(name, ta->def, base_rows, ta->rows, tbb->rows,
               options.cell_level, &out);
    } else if (a_same) {  // b alone changed the table
      if (ta != nullptr && RowsChanged(tb->rows, ta->rows)) schema_record();
    } else if (b_same) {  // a alone changed the table
      if (tbb != nullptr && RowsChanged(tb->rows, tbb->rows)) schema_record();
    } else {
      schema_record();
    }
  }
  return out;
}

// Every row whose current value differs between a and b.
std::vector<DiffRow> ReferenceDiff(const State& a, const State& b,
                                   const DiffOptions& options) {
  std::vector<DiffRow> out;
  for (const std::string& name : TableNames({&a, &b})) {
    if (!options.table.empty() && name != FoldName(options.table)) continue;
    const TableState* ta = FindTable(a, name);
    const TableState* tb = FindTable(b, name);
    std::set<Row, KeyLess> keys;
    for (const TableState* t : {ta, tb})
      if (t != nullptr)
        for (const auto& [key, row] : t->rows) keys.insert(key);
    const bool same_columns = ta != nullptr && tb != nullptr &&
                              ColumnNames(ta->def) == ColumnNames(tb->def);
    for (const Row& key : keys) {
      std::optional<Row> ra;
      std::optional<Row> rb;
      if (ta != nullptr) ra = RowAt(ta->rows, key);
      if (tb != nullptr) rb = RowAt(tb->rows, key);
      DiffRow r;
      if (ra && rb) {
        if (same_columns && SameRow(*ra, *rb)) continue;
        r.kind = DiffKind::kChanged;
      } else {
        r.kind = ra ? DiffKind::kRemoved : DiffKind::kAdded;
      }
      r.table = name;
      r.key_columns = KeyColumnNames(ra ? ta->def : tb->def);
      r.key = key;
      if (ta != nullptr) r.a_columns = ColumnNames(ta->def);
      if (tb != nullptr) r.b_columns = ColumnNames(tb->def);
      r.a = ra;
      r.b = rb;
      out.push_back(std::move(r));
    }
  }
  return out;
}

// ------------------------------------------------------------ rendering

template <typename Record>
std::vector<std::string> Texts(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const Record& r : records) out.push_back(RecordText(r));
  std::sort(out.begin(), out.end());
  return out;
}

// Empty if the engine's records equal the reference's as sets; else both
// differences, readably.
template <typename Record>
std::string SetMismatch(const std::vector<Record>& engine,
                        const std::vector<Record>& reference) {
  const std::vector<std::string> got = Texts(engine);
  const std::vector<std::string> want = Texts(reference);
  if (got == want) return "";
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                      std::back_inserter(unexpected));
  std::string out = std::to_string(got.size()) + " records, the reference " +
                    std::to_string(want.size()) + "\n";
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    out += std::string("  ") + what + " (" + std::to_string(v.size()) + "):\n";
    for (size_t i = 0; i < v.size() && i < 12; ++i) out += "    " + v[i] + "\n";
    if (v.size() > 12) out += "    ...\n";
  };
  list("missing (the reference has them, the engine not)", missing);
  list("unexpected (the engine has them, the reference not)", unexpected);
  return out;
}

// Empty if the stream is in the documented order: tables by folded name,
// then keys ascending.
template <typename Record>
std::string OrderProblem(const std::vector<Record>& records) {
  for (size_t i = 1; i < records.size(); ++i) {
    const std::string t0 = FoldName(records[i - 1].table);
    const std::string t1 = FoldName(records[i].table);
    const bool ordered =
        t0 < t1 || (t0 == t1 && test::ReferenceCompareRows(records[i - 1].key,
                                                           records[i].key) < 0);
    if (!ordered)
      return "out of order: " + RecordText(records[i - 1]) + " then " +
             RecordText(records[i]);
  }
  return "";
}

// ------------------------------------------------------------ histories

TableSpec SpecFor(const std::string& name) {
  if (name == "items") {
    return TableSpec{
        "items",
        {Col("id", Type::kInteger, true), Col("name", Type::kText),
         Col("qty", Type::kInteger), Col("price", Type::kReal),
         Col("flag", Type::kBoolean, true), Col("data", Type::kBlob)},
        {"id"}};
  }
  if (name == "pairs") {
    return TableSpec{
        "pairs",
        {Col("grp", Type::kText, true), Col("seq", Type::kInteger, true),
         Col("val", Type::kReal), Col("note", Type::kText, true),
         Col("on", Type::kBoolean)},
        {"grp", "seq"}};
  }
  if (name == "log") {
    return TableSpec{"log",
                     {Col("x", Type::kInteger, true), Col("y", Type::kText),
                      Col("z", Type::kBoolean), Col("w", Type::kBlob)},
                     {}};
  }
  return TableSpec{"extra",
                   {Col("k", Type::kInteger, true),
                    Col("v", Type::kText, false, Value::Text("dflt"))},
                   {"k"}};
}

constexpr std::array<const char*, 4> kCreatable = {"items", "pairs", "log",
                                                   "extra"};

// The random choices of one transaction; two forks given generators of one
// seed make the same changes wherever they read the same rows.
class Gen {
 public:
  Gen(uint64_t seed, bool schema_ops) : rng_(seed), schema_ops_(schema_ops) {}

  int U(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool OneIn(int n) { return U(0, n - 1) == 0; }

  std::string LongBytes() {
    const int n = U(4 << 10, 12 << 10);
    std::string s(static_cast<size_t>(n), 'x');
    const uint64_t x = rng_();
    for (int i = 0; i < n; ++i)
      s[static_cast<size_t>(i)] =
          static_cast<char>('a' + ((x >> (i % 59)) + i / 64) % 26);
    return s;
  }

  Value RandomValue(const ColumnDef& c) {
    if (!c.not_null && OneIn(8)) return Value::Null();
    static constexpr std::array<const char*, 6> kWords = {"",   "a",     "b",
                                                          "ab", "b\xff", "zz"};
    switch (c.type) {
      case Type::kInteger:
        return Value::Integer(OneIn(10) ? int64_t{1} << U(40, 62) : U(0, 4));
      case Type::kReal:
        return Value::Real(OneIn(12) ? -0.0 : U(0, 6) * 0.5);
      case Type::kText:
        return Value::Text(OneIn(30) ? LongBytes()
                                     : kWords[U(0, kWords.size() - 1)]);
      case Type::kBlob:
        return Value::Blob(OneIn(30) ? LongBytes()
                                     : kWords[U(0, kWords.size() - 1)]);
      case Type::kBoolean:
        return Value::Boolean(U(0, 1) == 1);
      case Type::kNull:
        break;
    }
    return Value::Null();
  }

  // Keys: a third of them from a few hot ones, so that both sides often
  // write the same rows.
  Value RandomKeyValue(const ColumnDef& c, bool composite, bool hot) {
    if (c.type == Type::kText)
      return Value::Text(
          std::string(1, static_cast<char>('a' + (hot ? 0 : U(0, 3)))));
    if (hot) return Value::Integer(composite ? U(0, 5) : U(40, 52));
    return Value::Integer(composite ? U(0, 49) : U(0, 359));
  }

  static bool IsKeyColumn(const TableDef& def, uint32_t id) {
    return std::count(def.primary_key.begin(), def.primary_key.end(), id) > 0;
  }

  Row RandomKey(const TableDef& def) {
    Row key;
    const bool hot = OneIn(3);
    for (uint32_t id : def.primary_key)
      key.push_back(RandomKeyValue(*def.FindColumnById(id),
                                   def.primary_key.size() > 1, hot));
    return key;
  }

  // A row with `key` in its key columns and random values elsewhere.
  Row RandomRow(const TableDef& def, const Row& key) {
    Row row;
    for (const ColumnDef& c : def.columns) {
      auto at = std::find(def.primary_key.begin(), def.primary_key.end(), c.id);
      row.push_back(at != def.primary_key.end()
                        ? key[static_cast<size_t>(at - def.primary_key.begin())]
                        : RandomValue(c));
    }
    return row;
  }

  // One or two non-key columns changed.
  Row Changed(const TableDef& def, Row row) {
    std::vector<size_t> free;
    for (size_t i = 0; i < def.columns.size(); ++i)
      if (!IsKeyColumn(def, def.columns[i].id)) free.push_back(i);
    if (free.empty()) return row;
    const int n = U(1, 2);
    for (int i = 0; i < n; ++i) {
      const size_t at = free[U(0, free.size() - 1)];
      row[at] = RandomValue(def.columns[at]);
    }
    return row;
  }

  Row WithKey(const TableDef& def, Row row, const Row& key) {
    for (size_t k = 0; k < def.primary_key.size(); ++k)
      for (size_t i = 0; i < def.columns.size(); ++i)
        if (def.columns[i].id == def.primary_key[k]) row[i] = key[k];
    return row;
  }

  // One row operation on `def`; errors (a unique index, say) are part of
  // the game and change nothing.
  void RowOp(Transaction& txn, const TableDef& def, std::string* log) {
    Row key;
    if (def.primary_key.empty()) {
      key = {Value::Integer(U(1, static_cast<int>(def.next_row_id)))};
    } else {
      key = RandomKey(def);
    }
    Result<std::optional<Row>> got = txn.Get(def.name, key);
    if (!got.ok()) return;
    const std::string where = def.name + RowText(key);
    if (!got->has_value()) {
      Row fresh =
          def.primary_key.empty() ? RandomRow(def, {}) : RandomRow(def, key);
      Result<Row> k = txn.Insert(def.name, fresh);
      *log += " ins " + (k.ok() ? def.name + RowText(*k) : where + "!");
      return;
    }
    const Row& old = **got;
    const int r = U(0, 9);
    if (r <= 5) {
      *log += " upd " + where;
      txn.Update(def.name, key, Changed(def, old)).IgnoreError();
    } else if (r == 6 && !def.primary_key.empty()) {
      const Row to = RandomKey(def);
      Result<std::optional<Row>> there = txn.Get(def.name, to);
      if (!there.ok() || there->has_value()) return;
      *log += " move " + where + "->" + RowText(to);
      txn.Update(def.name, key, WithKey(def, Changed(def, old), to))
          .IgnoreError();
    } else if (r <= 8) {
      *log += " del " + where;
      txn.Delete(def.name, key).IgnoreError();
    } else {
      *log += " del+ins " + where;
      // The same row or a changed one; a table without a key gives it a new
      // row id.
      const Row again = OneIn(2) ? old : Changed(def, old);
      txn.Delete(def.name, key).IgnoreError();
      txn.Insert(def.name, again).status().IgnoreError();
    }
  }

  void SchemaOp(Transaction& txn, const std::vector<TableDef>& tables,
                std::string* log) {
    const int r = U(0, 9);
    if (r == 0 || tables.empty()) {
      const std::string name = kCreatable[U(0, kCreatable.size() - 1)];
      if (txn.CreateTable(SpecFor(name)).ok()) *log += " create " + name;
      return;
    }
    const TableDef& def = tables[U(0, tables.size() - 1)];
    std::vector<const ColumnDef*> plain;
    for (const ColumnDef& c : def.columns)
      if (!IsKeyColumn(def, c.id)) plain.push_back(&c);
    switch (r) {
      case 1:
        if (txn.DropTable(def.name).ok()) *log += " drop " + def.name;
        break;
      case 2: {
        const std::string to =
            def.name.size() > 2 && def.name.substr(def.name.size() - 2) == "_r"
                ? def.name.substr(0, def.name.size() - 2)
                : def.name + "_r";
        if (txn.RenameTable(def.name, to).ok())
          *log += " rename " + def.name + "->" + to;
        break;
      }
      case 3:
      case 4: {
        static constexpr std::array<Type, 3> kTypes = {
            Type::kInteger, Type::kText, Type::kReal};
        ColumnDef c = Col("c" + std::to_string(U(1, 3)), kTypes[U(0, 2)]);
        if (OneIn(2)) c.default_value = RandomValue(c);
        if (c.default_value && c.default_value->is_null())
          c.default_value.reset();
        if (txn.AddColumn(def.name, c).ok())
          *log += " add " + def.name + "." + c.name;
        break;
      }
      case 5:
        if (!plain.empty()) {
          const std::string c = plain[U(0, plain.size() - 1)]->name;
          if (txn.DropColumn(def.name, c).ok())
            *log += " dropcol " + def.name + "." + c;
        }
        break;
      case 6: {
        const std::string from = def.columns[U(0, def.columns.size() - 1)].name;
        const std::string to = "r" + std::to_string(U(1, 3));
        if (txn.RenameColumn(def.name, from, to).ok())
          *log += " renamecol " + def.name + "." + from + "->" + to;
        break;
      }
      case 7:
      case 8: {
        std::vector<std::string> cols = {
            def.columns[U(0, def.columns.size() - 1)].name};
        if (OneIn(2))
          cols.push_back(def.columns[U(0, def.columns.size() - 1)].name);
        const std::string name = "ix" + std::to_string(U(1, 4));
        if (txn.CreateIndex(def.name, name, cols, OneIn(8)).ok())
          *log += " index " + name + " on " + def.name;
        break;
      }
      default:
        if (!def.indexes.empty()) {
          const std::string name =
              def.indexes[U(0, def.indexes.size() - 1)].name;
          if (txn.DropIndex(name).ok()) *log += " dropindex " + name;
        }
        break;
    }
  }

  // One transaction of 1-12 operations, committed.
  void Txn(Database& db, const std::string& fork, std::string* log) {
    Result<Transaction> txn = db.Begin(fork);
    if (!txn.ok()) {
      ADD_FAILURE() << "Begin " << fork << ": " << txn.status().ToString();
      return;
    }
    const int n = U(1, 12);
    for (int i = 0; i < n; ++i) {
      Result<std::vector<TableDef>> tables = txn->ListTables();
      if (!tables.ok()) break;
      if (schema_ops_ && OneIn(10)) {
        SchemaOp(*txn, *tables, log);
      } else if (!tables->empty()) {
        RowOp(*txn, (*tables)[U(0, tables->size() - 1)], log);
      }
    }
    if (Status s = txn->Commit(); !s.ok())
      ADD_FAILURE() << "Commit " << fork << ": " << s.ToString();
  }

 private:
  std::mt19937_64 rng_;
  bool schema_ops_;
};

// ------------------------------------------------------------ the run

// Totals over all seeds, to show what the histories covered.
struct Coverage {
  std::map<std::string, int64_t> counts;
  void Add(const std::string& what, int64_t n = 1) { counts[what] += n; }
};

class DivergenceRun {
 public:
  DivergenceRun(uint64_t seed, Coverage* coverage)
      : seed_(seed), rng_(seed), coverage_(coverage) {}

  // False if the seed failed (the failures were added to the test).
  bool Run();

 private:
  // A fork in the test's own tree.
  struct Node {
    std::string name;
    uint64_t id = 0;
    int parent = -1;
    uint64_t fork_point = 0;               // the parent's commit_seq
    std::shared_ptr<const Snapshot> base;  // the parent's state there
    bool dropped = false;
  };
  // A state held for later: a snapshot of a fork.
  struct Held {
    std::shared_ptr<const Snapshot> snap;
    int node = 0;
  };
  // One side of a comparison.
  struct Side {
    int node = 0;
    std::shared_ptr<const Snapshot> snap;  // the state compared
    bool by_name = true;                   // pass the fork's name
    std::string label;
  };
  struct Position {
    int node = 0;
    uint64_t seq = 0;
    const Snapshot* reader = nullptr;
  };

  int U(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool OneIn(int n) { return U(0, n - 1) == 0; }

  bool Setup();
  void Fork(int parent, std::shared_ptr<const Snapshot> at);
  std::vector<int> LiveNodes() const;
  std::shared_ptr<const Snapshot> Snap(int node);
  std::vector<Position> Chain(const Side& side) const;
  std::optional<Position> MergeBaseOf(const Side& a, const Side& b) const;
  std::pair<int, uint64_t> Canonical(int node, uint64_t seq) const;
  int NodeById(uint64_t id) const;
  void CompareSides(const Side& a, const Side& b);
  void Fail(const std::string& what);
  // ReadState(), once per snapshot.
  const State& StateOf(const Snapshot* snap) {
    auto it = states_.find(snap);
    if (it == states_.end()) it = states_.emplace(snap, ReadState(*snap)).first;
    return it->second;
  }

  uint64_t seed_;
  std::mt19937_64 rng_;
  Coverage* coverage_;
  Database db_;
  bool schema_ops_ = false;
  std::vector<Node> nodes_;
  std::vector<Held> held_;
  std::string history_;
  bool failed_ = false;
  std::map<const Snapshot*, State> states_;  // snapshots live as long
};

void DivergenceRun::Fail(const std::string& what) {
  failed_ = true;
  ADD_FAILURE() << "seed " << seed_ << " (FORKDB_TEST_SEED=" << seed_
                << " replays): " << what << "\nhistory:" << history_;
}

std::shared_ptr<const Snapshot> DivergenceRun::Snap(int node) {
  Result<Snapshot> snap = db_.GetSnapshot(nodes_[node].name);
  if (!snap.ok()) {
    Fail("GetSnapshot " + nodes_[node].name + ": " + snap.status().ToString());
    return nullptr;
  }
  return std::make_shared<const Snapshot>(std::move(*snap));
}

std::vector<int> DivergenceRun::LiveNodes() const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (!nodes_[i].dropped) out.push_back(static_cast<int>(i));
  return out;
}

int DivergenceRun::NodeById(uint64_t id) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].id == id) return static_cast<int>(i);
  return -1;
}

// Forks `parent` at the snapshot `at` (taken of the parent): the snapshot is
// then exactly the fork point and the new fork's base.
void DivergenceRun::Fork(int parent, std::shared_ptr<const Snapshot> at) {
  Node node;
  node.name = "f" + std::to_string(nodes_.size());
  node.parent = parent;
  node.fork_point = at->commit_seq();
  node.base = at;
  Result<ForkInfo> info = db_.CreateFork(node.name, *at);
  if (!info.ok()) {
    Fail("CreateFork " + node.name + ": " + info.status().ToString());
    return;
  }
  if (info->fork_point != node.fork_point ||
      info->parent_id != nodes_[parent].id) {
    Fail("CreateFork " + node.name + " recorded parent " +
         std::to_string(info->parent_id) + " at " +
         std::to_string(info->fork_point));
  }
  node.id = info->id;
  history_ += "\n  fork " + node.name + " <- " + nodes_[parent].name + "@" +
              std::to_string(node.fork_point);
  nodes_.push_back(std::move(node));
}

bool DivergenceRun::Setup() {
  Result<Database> db = Database::Open();
  if (!db.ok()) {
    Fail("Open: " + db.status().ToString());
    return false;
  }
  db_ = std::move(*db);
  Result<ForkInfo> main = db_.GetFork(kMainFork);
  if (!main.ok()) {
    Fail("GetFork main: " + main.status().ToString());
    return false;
  }
  Node root;
  root.name = std::string(kMainFork);
  root.id = main->id;
  nodes_.push_back(std::move(root));

  // The seed rows: one table spans several leaves in most seeds.
  Result<Transaction> txn = db_.Begin(kMainFork);
  if (!txn.ok()) {
    Fail("Begin: " + txn.status().ToString());
    return false;
  }
  Gen gen(rng_(), false);
  const std::array<int, 3> rows = {OneIn(2) ? U(10, 60) : U(200, 300),
                                   U(20, 150), U(5, 60)};
  history_ = "\n  main: items " + std::to_string(rows[0]) + " rows, pairs " +
             std::to_string(rows[1]) + ", log " + std::to_string(rows[2]);
  for (size_t t = 0; t < 3; ++t) {
    Result<TableDef> def = txn->CreateTable(SpecFor(kCreatable[t]));
    if (!def.ok()) {
      Fail("CreateTable: " + def.status().ToString());
      return false;
    }
    for (int i = 0; i < rows[t]; ++i) {
      Row key = def->primary_key.empty() ? Row{} : gen.RandomKey(*def);
      if (!def->primary_key.empty() && t == 0) key = {Value::Integer(i + 40)};
      txn->Insert(def->name, gen.RandomRow(*def, key)).status().IgnoreError();
    }
  }
  if (Status s = txn->Commit(); !s.ok()) {
    Fail("Commit: " + s.ToString());
    return false;
  }
  return true;
}

// The side's ancestry: itself, then each ancestor at the fork point its
// line was made at, with a snapshot of that state.
std::vector<DivergenceRun::Position> DivergenceRun::Chain(
    const Side& side) const {
  std::vector<Position> out;
  out.push_back({side.node, side.snap->commit_seq(), side.snap.get()});
  for (int n = side.node; nodes_[n].parent >= 0; n = nodes_[n].parent)
    out.push_back(
        {nodes_[n].parent, nodes_[n].fork_point, nodes_[n].base.get()});
  return out;
}

// The common ancestor (SQL.md): the lowest fork both lines pass through, at
// the earlier of the two states they pass it at.
std::optional<DivergenceRun::Position> DivergenceRun::MergeBaseOf(
    const Side& a, const Side& b) const {
  const std::vector<Position> ca = Chain(a);
  const std::vector<Position> cb = Chain(b);
  for (const Position& pa : ca)
    for (const Position& pb : cb)
      if (pa.node == pb.node) return pa.seq <= pb.seq ? pa : pb;
  return std::nullopt;
}

// A fork before its first commit is its parent at the fork point.
std::pair<int, uint64_t> DivergenceRun::Canonical(int node,
                                                  uint64_t seq) const {
  while (seq == 0 && nodes_[node].parent >= 0) {
    seq = nodes_[node].fork_point;
    node = nodes_[node].parent;
  }
  return {node, seq};
}

void DivergenceRun::CompareSides(const Side& a, const Side& b) {
  const std::string what = "Divergence(" + a.label + ", " + b.label + ")";
  const CompareSide ca =
      a.by_name ? CompareSide(nodes_[a.node].name) : CompareSide(*a.snap);
  const CompareSide cb =
      b.by_name ? CompareSide(nodes_[b.node].name) : CompareSide(*b.snap);
  const std::optional<Position> base = MergeBaseOf(a, b);
  if (!base) {
    Fail(what + ": the test's tree has no common ancestor");
    return;
  }

  // 1. The merge base.
  Result<MergeBase> mb = db_.FindMergeBase(ca, cb);
  if (!mb.ok()) {
    Fail(what + ": FindMergeBase: " + mb.status().ToString());
    return;
  }
  const int mb_node = NodeById(mb->fork_id);
  if (mb_node < 0) {
    Fail(what + ": FindMergeBase names unknown fork id " +
         std::to_string(mb->fork_id));
    return;
  }
  const std::string want_name =
      nodes_[mb_node].dropped ? "" : nodes_[mb_node].name;
  if (mb->fork != want_name ||
      Canonical(mb_node, mb->commit_seq) != Canonical(base->node, base->seq)) {
    Fail(what + ": FindMergeBase gave " + mb->fork + " (id " +
         std::to_string(mb->fork_id) + ") @" + std::to_string(mb->commit_seq) +
         ", the tree says " + nodes_[base->node].name + "@" +
         std::to_string(base->seq));
    return;
  }

  const State& sbase = StateOf(base->reader);
  const State& sa = StateOf(a.snap.get());
  const State& sb = StateOf(b.snap.get());

  // A table filter now and then, on a table that a or b has.
  std::vector<std::string> filters = {""};
  if (OneIn(3)) {
    const std::set<std::string> names = TableNames({&sa, &sb});
    if (!names.empty()) {
      auto it = names.begin();
      std::advance(it, U(0, static_cast<int>(names.size()) - 1));
      filters.push_back(*it);
    }
  }

  for (const std::string& table : filters) {
    const std::string label =
        what + (table.empty() ? "" : " FOR TABLE " + table);
    // 2. Divergence, both granularities.
    for (bool cell_level : {false, true}) {
      const DivergenceOptions options{table, cell_level};
      std::vector<DivergentRow> got;
      Status s = db_.Divergence(ca, cb, options, [&](const DivergentRow& r) {
        got.push_back(r);
        return true;
      });
      if (!s.ok()) {
        Fail(label + ": " + s.ToString());
        return;
      }
      const std::vector<DivergentRow> want =
          ReferenceDivergence(sbase, sa, sb, options);
      const std::string l = label + (cell_level ? " AT CELL LEVEL" : "") +
                            ", merge base " + nodes_[base->node].name + "@" +
                            std::to_string(base->seq);
      if (std::string m = SetMismatch(got, want); !m.empty()) {
        Fail(l + ": " + m);
        return;
      }
      if (std::string m = OrderProblem(got); !m.empty()) {
        Fail(l + ": " + m);
        return;
      }
      for (const DivergentRow& r : want)
        coverage_->Add(std::string(cell_level ? "cell " : "row ") +
                       std::string(DivergenceKindName(r.kind)));
    }
    // 3. Diff.
    std::vector<DiffRow> got;
    Status s = db_.Diff(ca, cb, DiffOptions{table}, [&](const DiffRow& r) {
      got.push_back(r);
      return true;
    });
    if (!s.ok()) {
      Fail("Diff of " + label + ": " + s.ToString());
      return;
    }
    const std::vector<DiffRow> want = ReferenceDiff(sa, sb, DiffOptions{table});
    if (std::string m = SetMismatch(got, want); !m.empty()) {
      Fail("Diff of " + label + ": " + m);
      return;
    }
    if (std::string m = OrderProblem(got); !m.empty()) {
      Fail("Diff of " + label + ": " + m);
      return;
    }
    for (const DiffRow& r : got) {
      std::vector<std::vector<std::string>> names;
      for (const State* st : {&sa, &sb})
        if (const TableState* t = FindTable(*st, FoldName(r.table)))
          names.push_back(KeyColumnNames(t->def));
      if (std::find(names.begin(), names.end(), r.key_columns) == names.end()) {
        Fail("Diff of " + label + ": " + RecordText(r) + " names its key " +
             NamesText(r.key_columns) + ", which neither side's table does");
        return;
      }
    }
    for (const DiffRow& r : want)
      coverage_->Add(std::string("diff ") + std::string(DiffKindName(r.kind)));
  }

  // 4. DivergentPages.
  std::vector<DivergentPage> pages;
  Status s = db_.DivergentPages(ca, cb, [&](const DivergentPage& p) {
    pages.push_back(p);
    return true;
  });
  if (!s.ok()) {
    Fail("DivergentPages " + what + ": " + s.ToString());
    return;
  }
  coverage_->Add("pages", static_cast<int64_t>(pages.size()));
  const std::set<std::string> all = TableNames({&sbase, &sa, &sb});
  for (size_t i = 0; i < pages.size(); ++i) {
    if (i > 0 && pages[i].page <= pages[i - 1].page) {
      Fail("DivergentPages " + what + ": page " +
           std::to_string(pages[i].page) + " after " +
           std::to_string(pages[i - 1].page));
      return;
    }
    if (!pages[i].table.empty() && all.count(FoldName(pages[i].table)) == 0) {
      Fail("DivergentPages " + what + ": page " +
           std::to_string(pages[i].page) + " names table " + pages[i].table +
           " that no state has");
      return;
    }
  }
  const auto base_at = Canonical(base->node, base->seq);
  for (const Side* side : {&a, &b}) {
    if (Canonical(side->node, side->snap->commit_seq()) == base_at &&
        !pages.empty()) {
      Fail("DivergentPages " + what + ": " + side->label +
           " is the merge base, yet page " + std::to_string(pages[0].page) +
           " (" + pages[0].base + " / " + pages[0].a + " / " + pages[0].b +
           ") is reported");
      return;
    }
  }
  // A row changed on both sides (even alike) means its leaf was written on
  // both sides.
  for (const auto& [name, ta] : sa) {
    const TableState* tb = FindTable(sbase, name);
    const TableState* tbb = FindTable(sb, name);
    if (tb == nullptr || tbb == nullptr) continue;
    if (!Unchanged(tb->def, ta.def) || !Unchanged(tb->def, tbb->def)) continue;
    std::optional<Row> both;
    for (const auto& [key, row] : ta.rows) {
      std::optional<Row> rb = RowAt(tb->rows, key);
      std::optional<Row> rbb = RowAt(tbb->rows, key);
      if (rbb && !SameImage(row, rb) && !SameImage(rbb, rb)) {
        both = key;
        break;
      }
    }
    if (!both) continue;
    coverage_->Add("pages check: a row changed on both sides");
    const bool named = std::any_of(
        pages.begin(), pages.end(),
        [&](const DivergentPage& p) { return FoldName(p.table) == name; });
    if (!named) {
      Fail("DivergentPages " + what + ": both sides changed " + name +
           RowText(*both) + ", yet no page names " + name);
      return;
    }
  }
}

bool DivergenceRun::Run() {
  if (!Setup()) return false;
  schema_ops_ = OneIn(2);
  coverage_->Add(schema_ops_ ? "seeds with schema changes"
                             : "seeds without schema changes");

  Fork(0, Snap(0));
  const int steps = U(4, 14);
  for (int step = 0; step < steps && !failed_; ++step) {
    const std::vector<int> live = LiveNodes();
    const int p = U(0, 99);
    const int pick = live[U(0, live.size() - 1)];
    if (p < 20 && nodes_.size() < 6) {
      if (std::shared_ptr<const Snapshot> at = Snap(pick)) Fork(pick, at);
    } else if (p < 27 && !held_.empty() && nodes_.size() < 6) {
      const Held& h = held_[U(0, held_.size() - 1)];
      coverage_->Add("forks of older snapshots");
      Fork(h.node, h.snap);
    } else if (p < 35) {
      if (std::shared_ptr<const Snapshot> s = Snap(pick)) {
        if (held_.size() >= 4) held_.erase(held_.begin() + U(0, 3));
        held_.push_back({s, pick});
        history_ += "\n  snapshot s" + std::to_string(held_.size() - 1) +
                    " of " + nodes_[pick].name + "@" +
                    std::to_string(s->commit_seq());
      }
    } else if (p < 50 && live.size() >= 2) {
      const size_t at =
          std::find(live.begin(), live.end(), pick) - live.begin();
      const int other = live[(at + U(1, live.size() - 1)) % live.size()];
      const uint64_t seed = rng_();
      coverage_->Add("identical transactions");
      for (int n : {pick, other}) {
        history_ += "\n  " + nodes_[n].name + " (alike):";
        Gen(seed, schema_ops_).Txn(db_, nodes_[n].name, &history_);
      }
    } else {
      history_ += "\n  " + nodes_[pick].name + ":";
      Gen(rng_(), schema_ops_).Txn(db_, nodes_[pick].name, &history_);
    }
  }
  if (failed_) return false;

  // Main goes now and then: its children keep their bases.
  if (OneIn(10)) {
    bool has_child = false;
    for (const Node& n : nodes_) has_child = has_child || n.parent == 0;
    if (has_child) {
      if (Status s = db_.DropFork(kMainFork); !s.ok()) {
        Fail("DropFork main: " + s.ToString());
        return false;
      }
      nodes_[0].dropped = true;
      history_ += "\n  drop main";
      coverage_->Add("main dropped");
    }
  }

  // The sides: every live fork's current state, and the held snapshots of
  // live forks.
  std::vector<Side> sides;
  for (int n : LiveNodes()) {
    Side side;
    side.node = n;
    side.snap = Snap(n);
    if (side.snap == nullptr) return false;
    side.by_name = !OneIn(4);
    side.label = nodes_[n].name + (side.by_name ? "" : "(snapshot)") + "@" +
                 std::to_string(side.snap->commit_seq());
    sides.push_back(std::move(side));
  }
  for (size_t i = 0; i < held_.size(); ++i) {
    if (nodes_[held_[i].node].dropped) continue;
    Side side;
    side.node = held_[i].node;
    side.snap = held_[i].snap;
    side.by_name = false;
    side.label = "s" + std::to_string(i) + "(" + nodes_[side.node].name + "@" +
                 std::to_string(side.snap->commit_seq()) + ")";
    sides.push_back(std::move(side));
  }
  const int comparisons = 3;
  for (int c = 0; c < comparisons && !failed_; ++c) {
    const Side& a = sides[U(0, sides.size() - 1)];
    const Side& b = sides[U(0, sides.size() - 1)];
    CompareSides(a, b);
    coverage_->Add("comparisons");
  }
  return !failed_;
}

TEST(DivergenceModelTest, MatchesTheReferenceOnRandomHistories) {
  std::vector<uint64_t> seeds;
  if (const char* env = std::getenv("FORKDB_TEST_SEED")) {
    seeds.push_back(std::strtoull(env, nullptr, 10));
    std::cout << "replaying seed " << seeds[0] << "\n";
  } else {
    const uint64_t base =
        std::random_device()() ^ (uint64_t{std::random_device()()} << 32);
    std::cout << "seeds " << base << " .. " << base + test::Scaled(kSeeds) - 1
              << " (FORKDB_TEST_SEED=<seed> replays one)\n";
    ::testing::Test::RecordProperty("seed", std::to_string(base));
    for (int i = 0; i < test::Scaled(kSeeds); ++i) seeds.push_back(base + i);
  }
  Coverage coverage;
  int failed = 0;
  size_t ran = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t seed : seeds) {
    ++ran;
    const int failures_before = ::testing::UnitTest::GetInstance()
                                    ->current_test_info()
                                    ->result()
                                    ->total_part_count();
    const bool ok = DivergenceRun(seed, &coverage).Run();
    const bool reported = ::testing::UnitTest::GetInstance()
                              ->current_test_info()
                              ->result()
                              ->total_part_count() != failures_before;
    if (ok && !reported) continue;
    // Failures outside DivergenceRun::Fail() do not name the seed.
    if (ok) ADD_FAILURE() << "the failures above came from seed " << seed;
    if (++failed >= kMaxFailedSeeds) {
      std::cout << "stopping after " << failed << " failed seeds\n";
      break;
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::cout << ran << " seeds in " << ms << " ms; coverage:\n";
  for (const auto& [what, n] : coverage.counts)
    std::cout << "  " << what << ": " << n << "\n";
}

}  // namespace
}  // namespace forkdb::engine
