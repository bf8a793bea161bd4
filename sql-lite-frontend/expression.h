// Expression evaluation (SQL.md, "Values and types" and the expression
// list): arithmetic, comparison and three-valued logic as in SQLite, except
// that integer overflow and division by zero are errors; CAST; the scalar
// functions; and the accumulators of the aggregate functions.
//
// Invariants:
//   1. Evaluate() never sees a BOOLEAN value: rows are read with BOOLEAN
//      columns as INTEGER 0/1 (SQL.md: "stored as INTEGER 0/1"), so every
//      value here is NULL, INTEGER, REAL, TEXT or BLOB.
//   2. A comparison or logic operator yields INTEGER 0 or 1, or NULL.
#ifndef FORKDB_SQL_EXPRESSION_H_
#define FORKDB_SQL_EXPRESSION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/status.h"
#include "forkdb/value.h"
#include "sql-lite-frontend/ast.h"

namespace forkdb::sql {

struct EvalContext {
  const engine::Row* row = nullptr;  // the current row, if any
  const std::vector<Value>* params = nullptr;
  const std::vector<Value>* aggregates = nullptr;  // by Expr::aggregate
};

// The value of `e`; errors name the operation ("integer overflow", "division
// by zero") and where it is. REQUIRES: `e` is bound (executor.cc).
Result<Value> Evaluate(const Expr& e, const EvalContext& context);

// SQL truth: NULL is unknown (nullopt), numbers are true when non-zero, TEXT
// and BLOB as the number they start with.
std::optional<bool> Truth(const Value& v);

// CAST(v AS type), with SQLite's conversions (BOOLEAN: INTEGER 0 or 1).
Value Cast(const Value& v, Type type);

// Function names and arities. Aggregate: count, sum, total, avg, and min and
// max with one argument. Returns InvalidArgument for an unknown function or
// a wrong number of arguments.
Status CheckFunction(const Expr& e, bool* is_aggregate);

// The running state of one aggregate call.
class Accumulator {
 public:
  explicit Accumulator(const Expr* call);
  Status Add(const EvalContext& context);
  Result<Value> Finish() const;

 private:
  const Expr* call_;
  int64_t count_ = 0;
  bool has_real_ = false;
  bool overflow_ = false;
  int64_t int_sum_ = 0;
  double real_sum_ = 0.0;
  Value extreme_;  // min/max so far
};

// Row values for SQL: BOOLEAN becomes INTEGER (invariant 1).
void NormalizeBooleans(engine::Row* row);

}  // namespace forkdb::sql

#endif  // FORKDB_SQL_EXPRESSION_H_
