#include "engine/replicator.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <set>
#include <thread>
#include <utility>

#include "cow/coding.h"
#include "engine/binlog_tree.h"
#include "engine/btree.h"
#include "engine/catalog.h"
#include "engine/database_rep.h"
#include "engine/key_codec.h"
#include "engine/row_codec.h"

namespace forkdb::engine {

struct Replicator::Worker {
  uint64_t source_id = 0;
  uint64_t target_id = 0;
  ConflictPolicy policy = ConflictPolicy::kStop;
  std::atomic<bool> stop{false};     // asked to stop
  std::atomic<bool> stopped{false};  // the thread has ended or will
  std::atomic<uint64_t> applied_seq{0};
  std::thread thread;
};

namespace {

constexpr size_t kBatchRecords = 64;
constexpr auto kIdleWait = std::chrono::milliseconds(50);

// ---------------------------------------------------------------- state

struct State {
  uint64_t target_id = 0;
  uint64_t source_id = 0;
  ConflictPolicy policy = ConflictPolicy::kStop;
  bool running = false;
  uint64_t applied_seq = 0;
  uint64_t conflicts = 0;
  std::string last_error;
};

// State value: target id (8), source id (8), policy (1), running (1),
// applied seq (8), conflicts (8), last error (4 + n).
std::string EncodeState(const State& s) {
  std::string out;
  cow::PutFixed64(&out, s.target_id);
  cow::PutFixed64(&out, s.source_id);
  out.push_back(static_cast<char>(s.policy));
  out.push_back(s.running ? 1 : 0);
  cow::PutFixed64(&out, s.applied_seq);
  cow::PutFixed64(&out, s.conflicts);
  cow::PutLengthPrefixed(&out, s.last_error);
  return out;
}

Result<State> DecodeState(std::string_view in) {
  State s;
  auto bad = [] { return Status::Corruption("replication state: malformed"); };
  if (!cow::GetFixed64(&in, &s.target_id) ||
      !cow::GetFixed64(&in, &s.source_id) || in.size() < 2)
    return bad();
  const auto policy = static_cast<uint8_t>(in[0]);
  const auto running = static_cast<uint8_t>(in[1]);
  in.remove_prefix(2);
  if (policy > static_cast<uint8_t>(ConflictPolicy::kTargetWins) || running > 1)
    return bad();
  s.policy = static_cast<ConflictPolicy>(policy);
  s.running = running == 1;
  if (!cow::GetFixed64(&in, &s.applied_seq) ||
      !cow::GetFixed64(&in, &s.conflicts) ||
      !cow::GetLengthPrefixed(&in, &s.last_error) || !in.empty())
    return bad();
  return s;
}

std::string StateKey(uint64_t target_id) {
  std::string key = "s";
  cow::PutBigEndian64(&key, target_id);
  return key;
}

std::string ConflictKey(uint64_t target_id, uint64_t n) {
  std::string key = "c";
  cow::PutBigEndian64(&key, target_id);
  cow::PutBigEndian64(&key, n);
  return key;
}

void PutNames(std::string* out, const std::vector<std::string>& names) {
  cow::PutFixed32(out, static_cast<uint32_t>(names.size()));
  for (const std::string& n : names) cow::PutLengthPrefixed(out, n);
}

bool GetNames(std::string_view* in, std::vector<std::string>* names) {
  uint32_t n = 0;
  if (!cow::GetFixed32(in, &n) || n > in->size() / 4) return false;
  names->resize(n);
  for (std::string& name : *names)
    if (!cow::GetLengthPrefixed(in, &name)) return false;
  return true;
}

void PutImage(std::string* out, const std::optional<Row>& row) {
  out->push_back(row.has_value() ? 1 : 0);
  if (!row.has_value()) return;
  std::vector<ColumnValue> columns;
  for (size_t i = 0; i < row->size(); ++i)
    columns.push_back({static_cast<ColumnId>(i), (*row)[i]});
  cow::PutLengthPrefixed(out, EncodeRow(columns));
}

bool GetImage(std::string_view* in, std::optional<Row>* row) {
  if (in->empty()) return false;
  const char present = (*in)[0];
  in->remove_prefix(1);
  if (present == 0) return true;
  std::string bytes;
  if (present != 1 || !cow::GetLengthPrefixed(in, &bytes)) return false;
  Result<std::vector<ColumnValue>> columns = DecodeRow(bytes);
  if (!columns.ok()) return false;
  Row r;
  for (size_t i = 0; i < columns->size(); ++i) {
    if ((*columns)[i].column_id != i) return false;
    r.push_back(std::move((*columns)[i].value));
  }
  *row = std::move(r);
  return true;
}

std::string EncodeConflict(const ReplicationConflict& c) {
  std::string out;
  cow::PutFixed64(&out, c.source_seq);
  cow::PutFixed64(&out, c.gtid.origin);
  cow::PutFixed64(&out, c.gtid.seq);
  cow::PutLengthPrefixed(&out, c.source);
  cow::PutLengthPrefixed(&out, c.table);
  cow::PutLengthPrefixed(&out, c.kind);
  cow::PutLengthPrefixed(&out, c.resolution);
  cow::PutLengthPrefixed(&out, EncodeKey(c.key));
  PutNames(&out, c.columns);
  PutImage(&out, c.source_before);
  PutImage(&out, c.source_after);
  PutNames(&out, c.target_columns);
  PutImage(&out, c.target_row);
  return out;
}

Result<ReplicationConflict> DecodeConflict(std::string_view in) {
  ReplicationConflict c;
  std::string key;
  if (!cow::GetFixed64(&in, &c.source_seq) ||
      !cow::GetFixed64(&in, &c.gtid.origin) ||
      !cow::GetFixed64(&in, &c.gtid.seq) ||
      !cow::GetLengthPrefixed(&in, &c.source) ||
      !cow::GetLengthPrefixed(&in, &c.table) ||
      !cow::GetLengthPrefixed(&in, &c.kind) ||
      !cow::GetLengthPrefixed(&in, &c.resolution) ||
      !cow::GetLengthPrefixed(&in, &key) || !GetNames(&in, &c.columns) ||
      !GetImage(&in, &c.source_before) || !GetImage(&in, &c.source_after) ||
      !GetNames(&in, &c.target_columns) || !GetImage(&in, &c.target_row) ||
      !in.empty())
    return Status::Corruption("replication conflict: malformed");
  FORKDB_ASSIGN_OR_RETURN(c.key, DecodeKey(key));
  return c;
}

// The replication tree of a fork; 0 if it has none.
Result<PageNo> TreeRoot(PageReader* pages) {
  return GetRootSlot(pages, kReplicationRootSlot);
}

Result<std::optional<State>> ReadState(PageReader* pages, uint64_t target_id) {
  FORKDB_ASSIGN_OR_RETURN(PageNo root, TreeRoot(pages));
  if (root == 0) return std::optional<State>();
  Result<std::string> value = BTree(pages, root).Get(StateKey(target_id));
  if (value.status().IsNotFound()) return std::optional<State>();
  FORKDB_RETURN_IF_ERROR(value.status());
  FORKDB_ASSIGN_OR_RETURN(State s, DecodeState(*value));
  if (s.target_id != target_id)
    return Status::Corruption("replication state of fork ", target_id,
                              " names fork ", s.target_id);
  return std::optional<State>(std::move(s));
}

Result<BTree> WritableTree(PageWriter* pages) {
  FORKDB_ASSIGN_OR_RETURN(PageNo root, TreeRoot(pages));
  if (root == 0) {
    FORKDB_ASSIGN_OR_RETURN(root, BTree::Create(pages));
    FORKDB_RETURN_IF_ERROR(pages->SetRootSlot(kReplicationRootSlot, root));
  }
  return BTree(pages, root);
}

// Writes the state and the new conflicts (numbered on from state.conflicts
// less their count) into the transaction's pages.
Status WriteState(PageWriter* pages, const State& state,
                  const std::vector<ReplicationConflict>& conflicts) {
  FORKDB_ASSIGN_OR_RETURN(BTree tree, WritableTree(pages));
  uint64_t n = state.conflicts - conflicts.size();
  for (const ReplicationConflict& c : conflicts)
    FORKDB_RETURN_IF_ERROR(
        tree.Put(ConflictKey(state.target_id, ++n), EncodeConflict(c)));
  return tree.Put(StateKey(state.target_id), EncodeState(state));
}

Result<std::vector<ReplicationConflict>> ReadConflicts(PageReader* pages,
                                                       uint64_t target_id) {
  std::vector<ReplicationConflict> out;
  FORKDB_ASSIGN_OR_RETURN(PageNo root, TreeRoot(pages));
  if (root == 0) return out;
  const std::string prefix = ConflictKey(target_id, 0).substr(0, 9);
  BTreeCursor cursor(pages, root);
  FORKDB_RETURN_IF_ERROR(cursor.Seek(prefix));
  while (cursor.Valid() && cursor.key().substr(0, 9) == prefix) {
    FORKDB_ASSIGN_OR_RETURN(std::string value, cursor.value());
    FORKDB_ASSIGN_OR_RETURN(ReplicationConflict c, DecodeConflict(value));
    out.push_back(std::move(c));
    FORKDB_RETURN_IF_ERROR(cursor.Next());
  }
  return out;
}

// Runs fn(pages) over a fork's committed pages.
template <typename Fn>
auto WithForkPages(Database::Rep* rep, std::string_view fork, Fn&& fn)
    -> decltype(fn(std::declval<PageReader*>())) {
  FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Snapshot> snap,
                          rep->store->OpenSnapshot(fork));
  SnapshotPages pages(snap.get(), rep->store->block_size());
  auto result = fn(&pages);
  snap->Release().IgnoreError();
  return result;
}

Result<std::optional<State>> CommittedState(Database::Rep* rep,
                                            const cow::ForkInfo& target) {
  return WithForkPages(rep, target.name, [&](PageReader* pages) {
    return ReadState(pages, target.id);
  });
}

// The binlog bounds of a fork's base snapshot: its parent's at the fork
// point.
Result<uint64_t> BaseLastSeq(Database::Rep* rep, const std::string& fork) {
  FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Snapshot> snap,
                          rep->store->OpenBaseSnapshot(fork));
  SnapshotPages pages(snap.get(), rep->store->block_size());
  BinlogTree tree(&pages);
  Result<binlog::Log::Bounds> b = binlog::Log(&tree).GetBounds();
  snap->Release().IgnoreError();
  FORKDB_RETURN_IF_ERROR(b.status());
  return b->next - 1;
}

