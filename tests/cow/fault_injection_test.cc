// I/O error tests of cow::Store, in the manner of SQLite's ioerr tests: a
// FaultInjectionBlockStore sits between the store and a real backend, and every
// state change of a random workload (a transaction of page writes, edits and
// frees with its commit, a fork, a drop, a snapshot, a reopen) is run once for
// each k = 1, 2, ... with the k-th backend operation failing, until one run
// completes without reaching the fault. After every failure:
//   - the call returned an IOError (the fault was not swallowed or renamed);
//   - nothing half-done is visible: every page of every fork and of every open
//     snapshot equals a std::map model, and the fork list is unchanged;
//   - the integrity check is clean (no leaked block, no count mismatch), which
//     proves invariant 4 of cow/store.h (a failed write changes nothing);
//   - the store stays usable: the run with k + 1 is the same operation again,
//     and the last run (no fault reached) must succeed.
// Faults are transient (only the k-th operation fails) or persistent (every
// operation from the k-th on fails, like a device that went away).
//
// The seed is printed; FORKDB_TEST_SEED=<seed> replays a run.
// FORKDB_LONG_TESTS=1 runs four times as many operations.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <random>

#include "cow/memory_block_store.h"
#include "cow/rocksdb_block_store.h"
#include "cow/store.h"
#include "tests/cow/fault_injection_block_store.h"
#include "tests/cow/test_util.h"

namespace forkdb::cow {
namespace {

using Pages = std::map<PageNo, std::string>;

constexpr uint32_t kBlockSize = 512;  // fanout 64: trees of height 2 to 4
constexpr size_t kForksMax = 4;
constexpr size_t kSnapshotsMax = 3;

// True if the block holds exactly `bytes`, zero-padded to the block size.
bool SameBytes(const BlockBuf& block, const std::string& bytes) {
  if (bytes.size() > block.size()) return false;
  if (std::memcmp(block.data(), bytes.data(), bytes.size()) != 0) return false;
  for (uint32_t i = bytes.size(); i < block.size(); ++i) {
    if (block.data()[i] != 0) return false;
  }
  return true;
}

// One state change of the workload, drawn before it is tried so that every
// retry repeats exactly the same operation.
struct Op {
  enum class Kind { kTransaction, kFork, kDrop, kSnapshot, kReopen };
  struct Step {
    enum class What { kWrite, kEdit, kFree };
    What what;
    PageNo page;
    // kWrite: the page; kEdit: the whole page after the edit.
    std::string bytes;
    // kEdit: the page before (checked through MutablePage).
    std::string old;
  };
  Kind kind;
  std::string fork;  // written, forked from, dropped or snapshotted
  std::string name;  // kFork: the new fork
  std::vector<Step> steps;
  Pages after;  // kTransaction: the fork's pages once committed
};

std::string KindName(Op::Kind kind) {
  switch (kind) {
    case Op::Kind::kTransaction:
      return "transaction";
    case Op::Kind::kFork:
      return "fork";
    case Op::Kind::kDrop:
      return "drop";
    case Op::Kind::kSnapshot:
      return "snapshot";
    case Op::Kind::kReopen:
      return "reopen";
  }
  return "?";
}

class FaultInjectionTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    seed_ = TestSeed();
    rng_.seed(seed_);
    std::cout << "[ seed     ] FORKDB_TEST_SEED=" << seed_ << "\n";
    ASSERT_OK(Open(0, false));
  }
  void TearDown() override {
    snapshots_.clear();
    store_.reset();
  }

  // Opens the store on a fresh wrapper, armed with k (0: disarmed).
  Status Open(uint64_t k, bool persistent, bool count_scan_items = true) {
    store_.reset();
    faults_ = nullptr;
    std::unique_ptr<BlockStore> backend;
    if (GetParam() == Backend::kMemory) {
      backend = std::make_unique<MemoryBlockStore>(kBlockSize);
    } else {
      RocksDBOptions options;
      options.block_size = kBlockSize;
      options.sync =
          false;  // faults are injected above RocksDB, not by power loss
      FORKDB_ASSIGN_OR_RETURN(
          backend, RocksDBBlockStore::Open(dir_.path() + "/db", options));
    }
    // The schedule outlives a wrapper that a failed open destroys.
    auto schedule = std::make_shared<FaultSchedule>();
    schedule->set_count_scan_items(count_scan_items);
    auto wrapper = std::make_unique<FaultInjectionBlockStore>(
        std::move(backend), schedule);
    FaultInjectionBlockStore* faults = wrapper.get();
    if (k > 0) schedule->Arm(k, persistent);
    auto store = Store::Open(std::move(wrapper));
    schedule->Disarm();
    last_faults_ = schedule->faults();
    if (!store.ok()) return store.status();
    store_ = std::move(store).value();
    faults_ = faults;
    return Status();
  }

