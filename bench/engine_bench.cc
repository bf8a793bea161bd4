// Engine benchmarks: the work an application does with a table, through
// forkdb's public API and through the peers it would otherwise use, on the
// same rows: (k INTEGER PRIMARY KEY, v TEXT), keys k = i * kKeyStride for
// i < rows, every v a 100-byte text.
//
//   PointGet/<system>        one read of a random existing key
//   RangeScan100/<system>    100 rows in key order from a random existing key
//   FullScan/<system>        every row in key order
//   Update/<system>          1000 random existing rows rewritten (new text),
//                            one transaction
//   InsertSeq/<system>       1000 new rows after the largest key, one
//                            transaction
//   InsertRandom/<system>    1000 new rows at random places between the
//                            loaded keys, one transaction
//   PointGetAtDepth/forkdb_memory/<depth>  PointGet on the last fork of a
//                            chain of <depth> forks, each made from the one
//                            before with one committed update in it (depth 0:
//                            main); the goal is no cost for depth
//   ForkPerTest/forkdb_memory  one test's database the forkdb way: CreateFork
//                            of a fork of kSeedRows rows, Begin, kTestWrites
//                            updates, Commit, DropFork
//   ReseedPerTest/<system>   the same test the usual way: open an empty
//                            database, load kSeedRows rows, the same updates,
//                            close (forkdb_memory and sqlite_memory)
//
// Systems, and how each is used (the fair way for each, as documented):
//   forkdb_memory   Database::Open(); reads through a Snapshot taken before
//                   the timed loop, writes through a Transaction on main.
//   forkdb_rocksdb  Database::Open(path, {.sync = false}) and its default
//                   64 MiB page cache (over RocksDB's default 8 MiB block
//                   cache): a commit is written to RocksDB's WAL but not
//                   fsynced.
//   sqlite_memory   ":memory:", no mutexes (SQLITE_OPEN_NOMUTEX: one thread
//                   per connection), prepared statements, BEGIN/COMMIT
//                   around each batch.
//   sqlite_file     the same on a file in WAL mode with synchronous=NORMAL
//                   and a 64 MiB page cache: a commit appends to the WAL
//                   without fsync (only checkpoints fsync). SQLite's default
//                   rollback journal fsyncs every commit even at NORMAL,
//                   which no other system here does, so WAL is the mode of
//                   the same durability class.
//   rocksdb         rocksdb::DB with default options, a 64 MiB block cache,
//                   WriteOptions::sync = false, one WriteBatch per batch; the
//                   key is k as 8 big-endian bytes (k >= 0, so byte order is
//                   key order), the value the text. Inserts and updates are
//                   blind Puts (RocksDB has no other kind), where forkdb and
//                   SQLite look the key up to refuse a duplicate or a miss.
//   Durability class of the three durable systems: a process crash loses no
//   committed row; a power loss may lose the last commits, never corrupts.
//
// Every read copies what it found into application memory once: forkdb hands
// out a decoded Row, SQLite's text and RocksDB's value are copied into a
// std::string. Keys come from fixed-seed generators, so every system reads and
// writes the same keys in the same order.
//
// Time is the process's CPU time (MeasureProcessCPUTime: every thread, so
// RocksDB's background work counts), which is what items_per_second divides
// by; the wall clock is reported beside it. CPU time is the measure because
// a shared machine stretches the wall clock of whatever runs beside another
// job; with no fsync per commit, no system here waits on the disk for long
// (a SQLite WAL checkpoint's fsync is the exception, and the wall clock shows
// it).
//
// Set-up is never timed: each system's table is loaded once (kBatchRows rows
// per transaction), then settled (LSM compacted, WAL checkpointed, files
// synced) and warmed (every row read once), and every benchmark of that system
// runs before the next system loads its own. Reads run before writes, so they
// see exactly `rows` rows; inserts run a fixed number of batches per repetition
// (rows / 10), so every system inserts the same keys into a table of the same
// size. The table_rows counter is the table's size when a repetition starts.
#include "bench/engine_bench.h"

