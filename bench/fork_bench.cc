// Fork cost: what it takes to get a writable, isolated copy of a database, for
// forkdb and for its peers, on the same amount of incompressible data.
//
//   Fork/<system>/<bytes>    one fork or copy of a database of <bytes>
//     forkdb_memory          cow::Store::CreateFork on the in-memory backend
//     forkdb_rocksdb         the same on RocksDB with sync on: a durable fork
//     sqlite_backup_memory   SQLite online backup, :memory: to :memory:
//     sqlite_backup_file     SQLite online backup, file to a new file (fsyncs)
//     rocksdb_checkpoint     rocksdb::Checkpoint into a new directory (fsyncs)
//     memcpy                 the bytes copied into a ready buffer: the floor of
//                            any in-memory copy
//     cp                     the file copied by the kernel (no fsync): the
//                            floor of any file copy
//   FirstWrite/forkdb_*/<bytes>  the first one-page write and commit in a new
//                            fork; counters blocks_copied (blocks the write
//                            shadowed or allocated; the goal is height + 1) and
//                            height (page-map levels)
//   IdleForks/forkdb_memory/268435456  10,000 forks of a 256 MiB database;
//                            counters total_bytes (RSS growth), bytes_per_fork,
//                            heap_bytes (malloc's in-use growth, which RSS can
//                            hide when freed memory is reused) and
//                            store_block_bytes (block bytes the store added)
//
// Each database is filled once per size, outside any timing, and shared by
// every repetition. Only one is alive at a time: a 1 GiB database of one
// system is closed before the next system fills its own. Disk-based fixtures
// are compacted and sync()ed after filling, so that no measured fsync pays for
// the fill's write-back. Times are manual: the wall clock of the measured
// operation only; dropping forks and deleting copies happen between the timed
// sections.
#include "bench/fork_bench.h"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <malloc.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "bench/bench_util.h"
#include "cow/memory_block_store.h"
#include "cow/store.h"

namespace forkdb::bench {

bool QuickModeFromEnv() {
  const char* env = std::getenv("FORKDB_BENCH_QUICK");
  return env != nullptr && *env != '\0' && std::string_view(env) != "0";
}

std::vector<uint64_t> ForkBenchSizes(bool quick) {
  std::vector<uint64_t> sizes = {kMiB, 16 * kMiB, 256 * kMiB};
  if (!quick) sizes.push_back(kGiB);
  return sizes;
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kPageBytes = cow::kBlockSizeDefault;
// Rows per SQLite page and values per RocksDB key are sized so that each
// system's database holds about <bytes> bytes: a 4000-byte blob fills one 4 KiB
// SQLite leaf page (at most 4061 payload bytes stay local).
constexpr uint32_t kSqliteBlobBytes = 4000;
constexpr uint64_t kFillBatch = 1024;  // pages, rows or keys per commit

// A fork name or path: prefix followed by id.
std::string Name(std::string_view prefix, uint64_t id) {
  std::string name(prefix);
  name += std::to_string(id);
  return name;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Runs `op` once and reports its wall-clock time as this iteration's time.
template <typename Op>
Status TimeOnce(benchmark::State& state, Op op) {
  Clock::time_point start = Clock::now();
  Status s = op();
  state.SetIterationTime(Seconds(Clock::now() - start));
  return s;
}

// Incompressible bytes (splitmix64), so that no system gains by compression.
void FillRandom(char* out, size_t size_bytes, uint64_t* state) {
  for (size_t i = 0; i < size_bytes; i += 8) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    std::memcpy(out + i, &z, std::min<size_t>(8, size_bytes - i));
  }
}

// Removes a copy between timed sections; a failure fails the benchmark.
Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IOError("removing '", path, "': ", ec.message());
  return Status();
}

// Full compaction, so that no background work runs while forks are timed.
Status SettleRocksDB(rocksdb::DB* db) {
  FORKDB_RETURN_IF_ERROR(
      FromRocks(db->Flush(rocksdb::FlushOptions()), "flush"));
  return FromRocks(
      db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr),
      "compact");
}

