// The syntax tree the parser builds and the executor binds (SQL.md). Plain
// structs: the parser fills them, the executor reads them and writes the
// binding fields (marked "bound") once, when a statement is prepared.
//
// Invariants:
//   1. Every Expr and Statement carries the position of its first token, so
//      errors found after parsing still say where.
//   2. An Expr's operands live in `args`, in source order; the meaning of
//      each slot is fixed by `kind` (see ExprKind).
#ifndef FORKDB_SQL_AST_H_
#define FORKDB_SQL_AST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/schema.h"
#include "forkdb/value.h"

namespace forkdb::sql {

using engine::Type;
using engine::Value;

struct Position {
  int line = 1;
  int column = 1;
};

enum class ExprKind {
  kLiteral,    // literal
  kColumn,     // [table.]name
  kParameter,  // ?: parameter (1-based)
  kUnary,      // op args[0]: op is "-", "+" or "NOT"
  kBinary,     // args[0] op args[1]
  kIsNull,     // args[0] IS [NOT] NULL (negated: IS NOT)
  kIn,         // args[0] [NOT] IN (args[1..])
  kBetween,    // args[0] [NOT] BETWEEN args[1] AND args[2]
  kLike,       // args[0] [NOT] LIKE args[1]
  kCase,       // CASE [operand] WHEN w THEN t ... [ELSE e] END: args are
               // [operand], w1, t1, w2, t2, ..., [else]
  kCast,       // CAST(args[0] AS cast_type)
  kFunction,   // name(args) or name(*) (star); aggregates too
};

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kConcat,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
};

enum class UnaryOp { kNeg, kPlus, kNot };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Position pos;
  Value literal;
  std::string table;  // kColumn: the qualifier, if any
  std::string name;   // kColumn: the column; kFunction: lower-case name
  int parameter = 0;
  UnaryOp unary = UnaryOp::kNeg;
  BinaryOp binary = BinaryOp::kAdd;
  bool negated = false;
  bool star = false;  // count(*)
  bool has_operand = false;
  bool has_else = false;
  Type cast_type = Type::kNull;
  std::vector<ExprPtr> args;
  int height = 1;  // of the tree below (parser.cc bounds it)

  // Bound.
  int column = -1;                 // kColumn: index into the row
  const Expr* alias_of = nullptr;  // kColumn naming a result alias instead
  int aggregate = -1;  // kFunction: index of the aggregate in its query
};

struct SelectItem {
  Position pos;
  ExprPtr expr;  // null for *
  std::string alias;
  std::string text;  // the source text, the column name without an alias
};

struct OrderItem {
  ExprPtr expr;
  bool descending = false;
};

struct SelectStmt {
  bool distinct = false;
  std::vector<SelectItem> items;
  std::string table;  // empty: no FROM
  std::string table_alias;
  ExprPtr where;
  std::vector<ExprPtr> group_by;
  ExprPtr having;
  std::vector<OrderItem> order_by;
  ExprPtr limit;
  ExprPtr offset;
};

struct InsertStmt {
  std::string table;
  std::vector<std::string> columns;  // empty: every column in order
  std::vector<std::vector<ExprPtr>> rows;
};

struct UpdateStmt {
  std::string table;
  std::vector<std::pair<std::string, ExprPtr>> sets;
  ExprPtr where;
};

struct DeleteStmt {
  std::string table;
  ExprPtr where;
};

struct ColumnSpec {
  engine::ColumnDef def;
  bool primary_key = false;
  bool unique = false;
};

struct CreateTableStmt {
  bool if_not_exists = false;
  std::string table;
  std::vector<ColumnSpec> columns;
  std::vector<std::string> primary_key;           // from PRIMARY KEY (a, b)
  std::vector<std::vector<std::string>> uniques;  // UNIQUE (a, b)
};

struct DropTableStmt {
  bool if_exists = false;
  std::string table;
};

struct CreateIndexStmt {
  bool unique = false;
  bool if_not_exists = false;
  std::string index;
  std::string table;
  std::vector<std::string> columns;
};

