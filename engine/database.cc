// The public API (forkdb/database.h) over the cow store, the catalog and the
// table layer.
//
// A Database is a shared_ptr to its Rep, which owns the cow::Store; every
// Snapshot, Transaction and Cursor holds a shared_ptr to its View, and every
// View one to the Rep, so handles may go in any order and the store closes
// with the last of them.
//
// A View caches the Table objects it opened (keyed by the name as the caller
// spelled it), because opening one means a catalog lookup. Every schema
// change and every rollback to a savepoint drops the cache and the catalog
// object: a Table holds its TableDef (index roots included), and a rolled
// back schema change would leave it pointing at freed trees.
#include "forkdb/database.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <functional>
#include <unordered_map>
#include <utility>

#include "binlog/log.h"
#include "cow/mutex.h"
#include "cow/store.h"
#include "engine/binlog_tree.h"
#include "engine/btree.h"
#include "engine/catalog.h"
#include "engine/check.h"
#include "engine/commit_hook.h"
#include "engine/database_rep.h"
#include "engine/key_codec.h"
#include "engine/replicator.h"
#include "engine/savepoint.h"
#include "engine/table.h"

namespace forkdb::engine {

Database::Rep::Rep() = default;

Database::Rep::~Rep() {
  if (replicator != nullptr) replicator->Shutdown();
}

Database::OpenToken::~OpenToken() {
  std::shared_ptr<Rep> r = rep.lock();
  if (r != nullptr && r->replicator != nullptr) r->replicator->Shutdown();
}

namespace {

struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    return std::hash<std::string_view>()(s);
  }
};

Status ValidPageSize(uint32_t size) {
  if (size < cow::kBlockSizeMin || size > cow::kBlockSizeMax ||
      !std::has_single_bit(size)) {
    return Status::InvalidArgument(
        "page size ", size, " is not a power of two in [", cow::kBlockSizeMin,
        ", ", cow::kBlockSizeMax, "]");
  }
  return Status();
}

}  // namespace

ForkInfo Database::Rep::Describe(const cow::ForkInfo& info) const {
  ForkInfo out;
  out.name = info.name;
  out.id = info.id;
  out.parent_id = info.parent;
  if (info.parent != cow::kNoFork) {
    Result<cow::ForkInfo> parent = store->GetFork(info.parent);
    if (parent.ok()) {
      out.parent = parent->name;
    } else {
      out.parent_dropped = true;
    }
  }
  out.created_unix_us = info.created_unix_us;
  out.read_only = info.read_only;
  out.commit_seq = info.commit_seq;
  out.fork_point = info.fork_point_seq;
  return out;
}

// ---------------------------------------------------------------- views

struct Reader::View {
  View(std::shared_ptr<Database::Rep> db_rep, std::string fork_name)
      : db(std::move(db_rep)), fork(std::move(fork_name)) {}
  virtual ~View() = default;

  // OK if the view can be read.
  virtual Status Usable() const = 0;
  virtual PageReader* pages() = 0;
  // The catalog, opened on first use.
  virtual Result<Catalog*> catalog() = 0;
  virtual Result<Table> OpenTable(TableDef def) = 0;

  // The table by name, cached. NotFound for an unknown table.
  Result<Table*> FindTable(std::string_view name) {
    FORKDB_RETURN_IF_ERROR(Usable());
    auto it = tables.find(name);
    if (it != tables.end()) return &it->second;
    FORKDB_ASSIGN_OR_RETURN(Catalog * cat, catalog());
    FORKDB_ASSIGN_OR_RETURN(TableDef def, cat->GetTable(name));
    FORKDB_ASSIGN_OR_RETURN(Table table, OpenTable(std::move(def)));
    return &tables.emplace(std::string(name), std::move(table)).first->second;
  }

  std::shared_ptr<Database::Rep> db;  // first: destroyed last
  std::string fork;
  std::unordered_map<std::string, Table, NameHash, std::equal_to<>> tables;
};

namespace {

struct SnapshotView final : Reader::View {
  SnapshotView(std::shared_ptr<Database::Rep> db_rep,
               std::unique_ptr<cow::Snapshot> snapshot)
      : View(std::move(db_rep), ""),
        snap(std::move(snapshot)),
        snap_pages(snap.get(), db->store->block_size()) {}

