// Catalog: entries in one B+tree, decoded whole on every read. See catalog.h
// for the formats and invariants.
#include "engine/catalog.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <set>
#include <utility>

#include "engine/row_codec.h"
#include "engine/savepoint.h"

namespace forkdb::engine {

namespace {

constexpr std::string_view kGlobalKey = "g";
constexpr char kTablePrefix = 't';
constexpr size_t kGlobalSize = 17;

std::string TableKey(std::string_view name) {
  std::string key(1, kTablePrefix);
  key += FoldName(name);
  return key;
}

bool IsColumnType(uint8_t t) {
  return t >= static_cast<uint8_t>(Type::kInteger) &&
         t <= static_cast<uint8_t>(Type::kBoolean);
}

class Encoder {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Fixed(v, 2); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void Name(std::string_view name) {
    assert(name.size() <= 0xffff);
    U16(static_cast<uint16_t>(name.size()));
    out_.append(name);
  }
  void Bytes32(std::string_view bytes) {
    U32(static_cast<uint32_t>(bytes.size()));
    out_.append(bytes);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Fixed(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  std::string out_;
};

// Reads bounded fields; the first short read sets a sticky failure, so a
// decoder checks ok() once per structure rather than after every field.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  uint8_t U8() { return static_cast<uint8_t>(Fixed(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Fixed(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Fixed(4)); }
  uint64_t U64() { return Fixed(8); }
  std::string_view Take(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string Name() { return std::string(Take(U16())); }

 private:
  uint64_t Fixed(int n) {
    if (!ok_ || static_cast<size_t>(n) > remaining()) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= uint64_t{static_cast<uint8_t>(in_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameSize;
}

Status CheckName(std::string_view what, std::string_view name) {
  if (!ValidName(name))
    return Status::InvalidArgument(what, " name '", name, "' must be 1 to ",
                                   kMaxNameSize, " bytes");
  return Status();
}

// Checks the column's type and default; converts an INTEGER default of a REAL
// column to REAL (SQL.md: an INTEGER goes into a REAL column as a real).
Status NormalizeColumn(std::string_view table, ColumnDef* column) {
  FORKDB_RETURN_IF_ERROR(CheckName("column", column->name));
  if (!IsColumnType(static_cast<uint8_t>(column->type)))
    return Status::InvalidArgument("table ", table, " column ", column->name,
                                   ": type ", TypeName(column->type),
                                   " is not a column type");
  if (!column->default_value.has_value()) return Status();
  Value& d = *column->default_value;
  if (!d.IsWellFormed())
    return Status::InvalidArgument("table ", table, " column ", column->name,
                                   ": malformed default");
  if (d.is_null() || d.type() == column->type) return Status();
  if (column->type == Type::kReal && d.type() == Type::kInteger) {
    d = Value::Real(static_cast<double>(d.integer()));
    return Status();
  }
  return Status::InvalidArgument("table ", table, " column ", column->name,
                                 ": default ", d.ToString(), " is not ",
                                 TypeName(column->type));
}

std::string EncodeGlobal(uint64_t version, uint32_t next_table,
                         uint32_t next_index) {
  Encoder e;
  e.U8(kCatalogFormatVersion);
  e.U64(version);
  e.U32(next_table);
  e.U32(next_index);
  std::string out = e.Take();
  assert(out.size() == kGlobalSize);
  return out;
}

bool HasRepeats(std::vector<uint32_t> ids) {
  std::sort(ids.begin(), ids.end());
  return std::adjacent_find(ids.begin(), ids.end()) != ids.end();
}

}  // namespace

std::string FoldName(std::string_view name) {
  std::string folded(name);
  for (char& c : folded)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return folded;
}

const ColumnDef* TableDef::FindColumn(std::string_view name) const {
  const std::string folded = FoldName(name);
  for (const ColumnDef& c : columns)
    if (FoldName(c.name) == folded) return &c;
  return nullptr;
}

const ColumnDef* TableDef::FindColumnById(uint32_t column_id) const {
  for (const ColumnDef& c : columns)
    if (c.id == column_id) return &c;
  return nullptr;
}

const IndexDef* TableDef::FindIndex(std::string_view index_name) const {
  const std::string folded = FoldName(index_name);
  for (const IndexDef& i : indexes)
    if (FoldName(i.name) == folded) return &i;
  return nullptr;
}

bool TableDef::IsWellFormed() const {
  if (!ValidName(name)) return false;
  if (root == 0 || root == kMetaPage) return false;
  if (columns.empty() || columns.size() > kMaxColumns) return false;
  std::set<uint32_t> ids;
  std::set<std::string> names;
  for (const ColumnDef& c : columns) {
    if (!ValidName(c.name)) return false;
    if (!IsColumnType(static_cast<uint8_t>(c.type))) return false;
    if (c.id >= next_column_id) return false;
    if (!ids.insert(c.id).second) return false;
    if (!names.insert(FoldName(c.name)).second) return false;
    if (c.default_value.has_value() && !c.default_value->IsWellFormed())
      return false;
  }
  auto known = [&](const std::vector<uint32_t>& key) {
    for (uint32_t id : key)
      if (ids.count(id) == 0) return false;
    return !HasRepeats(key);
  };
  if (!known(primary_key)) return false;
  std::set<std::string> index_names;
  for (const IndexDef& i : indexes) {
    if (!ValidName(i.name)) return false;
    if (!index_names.insert(FoldName(i.name)).second) return false;
    if (i.columns.empty() || !known(i.columns)) return false;
    if (i.root == 0 || i.root == kMetaPage) return false;
  }
  return true;
}

std::string EncodeTableDef(const TableDef& def) {
  assert(def.IsWellFormed());
  Encoder e;
  e.U8(kCatalogFormatVersion);
  e.U32(def.id);
  e.U64(def.root);
  e.U64(def.next_row_id);
  e.U64(def.schema_version);
  e.U32(def.next_column_id);
  e.Name(def.name);
  e.U16(static_cast<uint16_t>(def.columns.size()));
  for (const ColumnDef& c : def.columns) {
    e.U32(c.id);
    e.Name(c.name);
    e.U8(static_cast<uint8_t>(c.type));
    e.U8((c.not_null ? 1 : 0) | (c.default_value.has_value() ? 2 : 0));
    if (c.default_value.has_value()) {
      const ColumnValue field{0, *c.default_value};
      e.Bytes32(EncodeRow(std::span<const ColumnValue>(&field, 1)));
    }
  }
  e.U16(static_cast<uint16_t>(def.primary_key.size()));
  for (uint32_t id : def.primary_key) e.U32(id);
  e.U16(static_cast<uint16_t>(def.indexes.size()));
  for (const IndexDef& i : def.indexes) {
    e.U32(i.id);
    e.Name(i.name);
    e.U8(i.unique ? 1 : 0);
    e.U64(i.root);
    e.U16(static_cast<uint16_t>(i.columns.size()));
    for (uint32_t id : i.columns) e.U32(id);
  }
  return e.Take();
}

Result<TableDef> DecodeTableDef(std::string_view bytes) {
  Decoder d(bytes);
  TableDef def;
  const uint8_t version = d.U8();
  if (d.ok() && version != kCatalogFormatVersion)
    return Status::Corruption("catalog table entry: unknown format version ",
                              int{version});
  def.id = d.U32();
  def.root = d.U64();
  def.next_row_id = d.U64();
  def.schema_version = d.U64();
  def.next_column_id = d.U32();
  def.name = d.Name();
  // Each column takes at least 8 bytes, so the count is bounded by the input
  // before anything is allocated for it.
  const uint16_t ncols = d.U16();
  if (!d.ok() || ncols > d.remaining() / 8)
    return Status::Corruption("catalog table entry: truncated header");
  def.columns.resize(ncols);
  for (ColumnDef& c : def.columns) {
    c.id = d.U32();
    c.name = d.Name();
    const uint8_t type = d.U8();
    const uint8_t flags = d.U8();
    if (!d.ok()) break;
    if (!IsColumnType(type) || (flags & ~3) != 0)
      return Status::Corruption("catalog table '", def.name, "' column '",
                                c.name, "': bad type ", int{type}, " or flags ",
                                int{flags});
    c.type = static_cast<Type>(type);
    c.not_null = (flags & 1) != 0;
    if ((flags & 2) != 0) {
      std::string_view row = d.Take(d.U32());
      if (!d.ok()) break;
      Result<std::vector<ColumnValue>> fields = DecodeRow(row);
      if (!fields.ok() || fields->size() != 1 || (*fields)[0].column_id != 0)
        return Status::Corruption("catalog table '", def.name, "' column '",
                                  c.name, "': bad default");
      c.default_value = std::move((*fields)[0].value);
    }
  }
  const uint16_t npk = d.U16();
  if (!d.ok() || npk > d.remaining() / 4)
    return Status::Corruption("catalog table '", def.name,
                              "': truncated columns or primary key");
  def.primary_key.resize(npk);
  for (uint32_t& id : def.primary_key) id = d.U32();
  const uint16_t nidx = d.U16();
  if (!d.ok() || nidx > d.remaining() / 17)
    return Status::Corruption("catalog table '", def.name,
                              "': truncated indexes");
  def.indexes.resize(nidx);
  for (IndexDef& i : def.indexes) {
    i.id = d.U32();
    i.name = d.Name();
    const uint8_t unique = d.U8();
    i.root = d.U64();
    const uint16_t n = d.U16();
    if (!d.ok() || unique > 1 || n > d.remaining() / 4)
      return Status::Corruption("catalog table '", def.name,
                                "': bad index entry");
    i.unique = unique == 1;
    i.columns.resize(n);
    for (uint32_t& id : i.columns) id = d.U32();
  }
  if (!d.ok() || !d.done())
    return Status::Corruption("catalog table '", def.name,
                              "': truncated entry or trailing bytes");
  if (!def.IsWellFormed())
    return Status::Corruption("catalog table '", def.name,
                              "': definition breaks an invariant");
  // Only canonical bytes are accepted (a default's row bytes, say).
  if (EncodeTableDef(def) != bytes)
    return Status::Corruption("catalog table '", def.name,
                              "': non-canonical encoding");
  return def;
}

Result<Catalog> Catalog::Open(PageWriter* pages, cow::Transaction* txn) {
  assert(pages != nullptr);
  assert(txn != nullptr);
  FORKDB_ASSIGN_OR_RETURN(PageNo root, GetRootSlot(pages, kCatalogRootSlot));
  Catalog catalog(pages, pages, txn, root);
  if (root == 0) {
    Status s = catalog.Atomically([&]() -> Status {
      FORKDB_ASSIGN_OR_RETURN(PageNo r, BTree::Create(pages));
      FORKDB_RETURN_IF_ERROR(pages->SetRootSlot(kCatalogRootSlot, r));
      catalog.root_ = r;
      return catalog.WriteGlobal(Global{});
    });
    if (!s.ok()) return s;
  }
  FORKDB_RETURN_IF_ERROR(catalog.ReadGlobal().status());
  return catalog;
}

Result<Catalog> Catalog::Open(PageReader* pages) {
  assert(pages != nullptr);
  FORKDB_ASSIGN_OR_RETURN(PageNo root, GetRootSlot(pages, kCatalogRootSlot));
  Catalog catalog(pages, nullptr, nullptr, root);
  FORKDB_RETURN_IF_ERROR(catalog.ReadGlobal().status());
  return catalog;
}

template <typename Fn>
Status Catalog::Atomically(Fn&& fn) {
  FORKDB_RETURN_IF_ERROR(RequireWritable());
  return InSavepoint(txn_, std::forward<Fn>(fn));
}

Status Catalog::RequireWritable() const {
  if (writer_ == nullptr)
    return Status::InvalidArgument("catalog is read-only");
  return Status();
}

Result<Catalog::Global> Catalog::ReadGlobal() const {
  if (root_ == 0) return Global{};
  FORKDB_ASSIGN_OR_RETURN(std::string bytes,
                          BTree(reader_, root_).Get(kGlobalKey));
  Decoder d(bytes);
  Global g;
  const uint8_t version = d.U8();
  g.schema_version = d.U64();
  g.next_table_id = d.U32();
  g.next_index_id = d.U32();
  if (!d.ok() || !d.done() || version != kCatalogFormatVersion ||
      g.next_table_id == 0 || g.next_index_id == 0)
    return Status::Corruption("catalog page ", root_, ": bad global entry");
  return g;
}

Status Catalog::WriteGlobal(const Global& g) {
  assert(writer_ != nullptr);
  return BTree(writer_, root_)
      .Put(kGlobalKey,
           EncodeGlobal(g.schema_version, g.next_table_id, g.next_index_id));
}

Result<uint64_t> Catalog::SchemaVersion() const {
  FORKDB_ASSIGN_OR_RETURN(Global g, ReadGlobal());
  return g.schema_version;
}

Result<TableDef> Catalog::Load(std::string_view name) const {
  if (root_ == 0) return Status::NotFound("table ", name, " does not exist");
  Result<std::string> bytes = BTree(reader_, root_).Get(TableKey(name));
  if (bytes.status().IsNotFound() || (!bytes.ok() && !ValidName(name)))
    return Status::NotFound("table ", name, " does not exist");
  if (!bytes.ok()) return bytes.status();
  Result<TableDef> def = DecodeTableDef(*bytes);
  if (!def.ok())
    return Status::Corruption("catalog page ", root_, ": table ", name, ": ",
                              def.status().message());
  if (FoldName(def->name) != FoldName(name))
    return Status::Corruption("catalog page ", root_, ": entry for table ",
                              name, " holds table ", def->name);
  return def;
}

Status Catalog::StoreChanged(TableDef def, Global* global) {
  ++def.schema_version;
  ++global->schema_version;
  assert(def.IsWellFormed());
  FORKDB_RETURN_IF_ERROR(
      BTree(writer_, root_).Put(TableKey(def.name), EncodeTableDef(def)));
  return WriteGlobal(*global);
}

Result<TableDef> Catalog::GetTable(std::string_view name) const {
  return Load(name);
}

Result<std::vector<TableDef>> Catalog::ListTables() const {
  std::vector<TableDef> tables;
  if (root_ == 0) return tables;
  auto cursor = BTree(reader_, root_).NewCursor();
  FORKDB_RETURN_IF_ERROR(cursor->Seek(std::string(1, kTablePrefix)));
  while (cursor->Valid()) {
    const std::string key(cursor->key());
    if (key.empty() || key[0] != kTablePrefix)
      return Status::Corruption("catalog page ", root_, ": unknown key '", key,
                                "'");
    FORKDB_ASSIGN_OR_RETURN(std::string bytes, cursor->value());
    Result<TableDef> def = DecodeTableDef(bytes);
    if (!def.ok())
      return Status::Corruption("catalog page ", root_, ": entry '", key,
                                "': ", def.status().message());
    if (TableKey(def->name) != key)
      return Status::Corruption("catalog page ", root_, ": entry '", key,
                                "' holds table ", def->name);
    tables.push_back(std::move(def).value());
    FORKDB_RETURN_IF_ERROR(cursor->Next());
  }
  return tables;
}

Result<TableDef> Catalog::CreateTable(const TableSpec& spec) {
  TableDef out;
  Status s = Atomically([&]() -> Status {
    FORKDB_RETURN_IF_ERROR(CheckName("table", spec.name));
    Result<TableDef> existing = Load(spec.name);
    if (existing.ok())
      return Status::InvalidArgument("table ", spec.name, " already exists");
    if (!existing.status().IsNotFound()) return existing.status();
    if (spec.columns.empty())
      return Status::InvalidArgument("table ", spec.name, ": no columns");
    if (spec.columns.size() > kMaxColumns)
      return Status::InvalidArgument("table ", spec.name, ": more than ",
                                     kMaxColumns, " columns");
    FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
    TableDef def;
    def.name = spec.name;
    for (const ColumnDef& given : spec.columns) {
      ColumnDef c = given;
      c.id = def.next_column_id++;
      FORKDB_RETURN_IF_ERROR(NormalizeColumn(spec.name, &c));
      if (def.FindColumn(c.name) != nullptr)
        return Status::InvalidArgument("table ", spec.name,
                                       ": duplicate column ", c.name);
      def.columns.push_back(std::move(c));
    }
    for (const std::string& name : spec.primary_key) {
      const ColumnDef* c = def.FindColumn(name);
      if (c == nullptr)
        return Status::InvalidArgument(
            "table ", spec.name, ": primary key names unknown column ", name);
      if (std::count(def.primary_key.begin(), def.primary_key.end(), c->id))
        return Status::InvalidArgument(
            "table ", spec.name, ": primary key names column ", name, " twice");
      def.primary_key.push_back(c->id);
    }
    if (global.next_table_id == UINT32_MAX)
      return Status::InvalidArgument("catalog: table ids exhausted");
    def.id = global.next_table_id++;
    FORKDB_ASSIGN_OR_RETURN(def.root, BTree::Create(writer_));
    def.schema_version = 0;
    FORKDB_RETURN_IF_ERROR(StoreChanged(def, &global));
    ++def.schema_version;
    out = std::move(def);
    return Status();
  });
  if (!s.ok()) return s;
  assert(out.IsWellFormed());
  return out;
}

Status Catalog::DropTable(std::string_view name) {
  return Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(TableDef def, Load(name));
    FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
    for (const IndexDef& i : def.indexes)
      FORKDB_RETURN_IF_ERROR(BTree(writer_, i.root).Drop());
    FORKDB_RETURN_IF_ERROR(BTree(writer_, def.root).Drop());
    FORKDB_RETURN_IF_ERROR(BTree(writer_, root_).Delete(TableKey(def.name)));
    ++global.schema_version;
    return WriteGlobal(global);
  });
}

Result<IndexDef> Catalog::CreateIndex(std::string_view table,
                                      std::string_view name,
                                      const std::vector<std::string>& columns,
                                      bool unique) {
  IndexDef out;
  Status s = Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(TableDef def, Load(table));
    FORKDB_RETURN_IF_ERROR(CheckName("index", name));
    FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> tables, ListTables());
    for (const TableDef& t : tables)
      if (t.FindIndex(name) != nullptr)
        return Status::InvalidArgument("index ", name,
                                       " already exists on table ", t.name);
    if (columns.empty())
      return Status::InvalidArgument("index ", name, ": no columns");
    IndexDef index;
    index.name = name;
    index.unique = unique;
    for (const std::string& column : columns) {
      const ColumnDef* c = def.FindColumn(column);
      if (c == nullptr)
        return Status::InvalidArgument("index ", name, ": table ", def.name,
                                       " has no column ", column);
      if (std::count(index.columns.begin(), index.columns.end(), c->id))
        return Status::InvalidArgument("index ", name, ": column ", column,
                                       " named twice");
      index.columns.push_back(c->id);
    }
    FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
    if (global.next_index_id == UINT32_MAX)
      return Status::InvalidArgument("catalog: index ids exhausted");
    index.id = global.next_index_id++;
    FORKDB_ASSIGN_OR_RETURN(index.root, BTree::Create(writer_));
    def.indexes.push_back(index);
    FORKDB_RETURN_IF_ERROR(StoreChanged(std::move(def), &global));
    out = std::move(index);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Status Catalog::DropIndex(std::string_view name) {
  return Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> tables, ListTables());
    for (TableDef& def : tables) {
      const IndexDef* index = def.FindIndex(name);
      if (index == nullptr) continue;
      FORKDB_RETURN_IF_ERROR(BTree(writer_, index->root).Drop());
      def.indexes.erase(def.indexes.begin() + (index - def.indexes.data()));
      FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
      return StoreChanged(std::move(def), &global);
    }
    return Status::NotFound("index ", name, " does not exist");
  });
}

Status Catalog::RenameTable(std::string_view old_name,
                            std::string_view new_name) {
  return Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(TableDef def, Load(old_name));
    FORKDB_RETURN_IF_ERROR(CheckName("table", new_name));
    const bool same_key = FoldName(old_name) == FoldName(new_name);
    if (!same_key) {
      Result<TableDef> taken = Load(new_name);
      if (taken.ok())
        return Status::InvalidArgument("cannot rename table ", def.name,
                                       ": table ", taken->name,
                                       " already exists");
      if (!taken.status().IsNotFound()) return taken.status();
      FORKDB_RETURN_IF_ERROR(BTree(writer_, root_).Delete(TableKey(def.name)));
    }
    def.name = new_name;
    FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
    return StoreChanged(std::move(def), &global);
  });
}