// The live forks from `id` up to its root, `id` first.
std::vector<cow::ForkInfo> Ancestry(Database::Rep* rep, uint64_t id) {
  std::vector<cow::ForkInfo> chain;
  for (Result<cow::ForkInfo> f = rep->store->GetFork(id); f.ok();
       f = rep->store->GetFork(f->parent)) {
    chain.push_back(*f);
    if (f->parent == cow::kNoFork) break;
  }
  return chain;
}

// The last source seq the target already holds through shared history: up
// to where their histories split (0 if they share none).
Result<uint64_t> SplitSeq(Database::Rep* rep, uint64_t source_id,
                          uint64_t target_id) {
  const std::vector<cow::ForkInfo> src = Ancestry(rep, source_id);
  const std::vector<cow::ForkInfo> dst = Ancestry(rep, target_id);
  for (size_t i = 0; i < src.size(); ++i) {
    for (size_t j = 0; j < dst.size(); ++j) {
      if (src[i].id != dst[j].id) continue;
      // src[i] is the common ancestor; src[i - 1] and dst[j - 1] are the
      // forks made from it on each path.
      uint64_t seq = std::numeric_limits<uint64_t>::max();
      if (i > 0) {
        FORKDB_ASSIGN_OR_RETURN(uint64_t s, BaseLastSeq(rep, src[i - 1].name));
        seq = std::min(seq, s);
      }
      if (j > 0) {
        FORKDB_ASSIGN_OR_RETURN(uint64_t s, BaseLastSeq(rep, dst[j - 1].name));
        seq = std::min(seq, s);
      }
      return seq;
    }
  }
  return uint64_t{0};
}