// One system's database of one size, filled once.
class Fixture {
 public:
  virtual ~Fixture() = default;
  virtual Status Fill(std::string_view system, uint64_t bytes) = 0;
  uint64_t next_id = 0;  // names copies and forks uniquely
};

class ForkdbFixture final : public Fixture {
 public:
  ~ForkdbFixture() override { store_.reset(); }  // before dir_ goes

  Status Fill(std::string_view system, uint64_t bytes) override {
    const bool durable = system == "forkdb_rocksdb";
    cow::RocksDBOptions options;
    options.sync = true;  // a durable fork: every state change is fsynced
    if (durable) {
      FORKDB_RETURN_IF_ERROR(dir_.Create());
      path_ = dir_.path() + "/db";
    }
    FORKDB_RETURN_IF_ERROR(Open(durable, options));
    FORKDB_RETURN_IF_ERROR(store_->CreateRootFork("main").status());
    pages_ = bytes / kPageBytes;
    std::string page(kPageBytes, '\0');
    uint64_t seed = 1;
    for (uint64_t first = 0; first < pages_; first += kFillBatch) {
      FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Transaction> txn,
                              store_->Begin("main"));
      for (uint64_t p = first; p < std::min(pages_, first + kFillBatch); ++p) {
        FillRandom(page.data(), page.size(), &seed);
        FORKDB_RETURN_IF_ERROR(txn->WritePage(p, page));
      }
      FORKDB_RETURN_IF_ERROR(txn->Commit());
    }
    if (durable) {
      // The store keeps its rocksdb::DB to itself: close it, compact the
      // files, reopen.
      store_.reset();
      rocksdb::DB* raw = nullptr;
      FORKDB_RETURN_IF_ERROR(
          FromRocks(rocksdb::DB::Open(rocksdb::Options(), path_, &raw), path_));
      std::unique_ptr<rocksdb::DB> db(raw);
      FORKDB_RETURN_IF_ERROR(SettleRocksDB(db.get()));
      FORKDB_RETURN_IF_ERROR(FromRocks(db->Close(), "close"));
      db.reset();
      FORKDB_RETURN_IF_ERROR(Open(durable, options));
      ::sync();
    }
    FORKDB_ASSIGN_OR_RETURN(cow::ForkInfo main, store_->GetFork("main"));
    height_ = main.root.height;
    return Status();
  }

  cow::Store& store() { return *store_; }
  uint64_t pages() const { return pages_; }
  uint32_t height() const { return height_; }

 private:
  Status Open(bool durable, const cow::RocksDBOptions& options) {
    FORKDB_ASSIGN_OR_RETURN(store_,
                            durable ? cow::Store::OpenRocksDB(path_, options)
                                    : cow::Store::OpenMemory());
    return Status();
  }

  ScratchDir dir_;
  std::string path_;
  std::unique_ptr<cow::Store> store_;
  uint64_t pages_ = 0;
  uint32_t height_ = 0;
};

class SqliteFixture final : public Fixture {
 public:
  ~SqliteFixture() override { sqlite3_close(db_); }

