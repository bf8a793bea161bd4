// The `forkdb demo` command: a guided tour of forks on the in-memory store.
#ifndef FORKDB_TOOLS_DEMO_H_
#define FORKDB_TOOLS_DEMO_H_

#include <cstdint>

namespace forkdb::tools {

// Runs the tour on a database of `size_mib` MiB; prints as it goes. Returns the
// process exit status: 0, or 1 after printing an error.
int Demo(uint64_t size_mib);

}  // namespace forkdb::tools

#endif  // FORKDB_TOOLS_DEMO_H_