#include <benchmark/benchmark.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "forkdb/database.h"
#include "forkdb/schema.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace forkdb::bench {
namespace {

using Clock = std::chrono::steady_clock;
using engine::Row;
using engine::Value;

constexpr uint64_t kBatchRows = 1000;  // rows per write transaction
constexpr size_t kTextBytes = 100;
constexpr size_t kTextCount = 4096;  // distinct texts, used in turn
// Loaded keys are i * kKeyStride, which leaves kKeyStride - 1 free keys after
// each for InsertRandom.
constexpr int64_t kKeyStride = 16;
constexpr uint64_t kScanRows = 100;
constexpr size_t kTestWrites = 10;     // updates per test in *PerTest
constexpr uint64_t kInsertShare = 10;  // an insert repetition adds rows / 10
constexpr uint64_t kCacheBytes = uint64_t{64} << 20;
constexpr std::string_view kTable = "t";

// Seeds of the key generators.
constexpr uint64_t kReadSeed = 1;
constexpr uint64_t kUpdateSeed = 2;
constexpr uint64_t kInsertSeed = 3;
constexpr uint64_t kChainSeed = 4;
constexpr uint64_t kTestSeed = 5;
constexpr uint64_t kTextSeed = 6;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// splitmix64: fast, fixed-seed, the same stream on every machine.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), by multiply-shift (no modulo bias worth measuring).
  uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >>
                                 64);
  }

 private:
  uint64_t state_;
};

int64_t Key(uint64_t i) { return static_cast<int64_t>(i) * kKeyStride; }

// The i-th text (in turn from a pool of kTextCount): 100 random letters.
const std::string& TextAt(uint64_t i) {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> t(kTextCount, std::string(kTextBytes, ' '));
    Random rng(kTextSeed);
    for (std::string& s : t) {
      for (char& c : s) c = static_cast<char>('a' + rng.Uniform(26));
    }
    return t;
  }();
  return texts[i % kTextCount];
}

std::string Name(std::string_view prefix, uint64_t id) {
  std::string name(prefix);
  name += std::to_string(id);
  return name;
}

// Full compaction, so that no background work runs while reads are timed.
Status SettleRocksDB(rocksdb::DB* db) {
  FORKDB_RETURN_IF_ERROR(
      FromRocks(db->Flush(rocksdb::FlushOptions()), "flush"));
  return FromRocks(
      db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr),
      "compact");
}

enum class WriteKind { kInsert, kUpdate };

// One system's table, behind one interface so that every benchmark runs the
// same loop on every system. Not thread-safe; one benchmark thread uses it.
class Engine {
 public:
  virtual ~Engine() = default;

  // Creates the empty table. Called once, first.
  virtual Status Open() = 0;
  // Makes the loaded table steady for timing (compaction, checkpoint, sync).
  virtual Status Settle() { return Status(); }
  // Reads happen between BeginReads() and EndReads(); `fork` is the fork a
  // forkdb system reads (the others have only one database).
  virtual Status BeginReads(std::string_view fork) = 0;
  virtual void EndReads() {}
  // Reads the row at `key` into application memory; NotFound if absent.
  virtual Status Get(int64_t key) = 0;
  // Reads up to `limit` rows (0: all) in key order from `lo` (none: the
  // first) and sets *rows to the number read.
  virtual Status Scan(std::optional<int64_t> lo, uint64_t limit,
                      uint64_t* rows) = 0;
  // Called before a write benchmark's loop: forkdb drops its fork chain, so
  // that main's pages are its own again.
  virtual Status PrepareWrites() { return Status(); }

  // Inserts or updates the rows at `keys`, with the next texts in turn, in
  // one transaction.
  Status Write(WriteKind kind, std::span<const int64_t> keys) {
    Status s = WriteBatch(kind, keys, next_text_);
    next_text_ += keys.size();
    if (s.ok() && kind == WriteKind::kInsert) live_rows_ += keys.size();
    return s;
  }

  // Loads rows 0 .. rows - 1, batch_rows per transaction.
  Status Load(uint64_t rows, uint64_t batch_rows) {
    std::vector<int64_t> keys;
    for (uint64_t first = 0; first < rows; first += batch_rows) {
      keys.clear();
      for (uint64_t i = first; i < std::min(rows, first + batch_rows); ++i)
        keys.push_back(Key(i));
      FORKDB_RETURN_IF_ERROR(Write(WriteKind::kInsert, keys));
    }
    loaded_rows_ = rows;
    slot_used_.assign(rows, 0);
    next_seq_key_ = Key(rows);
    return Status();
  }

