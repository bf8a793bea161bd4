// Executor: see executor.h.
#include "sql-lite-frontend/executor.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <utility>

#include "sql-lite-frontend/expression.h"
#include "sql-lite-frontend/parser.h"

namespace forkdb::sql {

using engine::ColumnDef;
using engine::FoldName;
using engine::IndexDef;
using engine::Reader;
using engine::TableDef;
using engine::Transaction;

namespace {

Status At(const Position& pos, std::string_view what) {
  return Status::InvalidArgument(pos.line, ":", pos.column, ": ", what);
}

bool SameName(std::string_view a, std::string_view b) {
  return FoldName(a) == FoldName(b);
}

// A column list for messages and SHOW CREATE TABLE: a name as typed, quoted
// when it is not a plain word.
std::string QuoteName(std::string_view name) {
  bool plain = !name.empty() &&
               !std::isdigit(static_cast<unsigned char>(name[0])) &&
               !IsReservedWord(name);
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
  if (plain) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool IsConstant(const Expr& e) {
  if (e.kind == ExprKind::kColumn) return false;
  if (e.kind == ExprKind::kFunction && e.aggregate >= 0) return false;
  for (const ExprPtr& a : e.args)
    if (!IsConstant(*a)) return false;
  return true;
}

}  // namespace

// How rows are found (see the file comment of executor.h).
struct AccessPath {
  enum class Kind { kScan, kKeyRange, kIndex };
  Kind kind = Kind::kScan;
  std::string index;
  std::vector<const Expr*> eq;  // values of the leading key/index columns
  const Expr* lo = nullptr;     // on the key or index column after `eq`
  const Expr* hi = nullptr;
  bool hi_inclusive = false;
  bool exact = false;  // reads exactly the rows WHERE accepts (Covers())
};

struct Plan {
  // The schema it was bound to.
  bool has_table = false;
  std::string fork;
  uint32_t table_id = 0;
  uint64_t table_version = 0;
  uint64_t checked_epoch = 0;  // SessionState::epoch when last checked
  TableDef def;
  std::string alias;
  std::vector<size_t> key_columns;  // row positions of the primary key
  bool has_booleans = false;        // rows need NormalizeBooleans()
  AccessPath access;

  // SELECT.
  std::vector<ExprPtr> star_columns;
  std::vector<const Expr*> outputs;
  std::vector<const Expr*> aggregates;
  bool aggregated = false;
  std::vector<const Expr*> group_by;
  std::vector<int> order_output;  // per ORDER BY item: output index or -1

  // INSERT: per table column, the position in each VALUES row or -1.
  std::vector<int> insert_source;
  // UPDATE: (row position, new value).
  std::vector<std::pair<size_t, const Expr*>> sets;
};

namespace {

enum class BindMode { kConstant, kRow, kAggregate };

class Binder {
 public:
  Binder(Plan* plan) : plan_(plan) {}

  // Result-column aliases that WHERE and HAVING may name, as SQLite
  // allows: a table column of the same name wins.
  void SetAliases(std::vector<std::pair<std::string, const Expr*>> aliases) {
    aliases_ = std::move(aliases);
  }

  Status Bind(Expr& e, BindMode mode, bool inside_aggregate = false) {
    switch (e.kind) {
      case ExprKind::kColumn: {
        e.alias_of = nullptr;
        if (mode != BindMode::kConstant && e.table.empty() &&
            !HasColumn(e.name)) {
          for (const auto& [alias, target] : aliases_) {
            if (!SameName(alias, e.name)) continue;
            if (mode == BindMode::kRow && HasAggregate(*target))
              return At(e.pos, "misuse of aggregate: " + e.name);
            e.alias_of = target;
            return Status();
          }
        }
        if (mode == BindMode::kConstant || !plan_->has_table)
          return At(e.pos, "no such column: " + ColumnText(e));
        if (!e.table.empty() && !SameName(e.table, plan_->def.name) &&
            !(!plan_->alias.empty() && SameName(e.table, plan_->alias)))
          return At(e.pos, "no such column: " + ColumnText(e));
        const auto& cols = plan_->def.columns;
        for (size_t i = 0; i < cols.size(); ++i) {
          if (SameName(cols[i].name, e.name)) {
            e.column = static_cast<int>(i);
            return Status();
          }
        }
        return At(e.pos, "no such column: " + ColumnText(e));
      }
      case ExprKind::kFunction: {
        bool aggregate = false;
        FORKDB_RETURN_IF_ERROR(CheckFunction(e, &aggregate));
        e.aggregate = -1;
        if (aggregate) {
          if (mode != BindMode::kAggregate || inside_aggregate)
            return At(e.pos, "misuse of aggregate function " + e.name + "()");
          for (ExprPtr& a : e.args)
            FORKDB_RETURN_IF_ERROR(Bind(*a, BindMode::kRow, true));
          e.aggregate = static_cast<int>(plan_->aggregates.size());
          plan_->aggregates.push_back(&e);
          return Status();
        }
        break;
      }
      default:
        break;
    }
    for (ExprPtr& a : e.args)
      FORKDB_RETURN_IF_ERROR(Bind(*a, mode, inside_aggregate));
    return Status();
  }

