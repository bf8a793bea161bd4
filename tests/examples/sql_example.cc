// The README's "SQL from C++" example: a Session runs the SQL dialect over a
// Database; a prepared statement is bound and stepped like sqlite3's.
#include <iostream>

#include "forkdb/database.h"
#include "forkdb/sql.h"

using forkdb::Status;
using forkdb::engine::Database;
using forkdb::engine::Value;

int main() {
  auto db = Database::Open();  // in memory
  if (!db.ok()) return 1;
  forkdb::sql::Session session(*db);  // in fork "main"
  Status s = session.Execute(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
      "INSERT INTO users (name) VALUES ('ada'), ('grace');"
      "CREATE FORK staging;");
  if (s.ok()) {
    forkdb::sql::Session staging(*db, "staging");  // a second session
    s = staging.Execute("UPDATE users SET name = 'ada l.' WHERE id = 1");
  }
  auto stmt = session.Prepare("SELECT name FROM users WHERE id = ?");
  if (!s.ok() || !stmt.ok()) {
    std::cerr << (s.ok() ? stmt.status() : s).ToString() << "\n";
    return 1;
  }
  for (int64_t id : {1, 2}) {
    stmt->Reset();
    if (!stmt->Bind(1, Value::Integer(id)).ok()) return 1;
    for (auto row = stmt->Step(); row.ok() && *row; row = stmt->Step())
      std::cout << id << ": " << forkdb::sql::ValueText(stmt->row()[0]) << "\n";
  }
  return 0;  // main still says 'ada': the update went to the fork
}
