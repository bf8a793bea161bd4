// The README's "Binlog and replication" example: fork green from blue, keep
// green in sync with blue's writes, read blue's binlog.
#include <chrono>
#include <iostream>

#include "forkdb/database.h"

using forkdb::Status;
using forkdb::engine::BinlogEvent;
using forkdb::engine::Column;
using forkdb::engine::Database;
using forkdb::engine::Type;
using forkdb::engine::Value;

Status Run(Database& db) {
  auto txn = db.Begin("main");  // "main" plays blue
  FORKDB_RETURN_IF_ERROR(txn.status());
  FORKDB_RETURN_IF_ERROR(txn->CreateTable({"users",
                                           {Column("id", Type::kInteger),
                                            Column("name", Type::kText)},
                                           {"id"}})
                             .status());
  FORKDB_RETURN_IF_ERROR(
      txn->Insert("users", {Value::Integer(1), Value::Text("ada")}).status());
  FORKDB_RETURN_IF_ERROR(txn->Commit());

  FORKDB_RETURN_IF_ERROR(db.CreateFork("green", "main").status());
  FORKDB_RETURN_IF_ERROR(db.StartReplication("main", "green"));

  txn = db.Begin("main");  // blue keeps taking writes
  FORKDB_RETURN_IF_ERROR(txn.status());
  FORKDB_RETURN_IF_ERROR(
      txn->Insert("users", {Value::Integer(2), Value::Text("grace")}).status());
  FORKDB_RETURN_IF_ERROR(txn->Commit());

  auto caught_up = db.WaitForReplication("green", std::chrono::seconds(10));
  FORKDB_RETURN_IF_ERROR(caught_up.status());
  auto green = db.GetSnapshot("green");
  FORKDB_RETURN_IF_ERROR(green.status());
  auto row = green->Get("users", {Value::Integer(2)});
  FORKDB_RETURN_IF_ERROR(row.status());
  std::cout << "green has 2: " << (*row ? (**row)[1].ToString() : "no") << "\n";

  auto log = db.ReadBinlog("main", 1, 100);  // every record of blue
  FORKDB_RETURN_IF_ERROR(log.status());
  for (const auto& record : *log) {
    for (const BinlogEvent& e : record.events) {
      std::cout << record.seq << " " << e.table << " "
                << (e.kind == BinlogEvent::Kind::kDdl ? "ddl" : "row") << "\n";
    }
  }
  return db.StopReplication("green");
}

int main() {
  auto db = Database::Open();
  if (!db.ok()) return 1;
  Status s = Run(*db);
  if (!s.ok()) std::cerr << s.ToString() << "\n";
  return s.ok() ? 0 : 1;
}