 private:
  bool HasColumn(std::string_view name) const {
    return plan_->has_table && plan_->def.FindColumn(name) != nullptr;
  }
  static bool HasAggregate(const Expr& e) {
    if (e.kind == ExprKind::kFunction && e.aggregate >= 0) return true;
    for (const ExprPtr& a : e.args)
      if (HasAggregate(*a)) return true;
    return false;
  }
  static std::string ColumnText(const Expr& e) {
    return e.table.empty() ? e.name : e.table + "." + e.name;
  }
  Plan* plan_;
  std::vector<std::pair<std::string, const Expr*>> aliases_;
};

// The comparison terms of WHERE that can narrow a scan: column op constant.
struct Term {
  size_t column;
  BinaryOp op;  // kEq, kLt, kLe, kGt, kGe, with the column on the left
  const Expr* value;
};

BinaryOp Flip(BinaryOp op) {
  switch (op) {
    case BinaryOp::kLt:
      return BinaryOp::kGt;
    case BinaryOp::kLe:
      return BinaryOp::kGe;
    case BinaryOp::kGt:
      return BinaryOp::kLt;
    case BinaryOp::kGe:
      return BinaryOp::kLe;
    default:
      return op;
  }
}
// One conjunct as a term, if it is one.
void CollectTerm(const Expr* e, std::vector<Term>* terms) {
  if (e->kind == ExprKind::kBinary &&
      (e->binary == BinaryOp::kEq || e->binary == BinaryOp::kLt ||
       e->binary == BinaryOp::kLe || e->binary == BinaryOp::kGt ||
       e->binary == BinaryOp::kGe)) {
    const Expr* a = e->args[0].get();
    const Expr* b = e->args[1].get();
    if (a->kind == ExprKind::kColumn && a->column >= 0 && IsConstant(*b)) {
      terms->push_back({static_cast<size_t>(a->column), e->binary, b});
    } else if (b->kind == ExprKind::kColumn && b->column >= 0 &&
               IsConstant(*a)) {
      terms->push_back({static_cast<size_t>(b->column), Flip(e->binary), a});
    }
    return;
  }
  if (e->kind == ExprKind::kBetween && !e->negated &&
      e->args[0]->kind == ExprKind::kColumn && e->args[0]->column >= 0 &&
      IsConstant(*e->args[1]) && IsConstant(*e->args[2])) {
    const size_t c = static_cast<size_t>(e->args[0]->column);
    terms->push_back({c, BinaryOp::kGe, e->args[1].get()});
    terms->push_back({c, BinaryOp::kLe, e->args[2].get()});
  }
}

// `*all` turns false if a conjunct of `e` is not a term.
void CollectTerms(const Expr* e, std::vector<Term>* terms, bool* all) {
  if (e == nullptr) return;
  if (e->kind == ExprKind::kBinary && e->binary == BinaryOp::kAnd) {
    CollectTerms(e->args[0].get(), terms, all);
    CollectTerms(e->args[1].get(), terms, all);
    return;
  }
  const size_t before = terms->size();
  CollectTerm(e, terms);
  if (terms->size() == before) *all = false;
}

const Expr* FindTerm(const std::vector<Term>& terms, size_t column,
                     std::initializer_list<BinaryOp> ops, BinaryOp* op) {
  for (const Term& t : terms) {
    if (t.column != column) continue;
    for (BinaryOp o : ops) {
      if (t.op == o) {
        if (op != nullptr) *op = o;
        return t.value;
      }
    }
  }
  return nullptr;
}

size_t ColumnPosition(const TableDef& def, uint32_t id) {
  for (size_t i = 0; i < def.columns.size(); ++i)
    if (def.columns[i].id == id) return i;
  assert(false && "column id not in table");
  return 0;
}

// Whether the rows `path` reads are exactly those WHERE accepts: WHERE is
// nothing but terms, and the path uses every one of them with its exact
// meaning (keys are NOT NULL and ordered as Compare() orders values, so a
// key range means what the comparisons mean; an index range without a lower
// bound would also read the NULL entries).
bool Covers(const AccessPath& path, const std::vector<Term>& terms,
            bool all_terms, bool lo_inclusive) {
  if (!all_terms || path.kind == AccessPath::Kind::kScan) return false;
  if (path.lo != nullptr && !lo_inclusive) return false;
  if (path.kind == AccessPath::Kind::kIndex && path.lo == nullptr &&
      path.hi != nullptr)
    return false;
  for (const Term& t : terms) {
    bool used = t.value == path.lo || t.value == path.hi;
    for (const Expr* e : path.eq) used = used || t.value == e;
    if (!used) return false;
  }
  return true;
}

AccessPath ChooseAccess(const Plan& plan, const Expr* where) {
  std::vector<Term> terms;
  bool all_terms = true;
  CollectTerms(where, &terms, &all_terms);
  bool best_lo_inclusive = false;
  AccessPath best;
  int best_score = 0;
  if (!plan.key_columns.empty()) {
    AccessPath p;
    BinaryOp lo_op = BinaryOp::kGt;
    p.kind = AccessPath::Kind::kKeyRange;
    for (size_t c : plan.key_columns) {
      const Expr* v = FindTerm(terms, c, {BinaryOp::kEq}, nullptr);
      if (v == nullptr) break;
      p.eq.push_back(v);
    }
    int score = static_cast<int>(p.eq.size()) * 10;
    if (p.eq.size() == plan.key_columns.size()) {
      score = 1000;
    } else {
      const size_t c = plan.key_columns[p.eq.size()];
      p.lo = FindTerm(terms, c, {BinaryOp::kGe, BinaryOp::kGt}, &lo_op);
      BinaryOp op = BinaryOp::kLt;
      p.hi = FindTerm(terms, c, {BinaryOp::kLe, BinaryOp::kLt}, &op);
      p.hi_inclusive = op == BinaryOp::kLe;
      if (p.lo != nullptr || p.hi != nullptr) score += 5;
    }
    if (score > best_score) {
      best = p;
      best_score = score;
      best_lo_inclusive = lo_op == BinaryOp::kGe;
    }
  }
  for (const IndexDef& index : plan.def.indexes) {
    AccessPath p;
    BinaryOp lo_op = BinaryOp::kGt;
    p.kind = AccessPath::Kind::kIndex;
    p.index = index.name;
    for (uint32_t id : index.columns) {
      const Expr* v = FindTerm(terms, ColumnPosition(plan.def, id),
                               {BinaryOp::kEq}, nullptr);
      if (v == nullptr) break;
      p.eq.push_back(v);
    }
    int score = static_cast<int>(p.eq.size()) * 10 - 1;
    if (index.unique && p.eq.size() == index.columns.size()) {
      score = 900;
    } else if (p.eq.size() < index.columns.size()) {
      const size_t c = ColumnPosition(plan.def, index.columns[p.eq.size()]);
      p.lo = FindTerm(terms, c, {BinaryOp::kGe, BinaryOp::kGt}, &lo_op);
      BinaryOp op = BinaryOp::kLt;
      p.hi = FindTerm(terms, c, {BinaryOp::kLe, BinaryOp::kLt}, &op);
      p.hi_inclusive = op == BinaryOp::kLe;
      if (p.lo != nullptr || p.hi != nullptr) score += 5;
    }
    if (score <= 0) continue;
    if (score > best_score) {
      best = p;
      best_score = score;
      best_lo_inclusive = lo_op == BinaryOp::kGe;
    }
  }
  best.exact = Covers(best, terms, all_terms, best_lo_inclusive);
  return best;
}

Result<Row> EvaluateAll(const std::vector<const Expr*>& exprs,
                        const EvalContext& context) {
  Row out;
  out.reserve(exprs.size());
  for (const Expr* e : exprs) {
    FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e, context));
    out.push_back(std::move(v));
  }
  return out;
}

// Calls `fn(key, row)` for each row the access path reads (a superset of
// those WHERE accepts), in primary-key or index order; `fn` returns false to
// stop. Rows come with BOOLEAN as INTEGER. `key` is empty unless
// `want_keys` (a scan would otherwise build it for nothing).
using RowFn = std::function<Result<bool>(const Row& key, const Row& row)>;

Status ForEachRow(const Reader& reader, const Plan& plan,
                  const EvalContext& context, bool want_keys, const RowFn& fn) {
  const std::string& table = plan.def.name;
  const AccessPath& access = plan.access;
  Row eq;
  for (const Expr* e : access.eq) {
    FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e, context));
    if (v.is_null()) return Status();  // col = NULL holds for no row
    eq.push_back(std::move(v));
  }
  if (access.kind == AccessPath::Kind::kIndex) {
    engine::IndexRange range;
    range.prefix = std::move(eq);
    range.hi_inclusive = access.hi_inclusive;
    if (access.lo != nullptr) {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*access.lo, context));
      if (v.is_null()) return Status();
      range.lo = std::move(v);
    }
    if (access.hi != nullptr) {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*access.hi, context));
      if (v.is_null()) return Status();
      range.hi = std::move(v);
    }
    FORKDB_ASSIGN_OR_RETURN(std::vector<Row> keys,
                            reader.IndexRangeKeys(table, access.index, range));
    for (const Row& key : keys) {
      FORKDB_ASSIGN_OR_RETURN(std::optional<Row> row, reader.Get(table, key));
      if (!row.has_value())
        return Status::Corruption("table ", table, " index ", access.index,
                                  ": entry names a missing row");
      NormalizeBooleans(&*row);
      FORKDB_ASSIGN_OR_RETURN(bool more, fn(key, *row));
      if (!more) break;
    }
    return Status();
  }
  if (access.kind == AccessPath::Kind::kKeyRange &&
      eq.size() == plan.key_columns.size()) {
    FORKDB_ASSIGN_OR_RETURN(std::optional<Row> row, reader.Get(table, eq));
    if (!row.has_value()) return Status();
    NormalizeBooleans(&*row);
    FORKDB_ASSIGN_OR_RETURN(bool more, fn(eq, *row));
    (void)more;
    return Status();
  }
  engine::ScanRange range;
  std::optional<Value> hi;
  if (access.kind == AccessPath::Kind::kKeyRange) {
    Row lo = eq;
    if (access.lo != nullptr) {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*access.lo, context));
      if (v.is_null()) return Status();
      lo.push_back(std::move(v));
    }
    if (!lo.empty()) range.lo = std::move(lo);
    if (access.hi != nullptr) {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*access.hi, context));
      if (v.is_null()) return Status();
      hi = std::move(v);
    }
  }
  FORKDB_ASSIGN_OR_RETURN(engine::Cursor cursor, reader.Scan(table, range));
  Row copy;  // of a row with BOOLEAN columns, which become INTEGER
  const Row empty_key;
  while (cursor.Valid()) {
    const Row* current = &cursor.row();
    if (plan.has_booleans) {
      copy = *current;
      NormalizeBooleans(&copy);
      current = &copy;
    }
    const Row& row = *current;
    if (access.kind == AccessPath::Kind::kKeyRange) {
      // Past the prefix or the upper bound: no later row can qualify.
      bool past = false;
      for (size_t i = 0; i < eq.size() && !past; ++i)
        past = engine::Compare(row[plan.key_columns[i]], eq[i]) != 0;
      if (!past && hi.has_value()) {
        const int c = engine::Compare(row[plan.key_columns[eq.size()]], *hi);
        past = c > 0 || (c == 0 && !access.hi_inclusive);
      }
      if (past) break;
    }
    bool more = true;
    if (want_keys) {
      FORKDB_ASSIGN_OR_RETURN(Row key, cursor.key());
      FORKDB_ASSIGN_OR_RETURN(more, fn(key, row));
    } else {
      FORKDB_ASSIGN_OR_RETURN(more, fn(empty_key, row));
    }
    if (!more) break;
    FORKDB_RETURN_IF_ERROR(cursor.Next());
  }
  return cursor.status();
}

Result<bool> Passes(const Expr* where, const EvalContext& context) {
  if (where == nullptr) return true;
  FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*where, context));
  return Truth(v).value_or(false);
}

// LIMIT and OFFSET: integers; a negative LIMIT means none.
Result<int64_t> Count(const Expr* e, const EvalContext& context,
                      std::string_view what, int64_t none) {
  if (e == nullptr) return none;
  FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e, context));
  if (v.type() != Type::kInteger)
    return At(e->pos, std::string(what) + " must be an integer");
  return v.integer();
}