  Status Usable() const override { return Status(); }
  PageReader* pages() override { return &snap_pages; }
  Result<Catalog*> catalog() override {
    if (!cat.has_value()) {
      FORKDB_ASSIGN_OR_RETURN(Catalog c, Catalog::Open(&snap_pages));
      cat.emplace(std::move(c));
    }
    return &*cat;
  }
  Result<Table> OpenTable(TableDef def) override {
    return Table::Open(static_cast<PageReader*>(&snap_pages), std::move(def));
  }

  std::unique_ptr<cow::Snapshot> snap;
  SnapshotPages snap_pages;
  std::optional<Catalog> cat;
};

struct TransactionView final : Reader::View {
  TransactionView(std::shared_ptr<Database::Rep> db_rep, std::string fork_name,
                  std::unique_ptr<cow::Transaction> transaction,
                  std::shared_ptr<const CommitHook> commit_hook)
      : View(std::move(db_rep), std::move(fork_name)),
        txn(std::move(transaction)),
        txn_pages(txn.get(), db->store->block_size()),
        hook(std::move(commit_hook)) {
    changes.fork = fork;
    changes.fork_id = txn->fork();
  }

  Status Usable() const override {
    if (!active) return Status::InvalidArgument("transaction has ended");
    return Status();
  }
  PageReader* pages() override { return &txn_pages; }
  Result<Catalog*> catalog() override {
    if (!cat.has_value()) {
      // Opening creates the catalog tree on a fresh fork: keep that atomic.
      std::optional<Catalog> opened;
      FORKDB_RETURN_IF_ERROR(InSavepoint(txn.get(), [&]() -> Status {
        FORKDB_ASSIGN_OR_RETURN(Catalog c,
                                Catalog::Open(&txn_pages, txn.get()));
        opened.emplace(std::move(c));
        return Status();
      }));
      cat = std::move(opened);
    }
    return &*cat;
  }
  Result<Table> OpenTable(TableDef def) override {
    FORKDB_ASSIGN_OR_RETURN(Catalog * c, catalog());
    return Table::Open(&txn_pages, txn.get(), c, std::move(def));
  }

  // Forgets every cached Table and the catalog object (see the file
  // comment).
  void Invalidate() {
    tables.clear();
    cat.reset();
    defs.clear();
  }
  void Record(SchemaChange change) {
    changes.changes.push_back(std::move(change));
    change_defs.push_back(nullptr);
  }
  // A row change made through `table`, with the definition it was made
  // under (shared by the changes of one table until the schema changes).
  void Record(RowChange change, const Table& table) {
    std::shared_ptr<const TableDef>& def = defs[table.def().id];
    if (def == nullptr) def = std::make_shared<const TableDef>(table.def());
    changes.changes.push_back(std::move(change));
    change_defs.push_back(def);
  }
  void TrimChanges(size_t n) {
    changes.changes.resize(n);
    change_defs.resize(n);
  }
  void End() {
    active = false;
    Invalidate();
    txn.reset();
  }

  std::unique_ptr<cow::Transaction> txn;
  TransactionPages txn_pages;
  std::optional<Catalog> cat;
  std::shared_ptr<const CommitHook> hook;
  ChangeSet changes;
  std::vector<std::shared_ptr<const TableDef>> change_defs;  // per change
  std::unordered_map<uint32_t, std::shared_ptr<const TableDef>> defs;
  // Set by the replicator: the record keeps the source's GTID.
  std::optional<binlog::Gtid> origin;
  std::string statement;      // SetStatement(): recorded with schema changes
  std::vector<size_t> marks;  // changes recorded at each open savepoint
  bool active = true;
};

TransactionView* AsTxn(const std::shared_ptr<Reader::View>& view) {
  return static_cast<TransactionView*>(view.get());
}

Status EmptyHandle() { return Status::InvalidArgument("empty handle"); }

}  // namespace

SnapshotParts PartsOf(const Reader::View& view) {
  const auto& snapshot = static_cast<const SnapshotView&>(view);
  return SnapshotParts{snapshot.db.get(), snapshot.snap.get()};
}

// ---------------------------------------------------------------- Database

Result<Database> Database::Open(const Options& options) {
  return Open(std::string(), options);
}

