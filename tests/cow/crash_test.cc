// Crash tests of the durable store (DESIGN.md invariant 3: after any crash,
// every acknowledged commit is there, no half commit is, and no block is leaked
// or referenced after being freed).
//
// A child process (fork()) opens the RocksDB store at a scratch path and runs
// numbered operations: commits of page writes and frees, forks, drops. Each
// operation is drawn from (seed, its number, the model state before it), and
// every page it writes holds bytes derived from its number, so the parent can
// recompute everything the child did. The child acknowledges an operation by
// writing its number to a pipe after the call returned, and holds snapshots
// open as it goes. The parent kills it with SIGKILL at a random moment (after a
// random number of acknowledgements, or after a random delay, which may land
// while the child is still opening the store), reopens the store and checks:
//   - the surviving operations are a prefix of those issued: every
//     acknowledged one, possibly the one in flight, nothing after, no hole;
//   - the store equals the model of that prefix page for page (so no half
//     commit is visible), and every fork's commit count agrees;
//   - Check() is clean (no leaked block, no count mismatch) and no snapshot
//     survived the process that opened it; now and then `forkdb check` too.
//
// Most iterations write with RocksDBOptions.sync = false: a process kill loses
// nothing the OS already holds (the write-ahead log is in the page cache), so
// durability of acknowledged commits still holds; a few iterations use
// sync = true. Power loss is not simulated.
//
// The child must not run gtest code: after fork() it runs only ChildMain, which
// reports failures on stderr and through its exit code, and ends with _exit.
//
// The seed is printed; FORKDB_TEST_SEED=<seed> replays a run (the kill moments
// are random, so a replay repeats the operations, not the exact kill points).
// FORKDB_LONG_TESTS=1 runs 2000 kills instead of 200.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "cow/store.h"
#include "tests/cow/crash_child.h"
#include "tests/cow/forkdb_tool.h"
#include "tests/cow/test_util.h"