  Store& store() { return *store_; }

  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  template <typename Map>
  typename Map::key_type RandomKey(const Map& m) {
    return std::next(m.begin(), Uniform(0, static_cast<int>(m.size()) - 1))
        ->first;
  }
  PageNo RandomPage() {
    int dice = Uniform(0, 99);
    if (dice < 85) return Uniform(0, 150);
    if (dice < 98) return Uniform(0, 4000);
    return Uniform(0, 300000);  // grows the tree to height 4
  }
  std::string Contents(int tag) {
    std::string s =
        "op" + std::to_string(step_) + "." + std::to_string(tag) + ".";
    s.append(Uniform(0, 60), static_cast<char>('a' + Uniform(0, 25)));
    return s;
  }

  Op RandomOp() {
    Op op;
    int dice = Uniform(0, 99);
    if (dice < 5 && GetParam() == Backend::kRocksDB) {
      op.kind = Op::Kind::kReopen;
    } else if (dice < 65) {
      op.kind = Op::Kind::kTransaction;
      op.fork = RandomKey(model_);
      Pages pages = model_[op.fork];
      int n = Uniform(1, 8);
      for (int i = 0; i < n; ++i) {
        int what = Uniform(0, 9);
        if (what < 6 || pages.empty()) {
          PageNo page = RandomPage();
          std::string bytes = Contents(i);
          op.steps.push_back({Op::Step::What::kWrite, page, bytes, ""});
          pages[page] = bytes;
        } else if (what < 8) {
          PageNo page = Uniform(0, 3) == 0 ? RandomPage() : RandomKey(pages);
          std::string old = pages.count(page) ? pages[page] : "";
          std::string edit = "e" + std::to_string(step_);
          std::string updated =
              edit.size() >= old.size() ? edit : edit + old.substr(edit.size());
          op.steps.push_back({Op::Step::What::kEdit, page, updated, old});
          pages[page] = updated;
        } else {
          PageNo page = RandomKey(pages);
          op.steps.push_back({Op::Step::What::kFree, page, "", ""});
          pages.erase(page);
        }
      }
      op.after = std::move(pages);
    } else if (dice < 75 && model_.size() < kForksMax) {
      op.kind = Op::Kind::kFork;
      op.fork = RandomKey(model_);
      op.name = "f" + std::to_string(step_);
    } else if (dice < 85 && model_.size() > 1) {
      op.kind = Op::Kind::kDrop;
      op.fork = RandomKey(model_);
    } else {
      op.kind = Op::Kind::kSnapshot;
      op.fork = RandomKey(model_);
    }
    return op;
  }

  // Runs the operation against the store; the first error is the result.
  Status Apply(const Op& op, std::unique_ptr<Snapshot>* snapshot) {
    switch (op.kind) {
      case Op::Kind::kTransaction: {
        FORKDB_ASSIGN_OR_RETURN(auto txn, store().Begin(op.fork));
        for (const Op::Step& step : op.steps) {
          if (step.what == Op::Step::What::kWrite) {
            FORKDB_RETURN_IF_ERROR(txn->WritePage(step.page, step.bytes));
          } else if (step.what == Op::Step::What::kFree) {
            FORKDB_RETURN_IF_ERROR(txn->FreePage(step.page));
          } else {
            FORKDB_ASSIGN_OR_RETURN(char* bytes, txn->MutablePage(step.page));
            if (std::string(bytes) != step.old) {
              return Status::Aborted("page ", step.page, " reads '", bytes,
                                     "' in the transaction, expected '",
                                     step.old, "'");
            }
            std::memcpy(bytes, step.bytes.data(), step.bytes.size() + 1);
          }
        }
        return txn->Commit();
      }
      case Op::Kind::kFork:
        return store().CreateFork(op.name, op.fork).status();
      case Op::Kind::kDrop:
        return store().DropFork(op.fork);
      case Op::Kind::kSnapshot: {
        FORKDB_ASSIGN_OR_RETURN(*snapshot, store().OpenSnapshot(op.fork));
        return Status();
      }
      case Op::Kind::kReopen:
        return Status();  // handled by ReopenWithFaults()
    }
    return Status();
  }

  void ApplyToModel(const Op& op, std::unique_ptr<Snapshot> snapshot) {
    switch (op.kind) {
      case Op::Kind::kTransaction:
        model_[op.fork] = op.after;
        break;
      case Op::Kind::kFork:
        model_[op.name] = model_[op.fork];
        break;
      case Op::Kind::kDrop:
        model_.erase(op.fork);
        break;
      case Op::Kind::kSnapshot:
        snapshots_.push_back({std::move(snapshot), op.fork, model_[op.fork]});
        break;
      case Op::Kind::kReopen:
        break;
    }
  }

