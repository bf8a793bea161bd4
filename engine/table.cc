#include "engine/table.h"

#include <algorithm>
#include <cassert>
#include <set>
#include <utility>

#include "engine/key_codec.h"
#include "engine/row_codec.h"
#include "engine/savepoint.h"

namespace forkdb::engine {
namespace {

std::string RowText(std::span<const Value> row) {
  std::string out = "(";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ", ";
    out += row[i].ToString();
  }
  return out + ")";
}

std::string HexKey(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 0xf]);
  }
  return out;
}

// Whether the value may be stored in a column of `type` as it is (after
// Table::Normalize).
[[maybe_unused]] bool HasColumnType(const Value& v, Type type) {
  return v.is_null() || v.type() == type;
}

}  // namespace

Table::Table(PageReader* reader, PageWriter* writer, cow::Transaction* txn,
             Catalog* catalog, TableDef def)
    : reader_(reader),
      writer_(writer),
      txn_(txn),
      catalog_(catalog),
      def_(std::move(def)) {
  column_ids_.reserve(def_.columns.size());
  for (const ColumnDef& c : def_.columns) column_ids_.push_back(c.id);
}

Result<Table> Table::Open(PageWriter* pages, cow::Transaction* txn,
                          Catalog* catalog, TableDef def) {
  assert(pages != nullptr);
  assert(txn != nullptr);
  assert(catalog != nullptr);
  if (!def.IsWellFormed())
    return Status::InvalidArgument("table ", def.name, ": malformed TableDef");
  return Table(pages, pages, txn, catalog, std::move(def));
}

Result<Table> Table::Open(PageReader* pages, TableDef def) {
  assert(pages != nullptr);
  if (!def.IsWellFormed())
    return Status::InvalidArgument("table ", def.name, ": malformed TableDef");
  return Table(pages, nullptr, nullptr, nullptr, std::move(def));
}

template <typename Fn>
Status Table::Atomically(Fn&& fn) {
  FORKDB_RETURN_IF_ERROR(RequireWritable());
  return InSavepoint(txn_, std::forward<Fn>(fn));
}

Status Table::RequireWritable() const {
  if (writer_ == nullptr)
    return Status::InvalidArgument("table ", def_.name, " is read-only");
  return Status();
}

size_t Table::Position(uint32_t column_id) const {
  for (size_t i = 0; i < column_ids_.size(); ++i)
    if (column_ids_[i] == column_id) return i;
  assert(false && "column id not in table");
  return 0;
}

Result<Row> Table::Normalize(const Row& row) const {
  if (row.size() != def_.columns.size())
    return Status::InvalidArgument("table ", def_.name, ": row has ",
                                   row.size(), " values, table has ",
                                   def_.columns.size(), " columns");
  Row out;
  out.reserve(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    const ColumnDef& c = def_.columns[i];
    const Value& v = row[i];
    if (v.is_null()) {
      if (c.not_null)
        return Status::InvalidArgument("table ", def_.name, " column ", c.name,
                                       ": NULL in a NOT NULL column");
      out.push_back(v);
    } else if (v.type() == c.type) {
      out.push_back(v);
    } else if (c.type == Type::kReal && v.type() == Type::kInteger) {
      out.push_back(Value::Real(static_cast<double>(v.integer())));
    } else if (c.type == Type::kBoolean && v.type() == Type::kInteger &&
               (v.integer() == 0 || v.integer() == 1)) {
      out.push_back(Value::Boolean(v.integer() == 1));
    } else {
      return Status::InvalidArgument("table ", def_.name, " column ", c.name,
                                     ": expected ", TypeName(c.type), ", got ",
                                     TypeName(v.type()), " ", v.ToString());
    }
    assert(HasColumnType(out.back(), c.type));
  }
  return out;
}