  uint64_t loaded_rows() const { return loaded_rows_; }
  uint64_t live_rows() const { return live_rows_; }
  int64_t NextUpdateKey() { return Key(update_rng_.Uniform(loaded_rows_)); }
  int64_t NextSeqKey() { return next_seq_key_++; }
  // A key no row has, between two loaded keys chosen at random.
  int64_t NextRandomNewKey() {
    for (;;) {
      const uint64_t slot = insert_rng_.Uniform(loaded_rows_);
      if (slot_used_[slot] + 1 < kKeyStride)
        return Key(slot) + 1 + slot_used_[slot]++;
    }
  }

 protected:
  virtual Status WriteBatch(WriteKind kind, std::span<const int64_t> keys,
                            uint64_t first_text) = 0;

 private:
  uint64_t loaded_rows_ = 0;
  uint64_t live_rows_ = 0;
  uint64_t next_text_ = 0;
  int64_t next_seq_key_ = 0;
  std::vector<uint8_t> slot_used_;  // keys InsertRandom took after each slot
  Random update_rng_{kUpdateSeed};
  Random insert_rng_{kInsertSeed};
};

class ForkdbEngine final : public Engine {
 public:
  explicit ForkdbEngine(bool durable) : durable_(durable) {}
  ~ForkdbEngine() override {
    // Handles before the database, the database before its directory.
    snapshot_ = engine::Snapshot();
    db_ = engine::Database();
  }

  Status Open() override {
    if (durable_) {
      FORKDB_RETURN_IF_ERROR(dir_.Create());
      path_ = dir_.path() + "/db";
    }
    FORKDB_RETURN_IF_ERROR(Reopen());
    FORKDB_ASSIGN_OR_RETURN(engine::Transaction txn,
                            db_.Begin(engine::kMainFork));
    engine::TableSpec spec;
    spec.name = std::string(kTable);
    spec.columns.resize(2);
    spec.columns[0].name = "k";
    spec.columns[0].type = engine::Type::kInteger;
    spec.columns[1].name = "v";
    spec.columns[1].type = engine::Type::kText;
    spec.primary_key = {"k"};
    FORKDB_RETURN_IF_ERROR(txn.CreateTable(spec).status());
    return txn.Commit();
  }

  // The durable store keeps its rocksdb::DB to itself: close the database,
  // compact its files with RocksDB, reopen it. Only RocksDB's own API
  // touches the files; forkdb sees a database it wrote.
  Status Settle() override {
    if (!durable_) return Status();
    db_ = engine::Database();
    rocksdb::DB* raw = nullptr;
    FORKDB_RETURN_IF_ERROR(
        FromRocks(rocksdb::DB::Open(rocksdb::Options(), path_, &raw), path_));
    std::unique_ptr<rocksdb::DB> db(raw);
    FORKDB_RETURN_IF_ERROR(SettleRocksDB(db.get()));
    FORKDB_RETURN_IF_ERROR(FromRocks(db->Close(), "close"));
    db.reset();
    FORKDB_RETURN_IF_ERROR(Reopen());
    ::sync();
    return Status();
  }

  Status BeginReads(std::string_view fork) override {
    FORKDB_ASSIGN_OR_RETURN(snapshot_, db_.GetSnapshot(fork));
    return Status();
  }
  void EndReads() override { snapshot_ = engine::Snapshot(); }

  Status Get(int64_t key) override {
    key_[0] = Value::Integer(key);
    Result<std::optional<Row>> row = snapshot_.Get(kTable, key_);
    if (!row.ok()) return row.status();
    if (!row->has_value()) return Status::NotFound("key ", key);
    benchmark::DoNotOptimize(row->value().data());
    return Status();
  }

  Status Scan(std::optional<int64_t> lo, uint64_t limit,
              uint64_t* rows) override {
    engine::ScanRange range;
    if (lo.has_value()) range.lo = Row{Value::Integer(*lo)};
    // A local handle: engine::Cursor cannot be default-constructed outside
    // database.cc (its inline default constructor needs Cursor::Rep).
    FORKDB_ASSIGN_OR_RETURN(engine::Cursor cursor,
                            snapshot_.Scan(kTable, range));
    uint64_t n = 0;
    for (; cursor.Valid() && (limit == 0 || n < limit); ++n) {
      benchmark::DoNotOptimize(cursor.row().data());
      FORKDB_RETURN_IF_ERROR(cursor.Next());
    }
    *rows = n;
    return cursor.status();
  }