Result<Database> Database::Open(const std::string& path,
                                const Options& options) {
  FORKDB_RETURN_IF_ERROR(ValidPageSize(options.page_size));
  auto rep = std::make_shared<Rep>();
  if (path.empty()) {
    FORKDB_ASSIGN_OR_RETURN(rep->store,
                            cow::Store::OpenMemory(options.page_size));
  } else {
    cow::RocksDBOptions ro;
    // An existing database keeps the page size it records; one that records
    // none yet (new, or killed while being created) gets the one asked for.
    ro.block_size = 0;
    ro.new_block_size = options.page_size;
    ro.create_if_missing = options.create_if_missing;
    ro.sync = options.sync;
    ro.cache_bytes = options.cache_bytes;
    FORKDB_ASSIGN_OR_RETURN(rep->store, cow::Store::OpenRocksDB(path, ro));
    rep->durable = true;
  }
  if (rep->store->ListForks().empty()) {
    FORKDB_RETURN_IF_ERROR(
        rep->store->CreateRootFork(kMainFork).status().WithContext(
            "creating fork main"));
  }
  rep->replicator = std::make_unique<Replicator>(rep);
  FORKDB_RETURN_IF_ERROR(
      rep->replicator->Resume().WithContext("resuming replications"));
  Database db(rep);
  db.token_ = std::make_shared<OpenToken>(rep);
  return db;
}

bool Database::durable() const { return rep_ != nullptr && rep_->durable; }

uint32_t Database::page_size() const {
  return rep_ == nullptr ? 0 : rep_->store->block_size();
}

Result<ForkInfo> Database::CreateFork(std::string_view name,
                                      std::string_view from,
                                      const ForkOptions& options) {
  if (rep_ == nullptr) return EmptyHandle();
  MutexLock lock(&rep_->fork_mu);
  FORKDB_ASSIGN_OR_RETURN(
      cow::ForkId id, rep_->store->CreateFork(name, from, options.read_only));
  FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo info, rep_->store->GetFork(id));
  return rep_->Describe(info);
}

Result<ForkInfo> Database::CreateFork(std::string_view name, const Snapshot& at,
                                      const ForkOptions& options) {
  if (rep_ == nullptr || !at.valid()) return EmptyHandle();
  if (at.view_->db != rep_)
    return Status::InvalidArgument("snapshot of another database");
  MutexLock lock(&rep_->fork_mu);
  const auto* view = static_cast<const SnapshotView*>(at.view_.get());
  FORKDB_ASSIGN_OR_RETURN(
      cow::ForkId id, rep_->store->CreateForkFromSnapshot(name, *view->snap,
                                                          options.read_only));
  FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo info, rep_->store->GetFork(id));
  return rep_->Describe(info);
}

Status Database::DropFork(std::string_view name) {
  if (rep_ == nullptr) return EmptyHandle();
  // A replication into the fork ends with it.
  if (Status s = rep_->replicator->Stop(name); !s.ok() && !s.IsNotFound())
    return s;
  MutexLock lock(&rep_->fork_mu);
  FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo info, rep_->store->GetFork(name));
  if (info.parent != cow::kNoFork) {
    std::string children;
    for (const cow::ForkInfo& f : rep_->store->ListForks()) {
      if (f.parent != info.id) continue;
      if (!children.empty()) children += ", ";
      children += f.name;
    }
    if (!children.empty()) {
      return Status::InvalidArgument(
          "fork ", name, " has live children (", children,
          ") whose ancestry runs through its base; drop them first");
    }
  }
  FORKDB_RETURN_IF_ERROR(rep_->store->DropFork(name));
  rep_->binlog_signal->Notify();  // tailers of the fork find it gone
  return Status();
}

Result<ForkInfo> Database::GetFork(std::string_view name) const {
  if (rep_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo info, rep_->store->GetFork(name));
  return rep_->Describe(info);
}

std::vector<ForkInfo> Database::ListForks() const {
  std::vector<ForkInfo> out;
  if (rep_ == nullptr) return out;
  for (const cow::ForkInfo& f : rep_->store->ListForks())
    out.push_back(rep_->Describe(f));
  std::sort(out.begin(), out.end(),
            [](const ForkInfo& a, const ForkInfo& b) { return a.id < b.id; });
  return out;
}