// The furthest `source` position a replication into one of the target's
// ancestors reached, as the target inherited it in its pages (0 if none).
Result<uint64_t> InheritedPosition(Database::Rep* rep,
                                   const cow::ForkInfo& target,
                                   uint64_t source_id) {
  return WithForkPages(
      rep, target.name, [&](PageReader* pages) -> Result<uint64_t> {
        uint64_t best = 0;
        FORKDB_ASSIGN_OR_RETURN(PageNo root, TreeRoot(pages));
        if (root == 0) return best;
        BTreeCursor cursor(pages, root);
        FORKDB_RETURN_IF_ERROR(cursor.Seek("s"));
        while (cursor.Valid() && cursor.key().substr(0, 1) == "s") {
          FORKDB_ASSIGN_OR_RETURN(std::string value, cursor.value());
          FORKDB_ASSIGN_OR_RETURN(State s, DecodeState(value));
          if (s.source_id == source_id && s.target_id != target.id)
            best = std::max(best, s.applied_seq);
          FORKDB_RETURN_IF_ERROR(cursor.Next());
        }
        return best;
      });
}

// The tables (folded names) that the source's records after `applied`
// create or rename to.
Result<std::set<std::string>> PendingCreates(Database::Rep* rep,
                                             const std::string& source,
                                             uint64_t applied) {
  return WithForkPages(
      rep, source, [&](PageReader* pages) -> Result<std::set<std::string>> {
        std::set<std::string> names;
        BinlogTree tree(pages);
        binlog::Log log(&tree);
        for (uint64_t seq = applied + 1;;) {
          FORKDB_ASSIGN_OR_RETURN(std::vector<binlog::Record> records,
                                  log.ReadFrom(seq, kBatchRecords));
          if (records.empty()) break;
          for (const binlog::Record& r : records) {
            for (const binlog::Event& e : r.events) {
              if (e.kind != binlog::EventKind::kDdl) continue;
              const auto kind = static_cast<SchemaChange::Kind>(e.flags);
              if (kind == SchemaChange::Kind::kCreateTable)
                names.insert(FoldName(e.table));
              if (kind == SchemaChange::Kind::kRenameTable &&
                  !e.after.empty()) {
                FORKDB_ASSIGN_OR_RETURN(TableDef def, DecodeTableDef(e.after));
                names.insert(FoldName(def.name));
              }
            }
          }
          seq = records.back().seq + 1;
        }
        return names;
      });
}

// ---------------------------------------------------------------- mapping

// Whether a source column's values can be written to a target column.
bool Widens(Type from, Type to) {
  return from == to || (from == Type::kInteger && to == Type::kReal) ||
         (from == Type::kBoolean && to == Type::kInteger);
}

Value Convert(const Value& v, Type to) {
  if (v.type() == Type::kInteger && to == Type::kReal)
    return Value::Real(static_cast<double>(v.integer()));
  if (v.type() == Type::kBoolean && to == Type::kInteger)
    return Value::Integer(v.boolean() ? 1 : 0);
  return v;
}

std::vector<std::string> PrimaryKeyNames(const TableDef& def) {
  std::vector<std::string> names;
  for (uint32_t id : def.primary_key)
    names.push_back(FoldName(def.FindColumnById(id)->name));
  return names;
}

