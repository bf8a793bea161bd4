#include "engine/check.h"

#include "binlog/log.h"
#include "engine/binlog_tree.h"
#include "engine/btree.h"
#include "engine/catalog.h"
#include "engine/replicator.h"
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
  if (!roots.ok()) {
    report(roots.status());
    return Status();
  }
  // The fork's other trees: its binlog.
  BinlogTree binlog_tree(&pages);
  Result<PageNo> binlog_root = binlog_tree.Root();
  if (!binlog_root.ok()) {
    report(binlog_root.status());
    return Status();
  }
  if (*binlog_root != 0) {
    Status s = CheckTree(&pages, *binlog_root);
    if (s.ok()) s = binlog::Log(&binlog_tree).Check();
    if (!s.ok()) report(s.WithContext("binlog"));
    roots->push_back(*binlog_root);
  }
  // And its replication state (engine/replicator.h).
  Result<PageNo> replication_root = GetRootSlot(&pages, kReplicationRootSlot);
  if (!replication_root.ok()) {
    report(replication_root.status());
    return Status();
  }
  if (*replication_root != 0) {
    if (Status s = CheckTree(&pages, *replication_root); !s.ok())
      report(s.WithContext("replication state"));
    roots->push_back(*replication_root);
  }
  if (Status s = CheckPageSpace(&pages, *roots); !s.ok()) report(s);
  return Status();
}

}  // namespace forkdb::engine
