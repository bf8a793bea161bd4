// Embedding forkdb: open an in-memory database, create a table, write rows on
// fork "main", fork it, write on the fork, then read both forks. Exits
// non-zero on any error. (README, "Embedding forkdb", shows this file.)
#include <iostream>
#include <string_view>

#include "forkdb/database.h"

using forkdb::Status;
using namespace forkdb::engine;

namespace {

// Prints the users a fork's committed state holds; sets *count to how many.
Status PrintUsers(Database& db, std::string_view fork, int* count) {
  FORKDB_ASSIGN_OR_RETURN(Snapshot snap, db.GetSnapshot(fork));  // O(1)
  FORKDB_ASSIGN_OR_RETURN(Cursor cursor, snap.Scan("users"));
  std::cout << fork << ":";
  for (*count = 0; cursor.Valid(); ++*count) {
    std::cout << " " << cursor.row()[0] << "=" << cursor.row()[1];
    FORKDB_RETURN_IF_ERROR(cursor.Next());
  }
  std::cout << "\n";
  return cursor.status();
}

Status Run() {
  FORKDB_ASSIGN_OR_RETURN(Database db, Database::Open());  // in memory
  {
    FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin("main"));
    // users(id INTEGER NOT NULL PRIMARY KEY, name TEXT)
    const TableSpec users{"users",
                          {Column("id", Type::kInteger, /*not_null=*/true),
                           Column("name", Type::kText)},
                          {"id"}};
    FORKDB_RETURN_IF_ERROR(txn.CreateTable(users).status());
    FORKDB_RETURN_IF_ERROR(
        txn.Insert("users", {Value::Integer(1), Value::Text("ada")}).status());
    FORKDB_RETURN_IF_ERROR(
        txn.Insert("users", {Value::Integer(2), Value::Text("grace")})
            .status());
    FORKDB_RETURN_IF_ERROR(txn.Commit());
  }

  // A fork is a full, writable copy of main, made in O(1).
  FORKDB_RETURN_IF_ERROR(db.CreateFork("staging", "main").status());
  {
    FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin("staging"));
    FORKDB_RETURN_IF_ERROR(
        txn.Update("users", {Value::Integer(1)},
                   {Value::Integer(1), Value::Text("ada l.")}));
    FORKDB_RETURN_IF_ERROR(
        txn.Insert("users", {Value::Integer(3), Value::Text("linus")})
            .status());
    FORKDB_RETURN_IF_ERROR(txn.Commit());
  }

  int main_count = 0;
  int staging_count = 0;
  FORKDB_RETURN_IF_ERROR(PrintUsers(db, "main", &main_count));
  FORKDB_RETURN_IF_ERROR(PrintUsers(db, "staging", &staging_count));
  if (main_count != 2 || staging_count != 3)
    return Status::Corruption("main reads the fork's writes");
  return Status();
}

}  // namespace

int main() {
  Status s = Run();
  if (!s.ok()) {
    std::cerr << "embed_example: " << s.ToString() << "\n";
    return 1;
  }
  return 0;
}