// Why rows of `source` cannot be applied to `target` (empty: they can).
std::vector<std::string> Incompatibilities(const TableDef& source,
                                           const TableDef& target) {
  std::vector<std::string> reasons;
  const std::string t = "table " + source.name + ": ";
  if (source.primary_key.empty())
    reasons.push_back(t + "has no primary key (replication needs one)");
  else if (PrimaryKeyNames(source) != PrimaryKeyNames(target))
    reasons.push_back(t + "the primary keys differ");
  for (const ColumnDef& c : target.columns) {
    const ColumnDef* s = source.FindColumn(c.name);
    if (s == nullptr) {
      if (c.not_null && !c.default_value.has_value())
        reasons.push_back(t + "column " + c.name +
                          " is not in the source, NOT NULL and has no "
                          "default");
    } else if (!Widens(s->type, c.type)) {
      reasons.push_back(t + "column " + c.name + " is " + TypeName(c.type) +
                        " in the target, " + TypeName(s->type) +
                        " in the source");
    }
  }
  return reasons;
}

struct Mapping {
  TableDef target;
  std::vector<int> from;  // per target column: the source column, or -1
};

Mapping MakeMapping(const TableDef& source, TableDef target) {
  Mapping m;
  for (const ColumnDef& c : target.columns) {
    int from = -1;
    for (size_t i = 0; i < source.columns.size(); ++i)
      if (FoldName(source.columns[i].name) == FoldName(c.name))
        from = static_cast<int>(i);
    m.from.push_back(from);
  }
  m.target = std::move(target);
  return m;
}

// The target row for a source image: target-only columns from `current`
// (the target's row) if given, else their defaults.
Row MapRow(const Mapping& m, const Row& source, const Row* current) {
  Row row;
  row.reserve(m.from.size());
  for (size_t j = 0; j < m.from.size(); ++j) {
    const ColumnDef& c = m.target.columns[j];
    if (m.from[j] >= 0)
      row.push_back(Convert(source[m.from[j]], c.type));
    else if (current != nullptr)
      row.push_back((*current)[j]);
    else
      row.push_back(c.default_value.value_or(Value::Null()));
  }
  return row;
}

// Whether the target's row holds the source image in every shared column.
bool Matches(const Mapping& m, const Row& source, const Row& target) {
  for (size_t j = 0; j < m.from.size(); ++j)
    if (m.from[j] >= 0 &&
        !(Convert(source[m.from[j]], m.target.columns[j].type) == target[j]))
      return false;
  return true;
}

Row KeyOf(const Mapping& m, const Row& row) {
  Row key;
  for (uint32_t id : m.target.primary_key)
    for (size_t j = 0; j < m.target.columns.size(); ++j)
      if (m.target.columns[j].id == id) key.push_back(row[j]);
  return key;
}

std::vector<std::string> ColumnNames(const TableDef& def) {
  std::vector<std::string> names;
  for (const ColumnDef& c : def.columns) names.push_back(c.name);
  return names;
}

std::string JoinReasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (const std::string& r : reasons) out += (out.empty() ? "" : "; ") + r;
  return out;
}

// ---------------------------------------------------------------- apply

// Applies one schema change of the source to the target, where the target
// still matches the source's state before it.
Status ApplyDdl(Transaction& txn, const BinlogEvent& ev) {
  txn.SetStatement(ev.statement);
  auto has_table = [&](const std::string& name) {
    return txn.GetTable(name).ok();
  };
  switch (ev.ddl) {
    case SchemaChange::Kind::kCreateTable: {
      const TableDef& def = *ev.schema_after;
      if (has_table(def.name)) return Status();
      TableSpec spec{def.name, def.columns, {}};
      for (uint32_t id : def.primary_key)
        spec.primary_key.push_back(def.FindColumnById(id)->name);
      return txn.CreateTable(spec).status();
    }
    case SchemaChange::Kind::kDropTable:
      return has_table(ev.table) ? txn.DropTable(ev.table) : Status();
    case SchemaChange::Kind::kCreateIndex: {
      const TableDef& def = *ev.schema_after;
      const IndexDef* index = def.FindIndex(ev.table);
      if (index == nullptr) return Status::Corruption("no index ", ev.table);
      FORKDB_ASSIGN_OR_RETURN(TableDef target, txn.GetTable(def.name));
      if (target.FindIndex(index->name) != nullptr) return Status();
      std::vector<std::string> columns;
      for (uint32_t id : index->columns)
        columns.push_back(def.FindColumnById(id)->name);
      return txn.CreateIndex(def.name, index->name, columns, index->unique)
          .status();
    }
    case SchemaChange::Kind::kDropIndex: {
      Status s = txn.DropIndex(ev.table);
      return s.IsNotFound() ? Status() : s;
    }
    case SchemaChange::Kind::kRenameTable:
      if (!has_table(ev.schema_before->name)) return Status();
      return txn.RenameTable(ev.schema_before->name, ev.schema_after->name);
    case SchemaChange::Kind::kAlterTable: {
      const TableDef& before = *ev.schema_before;
      const TableDef& after = *ev.schema_after;
      FORKDB_ASSIGN_OR_RETURN(TableDef target, txn.GetTable(after.name));
      for (const ColumnDef& c : before.columns) {
        const ColumnDef* now = after.FindColumnById(c.id);
        if (now == nullptr && target.FindColumn(c.name) != nullptr)
          FORKDB_RETURN_IF_ERROR(txn.DropColumn(after.name, c.name));
        if (now != nullptr && now->name != c.name &&
            target.FindColumn(c.name) != nullptr)
          FORKDB_RETURN_IF_ERROR(
              txn.RenameColumn(after.name, c.name, now->name));
      }
      for (const ColumnDef& c : after.columns) {
        if (before.FindColumnById(c.id) == nullptr &&
            target.FindColumn(c.name) == nullptr)
          FORKDB_RETURN_IF_ERROR(txn.AddColumn(after.name, c).status());
      }
      return Status();
    }
  }
  return Status();
}