namespace forkdb::cow {
namespace {

constexpr uint32_t kBlockSize = 512;  // fanout 64: trees of height 2 to 4
constexpr size_t kForksMax = 5;
// A forked child cannot run RocksDB's background jobs (the parent's thread
// pool threads do not exist in it), so it never compacts; a fresh store every
// few kills keeps the level-0 file count far below RocksDB's write-stop limit.
constexpr int kKillsPerStore = 8;

using Pages = std::map<PageNo, std::string>;

struct ForkModel {
  Pages pages;
  uint64_t commit_seq = 0;
};
using Model = std::map<std::string, ForkModel>;

uint64_t Mix(uint64_t seed, uint64_t n) {  // SplitMix64 of seed + n
  uint64_t z = seed + n * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The bytes operation n writes to a page: recomputable by the parent.
std::string Contents(uint64_t n, PageNo page) {
  std::string s =
      "op" + std::to_string(n) + "/page" + std::to_string(page) + "/";
  s.append((n * 7 + page) % 200, static_cast<char>('a' + n % 26));
  return s;
}

struct CrashOp {
  enum class Kind { kRootFork, kCommit, kFork, kDrop };
  Kind kind;
  uint64_t n;
  std::string fork;  // written, forked from or dropped
  std::string name;  // kRootFork, kFork: the new fork
  std::vector<std::pair<PageNo, bool>>
      steps;  // kCommit: (page, write?) else free
};

// Operation n, drawn from the seed, n and the model before it.
CrashOp DrawOp(uint64_t seed, uint64_t n, const Model& model) {
  std::mt19937_64 rng(Mix(seed, n));
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  auto random_fork = [&] {
    return std::next(model.begin(), uniform(0, model.size() - 1))->first;
  };
  CrashOp op{CrashOp::Kind::kCommit, n, "", "", {}};
  if (model.empty()) {
    op.kind = CrashOp::Kind::kRootFork;
    op.name = "r" + std::to_string(n);
    return op;
  }
  uint64_t dice = uniform(0, 99);
  if (dice < 8 && model.size() < kForksMax) {
    op.kind = CrashOp::Kind::kFork;
    op.fork = random_fork();
    op.name = "f" + std::to_string(n);
  } else if (dice < 13 && model.size() > 1) {
    op.kind = CrashOp::Kind::kDrop;
    op.fork = random_fork();
  } else {
    op.fork = random_fork();
    Pages pages = model.at(op.fork).pages;
    uint64_t count = uniform(1, 6);
    for (uint64_t i = 0; i < count; ++i) {
      if (!pages.empty() && uniform(0, 9) == 0) {
        PageNo page =
            std::next(pages.begin(), uniform(0, pages.size() - 1))->first;
        op.steps.emplace_back(page, false);
        pages.erase(page);
      } else {
        uint64_t where = uniform(0, 99);
        PageNo page = where < 90   ? uniform(0, 400)
                      : where < 99 ? uniform(0, 5000)
                                   : uniform(0, 300000);  // height 4
        op.steps.emplace_back(page, true);
        pages[page] = Contents(n, page);
      }
    }
  }
  return op;
}

void ApplyToModel(const CrashOp& op, Model* model) {
  switch (op.kind) {
    case CrashOp::Kind::kRootFork:
      (*model)[op.name] = ForkModel();
      break;
    case CrashOp::Kind::kFork:
      (*model)[op.name] = ForkModel{model->at(op.fork).pages, 0};
      break;
    case CrashOp::Kind::kDrop:
      model->erase(op.fork);
      break;
    case CrashOp::Kind::kCommit: {
      ForkModel& fork = model->at(op.fork);
      for (const auto& [page, write] : op.steps) {
        if (write) {
          fork.pages[page] = Contents(op.n, page);
        } else {
          fork.pages.erase(page);
        }
      }
      ++fork.commit_seq;
      break;
    }
  }
}

Status ApplyToStore(const CrashOp& op, Store& store) {
  switch (op.kind) {
    case CrashOp::Kind::kRootFork:
      return store.CreateRootFork(op.name).status();
    case CrashOp::Kind::kFork:
      return store.CreateFork(op.name, op.fork).status();
    case CrashOp::Kind::kDrop:
      return store.DropFork(op.fork);
    case CrashOp::Kind::kCommit: {
      FORKDB_ASSIGN_OR_RETURN(auto txn, store.Begin(op.fork));
      for (const auto& [page, write] : op.steps) {
        if (write) {
          FORKDB_RETURN_IF_ERROR(txn->WritePage(page, Contents(op.n, page)));
        } else {
          FORKDB_RETURN_IF_ERROR(txn->FreePage(page));
        }
      }
      return txn->Commit();
    }
  }
  return Status();
}

// "" if the store holds exactly the model, else the first difference.
std::string Compare(Store& store, const Model& model) {
  std::vector<ForkInfo> forks = store.ListForks();
  if (forks.size() != model.size()) {
    return std::to_string(forks.size()) + " forks, model has " +
           std::to_string(model.size());
  }
  for (const ForkInfo& info : forks) {
    auto it = model.find(info.name);
    if (it == model.end()) return "unexpected fork " + info.name;
    const ForkModel& m = it->second;
    if (info.commit_seq != m.commit_seq) {
      return "fork " + info.name + ": commit_seq " +
             std::to_string(info.commit_seq) + ", model " +
             std::to_string(m.commit_seq);
    }
    if (info.root.pages != m.pages.size()) {
      return "fork " + info.name + ": " + std::to_string(info.root.pages) +
             " pages, model " + std::to_string(m.pages.size());
    }
    auto snap = store.OpenSnapshot(info.name);
    if (!snap.ok())
      return "snapshot of " + info.name + ": " + snap.status().ToString();
    for (const auto& [page, bytes] : m.pages) {
      auto block = (*snap)->ReadPage(page);
      if (!block.ok()) {
        return "fork " + info.name + " page " + std::to_string(page) + ": " +
               block.status().ToString();
      }
      std::string expected = bytes;
      expected.resize(kBlockSize, '\0');
      if (std::string((*block)->data(), kBlockSize) != expected) {
        return "fork " + info.name + " page " + std::to_string(page) +
               " reads '" + std::string((*block)->data()) + "', expected '" +
               bytes + "'";
      }
    }
  }
  return "";
}

// ---------------------------------------------------------------------------
// The child side: no gtest, no exceptions, ends only by _exit or SIGKILL.

RocksDBOptions CrashOptions(bool sync) {
  RocksDBOptions options;
  options.block_size = kBlockSize;
  options.sync = sync;
  return options;
}

struct ChildPlan {
  std::string path;
  bool sync = false;
  uint64_t seed = 0;
  uint64_t first_op = 1;  // the first operation number to run
  uint64_t ops = 0;       // how many to run before waiting to be killed
  Model model;            // the state before first_op
};

[[noreturn]] void ChildMain(const ChildPlan& plan, int ack_fd) {
  auto opened = Store::OpenRocksDB(plan.path, CrashOptions(plan.sync));
  if (!opened.ok()) ChildDie("open", opened.status());
  Store& store = **opened;
  Model model = plan.model;
  std::mt19937_64 rng(Mix(plan.seed ^ 0x5eedull, plan.first_op));
  std::vector<std::unique_ptr<Snapshot>> snapshots;  // never released: killed
  for (uint64_t n = plan.first_op; n < plan.first_op + plan.ops; ++n) {
    CrashOp op = DrawOp(plan.seed, n, model);
    Status s = ApplyToStore(op, store);
    if (!s.ok()) ChildDie("operation " + std::to_string(n), s);
    ApplyToModel(op, &model);
    ChildAck(ack_fd, n);
    if (!model.empty() && rng() % 4 == 0 && snapshots.size() < 6) {
      auto fork = std::next(model.begin(), rng() % model.size())->first;
      auto snap = store.OpenSnapshot(fork);
      if (!snap.ok()) ChildDie("snapshot", snap.status());
      snapshots.push_back(std::move(snap).value());
    }
  }
  ChildAck(ack_fd, kAckDone);
  for (;;) pause();
}

// ---------------------------------------------------------------------------
// The parent side.

struct CrashStats {
  int kills = 0;
  int kills_before_first_ack = 0;
  int kills_after_last_op = 0;  // the child had run all its operations
  int in_flight_survived = 0;
  uint64_t acked = 0;
  int sync_kills = 0;
  int tool_runs = 0;
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = TestSeed();
    rng_.seed(seed_);
    std::cout << "[ seed     ] FORKDB_TEST_SEED=" << seed_ << "\n";
  }
  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
};

// One kill: runs a child from `*next_op` on `*model`, kills it, and checks the
// reopened store; on return `*model` and `*next_op` describe what survived.
void KillAndVerify(const std::string& path, uint64_t seed, bool sync,
                   uint64_t ops, bool kill_after_acks,
                   uint64_t acks_before_kill, uint64_t delay_us, bool run_tool,
                   Model* model, uint64_t* next_op, CrashStats* stats) {
  ChildPlan plan{path, sync, seed, *next_op, ops, *model};
  uint64_t acked = *next_op - 1;
  bool done = false, hung = false;
  {
    Child child([&](int ack_fd) { ChildMain(plan, ack_fd); });
    ASSERT_TRUE(child.started()) << std::strerror(errno);
    if (kill_after_acks) {
      for (uint64_t i = 0; i < acks_before_kill && !done; ++i) {
        std::optional<uint64_t> ack = child.NextAck(&hung);
        if (!ack) break;
        if (*ack == kAckDone) {
          done = true;
        } else {
          ASSERT_EQ(*ack, acked + 1) << "acknowledgements out of order";
          acked = *ack;
        }
      }
    }
    // In ack mode the delay is short, to land inside the next operation.
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    int status = child.Kill();
    ASSERT_FALSE(hung) << "child acknowledged nothing for "
                       << kChildSilenceMaxMs << " ms";
    // Acknowledgements written before the kill are still in the pipe.
    while (!done) {
      std::optional<uint64_t> ack = child.NextAck(&hung);
      if (!ack) break;
      if (*ack == kAckDone) {
        done = true;
      } else {
        ASSERT_EQ(*ack, acked + 1) << "acknowledgements out of order";
        acked = *ack;
      }
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child died by itself (exit status " << status
        << "); its stderr says why";
  }
  ++stats->kills;
  if (sync) ++stats->sync_kills;
  if (acked == *next_op - 1) ++stats->kills_before_first_ack;
  if (done) ++stats->kills_after_last_op;
  stats->acked += acked - (*next_op - 1);

  // The model after every acknowledged operation, and after the one in flight.
  Model at_acked = *model;
  for (uint64_t n = *next_op; n <= acked; ++n) {
    ApplyToModel(DrawOp(seed, n, at_acked), &at_acked);
  }
  Model in_flight = at_acked;
  ApplyToModel(DrawOp(seed, acked + 1, in_flight), &in_flight);

  {
    auto opened = Store::OpenRocksDB(path, CrashOptions(sync));
    ASSERT_TRUE(opened.ok())
        << "reopen after the kill: " << opened.status().ToString();
    Store& store = **opened;
    std::string diff = Compare(store, at_acked);
    if (diff.empty()) {
      *model = std::move(at_acked);
      *next_op = acked + 1;
    } else {
      std::string diff_in_flight =
          done ? "no operation was in flight" : Compare(store, in_flight);
      ASSERT_TRUE(diff_in_flight.empty())
          << "after " << acked
          << " acknowledged operations the store is neither "
          << "that state (" << diff << ") nor the next one (" << diff_in_flight
          << ")";
      *model = std::move(in_flight);
      *next_op = acked + 2;
      ++stats->in_flight_survived;
    }
    auto report = store.Check();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_TRUE(report->ok()) << report->ToString();
    EXPECT_EQ(store.Stats().snapshots, 0u)
        << "a dead process's snapshot survived";
  }
  if (run_tool) {
    ++stats->tool_runs;
    ToolRun run = RunForkdbTool("check --store-only " + ShellQuote(path));
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
}

TEST_F(CrashTest,
       Invariant3_AcknowledgedCommitsSurviveKillNoHalfCommitIsVisible) {
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed_));
  const int kills = LongTests() ? 2000 : 200;
  CrashStats stats;
  std::unique_ptr<ScratchDir> dir;
  Model model;
  uint64_t next_op = 1;
  for (int i = 0; i < kills; ++i) {
    if (i % kKillsPerStore == 0) {
      dir = std::make_unique<ScratchDir>();
      model.clear();
      next_op = 1;
    }
    const bool sync = i % 20 == 3;  // a few with fsync at every commit
    const uint64_t ops = Uniform(1, 60);
    const bool kill_after_acks = Uniform(0, 2) != 0;
    const uint64_t acks_before_kill = Uniform(0, ops);
    const uint64_t delay_us =
        kill_after_acks ? Uniform(0, 1) * Uniform(0, 1500) : Uniform(0, 40000);
    const bool run_tool = i % 50 == 49;
    SCOPED_TRACE("kill " + std::to_string(i) + " from operation " +
                 std::to_string(next_op) + (sync ? ", sync" : "") +
                 (kill_after_acks
                      ? ", after " + std::to_string(acks_before_kill) + " acks"
                      : ", after " + std::to_string(delay_us) + " us"));
    ASSERT_NO_FATAL_FAILURE(KillAndVerify(
        dir->path() + "/db", seed_, sync, ops, kill_after_acks,
        acks_before_kill, delay_us, run_tool, &model, &next_op, &stats));
  }
  std::cout << "[ crash    ] " << stats.kills << " kills (" << stats.sync_kills
            << " with sync), " << stats.acked
            << " acknowledged operations verified, " << stats.in_flight_survived
            << " in-flight operations survived, "
            << stats.kills_before_first_ack
            << " kills before any acknowledgement, "
            << stats.kills_after_last_op << " after the last operation, "
            << stats.tool_runs << " forkdb check runs\n";
  EXPECT_GT(stats.acked, static_cast<uint64_t>(kills));
}

// The store records live snapshots and releases those of a dead process when it
// is next opened: nothing they pinned stays counted.
TEST_F(CrashTest, SnapshotLeftOpenAtCrashIsReleasedOnOpen) {
  SCOPED_TRACE("FORKDB_TEST_SEED=" + std::to_string(seed_));
  for (int i = 0; i < 20; ++i) {
    ScratchDir dir;
    const std::string path = dir.path() + "/db";
    const uint64_t versions = Uniform(1, 6);
    const uint64_t acks_before_kill = Uniform(1, versions);
    SCOPED_TRACE("iteration " + std::to_string(i) + ": kill after " +
                 std::to_string(acks_before_kill) + " of " +
                 std::to_string(versions) + " versions");
    auto page_bytes = [](uint64_t v, PageNo p) {
      return "v" + std::to_string(v) + "." + std::to_string(p);
    };
    uint64_t acked = 0;
    {
      Child child([&](int ack_fd) {
        // Every version is written over a snapshot of the one before.
        auto opened = Store::OpenRocksDB(path, CrashOptions(false));
        if (!opened.ok()) ChildDie("open", opened.status());
        Store& store = **opened;
        Status s = store.CreateRootFork("main").status();
        if (!s.ok()) ChildDie("fork", s);
        std::vector<std::unique_ptr<Snapshot>> snapshots;
        for (uint64_t v = 1; v <= versions; ++v) {
          auto snap = store.OpenSnapshot("main");
          if (!snap.ok()) ChildDie("snapshot", snap.status());
          snapshots.push_back(std::move(snap).value());
          std::vector<std::pair<PageNo, std::string>> pages;
          for (PageNo p = 0; p < 700; p += 9)
            pages.emplace_back(p, page_bytes(v, p));
          s = WritePages(store, "main", pages);
          if (!s.ok()) ChildDie("commit", s);
          ChildAck(ack_fd, v);
        }
        ChildAck(ack_fd, kAckDone);
        for (;;) pause();
      });
      ASSERT_TRUE(child.started()) << std::strerror(errno);
      bool hung = false;
      while (acked < acks_before_kill) {
        std::optional<uint64_t> ack = child.NextAck(&hung);
        if (!ack || *ack == kAckDone) break;
        acked = *ack;
      }
      int status = child.Kill();
      ASSERT_FALSE(hung) << "child acknowledged nothing for "
                         << kChildSilenceMaxMs << " ms";
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
          << "the child died by itself (exit status " << status
          << "); its stderr says why";
      ASSERT_EQ(acked, acks_before_kill);
      // Acknowledgements written before the kill landed are still in the pipe.
      for (std::optional<uint64_t> ack;
           (ack = child.NextAck(&hung)) && *ack != kAckDone;) {
        acked = *ack;
      }
    }
    auto opened = Store::OpenRocksDB(path, CrashOptions(false));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Store& store = **opened;
    EXPECT_EQ(store.Stats().snapshots, 0u);
    auto report = store.Check();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->ok()) << report->ToString();
    ASSERT_OK_AND_ASSIGN(ForkInfo info, store.GetFork("main"));
    // Only the newest version is reachable; every older one was pinned by a
    // snapshot only and is freed.
    EXPECT_EQ(store.Stats().blocks_live, info.root.pages + info.root.nodes);
    uint64_t version = info.commit_seq;
    EXPECT_TRUE(version == acked || version == acked + 1) << version;
    EXPECT_EQ(ReadPageString(store, "main", 9), page_bytes(version, 9));
  }
}

}  // namespace
}  // namespace forkdb::cow