std::string FormatTime(uint64_t unix_us) {
  const time_t secs = static_cast<time_t>(unix_us / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// A value as a literal that parses back to it: Value::ToString() but for
// the infinities, which SQL writes as overflowing numbers.
std::string LiteralText(const Value& v) {
  if (v.type() == Type::kReal && std::isinf(v.real()))
    return v.real() < 0 ? "-1e999" : "1e999";
  return v.ToString();
}

std::string CreateTableText(const TableDef& def) {
  std::string out = "CREATE TABLE " + QuoteName(def.name) + " (";
  const bool inline_key = def.primary_key.size() == 1;
  for (size_t i = 0; i < def.columns.size(); ++i) {
    const ColumnDef& c = def.columns[i];
    if (i > 0) out += ", ";
    out += QuoteName(c.name) + " " + engine::TypeName(c.type);
    const bool is_key = inline_key && def.primary_key[0] == c.id;
    if (is_key) out += " PRIMARY KEY";
    if (c.not_null && !is_key) out += " NOT NULL";
    if (c.default_value.has_value())
      out += " DEFAULT " + LiteralText(*c.default_value);
  }
  if (def.primary_key.size() > 1) {
    out += ", PRIMARY KEY (";
    for (size_t i = 0; i < def.primary_key.size(); ++i) {
      if (i > 0) out += ", ";
      out += QuoteName(def.FindColumnById(def.primary_key[i])->name);
    }
    out += ")";
  }
  out += ")";
  for (const IndexDef& index : def.indexes) {
    out += ";\nCREATE ";
    if (index.unique) out += "UNIQUE ";
    out +=
        "INDEX " + QuoteName(index.name) + " ON " + QuoteName(def.name) + " (";
    for (size_t i = 0; i < index.columns.size(); ++i) {
      if (i > 0) out += ", ";
      out += QuoteName(def.FindColumnById(index.columns[i])->name);
    }
    out += ")";
  }
  return out;
}

// Runs `fn` on the session's reader: its transaction, or a snapshot.
Status WithReader(SessionState& s,
                  const std::function<Status(const Reader&)>& fn) {
  if (s.txn.has_value()) return fn(*s.txn);
  if (!s.snapshot.has_value() || s.snapshot->fork() != s.fork ||
      !s.snapshot->IsLatest()) {
    s.snapshot.reset();
    FORKDB_ASSIGN_OR_RETURN(engine::Snapshot snap, s.db.GetSnapshot(s.fork));
    s.snapshot.emplace(std::move(snap));
    ++s.epoch;
  }
  return fn(*s.snapshot);
}

// Whether a statement needs a savepoint of its own. Each engine call is
// atomic by itself, so inside BEGIN a statement that makes at most one write
// call needs none (the common single-row INSERT, UPDATE or DELETE saves the
// savepoint's page images); one that makes more takes it before its first.
class WriteScope {
 public:
  explicit WriteScope(Transaction* explicit_txn) : txn_(explicit_txn) {}
  // REQUIRES: called before the statement's first write.
  Status Expect(size_t writes) {
    if (txn_ == nullptr || writes <= 1 || savepoint_) return Status();
    FORKDB_RETURN_IF_ERROR(txn_->Savepoint());
    savepoint_ = true;
    return Status();
  }
  bool savepoint() const { return savepoint_; }

 private:
  Transaction* txn_;
  bool savepoint_ = false;
};

using WriteFn = std::function<Status(Transaction&, WriteScope&)>;

// Runs `fn` as one atomic statement (see executor.h).
Status WithWriter(SessionState& s, const WriteFn& fn) {
  if (s.txn.has_value()) {
    WriteScope scope(&*s.txn);
    Status st = fn(*s.txn, scope);
    if (!scope.savepoint()) return st;
    if (st.ok()) return s.txn->ReleaseSavepoint();
    Status undo = s.txn->RollbackToSavepoint();
    if (!undo.ok()) {
      // The transaction can no longer be trusted: end it.
      s.txn->Rollback();
      s.txn.reset();
      return Status::Aborted(
          st.message(), "; the transaction was rolled back: ", undo.message());
    }
    return st;
  }
  s.snapshot.reset();
  ++s.epoch;
  FORKDB_ASSIGN_OR_RETURN(Transaction txn, s.db.Begin(s.fork));
  WriteScope scope(nullptr);  // the whole transaction is the statement's
  Status st = fn(txn, scope);
  if (!st.ok()) {
    txn.Rollback();
    return st;
  }
  return txn.Commit();
}

// The same for schema statements, which make several catalog calls.
Status WithWriter(SessionState& s,
                  const std::function<Status(Transaction&)>& fn) {
  return WithWriter(s, [&](Transaction& txn, WriteScope& scope) -> Status {
    FORKDB_RETURN_IF_ERROR(scope.Expect(2));
    txn.SetStatement(s.statement);  // for the commit hook's schema changes
    return fn(txn);
  });
}

Status NotInTransaction(const SessionState& s, std::string_view what) {
  if (s.txn.has_value())
    return Status::InvalidArgument(what,
                                   " is not allowed inside a transaction "
                                   "(COMMIT or ROLLBACK first)");
  return Status();
}

Result<bool> IndexExists(const Reader& reader, std::string_view index) {
  FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> tables, reader.ListTables());
  for (const TableDef& t : tables)
    if (t.FindIndex(index) != nullptr) return true;
  return false;
}

}  // namespace

Executable::Executable(ParsedStatement parsed) : parsed_(std::move(parsed)) {}
Executable::~Executable() = default;

bool Executable::returns_rows() const {
  return std::holds_alternative<SelectStmt>(parsed_.body) ||
         std::holds_alternative<ShowTablesStmt>(parsed_.body) ||
         std::holds_alternative<ShowCreateTableStmt>(parsed_.body) ||
         std::holds_alternative<ShowForksStmt>(parsed_.body) ||
         std::holds_alternative<ShowBinlogStmt>(parsed_.body) ||
         std::holds_alternative<ShowReplicationStmt>(parsed_.body) ||
         std::holds_alternative<ShowDivergenceStmt>(parsed_.body) ||
         std::holds_alternative<ShowDivergentPagesStmt>(parsed_.body) ||
         std::holds_alternative<ShowDiffStmt>(parsed_.body);
}

