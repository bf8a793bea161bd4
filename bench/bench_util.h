// Helpers shared by the benchmark binaries: peers' errors as Status, and
// scratch directories for the durable systems under one root per process.
#ifndef FORKDB_BENCH_BENCH_UTIL_H_
#define FORKDB_BENCH_BENCH_UTIL_H_

#include <rocksdb/status.h>
#include <sqlite3.h>

#include <string>
#include <string_view>

#include "forkdb/status.h"

namespace forkdb::bench {

// OK, or IOError naming `what` and RocksDB's message.
Status FromRocks(const rocksdb::Status& s, std::string_view what);
// OK for SQLITE_OK, SQLITE_DONE and SQLITE_ROW; IOError naming `what` and
// SQLite's message otherwise.
Status FromSqlite(sqlite3* db, int rc, std::string_view what);

// A fresh directory under the process's scratch root (made on first use in
// the temporary directory), created by Create() and removed with its
// contents when the object goes.
class ScratchDir {
 public:
  ScratchDir() = default;
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  Status Create();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Removes the scratch root and everything in it; for the end of a run.
void RemoveScratchRoot();

}  // namespace forkdb::bench

#endif  // FORKDB_BENCH_BENCH_UTIL_H_