struct Applied {
  std::vector<ReplicationConflict> conflicts;
  bool stop = false;  // kStop met a conflict: roll back
};

// Applies one source record's events in `txn`.
Status ApplyRecord(Transaction& txn, const DecodedRecord& rec,
                   ConflictPolicy policy, const std::string& source,
                   const std::string& target, Applied* out) {
  std::map<const TableDef*, Mapping> mappings;
  const std::vector<BinlogEvent>& events = rec.entry.events;
  for (size_t i = 0; i < events.size(); ++i) {
    const BinlogEvent& ev = events[i];
    auto where = [&](const Status& s) {
      return s.WithContext("source seq " + std::to_string(rec.entry.seq) +
                           ", table " + ev.table);
    };
    if (ev.kind == BinlogEvent::Kind::kDdl) {
      if (Status s = ApplyDdl(txn, ev); !s.ok()) return where(s);
      mappings.clear();
      continue;
    }
    const TableDef* source_def = rec.table_defs[i].get();
    auto it = mappings.find(source_def);
    if (it == mappings.end()) {
      Result<TableDef> target_def = txn.GetTable(source_def->name);
      if (!target_def.ok()) return where(target_def.status());
      std::vector<std::string> reasons =
          Incompatibilities(*source_def, *target_def);
      if (!reasons.empty())
        return where(Status::InvalidArgument(JoinReasons(reasons)));
      it = mappings.emplace(source_def, MakeMapping(*source_def, *target_def))
               .first;
    }
    const Mapping& m = it->second;
    const std::string& table = m.target.name;
    const Row& image =
        ev.kind == BinlogEvent::Kind::kInsert ? *ev.after : *ev.before;
    const Row key = KeyOf(m, MapRow(m, image, nullptr));
    FORKDB_ASSIGN_OR_RETURN(std::optional<Row> current, txn.Get(table, key));
    // An update that moves the row: the target's row at the new key, if any,
    // is in the way.
    std::optional<Row> occupant;
    Row new_key;
    if (ev.kind == BinlogEvent::Kind::kUpdate) {
      new_key = KeyOf(m, MapRow(m, *ev.after, nullptr));
      if (!(new_key == key)) {
        FORKDB_ASSIGN_OR_RETURN(occupant, txn.Get(table, new_key));
      }
    }
    std::string kind;
    if (ev.kind == BinlogEvent::Kind::kInsert) {
      if (current.has_value()) kind = "insert/exists";
    } else if (!current.has_value()) {
      kind = ev.kind == BinlogEvent::Kind::kUpdate ? "update/missing"
                                                   : "delete/missing";
    } else if (!Matches(m, *ev.before, *current)) {
      kind = ev.kind == BinlogEvent::Kind::kUpdate ? "update/differs"
                                                   : "delete/differs";
    } else if (occupant.has_value()) {
      kind = "update/exists";
    }
    if (!kind.empty()) {
      ReplicationConflict c;
      c.source = source;
      c.target = target;
      c.source_seq = rec.entry.seq;
      c.gtid = rec.entry.gtid;
      c.table = ev.table;
      c.kind = kind;
      c.resolution = policy == ConflictPolicy::kStop         ? "stopped"
                     : policy == ConflictPolicy::kSourceWins ? "source wins"
                                                             : "target wins";
      c.key = ev.key;
      c.columns = ev.columns;
      c.source_before = ev.before;
      c.source_after = ev.after;
      c.target_columns = ColumnNames(m.target);
      c.target_row = kind == "update/exists" ? occupant : current;
      out->conflicts.push_back(std::move(c));
      if (policy == ConflictPolicy::kStop) {
        out->stop = true;
        return Status();
      }
      if (policy == ConflictPolicy::kTargetWins) continue;
    }
    // No conflict, or the source wins: make the target's row the source's.
    const Row* keep = current.has_value() ? &*current : nullptr;
    Status s;
    switch (ev.kind) {
      case BinlogEvent::Kind::kInsert:
      case BinlogEvent::Kind::kUpdate: {
        Row row = MapRow(m, *ev.after, keep);
        if (current.has_value()) {
          if (occupant.has_value()) s = txn.Delete(table, new_key);
          if (s.ok()) s = txn.Update(table, key, row);
        } else if (occupant.has_value()) {
          s = txn.Update(table, new_key, row);
        } else {
          s = txn.Insert(table, row).status();
        }
        break;
      }
      case BinlogEvent::Kind::kDelete:
        if (current.has_value()) s = txn.Delete(table, key);
        break;
      case BinlogEvent::Kind::kDdl:
        break;
    }
    if (!s.ok()) return where(s);
  }
  return Status();
}

std::string ConflictMessage(const ReplicationConflict& c) {
  std::string key;
  for (const Value& v : c.key) key += (key.empty() ? "" : ", ") + v.ToString();
  return "conflict at source seq " + std::to_string(c.source_seq) + ": " +
         c.kind + " on table " + c.table + " key (" + key + ")";
}

}  // namespace

