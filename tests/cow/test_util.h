// Helpers shared by the cow tests: a store on either backend in a scratch
// directory, status assertions, and one-line page writes and reads.
#ifndef FORKDB_TESTS_COW_TEST_UTIL_H_
#define FORKDB_TESTS_COW_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cow/store.h"

#define ASSERT_OK(expr)                                                        \
  do {                                                                         \
    auto forkdb_s_ = (expr);                                                   \
    ASSERT_TRUE(forkdb_s_.ok()) << ::forkdb::cow::test::StatusText(forkdb_s_); \
  } while (0)
#define EXPECT_OK(expr)                                                        \
  do {                                                                         \
    auto forkdb_s_ = (expr);                                                   \
    EXPECT_TRUE(forkdb_s_.ok()) << ::forkdb::cow::test::StatusText(forkdb_s_); \
  } while (0)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(FORKDB_CONCAT_(forkdb_r_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(r, lhs, expr) \
  auto r = (expr);                               \
  ASSERT_TRUE(r.ok()) << r.status().ToString();  \
  lhs = std::move(r).value()

namespace forkdb::cow {

namespace test {
inline std::string StatusText(const Status& s) { return s.ToString(); }
template <typename T>
std::string StatusText(const Result<T>& r) {
  return r.status().ToString();
}
}  // namespace test

enum class Backend { kMemory, kRocksDB };
inline std::string BackendName(Backend b) {
  return b == Backend::kMemory ? "Memory" : "RocksDB";
}

// A fresh scratch directory, removed with its contents when the object goes.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "forkdb-test-XXXXXX")
            .string();
    path_ = mkdtemp(templ.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A store on the chosen backend; the RocksDB one lives in a scratch directory
// and can be closed and reopened.
class TestStoreEnv {
 public:
  explicit TestStoreEnv(Backend backend,
                        uint32_t block_size = kBlockSizeDefault)
      : backend_(backend), block_size_(block_size) {
    Reopen();
  }
  Store& store() { return *store_; }
  Backend backend() const { return backend_; }
  std::string db_path() const { return dir_.path() + "/db"; }
  RocksDBOptions rocksdb_options() const {
    RocksDBOptions options;
    options.block_size = block_size_;
    options.sync = false;  // tests simulate process crashes, not power loss
    return options;
  }
  // Closes and opens the store again; the memory backend starts empty.
  void Reopen() {
    store_.reset();
    Result<std::unique_ptr<Store>> store =
        backend_ == Backend::kMemory
            ? Store::OpenMemory(block_size_)
            : Store::OpenRocksDB(db_path(), rocksdb_options());
    if (!store.ok()) {
      ADD_FAILURE() << "open: " << store.status().ToString();
      std::abort();
    }
    store_ = std::move(store).value();
  }

 private:
  Backend backend_;
  uint32_t block_size_;
  ScratchDir dir_;
  std::unique_ptr<Store> store_;
};

// Writes the pages in one transaction on `fork` and commits.
inline Status WritePages(
    Store& store, std::string_view fork,
    const std::vector<std::pair<PageNo, std::string>>& pages) {
  FORKDB_ASSIGN_OR_RETURN(auto txn, store.Begin(fork));
  for (const auto& [page, bytes] : pages)
    FORKDB_RETURN_IF_ERROR(txn->WritePage(page, bytes));
  return txn->Commit();
}

// The page's bytes up to the first zero byte, "<unmapped>", or "<error: ...>".
inline std::string ReadPageString(Store& store, std::string_view fork,
                                  PageNo page) {
  auto snap = store.OpenSnapshot(fork);
  if (!snap.ok()) return "<error: " + snap.status().ToString() + ">";
  auto block = (*snap)->ReadPage(page);
  if (block.status().IsNotFound()) return "<unmapped>";
  if (!block.ok()) return "<error: " + block.status().ToString() + ">";
  return std::string((*block)->data());
}

// The seed for a randomized test: FORKDB_TEST_SEED if set, else from the clock.
// Printed so that a failure can be replayed.
inline uint64_t TestSeed() {
  if (const char* env = std::getenv("FORKDB_TEST_SEED"))
    return std::strtoull(env, nullptr, 10);
  return std::random_device()() ^ (uint64_t{std::random_device()()} << 32);
}

inline bool LongTests() { return std::getenv("FORKDB_LONG_TESTS") != nullptr; }

}  // namespace forkdb::cow

#endif  // FORKDB_TESTS_COW_TEST_UTIL_H_
