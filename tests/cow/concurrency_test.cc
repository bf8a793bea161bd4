// Concurrency: per fork one writer and four snapshot readers, two forks written
// in parallel, a third thread forking and dropping. Every commit rewrites all
// kWidth pages of its fork with one generation number, so a consistent snapshot
// sees one number on every page; a torn or stale-mixed read would show two. Run
// under ThreadSanitizer with the tsan preset (README: "Sanitizers").
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "cow/store.h"
#include "tests/cow/test_util.h"

namespace forkdb::cow {
namespace {

constexpr int kWidth =
    40;  // pages per generation: spans several leaves at 512 bytes

class ConcurrencyTest : public ::testing::TestWithParam<Backend> {};

TEST_P(ConcurrencyTest, SnapshotReadersSeeWholeCommitsWhileWritersRun) {
  TestStoreEnv env(GetParam(), 512);
  Store& store = env.store();
  ASSERT_OK(store.CreateRootFork("a"));
  std::vector<std::pair<PageNo, std::string>> init;
  for (int p = 0; p < kWidth; ++p) init.emplace_back(p * 7, "0");
  ASSERT_OK(WritePages(store, "a", init));
  ASSERT_OK(store.CreateFork("b", "a"));

  const int commits = LongTests() ? 2000 : 200;
  std::atomic<bool> writers_done{false};
  std::atomic<int> failures{0};
  std::mutex first_error_mu;
  std::string first_error;
  auto fail = [&](const std::string& what) {
    if (failures.fetch_add(1) == 0) {
      std::lock_guard<std::mutex> lock(first_error_mu);
      first_error = what;
    }
  };
  std::atomic<uint64_t> snapshots_read{0};
  auto writer = [&](std::string fork) {
    for (int gen = 1; gen <= commits; ++gen) {
      auto txn = store.Begin(fork);
      if (!txn.ok()) {
        fail("begin: " + txn.status().ToString());
        continue;
      }
      for (int p = 0; p < kWidth; ++p) {
        Status s = (*txn)->WritePage(p * 7, std::to_string(gen));
        if (!s.ok()) fail("write: " + s.ToString());
      }
      Status s = (*txn)->Commit();
      if (!s.ok()) fail("commit: " + s.ToString());
    }
  };
  auto reader = [&](std::string fork) {
    int last = 0;
    while (!writers_done.load(std::memory_order_acquire)) {
      auto snap = store.OpenSnapshot(fork);
      if (!snap.ok()) {
        fail("snapshot: " + snap.status().ToString());
        continue;
      }
      std::string first;
      for (int p = 0; p < kWidth; ++p) {
        auto page = (*snap)->ReadPage(p * 7);
        if (!page.ok()) {
          fail("read: " + page.status().ToString());
          break;
        }
        std::string value((*page)->data());
        if (p == 0) first = value;
        if (value != first) fail("torn snapshot: " + first + " and " + value);
      }
      if (first.empty()) continue;
      int gen = std::stoi(first);
      if (gen < last) fail("snapshot went back in time");
      last = gen;
      ++snapshots_read;
    }
  };
  auto forker = [&] {
    int n = 0;
    while (!writers_done.load(std::memory_order_acquire)) {
      std::string name = "tmp" + std::to_string(n++);
      Status s = store.CreateFork(name, n % 2 ? "a" : "b").status();
      if (!s.ok()) fail("fork: " + s.ToString());
      s = store.DropFork(name);
      if (!s.ok()) fail("drop: " + s.ToString());
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(reader, "a");
    threads.emplace_back(reader, "b");
  }
  threads.emplace_back(forker);
  std::thread wa(writer, "a"), wb(writer, "b");
  wa.join();
  wb.join();
  writers_done.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << "first: " << first_error;
  EXPECT_GT(snapshots_read.load(), 0u);
  EXPECT_EQ(ReadPageString(store, "a", 0), std::to_string(commits));
  EXPECT_EQ(ReadPageString(store, "b", 7), std::to_string(commits));
  auto report = store.Check();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrencyTest,
                         ::testing::Values(Backend::kMemory, Backend::kRocksDB),
                         [](const auto& info) {
                           return BackendName(info.param);
                         });

}  // namespace
}  // namespace forkdb::cow
