// Database::Rep: the state behind every Database handle, shared by the
// public API (database.cc) and the replicator (replicator.cc). Internal.
#ifndef FORKDB_ENGINE_DATABASE_REP_H_
#define FORKDB_ENGINE_DATABASE_REP_H_

#include <memory>

#include "binlog/log.h"
#include "binlog/record.h"
#include "cow/mutex.h"
#include "cow/store.h"
#include "engine/btree.h"
#include "forkdb/database.h"

namespace forkdb::engine {

class Replicator;

struct Database::Rep {
  Rep();
  ~Rep();  // stops the replications first

  std::unique_ptr<cow::Store> store;
  bool durable = false;
  // Serializes fork creation and drops, so that the drop rule's look at the
  // children and the drop itself are one step.
  Mutex fork_mu;
  mutable Mutex hook_mu;
  std::shared_ptr<const CommitHook> hook FORKDB_GUARDED_BY(hook_mu);
  // Bumped after every commit that appended to a binlog: tailers wait on it.
  // Shared so that an idle replication worker waits on it without holding
  // the Rep (and so without keeping the database open).
  std::shared_ptr<binlog::CommitSignal> binlog_signal =
      std::make_shared<binlog::CommitSignal>();
  // Declared after the store: destroyed (threads joined) before it.
  std::unique_ptr<Replicator> replicator;

  std::shared_ptr<const CommitHook> current_hook() const {
    MutexLock lock(&hook_mu);
    return hook;
  }
  ForkInfo Describe(const cow::ForkInfo& info) const;
};

struct Database::OpenToken {
  explicit OpenToken(std::weak_ptr<Rep> r) : rep(std::move(r)) {}
  OpenToken(const OpenToken&) = delete;
  OpenToken& operator=(const OpenToken&) = delete;
  ~OpenToken();
  std::weak_ptr<Rep> rep;
};

// What a Snapshot handle's view holds: its database and its cow snapshot
// (database.cc; the divergence reports compare snapshots).
struct SnapshotParts {
  const Database::Rep* db;
  const cow::Snapshot* snap;
};
SnapshotParts PartsOf(const Reader::View& view);

// What the replicator needs of a Transaction beyond the public API.
struct Transaction::Access {
  // The commit's binlog record keeps `gtid` (the source's).
  static void SetOrigin(Transaction& txn, const binlog::Gtid& gtid);
  // The transaction's pages, for the replication state it commits along.
  static PageWriter* Pages(Transaction& txn);
};

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_DATABASE_REP_H_
