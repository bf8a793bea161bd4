// Replicator: applies a source fork's binlog records onto a target fork, one
// background thread per target (DESIGN.md, "binlog"; the public calls are
// Database::StartReplication and the others in forkdb/database.h).
//
// State. A replication's state lives in the target's own pages, in a B+tree
// at meta root slot kReplicationRootSlot:
//
//   key                         value
//   "s" + target id (8, BE)     the state: see EncodeState in replicator.cc
//   "c" + target id + n (8, BE) conflict n (n = 1, 2, ...)
//
// The target's id is in the key because a fork of the target inherits its
// pages: a copy under another fork's id is not that fork's replication.
//
// Invariants (tests/binlog/replication_test.cc):
//   1. Exactly once: each applied source record commits in one target
//      transaction that also writes applied_seq = its seq, so after any crash
//      the target holds exactly the records up to applied_seq.
//   2. A record that originated in the target (GTID origin = target id) is
//      never applied; the position still moves past it.
//   3. Under ConflictPolicy::kStop nothing of a conflicting record is
//      applied: the conflict and state "stopped" commit without it.
//   4. An applied record keeps its GTID in the target's binlog.
//
// Threads. A worker holds the Database only while it works on a batch, so
// the last handle may go away on a worker thread; Shutdown() then detaches
// that thread instead of joining it, and the worker touches nothing of the
// Database after.
#ifndef FORKDB_ENGINE_REPLICATOR_H_
#define FORKDB_ENGINE_REPLICATOR_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "binlog/log.h"
#include "forkdb/database.h"

namespace forkdb::engine {

inline constexpr int kReplicationRootSlot = 2;

class Replicator {
 public:
  explicit Replicator(std::weak_ptr<Database::Rep> rep)
      : rep_(std::move(rep)) {}
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;
  ~Replicator() { Shutdown(); }

  // Starts a worker for every replication a live fork records as running.
  Status Resume();
  Status Start(std::string_view source, std::string_view target,
               const ReplicationOptions& options);
  Status Stop(std::string_view target);
  Result<std::vector<ReplicationStatus>> List();
  Result<std::vector<ReplicationConflict>> Conflicts(std::string_view target);
  Result<bool> Wait(std::string_view target, std::chrono::milliseconds timeout);
  // The lowest source seq a replication from `source` still needs (its
  // applied_seq + 1), or UINT64_MAX if none reads from it.
  uint64_t MinNeeded(uint64_t source_id);
  // Stops every worker: joins them, but detaches the calling thread's own.
  void Shutdown();

  struct Worker;

 private:
  // The worker's loop; it reaches the Replicator only through a live Rep.
  static void Run(std::weak_ptr<Database::Rep> weak,
                  std::shared_ptr<Worker> worker);

  std::weak_ptr<Database::Rep> rep_;
  std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<Worker>> workers_;  // by target id
  binlog::CommitSignal progress_;  // bumped after each worker step
};

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_REPLICATOR_H_