Status Table::CheckKeyArity(std::span<const Value> key) const {
  const size_t want = has_hidden_row_id() ? 1 : def_.primary_key.size();
  if (key.size() != want)
    return Status::InvalidArgument("table ", def_.name, ": key has ",
                                   key.size(), " values, expected ", want);
  return Status();
}

Row Table::PrimaryKeyOf(const Row& row) const {
  assert(!has_hidden_row_id());
  Row pk;
  pk.reserve(def_.primary_key.size());
  for (uint32_t id : def_.primary_key) pk.push_back(row[Position(id)]);
  return pk;
}

std::vector<Type> Table::KeyTypes() const {
  if (has_hidden_row_id()) return {Type::kInteger};
  std::vector<Type> types;
  for (uint32_t id : def_.primary_key)
    types.push_back(def_.columns[Position(id)].type);
  return types;
}

Result<Row> Table::DecodeKeyValues(std::string_view key) const {
  const std::vector<Type> types = KeyTypes();
  return DecodeKey(key, types);
}

std::string Table::EncodeStoredRow(const Row& row) const {
  assert(row.size() == column_ids_.size());
  std::vector<ColumnValue> fields;
  fields.reserve(row.size());
  for (size_t i = 0; i < row.size(); ++i)
    fields.push_back(ColumnValue{column_ids_[i], row[i]});
  return EncodeRow(fields);
}

Result<Row> Table::DecodeStoredRow(std::string_view key,
                                   std::string_view bytes) const {
  auto decoded = DecodeRowColumns(bytes, column_ids_);
  if (!decoded.ok())
    return Status::Corruption("table ", def_.name, " key ", HexKey(key), ": ",
                              decoded.status().ToString());
  Row row;
  row.reserve(column_ids_.size());
  for (size_t i = 0; i < column_ids_.size(); ++i) {
    std::optional<Value>& v = (*decoded)[i];
    if (v.has_value()) {
      row.push_back(std::move(*v));
    } else if (def_.columns[i].default_value.has_value()) {
      row.push_back(*def_.columns[i].default_value);
    } else {
      row.push_back(Value::Null());
    }
  }
  assert(row.size() == def_.columns.size());
  return row;
}

std::string Table::IndexKey(const IndexDef& index, const Row& row,
                            std::span<const Value> pk) const {
  std::string key;
  for (uint32_t id : index.columns) AppendKeyValue(&key, row[Position(id)]);
  for (const Value& v : pk) AppendKeyValue(&key, v);
  return key;
}

Status Table::AddIndexEntry(const IndexDef& index, const Row& row,
                            std::span<const Value> pk) {
  BTree tree(writer_, index.root);
  if (index.unique) {
    std::string prefix;
    bool has_null = false;
    Row values;
    for (uint32_t id : index.columns) {
      const Value& v = row[Position(id)];
      has_null = has_null || v.is_null();
      AppendKeyValue(&prefix, v);
      values.push_back(v);
    }
    if (!has_null) {
      // Value encodings are self-delimiting, so a key that starts with the
      // prefix has exactly these index values.
      auto cursor = tree.NewCursor();
      FORKDB_RETURN_IF_ERROR(cursor->Seek(prefix));
      if (cursor->Valid() && cursor->key().starts_with(prefix))
        return Status::InvalidArgument("table ", def_.name, ": unique index ",
                                       index.name, ": duplicate value ",
                                       RowText(values));
    }
  }
  return tree.Insert(IndexKey(index, row, pk), "");
}

Status Table::AddIndexEntries(std::span<const IndexDef> indexes, const Row& row,
                              std::span<const Value> pk) {
  for (const IndexDef& index : indexes)
    FORKDB_RETURN_IF_ERROR(AddIndexEntry(index, row, pk));
  return Status();
}

Status Table::RemoveIndexEntries(const Row& row, std::span<const Value> pk) {
  for (const IndexDef& index : def_.indexes) {
    Status s = BTree(writer_, index.root).Delete(IndexKey(index, row, pk));
    if (s.IsNotFound())
      return Status::Corruption("table ", def_.name, " index ", index.name,
                                ": no entry for row ", RowText(pk));
    FORKDB_RETURN_IF_ERROR(s);
  }
  return Status();
}

