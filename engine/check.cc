#include "engine/check.h"

#include "engine/btree.h"
#include "engine/catalog.h"
#include "engine/table.h"

namespace forkdb::engine {

Status CheckForkTables(cow::Store* store, const cow::ForkInfo& fork,
                       std::vector<std::string>* problems) {
  FORKDB_ASSIGN_OR_RETURN(std::unique_ptr<cow::Snapshot> snap,
                          store->OpenSnapshot(fork.name));
  SnapshotPages pages(snap.get(), store->block_size());
  auto report = [&](const Status& s) {
    problems->push_back("fork " + fork.name + ": " + s.ToString());
  };
  Result<Catalog> catalog = Catalog::Open(&pages);
  if (!catalog.ok()) {
    report(catalog.status());
    return Status();
  }
  if (catalog->root() == 0) return Status();  // nothing written yet
  if (Status s = catalog->Check(); !s.ok()) {
    report(s);
    return Status();
  }
  Result<std::vector<TableDef>> tables = catalog->ListTables();
  if (!tables.ok()) {
    report(tables.status());
    return Status();
  }
  for (TableDef& def : *tables) {
    Result<Table> table = Table::Open(&pages, std::move(def));
    Status s = table.ok() ? table->CheckTable() : table.status();
    if (!s.ok()) report(s);
  }
  Result<std::vector<PageNo>> roots = catalog->TreeRoots();
  Status s = roots.ok() ? CheckPageSpace(&pages, *roots) : roots.status();
  if (!s.ok()) report(s);
  return Status();
}

}  // namespace forkdb::engine
