// The README's "Divergence between forks" example: two forks of one database
// written independently, then what both changed and how they differ now.
#include <iostream>

#include "forkdb/database.h"

using forkdb::Status;
using forkdb::engine::Column;
using forkdb::engine::Database;
using forkdb::engine::DiffRow;
using forkdb::engine::DivergentRow;
using forkdb::engine::Row;
using forkdb::engine::Type;
using forkdb::engine::Value;

// Sets the balance of account `id` on `fork`.
Status SetBalance(Database& db, const char* fork, int64_t id, int64_t balance) {
  auto txn = db.Begin(fork);
  FORKDB_RETURN_IF_ERROR(txn.status());
  FORKDB_RETURN_IF_ERROR(
      txn->Update("accounts", {Value::Integer(id)},
                  {Value::Integer(id), Value::Integer(balance)}));
  return txn->Commit();
}

std::string Text(const std::optional<Row>& row) {
  return row.has_value() ? (*row)[1].ToString() : "-";
}

Status Run(Database& db) {
  auto txn = db.Begin("main");
  FORKDB_RETURN_IF_ERROR(txn.status());
  FORKDB_RETURN_IF_ERROR(txn->CreateTable({"accounts",
                                           {Column("id", Type::kInteger),
                                            Column("balance", Type::kInteger)},
                                           {"id"}})
                             .status());
  for (int64_t id = 1; id <= 1000; ++id) {
    FORKDB_RETURN_IF_ERROR(
        txn->Insert("accounts", {Value::Integer(id), Value::Integer(100)})
            .status());
  }
  FORKDB_RETURN_IF_ERROR(txn->Commit());
  FORKDB_RETURN_IF_ERROR(db.CreateFork("blue", "main").status());
  FORKDB_RETURN_IF_ERROR(db.CreateFork("green", "main").status());

  FORKDB_RETURN_IF_ERROR(SetBalance(db, "blue", 7, 70));    // both sides
  FORKDB_RETURN_IF_ERROR(SetBalance(db, "green", 7, 75));   // write row 7
  FORKDB_RETURN_IF_ERROR(SetBalance(db, "blue", 8, 80));    // one side each:
  FORKDB_RETURN_IF_ERROR(SetBalance(db, "green", 9, 90));   // no conflict
  FORKDB_RETURN_IF_ERROR(SetBalance(db, "blue", 500, 1));   // the same change
  FORKDB_RETURN_IF_ERROR(SetBalance(db, "green", 500, 1));  // on both sides

  FORKDB_RETURN_IF_ERROR(
      db.Divergence("blue", "green", {}, [](const DivergentRow& r) {
        std::cout << "divergent: " << r.table << " " << r.key[0].ToString()
                  << " " << DivergenceKindName(r.kind) << " base "
                  << Text(r.base) << ", blue " << Text(r.a) << ", green "
                  << Text(r.b) << "\n";
        return true;  // false stops the stream
      }));
  return db.Diff("blue", "green", {}, [](const DiffRow& r) {
    std::cout << "differs: " << r.table << " " << r.key[0].ToString() << " "
              << DiffKindName(r.kind) << "\n";
    return true;
  });
}

int main() {
  auto db = Database::Open();
  if (!db.ok()) return 1;
  Status s = Run(*db);
  if (!s.ok()) std::cerr << s.ToString() << "\n";
  return s.ok() ? 0 : 1;
}
