// The public C++ API of forkdb: a database of forks, each a full database of
// tables that can be written on its own; forks are made in O(1) and share
// every page they have not written (DESIGN.md, "engine").
//
//   auto db = forkdb::engine::Database::Open();        // in memory
//   // or Database::Open("/var/lib/app/db", options);   // durable (RocksDB)
//   auto txn = db->Begin("main");
//   txn->CreateTable({"t",
//                     {Column("id", Type::kInteger), Column("v", Type::kText)},
//                     {"id"}});
//   txn->Insert("t", {Value::Integer(1), Value::Text("one")});
//   txn->Commit();
//   db->CreateFork("test1", "main");                   // O(1)
//
// Every call returns a Status or Result; nothing is thrown across the API.
// Every call is atomic: an error leaves the database and the transaction as
// they were before the call.
//
// Handles. Database, Transaction, Snapshot and Cursor are handles on shared
// state: they may be destroyed in any order (a Transaction outliving its
// Database keeps the store open until it ends). A moved-from handle is empty
// and may only be destroyed or assigned to.
//
// Threads. Database methods may be called from any thread. A Transaction,
// Snapshot or Cursor is used by one thread at a time; different ones may be
// used by different threads. Per fork there is one writer at a time (Begin()
// on a fork with an open transaction is Busy, without waiting) and any number
// of snapshot readers, which never block the writer; forks are written in
// parallel.
//
// Forks. A new database holds one fork, "main". CreateFork() makes a fork of a
// fork's committed state or of a snapshot; it records the parent, the fork
// point (the parent's commit count) and pins a base snapshot, the parent's
// state at the fork point, which is the common ancestor that divergence
// detection uses. Drop rules: a fork with an open transaction cannot be
// dropped (Busy); a fork that has a parent and live children cannot be
// dropped either (its base links them to the rest of the tree: drop the
// children first); a fork with no parent (main) can be, and its children live
// on with their own state and base, their parent shown as dropped. Open
// snapshots of a dropped fork stay readable until released.
#ifndef FORKDB_DATABASE_H_
#define FORKDB_DATABASE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "forkdb/divergence.h"
#include "forkdb/schema.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::engine {

inline constexpr std::string_view kMainFork = "main";

struct Options {
  // Durable databases: fsync every commit (false: a crash may lose the last
  // commits, never corrupt the database).
  bool sync = true;
  // Durable databases: bytes of decoded pages kept in memory.
  size_t cache_bytes = size_t{64} << 20;
  // Page size for a new database (a power of two, 512..65536); an existing
  // one keeps its own.
  uint32_t page_size = 4096;
  // Durable databases: create the database if the path holds none.
  bool create_if_missing = true;
};

struct ForkOptions {
  bool read_only = false;
};

struct ForkInfo {
  std::string name;
  uint64_t id = 0;
  // The fork it was made from; empty for a fork made from nothing (main).
  std::string parent;
  uint64_t parent_id = 0;
  bool parent_dropped = false;
  uint64_t created_unix_us = 0;
  bool read_only = false;
  // Commits that changed this fork (one that wrote nothing does not count).
  uint64_t commit_seq = 0;
  uint64_t fork_point = 0;  // the parent's commit_seq at the fork point
};

// What a fork holds, in pages. `own_pages` is what dropping it would free;
// `shared_pages` are held by other forks or snapshots too.
struct ForkSpace {
  uint64_t own_pages = 0;
  uint64_t shared_pages = 0;
  uint64_t page_size = 0;
};

// One row written by a transaction. `key` is the primary key the row had
// before the change (after it, for an insert; the hidden row id as one INTEGER
// for a table without one; an update that moves the row to a new key has the
// new key in `after`); `before` is absent for an insert, `after` for a
// delete. Images hold every column, in declaration
// order of the table's schema at the time of the change.
struct RowChange {
  enum class Kind { kInsert, kUpdate, kDelete };
  Kind kind = Kind::kInsert;
  std::string table;
  uint32_t table_id = 0;
  Row key;
  std::optional<Row> before;
  std::optional<Row> after;
};