  // Drops the fork chain, deepest first (a fork with children cannot go).
  Status PrepareWrites() override {
    while (!chain_.empty()) {
      FORKDB_RETURN_IF_ERROR(db_.DropFork(chain_.back()));
      chain_.pop_back();
    }
    return Status();
  }

  // Makes the chain at least `depth` forks long: each made from the one
  // before (the first from main), with one committed update.
  Status ExtendChain(size_t depth) {
    while (chain_.size() < depth) {
      std::string name = Name("depth", chain_.size() + 1);
      std::string from(chain_.empty() ? engine::kMainFork : chain_.back());
      FORKDB_RETURN_IF_ERROR(db_.CreateFork(name, from).status());
      chain_.push_back(name);
      const int64_t key = Key(chain_rng_.Uniform(loaded_rows()));
      FORKDB_RETURN_IF_ERROR(
          WriteOn(name, WriteKind::kUpdate, {&key, 1}, chain_.size()));
    }
    return Status();
  }
  // The fork at `depth` in the chain; main at depth 0.
  std::string_view ChainFork(size_t depth) const {
    return depth == 0 ? engine::kMainFork : chain_[depth - 1];
  }

  engine::Database& db() { return db_; }

  // One transaction on `fork`: Begin, the writes, Commit.
  Status WriteOn(std::string_view fork, WriteKind kind,
                 std::span<const int64_t> keys, uint64_t first_text) {
    FORKDB_ASSIGN_OR_RETURN(engine::Transaction txn, db_.Begin(fork));
    for (size_t i = 0; i < keys.size(); ++i) {
      row_[0] = Value::Integer(keys[i]);
      row_[1] = Value::Text(TextAt(first_text + i));
      if (kind == WriteKind::kInsert) {
        FORKDB_RETURN_IF_ERROR(txn.Insert(kTable, row_).status());
      } else {
        key_[0] = row_[0];
        FORKDB_RETURN_IF_ERROR(txn.Update(kTable, key_, row_));
      }
    }
    return txn.Commit();
  }

 protected:
  Status WriteBatch(WriteKind kind, std::span<const int64_t> keys,
                    uint64_t first_text) override {
    return WriteOn(engine::kMainFork, kind, keys, first_text);
  }

 private:
  Status Reopen() {
    engine::Options options;
    options.sync = false;  // see the file comment: no fsync per commit
    FORKDB_ASSIGN_OR_RETURN(db_, durable_
                                     ? engine::Database::Open(path_, options)
                                     : engine::Database::Open(options));
    return Status();
  }

  const bool durable_;
  ScratchDir dir_;
  std::string path_;
  engine::Database db_;
  engine::Snapshot snapshot_;
  Row key_{Value()};
  Row row_{Value(), Value()};
  std::vector<std::string> chain_;  // chain_[d - 1] is at depth d
  Random chain_rng_{kChainSeed};
};