  // Tries the operation with the k-th backend operation failing, for k = 1, 2,
  // ... until a try reaches no fault; checks the store after every failure.
  void RunWithFaults(const Op& op) {
    const bool persistent = Uniform(0, 1) == 1;
    for (uint64_t k = 1;; ++k) {
      SCOPED_TRACE("op " + std::to_string(step_) + " (" + KindName(op.kind) +
                   " on '" + op.fork + "'), fault at backend operation " +
                   std::to_string(k) +
                   (persistent ? ", persistent" : ", transient"));
      std::unique_ptr<Snapshot> snapshot;
      faults_->Arm(k, persistent);
      Status s = Apply(op, &snapshot);
      const uint64_t hits = faults_->faults();
      faults_->Disarm();
      if (hits == 0) {
        ASSERT_OK(s);
        ApplyToModel(op, std::move(snapshot));
        ASSERT_NO_FATAL_FAILURE(VerifyAll());
        return;
      }
      ++faults_injected_;
      ASSERT_FALSE(s.ok()) << "the fault was swallowed";
      ASSERT_TRUE(s.IsIOError()) << s.ToString();
      EXPECT_NE(s.message().find("injected fault"), std::string::npos)
          << s.ToString();
      ASSERT_EQ(snapshot, nullptr);
      ASSERT_NO_FATAL_FAILURE(VerifyAll());
      ASSERT_NO_FATAL_FAILURE(ExpectCheckClean());
      ASSERT_LT(k, 10000u) << "the operation never completes";
    }
  }

  // Closes the store and opens it again with the k-th backend operation of the
  // open failing, for k = 1, 2, ... until an open reaches no fault. Counting
  // every record a scan delivers makes one open per record: keep it for small
  // stores.
  void ReopenWithFaults(bool count_scan_items) {
    snapshots_.clear();  // snapshots do not outlive the store
    const bool persistent = Uniform(0, 1) == 1;
    for (uint64_t k = 1;; ++k) {
      SCOPED_TRACE("reopen at op " + std::to_string(step_) +
                   ", fault at backend operation " + std::to_string(k) +
                   (persistent ? ", persistent" : ", transient"));
      Status s = Open(k, persistent, count_scan_items);
      if (last_faults_ == 0) {
        ASSERT_OK(s);
        break;
      }
      ++faults_injected_;
      ASSERT_FALSE(s.ok()) << "the fault was swallowed";
      ASSERT_TRUE(s.IsIOError()) << s.ToString();
      ASSERT_LT(k, 10000u) << "the open never completes";
    }
    ASSERT_NO_FATAL_FAILURE(VerifyAll());
    ASSERT_NO_FATAL_FAILURE(ExpectCheckClean());
  }

  void VerifyPages(const Root& root, const Pages& pages,
                   const std::string& what,
                   const std::function<Result<BlockRef>(PageNo)>& read) {
    EXPECT_EQ(root.pages, pages.size()) << what;
    for (const auto& [page, bytes] : pages) {
      auto block = read(page);
      ASSERT_TRUE(block.ok())
          << what << " page " << page << ": " << block.status().ToString();
      ASSERT_TRUE(SameBytes(**block, bytes))
          << what << " page " << page << " reads '" << (*block)->data()
          << "', expected '" << bytes << "'";
    }
  }

  void VerifyAll() {
    std::vector<ForkInfo> forks = store().ListForks();
    ASSERT_EQ(forks.size(), model_.size());
    for (const ForkInfo& info : forks) {
      ASSERT_TRUE(model_.count(info.name)) << "unexpected fork " << info.name;
      ASSERT_OK_AND_ASSIGN(auto snap, store().OpenSnapshot(info.name));
      ASSERT_NO_FATAL_FAILURE(
          VerifyPages(info.root, model_[info.name], "fork " + info.name,
                      [&](PageNo page) { return snap->ReadPage(page); }));
    }
    for (const Snap& s : snapshots_) {
      ASSERT_NO_FATAL_FAILURE(
          VerifyPages(s.snapshot->root(), s.pages, "snapshot of " + s.fork,
                      [&](PageNo page) { return s.snapshot->ReadPage(page); }));
    }
    EXPECT_EQ(store().Stats().snapshots, snapshots_.size());
  }