  Status Fill(std::string_view system, uint64_t bytes) override {
    file_ = system == "sqlite_backup_file";
    std::string name = ":memory:";
    if (file_) {
      FORKDB_RETURN_IF_ERROR(dir_.Create());
      name = dir_.path() + "/source.db";
    }
    FORKDB_RETURN_IF_ERROR(
        FromSqlite(nullptr, sqlite3_open(name.c_str(), &db_), "open " + name));
    FORKDB_RETURN_IF_ERROR(
        Exec("PRAGMA page_size = 4096;"
             "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL);"));
    sqlite3_stmt* insert = nullptr;
    FORKDB_RETURN_IF_ERROR(
        FromSqlite(db_,
                   sqlite3_prepare_v2(db_, "INSERT INTO t VALUES (?, ?)", -1,
                                      &insert, nullptr),
                   "prepare"));
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> finalize(
        insert, sqlite3_finalize);
    std::string blob(kSqliteBlobBytes, '\0');
    uint64_t seed = 1;
    const uint64_t rows = bytes / kPageBytes;
    for (uint64_t first = 0; first < rows; first += kFillBatch) {
      FORKDB_RETURN_IF_ERROR(Exec("BEGIN"));
      for (uint64_t row = first; row < std::min(rows, first + kFillBatch);
           ++row) {
        FillRandom(blob.data(), blob.size(), &seed);
        sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(row));
        sqlite3_bind_blob(insert, 2, blob.data(), static_cast<int>(blob.size()),
                          SQLITE_STATIC);
        FORKDB_RETURN_IF_ERROR(FromSqlite(db_, sqlite3_step(insert), "insert"));
        sqlite3_reset(insert);
      }
      FORKDB_RETURN_IF_ERROR(Exec("COMMIT"));
    }
    if (file_) ::sync();
    return Status();
  }

  // Copies the whole database into `dest_name` (":memory:" or a new file) with
  // the online backup API; the copy is left open in *dest for the caller to
  // close outside the timing.
  Status Backup(const std::string& dest_name, sqlite3** dest) {
    int rc = sqlite3_open(dest_name.c_str(), dest);
    FORKDB_RETURN_IF_ERROR(FromSqlite(*dest, rc, "open " + dest_name));
    sqlite3_backup* backup = sqlite3_backup_init(*dest, "main", db_, "main");
    if (backup == nullptr)
      return FromSqlite(*dest, sqlite3_errcode(*dest), "backup_init");
    rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    return FromSqlite(*dest, rc, "backup_step");
  }

  bool file() const { return file_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  Status Exec(const char* sql) {
    return FromSqlite(db_, sqlite3_exec(db_, sql, nullptr, nullptr, nullptr),
                      sql);
  }

  ScratchDir dir_;
  sqlite3* db_ = nullptr;
  bool file_ = false;
};

class RocksdbFixture final : public Fixture {
 public:
  ~RocksdbFixture() override {
    checkpoint_.reset();
    if (db_) db_->Close().PermitUncheckedError();
  }

  Status Fill(std::string_view, uint64_t bytes) override {
    FORKDB_RETURN_IF_ERROR(dir_.Create());
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    const std::string path = dir_.path() + "/db";
    FORKDB_RETURN_IF_ERROR(
        FromRocks(rocksdb::DB::Open(options, path, &raw), path));
    db_.reset(raw);
    std::string value(kPageBytes, '\0');
    uint64_t seed = 1;
    const uint64_t keys = bytes / kPageBytes;
    for (uint64_t first = 0; first < keys; first += kFillBatch) {
      rocksdb::WriteBatch batch;
      for (uint64_t k = first; k < std::min(keys, first + kFillBatch); ++k) {
        FillRandom(value.data(), value.size(), &seed);
        char key[8];
        for (int i = 0; i < 8; ++i)
          key[i] = static_cast<char>(k >> (56 - 8 * i));
        FORKDB_RETURN_IF_ERROR(FromRocks(
            batch.Put(rocksdb::Slice(key, sizeof(key)), value), "put"));
      }
      FORKDB_RETURN_IF_ERROR(
          FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "write"));
    }
    FORKDB_RETURN_IF_ERROR(SettleRocksDB(db_.get()));
    rocksdb::Checkpoint* checkpoint = nullptr;
    FORKDB_RETURN_IF_ERROR(FromRocks(
        rocksdb::Checkpoint::Create(db_.get(), &checkpoint), "checkpoint"));
    checkpoint_.reset(checkpoint);
    ::sync();
    return Status();
  }

  Status Checkpoint(const std::string& dir) {
    return FromRocks(checkpoint_->CreateCheckpoint(dir), "checkpoint " + dir);
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  ScratchDir dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<rocksdb::Checkpoint> checkpoint_;
};

