#include "bench/bench_util.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

namespace forkdb::bench {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status();
  return Status::IOError(what, ": ", s.ToString());
}

Status FromSqlite(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status();
  return Status::IOError(what, ": ",
                         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

namespace {

std::string& ScratchRoot() {
  static std::string root;
  return root;
}

}  // namespace

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

Status ScratchDir::Create() {
  std::string& root = ScratchRoot();
  std::error_code ec;
  if (root.empty()) {
    std::string templ =
        (std::filesystem::temp_directory_path(ec) / "forkdb-bench-XXXXXX")
            .string();
    if (mkdtemp(templ.data()) == nullptr)
      return Status::IOError("cannot make a scratch directory in ", templ);
    root = templ;
  }
  std::string templ = root + "/db-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr)
    return Status::IOError("cannot make a directory in ", root);
  path_ = templ;
  return Status();
}

void RemoveScratchRoot() {
  std::string& root = ScratchRoot();
  if (root.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  root.clear();
}

}  // namespace forkdb::bench