  void ExpectCheckClean() {
    auto report = store().Check();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->ok()) << report->ToString();
  }

  struct Snap {
    std::unique_ptr<Snapshot> snapshot;
    std::string fork;
    Pages pages;  // the model when the snapshot was taken
  };

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  ScratchDir dir_;
  std::unique_ptr<Store> store_;
  FaultInjectionBlockStore* faults_ = nullptr;  // owned by store_
  uint64_t last_faults_ = 0;  // faults reached by the last Open
  std::map<std::string, Pages> model_;
  std::vector<Snap> snapshots_;
  int step_ = 0;
  uint64_t faults_injected_ = 0;
};

TEST_P(FaultInjectionTest, FailedOperationLeavesNoTraceAndStoreStaysUsable) {
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed_));
  const int ops = LongTests() ? 1200 : 300;
  ASSERT_OK(store().CreateRootFork("main"));
  model_["main"] = {};
  for (step_ = 0; step_ < ops; ++step_) {
    Op op = RandomOp();
    if (op.kind == Op::Kind::kReopen) {
      ASSERT_NO_FATAL_FAILURE(ReopenWithFaults(/*count_scan_items=*/false));
    } else {
      ASSERT_NO_FATAL_FAILURE(RunWithFaults(op));
    }
    if (snapshots_.size() > kSnapshotsMax ||
        (!snapshots_.empty() && Uniform(0, 9) == 0)) {
      snapshots_.erase(snapshots_.begin() +
                       Uniform(0, static_cast<int>(snapshots_.size()) - 1));
    }
    if (step_ % 25 == 24) {
      ASSERT_NO_FATAL_FAILURE(ExpectCheckClean());
    }
  }
  snapshots_.clear();
  ASSERT_NO_FATAL_FAILURE(VerifyAll());
  ASSERT_NO_FATAL_FAILURE(ExpectCheckClean());
  std::cout << "[ faults   ] " << BackendName(GetParam()) << ": " << ops
            << " operations, " << faults_injected_ << " injected faults\n";
  EXPECT_GT(faults_injected_, static_cast<uint64_t>(ops));
}

// A snapshot whose release fails keeps its reference: nothing it pins is freed
// early and the check stays clean. The durable store records live snapshots and
// releases the leftovers at the next open, which is itself tried with a fault
// at every backend operation, including every record of its scans.
TEST_P(FaultInjectionTest, FailedSnapshotReleaseFreesNothingEarly) {
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed_));
  ASSERT_OK(store().CreateRootFork("main"));
  ASSERT_OK(store().CreateFork("side", "main"));
  std::vector<std::pair<PageNo, std::string>> pages[3];
  for (int v = 0; v < 3; ++v) {
    for (PageNo p = 0; p < 300; p += 23) {
      pages[v].emplace_back(p,
                            "v" + std::to_string(v) + "." + std::to_string(p));
    }
  }
  ASSERT_OK(WritePages(store(), "main", pages[0]));
  for (int v = 1; v < 3; ++v) {
    ASSERT_OK_AND_ASSIGN(auto snap, store().OpenSnapshot("main"));
    ASSERT_OK(WritePages(store(), "main", pages[v]));
    const uint64_t live = store().Stats().blocks_live;
    faults_->Arm(1, /*persistent=*/v == 2);
    Status s = snap->Release();
    EXPECT_EQ(faults_->faults(), v == 2 ? faults_->operations() : 1u);
    faults_->Disarm();
    ASSERT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_EQ(store().Stats().blocks_live, live) << "a block was freed early";
    ASSERT_NO_FATAL_FAILURE(ExpectCheckClean());
    for (const auto& [page, bytes] : pages[v]) {
      EXPECT_EQ(ReadPageString(store(), "main", page), bytes);
    }
  }
  EXPECT_EQ(store().Stats().snapshots, 2u) << "the failed releases are kept";
  if (GetParam() == Backend::kMemory) return;  // released when the store closes
  model_["side"] = {};
  for (const auto& [page, bytes] : pages[2]) model_["main"][page] = bytes;
  ASSERT_NO_FATAL_FAILURE(ReopenWithFaults(/*count_scan_items=*/true));
  EXPECT_EQ(store().Stats().snapshots, 0u);
  ASSERT_OK_AND_ASSIGN(ForkInfo info, store().GetFork("main"));
  EXPECT_EQ(store().Stats().blocks_live, info.root.pages + info.root.nodes)
      << "the snapshots' old blocks were not freed";
  std::cout << "[ faults   ] " << faults_injected_ << " injected faults\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultInjectionTest,
                         ::testing::Values(Backend::kMemory, Backend::kRocksDB),
                         [](const auto& info) {
                           return BackendName(info.param);
                         });

}  // namespace
}  // namespace forkdb::cow
