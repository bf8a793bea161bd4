// Model-based randomized test of cow::Store: the store and a trivial model
// (fork -> page -> bytes, a std::map per fork) receive the same random
// operations and must agree after every step. Operations: transactions of page
// writes, in-place edits and frees that commit or abort, forks from forks and
// from snapshots, drops, snapshots checked against the state they captured,
// page diffs, space accounting, reopen (durable backend), and the integrity
// check every few thousand operations and at the end.
//
// The seed is printed; FORKDB_TEST_SEED=<seed> replays a run.
// FORKDB_LONG_TESTS=1 runs ten times as many operations.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "cow/store.h"
#include "tests/cow/test_util.h"

namespace forkdb::cow {
namespace {

using Pages = std::map<PageNo, std::string>;

struct ModelParam {
  Backend backend;
  uint32_t block_size;
  int ops;
};

class ModelTest : public ::testing::TestWithParam<ModelParam> {};

class Runner {
 public:
  Runner(const ModelParam& param, uint64_t seed)
      : env_(param.backend, param.block_size), rng_(seed) {}

  void Run(int ops) {
    ASSERT_OK(env_.store().CreateRootFork("f0"));
    model_["f0"] = {};
    for (step_ = 0; step_ < ops; ++step_) {
      int dice = Uniform(0, 99);
      if (dice < 45) {
        ASSERT_NO_FATAL_FAILURE(RandomTransaction());
      } else if (dice < 55) {
        ASSERT_NO_FATAL_FAILURE(RandomFork());
      } else if (dice < 62) {
        ASSERT_NO_FATAL_FAILURE(RandomDrop());
      } else if (dice < 72) {
        ASSERT_NO_FATAL_FAILURE(RandomSnapshotOp());
      } else if (dice < 90) {
        ASSERT_NO_FATAL_FAILURE(RandomRead());
      } else if (dice < 95) {
        ASSERT_NO_FATAL_FAILURE(RandomDiff());
      } else if (dice < 98) {
        for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(RandomSpace());
      } else if (env_.backend() == Backend::kRocksDB && Uniform(0, 9) == 0) {
        // Reopening costs a RocksDB open: about 50 per run.
        snapshots_.clear();  // snapshots do not outlive the store
        env_.Reopen();
        ASSERT_NO_FATAL_FAILURE(VerifyAll());
      }
      if (step_ % 2000 == 1999) {
        ASSERT_NO_FATAL_FAILURE(VerifyAll());
        ASSERT_NO_FATAL_FAILURE(ExpectCheckClean());
      }
    }
    ASSERT_NO_FATAL_FAILURE(VerifyAll());
    ASSERT_NO_FATAL_FAILURE(ExpectCheckClean());
    snapshots_.clear();
    for (const auto& [name, pages] : model_)
      ASSERT_OK(env_.store().DropFork(name));
    ASSERT_NO_FATAL_FAILURE(ExpectCheckClean());
    EXPECT_EQ(env_.store().Stats().blocks_live, 0u)
        << "dropping every fork frees all";
  }

 private:
  struct Snap {
    std::unique_ptr<Snapshot> snapshot;
    std::string fork;
    Pages pages;  // the model at the moment the snapshot was taken
  };

  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  std::string RandomFork(const std::map<std::string, Pages>& m) {
    auto it = m.begin();
    std::advance(it, Uniform(0, static_cast<int>(m.size()) - 1));
    return it->first;
  }
  PageNo RandomPage() {
    int dice = Uniform(0, 99);
    if (dice < 80) return Uniform(0, 300);
    if (dice < 97) return Uniform(0, 20000);
    return static_cast<PageNo>(Uniform(0, 1 << 20)) * 997;  // grows the tree
  }
  std::string Contents() {
    return "s" + std::to_string(step_) + "." + std::to_string(Uniform(0, 999));
  }