class SqliteEngine final : public Engine {
 public:
  explicit SqliteEngine(bool file) : file_(file) {}
  ~SqliteEngine() override {
    for (sqlite3_stmt* stmt :
         {begin_, commit_, insert_, update_, get_, scan_from_, scan_all_})
      sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Status Open() override {
    std::string name = ":memory:";
    if (file_) {
      FORKDB_RETURN_IF_ERROR(dir_.Create());
      name = dir_.path() + "/db.sqlite";
    }
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    FORKDB_RETURN_IF_ERROR(FromSqlite(
        db_, sqlite3_open_v2(name.c_str(), &db_, flags, nullptr), name));
    if (file_) {
      FORKDB_RETURN_IF_ERROR(
          Exec("PRAGMA journal_mode = WAL;"
               "PRAGMA synchronous = NORMAL;"
               "PRAGMA cache_size = -65536;"));  // KiB: 64 MiB
    }
    FORKDB_RETURN_IF_ERROR(
        Exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)"));
    FORKDB_RETURN_IF_ERROR(Prepare("BEGIN", &begin_));
    FORKDB_RETURN_IF_ERROR(Prepare("COMMIT", &commit_));
    FORKDB_RETURN_IF_ERROR(Prepare("INSERT INTO t VALUES (?1, ?2)", &insert_));
    FORKDB_RETURN_IF_ERROR(
        Prepare("UPDATE t SET v = ?2 WHERE k = ?1", &update_));
    FORKDB_RETURN_IF_ERROR(Prepare("SELECT k, v FROM t WHERE k = ?1", &get_));
    FORKDB_RETURN_IF_ERROR(
        Prepare("SELECT k, v FROM t WHERE k >= ?1 ORDER BY k", &scan_from_));
    return Prepare("SELECT k, v FROM t ORDER BY k", &scan_all_);
  }

  Status Settle() override {
    if (!file_) return Status();
    FORKDB_RETURN_IF_ERROR(Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    ::sync();
    return Status();
  }

  Status BeginReads(std::string_view) override { return Status(); }

  Status Get(int64_t key) override {
    sqlite3_bind_int64(get_, 1, key);
    const int rc = sqlite3_step(get_);
    if (rc == SQLITE_ROW) CopyRow(get_);
    sqlite3_reset(get_);
    if (rc == SQLITE_DONE) return Status::NotFound("key ", key);
    return FromSqlite(db_, rc, "select");
  }

  Status Scan(std::optional<int64_t> lo, uint64_t limit,
              uint64_t* rows) override {
    sqlite3_stmt* stmt = lo.has_value() ? scan_from_ : scan_all_;
    if (lo.has_value()) sqlite3_bind_int64(stmt, 1, *lo);
    uint64_t n = 0;
    int rc = SQLITE_ROW;
    for (; limit == 0 || n < limit; ++n) {
      rc = sqlite3_step(stmt);
      if (rc != SQLITE_ROW) break;
      CopyRow(stmt);
    }
    sqlite3_reset(stmt);
    *rows = n;
    return FromSqlite(db_, rc, "scan");
  }

 protected:
  Status WriteBatch(WriteKind kind, std::span<const int64_t> keys,
                    uint64_t first_text) override {
    FORKDB_RETURN_IF_ERROR(Step(begin_, "BEGIN"));
    sqlite3_stmt* stmt = kind == WriteKind::kInsert ? insert_ : update_;
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string& text = TextAt(first_text + i);
      sqlite3_bind_int64(stmt, 1, keys[i]);
      sqlite3_bind_text(stmt, 2, text.data(), static_cast<int>(text.size()),
                        SQLITE_STATIC);
      Status s = Step(stmt, "write");
      if (s.ok() && kind == WriteKind::kUpdate && sqlite3_changes(db_) != 1)
        s = Status::NotFound("key ", keys[i]);
      if (!s.ok()) {
        Exec("ROLLBACK").IgnoreError();
        return s;
      }
    }
    return Step(commit_, "COMMIT");
  }

 private:
  void CopyRow(sqlite3_stmt* stmt) {
    benchmark::DoNotOptimize(sqlite3_column_int64(stmt, 0));
    const unsigned char* text = sqlite3_column_text(stmt, 1);
    value_.assign(reinterpret_cast<const char*>(text),
                  static_cast<size_t>(sqlite3_column_bytes(stmt, 1)));
    benchmark::DoNotOptimize(value_.data());
  }

  Status Exec(const char* sql) {
    return FromSqlite(db_, sqlite3_exec(db_, sql, nullptr, nullptr, nullptr),
                      sql);
  }
  Status Prepare(const char* sql, sqlite3_stmt** stmt) {
    return FromSqlite(db_, sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr),
                      sql);
  }
  // Runs a statement that returns no row, and resets it.
  Status Step(sqlite3_stmt* stmt, std::string_view what) {
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return FromSqlite(db_, rc == SQLITE_ROW ? SQLITE_ERROR : rc, what);
  }

  const bool file_;
  ScratchDir dir_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* update_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* scan_from_ = nullptr;
  sqlite3_stmt* scan_all_ = nullptr;
  std::string value_;
};

class RocksdbEngine final : public Engine {
 public:
  ~RocksdbEngine() override {
    if (db_) db_->Close().PermitUncheckedError();
  }