Result<ForkSpace> Database::Space(std::string_view fork) const {
  if (rep_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(cow::SpaceUsage usage, rep_->store->Space(fork));
  ForkSpace out;
  out.own_pages = usage.own_blocks;
  out.shared_pages = usage.shared_blocks;
  out.page_size = rep_->store->block_size();
  return out;
}

Result<Transaction> Database::Begin(std::string_view fork) {
  if (rep_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Transaction> txn,
                          rep_->store->Begin(fork));
  return Transaction(std::make_shared<TransactionView>(
      rep_, std::string(fork), std::move(txn), rep_->current_hook()));
}

Result<Snapshot> Database::GetSnapshot(std::string_view fork) {
  if (rep_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Snapshot> snap,
                          rep_->store->OpenSnapshot(fork));
  auto view = std::make_shared<SnapshotView>(rep_, std::move(snap));
  view->fork = std::string(fork);
  return Snapshot(std::move(view));
}

Result<Snapshot> Database::GetBaseSnapshot(std::string_view fork) {
  if (rep_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Snapshot> snap,
                          rep_->store->OpenBaseSnapshot(fork));
  Result<cow::ForkInfo> owner = rep_->store->GetFork(snap->fork());
  auto view = std::make_shared<SnapshotView>(rep_, std::move(snap));
  if (owner.ok()) view->fork = owner->name;
  return Snapshot(std::move(view));
}

void Database::SetCommitHook(CommitHook hook) {
  if (rep_ == nullptr) return;
  MutexLock lock(&rep_->hook_mu);
  if (hook) {
    rep_->hook = std::make_shared<const CommitHook>(std::move(hook));
  } else {
    rep_->hook.reset();
  }
}

// ---------------------------------------------------------------- binlog

namespace {

// Runs fn(log) over the fork's committed binlog.
template <typename Fn>
auto WithCommittedLog(Database::Rep* rep, std::string_view fork, Fn&& fn)
    -> decltype(fn(std::declval<binlog::Log*>())) {
  FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Snapshot> snap,
                          rep->store->OpenSnapshot(fork));
  SnapshotPages pages(snap.get(), rep->store->block_size());
  BinlogTree tree(&pages);
  binlog::Log log(&tree);
  auto result = fn(&log);
  snap->Release().IgnoreError();
  return result;
}

}  // namespace

Result<BinlogBounds> Database::GetBinlogBounds(std::string_view fork) {
  if (rep_ == nullptr) return EmptyHandle();
  return WithCommittedLog(
      rep_.get(), fork, [](binlog::Log* log) -> Result<BinlogBounds> {
        FORKDB_ASSIGN_OR_RETURN(binlog::Log::Bounds b, log->GetBounds());
        return BinlogBounds{b.first, b.next};
      });
}

Result<std::vector<BinlogEntry>> Database::ReadBinlog(std::string_view fork,
                                                      uint64_t from_seq,
                                                      size_t max_entries) {
  if (rep_ == nullptr) return EmptyHandle();
  return WithCommittedLog(
      rep_.get(), fork,
      [&](binlog::Log* log) -> Result<std::vector<BinlogEntry>> {
        FORKDB_ASSIGN_OR_RETURN(std::vector<binlog::Record> records,
                                log->ReadFrom(from_seq, max_entries));
        std::vector<BinlogEntry> out;
        out.reserve(records.size());
        for (const binlog::Record& r : records) {
          FORKDB_ASSIGN_OR_RETURN(DecodedRecord d, DecodeEvents(r));
          out.push_back(std::move(d.entry));
        }
        return out;
      });
}

Result<bool> Database::WaitForBinlog(std::string_view fork, uint64_t seq,
                                     std::chrono::milliseconds timeout) {
  if (rep_ == nullptr) return EmptyHandle();
  const auto deadline = binlog::DeadlineAfter(timeout);
  for (;;) {
    // Read the generation first: a commit after it wakes the wait below.
    const uint64_t generation = rep_->binlog_signal->generation();
    FORKDB_ASSIGN_OR_RETURN(BinlogBounds bounds, GetBinlogBounds(fork));
    if (bounds.next > seq) return true;
    if (!rep_->binlog_signal->WaitChange(generation, deadline)) return false;
  }
}

Result<uint64_t> Database::PurgeBinlog(std::string_view fork, uint64_t before) {
  if (rep_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo info, rep_->store->GetFork(fork));
  before = std::min(before, rep_->replicator->MinNeeded(info.id));
  FORKDB_ASSIGN_OR_RETURN(Transaction txn, Begin(fork));
  TransactionView* v = AsTxn(txn.view_);
  BinlogTree tree(&v->txn_pages);
  binlog::Log log(&tree);
  FORKDB_ASSIGN_OR_RETURN(uint64_t purged, log.Purge(before));
  if (purged == 0) return purged;
  FORKDB_RETURN_IF_ERROR(v->txn->Commit());
  v->End();
  return purged;
}

