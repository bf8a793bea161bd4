// CommitContext: what a commit hook (forkdb/database.h, CommitHook) may write
// into the commit it runs in. The binlog writes its events through it, so
// that they land in the same atomic cow commit as the pages they describe.
#ifndef FORKDB_ENGINE_COMMIT_HOOK_H_
#define FORKDB_ENGINE_COMMIT_HOOK_H_

#include "cow/store.h"
#include "engine/btree.h"
#include "forkdb/database.h"

namespace forkdb::engine {

class CommitContext {
 public:
  CommitContext(cow::Transaction* txn, PageWriter* pages)
      : txn_(txn), pages_(pages) {}
  CommitContext(const CommitContext&) = delete;
  CommitContext& operator=(const CommitContext&) = delete;

  // The committing transaction and its pages (with the fork's page
  // allocator). Pages written here are published with the commit.
  cow::Transaction* transaction() { return txn_; }
  PageWriter* pages() { return pages_; }

 private:
  cow::Transaction* txn_;
  PageWriter* pages_;
};

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_COMMIT_HOOK_H_