namespace {

// Binds the table part of a plan: its definition and the primary key's
// positions.
Status BindTable(const Reader& reader, std::string_view table, Plan* plan) {
  Result<TableDef> def = reader.GetTable(table);
  if (def.status().IsNotFound())
    return Status::InvalidArgument("no such table: ", table);
  FORKDB_RETURN_IF_ERROR(def.status());
  plan->def = std::move(*def);
  plan->has_table = true;
  plan->table_id = plan->def.id;
  plan->table_version = plan->def.schema_version;
  plan->key_columns.clear();
  plan->has_booleans = false;
  for (const ColumnDef& c : plan->def.columns)
    if (c.type == Type::kBoolean) plan->has_booleans = true;
  for (uint32_t id : plan->def.primary_key)
    plan->key_columns.push_back(ColumnPosition(plan->def, id));
  return Status();
}

Status BindSelect(const Reader* reader, SelectStmt& s, Plan* plan,
                  std::vector<std::string>* columns) {
  if (!s.table.empty()) {
    assert(reader != nullptr);
    FORKDB_RETURN_IF_ERROR(BindTable(*reader, s.table, plan));
    plan->alias = s.table_alias;
  }
  Binder binder(plan);
  columns->clear();
  for (SelectItem& item : s.items) {
    if (item.expr == nullptr) {
      if (!plan->has_table) return At(item.pos, "* needs a FROM clause");
      for (size_t i = 0; i < plan->def.columns.size(); ++i) {
        auto e = std::make_unique<Expr>();
        e->kind = ExprKind::kColumn;
        e->name = plan->def.columns[i].name;
        e->column = static_cast<int>(i);
        plan->outputs.push_back(e.get());
        columns->push_back(plan->def.columns[i].name);
        plan->star_columns.push_back(std::move(e));
      }
      continue;
    }
    FORKDB_RETURN_IF_ERROR(binder.Bind(*item.expr, BindMode::kAggregate));
    plan->outputs.push_back(item.expr.get());
    if (!item.alias.empty()) {
      columns->push_back(item.alias);
    } else if (item.expr->kind == ExprKind::kColumn) {
      columns->push_back(item.expr->name);
    } else {
      columns->push_back(item.text);
    }
  }
  std::vector<std::pair<std::string, const Expr*>> aliases;
  for (const SelectItem& item : s.items)
    if (!item.alias.empty()) aliases.emplace_back(item.alias, item.expr.get());
  binder.SetAliases(std::move(aliases));
  if (s.where != nullptr)
    FORKDB_RETURN_IF_ERROR(binder.Bind(*s.where, BindMode::kRow));
  // GROUP BY and ORDER BY may name an output by position or alias.
  auto output_ref = [&](const Expr& e) -> Result<int> {
    if (e.kind == ExprKind::kLiteral && e.literal.type() == Type::kInteger) {
      const int64_t k = e.literal.integer();
      if (k < 1 || k > static_cast<int64_t>(plan->outputs.size()))
        return At(e.pos, "term out of range: should be between 1 and " +
                             std::to_string(plan->outputs.size()));
      return static_cast<int>(k - 1);
    }
    if (e.kind == ExprKind::kColumn && e.table.empty()) {
      for (size_t i = 0; i < s.items.size(); ++i)
        if (!s.items[i].alias.empty() && SameName(s.items[i].alias, e.name))
          return static_cast<int>(i);
    }
    return -1;
  };
  for (ExprPtr& g : s.group_by) {
    FORKDB_ASSIGN_OR_RETURN(int out, output_ref(*g));
    if (out >= 0) {
      if (s.items[static_cast<size_t>(out)].expr == nullptr)
        return At(g->pos, "GROUP BY term names *");
      const Expr* target = plan->outputs[static_cast<size_t>(out)];
      if (!IsConstant(*target) && target->kind == ExprKind::kFunction &&
          target->aggregate >= 0)
        return At(g->pos, "aggregate functions are not allowed in GROUP BY");
      plan->group_by.push_back(target);
      continue;
    }
    FORKDB_RETURN_IF_ERROR(binder.Bind(*g, BindMode::kRow));
    plan->group_by.push_back(g.get());
  }
  if (s.having != nullptr)
    FORKDB_RETURN_IF_ERROR(binder.Bind(*s.having, BindMode::kAggregate));
  for (OrderItem& o : s.order_by) {
    FORKDB_ASSIGN_OR_RETURN(int out, output_ref(*o.expr));
    plan->order_output.push_back(out);
    if (out < 0)
      FORKDB_RETURN_IF_ERROR(binder.Bind(*o.expr, BindMode::kAggregate));
  }
  if (s.limit != nullptr)
    FORKDB_RETURN_IF_ERROR(binder.Bind(*s.limit, BindMode::kConstant));
  if (s.offset != nullptr)
    FORKDB_RETURN_IF_ERROR(binder.Bind(*s.offset, BindMode::kConstant));
  plan->aggregated = !plan->aggregates.empty() || !s.group_by.empty();
  if (s.having != nullptr && !plan->aggregated)
    return At(s.having->pos, "HAVING needs GROUP BY or an aggregate");
  if (plan->has_table) plan->access = ChooseAccess(*plan, s.where.get());
  return Status();
}

struct OutputRow {
  Row values;
  Row order;
};

Status RunSelect(const Reader* reader, const SelectStmt& s, const Plan& plan,
                 const std::vector<Value>& params, std::vector<Row>* rows) {
  // A path that reads exactly WHERE's rows spares evaluating it per row.
  const Expr* where = plan.access.exact ? nullptr : s.where.get();
  EvalContext base;
  base.params = &params;
  std::vector<OutputRow> out;
  auto emit = [&](const EvalContext& ctx) -> Status {
    OutputRow r;
    FORKDB_ASSIGN_OR_RETURN(r.values, EvaluateAll(plan.outputs, ctx));
    for (size_t i = 0; i < s.order_by.size(); ++i) {
      const int o = plan.order_output[i];
      if (o >= 0) {
        r.order.push_back(r.values[static_cast<size_t>(o)]);
      } else {
        FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*s.order_by[i].expr, ctx));
        r.order.push_back(std::move(v));
      }
    }
    out.push_back(std::move(r));
    return Status();
  };
  // Without ORDER BY, DISTINCT or aggregates, LIMIT can stop the scan.
  FORKDB_ASSIGN_OR_RETURN(int64_t limit,
                          Count(s.limit.get(), base, "LIMIT", -1));
  FORKDB_ASSIGN_OR_RETURN(int64_t offset,
                          Count(s.offset.get(), base, "OFFSET", 0));
  if (offset < 0) offset = 0;
  const bool streaming =
      !plan.aggregated && s.order_by.empty() && !s.distinct && limit >= 0;
  const size_t enough = streaming ? static_cast<size_t>(limit + offset) : 0;

  if (!plan.aggregated) {
    if (!plan.has_table) {
      FORKDB_ASSIGN_OR_RETURN(bool pass, Passes(s.where.get(), base));
      if (pass) FORKDB_RETURN_IF_ERROR(emit(base));
    } else {
      FORKDB_RETURN_IF_ERROR(
          ForEachRow(*reader, plan, base, /*want_keys=*/false,
                     [&](const Row&, const Row& row) -> Result<bool> {
                       if (streaming && out.size() >= enough) return false;
                       EvalContext ctx = base;
                       ctx.row = &row;
                       FORKDB_ASSIGN_OR_RETURN(bool pass, Passes(where, ctx));
                       if (pass) FORKDB_RETURN_IF_ERROR(emit(ctx));
                       return !(streaming && out.size() >= enough);
                     }));
    }
  } else {
    struct Group {
      Row first;
      std::vector<Accumulator> accumulators;
    };
    auto less = [](const Row& a, const Row& b) {
      return engine::CompareRows(a, b) < 0;
    };
    std::map<Row, Group, decltype(less)> groups(less);
    Group* single = nullptr;  // without GROUP BY: the one group
    auto add = [&](const EvalContext& ctx) -> Status {
      if (single != nullptr) {
        for (Accumulator& a : single->accumulators)
          FORKDB_RETURN_IF_ERROR(a.Add(ctx));
        return Status();
      }
      FORKDB_ASSIGN_OR_RETURN(Row key, EvaluateAll(plan.group_by, ctx));
      auto it = groups.find(key);
      if (it == groups.end()) {
        Group g;
        g.first = ctx.row != nullptr ? *ctx.row : Row();
        for (const Expr* a : plan.aggregates) g.accumulators.emplace_back(a);
        it = groups.emplace(std::move(key), std::move(g)).first;
        if (plan.group_by.empty()) single = &it->second;
      }
      for (Accumulator& a : it->second.accumulators)
        FORKDB_RETURN_IF_ERROR(a.Add(ctx));
      return Status();
    };
    if (!plan.has_table) {
      FORKDB_ASSIGN_OR_RETURN(bool pass, Passes(s.where.get(), base));
      if (pass) FORKDB_RETURN_IF_ERROR(add(base));
    } else {
      FORKDB_RETURN_IF_ERROR(
          ForEachRow(*reader, plan, base, /*want_keys=*/false,
                     [&](const Row&, const Row& row) -> Result<bool> {
                       EvalContext ctx = base;
                       ctx.row = &row;
                       FORKDB_ASSIGN_OR_RETURN(bool pass, Passes(where, ctx));
                       if (pass) FORKDB_RETURN_IF_ERROR(add(ctx));
                       return true;
                     }));
    }
    if (groups.empty() && s.group_by.empty()) {
      // An aggregate over no rows is one row (count 0, sum NULL, ...).
      Group g;
      g.first = Row(plan.has_table ? plan.def.columns.size() : 0);
      for (const Expr* a : plan.aggregates) g.accumulators.emplace_back(a);
      groups.emplace(Row(), std::move(g));
    }
    for (auto& [key, group] : groups) {
      std::vector<Value> finals;
      for (const Accumulator& a : group.accumulators) {
        FORKDB_ASSIGN_OR_RETURN(Value v, a.Finish());
        finals.push_back(std::move(v));
      }
      EvalContext ctx = base;
      ctx.row = &group.first;
      ctx.aggregates = &finals;
      FORKDB_ASSIGN_OR_RETURN(bool pass, Passes(s.having.get(), ctx));
      if (pass) FORKDB_RETURN_IF_ERROR(emit(ctx));
    }
  }

  if (s.distinct) {
    std::vector<OutputRow> unique;
    for (OutputRow& r : out) {
      bool seen = false;
      for (const OutputRow& u : unique)
        if (engine::CompareRows(u.values, r.values) == 0) seen = true;
      if (!seen) unique.push_back(std::move(r));
    }
    out = std::move(unique);
  }
  if (!s.order_by.empty()) {
    std::stable_sort(out.begin(), out.end(),
                     [&](const OutputRow& a, const OutputRow& b) {
                       for (size_t i = 0; i < s.order_by.size(); ++i) {
                         int c = engine::Compare(a.order[i], b.order[i]);
                         if (s.order_by[i].descending) c = -c;
                         if (c != 0) return c < 0;
                       }
                       return false;
                     });
  }
  rows->clear();
  for (size_t i = static_cast<size_t>(offset); i < out.size(); ++i) {
    if (limit >= 0 && rows->size() >= static_cast<size_t>(limit)) break;
    rows->push_back(std::move(out[i].values));
  }
  return Status();
}

// The next INTEGER PRIMARY KEY value: one past the largest (SQLite's rowid
// rule), 1 for an empty table.
Result<Value> NextKey(const Reader& reader, const std::string& table) {
  engine::ScanRange range;
  range.reverse = true;
  FORKDB_ASSIGN_OR_RETURN(engine::Cursor c, reader.Scan(table, range));
  if (!c.Valid()) {
    FORKDB_RETURN_IF_ERROR(c.status());
    return Value::Integer(1);
  }
  FORKDB_ASSIGN_OR_RETURN(Row key, c.key());
  if (key[0].type() != Type::kInteger) return Value::Integer(1);
  if (key[0].integer() == INT64_MAX)
    return Status::InvalidArgument("table ", table,
                                   ": INTEGER PRIMARY KEY values exhausted");
  return Value::Integer(key[0].integer() + 1);
}