Status Table::InsertAt(const Row& row, std::span<const Value> pk) {
  BTree tree(writer_, def_.root);
  FORKDB_ASSIGN_OR_RETURN(
      bool added, tree.InsertIfAbsent(EncodeKey(pk), EncodeStoredRow(row)));
  if (!added)
    return Status::InvalidArgument("table ", def_.name,
                                   ": duplicate primary key ", RowText(pk));
  return AddIndexEntries(def_.indexes, row, pk);
}

Status Table::RemoveAt(std::span<const Value> pk, const Row& old_row) {
  FORKDB_RETURN_IF_ERROR(BTree(writer_, def_.root).Delete(EncodeKey(pk)));
  return RemoveIndexEntries(old_row, pk);
}

Result<Row> Table::Insert(const Row& row, Row* stored) {
  FORKDB_RETURN_IF_ERROR(RequireWritable());
  FORKDB_ASSIGN_OR_RETURN(Row normalized, Normalize(row));
  Row pk;
  Status s = Atomically([&]() -> Status {
    if (has_hidden_row_id()) {
      // The catalog is the counter's only home: a rolled-back savepoint or
      // transaction takes the counter back with the rows.
      FORKDB_ASSIGN_OR_RETURN(TableDef current, catalog_->GetTable(def_.name));
      const uint64_t id = current.next_row_id;
      if (id > static_cast<uint64_t>(INT64_MAX))
        return Status::InvalidArgument("table ", def_.name,
                                       ": hidden row ids exhausted");
      FORKDB_RETURN_IF_ERROR(catalog_->SetNextRowId(def_.name, id + 1));
      pk = {Value::Integer(static_cast<int64_t>(id))};
    } else {
      pk = PrimaryKeyOf(normalized);
    }
    return InsertAt(normalized, pk);
  });
  if (!s.ok()) return s;
  if (stored != nullptr) *stored = std::move(normalized);
  return pk;
}

Result<std::optional<Row>> Table::Get(std::span<const Value> key) const {
  FORKDB_RETURN_IF_ERROR(CheckKeyArity(key));
  const std::string k = EncodeKey(key);
  Result<std::string> bytes = BTree(reader_, def_.root).Get(k);
  if (bytes.status().IsNotFound()) return std::optional<Row>();
  if (!bytes.ok()) return bytes.status();
  FORKDB_ASSIGN_OR_RETURN(Row row, DecodeStoredRow(k, *bytes));
  return std::optional<Row>(std::move(row));
}

Status Table::Update(std::span<const Value> key, const Row& row, Row* before,
                     Row* after) {
  FORKDB_RETURN_IF_ERROR(RequireWritable());
  FORKDB_RETURN_IF_ERROR(CheckKeyArity(key));
  FORKDB_ASSIGN_OR_RETURN(Row normalized, Normalize(row));
  FORKDB_ASSIGN_OR_RETURN(std::optional<Row> old_row, Get(key));
  if (!old_row.has_value())
    return Status::NotFound("table ", def_.name, ": no row with key ",
                            RowText(key));
  const Row old_pk(key.begin(), key.end());
  const Row new_pk = has_hidden_row_id() ? old_pk : PrimaryKeyOf(normalized);
  FORKDB_RETURN_IF_ERROR(Atomically([&]() -> Status {
    if (new_pk != old_pk) {
      // A key change is a delete plus an insert. Removing the old row first
      // means its own index entries never count as conflicts.
      FORKDB_RETURN_IF_ERROR(RemoveAt(old_pk, *old_row));
      return InsertAt(normalized, new_pk);
    }
    // Same key: the row is rewritten where it is, and only the index entries
    // whose values changed move (the old one first, as above).
    FORKDB_RETURN_IF_ERROR(
        BTree(writer_, def_.root)
            .Update(EncodeKey(old_pk), EncodeStoredRow(normalized)));
    for (const IndexDef& index : def_.indexes) {
      const std::string old_key = IndexKey(index, *old_row, old_pk);
      if (old_key == IndexKey(index, normalized, old_pk)) continue;
      FORKDB_RETURN_IF_ERROR(BTree(writer_, index.root).Delete(old_key));
      FORKDB_RETURN_IF_ERROR(AddIndexEntry(index, normalized, old_pk));
    }
    return Status();
  }));
  if (before != nullptr) *before = std::move(*old_row);
  if (after != nullptr) *after = std::move(normalized);
  return Status();
}