  void RandomTransaction() {
    std::string fork = RandomFork(model_);
    ASSERT_OK_AND_ASSIGN(auto txn, env_.store().Begin(fork));
    Pages pages = model_[fork];
    std::vector<Pages> marks;  // the model at each open savepoint
    int n = Uniform(1, 12);
    for (int i = 0; i < n; ++i) {
      int dice = Uniform(0, 11);
      if (dice == 10) {
        ASSERT_OK(txn->Savepoint());
        marks.push_back(pages);
        continue;
      }
      if (dice == 11) {
        if (marks.empty()) {
          EXPECT_TRUE(txn->RollbackToSavepoint().IsInvalidArgument());
        } else if (Uniform(0, 1)) {
          ASSERT_OK(txn->RollbackToSavepoint());
          pages = std::move(marks.back());
          marks.pop_back();
        } else {
          ASSERT_OK(txn->ReleaseSavepoint());
          marks.pop_back();
        }
        EXPECT_EQ(txn->savepoint_depth(), marks.size());
        continue;
      }
      if (dice < 5) {
        PageNo page = RandomPage();
        std::string bytes = Contents();
        ASSERT_OK(txn->WritePage(page, bytes));
        pages[page] = bytes;
      } else if (dice < 7) {
        // Edit in place: overwrite the first bytes of the existing contents.
        PageNo page =
            pages.empty() || Uniform(0, 3) == 0
                ? RandomPage()
                : std::next(pages.begin(),
                            Uniform(0, static_cast<int>(pages.size()) - 1))
                      ->first;
        ASSERT_OK_AND_ASSIGN(char* bytes, txn->MutablePage(page));
        std::string old = pages.count(page) ? pages[page] : "";
        EXPECT_EQ(std::string(bytes), old)
            << "step " << step_ << " page " << page;
        std::string edit = "e" + std::to_string(step_);
        std::string updated =
            edit.size() >= old.size() ? edit : edit + old.substr(edit.size());
        std::memcpy(bytes, updated.data(), updated.size() + 1);
        pages[page] = updated;
      } else if (dice < 9) {
        if (pages.empty()) continue;
        PageNo page = std::next(pages.begin(),
                                Uniform(0, static_cast<int>(pages.size()) - 1))
                          ->first;
        ASSERT_OK(txn->FreePage(page));
        pages.erase(page);
      } else {
        PageNo page = RandomPage();
        auto read = txn->ReadPage(page);
        if (pages.count(page)) {
          ASSERT_TRUE(read.ok())
              << read.status().ToString() << " step " << step_;
          EXPECT_EQ(std::string((*read)->data()), pages[page]);
        } else {
          EXPECT_TRUE(read.status().IsNotFound())
              << "step " << step_ << " page " << page;
        }
      }
    }
    EXPECT_EQ(txn->root().pages, pages.size());
    if (Uniform(0, 4) == 0) {
      txn->Abort();
    } else {
      ASSERT_OK(txn->Commit());
      model_[fork] = std::move(pages);
    }
  }

  void RandomFork() {
    if (model_.size() >= 32) return;
    std::string name = "f" + std::to_string(++fork_counter_);
    if (!snapshots_.empty() && Uniform(0, 3) == 0) {
      Snap& snap =
          snapshots_[Uniform(0, static_cast<int>(snapshots_.size()) - 1)];
      ASSERT_OK(env_.store().CreateForkFromSnapshot(name, *snap.snapshot));
      model_[name] = snap.pages;
    } else {
      std::string from = RandomFork(model_);
      ASSERT_OK(env_.store().CreateFork(name, from));
      model_[name] = model_[from];
    }
  }

  void RandomDrop() {
    if (model_.size() <= 1) return;
    std::string fork = RandomFork(model_);
    ASSERT_OK(env_.store().DropFork(fork));
    model_.erase(fork);
    EXPECT_TRUE(env_.store().GetFork(fork).status().IsNotFound());
  }

  void RandomSnapshotOp() {
    if (!snapshots_.empty() && (snapshots_.size() >= 8 || Uniform(0, 2) == 0)) {
      size_t i = Uniform(0, static_cast<int>(snapshots_.size()) - 1);
      ASSERT_NO_FATAL_FAILURE(VerifySnapshot(snapshots_[i]));
      snapshots_.erase(snapshots_.begin() + i);
      return;
    }
    std::string fork = RandomFork(model_);
    ASSERT_OK_AND_ASSIGN(auto snapshot, env_.store().OpenSnapshot(fork));
    snapshots_.push_back(Snap{std::move(snapshot), fork, model_[fork]});
  }

  void RandomRead() {
    std::string fork = RandomFork(model_);
    const Pages& pages = model_[fork];
    PageNo page =
        !pages.empty() && Uniform(0, 1)
            ? std::next(pages.begin(),
                        Uniform(0, static_cast<int>(pages.size()) - 1))
                  ->first
            : RandomPage();
    std::string expected = pages.count(page) ? pages.at(page) : "<unmapped>";
    EXPECT_EQ(ReadPageString(env_.store(), fork, page), expected)
        << "fork " << fork << " page " << page << " step " << step_;
  }

  void RandomDiff() {
    std::string a = RandomFork(model_), b = RandomFork(model_);
    ASSERT_OK_AND_ASSIGN(auto sa, env_.store().OpenSnapshot(a));
    ASSERT_OK_AND_ASSIGN(auto sb, env_.store().OpenSnapshot(b));
    ASSERT_OK_AND_ASSIGN(auto diff,
                         env_.store().DiffPages(sa->root(), sb->root()));
    std::set<PageNo> changed(diff.begin(), diff.end());
    EXPECT_EQ(changed.size(), diff.size()) << "diff lists a page twice";
    EXPECT_TRUE(std::is_sorted(diff.begin(), diff.end()));
    // Every page whose contents differ is reported; a page not reported is
    // identical.
    const Pages& pa = model_[a];
    const Pages& pb = model_[b];
    std::set<PageNo> all;
    for (const auto& [p, v] : pa) all.insert(p);
    for (const auto& [p, v] : pb) all.insert(p);
    for (PageNo p : all) {
      bool differs = !pa.count(p) || !pb.count(p) || pa.at(p) != pb.at(p);
      if (differs) {
        EXPECT_TRUE(changed.count(p))
            << "page " << p << " differs, not in diff";
      }
    }
    for (PageNo p : changed)
      EXPECT_TRUE(all.count(p)) << "page " << p << " mapped nowhere";
    if (a == b) {
      EXPECT_TRUE(diff.empty());
    }
  }