// ---------------------------------------------------------------- Replicator

namespace {

// One batch of the worker: true if it moved.
Result<bool> Step(Database& db, Database::Rep* rep, Replicator::Worker* w) {
  Result<cow::ForkInfo> src = rep->store->GetFork(w->source_id);
  if (!src.ok()) return Status::NotFound("the source fork was dropped");
  Result<cow::ForkInfo> dst = rep->store->GetFork(w->target_id);
  if (!dst.ok()) return Status::NotFound("the target fork was dropped");
  const uint64_t from = w->applied_seq.load() + 1;
  std::vector<binlog::Record> records;
  FORKDB_RETURN_IF_ERROR(
      WithForkPages(rep, src->name, [&](PageReader* pages) -> Status {
        BinlogTree tree(pages);
        binlog::Log log(&tree);
        FORKDB_ASSIGN_OR_RETURN(binlog::Log::Bounds b, log.GetBounds());
        if (from >= b.next) return Status();
        if (from < b.first)
          return Status::NotFound("the source binlog was purged up to seq ",
                                  b.first - 1, "; seq ", from, " is gone");
        FORKDB_ASSIGN_OR_RETURN(records, log.ReadFrom(from, kBatchRecords));
        return Status();
      }));
  bool moved = false;
  for (const binlog::Record& record : records) {
    if (w->stop.load()) break;
    Result<Transaction> txn = db.Begin(dst->name);
    if (txn.status().IsBusy()) return moved;  // the target is being written
    FORKDB_RETURN_IF_ERROR(txn.status());
    PageWriter* pages = Transaction::Access::Pages(*txn);
    FORKDB_ASSIGN_OR_RETURN(std::optional<State> state,
                            ReadState(pages, w->target_id));
    if (!state.has_value() || !state->running ||
        state->source_id != w->source_id)
      return Status::Aborted("the replication state changed under it");
    Applied applied;
    if (record.gtid.origin != w->target_id) {
      FORKDB_ASSIGN_OR_RETURN(DecodedRecord rec, DecodeEvents(record));
      FORKDB_RETURN_IF_ERROR(
          ApplyRecord(*txn, rec, w->policy, src->name, dst->name, &applied));
    }
    if (applied.stop) {
      txn->Rollback();
      FORKDB_ASSIGN_OR_RETURN(Transaction again, db.Begin(dst->name));
      state->running = false;
      state->conflicts += applied.conflicts.size();
      state->last_error = ConflictMessage(applied.conflicts.back());
      FORKDB_RETURN_IF_ERROR(WriteState(Transaction::Access::Pages(again),
                                        *state, applied.conflicts));
      FORKDB_RETURN_IF_ERROR(again.Commit());
      w->stopped = true;
      return true;
    }
    Transaction::Access::SetOrigin(*txn, record.gtid);
    state->applied_seq = record.seq;
    state->conflicts += applied.conflicts.size();
    FORKDB_RETURN_IF_ERROR(WriteState(pages, *state, applied.conflicts));
    FORKDB_RETURN_IF_ERROR(txn->Commit());
    w->applied_seq = record.seq;
    moved = true;
  }
  return moved;
}

// Records a failure that stopped the worker (best effort: a busy target
// keeps the old state, and the replication resumes on reopen).
void PersistStop(Database& db, Database::Rep* rep, Replicator::Worker* w,
                 const Status& error) {
  Result<cow::ForkInfo> dst = rep->store->GetFork(w->target_id);
  if (!dst.ok()) return;
  for (int attempt = 0; attempt < 20; ++attempt) {
    Result<Transaction> txn = db.Begin(dst->name);
    if (txn.status().IsBusy()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (!txn.ok()) return;
    PageWriter* pages = Transaction::Access::Pages(*txn);
    Result<std::optional<State>> state = ReadState(pages, w->target_id);
    if (!state.ok() || !state->has_value()) return;
    (*state)->running = false;
    (*state)->last_error = error.ToString();
    if (!WriteState(pages, **state, {}).ok()) return;
    txn->Commit().IgnoreError();
    return;
  }
}

}  // namespace

void Replicator::Run(std::weak_ptr<Database::Rep> weak,
                     std::shared_ptr<Worker> w) {
  while (!w->stop.load()) {
    std::shared_ptr<binlog::CommitSignal> signal;
    uint64_t generation = 0;
    bool idle = false;
    {
      std::shared_ptr<Database::Rep> rep = weak.lock();
      if (rep == nullptr) break;
      Database db(rep);
      signal = rep->binlog_signal;
      generation = signal->generation();
      Result<bool> moved = Step(db, rep.get(), w.get());
      if (!moved.ok()) {
        PersistStop(db, rep.get(), w.get(), moved.status());
        w->stopped = true;
      }
      rep->replicator->progress_.Notify();
      idle = moved.ok() && !*moved;
      // The last handle may go at the end of this block: ~Rep then detaches
      // this thread, and the loop reads only `w` and `signal`, which it
      // owns a share of.
    }
    if (w->stopped.load()) break;
    if (idle)
      signal->WaitChange(generation,
                         std::chrono::steady_clock::now() + kIdleWait);
  }
  w->stopped = true;
}

void Replicator::Shutdown() {
  std::map<uint64_t, std::shared_ptr<Worker>> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (auto& [id, w] : workers) w->stop = true;
  std::shared_ptr<Database::Rep> rep = rep_.lock();
  if (rep != nullptr) rep->binlog_signal->Notify();
  rep.reset();
  for (auto& [id, w] : workers) {
    if (!w->thread.joinable()) continue;
    if (w->thread.get_id() == std::this_thread::get_id()) {
      w->thread.detach();
    } else {
      w->thread.join();
    }
  }
}

Status Replicator::Resume() {
  std::shared_ptr<Database::Rep> rep = rep_.lock();
  if (rep == nullptr) return Status::InvalidArgument("database closed");
  std::lock_guard<std::mutex> lock(mu_);
  for (const cow::ForkInfo& fork : rep->store->ListForks()) {
    FORKDB_ASSIGN_OR_RETURN(std::optional<State> state,
                            CommittedState(rep.get(), fork));
    if (!state.has_value() || !state->running) continue;
    auto w = std::make_shared<Worker>();
    w->source_id = state->source_id;
    w->target_id = fork.id;
    w->policy = state->policy;
    w->applied_seq = state->applied_seq;
    workers_[fork.id] = w;
    w->thread = std::thread([weak = rep_, w] { Run(weak, w); });
  }
  return Status();
}

Status Replicator::Start(std::string_view source, std::string_view target,
                         const ReplicationOptions& options) {
  std::shared_ptr<Database::Rep> rep = rep_.lock();
  if (rep == nullptr) return Status::InvalidArgument("database closed");
  Database db(rep);
  std::lock_guard<std::mutex> lock(mu_);
  FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo src, rep->store->GetFork(source));
  FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo dst, rep->store->GetFork(target));
  if (src.id == dst.id)
    return Status::InvalidArgument("cannot replicate fork ", source,
                                   " onto itself");
  if (dst.read_only)
    return Status::InvalidArgument("fork ", target, " is read-only");
  auto running = workers_.find(dst.id);
  if (running != workers_.end()) {
    if (!running->second->stopped.load())
      return Status::InvalidArgument("fork ", target,
                                     " already has a replication; STOP "
                                     "REPLICATION TO ",
                                     target, " first");
    running->second->thread.join();
    workers_.erase(running);
  }
  // Where to start: where a replication from this source stopped, else the
  // furthest point the target's history holds already (where the two
  // histories split, or a position inherited from a replication into one
  // of the target's ancestors).
  FORKDB_ASSIGN_OR_RETURN(std::optional<State> old,
                          CommittedState(rep.get(), dst));
  uint64_t start = 0;
  if (old.has_value() && old->source_id == src.id) {
    start = old->applied_seq;
  } else {
    FORKDB_ASSIGN_OR_RETURN(start, SplitSeq(rep.get(), src.id, dst.id));
    FORKDB_ASSIGN_OR_RETURN(uint64_t inherited,
                            InheritedPosition(rep.get(), dst, src.id));
    start = std::max(start, inherited);
  }
  // Every source table must be appliable to the target, but for those that
  // the records still to apply create.
  FORKDB_ASSIGN_OR_RETURN(std::set<std::string> created,
                          PendingCreates(rep.get(), src.name, start));
  FORKDB_ASSIGN_OR_RETURN(Snapshot src_snap, db.GetSnapshot(source));
  FORKDB_ASSIGN_OR_RETURN(Snapshot dst_snap, db.GetSnapshot(target));
  FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> src_tables,
                          src_snap.ListTables());
  std::vector<std::string> reasons;
  for (const TableDef& t : src_tables) {
    Result<TableDef> target_def = dst_snap.GetTable(t.name);
    if (!target_def.ok()) {
      if (created.count(FoldName(t.name)) == 0)
        reasons.push_back("table " + t.name + ": missing in " + dst.name);
      continue;
    }
    for (std::string& r : Incompatibilities(t, *target_def))
      reasons.push_back(std::move(r));
  }
  if (!reasons.empty())
    return Status::InvalidArgument("cannot replicate ", source, " to ", target,
                                   ": ", JoinReasons(reasons));
  FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin(target));
  PageWriter* pages = Transaction::Access::Pages(txn);
  FORKDB_ASSIGN_OR_RETURN(old, ReadState(pages, dst.id));
  State state;
  state.target_id = dst.id;
  state.source_id = src.id;
  state.policy = options.on_conflict;
  state.running = true;
  if (old.has_value()) state.conflicts = old->conflicts;
  state.applied_seq = start;
  FORKDB_RETURN_IF_ERROR(WriteState(pages, state, {}));
  FORKDB_RETURN_IF_ERROR(txn.Commit());
  auto w = std::make_shared<Worker>();
  w->source_id = src.id;
  w->target_id = dst.id;
  w->policy = options.on_conflict;
  w->applied_seq = state.applied_seq;
  workers_[dst.id] = w;
  w->thread = std::thread([weak = rep_, w] { Run(weak, w); });
  return Status();
}