Status Table::Delete(std::span<const Value> key, Row* before) {
  FORKDB_RETURN_IF_ERROR(RequireWritable());
  FORKDB_ASSIGN_OR_RETURN(std::optional<Row> old_row, Get(key));
  if (!old_row.has_value())
    return Status::NotFound("table ", def_.name, ": no row with key ",
                            RowText(key));
  FORKDB_RETURN_IF_ERROR(
      Atomically([&]() -> Status { return RemoveAt(key, *old_row); }));
  if (before != nullptr) *before = std::move(*old_row);
  return Status();
}

Result<std::unique_ptr<TableCursor>> Table::Scan(
    const std::optional<Row>& lo, const std::optional<Row>& hi,
    ScanDirection direction) const {
  std::optional<std::string> lo_key, hi_key;
  if (lo.has_value()) lo_key = EncodeKey(*lo);
  if (hi.has_value()) hi_key = EncodeKey(*hi);
  std::unique_ptr<TableCursor> cursor(
      new TableCursor(this, BTree(reader_, def_.root).NewCursor(),
                      std::move(lo_key), std::move(hi_key), direction));
  FORKDB_RETURN_IF_ERROR(cursor->Start());
  return cursor;
}

Status TableCursor::Start() {
  if (direction_ == ScanDirection::kForward) {
    if (lo_.has_value()) {
      FORKDB_RETURN_IF_ERROR(cursor_->Seek(*lo_));
    } else {
      FORKDB_RETURN_IF_ERROR(cursor_->SeekToFirst());
    }
  } else if (hi_.has_value()) {
    FORKDB_RETURN_IF_ERROR(cursor_->SeekForPrev(*hi_));
    if (cursor_->Valid() && cursor_->key() == *hi_)
      FORKDB_RETURN_IF_ERROR(cursor_->Prev());
  } else {
    FORKDB_RETURN_IF_ERROR(cursor_->SeekToLast());
  }
  return Load();
}

Status TableCursor::Load() {
  valid_ = false;
  if (!cursor_->Valid()) return Status();
  const std::string_view k = cursor_->key();
  if (lo_.has_value() && k < std::string_view(*lo_)) return Status();
  if (hi_.has_value() && k >= std::string_view(*hi_)) return Status();
  key_.assign(k);
  FORKDB_ASSIGN_OR_RETURN(std::string bytes, cursor_->value());
  FORKDB_ASSIGN_OR_RETURN(row_, table_->DecodeStoredRow(key_, bytes));
  valid_ = true;
  return Status();
}

Status TableCursor::Next() {
  assert(valid_);
  if (direction_ == ScanDirection::kForward) {
    FORKDB_RETURN_IF_ERROR(cursor_->Next());
  } else {
    FORKDB_RETURN_IF_ERROR(cursor_->Prev());
  }
  return Load();
}

Result<std::vector<Row>> Table::IndexScanKeys(
    std::string_view index, std::span<const Value> prefix) const {
  return IndexRangeKeys(index, prefix, nullptr, nullptr, false);
}