Status Database::StartReplication(std::string_view source,
                                  std::string_view target,
                                  const ReplicationOptions& options) {
  if (rep_ == nullptr) return EmptyHandle();
  return rep_->replicator->Start(source, target, options);
}

Status Database::StopReplication(std::string_view target) {
  if (rep_ == nullptr) return EmptyHandle();
  return rep_->replicator->Stop(target);
}

Result<std::vector<ReplicationStatus>> Database::ListReplications() {
  if (rep_ == nullptr) return EmptyHandle();
  return rep_->replicator->List();
}

Result<std::vector<ReplicationConflict>> Database::ListReplicationConflicts(
    std::string_view target) {
  if (rep_ == nullptr) return EmptyHandle();
  return rep_->replicator->Conflicts(target);
}

Result<bool> Database::WaitForReplication(std::string_view target,
                                          std::chrono::milliseconds timeout) {
  if (rep_ == nullptr) return EmptyHandle();
  return rep_->replicator->Wait(target, timeout);
}

Result<std::vector<std::string>> Database::Check() {
  if (rep_ == nullptr) return EmptyHandle();
  std::vector<std::string> problems;
  FORKDB_ASSIGN_OR_RETURN(cow::CheckReport report, rep_->store->Check());
  for (const cow::CheckProblem& p : report.problems)
    problems.push_back(p.message);
  // Damaged blocks would make every fork above them fail the same way.
  if (!problems.empty()) return problems;
  for (const cow::ForkInfo& fork : rep_->store->ListForks())
    FORKDB_RETURN_IF_ERROR(CheckForkTables(rep_->store.get(), fork, &problems));
  return problems;
}

// ---------------------------------------------------------------- Reader