Status Catalog::RenameColumn(std::string_view table, std::string_view old_name,
                             std::string_view new_name) {
  return Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(TableDef def, Load(table));
    const ColumnDef* c = def.FindColumn(old_name);
    if (c == nullptr)
      return Status::NotFound("table ", def.name, " has no column ", old_name);
    FORKDB_RETURN_IF_ERROR(CheckName("column", new_name));
    const ColumnDef* taken = def.FindColumn(new_name);
    if (taken != nullptr && taken != c)
      return Status::InvalidArgument("table ", def.name, ": cannot rename ",
                                     c->name, " to ", new_name, ": column ",
                                     taken->name, " exists");
    def.columns[c - def.columns.data()].name = new_name;
    FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
    return StoreChanged(std::move(def), &global);
  });
}

Result<ColumnDef> Catalog::AddColumn(std::string_view table,
                                     const ColumnDef& column) {
  ColumnDef out;
  Status s = Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(TableDef def, Load(table));
    ColumnDef c = column;
    FORKDB_RETURN_IF_ERROR(NormalizeColumn(def.name, &c));
    if (def.FindColumn(c.name) != nullptr)
      return Status::InvalidArgument("table ", def.name, ": column ", c.name,
                                     " already exists");
    if (c.not_null && (!c.default_value || c.default_value->is_null()))
      return Status::InvalidArgument("table ", def.name,
                                     ": cannot add NOT NULL column ", c.name,
                                     " without a non-NULL default");
    if (def.columns.size() >= kMaxColumns)
      return Status::InvalidArgument("table ", def.name, ": more than ",
                                     kMaxColumns, " columns");
    if (def.next_column_id == UINT32_MAX)
      return Status::InvalidArgument("table ", def.name,
                                     ": column ids exhausted");
    c.id = def.next_column_id++;
    def.columns.push_back(c);
    FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
    FORKDB_RETURN_IF_ERROR(StoreChanged(std::move(def), &global));
    out = std::move(c);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Status Catalog::DropColumn(std::string_view table, std::string_view column) {
  return Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(TableDef def, Load(table));
    const ColumnDef* c = def.FindColumn(column);
    if (c == nullptr)
      return Status::NotFound("table ", def.name, " has no column ", column);
    if (std::count(def.primary_key.begin(), def.primary_key.end(), c->id))
      return Status::InvalidArgument("table ", def.name,
                                     ": cannot drop column ", c->name,
                                     ": it is part of the primary key");
    for (const IndexDef& i : def.indexes)
      if (std::count(i.columns.begin(), i.columns.end(), c->id))
        return Status::InvalidArgument("table ", def.name,
                                       ": cannot drop column ", c->name,
                                       ": index ", i.name, " uses it");
    if (def.columns.size() == 1)
      return Status::InvalidArgument("table ", def.name,
                                     ": cannot drop column ", c->name,
                                     ": it is the only column");
    def.columns.erase(def.columns.begin() + (c - def.columns.data()));
    FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
    return StoreChanged(std::move(def), &global);
  });
}