Result<std::vector<Row>> Table::IndexRangeKeys(std::string_view index,
                                               std::span<const Value> prefix,
                                               const Value* lo, const Value* hi,
                                               bool hi_inclusive) const {
  const IndexDef* def = def_.FindIndex(index);
  if (def == nullptr)
    return Status::NotFound("table ", def_.name, ": no index ", index);
  const size_t bounded = prefix.size() + (lo != nullptr || hi != nullptr);
  if (bounded > def->columns.size())
    return Status::InvalidArgument("index ", def->name, ": prefix of ",
                                   prefix.size(), " values, index has ",
                                   def->columns.size(), " columns");
  std::vector<Type> types;
  for (uint32_t id : def->columns)
    types.push_back(def_.columns[Position(id)].type);
  const size_t index_columns = types.size();
  for (Type t : KeyTypes()) types.push_back(t);
  const std::string p = EncodeKey(prefix);
  std::string start = p;
  if (lo != nullptr) AppendKeyValue(&start, *lo);
  std::vector<Row> keys;
  auto cursor = BTree(reader_, def->root).NewCursor();
  FORKDB_RETURN_IF_ERROR(cursor->Seek(start));
  while (cursor->Valid() && cursor->key().starts_with(p)) {
    auto values = DecodeKey(cursor->key(), types);
    if (!values.ok())
      return Status::Corruption("table ", def_.name, " index ", def->name,
                                " key ", HexKey(cursor->key()), ": ",
                                values.status().ToString());
    if (hi != nullptr) {
      // Entries are in index order: past the bound, none can qualify.
      const int c = Compare((*values)[prefix.size()], *hi);
      if (c > 0 || (c == 0 && !hi_inclusive)) break;
    }
    keys.emplace_back(values->begin() + static_cast<ptrdiff_t>(index_columns),
                      values->end());
    FORKDB_RETURN_IF_ERROR(cursor->Next());
  }
  return keys;
}

Result<std::vector<Row>> Table::IndexScan(std::string_view index,
                                          std::span<const Value> prefix) const {
  FORKDB_ASSIGN_OR_RETURN(std::vector<Row> keys, IndexScanKeys(index, prefix));
  std::vector<Row> rows;
  rows.reserve(keys.size());
  for (const Row& k : keys) {
    FORKDB_ASSIGN_OR_RETURN(std::optional<Row> row, Get(k));
    if (!row.has_value())
      return Status::Corruption("table ", def_.name, " index ", index,
                                ": entry names missing row ", RowText(k));
    rows.push_back(std::move(*row));
  }
  return rows;
}

Status Table::BackfillIndex(const IndexDef& index) {
  FORKDB_RETURN_IF_ERROR(RequireWritable());
  for (uint32_t id : index.columns)
    if (def_.FindColumnById(id) == nullptr)
      return Status::InvalidArgument("index ", index.name,
                                     ": unknown column id ", id);
  // Read every row first: the cursor must not see the tree change under it
  // (the allocator's meta page is written by index inserts).
  std::vector<std::pair<Row, Row>> rows;  // (primary key, row)
  {
    FORKDB_ASSIGN_OR_RETURN(
        auto cursor, Scan(std::nullopt, std::nullopt, ScanDirection::kForward));
    const std::vector<Type> key_types = KeyTypes();
    while (cursor->Valid()) {
      FORKDB_ASSIGN_OR_RETURN(Row pk, DecodeKey(cursor->key(), key_types));
      rows.emplace_back(std::move(pk), cursor->row());
      FORKDB_RETURN_IF_ERROR(cursor->Next());
    }
  }
  FORKDB_RETURN_IF_ERROR(Atomically([&]() -> Status {
    for (const auto& [pk, row] : rows)
      FORKDB_RETURN_IF_ERROR(AddIndexEntry(index, row, pk));
    return Status();
  }));
  const bool known =
      std::any_of(def_.indexes.begin(), def_.indexes.end(),
                  [&](const IndexDef& d) { return d.id == index.id; });
  if (!known) def_.indexes.push_back(index);
  return Status();
}