// One schema change. `before`/`after` are the table's definition around the
// change (absent before a create and after a drop). `object` names what
// changed: the table, or the index for index changes.
struct SchemaChange {
  enum class Kind {
    kCreateTable,
    kDropTable,
    kCreateIndex,
    kDropIndex,
    kRenameTable,
    kAlterTable,  // column added, dropped, renamed or retyped
  };
  Kind kind = Kind::kCreateTable;
  std::string object;
  std::optional<TableDef> before;
  std::optional<TableDef> after;
  // The statement that made the change, as Transaction::SetStatement() gave
  // it (the SQL layer gives each statement's text); empty if none was.
  std::string statement;
};

using Change = std::variant<RowChange, SchemaChange>;

// Everything one transaction changed, in the order it happened.
struct ChangeSet {
  std::string fork;
  uint64_t fork_id = 0;
  uint64_t commit_seq = 0;  // the fork's commit count once this commit lands
  std::vector<Change> changes;
  bool empty() const { return changes.empty(); }
};

// ---- The binlog (DESIGN.md, "binlog"): every commit that changes something
// appends one record to its fork's binlog, in the same atomic commit.

// A transaction's global identity: the fork where it first committed (its
// id) and its seq in that fork's binlog. Replication keeps it.
struct Gtid {
  uint64_t origin = 0;
  uint64_t seq = 0;
  friend bool operator==(const Gtid&, const Gtid&) = default;
};

// One event. Row events: `columns` names the values of the images, which
// hold every column of the table as it was then, in declaration order; `key`
// is as in RowChange. DDL events: `ddl`, `statement` and the definitions
// around the change; `table` names the object changed.
struct BinlogEvent {
  enum class Kind { kInsert, kUpdate, kDelete, kDdl };
  Kind kind = Kind::kInsert;
  std::string table;
  uint32_t table_id = 0;
  std::vector<std::string> columns;
  Row key;
  std::optional<Row> before;
  std::optional<Row> after;
  SchemaChange::Kind ddl = SchemaChange::Kind::kCreateTable;
  std::optional<TableDef> schema_before;
  std::optional<TableDef> schema_after;
  std::string statement;
};

// One committed transaction: position `seq` in the fork's binlog.
struct BinlogEntry {
  uint64_t seq = 0;
  Gtid gtid;
  int64_t commit_unix_us = 0;
  std::vector<BinlogEvent> events;
};

// The records a fork's binlog keeps: seq in [first, next). A fork starts
// with its parent's bounds at the fork point.
struct BinlogBounds {
  uint64_t first = 1;
  uint64_t next = 1;
};

// ---- Replication between forks (DESIGN.md, "binlog"): a background
// thread applies a source fork's binlog records onto a target fork.

// What to do with a divergent write: an update or delete whose before image
// differs from the target's row, an update or delete of a missing row, an
// insert of a key the target holds, an update that moves a row onto a key
// the target holds.
enum class ConflictPolicy {
  kStop,        // stop; nothing of that record is applied
  kSourceWins,  // write the source's row image (or delete) over the target's
  kTargetWins,  // keep the target's row; skip the event
};

struct ReplicationOptions {
  ConflictPolicy on_conflict = ConflictPolicy::kStop;
};

// One replication, as SHOW REPLICATION shows it. `applied_seq` is the last
// source record applied (or skipped); `source_seq` the source's last record;
// `lag_events` the source records not applied yet.
struct ReplicationStatus {
  std::string source;
  std::string target;
  std::string state;  // "running", "stopped"
  ConflictPolicy on_conflict = ConflictPolicy::kStop;
  uint64_t applied_seq = 0;
  uint64_t source_seq = 0;
  uint64_t lag_events = 0;
  uint64_t conflicts = 0;
  std::string last_error;
};

// One divergent write met by a replication. `kind` is "insert/exists",
// "update/missing", "update/differs", "update/exists" (the update moves the
// row to a key the target holds), "delete/missing" or "delete/differs";
// `resolution` "stopped", "source wins" or "target wins". The source's images
// name their values by `columns`; the target's row by `target_columns`.
struct ReplicationConflict {
  std::string source;
  std::string target;
  uint64_t source_seq = 0;
  Gtid gtid;
  std::string table;
  std::string kind;
  std::string resolution;
  Row key;
  std::vector<std::string> columns;
  std::optional<Row> source_before;
  std::optional<Row> source_after;
  std::vector<std::string> target_columns;
  std::optional<Row> target_row;
};

class CommitContext;  // engine/commit_hook.h: access to the commit's pages