Status BindInsert(const Reader& reader, InsertStmt& s, Plan* plan) {
  FORKDB_RETURN_IF_ERROR(BindTable(reader, s.table, plan));
  const auto& cols = plan->def.columns;
  plan->insert_source.assign(cols.size(), -1);
  size_t width = cols.size();
  if (s.columns.empty()) {
    for (size_t i = 0; i < cols.size(); ++i)
      plan->insert_source[i] = static_cast<int>(i);
  } else {
    width = s.columns.size();
    for (size_t j = 0; j < s.columns.size(); ++j) {
      const ColumnDef* c = plan->def.FindColumn(s.columns[j]);
      if (c == nullptr)
        return Status::InvalidArgument("table ", plan->def.name,
                                       " has no column named ", s.columns[j]);
      const size_t i = ColumnPosition(plan->def, c->id);
      if (plan->insert_source[i] >= 0)
        return Status::InvalidArgument("column ", c->name, " is named twice");
      plan->insert_source[i] = static_cast<int>(j);
    }
  }
  Binder binder(plan);
  for (auto& row : s.rows) {
    if (row.size() != width) {
      if (s.columns.empty())
        return At(row.empty() ? Position{} : row[0]->pos,
                  "table " + plan->def.name + " has " + std::to_string(width) +
                      " columns but " + std::to_string(row.size()) +
                      " values were supplied");
      return At(row.empty() ? Position{} : row[0]->pos,
                std::to_string(row.size()) + " values for " +
                    std::to_string(width) + " columns");
    }
    for (ExprPtr& e : row)
      FORKDB_RETURN_IF_ERROR(binder.Bind(*e, BindMode::kConstant));
  }
  return Status();
}

Status RunInsert(Transaction& txn, const InsertStmt& s, const Plan& plan,
                 const std::vector<Value>& params, uint64_t* changes) {
  EvalContext ctx;
  ctx.params = &params;
  const auto& cols = plan.def.columns;
  const bool auto_key = plan.key_columns.size() == 1 &&
                        cols[plan.key_columns[0]].type == Type::kInteger;
  for (const auto& values : s.rows) {
    Row row(cols.size());
    for (size_t i = 0; i < cols.size(); ++i) {
      const int src = plan.insert_source[i];
      if (src >= 0) {
        FORKDB_ASSIGN_OR_RETURN(
            row[i], Evaluate(*values[static_cast<size_t>(src)], ctx));
      } else if (cols[i].default_value.has_value()) {
        row[i] = *cols[i].default_value;
      }
    }
    if (auto_key && row[plan.key_columns[0]].is_null()) {
      FORKDB_ASSIGN_OR_RETURN(row[plan.key_columns[0]],
                              NextKey(txn, plan.def.name));
    }
    FORKDB_RETURN_IF_ERROR(txn.Insert(plan.def.name, row).status());
    ++*changes;
  }
  return Status();
}

Status BindUpdate(const Reader& reader, UpdateStmt& s, Plan* plan) {
  FORKDB_RETURN_IF_ERROR(BindTable(reader, s.table, plan));
  Binder binder(plan);
  plan->sets.clear();
  for (auto& [name, e] : s.sets) {
    const ColumnDef* c = plan->def.FindColumn(name);
    if (c == nullptr) return At(e->pos, "no such column: " + name);
    FORKDB_RETURN_IF_ERROR(binder.Bind(*e, BindMode::kRow));
    plan->sets.emplace_back(ColumnPosition(plan->def, c->id), e.get());
  }
  if (s.where != nullptr)
    FORKDB_RETURN_IF_ERROR(binder.Bind(*s.where, BindMode::kRow));
  plan->access = ChooseAccess(*plan, s.where.get());
  return Status();
}

// The (key, row) pairs WHERE accepts, read in full before any is written.
Result<std::vector<std::pair<Row, Row>>> Matches(
    const Reader& reader, const Plan& plan, const Expr* where,
    const std::vector<Value>& params) {
  std::vector<std::pair<Row, Row>> out;
  if (plan.access.exact) where = nullptr;  // as in RunSelect
  EvalContext base;
  base.params = &params;
  FORKDB_RETURN_IF_ERROR(
      ForEachRow(reader, plan, base, /*want_keys=*/true,
                 [&](const Row& key, const Row& row) -> Result<bool> {
                   EvalContext ctx = base;
                   ctx.row = &row;
                   FORKDB_ASSIGN_OR_RETURN(bool pass, Passes(where, ctx));
                   if (pass) out.emplace_back(key, row);
                   return true;
                 }));
  return out;
}

// TRUE and FALSE are the INTEGERs 1 and 0 in SQL; as the default of a
// BOOLEAN column they are stored as BOOLEAN values.
ColumnDef WithTypedDefault(ColumnDef c) {
  if (c.type == Type::kBoolean && c.default_value.has_value() &&
      c.default_value->type() == Type::kInteger &&
      (c.default_value->integer() == 0 || c.default_value->integer() == 1))
    c.default_value = Value::Boolean(c.default_value->integer() == 1);
  return c;
}

Status CreateTable(Transaction& txn, const CreateTableStmt& s) {
  if (s.if_not_exists) {
    auto existing = txn.GetTable(s.table);
    if (existing.ok()) return Status();
    if (!existing.status().IsNotFound()) return existing.status();
  }
  engine::TableSpec spec;
  spec.name = s.table;
  spec.primary_key = s.primary_key;
  for (const ColumnSpec& c : s.columns) {
    spec.columns.push_back(WithTypedDefault(c.def));
    if (c.primary_key) {
      if (!spec.primary_key.empty())
        return Status::InvalidArgument("table ", s.table,
                                       " has more than one primary key");
      spec.primary_key.push_back(c.def.name);
    }
  }
  // Key columns hold no NULL (SQLite allows it in some keys by accident).
  for (engine::ColumnDef& c : spec.columns)
    for (const std::string& k : spec.primary_key)
      if (SameName(c.name, k)) c.not_null = true;
  FORKDB_RETURN_IF_ERROR(txn.CreateTable(spec).status());
  std::vector<std::vector<std::string>> uniques = s.uniques;
  for (const ColumnSpec& c : s.columns)
    if (c.unique) uniques.push_back({c.def.name});
  for (const auto& cols : uniques) {
    std::string name = s.table;
    for (const std::string& c : cols) name += "_" + c;
    name += "_key";
    FORKDB_RETURN_IF_ERROR(
        txn.CreateIndex(s.table, name, cols, /*unique=*/true).status());
  }
  return Status();
}

// The value in `type`, if it converts there and back unchanged.
std::optional<Value> ConvertExactly(const Value& v, Type from, Type type) {
  if (v.is_null()) return v;
  Value out = Cast(v, type);
  const Value back = Cast(out, from);
  if (engine::Compare(back, v) != 0) return std::nullopt;
  if (type == Type::kBoolean) {
    out = Value::Boolean(out.integer() != 0);
  }
  return out;
}

// ALTER COLUMN ... TYPE: the engine keeps a column's type for the table's
// life, so the table is rebuilt in the same transaction: a new table with
// the new type gets every row converted (each must convert exactly), the
// old one is dropped, the new one takes its name and indexes. O(rows).
Status AlterColumnType(Transaction& txn, const std::string& table,
                       const std::string& column, Type type) {
  FORKDB_ASSIGN_OR_RETURN(TableDef def, txn.GetTable(table));
  const ColumnDef* target = def.FindColumn(column);
  if (target == nullptr)
    return Status::NotFound("table ", def.name, " has no column ", column);
  if (target->type == type) return Status();
  const size_t pos = ColumnPosition(def, target->id);
  const Type from = target->type;
  engine::TableSpec spec;
  spec.name = "_" + def.name + "_retype";
  for (const ColumnDef& c : def.columns) {
    ColumnDef copy = c;
    if (c.id == target->id) {
      copy.type = type;
      if (c.default_value.has_value()) {
        std::optional<Value> d = ConvertExactly(*c.default_value, from, type);
        if (!d.has_value())
          return Status::InvalidArgument(
              "table ", def.name, " column ", c.name, ": default ",
              c.default_value->ToString(), " is not exactly a ",
              engine::TypeName(type));
        copy.default_value = std::move(d);
      }
    }
    spec.columns.push_back(std::move(copy));
  }
  for (uint32_t id : def.primary_key)
    spec.primary_key.push_back(def.FindColumnById(id)->name);
  std::vector<Row> rows;
  {
    FORKDB_ASSIGN_OR_RETURN(engine::Cursor cursor, txn.Scan(def.name));
    while (cursor.Valid()) {
      Row row = cursor.row();
      std::optional<Value> v = ConvertExactly(row[pos], from, type);
      if (!v.has_value())
        return Status::InvalidArgument(
            "table ", def.name, " column ", target->name, ": value ",
            row[pos].ToString(), " does not convert exactly to ",
            engine::TypeName(type));
      row[pos] = std::move(*v);
      rows.push_back(std::move(row));
      FORKDB_RETURN_IF_ERROR(cursor.Next());
    }
    FORKDB_RETURN_IF_ERROR(cursor.status());
  }
  FORKDB_RETURN_IF_ERROR(txn.CreateTable(spec).status());
  for (const Row& row : rows)
    FORKDB_RETURN_IF_ERROR(txn.Insert(spec.name, row).status());
  FORKDB_RETURN_IF_ERROR(txn.DropTable(def.name));
  FORKDB_RETURN_IF_ERROR(txn.RenameTable(spec.name, def.name));
  for (const IndexDef& index : def.indexes) {
    std::vector<std::string> cols;
    for (uint32_t id : index.columns)
      cols.push_back(def.FindColumnById(id)->name);
    FORKDB_RETURN_IF_ERROR(
        txn.CreateIndex(def.name, index.name, cols, index.unique).status());
  }
  return Status();
}