Result<std::optional<Row>> Reader::Get(std::string_view table,
                                       const Row& key) const {
  if (view_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(Table * t, view_->FindTable(table));
  return t->Get(key);
}

struct Cursor::Rep {
  Rep(std::shared_ptr<Reader::View> v, Table t)
      : view(std::move(v)), table(std::move(t)) {}
  std::shared_ptr<Reader::View> view;  // keeps the pages alive
  Table table;                         // the cursor points at it: never moves
  std::unique_ptr<TableCursor> cursor;
  Status status;
};

Result<Cursor> Reader::Scan(std::string_view table,
                            const ScanRange& range) const {
  if (view_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(Table * t, view_->FindTable(table));
  auto rep = std::make_unique<Cursor::Rep>(view_, *t);
  FORKDB_ASSIGN_OR_RETURN(
      rep->cursor, rep->table.Scan(range.lo, range.hi,
                                   range.reverse ? ScanDirection::kBackward
                                                 : ScanDirection::kForward));
  return Cursor(std::move(rep));
}

Result<std::vector<Row>> Reader::IndexLookup(std::string_view table,
                                             std::string_view index,
                                             const Row& prefix) const {
  if (view_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(Table * t, view_->FindTable(table));
  return t->IndexScan(index, prefix);
}

Result<std::vector<Row>> Reader::IndexLookupKeys(std::string_view table,
                                                 std::string_view index,
                                                 const Row& prefix) const {
  if (view_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(Table * t, view_->FindTable(table));
  return t->IndexScanKeys(index, prefix);
}

Result<std::vector<Row>> Reader::IndexRangeKeys(std::string_view table,
                                                std::string_view index,
                                                const IndexRange& range) const {
  if (view_ == nullptr) return EmptyHandle();
  FORKDB_ASSIGN_OR_RETURN(Table * t, view_->FindTable(table));
  return t->IndexRangeKeys(index, range.prefix, range.lo ? &*range.lo : nullptr,
                           range.hi ? &*range.hi : nullptr, range.hi_inclusive);
}

Result<TableDef> Reader::GetTable(std::string_view table) const {
  if (view_ == nullptr) return EmptyHandle();
  FORKDB_RETURN_IF_ERROR(view_->Usable());
  // From the catalog, not a cached Table: its definition does not follow the
  // hidden row id counter.
  FORKDB_ASSIGN_OR_RETURN(Catalog * cat, view_->catalog());
  return cat->GetTable(table);
}

Result<std::vector<TableDef>> Reader::ListTables() const {
  if (view_ == nullptr) return EmptyHandle();
  FORKDB_RETURN_IF_ERROR(view_->Usable());
  FORKDB_ASSIGN_OR_RETURN(Catalog * cat, view_->catalog());
  return cat->ListTables();
}

Result<uint64_t> Reader::SchemaVersion() const {
  if (view_ == nullptr) return EmptyHandle();
  FORKDB_RETURN_IF_ERROR(view_->Usable());
  FORKDB_ASSIGN_OR_RETURN(Catalog * cat, view_->catalog());
  return cat->SchemaVersion();
}

// ---------------------------------------------------------------- Snapshot

const std::string& Snapshot::fork() const { return view_->fork; }

uint64_t Snapshot::commit_seq() const {
  return static_cast<const SnapshotView*>(view_.get())->snap->commit_seq();
}

bool Snapshot::IsLatest() const {
  if (view_ == nullptr) return false;
  const cow::Snapshot& snap =
      *static_cast<const SnapshotView*>(view_.get())->snap;
  Result<uint64_t> seq = view_->db->store->CommitSeq(snap.fork());
  return seq.ok() && *seq == snap.commit_seq();
}

// ---------------------------------------------------------------- Cursor

Cursor::Cursor() = default;
Cursor::Cursor(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&&) noexcept = default;
Cursor::~Cursor() = default;

bool Cursor::Valid() const {
  return rep_ != nullptr && rep_->status.ok() && rep_->cursor->Valid();
}

const Row& Cursor::row() const { return rep_->cursor->row(); }

Result<Row> Cursor::key() const {
  assert(Valid());
  const TableDef& def = rep_->table.def();
  if (rep_->table.has_hidden_row_id()) {
    const Type types[] = {Type::kInteger};
    return DecodeKey(rep_->cursor->key(), types);
  }
  const Row& row = rep_->cursor->row();
  Row key;
  key.reserve(def.primary_key.size());
  for (uint32_t id : def.primary_key) {
    for (size_t i = 0; i < def.columns.size(); ++i) {
      if (def.columns[i].id == id) key.push_back(row[i]);
    }
  }
  assert(key.size() == def.primary_key.size());
  return key;
}

Status Cursor::Next() {
  if (rep_ == nullptr) return EmptyHandle();
  if (!rep_->status.ok()) return rep_->status;
  if (Status s = rep_->view->Usable(); !s.ok()) {
    rep_->status = s;
    return s;
  }
  rep_->status = rep_->cursor->Next();
  return rep_->status;
}

Status Cursor::status() const {
  return rep_ == nullptr ? Status() : rep_->status;
}

// ---------------------------------------------------------------- Transaction

Transaction& Transaction::operator=(Transaction&& other) {
  if (this != &other) {
    Rollback();
    view_ = std::move(other.view_);
  }
  return *this;
}

Transaction::~Transaction() { Rollback(); }

bool Transaction::active() const {
  return view_ != nullptr && AsTxn(view_)->active;
}

const std::string& Transaction::fork() const { return view_->fork; }

namespace {

Status Writable(const std::shared_ptr<Reader::View>& view) {
  if (view == nullptr) return EmptyHandle();
  return view->Usable();
}

}  // namespace

Result<Row> Transaction::Insert(std::string_view table, const Row& row) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  FORKDB_ASSIGN_OR_RETURN(Table * t, v->FindTable(table));
  Row stored;
  FORKDB_ASSIGN_OR_RETURN(Row key, t->Insert(row, &stored));
  v->Record(RowChange{RowChange::Kind::kInsert, t->def().name, t->def().id, key,
                      std::nullopt, std::move(stored)},
            *t);
  return key;
}

Status Transaction::Update(std::string_view table, const Row& key,
                           const Row& row) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  FORKDB_ASSIGN_OR_RETURN(Table * t, v->FindTable(table));
  Row before, after;
  FORKDB_RETURN_IF_ERROR(t->Update(key, row, &before, &after));
  v->Record(RowChange{RowChange::Kind::kUpdate, t->def().name, t->def().id, key,
                      std::move(before), std::move(after)},
            *t);
  return Status();
}

Status Transaction::Delete(std::string_view table, const Row& key) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  FORKDB_ASSIGN_OR_RETURN(Table * t, v->FindTable(table));
  Row before;
  FORKDB_RETURN_IF_ERROR(t->Delete(key, &before));
  v->Record(RowChange{RowChange::Kind::kDelete, t->def().name, t->def().id, key,
                      std::move(before), std::nullopt},
            *t);
  return Status();
}

namespace {

// Runs one schema change `fn(catalog)` atomically, records it (with the
// table's definition before and after, read by `table_of` from the catalog
// around the change) and drops the view's caches, success or not.
template <typename Fn>
Status SchemaStep(TransactionView* v, SchemaChange::Kind kind,
                  std::string object, std::string before_table, Fn&& fn) {
  FORKDB_RETURN_IF_ERROR(v->Usable());
  FORKDB_ASSIGN_OR_RETURN(Catalog * cat, v->catalog());
  SchemaChange change{kind, std::move(object), std::nullopt, std::nullopt,
                      v->statement};
  std::string after_table = before_table;
  Status s = InSavepoint(v->txn.get(), [&]() -> Status {
    if (!before_table.empty()) {
      Result<TableDef> def = cat->GetTable(before_table);
      if (def.ok()) change.before = std::move(*def);
    }
    FORKDB_RETURN_IF_ERROR(fn(cat, &after_table));
    if (!after_table.empty()) {
      Result<TableDef> def = cat->GetTable(after_table);
      if (def.ok()) change.after = std::move(*def);
    }
    return Status();
  });
  v->Invalidate();
  if (!s.ok()) return s;
  v->Record(std::move(change));
  return Status();
}

// The table holding the index, or NotFound.
Result<std::string> TableOfIndex(Catalog* cat, std::string_view index) {
  FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> tables, cat->ListTables());
  for (const TableDef& t : tables)
    if (t.FindIndex(index) != nullptr) return t.name;
  return Status::NotFound("no index named ", index);
}

}  // namespace