// Called by Commit() of every transaction that changed something, before its
// pages are published and inside the same atomic commit: whatever the hook
// writes through the context lands with the data or not at all. An error from
// the hook aborts the commit, which then changes nothing and returns it.
using CommitHook =
    std::function<Status(const ChangeSet& changes, CommitContext& context)>;

// Bounds of a scan over primary keys: [lo, hi), either optional; a bound may
// be a prefix of a composite key.
struct ScanRange {
  std::optional<Row> lo;
  std::optional<Row> hi;
  bool reverse = false;
};

// Index entries whose leading columns equal `prefix` and whose next column
// lies between `lo` (inclusive) and `hi` (inclusive if `hi_inclusive`);
// either bound may be absent.
struct IndexRange {
  Row prefix;
  std::optional<Value> lo;
  std::optional<Value> hi;
  bool hi_inclusive = true;
};

class Cursor;
class Replicator;  // engine-internal
class Snapshot;
class Transaction;

class Database {
 public:
  // An in-memory database (no files).
  static Result<Database> Open(const Options& options = {});
  // A durable database at `path` (a directory); an empty path opens an
  // in-memory one. NotFound if there is none and !create_if_missing;
  // Corruption or InvalidArgument if the path holds something else.
  static Result<Database> Open(const std::string& path,
                               const Options& options = {});

  Database() = default;  // empty handle
  bool valid() const { return rep_ != nullptr; }
  bool durable() const;
  uint32_t page_size() const;

  // Forks (the header comment has the rules). Names are 1-64 characters of
  // [A-Za-z0-9_.-]. O(1) in database size; a drop also pays for the pages it
  // frees.
  Result<ForkInfo> CreateFork(std::string_view name, std::string_view from,
                              const ForkOptions& options = {});
  Result<ForkInfo> CreateFork(std::string_view name, const Snapshot& at,
                              const ForkOptions& options = {});
  Status DropFork(std::string_view name);
  Result<ForkInfo> GetFork(std::string_view name) const;
  std::vector<ForkInfo> ListForks() const;  // by id: creation order
  // O(pages the fork owns), cached while nothing is written.
  Result<ForkSpace> Space(std::string_view fork) const;

  // A read-write transaction on the fork: Busy if it has one open,
  // InvalidArgument if it is read-only, NotFound if there is no such fork.
  Result<Transaction> Begin(std::string_view fork);
  // The fork's committed state, O(1); it stays as it is while others write.
  Result<Snapshot> GetSnapshot(std::string_view fork);
  // The fork's base: its parent's state at the fork point. NotFound for a
  // fork without a parent.
  Result<Snapshot> GetBaseSnapshot(std::string_view fork);

  // Replaces the commit hook (none by default; an empty function removes
  // it). Transactions begun after the call use the new hook; those begun
  // before keep what they had.
  void SetCommitHook(CommitHook hook);

  // The binlog of a fork, as committed: its bounds, and up to `max_entries`
  // records from `from_seq` on (NotFound if that seq was purged). Readers
  // work on a snapshot and never block writers. O(log records) per record.
  Result<BinlogBounds> GetBinlogBounds(std::string_view fork);
  Result<std::vector<BinlogEntry>> ReadBinlog(std::string_view fork,
                                              uint64_t from_seq,
                                              size_t max_entries);
  // The tailer's wait: true as soon as the fork's binlog holds record `seq`
  // (next > seq), false after `timeout` without it. NotFound if the fork is
  // dropped meanwhile. Thread-safe.
  Result<bool> WaitForBinlog(std::string_view fork, uint64_t seq,
                             std::chrono::milliseconds timeout);
  // Retention: removes the fork's records below `before` (clamped to the
  // lowest seq a replication from this fork still needs, and to next), from
  // this fork only: forks sharing the records keep theirs. Returns how many
  // went. Busy if the fork has a transaction open. The freed pages go to the
  // fork's free list, which its later writes reuse: the fork's page count
  // does not shrink.
  Result<uint64_t> PurgeBinlog(std::string_view fork, uint64_t before);