Status AlterTable(Transaction& txn, const AlterTableStmt& s) {
  using Action = AlterTableStmt::Action;
  switch (s.action) {
    case Action::kAddColumn:
      return txn.AddColumn(s.table, WithTypedDefault(s.column.def)).status();
    case Action::kDropColumn:
      return txn.DropColumn(s.table, s.name);
    case Action::kRenameColumn:
      return txn.RenameColumn(s.table, s.name, s.new_name);
    case Action::kAddIndex:
      return txn.CreateIndex(s.table, s.name, s.columns, s.unique).status();
    case Action::kDropIndex: {
      FORKDB_ASSIGN_OR_RETURN(TableDef def, txn.GetTable(s.table));
      if (def.FindIndex(s.name) == nullptr)
        return Status::NotFound("table ", def.name, " has no index ", s.name);
      return txn.DropIndex(s.name);
    }
    case Action::kRenameTable:
      return txn.RenameTable(s.table, s.name);
    case Action::kAlterColumnType:
      return AlterColumnType(txn, s.table, s.name, s.type);
  }
  return Status::InvalidArgument("unknown ALTER TABLE action");
}

// ---------------------------------------------------------------------------
// Binlog and replication (SQL.md).

// A value in JSON: numbers as ValueText() writes them, TEXT as a string,
// BLOB as the string of its literal (x'0a1b'), NULL as null.
std::string JsonValue(const Value& v) {
  switch (v.type()) {
    case Type::kNull:
      return "null";
    case Type::kInteger:
    case Type::kBoolean:
    case Type::kReal:
      return ValueText(v);
    case Type::kText:
      return JsonString(v.text());
    case Type::kBlob: {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string lit = "x'";
      for (char ch : v.blob()) {
        const unsigned char c = static_cast<unsigned char>(ch);
        lit += kHex[c >> 4];
        lit += kHex[c & 15];
      }
      return JsonString(lit + "'");
    }
  }
  return "null";
}

// [v1,v2,...]
std::string JsonArray(const Row& row) {
  std::string out = "[";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ',';
    out += JsonValue(row[i]);
  }
  return out + "]";
}

// A row image as {"column":value,...} in column order; NULL when absent.
Value JsonImage(const std::vector<std::string>& columns,
                const std::optional<Row>& row) {
  if (!row.has_value()) return Value::Null();
  std::string out = "{";
  for (size_t i = 0; i < row->size(); ++i) {
    if (i > 0) out += ',';
    out +=
        JsonString(i < columns.size() ? columns[i] : "#" + std::to_string(i));
    out += ':';
    out += JsonValue((*row)[i]);
  }
  return Value::Text(out + "}");
}

// "<origin fork>:<seq>", or "#<origin id>:<seq>" once that fork is gone.
std::string GtidText(const engine::Gtid& gtid,
                     const std::vector<engine::ForkInfo>& forks) {
  for (const engine::ForkInfo& f : forks)
    if (f.id == gtid.origin) return f.name + ":" + std::to_string(gtid.seq);
  return "#" + std::to_string(gtid.origin) + ":" + std::to_string(gtid.seq);
}

Value Integer(uint64_t v) { return Value::Integer(static_cast<int64_t>(v)); }

std::string_view EventKind(engine::BinlogEvent::Kind kind) {
  switch (kind) {
    case engine::BinlogEvent::Kind::kInsert:
      return "insert";
    case engine::BinlogEvent::Kind::kUpdate:
      return "update";
    case engine::BinlogEvent::Kind::kDelete:
      return "delete";
    case engine::BinlogEvent::Kind::kDdl:
      return "ddl";
  }
  return "?";
}

// SHOW BINLOG: one row per event, from the first record asked for up to the
// last one committed when the statement began.
Status ShowBinlog(SessionState& s, const ShowBinlogStmt& st,
                  std::vector<Row>* rows) {
  const std::string& fork = st.fork.empty() ? s.fork : st.fork;
  FORKDB_RETURN_IF_ERROR(s.db.GetFork(fork).status());
  FORKDB_ASSIGN_OR_RETURN(engine::BinlogBounds bounds,
                          s.db.GetBinlogBounds(fork));
  uint64_t seq = st.from.value_or(bounds.first);
  if (seq < bounds.first)
    return Status::NotFound("binlog record ", seq, " of fork ", fork,
                            " was purged (the first kept is ", bounds.first,
                            ")");
  const std::vector<engine::ForkInfo> forks = s.db.ListForks();
  const uint64_t limit = st.limit.value_or(UINT64_MAX);
  constexpr uint64_t kBatch = 64;
  while (seq < bounds.next && rows->size() < limit) {
    FORKDB_ASSIGN_OR_RETURN(
        std::vector<engine::BinlogEntry> entries,
        s.db.ReadBinlog(fork, seq, std::min(bounds.next - seq, kBatch)));
    if (entries.empty()) break;
    for (const engine::BinlogEntry& entry : entries) {
      const Value gtid = Value::Text(GtidText(entry.gtid, forks));
      for (const engine::BinlogEvent& ev : entry.events) {
        if (rows->size() >= limit) return Status();
        const Value kind = Value::Text(std::string(EventKind(ev.kind)));
        if (ev.kind == engine::BinlogEvent::Kind::kDdl) {
          rows->push_back({Integer(entry.seq), gtid, Value::Text(ev.table),
                           kind, Value::Null(),
                           ev.statement.empty() ? Value::Null()
                                                : Value::Text(ev.statement)});
        } else {
          rows->push_back({Integer(entry.seq), gtid, Value::Text(ev.table),
                           kind, JsonImage(ev.columns, ev.before),
                           JsonImage(ev.columns, ev.after)});
        }
      }
      seq = entry.seq + 1;
    }
  }
  return Status();
}

Status ShowReplication(SessionState& s, const ShowReplicationStmt& st,
                       std::vector<Row>* rows) {
  if (!st.conflicts) {
    FORKDB_ASSIGN_OR_RETURN(std::vector<engine::ReplicationStatus> list,
                            s.db.ListReplications());
    for (const engine::ReplicationStatus& r : list)
      rows->push_back(
          {Value::Text(r.source), Value::Text(r.target), Value::Text(r.state),
           Integer(r.applied_seq), Integer(r.source_seq), Integer(r.lag_events),
           Integer(r.conflicts),
           r.last_error.empty() ? Value::Null() : Value::Text(r.last_error)});
    return Status();
  }
  FORKDB_ASSIGN_OR_RETURN(std::vector<engine::ReplicationConflict> list,
                          s.db.ListReplicationConflicts(st.target));
  const std::vector<engine::ForkInfo> forks = s.db.ListForks();
  for (const engine::ReplicationConflict& c : list)
    rows->push_back(
        {Value::Text(c.target), Value::Text(c.source), Integer(c.source_seq),
         Value::Text(GtidText(c.gtid, forks)), Value::Text(c.table),
         Value::Text(c.kind), Value::Text(c.resolution),
         Value::Text(JsonArray(c.key)), JsonImage(c.columns, c.source_before),
         JsonImage(c.columns, c.source_after),
         JsonImage(c.target_columns, c.target_row)});
  return Status();
}

// "10", "0.5": a timeout as WAIT FOR REPLICATION's messages show it.
std::string SecondsText(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", seconds);
  return buf;
}

Status WaitForReplication(SessionState& s, const WaitForReplicationStmt& st) {
  const std::string& target = st.target.empty() ? s.fork : st.target;
  const auto timeout = std::chrono::milliseconds(
      static_cast<int64_t>(std::llround(st.timeout_seconds * 1000)));
  FORKDB_ASSIGN_OR_RETURN(bool caught_up,
                          s.db.WaitForReplication(target, timeout));
  if (caught_up) return Status();
  std::string state = "unknown";
  auto list = s.db.ListReplications();
  if (list.ok()) {
    for (const engine::ReplicationStatus& r : *list) {
      if (r.target != target) continue;
      state = r.state;
      if (!r.last_error.empty()) state += ": " + r.last_error;
    }
  }
  return Status::Aborted(
      "replication into ", target, " did not catch up within ",
      SecondsText(st.timeout_seconds), " s (state ", state, ")");
}