Result<TableDef> Transaction::CreateTable(const TableSpec& spec) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TableDef created;
  FORKDB_RETURN_IF_ERROR(
      SchemaStep(AsTxn(view_), SchemaChange::Kind::kCreateTable, spec.name, "",
                 [&](Catalog* cat, std::string* after) -> Status {
                   FORKDB_ASSIGN_OR_RETURN(created, cat->CreateTable(spec));
                   *after = created.name;
                   return Status();
                 }));
  return created;
}

Status Transaction::DropTable(std::string_view table) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  return SchemaStep(AsTxn(view_), SchemaChange::Kind::kDropTable,
                    std::string(table), std::string(table),
                    [&](Catalog* cat, std::string* after) -> Status {
                      after->clear();
                      return cat->DropTable(table);
                    });
}

Result<IndexDef> Transaction::CreateIndex(
    std::string_view table, std::string_view index,
    const std::vector<std::string>& columns, bool unique) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  IndexDef created;
  FORKDB_RETURN_IF_ERROR(SchemaStep(
      v, SchemaChange::Kind::kCreateIndex, std::string(index),
      std::string(table), [&](Catalog* cat, std::string*) -> Status {
        FORKDB_ASSIGN_OR_RETURN(
            created, cat->CreateIndex(table, index, columns, unique));
        FORKDB_ASSIGN_OR_RETURN(TableDef def, cat->GetTable(table));
        def.indexes.pop_back();  // the backfill adds it to the handle
        FORKDB_ASSIGN_OR_RETURN(
            Table t, Table::Open(&v->txn_pages, v->txn.get(), cat, def));
        return t.BackfillIndex(created);
      }));
  return created;
}

Status Transaction::DropIndex(std::string_view index) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  FORKDB_ASSIGN_OR_RETURN(Catalog * cat, v->catalog());
  FORKDB_ASSIGN_OR_RETURN(std::string table, TableOfIndex(cat, index));
  return SchemaStep(
      v, SchemaChange::Kind::kDropIndex, std::string(index), table,
      [&](Catalog* c, std::string*) -> Status { return c->DropIndex(index); });
}

Status Transaction::RenameTable(std::string_view from, std::string_view to) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  return SchemaStep(AsTxn(view_), SchemaChange::Kind::kRenameTable,
                    std::string(from), std::string(from),
                    [&](Catalog* cat, std::string* after) -> Status {
                      *after = std::string(to);
                      return cat->RenameTable(from, to);
                    });
}

