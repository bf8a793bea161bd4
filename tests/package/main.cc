// Built against an installed forkdb (tools/check-package): opens an in-memory
// database, writes main, forks it, writes the fork, and reads both. Exits 0
// only if every call succeeds and each fork holds exactly what it should.
// Includes every public header, so each must compile from the install alone.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "forkdb/database.h"
#include "forkdb/schema.h"
#include "forkdb/status.h"
#include "forkdb/value.h"

namespace {

using forkdb::Result;
using forkdb::Status;
using namespace forkdb::engine;

// The value column of row `k` in the fork's committed state; NULL if absent.
Result<Value> Read(Database& db, std::string_view fork, int64_t k) {
  FORKDB_ASSIGN_OR_RETURN(Snapshot snap, db.GetSnapshot(fork));
  FORKDB_ASSIGN_OR_RETURN(std::optional<Row> row,
                          snap.Get("kv", {Value::Integer(k)}));
  if (!row.has_value()) return Value::Null();
  return (*row)[1];
}

Status Expect(Database& db, std::string_view fork, int64_t k,
              const Value& want) {
  FORKDB_ASSIGN_OR_RETURN(Value got, Read(db, fork, k));
  if (!(got == want)) {
    return Status::Corruption("fork ", fork, " key ", k, ": read ", got,
                              ", want ", want);
  }
  return Status();
}

Status Run() {
  FORKDB_ASSIGN_OR_RETURN(Database db, Database::Open());
  {
    FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin(kMainFork));
    const TableSpec kv{
        "kv",
        {{.name = "k", .not_null = true, .default_value = {}},
         {.name = "v", .type = Type::kText, .default_value = {}}},
        {"k"}};
    FORKDB_RETURN_IF_ERROR(txn.CreateTable(kv).status());
    for (int64_t k = 1; k <= 100; ++k) {
      FORKDB_RETURN_IF_ERROR(
          txn.Insert("kv", {Value::Integer(k), Value::Text(std::to_string(k))})
              .status());
    }
    FORKDB_RETURN_IF_ERROR(txn.Commit());
  }
  FORKDB_ASSIGN_OR_RETURN(ForkInfo fork, db.CreateFork("branch", kMainFork));
  if (fork.parent != kMainFork)
    return Status::Corruption("fork parent is '", fork.parent, "'");
  {
    FORKDB_ASSIGN_OR_RETURN(Transaction txn, db.Begin("branch"));
    FORKDB_RETURN_IF_ERROR(txn.Update("kv", {Value::Integer(7)},
                                      {Value::Integer(7), Value::Text("x")}));
    FORKDB_RETURN_IF_ERROR(txn.Delete("kv", {Value::Integer(8)}));
    FORKDB_RETURN_IF_ERROR(txn.Commit());
  }
  FORKDB_RETURN_IF_ERROR(Expect(db, "main", 7, Value::Text("7")));
  FORKDB_RETURN_IF_ERROR(Expect(db, "main", 8, Value::Text("8")));
  FORKDB_RETURN_IF_ERROR(Expect(db, "branch", 7, Value::Text("x")));
  FORKDB_RETURN_IF_ERROR(Expect(db, "branch", 8, Value::Null()));
  FORKDB_RETURN_IF_ERROR(Expect(db, "branch", 100, Value::Text("100")));
  FORKDB_ASSIGN_OR_RETURN(std::vector<std::string> problems, db.Check());
  if (!problems.empty())
    return Status::Corruption("integrity check: ", problems.front());
  return db.DropFork("branch");
}

}  // namespace

int main() {
  Status s = Run();
  if (!s.ok()) {
    std::cerr << "consumer: " << s.ToString() << "\n";
    return EXIT_FAILURE;
  }
  std::cout << "consumer: ok\n";
  return EXIT_SUCCESS;
}