  Status Open() override {
    FORKDB_RETURN_IF_ERROR(dir_.Create());
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(kCacheBytes);
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* raw = nullptr;
    const std::string path = dir_.path() + "/db";
    FORKDB_RETURN_IF_ERROR(
        FromRocks(rocksdb::DB::Open(options, path, &raw), path));
    db_.reset(raw);
    write_options_.sync = false;  // see the file comment
    return Status();
  }

  Status Settle() override {
    FORKDB_RETURN_IF_ERROR(SettleRocksDB(db_.get()));
    ::sync();
    return Status();
  }

  Status BeginReads(std::string_view) override { return Status(); }

  Status Get(int64_t key) override {
    char bytes[8];
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), Encode(key, bytes), &value_);
    if (s.IsNotFound()) return Status::NotFound("key ", key);
    benchmark::DoNotOptimize(value_.data());
    return FromRocks(s, "get");
  }

  Status Scan(std::optional<int64_t> lo, uint64_t limit,
              uint64_t* rows) override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions()));
    char bytes[8];
    if (lo.has_value()) {
      it->Seek(Encode(*lo, bytes));
    } else {
      it->SeekToFirst();
    }
    uint64_t n = 0;
    for (; it->Valid() && (limit == 0 || n < limit); ++n, it->Next()) {
      benchmark::DoNotOptimize(Decode(it->key()));
      value_.assign(it->value().data(), it->value().size());
      benchmark::DoNotOptimize(value_.data());
    }
    *rows = n;
    return FromRocks(it->status(), "scan");
  }

 protected:
  Status WriteBatch(WriteKind, std::span<const int64_t> keys,
                    uint64_t first_text) override {
    rocksdb::WriteBatch batch;
    char bytes[8];
    for (size_t i = 0; i < keys.size(); ++i) {
      FORKDB_RETURN_IF_ERROR(FromRocks(
          batch.Put(Encode(keys[i], bytes), TextAt(first_text + i)), "put"));
    }
    return FromRocks(db_->Write(write_options_, &batch), "write");
  }

 private:
  static rocksdb::Slice Encode(int64_t key, char (&bytes)[8]) {
    const uint64_t k = static_cast<uint64_t>(key);
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(k >> (56 - 8 * i));
    return rocksdb::Slice(bytes, sizeof(bytes));
  }
  static int64_t Decode(const rocksdb::Slice& key) {
    uint64_t k = 0;
    for (size_t i = 0; i < key.size() && i < 8; ++i)
      k = (k << 8) | static_cast<uint8_t>(key[i]);
    return static_cast<int64_t>(k);
  }

  ScratchDir dir_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
  std::string value_;
};

std::unique_ptr<Engine> MakeEngine(std::string_view system) {
  if (system == "forkdb_memory") return std::make_unique<ForkdbEngine>(false);
  if (system == "forkdb_rocksdb") return std::make_unique<ForkdbEngine>(true);
  if (system == "sqlite_memory") return std::make_unique<SqliteEngine>(false);
  if (system == "sqlite_file") return std::make_unique<SqliteEngine>(true);
  return std::make_unique<RocksdbEngine>();
}

// The rows every table gets: set by RegisterEngineBenchmarks().
uint64_t& Rows() {
  static uint64_t rows = kEngineRowsDefault;
  return rows;
}
uint64_t SeedRows() { return std::min(Rows(), kSeedRows); }

// Reads every row once, so that timing starts in a steady state: forkdb
// verifies a block's checksum on its first read only, and every system's
// caches hold what they would after use.
Status Warm(Engine* e) {
  FORKDB_RETURN_IF_ERROR(e->BeginReads(engine::kMainFork));
  uint64_t rows = 0;
  Status s = e->Scan(std::nullopt, 0, &rows);
  e->EndReads();
  return s;
}

// The one live loaded table and what it was loaded for.
struct FixtureCache {
  std::string key;
  std::unique_ptr<Engine> engine;
  Status status;
};
FixtureCache& Cache() {
  static FixtureCache cache;
  return cache;
}