Status Table::CheckTable() const {
  FORKDB_RETURN_IF_ERROR(CheckTree(reader_, def_.root));
  for (const IndexDef& index : def_.indexes)
    FORKDB_RETURN_IF_ERROR(CheckTree(reader_, index.root));
  const std::vector<Type> key_types = KeyTypes();
  std::vector<std::set<std::string>> expected(def_.indexes.size());
  auto cursor = BTree(reader_, def_.root).NewCursor();
  FORKDB_RETURN_IF_ERROR(cursor->SeekToFirst());
  while (cursor->Valid()) {
    const std::string key(cursor->key());
    FORKDB_ASSIGN_OR_RETURN(std::string bytes, cursor->value());
    FORKDB_ASSIGN_OR_RETURN(Row row, DecodeStoredRow(key, bytes));
    // Invariant 1: the key matches the row.
    Row pk;
    if (has_hidden_row_id()) {
      auto decoded = DecodeKey(key, key_types);
      if (!decoded.ok() || (*decoded)[0].is_null() ||
          (*decoded)[0].integer() < 1)
        return Status::Corruption("table ", def_.name, " key ", HexKey(key),
                                  ": not a hidden row id");
      pk = std::move(*decoded);
    } else {
      pk = PrimaryKeyOf(row);
      if (EncodeKey(pk) != key)
        return Status::Corruption("table ", def_.name, " key ", HexKey(key),
                                  ": row has primary key ", RowText(pk));
    }
    for (size_t i = 0; i < def_.indexes.size(); ++i)
      expected[i].insert(IndexKey(def_.indexes[i], row, pk));
    FORKDB_RETURN_IF_ERROR(cursor->Next());
  }
  // Invariants 2 and 3.
  for (size_t i = 0; i < def_.indexes.size(); ++i) {
    const IndexDef& index = def_.indexes[i];
    auto ic = BTree(reader_, index.root).NewCursor();
    FORKDB_RETURN_IF_ERROR(ic->SeekToFirst());
    size_t seen = 0;
    while (ic->Valid()) {
      const std::string key(ic->key());
      if (expected[i].count(key) == 0)
        return Status::Corruption("table ", def_.name, " index ", index.name,
                                  ": extra entry ", HexKey(key));
      FORKDB_ASSIGN_OR_RETURN(std::string value, ic->value());
      if (!value.empty())
        return Status::Corruption("table ", def_.name, " index ", index.name,
                                  ": entry ", HexKey(key), " has a value");
      ++seen;
      FORKDB_RETURN_IF_ERROR(ic->Next());
    }
    if (seen != expected[i].size())
      return Status::Corruption("table ", def_.name, " index ", index.name,
                                ": ", expected[i].size() - seen,
                                " rows have no entry");
    if (!index.unique) continue;
    // Entries with equal index values are adjacent; compare neighbours'
    // index-value prefixes.
    std::vector<Type> types;
    for (uint32_t id : index.columns)
      types.push_back(def_.columns[Position(id)].type);
    for (Type t : key_types) types.push_back(t);
    std::optional<Row> previous;
    for (const std::string& key : expected[i]) {
      auto values = DecodeKey(key, types);
      if (!values.ok()) return values.status();
      Row head(values->begin(),
               values->begin() + static_cast<ptrdiff_t>(index.columns.size()));
      const bool has_null = std::any_of(
          head.begin(), head.end(), [](const Value& v) { return v.is_null(); });
      if (!has_null && previous.has_value() &&
          CompareRows(*previous, head) == 0)
        return Status::Corruption("table ", def_.name, " unique index ",
                                  index.name, ": duplicate value ",
                                  RowText(head));
      previous = has_null ? std::nullopt : std::optional<Row>(std::move(head));
    }
  }
  return Status();
}

}  // namespace forkdb::engine