Status Replicator::Stop(std::string_view target) {
  std::shared_ptr<Database::Rep> rep = rep_.lock();
  if (rep == nullptr) return Status::InvalidArgument("database closed");
  Database db(rep);
  std::lock_guard<std::mutex> lock(mu_);
  FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo dst, rep->store->GetFork(target));
  auto it = workers_.find(dst.id);
  const bool had_worker = it != workers_.end();
  if (!had_worker) {
    // Nothing to stop: answer without a transaction (the fork may be
    // read-only, or about to be dropped).
    FORKDB_ASSIGN_OR_RETURN(std::optional<State> state,
                            CommittedState(rep.get(), dst));
    if (!state.has_value() || !state->running)
      return Status::NotFound("no replication into fork ", target);
  }
  if (had_worker) {
    it->second->stop = true;
    rep->binlog_signal->Notify();
    it->second->thread.join();
    workers_.erase(it);
  }
  FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin(target));
  PageWriter* pages = Transaction::Access::Pages(txn);
  FORKDB_ASSIGN_OR_RETURN(std::optional<State> state, ReadState(pages, dst.id));
  if (!state.has_value() || (!state->running && !had_worker))
    return Status::NotFound("no replication into fork ", target);
  if (!state->running) return Status();
  state->running = false;
  FORKDB_RETURN_IF_ERROR(WriteState(pages, *state, {}));
  return txn.Commit();
}