// `system`'s table of `rows` rows, loaded and settled on first use under
// `label`; nullptr (and the benchmark skipped) if loading failed.
Engine* Acquire(benchmark::State& state, std::string_view label,
                std::string_view system, uint64_t rows) {
  std::string key = std::string(label) + " " + std::string(system) + "/";
  key += std::to_string(rows);
  FixtureCache& cache = Cache();
  if (cache.key != key) {
    cache.engine.reset();  // free the previous table before loading
    cache.key = key;
    std::fprintf(stderr, "  setup: loading %s ...\n", key.c_str());
    Clock::time_point start = Clock::now();
    std::unique_ptr<Engine> engine = MakeEngine(system);
    cache.status = engine->Open();
    if (cache.status.ok()) cache.status = engine->Load(rows, kBatchRows);
    const double load_s = Seconds(Clock::now() - start);
    if (cache.status.ok()) cache.status = engine->Settle();
    if (cache.status.ok()) cache.status = Warm(engine.get());
    if (cache.status.ok()) cache.engine = std::move(engine);
    std::fprintf(stderr,
                 "  setup: %s %s: load %.1f s (%.0f rows/s), settle and warm "
                 "%.1f s\n",
                 key.c_str(), cache.status.ok() ? "loaded" : "failed", load_s,
                 static_cast<double>(rows) / load_s,
                 Seconds(Clock::now() - start) - load_s);
  }
  if (!cache.status.ok()) {
    state.SkipWithError(cache.status.ToString().c_str());
    return nullptr;
  }
  return cache.engine.get();
}

Engine* AcquireTable(benchmark::State& state, std::string_view system) {
  return Acquire(state, "table", system, Rows());
}

// Reports `items` and, if `s` failed, skips the benchmark. REQUIRES: outside
// the timed loop.
void Finish(benchmark::State& state, const Status& s, uint64_t items) {
  if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  state.SetItemsProcessed(static_cast<int64_t>(items));
}