  // Starts replicating `source` onto `target` in a background thread: from
  // where a replication between them stopped, else from where their
  // histories split (the fork point). Records that originated in the target
  // (by GTID) are skipped, so two forks may replicate both ways. The target
  // keeps the applied position in its own pages, committed with each applied
  // record, and a durable database resumes running replications on open.
  // The threads run while a handle that Open() gave out (or a copy) exists;
  // the last one stops them before it lets the database go.
  // InvalidArgument, nothing started, if: a fork is missing or the target is
  // read-only; source == target; the target already has a replication; or
  // the schemas are not compatible (the message lists every reason: a
  // source table missing in the target, a column whose type is neither the
  // same nor wider, a target column the source lacks with neither a default
  // nor NULL allowed, different primary keys).
  Status StartReplication(std::string_view source, std::string_view target,
                          const ReplicationOptions& options = {});
  // Stops the replication into `target` and waits for its thread; it keeps
  // its position. NotFound if there is none.
  Status StopReplication(std::string_view target);
  // Every replication recorded in a live fork, running or stopped.
  Result<std::vector<ReplicationStatus>> ListReplications();
  // The conflicts recorded by the replication into `target` (every target's
  // when empty), oldest first.
  Result<std::vector<ReplicationConflict>> ListReplicationConflicts(
      std::string_view target = {});
  // Waits until the replication into `target` has applied every source
  // record committed before the call, or stopped; true if it caught up,
  // false on timeout or stop (the status says why).
  Result<bool> WaitForReplication(std::string_view target,
                                  std::chrono::milliseconds timeout);

  // Divergence (forkdb/divergence.h has the rules). Each call works on
  // snapshots taken at its start, so writers never wait for it, and streams
  // its records to `fn` in order (tables by folded name, then key order;
  // pages ascending) until `fn` returns false. NotFound for a missing fork
  // or table; InvalidArgument for a snapshot of another database or, except
  // for Diff, two sides with no common ancestor.
  Result<MergeBase> FindMergeBase(const CompareSide& a, const CompareSide& b);
  // Rows changed on both sides since the merge base, differently.
  Status Divergence(const CompareSide& a, const CompareSide& b,
                    const DivergenceOptions& options, const DivergentRowFn& fn);
  // Logical pages written on both sides since the merge base.
  Status DivergentPages(const CompareSide& a, const CompareSide& b,
                        const DivergentPageFn& fn);
  // Rows whose current values differ between a and b.
  Status Diff(const CompareSide& a, const CompareSide& b,
              const DiffOptions& options, const DiffRowFn& fn);

  // The integrity check: every page's checksum and reference count, and per
  // fork the catalog, every table's B+tree and index (key order, separators,
  // fill, no orphan pages, index entries equal to rows). Returns the list of
  // problems (empty: healthy). O(database size).
  Result<std::vector<std::string>> Check();

  struct Rep;
  struct OpenToken;  // held by the handles Open() gave out, and their copies

 private:
  friend class Replicator;
  // An internal handle: holds no OpenToken.
  explicit Database(std::shared_ptr<Rep> rep) : rep_(std::move(rep)) {}
  struct Compare;  // divergence.cc: the views behind compared snapshots
  std::shared_ptr<Rep> rep_;
  // When the last handle from Open() goes, the replication threads stop
  // (joined, on that thread) so that the store closes there and then, unless
  // a Transaction, Snapshot or Cursor still holds it.
  std::shared_ptr<OpenToken> token_;
};

// Reads of one consistent state: a snapshot's, or a transaction's own.
// Tables are named case-insensitively. Keys are the primary key's values in
// key column order (the hidden row id as one INTEGER).
class Reader {
 public:
  virtual ~Reader() = default;

  // NotFound for an unknown table; InvalidArgument for a key of the wrong
  // arity. O(height).
  Result<std::optional<Row>> Get(std::string_view table, const Row& key) const;
  // The rows in the range, in key order (reversed if asked).
  Result<Cursor> Scan(std::string_view table,
                      const ScanRange& range = {}) const;
  // The rows whose leading index columns equal `prefix`, in index order.
  Result<std::vector<Row>> IndexLookup(std::string_view table,
                                       std::string_view index,
                                       const Row& prefix) const;
  // The primary keys of those rows (the hidden row id as one INTEGER), in
  // index order. O(height + matches).
  Result<std::vector<Row>> IndexLookupKeys(std::string_view table,
                                           std::string_view index,
                                           const Row& prefix) const;
  // The primary keys of the rows in `range` of the index, in index order.
  // O(height + entries read).
  Result<std::vector<Row>> IndexRangeKeys(std::string_view table,
                                          std::string_view index,
                                          const IndexRange& range) const;
  Result<TableDef> GetTable(std::string_view table) const;
  Result<std::vector<TableDef>> ListTables() const;  // by folded name
  Result<uint64_t> SchemaVersion() const;