Result<ColumnDef> Transaction::AddColumn(std::string_view table,
                                         const ColumnDef& column) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  ColumnDef added;
  FORKDB_RETURN_IF_ERROR(SchemaStep(
      AsTxn(view_), SchemaChange::Kind::kAlterTable, std::string(table),
      std::string(table), [&](Catalog* cat, std::string*) -> Status {
        FORKDB_ASSIGN_OR_RETURN(added, cat->AddColumn(table, column));
        return Status();
      }));
  return added;
}

Status Transaction::DropColumn(std::string_view table,
                               std::string_view column) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  return SchemaStep(AsTxn(view_), SchemaChange::Kind::kAlterTable,
                    std::string(table), std::string(table),
                    [&](Catalog* cat, std::string*) -> Status {
                      return cat->DropColumn(table, column);
                    });
}

Status Transaction::RenameColumn(std::string_view table, std::string_view from,
                                 std::string_view to) {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  return SchemaStep(AsTxn(view_), SchemaChange::Kind::kAlterTable,
                    std::string(table), std::string(table),
                    [&](Catalog* cat, std::string*) -> Status {
                      return cat->RenameColumn(table, from, to);
                    });
}

Status Transaction::Savepoint() {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  FORKDB_RETURN_IF_ERROR(v->txn->Savepoint());
  v->marks.push_back(v->changes.changes.size());
  return Status();
}

Status Transaction::RollbackToSavepoint() {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  if (v->marks.empty()) return Status::InvalidArgument("no open savepoint");
  FORKDB_RETURN_IF_ERROR(v->txn->RollbackToSavepoint());
  v->TrimChanges(v->marks.back());
  v->marks.pop_back();
  v->Invalidate();
  return Status();
}

Status Transaction::ReleaseSavepoint() {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  if (v->marks.empty()) return Status::InvalidArgument("no open savepoint");
  FORKDB_RETURN_IF_ERROR(v->txn->ReleaseSavepoint());
  v->marks.pop_back();
  return Status();
}

void Transaction::SetStatement(std::string_view sql) {
  if (view_ != nullptr) AsTxn(view_)->statement = std::string(sql);
}

const ChangeSet& Transaction::changes() const {
  static const ChangeSet kNone;
  return view_ == nullptr ? kNone : AsTxn(view_)->changes;
}

namespace {

// Appends the transaction's record to its fork's binlog, in its pages.
Status WriteBinlog(TransactionView* v) {
  binlog::Record record;
  record.gtid = v->origin.value_or(binlog::Gtid{v->txn->fork(), 0});
  record.commit_unix_us =
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count();
  record.events = BuildEvents(v->changes.changes, v->change_defs);
  BinlogTree tree(&v->txn_pages);
  binlog::Log log(&tree);
  return log.Append(&record);
}

}  // namespace

Status Transaction::Commit() {
  FORKDB_RETURN_IF_ERROR(Writable(view_));
  TransactionView* v = AsTxn(view_);
  const bool changed = !v->changes.empty();
  if (changed) {
    Result<cow::ForkInfo> info = v->db->store->GetFork(v->changes.fork_id);
    if (!info.ok()) {
      v->End();
      return info.status().WithContext("commit");
    }
    v->changes.commit_seq = info->commit_seq + 1;
    if (Status s = WriteBinlog(v); !s.ok()) {
      v->End();
      return s.WithContext("commit: binlog");
    }
    if (v->hook != nullptr) {
      CommitContext context(v->txn.get(), &v->txn_pages);
      Status s = (*v->hook)(v->changes, context);
      if (!s.ok()) {
        v->End();
        return s.WithContext("commit hook");
      }
    }
  }
  Status s = v->txn->Commit();
  v->End();
  if (s.ok() && changed) v->db->binlog_signal->Notify();
  return s;
}

void Transaction::Access::SetOrigin(Transaction& txn,
                                    const binlog::Gtid& gtid) {
  AsTxn(txn.view_)->origin = gtid;
}

PageWriter* Transaction::Access::Pages(Transaction& txn) {
  return &AsTxn(txn.view_)->txn_pages;
}

void Transaction::Rollback() {
  if (view_ == nullptr) return;
  TransactionView* v = AsTxn(view_);
  if (v->active) v->End();  // destroying the cow transaction aborts it
}

}  // namespace forkdb::engine