// Point gets of random loaded keys on `fork`.
void RunPointGets(benchmark::State& state, Engine* e, std::string_view fork) {
  state.counters["table_rows"] = static_cast<double>(e->live_rows());
  Status s = e->BeginReads(fork);
  if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  Random rng(kReadSeed);
  const uint64_t rows = e->loaded_rows();
  for (auto _ : state) {
    s = e->Get(Key(rng.Uniform(rows)));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  e->EndReads();
  state.SetItemsProcessed(state.iterations());
}

void PointGet(benchmark::State& state, std::string_view system) {
  Engine* e = AcquireTable(state, system);
  if (e != nullptr) RunPointGets(state, e, engine::kMainFork);
}

void PointGetAtDepth(benchmark::State& state, std::string_view system) {
  auto* f = static_cast<ForkdbEngine*>(AcquireTable(state, system));
  if (f == nullptr) return;
  const size_t depth = static_cast<size_t>(state.range(0));
  Status s = f->ExtendChain(depth);  // untimed: before the loop
  if (!s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  RunPointGets(state, f, f->ChainFork(depth));
}

void RangeScan100(benchmark::State& state, std::string_view system) {
  Engine* e = AcquireTable(state, system);
  if (e == nullptr) return;
  state.counters["table_rows"] = static_cast<double>(e->live_rows());
  Status s = e->BeginReads(engine::kMainFork);
  if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  Random rng(kReadSeed);
  const uint64_t starts = e->loaded_rows() - kScanRows + 1;
  uint64_t items = 0;
  for (auto _ : state) {
    uint64_t n = 0;
    s = e->Scan(Key(rng.Uniform(starts)), kScanRows, &n);
    if (s.ok() && n != kScanRows)
      s = Status::Corruption("range scan read ", n, " rows");
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    items += n;
  }
  e->EndReads();
  Finish(state, Status(), items);
}

void FullScan(benchmark::State& state, std::string_view system) {
  Engine* e = AcquireTable(state, system);
  if (e == nullptr) return;
  state.counters["table_rows"] = static_cast<double>(e->live_rows());
  Status s = e->BeginReads(engine::kMainFork);
  if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  uint64_t items = 0;
  for (auto _ : state) {
    uint64_t n = 0;
    s = e->Scan(std::nullopt, 0, &n);
    if (s.ok() && n != e->live_rows())
      s = Status::Corruption("full scan read ", n, " rows of ", e->live_rows());
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    items += n;
  }
  e->EndReads();
  Finish(state, Status(), items);
}

// Write batches of kBatchRows rows at next_key(e) each, one transaction per
// iteration; generating the keys is timed, and costs nanoseconds.
template <typename NextKey>
void RunWrites(benchmark::State& state, std::string_view system, WriteKind kind,
               NextKey next_key) {
  Engine* e = AcquireTable(state, system);
  if (e == nullptr) return;
  state.counters["table_rows"] = static_cast<double>(e->live_rows());
  Status s = e->PrepareWrites();
  if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  std::vector<int64_t> keys(kBatchRows);
  uint64_t items = 0;
  for (auto _ : state) {
    for (int64_t& key : keys) key = next_key(*e);
    s = e->Write(kind, keys);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    items += keys.size();
  }
  Finish(state, Status(), items);
}

void Update(benchmark::State& state, std::string_view system) {
  RunWrites(state, system, WriteKind::kUpdate,
            [](Engine& e) { return e.NextUpdateKey(); });
}

void InsertSeq(benchmark::State& state, std::string_view system) {
  RunWrites(state, system, WriteKind::kInsert,
            [](Engine& e) { return e.NextSeqKey(); });
}

void InsertRandom(benchmark::State& state, std::string_view system) {
  RunWrites(state, system, WriteKind::kInsert,
            [](Engine& e) { return e.NextRandomNewKey(); });
}

// The keys a test updates: kTestWrites random seeded rows.
void NextTestKeys(Random* rng, std::span<int64_t> keys) {
  for (int64_t& key : keys) key = Key(rng->Uniform(SeedRows()));
}

// Timed per test: CreateFork from the seeded main, Begin, the updates,
// Commit, DropFork.
void ForkPerTest(benchmark::State& state, std::string_view system) {
  auto* f =
      static_cast<ForkdbEngine*>(Acquire(state, "seed", system, SeedRows()));
  if (f == nullptr) return;
  Random rng(kTestSeed);
  int64_t keys[kTestWrites];
  uint64_t next_id = 0;
  for (auto _ : state) {
    NextTestKeys(&rng, keys);
    const std::string name = Name("test", next_id++);
    Status s = f->db().CreateFork(name, engine::kMainFork).status();
    if (s.ok()) s = f->WriteOn(name, WriteKind::kUpdate, keys, next_id);
    if (s.ok()) s = f->db().DropFork(name);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.counters["seed_rows"] = static_cast<double>(SeedRows());
  state.SetItemsProcessed(state.iterations());
}

// Timed per test: open an empty database, load the seed rows in one
// transaction (as fast as 1000-row batches for both systems, measured), the
// updates, close.
void ReseedPerTest(benchmark::State& state, std::string_view system) {
  Random rng(kTestSeed);
  int64_t keys[kTestWrites];
  for (auto _ : state) {
    NextTestKeys(&rng, keys);
    std::unique_ptr<Engine> e = MakeEngine(system);
    Status s = e->Open();
    if (s.ok()) s = e->Load(SeedRows(), SeedRows());
    if (s.ok()) s = e->Write(WriteKind::kUpdate, keys);
    e.reset();  // closing is part of a test's cost, as DropFork is
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.counters["seed_rows"] = static_cast<double>(SeedRows());
  state.SetItemsProcessed(state.iterations());
}

constexpr auto& Register = RegisterSystemBenchmark;

}  // namespace

void RegisterEngineBenchmarks(uint64_t rows) {
  Rows() = rows;
  const auto insert_batches = static_cast<benchmark::IterationCount>(
      std::max<uint64_t>(1, rows / kInsertShare / kBatchRows));
  // System-major, reads before writes (see the file comment).
  for (std::string_view system : kEngineSystems) {
    Register("PointGet", system, PointGet);
    if (system == "forkdb_memory") {
      for (int depth : kForkDepths)
        Register("PointGetAtDepth", system, PointGetAtDepth)->Arg(depth);
    }
    Register("RangeScan100", system, RangeScan100);
    Register("FullScan", system, FullScan);
    Register("Update", system, Update);
    Register("InsertSeq", system, InsertSeq)->Iterations(insert_batches);
    Register("InsertRandom", system, InsertRandom)->Iterations(insert_batches);
  }
  Register("ForkPerTest", "forkdb_memory", ForkPerTest);
  Register("ReseedPerTest", "forkdb_memory", ReseedPerTest);
  Register("ReseedPerTest", "sqlite_memory", ReseedPerTest);
}

void ReleaseEngineBenchFixtures() {
  Cache().engine.reset();
  Cache().key.clear();
  RemoveScratchRoot();
}

}  // namespace forkdb::bench
