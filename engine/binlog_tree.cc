#include "engine/binlog_tree.h"

#include <unordered_map>

#include "cow/coding.h"
#include "engine/catalog.h"
#include "engine/key_codec.h"
#include "engine/row_codec.h"

namespace forkdb::engine {

namespace {

std::string SeqKey(uint64_t seq) {
  std::string key;
  cow::PutBigEndian64(&key, seq);
  return key;
}

Result<uint64_t> KeySeq(std::string_view key) {
  uint64_t seq = 0;
  if (key.size() != 8 || !cow::GetBigEndian64(&key, &seq))
    return Status::Corruption("binlog tree: key of ", key.size(), " bytes");
  return seq;
}

}  // namespace

Result<PageNo> BinlogTree::Root() {
  if (!root_.has_value()) {
    FORKDB_ASSIGN_OR_RETURN(PageNo root, GetRootSlot(pages_, kBinlogRootSlot));
    root_ = root;
  }
  return *root_;
}

Result<std::optional<std::string>> BinlogTree::Get(uint64_t key) {
  FORKDB_ASSIGN_OR_RETURN(PageNo root, Root());
  if (root == 0) return std::optional<std::string>();
  Result<std::string> value = BTree(pages_, root).Get(SeqKey(key));
  if (value.status().IsNotFound()) return std::optional<std::string>();
  FORKDB_RETURN_IF_ERROR(value.status());
  return std::optional<std::string>(std::move(*value));
}

Result<std::optional<std::pair<uint64_t, std::string>>> BinlogTree::Seek(
    uint64_t key) {
  using Entry = std::optional<std::pair<uint64_t, std::string>>;
  FORKDB_ASSIGN_OR_RETURN(PageNo root, Root());
  if (root == 0) return Entry();
  BTreeCursor cursor(pages_, root);
  FORKDB_RETURN_IF_ERROR(cursor.Seek(SeqKey(key)));
  if (!cursor.Valid()) return Entry();
  FORKDB_ASSIGN_OR_RETURN(uint64_t seq, KeySeq(cursor.key()));
  FORKDB_ASSIGN_OR_RETURN(std::string value, cursor.value());
  return Entry(std::make_pair(seq, std::move(value)));
}

Result<std::optional<uint64_t>> BinlogTree::LastKey() {
  FORKDB_ASSIGN_OR_RETURN(PageNo root, Root());
  if (root == 0) return std::optional<uint64_t>();
  BTreeCursor cursor(pages_, root);
  FORKDB_RETURN_IF_ERROR(cursor.SeekToLast());
  if (!cursor.Valid()) return std::optional<uint64_t>();
  FORKDB_ASSIGN_OR_RETURN(uint64_t seq, KeySeq(cursor.key()));
  return std::optional<uint64_t>(seq);
}

Status BinlogTree::Put(uint64_t key, std::string_view value) {
  if (writer_ == nullptr)
    return Status::InvalidArgument("binlog tree opened for reading");
  FORKDB_ASSIGN_OR_RETURN(PageNo root, Root());
  if (root == 0) {
    FORKDB_ASSIGN_OR_RETURN(root, BTree::Create(writer_));
    FORKDB_RETURN_IF_ERROR(writer_->SetRootSlot(kBinlogRootSlot, root));
    root_ = root;
  }
  return BTree(writer_, root).Put(SeqKey(key), value);
}

Status BinlogTree::Delete(uint64_t key) {
  if (writer_ == nullptr)
    return Status::InvalidArgument("binlog tree opened for reading");
  FORKDB_ASSIGN_OR_RETURN(PageNo root, Root());
  if (root == 0) return Status::NotFound("binlog: no record ", key);
  return BTree(writer_, root).Delete(SeqKey(key));
}

// ---------------------------------------------------------------- events

namespace {

std::string EncodeImage(const TableDef& def, const Row& row) {
  std::vector<ColumnValue> columns;
  columns.reserve(row.size());
  for (size_t i = 0; i < row.size() && i < def.columns.size(); ++i)
    columns.push_back({def.columns[i].id, row[i]});
  return EncodeRow(columns);
}

bool SameShape(const TableDef& a, const TableDef& b) {
  return a.name == b.name && a.columns == b.columns &&
         a.primary_key == b.primary_key;
}

}  // namespace

std::vector<binlog::Event> BuildEvents(
    const std::vector<Change>& changes,
    const std::vector<std::shared_ptr<const TableDef>>& defs) {
  std::vector<binlog::Event> events;
  events.reserve(changes.size() + 1);
  std::unordered_map<uint32_t, const TableDef*> mapped;
  for (size_t i = 0; i < changes.size(); ++i) {
    binlog::Event e;
    if (const auto* row = std::get_if<RowChange>(&changes[i])) {
      const TableDef& def = *defs[i];
      auto [it, fresh] = mapped.emplace(def.id, &def);
      if (fresh || (it->second != &def && !SameShape(*it->second, def))) {
        binlog::Event map;
        map.kind = binlog::EventKind::kTableMap;
        map.table_id = def.id;
        map.table = def.name;
        map.after = EncodeTableDef(def);
        events.push_back(std::move(map));
      }
      it->second = &def;
      switch (row->kind) {
        case RowChange::Kind::kInsert:
          e.kind = binlog::EventKind::kInsert;
          break;
        case RowChange::Kind::kUpdate:
          e.kind = binlog::EventKind::kUpdate;
          break;
        case RowChange::Kind::kDelete:
          e.kind = binlog::EventKind::kDelete;
          break;
      }
      e.table_id = def.id;
      e.key = EncodeKey(row->key);
      if (row->before.has_value()) e.before = EncodeImage(def, *row->before);
      if (row->after.has_value()) e.after = EncodeImage(def, *row->after);
    } else {
      const auto& ddl = std::get<SchemaChange>(changes[i]);
      e.kind = binlog::EventKind::kDdl;
      e.flags = static_cast<uint32_t>(ddl.kind);
      e.table = ddl.object;
      if (ddl.before.has_value()) e.before = EncodeTableDef(*ddl.before);
      if (ddl.after.has_value()) e.after = EncodeTableDef(*ddl.after);
      e.statement = ddl.statement;
      // A row event after this one re-maps its table if the shape changed.
      if (ddl.before.has_value()) mapped.erase(ddl.before->id);
      if (ddl.after.has_value()) mapped.erase(ddl.after->id);
    }
    events.push_back(std::move(e));
  }
  return events;
}

namespace {

Result<Row> DecodeImage(const TableDef& def, std::string_view bytes,
                        const char* which) {
  std::vector<ColumnId> ids;
  ids.reserve(def.columns.size());
  for (const ColumnDef& c : def.columns) ids.push_back(c.id);
  FORKDB_ASSIGN_OR_RETURN(auto values, DecodeRowColumns(bytes, ids));
  Row row;
  row.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].has_value())
      return Status::Corruption("binlog ", which, " image of table ", def.name,
                                ": no column ", def.columns[i].name);
    row.push_back(std::move(*values[i]));
  }
  return row;
}