Result<std::vector<ReplicationStatus>> Replicator::List() {
  std::shared_ptr<Database::Rep> rep = rep_.lock();
  if (rep == nullptr) return Status::InvalidArgument("database closed");
  std::vector<ReplicationStatus> out;
  for (const cow::ForkInfo& fork : rep->store->ListForks()) {
    FORKDB_ASSIGN_OR_RETURN(std::optional<State> state,
                            CommittedState(rep.get(), fork));
    if (!state.has_value()) continue;
    ReplicationStatus s;
    s.target = fork.name;
    Result<cow::ForkInfo> src = rep->store->GetFork(state->source_id);
    s.source = src.ok() ? src->name : "#" + std::to_string(state->source_id);
    s.state = state->running ? "running" : "stopped";
    s.on_conflict = state->policy;
    s.applied_seq = state->applied_seq;
    s.conflicts = state->conflicts;
    s.last_error = state->last_error;
    if (src.ok()) {
      Result<binlog::Log::Bounds> b =
          WithForkPages(rep.get(), src->name, [](PageReader* pages) {
            BinlogTree tree(pages);
            return binlog::Log(&tree).GetBounds();
          });
      if (b.ok()) s.source_seq = b->next - 1;
    }
    s.lag_events =
        s.source_seq > s.applied_seq ? s.source_seq - s.applied_seq : 0;
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<ReplicationConflict>> Replicator::Conflicts(
    std::string_view target) {
  std::shared_ptr<Database::Rep> rep = rep_.lock();
  if (rep == nullptr) return Status::InvalidArgument("database closed");
  std::vector<ReplicationConflict> out;
  std::vector<cow::ForkInfo> forks;
  if (target.empty()) {
    forks = rep->store->ListForks();
  } else {
    FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo f, rep->store->GetFork(target));
    forks.push_back(std::move(f));
  }
  for (const cow::ForkInfo& fork : forks) {
    FORKDB_ASSIGN_OR_RETURN(
        std::vector<ReplicationConflict> found,
        WithForkPages(rep.get(), fork.name, [&](PageReader* pages) {
          return ReadConflicts(pages, fork.id);
        }));
    for (ReplicationConflict& c : found) {
      c.target = fork.name;
      out.push_back(std::move(c));
    }
  }
  return out;
}

Result<bool> Replicator::Wait(std::string_view target,
                              std::chrono::milliseconds timeout) {
  const auto deadline = binlog::DeadlineAfter(timeout);
  std::shared_ptr<Worker> w;
  uint64_t goal = 0;
  {
    std::shared_ptr<Database::Rep> rep = rep_.lock();
    if (rep == nullptr) return Status::InvalidArgument("database closed");
    FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo dst, rep->store->GetFork(target));
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = workers_.find(dst.id);
      if (it == workers_.end())
        return Status::NotFound("no running replication into fork ", target);
      w = it->second;
    }
    Result<cow::ForkInfo> found = rep->store->GetFork(w->source_id);
    if (!found.ok()) return false;  // the source is gone: it will stop
    const cow::ForkInfo& src = *found;
    FORKDB_ASSIGN_OR_RETURN(
        binlog::Log::Bounds b,
        WithForkPages(rep.get(), src.name, [](PageReader* pages) {
          BinlogTree tree(pages);
          return binlog::Log(&tree).GetBounds();
        }));
    goal = b.next - 1;
  }
  for (;;) {
    const uint64_t generation = progress_.generation();
    if (w->applied_seq.load() >= goal) return true;
    if (w->stopped.load()) return false;
    if (!progress_.WaitChange(generation, deadline)) {
      return w->applied_seq.load() >= goal;
    }
  }
}

uint64_t Replicator::MinNeeded(uint64_t source_id) {
  uint64_t need = std::numeric_limits<uint64_t>::max();
  std::shared_ptr<Database::Rep> rep = rep_.lock();
  if (rep == nullptr) return need;
  for (const cow::ForkInfo& fork : rep->store->ListForks()) {
    Result<std::optional<State>> state = CommittedState(rep.get(), fork);
    if (!state.ok() || !state->has_value()) continue;
    if ((*state)->source_id == source_id)
      need = std::min(need, (*state)->applied_seq + 1);
  }
  return need;
}

}  // namespace forkdb::engine
