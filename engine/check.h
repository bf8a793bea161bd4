// The engine half of the integrity check: per fork, the catalog, every
// table's and index's B+tree (key order, separators, fill, overflow chains),
// index entries equal to rows, and the page space (no orphan or doubly used
// page). The cow half (checksums, reference counts) is cow::Store::Check();
// Database::Check() runs both, and `forkdb check` prints both.
#ifndef FORKDB_ENGINE_CHECK_H_
#define FORKDB_ENGINE_CHECK_H_

#include <string>
#include <vector>

#include "cow/store.h"
#include "forkdb/status.h"

namespace forkdb::engine {

// Appends one line per problem found in the fork ("fork NAME: ...") to
// *problems. An error is returned only if the fork cannot be read at all.
// O(fork size).
Status CheckForkTables(cow::Store* store, const cow::ForkInfo& fork,
                       std::vector<std::string>* problems);

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_CHECK_H_