  void RandomSpace() {
    std::string fork = RandomFork(model_);
    ASSERT_OK_AND_ASSIGN(SpaceUsage usage, env_.store().Space(fork));
    ASSERT_OK_AND_ASSIGN(ForkInfo info, env_.store().GetFork(fork));
    EXPECT_EQ(usage.state_blocks, info.root.pages + info.root.nodes);
    EXPECT_LE(usage.shared_blocks, usage.state_blocks);
    EXPECT_EQ(info.root.pages, model_[fork].size());
    ASSERT_OK_AND_ASSIGN(SpaceUsage fresh, env_.store().TEST_SpaceByWalk(fork));
    EXPECT_EQ(usage.own_blocks, fresh.own_blocks) << "cached space of " << fork;
    EXPECT_EQ(usage.shared_blocks, fresh.shared_blocks) << fork;
    // Own means what a drop frees: check it for real now and then.
    if (Uniform(0, 9) == 0 && model_.size() > 1) {
      uint64_t live = env_.store().Stats().blocks_live;
      ASSERT_OK(env_.store().DropFork(fork));
      model_.erase(fork);
      EXPECT_EQ(live - env_.store().Stats().blocks_live, usage.own_blocks)
          << "dropping " << fork << " freed other than its own blocks";
    }
  }

  void VerifySnapshot(const Snap& snap) {
    EXPECT_EQ(snap.snapshot->root().pages, snap.pages.size());
    for (const auto& [page, bytes] : snap.pages) {
      auto read = snap.snapshot->ReadPage(page);
      ASSERT_TRUE(read.ok()) << read.status().ToString();
      EXPECT_EQ(std::string((*read)->data()), bytes)
          << "snapshot of " << snap.fork;
    }
  }

  void VerifyAll() {
    auto forks = env_.store().ListForks();
    ASSERT_EQ(forks.size(), model_.size());
    for (const auto& info : forks) {
      ASSERT_TRUE(model_.count(info.name)) << "unexpected fork " << info.name;
      const Pages& pages = model_[info.name];
      EXPECT_EQ(info.root.pages, pages.size()) << info.name;
      ASSERT_OK_AND_ASSIGN(auto snap, env_.store().OpenSnapshot(info.name));
      for (const auto& [page, bytes] : pages) {
        auto read = snap->ReadPage(page);
        ASSERT_TRUE(read.ok()) << info.name << " page " << page << ": "
                               << read.status().ToString();
        EXPECT_EQ(std::string((*read)->data()), bytes)
            << info.name << " page " << page;
      }
    }
    for (const auto& snap : snapshots_)
      ASSERT_NO_FATAL_FAILURE(VerifySnapshot(snap));
  }

  void ExpectCheckClean() {
    auto report = env_.store().Check();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->ok()) << "step " << step_ << ": " << report->ToString();
    // With no transaction open, every block id is either live or free: a
    // transaction or a savepoint that lost an id would show here.
    StoreStats stats = env_.store().Stats();
    EXPECT_EQ(stats.next_block_id - 1, stats.blocks_live + stats.free_block_ids)
        << "step " << step_;
  }

  TestStoreEnv env_;
  std::mt19937_64 rng_;
  std::map<std::string, Pages> model_;
  std::vector<Snap> snapshots_;
  int step_ = 0;
  int fork_counter_ = 0;
};

TEST_P(ModelTest, Invariant5_StoreAgreesWithModelAndCheckIsClean) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed));
  std::printf("seed %llu (replay with FORKDB_TEST_SEED=%llu)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  Runner runner(GetParam(), seed);
  runner.Run(GetParam().ops * (LongTests() ? 10 : 1));
}

// 100,000 operations per run: 50,000 on each backend, split over two block
// sizes (512 bytes gives 64-way nodes and deep trees; 4096 is the default).
INSTANTIATE_TEST_SUITE_P(
    Backends, ModelTest,
    ::testing::Values(ModelParam{Backend::kMemory, 512, 25000},
                      ModelParam{Backend::kMemory, 4096, 25000},
                      ModelParam{Backend::kRocksDB, 512, 25000},
                      ModelParam{Backend::kRocksDB, 4096, 25000}),
    [](const auto& info) {
      return BackendName(info.param.backend) +
             std::to_string(info.param.block_size);
    });

}  // namespace
}  // namespace forkdb::cow