// ---------------------------------------------------------------------------
// Divergence between forks (SQL.md). The engine compares the forks'
// committed states, so these run inside a transaction too, as SHOW BINLOG
// does, and never see the transaction's own writes. Each collects into a
// list of its own that becomes the result only once the engine is done, so
// a failure midway leaves no rows behind.

// A side's definition of the table as SHOW CREATE TABLE prints it; NULL
// where that side lacks the table.
Value SchemaText(const std::optional<TableDef>& def) {
  return def.has_value() ? Value::Text(CreateTableText(*def)) : Value::Null();
}

Status ShowDivergence(SessionState& s, const ShowDivergenceStmt& st,
                      std::vector<Row>* rows) {
  engine::DivergenceOptions options;
  options.table = st.table;
  options.cell_level = st.cell_level;
  std::vector<Row> out;
  FORKDB_RETURN_IF_ERROR(
      s.db.Divergence(st.a, st.b, options, [&](const engine::DivergentRow& r) {
        const Value kind =
            Value::Text(std::string(engine::DivergenceKindName(r.kind)));
        if (r.kind == engine::DivergenceKind::kSchema) {
          out.push_back({Value::Text(r.table), Value::Null(), kind,
                         SchemaText(r.base_schema), SchemaText(r.a_schema),
                         SchemaText(r.b_schema)});
        } else {
          out.push_back({Value::Text(r.table),
                         JsonImage(r.key_columns, std::optional<Row>(r.key)),
                         kind, JsonImage(r.columns, r.base),
                         JsonImage(r.columns, r.a), JsonImage(r.columns, r.b)});
        }
        return true;
      }));
  *rows = std::move(out);
  return Status();
}

Status ShowDivergentPages(SessionState& s, const ShowDivergentPagesStmt& st,
                          std::vector<Row>* rows) {
  std::vector<Row> out;
  FORKDB_RETURN_IF_ERROR(
      s.db.DivergentPages(st.a, st.b, [&](const engine::DivergentPage& p) {
        out.push_back({Integer(p.page),
                       p.table.empty() ? Value::Null() : Value::Text(p.table),
                       Value::Text(p.base), Value::Text(p.a),
                       Value::Text(p.b)});
        return true;
      }));
  *rows = std::move(out);
  return Status();
}

Status ShowDiff(SessionState& s, const ShowDiffStmt& st,
                std::vector<Row>* rows) {
  engine::DiffOptions options;
  options.table = st.table;
  std::vector<Row> out;
  FORKDB_RETURN_IF_ERROR(
      s.db.Diff(st.a, st.b, options, [&](const engine::DiffRow& r) {
        out.push_back({Value::Text(r.table),
                       JsonImage(r.key_columns, std::optional<Row>(r.key)),
                       Value::Text(std::string(engine::DiffKindName(r.kind))),
                       JsonImage(r.a_columns, r.a),
                       JsonImage(r.b_columns, r.b)});
        return true;
      }));
  *rows = std::move(out);
  return Status();
}

}  // namespace

Status Executable::Bind(SessionState& session) {
  plan_ = std::make_unique<Plan>();
  plan_->fork = session.fork;
  columns_.clear();
  auto needs_reader = [&](const std::function<Status(const Reader&)>& fn) {
    return WithReader(session, fn);
  };
  if (auto* s = std::get_if<SelectStmt>(&parsed_.body)) {
    plan_->aggregates.clear();
    if (s->table.empty())
      return BindSelect(nullptr, *s, plan_.get(), &columns_);
    return needs_reader([&](const Reader& r) {
      return BindSelect(&r, *s, plan_.get(), &columns_);
    });
  }
  if (auto* s = std::get_if<InsertStmt>(&parsed_.body))
    return needs_reader(
        [&](const Reader& r) { return BindInsert(r, *s, plan_.get()); });
  if (auto* s = std::get_if<UpdateStmt>(&parsed_.body))
    return needs_reader(
        [&](const Reader& r) { return BindUpdate(r, *s, plan_.get()); });
  if (auto* s = std::get_if<DeleteStmt>(&parsed_.body)) {
    return needs_reader([&](const Reader& r) -> Status {
      FORKDB_RETURN_IF_ERROR(BindTable(r, s->table, plan_.get()));
      if (s->where != nullptr) {
        Binder binder(plan_.get());
        FORKDB_RETURN_IF_ERROR(binder.Bind(*s->where, BindMode::kRow));
      }
      plan_->access = ChooseAccess(*plan_, s->where.get());
      return Status();
    });
  }
  if (std::holds_alternative<ShowTablesStmt>(parsed_.body)) {
    columns_ = {"name"};
  } else if (std::holds_alternative<ShowCreateTableStmt>(parsed_.body)) {
    columns_ = {"sql"};
  } else if (std::holds_alternative<ShowForksStmt>(parsed_.body)) {
    columns_ = {"name",      "parent",    "created",     "fork_point",
                "read_only", "own_pages", "shared_pages"};
  } else if (std::holds_alternative<ShowBinlogStmt>(parsed_.body)) {
    columns_ = {"seq", "gtid", "table_name", "kind", "before", "after"};
  } else if (auto* r = std::get_if<ShowReplicationStmt>(&parsed_.body)) {
    if (r->conflicts) {
      columns_ = {"dst",           "src",          "source_seq", "gtid",
                  "table_name",    "kind",         "resolution", "key",
                  "source_before", "source_after", "target"};
    } else {
      columns_ = {"src",        "dst",        "state",     "applied_seq",
                  "source_seq", "lag_events", "conflicts", "last_error"};
    }
  } else if (std::holds_alternative<ShowDivergenceStmt>(parsed_.body)) {
    columns_ = {"table_name", "key", "kind", "base", "a", "b"};
  } else if (std::holds_alternative<ShowDivergentPagesStmt>(parsed_.body)) {
    columns_ = {"page", "table_name", "base", "a", "b"};
  } else if (std::holds_alternative<ShowDiffStmt>(parsed_.body)) {
    columns_ = {"table_name", "key", "kind", "a", "b"};
  }
  return Status();
}

Status Executable::Run(SessionState& session,
                       const std::vector<Value>& params) {
  rows_.clear();
  changes_ = 0;
  assert(static_cast<int>(params.size()) == parsed_.parameter_count);
  // A statement on a table binds again if the fork or the table changed.
  auto fresh = [&](const Reader& r, std::string_view table) -> Result<bool> {
    if (plan_ == nullptr || plan_->fork != session.fork) return false;
    FORKDB_ASSIGN_OR_RETURN(TableDef def, r.GetTable(table));
    return def.id == plan_->table_id &&
           def.schema_version == plan_->table_version;
  };
  auto rebind = [&](const Reader& r, std::string_view table) -> Status {
    if (plan_ != nullptr && plan_->checked_epoch == session.epoch &&
        plan_->fork == session.fork)
      return Status();
    FORKDB_ASSIGN_OR_RETURN(bool ok, fresh(r, table));
    if (ok) {
      plan_->checked_epoch = session.epoch;
      return Status();
    }
    std::vector<std::string> before = columns_;
    FORKDB_RETURN_IF_ERROR(Bind(session));
    if (returns_rows() && !before.empty() && before != columns_)
      return Status::Aborted(
          "the schema changed: prepare the statement "
          "again");
    plan_->checked_epoch = session.epoch;
    return Status();
  };

  const bool reads_or_writes_rows =
      std::holds_alternative<SelectStmt>(parsed_.body) ||
      std::holds_alternative<InsertStmt>(parsed_.body) ||
      std::holds_alternative<UpdateStmt>(parsed_.body) ||
      std::holds_alternative<DeleteStmt>(parsed_.body);
  if (!reads_or_writes_rows) {
    // DDL, transactions, forks, SHOW: release the cached snapshot (SHOW
    // FORKS must not count its pages) and let every plan check its schema.
    session.snapshot.reset();
    ++session.epoch;
  }
  session.statement = parsed_.text;
  Status result = RunBody(session, params, rebind);
  session.statement = {};
  if (!result.ok()) ++session.epoch;  // a failed write may have undone DDL
  return result;
}