struct DropIndexStmt {
  bool if_exists = false;
  std::string index;
};

struct AlterTableStmt {
  enum class Action {
    kAddColumn,
    kDropColumn,
    kRenameColumn,
    kAlterColumnType,
    kAddIndex,
    kDropIndex,
    kRenameTable,
  };
  std::string table;
  Action action = Action::kAddColumn;
  ColumnSpec column;                 // kAddColumn
  std::string name;                  // column, index or new table name
  std::string new_name;              // kRenameColumn
  Type type = Type::kNull;           // kAlterColumnType
  bool unique = false;               // kAddIndex
  std::vector<std::string> columns;  // kAddIndex
};

struct RenameTablesStmt {
  std::vector<std::pair<std::string, std::string>> renames;
};

struct TransactionStmt {
  enum class Kind { kBegin, kCommit, kRollback };
  Kind kind = Kind::kBegin;
};

struct ShowTablesStmt {};
struct ShowCreateTableStmt {
  std::string table;
};

struct CreateForkStmt {
  std::string fork;
  std::string parent;  // empty: the current fork
  bool read_only = false;
};

struct DropForkStmt {
  bool if_exists = false;
  std::string fork;
};

struct UseForkStmt {
  std::string fork;
};

struct ShowForksStmt {};

// SHOW BINLOG [FOR FORK f] [FROM seq] [LIMIT n]
struct ShowBinlogStmt {
  std::string fork;              // empty: the current fork
  std::optional<uint64_t> from;  // absent: the fork's first kept record
  std::optional<uint64_t> limit;
};

// PURGE BINLOG [FOR FORK f] BEFORE seq
struct PurgeBinlogStmt {
  std::string fork;  // empty: the current fork
  uint64_t before = 0;
};

// START REPLICATION FROM src TO dst [ON CONFLICT ...]
struct StartReplicationStmt {
  std::string source;
  std::string target;
  engine::ConflictPolicy on_conflict = engine::ConflictPolicy::kStop;
};

// STOP REPLICATION TO dst
struct StopReplicationStmt {
  std::string target;
};

// SHOW REPLICATION, SHOW REPLICATION CONFLICTS [FOR dst]
struct ShowReplicationStmt {
  bool conflicts = false;
  std::string target;  // CONFLICTS FOR dst; empty: every target
};

// WAIT FOR REPLICATION [TO dst] [TIMEOUT seconds]
struct WaitForReplicationStmt {
  std::string target;  // empty: the current fork
  double timeout_seconds = 10;
};

// SHOW DIVERGENCE BETWEEN a AND b [FOR TABLE t] [AT CELL LEVEL]
struct ShowDivergenceStmt {
  std::string a;
  std::string b;
  std::string table;  // empty: every table
  bool cell_level = false;
};

// SHOW DIVERGENT PAGES BETWEEN a AND b
struct ShowDivergentPagesStmt {
  std::string a;
  std::string b;
};

// SHOW DIFF BETWEEN a AND b [FOR TABLE t]
struct ShowDiffStmt {
  std::string a;
  std::string b;
  std::string table;  // empty: every table
};

using StatementBody =
    std::variant<SelectStmt, InsertStmt, UpdateStmt, DeleteStmt,
                 CreateTableStmt, DropTableStmt, CreateIndexStmt, DropIndexStmt,
                 AlterTableStmt, RenameTablesStmt, TransactionStmt,
                 ShowTablesStmt, ShowCreateTableStmt, CreateForkStmt,
                 DropForkStmt, UseForkStmt, ShowForksStmt, ShowBinlogStmt,
                 PurgeBinlogStmt, StartReplicationStmt, StopReplicationStmt,
                 ShowReplicationStmt, WaitForReplicationStmt,
                 ShowDivergenceStmt, ShowDivergentPagesStmt, ShowDiffStmt>;

struct ParsedStatement {
  Position pos;
  std::string text;  // the statement's source, through its ';'
  int parameter_count = 0;
  StatementBody body;
};

}  // namespace forkdb::sql

#endif  // FORKDB_SQL_AST_H_