class MemcpyFixture final : public Fixture {
 public:
  Status Fill(std::string_view, uint64_t bytes) override {
    size_ = bytes;
    source_.reset(new char[bytes]);
    copy_.reset(new char[bytes]);
    uint64_t seed = 1;
    FillRandom(source_.get(), bytes, &seed);
    // Touch the destination so the copy measures bytes moved, not page faults.
    std::memset(copy_.get(), 0, bytes);
    return Status();
  }
  void Copy() {
    std::memcpy(copy_.get(), source_.get(), size_);
    benchmark::DoNotOptimize(copy_.get());
    benchmark::ClobberMemory();
  }

 private:
  uint64_t size_ = 0;
  std::unique_ptr<char[]> source_;
  std::unique_ptr<char[]> copy_;
};

class CpFixture final : public Fixture {
 public:
  Status Fill(std::string_view, uint64_t bytes) override {
    FORKDB_RETURN_IF_ERROR(dir_.Create());
    source_ = dir_.path() + "/source";
    int fd = ::open(source_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return Status::IOError("create ", source_, ": ", errno);
    std::string chunk(kMiB, '\0');
    uint64_t seed = 1;
    Status s;
    for (uint64_t done = 0; s.ok() && done < bytes; done += chunk.size()) {
      FillRandom(chunk.data(), chunk.size(), &seed);
      size_t n = std::min<uint64_t>(chunk.size(), bytes - done);
      if (::write(fd, chunk.data(), n) != static_cast<ssize_t>(n))
        s = Status::IOError("write ", source_, ": ", errno);
    }
    if (s.ok() && ::fsync(fd) != 0)
      s = Status::IOError("fsync ", source_, ": ", errno);
    ::close(fd);
    ::sync();
    return s;
  }
  Status Copy(const std::string& to) {
    std::error_code ec;
    std::filesystem::copy_file(source_, to, ec);
    if (ec) return Status::IOError("copy to ", to, ": ", ec.message());
    return Status();
  }
  const std::string& dir() const { return dir_.path(); }

 private:
  ScratchDir dir_;
  std::string source_;
};

// The one live fixture and the system/size it was filled for.
struct FixtureCache {
  std::string key;
  std::unique_ptr<Fixture> fixture;
  Status status;
};
FixtureCache& Cache() {
  static FixtureCache cache;
  return cache;
}

// The fixture for this benchmark's system and size (state.range(0)), filled on
// first use; nullptr (and the benchmark skipped) if filling failed.
template <typename T>
T* Acquire(benchmark::State& state, std::string_view system) {
  const uint64_t bytes = static_cast<uint64_t>(state.range(0));
  const std::string key = Name(std::string(system) + "/", bytes);
  FixtureCache& cache = Cache();
  if (cache.key != key) {
    cache.fixture.reset();  // free the previous database before filling
    cache.key = key;
    std::fprintf(stderr, "  setup: filling %s ...\n", key.c_str());
    Clock::time_point start = Clock::now();
    auto fixture = std::make_unique<T>();
    cache.status = fixture->Fill(system, bytes);
    if (cache.status.ok()) cache.fixture = std::move(fixture);
    std::fprintf(stderr, "  setup: %s %s in %.1f s\n", key.c_str(),
                 cache.status.ok() ? "filled" : "failed",
                 Seconds(Clock::now() - start));
  }
  if (!cache.status.ok()) {
    state.SkipWithError(cache.status.ToString().c_str());
    return nullptr;
  }
  return static_cast<T*>(cache.fixture.get());
}

// Runs the loop. Each iteration names a fresh target (a fork name, a path),
// times op(fixture, target) alone, then runs cleanup(fixture, target) untimed.
template <typename T, typename Target, typename Op, typename Cleanup>
void RunTimed(benchmark::State& state, std::string_view system, Target target,
              Op op, Cleanup cleanup) {
  T* f = Acquire<T>(state, system);
  if (f == nullptr) return;
  for (auto _ : state) {
    const std::string name = target(*f, f->next_id++);
    Status s = TimeOnce(state, [&] { return op(*f, name); });
    if (s.ok()) s = cleanup(*f, name);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
}

void ForkForkdb(benchmark::State& state, std::string_view system) {
  RunTimed<ForkdbFixture>(
      state, system, [](ForkdbFixture&, uint64_t id) { return Name("f", id); },
      [](ForkdbFixture& f, const std::string& name) {
        return f.store().CreateFork(name, "main").status();
      },
      [](ForkdbFixture& f, const std::string& name) {
        return f.store().DropFork(name);
      });
}

void ForkSqlite(benchmark::State& state, std::string_view system) {
  sqlite3* copy = nullptr;
  RunTimed<SqliteFixture>(
      state, system,
      [](SqliteFixture& f, uint64_t id) -> std::string {
        return f.file() ? Name(f.dir() + "/copy", id) : ":memory:";
      },
      [&](SqliteFixture& f, const std::string& name) {
        return f.Backup(name, &copy);
      },
      [&](SqliteFixture& f, const std::string& name) {
        sqlite3_close(copy);
        copy = nullptr;
        return f.file() ? RemoveAll(name) : Status();
      });
  sqlite3_close(copy);  // left open if the loop stopped on an error
}

void ForkRocksdbCheckpoint(benchmark::State& state, std::string_view system) {
  RunTimed<RocksdbFixture>(
      state, system,
      [](RocksdbFixture& f, uint64_t id) {
        return Name(f.dir() + "/checkpoint", id);
      },
      [](RocksdbFixture& f, const std::string& dir) {
        return f.Checkpoint(dir);
      },
      [](RocksdbFixture&, const std::string& dir) { return RemoveAll(dir); });
}

void ForkMemcpy(benchmark::State& state, std::string_view system) {
  RunTimed<MemcpyFixture>(
      state, system, [](MemcpyFixture&, uint64_t) { return std::string(); },
      [](MemcpyFixture& f, const std::string&) {
        f.Copy();
        return Status();
      },
      [](MemcpyFixture&, const std::string&) { return Status(); });
}

void ForkCp(benchmark::State& state, std::string_view system) {
  RunTimed<CpFixture>(
      state, system,
      [](CpFixture& f, uint64_t id) { return Name(f.dir() + "/copy", id); },
      [](CpFixture& f, const std::string& path) { return f.Copy(path); },
      [](CpFixture&, const std::string& path) { return RemoveAll(path); });
}

// The first write in a new fork shadows the page-map path to the page (height
// nodes) and allocates the page's new block: height + 1 blocks, whatever the
// database's size. Timed: Begin, one whole-page write in the middle of the
// database, Commit. Untimed: making the fork and dropping it.
void FirstWrite(benchmark::State& state, std::string_view system) {
  ForkdbFixture* f = Acquire<ForkdbFixture>(state, system);
  if (f == nullptr) return;
  std::string page(kPageBytes, 'w');
  size_t blocks_copied = 0;
  for (auto _ : state) {
    const std::string name = Name("w", f->next_id++);
    Status s = f->store().CreateFork(name, "main").status();
    if (s.ok()) {
      s = TimeOnce(state, [&]() -> Status {
        FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Transaction> txn,
                                f->store().Begin(name));
        FORKDB_RETURN_IF_ERROR(txn->WritePage(f->pages() / 2, page));
        // Commit() hands the blocks to the store, so count them before.
        blocks_copied = std::max(blocks_copied, txn->blocks_written());
        return txn->Commit();
      });
    }
    if (s.ok()) s = f->store().DropFork(name);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.counters["blocks_copied"] = static_cast<double>(blocks_copied);
  state.counters["height"] = f->height();
}

// Resident set size of this process, from /proc/self/statm.
int64_t ResidentBytes() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  long size = 0, resident = 0;
  int n = std::fscanf(statm, "%ld %ld", &size, &resident);
  std::fclose(statm);
  return n == 2 ? int64_t{resident} * sysconf(_SC_PAGESIZE) : 0;
}

int64_t HeapBytes() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

// Memory held by idle forks: kIdleForks forks of a 256 MiB database, none
// written. Each should cost a fork record, never a page.
void IdleForks(benchmark::State& state, std::string_view system) {
  ForkdbFixture* f = Acquire<ForkdbFixture>(state, system);
  if (f == nullptr) return;
  auto* memory = dynamic_cast<cow::MemoryBlockStore*>(f->store().backend());
  auto store_bytes = [memory]() -> int64_t {
    return memory ? static_cast<int64_t>(memory->block_bytes()) : 0;
  };
  // The largest growth any iteration saw: the conservative figure.
  int64_t rss = 0, heap = 0, block_bytes = 0;
  for (auto _ : state) {
    // Give freed memory back first, so that new forks show up as RSS growth
    // instead of quietly reusing pages an earlier benchmark freed.
    malloc_trim(0);
    const int64_t rss_before = ResidentBytes();
    const int64_t heap_before = HeapBytes();
    const int64_t blocks_before = store_bytes();
    const uint64_t first = f->next_id;
    f->next_id += kIdleForks;
    Status s = TimeOnce(state, [&]() -> Status {
      for (uint64_t id = first; id < first + kIdleForks; ++id) {
        FORKDB_RETURN_IF_ERROR(
            f->store().CreateFork(Name("idle", id), "main").status());
      }
      return Status();
    });
    rss = std::max(rss, ResidentBytes() - rss_before);
    heap = std::max(heap, HeapBytes() - heap_before);
    block_bytes = std::max(block_bytes, store_bytes() - blocks_before);
    for (uint64_t id = first; s.ok() && id < first + kIdleForks; ++id)
      s = f->store().DropFork(Name("idle", id));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.counters["forks"] = kIdleForks;
  state.counters["total_bytes"] = static_cast<double>(rss);
  state.counters["bytes_per_fork"] = static_cast<double>(rss) / kIdleForks;
  state.counters["heap_bytes"] = static_cast<double>(heap);
  state.counters["store_block_bytes"] = static_cast<double>(block_bytes);
}

using BenchFn = void (*)(benchmark::State&, std::string_view);

void Register(std::string_view op, std::string_view system, uint64_t bytes,
              BenchFn fn) {
  const std::string name = std::string(op) + "/" + std::string(system);
  benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(
      name.c_str(),
      [fn, system](benchmark::State& state) { fn(state, system); });
  b->Arg(static_cast<int64_t>(bytes))
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

BenchFn ForkFunction(std::string_view system) {
  if (system.starts_with("forkdb_")) return ForkForkdb;
  if (system.starts_with("sqlite_")) return ForkSqlite;
  if (system == "rocksdb_checkpoint") return ForkRocksdbCheckpoint;
  if (system == "memcpy") return ForkMemcpy;
  return ForkCp;
}

}  // namespace

void RegisterForkBenchmarks(bool quick) {
  // System-major order: each fixture is filled once and every benchmark that
  // uses it runs before the next one replaces it.
  for (std::string_view system : kForkSystems) {
    for (uint64_t bytes : ForkBenchSizes(quick)) {
      Register("Fork", system, bytes, ForkFunction(system));
      if (system.starts_with("forkdb_"))
        Register("FirstWrite", system, bytes, FirstWrite);
      if (system == "forkdb_memory" && bytes == kIdleForksDatabaseBytes)
        Register("IdleForks", system, bytes, IdleForks);
    }
  }
}

void ReleaseForkBenchFixtures() {
  Cache().fixture.reset();
  Cache().key.clear();
  RemoveScratchRoot();
}

}  // namespace forkdb::bench