template <typename Rebind>
Status Executable::RunBody(SessionState& session,
                           const std::vector<Value>& params, Rebind& rebind) {
  // UPDATE and DELETE: every row WHERE accepts is read first, then written
  // by `write`, all as one atomic statement.
  using MatchWrite =
      std::function<Status(Transaction&, const Row& key, const Row& row)>;
  auto write_matches = [&](const std::string& table, const Expr* where,
                           const MatchWrite& write) -> Status {
    return WithWriter(
        session, WriteFn([&](Transaction& txn, WriteScope& scope) -> Status {
          FORKDB_RETURN_IF_ERROR(rebind(txn, table));
          FORKDB_ASSIGN_OR_RETURN(auto matches,
                                  Matches(txn, *plan_, where, params));
          FORKDB_RETURN_IF_ERROR(scope.Expect(matches.size()));
          for (const auto& [key, row] : matches) {
            FORKDB_RETURN_IF_ERROR(write(txn, key, row));
            ++changes_;
          }
          return Status();
        }));
  };
  return std::visit(
      [&](auto& s) -> Status {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, SelectStmt>) {
          if (s.table.empty())
            return RunSelect(nullptr, s, *plan_, params, &rows_);
          return WithReader(session, [&](const Reader& r) -> Status {
            FORKDB_RETURN_IF_ERROR(rebind(r, s.table));
            return RunSelect(&r, s, *plan_, params, &rows_);
          });
        } else if constexpr (std::is_same_v<T, InsertStmt>) {
          return WithWriter(
              session,
              WriteFn([&](Transaction& txn, WriteScope& scope) -> Status {
                FORKDB_RETURN_IF_ERROR(rebind(txn, s.table));
                FORKDB_RETURN_IF_ERROR(scope.Expect(s.rows.size()));
                return RunInsert(txn, s, *plan_, params, &changes_);
              }));
        } else if constexpr (std::is_same_v<T, UpdateStmt>) {
          return write_matches(
              s.table, s.where.get(),
              [&](Transaction& txn, const Row& key, const Row& row) -> Status {
                EvalContext ctx;
                ctx.params = &params;
                ctx.row = &row;
                Row updated = row;
                for (const auto& [pos, e] : plan_->sets) {
                  FORKDB_ASSIGN_OR_RETURN(updated[pos], Evaluate(*e, ctx));
                }
                return txn.Update(s.table, key, updated);
              });
        } else if constexpr (std::is_same_v<T, DeleteStmt>) {
          return write_matches(
              s.table, s.where.get(),
              [&](Transaction& txn, const Row& key, const Row&) -> Status {
                return txn.Delete(s.table, key);
              });
        } else if constexpr (std::is_same_v<T, CreateTableStmt>) {
          return WithWriter(
              session, [&](Transaction& txn) { return CreateTable(txn, s); });
        } else if constexpr (std::is_same_v<T, DropTableStmt>) {
          return WithWriter(session, [&](Transaction& txn) -> Status {
            Status st = txn.DropTable(s.table);
            if (st.IsNotFound() && s.if_exists) return Status();
            return st;
          });
        } else if constexpr (std::is_same_v<T, CreateIndexStmt>) {
          return WithWriter(session, [&](Transaction& txn) -> Status {
            if (s.if_not_exists) {
              FORKDB_ASSIGN_OR_RETURN(bool exists, IndexExists(txn, s.index));
              if (exists) return Status();
            }
            return txn.CreateIndex(s.table, s.index, s.columns, s.unique)
                .status();
          });
        } else if constexpr (std::is_same_v<T, DropIndexStmt>) {
          return WithWriter(session, [&](Transaction& txn) -> Status {
            Status st = txn.DropIndex(s.index);
            if (st.IsNotFound() && s.if_exists) return Status();
            return st;
          });
        } else if constexpr (std::is_same_v<T, AlterTableStmt>) {
          return WithWriter(
              session, [&](Transaction& txn) { return AlterTable(txn, s); });
        } else if constexpr (std::is_same_v<T, RenameTablesStmt>) {
          return WithWriter(session, [&](Transaction& txn) -> Status {
            for (const auto& [from, to] : s.renames)
              FORKDB_RETURN_IF_ERROR(txn.RenameTable(from, to));
            return Status();
          });
        } else if constexpr (std::is_same_v<T, TransactionStmt>) {
          switch (s.kind) {
            case TransactionStmt::Kind::kBegin: {
              if (session.txn.has_value())
                return Status::InvalidArgument(
                    "cannot start a transaction within a transaction");
              FORKDB_ASSIGN_OR_RETURN(Transaction txn,
                                      session.db.Begin(session.fork));
              session.txn.emplace(std::move(txn));
              return Status();
            }
            case TransactionStmt::Kind::kCommit: {
              if (!session.txn.has_value())
                return Status::InvalidArgument(
                    "cannot commit: no transaction is active");
              Status st = session.txn->Commit();
              session.txn.reset();
              return st;
            }
            case TransactionStmt::Kind::kRollback:
              if (!session.txn.has_value())
                return Status::InvalidArgument(
                    "cannot rollback: no transaction is active");
              session.txn->Rollback();
              session.txn.reset();
              return Status();
          }
          return Status();
        } else if constexpr (std::is_same_v<T, ShowTablesStmt>) {
          return WithReader(session, [&](const Reader& r) -> Status {
            FORKDB_ASSIGN_OR_RETURN(std::vector<TableDef> tables,
                                    r.ListTables());
            for (const TableDef& t : tables)
              rows_.push_back({Value::Text(t.name)});
            return Status();
          });
        } else if constexpr (std::is_same_v<T, ShowCreateTableStmt>) {
          return WithReader(session, [&](const Reader& r) -> Status {
            Result<TableDef> def = r.GetTable(s.table);
            if (def.status().IsNotFound())
              return Status::InvalidArgument("no such table: ", s.table);
            FORKDB_RETURN_IF_ERROR(def.status());
            rows_.push_back({Value::Text(CreateTableText(*def))});
            return Status();
          });
        } else if constexpr (std::is_same_v<T, CreateForkStmt>) {
          FORKDB_RETURN_IF_ERROR(NotInTransaction(session, "CREATE FORK"));
          engine::ForkOptions options;
          options.read_only = s.read_only;
          return session.db
              .CreateFork(s.fork, s.parent.empty() ? session.fork : s.parent,
                          options)
              .status();
        } else if constexpr (std::is_same_v<T, DropForkStmt>) {
          FORKDB_RETURN_IF_ERROR(NotInTransaction(session, "DROP FORK"));
          if (s.fork == session.fork)
            return Status::InvalidArgument(
                "fork ", s.fork,
                " is the current fork: USE FORK another one first");
          Status st = session.db.DropFork(s.fork);
          if (st.IsNotFound() && s.if_exists) return Status();
          return st;
        } else if constexpr (std::is_same_v<T, UseForkStmt>) {
          FORKDB_RETURN_IF_ERROR(NotInTransaction(session, "USE FORK"));
          FORKDB_RETURN_IF_ERROR(session.db.GetFork(s.fork).status());
          session.fork = s.fork;
          return Status();
        } else if constexpr (std::is_same_v<T, ShowForksStmt>) {
          for (const engine::ForkInfo& f : session.db.ListForks()) {
            FORKDB_ASSIGN_OR_RETURN(engine::ForkSpace space,
                                    session.db.Space(f.name));
            rows_.push_back(
                {Value::Text(f.name),
                 f.parent.empty() ? Value::Null() : Value::Text(f.parent),
                 Value::Text(FormatTime(f.created_unix_us)),
                 Value::Integer(static_cast<int64_t>(f.fork_point)),
                 Value::Integer(f.read_only ? 1 : 0),
                 Value::Integer(static_cast<int64_t>(space.own_pages)),
                 Value::Integer(static_cast<int64_t>(space.shared_pages))});
          }
          return Status();
        } else if constexpr (std::is_same_v<T, ShowBinlogStmt>) {
          return ShowBinlog(session, s, &rows_);
        } else if constexpr (std::is_same_v<T, PurgeBinlogStmt>) {
          FORKDB_RETURN_IF_ERROR(NotInTransaction(session, "PURGE BINLOG"));
          return session.db
              .PurgeBinlog(s.fork.empty() ? session.fork : s.fork, s.before)
              .status();
        } else if constexpr (std::is_same_v<T, StartReplicationStmt>) {
          FORKDB_RETURN_IF_ERROR(
              NotInTransaction(session, "START REPLICATION"));
          engine::ReplicationOptions options;
          options.on_conflict = s.on_conflict;
          return session.db.StartReplication(s.source, s.target, options);
        } else if constexpr (std::is_same_v<T, StopReplicationStmt>) {
          FORKDB_RETURN_IF_ERROR(NotInTransaction(session, "STOP REPLICATION"));
          return session.db.StopReplication(s.target);
        } else if constexpr (std::is_same_v<T, ShowReplicationStmt>) {
          return ShowReplication(session, s, &rows_);
        } else if constexpr (std::is_same_v<T, WaitForReplicationStmt>) {
          return WaitForReplication(session, s);
        } else if constexpr (std::is_same_v<T, ShowDivergenceStmt>) {
          return ShowDivergence(session, s, &rows_);
        } else if constexpr (std::is_same_v<T, ShowDivergentPagesStmt>) {
          return ShowDivergentPages(session, s, &rows_);
        } else if constexpr (std::is_same_v<T, ShowDiffStmt>) {
          return ShowDiff(session, s, &rows_);
        } else {
          static_assert(sizeof(T) == 0, "unhandled statement");
          return Status();
        }
      },
      parsed_.body);
}

}  // namespace forkdb::sql
