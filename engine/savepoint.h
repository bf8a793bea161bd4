// InSavepoint: runs one engine operation atomically inside a cow transaction.
// The operation either completes or leaves the transaction exactly as it found
// it (its pages, its page allocator, its savepoint depth), which is how a
// failed catalog change or row write "changes nothing".
#ifndef FORKDB_ENGINE_SAVEPOINT_H_
#define FORKDB_ENGINE_SAVEPOINT_H_

#include <cassert>
#include <cstddef>

#include "cow/store.h"
#include "forkdb/status.h"

namespace forkdb::engine {

// Sets a savepoint, runs fn() (which returns Status), then releases the
// savepoint on success or rolls back to it on failure and returns fn's error.
// O(1) plus, on failure, O(blocks the transaction owns).
template <typename Fn>
Status InSavepoint(cow::Transaction* txn, Fn&& fn) {
  [[maybe_unused]] const size_t depth = txn->savepoint_depth();
  FORKDB_RETURN_IF_ERROR(txn->Savepoint());
  Status s = fn();
  if (!s.ok()) {
    Status r = txn->RollbackToSavepoint();
    assert(txn->savepoint_depth() == depth);
    return r.ok() ? s : r;
  }
  FORKDB_RETURN_IF_ERROR(txn->ReleaseSavepoint());
  assert(txn->savepoint_depth() == depth);
  return Status();
}

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_SAVEPOINT_H_