Status Catalog::AlterColumnType(std::string_view table, std::string_view column,
                                Type type) {
  return Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(TableDef def, Load(table));
    const ColumnDef* c = def.FindColumn(column);
    if (c == nullptr)
      return Status::NotFound("table ", def.name, " has no column ", column);
    if (!IsColumnType(static_cast<uint8_t>(type)))
      return Status::InvalidArgument("table ", def.name, " column ", c->name,
                                     ": ", TypeName(type),
                                     " is not a column type");
    def.columns[c - def.columns.data()].type = type;
    FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
    return StoreChanged(std::move(def), &global);
  });
}

Status Catalog::SetNextRowId(std::string_view table, uint64_t next_row_id) {
  return Atomically([&]() -> Status {
    FORKDB_ASSIGN_OR_RETURN(TableDef def, Load(table));
    if (next_row_id < def.next_row_id)
      return Status::InvalidArgument("table ", def.name, ": next row id ",
                                     next_row_id, " is below ",
                                     def.next_row_id);
    def.next_row_id = next_row_id;
    return BTree(writer_, root_).Put(TableKey(def.name), EncodeTableDef(def));
  });
}

Result<std::vector<PageNo>> Catalog::TreeRoots() const {
  std::vector<PageNo> roots;
  if (root_ == 0) return roots;
  roots.push_back(root_);
  FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> tables, ListTables());
  for (const TableDef& t : tables) {
    roots.push_back(t.root);
    for (const IndexDef& i : t.indexes) roots.push_back(i.root);
  }
  return roots;
}

Status Catalog::Check() const {
  if (root_ == 0) return Status();
  FORKDB_RETURN_IF_ERROR(CheckTree(reader_, root_));
  FORKDB_ASSIGN_OR_RETURN(Global global, ReadGlobal());
  FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> tables, ListTables());
  std::set<uint32_t> table_ids, index_ids;
  std::set<std::string> index_names;
  for (const TableDef& t : tables) {
    if (t.id == 0 || t.id >= global.next_table_id ||
        !table_ids.insert(t.id).second)
      return Status::Corruption("catalog page ", root_, ": table ", t.name,
                                ": bad table id ", t.id);
    for (const IndexDef& i : t.indexes) {
      if (i.id == 0 || i.id >= global.next_index_id ||
          !index_ids.insert(i.id).second)
        return Status::Corruption("catalog page ", root_, ": index ", i.name,
                                  ": bad index id ", i.id);
      if (!index_names.insert(FoldName(i.name)).second)
        return Status::Corruption("catalog page ", root_, ": index name ",
                                  i.name, " used twice");
    }
  }
  return Status();
}

}  // namespace forkdb::engine