  struct View;  // the state a Reader reads

 protected:
  Reader() = default;
  explicit Reader(std::shared_ptr<View> view) : view_(std::move(view)) {}
  Reader(Reader&&) = default;
  Reader& operator=(Reader&&) = default;
  std::shared_ptr<View> view_;
};

class Snapshot final : public Reader {
 public:
  Snapshot() = default;
  Snapshot(Snapshot&&) = default;
  Snapshot& operator=(Snapshot&&) = default;
  bool valid() const { return view_ != nullptr; }
  const std::string& fork() const;
  uint64_t commit_seq() const;  // the fork's commits this state includes
  // True while the fork still exists and nothing was committed to it since
  // this snapshot was taken: a reader may keep using it rather than take a
  // new one (and keep the tables it has already opened). O(1).
  bool IsLatest() const;

 private:
  friend class Database;
  explicit Snapshot(std::shared_ptr<View> view) : Reader(std::move(view)) {}
};

class Transaction final : public Reader {
 public:
  struct Access;  // engine-internal: the replicator's access to the view
  Transaction() = default;
  Transaction(Transaction&&) = default;
  Transaction& operator=(Transaction&&);
  ~Transaction() override;  // rolls back if still open
  bool valid() const { return view_ != nullptr; }
  bool active() const;
  const std::string& fork() const;

  // Rows. Values must be NULL (unless NOT NULL) or of their column's type
  // (an INTEGER goes into a REAL column, 0/1 into a BOOLEAN one); rows list
  // every column in declaration order. InvalidArgument for a type error, a
  // NULL in a NOT NULL column, a duplicate key or a unique index violation.
  // Insert returns the row's key. Update may change the key (the row moves).
  // Update and Delete are NotFound without a row at `key`.
  Result<Row> Insert(std::string_view table, const Row& row);
  Status Update(std::string_view table, const Row& key, const Row& row);
  Status Delete(std::string_view table, const Row& key);

  // Schema. See forkdb/schema.h; CreateIndex fills the index from the rows
  // (InvalidArgument, nothing changed, if a unique index would not hold).
  Result<TableDef> CreateTable(const TableSpec& spec);
  Status DropTable(std::string_view table);
  Result<IndexDef> CreateIndex(std::string_view table, std::string_view index,
                               const std::vector<std::string>& columns,
                               bool unique);
  Status DropIndex(std::string_view index);
  Status RenameTable(std::string_view from, std::string_view to);
  Result<ColumnDef> AddColumn(std::string_view table, const ColumnDef& column);
  Status DropColumn(std::string_view table, std::string_view column);
  Status RenameColumn(std::string_view table, std::string_view from,
                      std::string_view to);

  // Nested savepoints: RollbackToSavepoint undoes everything since the
  // matching Savepoint() and removes it; ReleaseSavepoint keeps the changes.
  // InvalidArgument without an open savepoint.
  Status Savepoint();
  Status RollbackToSavepoint();
  Status ReleaseSavepoint();

  // Text recorded with the schema changes made from now on (the SQL
  // layer's statement text; binlog DDL events carry it). O(size).
  void SetStatement(std::string_view sql);

  // The changes recorded so far (what the commit's binlog record holds).
  const ChangeSet& changes() const;

  // Publishes every change atomically (with the hook's writes); the
  // transaction ends either way, and on error nothing was published.
  Status Commit();
  // Throws every change away; the transaction ends. Idempotent.
  void Rollback();

 private:
  friend class Database;
  friend struct Access;
  explicit Transaction(std::shared_ptr<View> view) : Reader(std::move(view)) {}
};

// The rows of a scan. Valid() is false at the end; a failed Next() leaves
// the cursor invalid with status() set. A transaction's cursor must not be
// used after the transaction writes.
class Cursor {
 public:
  Cursor();
  Cursor(Cursor&&) noexcept;
  Cursor& operator=(Cursor&&) noexcept;
  ~Cursor();

  bool Valid() const;
  const Row& row() const;  // REQUIRES: Valid()
  // The row's primary key (the hidden row id as one INTEGER for a table
  // without one). REQUIRES: Valid().
  Result<Row> key() const;
  Status Next();
  Status status() const;

  struct Rep;

 private:
  friend class Reader;
  explicit Cursor(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace forkdb::engine

#endif  // FORKDB_DATABASE_H_