Result<std::optional<TableDef>> DecodeOptionalDef(std::string_view bytes) {
  if (bytes.empty()) return std::optional<TableDef>();
  FORKDB_ASSIGN_OR_RETURN(TableDef def, DecodeTableDef(bytes));
  return std::optional<TableDef>(std::move(def));
}

}  // namespace

Result<DecodedRecord> DecodeEvents(const binlog::Record& record) {
  DecodedRecord out;
  out.entry.seq = record.seq;
  out.entry.gtid = {record.gtid.origin, record.gtid.seq};
  out.entry.commit_unix_us = record.commit_unix_us;
  std::unordered_map<uint64_t, std::shared_ptr<const TableDef>> maps;
  for (size_t i = 0; i < record.events.size(); ++i) {
    const binlog::Event& e = record.events[i];
    auto where = [&](const Status& s) {
      return s.WithContext("binlog record " + std::to_string(record.seq) +
                           ", event " + std::to_string(i));
    };
    BinlogEvent ev;
    switch (e.kind) {
      case binlog::EventKind::kTableMap: {
        Result<TableDef> def = DecodeTableDef(e.after);
        if (!def.ok()) return where(def.status());
        maps[e.table_id] = std::make_shared<const TableDef>(std::move(*def));
        continue;
      }
      case binlog::EventKind::kDdl: {
        if (e.flags > static_cast<uint32_t>(SchemaChange::Kind::kAlterTable))
          return where(Status::Corruption("bad schema change kind ", e.flags));
        ev.kind = BinlogEvent::Kind::kDdl;
        ev.ddl = static_cast<SchemaChange::Kind>(e.flags);
        ev.table = e.table;
        ev.statement = e.statement;
        Result<std::optional<TableDef>> before = DecodeOptionalDef(e.before);
        if (!before.ok()) return where(before.status());
        Result<std::optional<TableDef>> after = DecodeOptionalDef(e.after);
        if (!after.ok()) return where(after.status());
        ev.schema_before = std::move(*before);
        ev.schema_after = std::move(*after);
        if (ev.schema_after.has_value()) {
          ev.table_id = ev.schema_after->id;
        } else if (ev.schema_before.has_value()) {
          ev.table_id = ev.schema_before->id;
        }
        out.entry.events.push_back(std::move(ev));
        out.table_defs.push_back(nullptr);
        continue;
      }
      case binlog::EventKind::kInsert:
        ev.kind = BinlogEvent::Kind::kInsert;
        break;
      case binlog::EventKind::kUpdate:
        ev.kind = BinlogEvent::Kind::kUpdate;
        break;
      case binlog::EventKind::kDelete:
        ev.kind = BinlogEvent::Kind::kDelete;
        break;
    }
    auto it = maps.find(e.table_id);
    if (it == maps.end())
      return where(Status::Corruption("row event of table id ", e.table_id,
                                      " without a table map"));
    const TableDef& def = *it->second;
    ev.table = def.name;
    ev.table_id = def.id;
    for (const ColumnDef& c : def.columns) ev.columns.push_back(c.name);
    Result<Row> key = DecodeKey(e.key);
    if (!key.ok()) return where(key.status());
    ev.key = std::move(*key);
    const bool want_before = ev.kind != BinlogEvent::Kind::kInsert;
    const bool want_after = ev.kind != BinlogEvent::Kind::kDelete;
    if (want_before) {
      Result<Row> row = DecodeImage(def, e.before, "before");
      if (!row.ok()) return where(row.status());
      ev.before = std::move(*row);
    }
    if (want_after) {
      Result<Row> row = DecodeImage(def, e.after, "after");
      if (!row.ok()) return where(row.status());
      ev.after = std::move(*row);
    }
    out.entry.events.push_back(std::move(ev));
    out.table_defs.push_back(it->second);
  }
  return out;
}

}  // namespace forkdb::engine
