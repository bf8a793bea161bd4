// Parser: see parser.h. One token of lookahead (two where a statement's
// leading words decide its kind); every Parse* function consumes exactly the
// construct it names or returns an error naming the token at fault.
#include "sql-lite-frontend/parser.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <utility>

#include "sql-lite-frontend/lexer.h"

namespace forkdb::sql {
namespace {

// Words that cannot be bare names: they start or continue clauses, so a
// name spelled like one must be quoted ("order").
constexpr std::array<std::string_view, 36> kReserved = {
    "ALTER",  "AND",    "AS",     "ASC",    "BETWEEN", "BY",
    "CASE",   "CAST",   "CREATE", "DELETE", "DESC",    "DISTINCT",
    "DROP",   "ELSE",   "END",    "FALSE",  "FROM",    "GROUP",
    "HAVING", "IN",     "INSERT", "INTO",   "IS",      "LIKE",
    "LIMIT",  "NOT",    "NULL",   "OFFSET", "ON",      "OR",
    "ORDER",  "SELECT", "SET",    "THEN",   "TRUE",    "WHERE"};
constexpr std::array<std::string_view, 5> kReservedMore = {
    "WHEN", "VALUES", "UPDATE", "UNIQUE", "JOIN"};

}  // namespace

bool IsReservedWord(std::string_view word) {
  for (std::string_view w : kReserved)
    if (engine::FoldName(w) == engine::FoldName(word)) return true;
  for (std::string_view w : kReservedMore)
    if (engine::FoldName(w) == engine::FoldName(word)) return true;
  return false;
}

namespace {

bool IsReserved(const Token& t) {
  for (std::string_view w : kReserved)
    if (t.Is(w)) return true;
  for (std::string_view w : kReservedMore)
    if (t.Is(w)) return true;
  return false;
}

class Parser {
 public:
  Parser(std::string_view sql, SourceLocation start) : lexer_(sql, start) {
    sql_ = sql;
    Advance();
  }

  Result<std::optional<ParsedStatement>> Statement(size_t* tail);

 private:
  void Advance() {
    prev_end_ = tok_.offset + tok_.text.size();
    tok_ = lexer_.Next();
  }
  Status Error(std::string_view expected) const {
    return ErrorAt(tok_, expected);
  }
  static Status ErrorAt(const Token& t, std::string_view expected) {
    if (t.kind == TokenKind::kError)
      return Status::InvalidArgument(t.line, ":", t.column, ": ", t.value);
    return Status::InvalidArgument(t.line, ":", t.column, ": expected ",
                                   expected, ", found ", Describe(t));
  }
  Position Pos() const { return Position{tok_.line, tok_.column}; }
  bool Accept(std::string_view keyword) {
    if (!tok_.Is(keyword)) return false;
    Advance();
    return true;
  }
  bool AcceptSymbol(std::string_view symbol) {
    if (!tok_.IsSymbol(symbol)) return false;
    Advance();
    return true;
  }
  Status Expect(std::string_view keyword) {
    if (!Accept(keyword)) return Error(keyword);
    return Status();
  }
  Status ExpectSymbol(std::string_view symbol) {
    if (!AcceptSymbol(symbol))
      return Error(std::string("'") + std::string(symbol) + "'");
    return Status();
  }
  bool AtName() const {
    return tok_.kind == TokenKind::kQuotedName ||
           (tok_.kind == TokenKind::kIdentifier && !IsReserved(tok_));
  }
  Result<std::string> Name(std::string_view what) {
    if (!AtName()) return Error(what);
    std::string name = tok_.kind == TokenKind::kQuotedName
                           ? tok_.value
                           : std::string(tok_.text);
    Advance();
    return name;
  }
  // A fork name: a quoted name kept as written, or a bare one folded to
  // lower case (identifiers are case-insensitive unless quoted). Fork names
  // may hold '-' and '.', so a bare one runs on over adjacent words,
  // numbers, '-' and '.' with no blank between them: feature-1, v2.0 (whose
  // ".0" lexes as a REAL).
  Result<std::string> ForkName() {
    if (tok_.kind == TokenKind::kQuotedName) return Name("a fork name");
    if (!AtName()) return Error("a fork name");
    std::string name;
    size_t end = tok_.offset;
    while (tok_.offset == end &&
           (tok_.kind == TokenKind::kIdentifier ||
            tok_.kind == TokenKind::kInteger || tok_.kind == TokenKind::kReal ||
            tok_.IsSymbol("-") || tok_.IsSymbol("."))) {
      name += tok_.text;
      end = tok_.offset + tok_.text.size();
      Advance();
    }
    return engine::FoldName(name);
  }
  Result<std::vector<std::string>> NameList(std::string_view what) {
    FORKDB_RETURN_IF_ERROR(ExpectSymbol("("));
    std::vector<std::string> names;
    do {
      FORKDB_ASSIGN_OR_RETURN(std::string n, Name(what));
      names.push_back(std::move(n));
    } while (AcceptSymbol(","));
    FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
    return names;
  }

  Result<StatementBody> Body();
  Result<StatementBody> Select();
  Result<StatementBody> Insert();
  Result<StatementBody> Update();
  Result<StatementBody> Delete();
  Result<StatementBody> Create();
  Result<StatementBody> CreateTable();
  Result<StatementBody> CreateIndex(bool unique);
  Result<StatementBody> Drop();
  Result<StatementBody> Alter();
  Result<StatementBody> Rename();
  Result<StatementBody> Show();
  Result<StatementBody> StartReplication();
  // BETWEEN a AND b: the two forks that the divergence statements compare.
  Status ForkPair(std::string* a, std::string* b);
  // An INTEGER literal of at least `min` (a seq, a row count).
  Result<uint64_t> Count(std::string_view what, uint64_t min);
  // A number of seconds: an INTEGER or REAL literal, 0 to a day.
  Result<double> Seconds();
  Status NotYet(std::string_view what) {
    return Status::NotSupported(what, " is not supported yet");
  }
  Result<Type> TypeName();
  Result<Value> Literal();  // a DEFAULT value
  Result<ColumnSpec> ColumnDefinition();

  Result<ExprPtr> Expression() {
    Nesting nesting(this);
    FORKDB_RETURN_IF_ERROR(CheckDepth());
    return Or();
  }
  Result<ExprPtr> Or();
  Result<ExprPtr> And();
  Result<ExprPtr> Not();
  Result<ExprPtr> Equality();
  Result<ExprPtr> Relational();
  Result<ExprPtr> Additive();
  Result<ExprPtr> Multiplicative();
  Result<ExprPtr> Concat();
  Result<ExprPtr> Unary();
  Result<ExprPtr> Primary();
  Result<ExprPtr> Postfix(ExprPtr left);

  Result<ExprPtr> MakeBinary(BinaryOp op, ExprPtr a, ExprPtr b,
                             Position pos) const {
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kBinary;
    e->binary = op;
    e->pos = pos;
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    FORKDB_RETURN_IF_ERROR(Grow(*e));
    return e;
  }

  // Guards against inputs that would recurse too deep: parentheses, NOT and
  // unary chains nest the parser; operator chains make deep trees that the
  // binder and evaluator walk recursively. SQLite's own limit on expression
  // depth is 1000; ours is lower so that sanitizer builds, whose frames are
  // large, stay far from the stack's end.
  static constexpr int kMaxDepth = 200;
  static constexpr int kMaxHeight = 500;
  class Nesting {
   public:
    explicit Nesting(Parser* p) : p_(p) { ++p_->depth_; }
    ~Nesting() { --p_->depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    Parser* p_;
  };
  Status CheckDepth() const {
    if (depth_ > kMaxDepth)
      return Status::InvalidArgument(tok_.line, ":", tok_.column,
                                     ": expression nested too deeply (more "
                                     "than ",
                                     kMaxDepth, " levels)");
    return Status();
  }
  // Sets e's height from its operands; an error past kMaxHeight.
  Status Grow(Expr& e) const {
    int h = 0;
    for (const ExprPtr& a : e.args) h = std::max(h, a->height);
    e.height = h + 1;
    if (e.height > kMaxHeight)
      return Status::InvalidArgument(e.pos.line, ":", e.pos.column,
                                     ": expression too deep (more than ",
                                     kMaxHeight, " operators in a chain)");
    return Status();
  }

  std::string_view sql_;
  Lexer lexer_;
  Token tok_;
  int depth_ = 0;
  size_t prev_end_ = 0;
  int parameters_ = 0;
};

Result<std::optional<ParsedStatement>> Parser::Statement(size_t* tail) {
  while (tok_.IsSymbol(";")) Advance();
  if (tok_.kind == TokenKind::kEnd) {
    if (tail != nullptr) *tail = sql_.size();
    return std::optional<ParsedStatement>();
  }
  ParsedStatement stmt;
  stmt.pos = Pos();
  const size_t start = tok_.offset;
  FORKDB_ASSIGN_OR_RETURN(stmt.body, Body());
  if (!tok_.IsSymbol(";") && tok_.kind != TokenKind::kEnd)
    return Error("end of statement");
  size_t end = tok_.offset + tok_.text.size();
  if (tok_.kind == TokenKind::kEnd) end = prev_end_;
  stmt.text = std::string(sql_.substr(start, end - start));
  stmt.parameter_count = parameters_;
  if (tail != nullptr) *tail = tok_.kind == TokenKind::kEnd ? sql_.size() : end;
  return std::optional<ParsedStatement>(std::move(stmt));
}

Result<StatementBody> Parser::Body() {
  if (tok_.Is("SELECT")) return Select();
  if (tok_.Is("INSERT")) return Insert();
  if (tok_.Is("UPDATE")) return Update();
  if (tok_.Is("DELETE")) return Delete();
  if (tok_.Is("CREATE")) return Create();
  if (tok_.Is("DROP")) return Drop();
  if (tok_.Is("ALTER")) return Alter();
  if (tok_.Is("RENAME")) return Rename();
  if (tok_.Is("SHOW")) return Show();
  if (Accept("BEGIN")) {
    Accept("TRANSACTION");
    return StatementBody(TransactionStmt{TransactionStmt::Kind::kBegin});
  }
  if (Accept("COMMIT") || Accept("END")) {
    Accept("TRANSACTION");
    return StatementBody(TransactionStmt{TransactionStmt::Kind::kCommit});
  }
  if (Accept("ROLLBACK")) {
    Accept("TRANSACTION");
    return StatementBody(TransactionStmt{TransactionStmt::Kind::kRollback});
  }
  if (Accept("USE")) {
    FORKDB_RETURN_IF_ERROR(Expect("FORK"));
    UseForkStmt s;
    FORKDB_ASSIGN_OR_RETURN(s.fork, ForkName());
    return StatementBody(std::move(s));
  }
  if (tok_.Is("START")) return StartReplication();
  if (Accept("STOP")) {
    FORKDB_RETURN_IF_ERROR(Expect("REPLICATION"));
    FORKDB_RETURN_IF_ERROR(Expect("TO"));
    StopReplicationStmt s;
    FORKDB_ASSIGN_OR_RETURN(s.target, ForkName());
    return StatementBody(std::move(s));
  }
  if (Accept("WAIT")) {
    FORKDB_RETURN_IF_ERROR(Expect("FOR"));
    FORKDB_RETURN_IF_ERROR(Expect("REPLICATION"));
    WaitForReplicationStmt s;
    if (Accept("TO")) {
      FORKDB_ASSIGN_OR_RETURN(s.target, ForkName());
    }
    if (Accept("TIMEOUT")) {
      FORKDB_ASSIGN_OR_RETURN(s.timeout_seconds, Seconds());
    }
    return StatementBody(std::move(s));
  }
  if (tok_.Is("COMPLETE") || tok_.Is("CANCEL") || tok_.Is("REVERT")) {
    Advance();
    if (tok_.Is("MIGRATION")) return NotYet("online schema migration");
    return Error("MIGRATION");
  }
  if (Accept("PURGE")) {
    FORKDB_RETURN_IF_ERROR(Expect("BINLOG"));
    PurgeBinlogStmt s;
    if (Accept("FOR")) {
      FORKDB_RETURN_IF_ERROR(Expect("FORK"));
      FORKDB_ASSIGN_OR_RETURN(s.fork, ForkName());
    }
    FORKDB_RETURN_IF_ERROR(Expect("BEFORE"));
    FORKDB_ASSIGN_OR_RETURN(s.before, Count("a binlog seq (1 or more)", 1));
    return StatementBody(std::move(s));
  }
  return Error("a statement");
}

Result<uint64_t> Parser::Count(std::string_view what, uint64_t min) {
  if (tok_.kind != TokenKind::kInteger) return Error(what);
  const int64_t v = std::strtoll(tok_.value.c_str(), nullptr, 10);
  if (v < 0 || static_cast<uint64_t>(v) < min) return Error(what);
  Advance();
  return static_cast<uint64_t>(v);
}

Result<double> Parser::Seconds() {
  constexpr std::string_view kWhat = "a number of seconds (0 to 86400)";
  if (tok_.kind != TokenKind::kInteger && tok_.kind != TokenKind::kReal)
    return Error(kWhat);
  const double v = std::strtod(tok_.value.c_str(), nullptr);
  if (!(v >= 0 && v <= 86400)) return Error(kWhat);
  Advance();
  return v;
}

Result<StatementBody> Parser::StartReplication() {
  FORKDB_RETURN_IF_ERROR(Expect("START"));
  FORKDB_RETURN_IF_ERROR(Expect("REPLICATION"));
  FORKDB_RETURN_IF_ERROR(Expect("FROM"));
  StartReplicationStmt s;
  FORKDB_ASSIGN_OR_RETURN(s.source, ForkName());
  FORKDB_RETURN_IF_ERROR(Expect("TO"));
  FORKDB_ASSIGN_OR_RETURN(s.target, ForkName());
  if (Accept("ON")) {
    FORKDB_RETURN_IF_ERROR(Expect("CONFLICT"));
    if (Accept("STOP")) {
      s.on_conflict = engine::ConflictPolicy::kStop;
    } else if (Accept("SOURCE")) {
      FORKDB_RETURN_IF_ERROR(Expect("WINS"));
      s.on_conflict = engine::ConflictPolicy::kSourceWins;
    } else if (Accept("TARGET")) {
      FORKDB_RETURN_IF_ERROR(Expect("WINS"));
      s.on_conflict = engine::ConflictPolicy::kTargetWins;
    } else {
      return Error("STOP, SOURCE WINS or TARGET WINS");
    }
  }
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::Select() {
  FORKDB_RETURN_IF_ERROR(Expect("SELECT"));
  SelectStmt s;
  if (Accept("DISTINCT")) {
    s.distinct = true;
  } else {
    Accept("ALL");
  }
  do {
    SelectItem item;
    item.pos = Pos();
    const size_t start = tok_.offset;
    if (AcceptSymbol("*")) {
      s.items.push_back(std::move(item));
      continue;
    }
    FORKDB_ASSIGN_OR_RETURN(item.expr, Expression());
    item.text = std::string(sql_.substr(start, prev_end_ - start));
    if (Accept("AS")) {
      if (tok_.kind == TokenKind::kString) {
        item.alias = tok_.value;
        Advance();
      } else {
        FORKDB_ASSIGN_OR_RETURN(item.alias, Name("a column alias"));
      }
    } else if (AtName()) {
      FORKDB_ASSIGN_OR_RETURN(item.alias, Name("a column alias"));
    }
    s.items.push_back(std::move(item));
  } while (AcceptSymbol(","));
  if (Accept("FROM")) {
    FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
    if (Accept("AS")) {
      FORKDB_ASSIGN_OR_RETURN(s.table_alias, Name("a table alias"));
    } else if (AtName()) {
      FORKDB_ASSIGN_OR_RETURN(s.table_alias, Name("a table alias"));
    }
    if (tok_.IsSymbol(",") || tok_.Is("JOIN"))
      return Status::NotSupported(tok_.line, ":", tok_.column,
                                  ": joins are not supported");
  }
  if (Accept("WHERE")) {
    FORKDB_ASSIGN_OR_RETURN(s.where, Expression());
  }
  if (Accept("GROUP")) {
    FORKDB_RETURN_IF_ERROR(Expect("BY"));
    do {
      FORKDB_ASSIGN_OR_RETURN(ExprPtr e, Expression());
      s.group_by.push_back(std::move(e));
    } while (AcceptSymbol(","));
  }
  if (Accept("HAVING")) {
    FORKDB_ASSIGN_OR_RETURN(s.having, Expression());
  }
  if (Accept("ORDER")) {
    FORKDB_RETURN_IF_ERROR(Expect("BY"));
    do {
      OrderItem item;
      FORKDB_ASSIGN_OR_RETURN(item.expr, Expression());
      if (Accept("DESC")) {
        item.descending = true;
      } else {
        Accept("ASC");
      }
      s.order_by.push_back(std::move(item));
    } while (AcceptSymbol(","));
  }
  if (Accept("LIMIT")) {
    FORKDB_ASSIGN_OR_RETURN(s.limit, Expression());
    if (Accept("OFFSET")) {
      FORKDB_ASSIGN_OR_RETURN(s.offset, Expression());
    } else if (AcceptSymbol(",")) {
      // LIMIT m, n: SQLite's form, the offset first.
      s.offset = std::move(s.limit);
      FORKDB_ASSIGN_OR_RETURN(s.limit, Expression());
    }
  }
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::Insert() {
  FORKDB_RETURN_IF_ERROR(Expect("INSERT"));
  FORKDB_RETURN_IF_ERROR(Expect("INTO"));
  InsertStmt s;
  FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
  if (tok_.IsSymbol("(")) {
    FORKDB_ASSIGN_OR_RETURN(s.columns, NameList("a column name"));
  }
  FORKDB_RETURN_IF_ERROR(Expect("VALUES"));
  do {
    FORKDB_RETURN_IF_ERROR(ExpectSymbol("("));
    std::vector<ExprPtr> row;
    do {
      FORKDB_ASSIGN_OR_RETURN(ExprPtr e, Expression());
      row.push_back(std::move(e));
    } while (AcceptSymbol(","));
    FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
    s.rows.push_back(std::move(row));
  } while (AcceptSymbol(","));
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::Update() {
  FORKDB_RETURN_IF_ERROR(Expect("UPDATE"));
  UpdateStmt s;
  FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
  FORKDB_RETURN_IF_ERROR(Expect("SET"));
  do {
    FORKDB_ASSIGN_OR_RETURN(std::string column, Name("a column name"));
    FORKDB_RETURN_IF_ERROR(ExpectSymbol("="));
    FORKDB_ASSIGN_OR_RETURN(ExprPtr e, Expression());
    s.sets.emplace_back(std::move(column), std::move(e));
  } while (AcceptSymbol(","));
  if (Accept("WHERE")) {
    FORKDB_ASSIGN_OR_RETURN(s.where, Expression());
  }
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::Delete() {
  FORKDB_RETURN_IF_ERROR(Expect("DELETE"));
  FORKDB_RETURN_IF_ERROR(Expect("FROM"));
  DeleteStmt s;
  FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
  if (Accept("WHERE")) {
    FORKDB_ASSIGN_OR_RETURN(s.where, Expression());
  }
  return StatementBody(std::move(s));
}

Result<Type> Parser::TypeName() {
  Type type;
  if (tok_.Is("INTEGER") || tok_.Is("INT") || tok_.Is("BIGINT")) {
    type = Type::kInteger;
  } else if (tok_.Is("REAL") || tok_.Is("DOUBLE") || tok_.Is("FLOAT")) {
    type = Type::kReal;
  } else if (tok_.Is("TEXT") || tok_.Is("VARCHAR")) {
    type = Type::kText;
  } else if (tok_.Is("BLOB")) {
    type = Type::kBlob;
  } else if (tok_.Is("BOOLEAN") || tok_.Is("BOOL")) {
    type = Type::kBoolean;
  } else {
    return Error("a type (INTEGER, REAL, TEXT, BLOB or BOOLEAN)");
  }
  const bool is_double = tok_.Is("DOUBLE");
  const bool is_varchar = tok_.Is("VARCHAR");
  Advance();
  if (is_double) Accept("PRECISION");
  if (is_varchar && AcceptSymbol("(")) {
    // VARCHAR(n): the length is not enforced (as in SQLite).
    if (tok_.kind != TokenKind::kInteger) return Error("a length");
    Advance();
    FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
  }
  return type;
}

Result<Value> Parser::Literal() {
  bool negative = false;
  if (AcceptSymbol("-")) {
    negative = true;
  } else {
    AcceptSymbol("+");
  }
  const Token t = tok_;
  if (t.kind == TokenKind::kInteger || t.kind == TokenKind::kReal) {
    Advance();
    if (t.kind == TokenKind::kInteger) {
      const int64_t v = std::strtoll(t.value.c_str(), nullptr, 10);
      return Value::Integer(negative ? -v : v);
    }
    if (negative && t.value == "9223372036854775808")
      return Value::Integer(std::numeric_limits<int64_t>::min());
    const double d = std::strtod(t.value.c_str(), nullptr);
    return Value::Real(negative ? -d : d);
  }
  if (negative) return Error("a number");
  if (t.kind == TokenKind::kString) {
    Advance();
    return Value::Text(t.value);
  }
  if (t.kind == TokenKind::kBlob) {
    Advance();
    return Value::Blob(t.value);
  }
  if (Accept("NULL")) return Value::Null();
  if (Accept("TRUE")) return Value::Integer(1);
  if (Accept("FALSE")) return Value::Integer(0);
  return Error("a literal value");
}

Result<ColumnSpec> Parser::ColumnDefinition() {
  ColumnSpec c;
  FORKDB_ASSIGN_OR_RETURN(c.def.name, Name("a column name"));
  FORKDB_ASSIGN_OR_RETURN(c.def.type, TypeName());
  while (true) {
    if (Accept("PRIMARY")) {
      FORKDB_RETURN_IF_ERROR(Expect("KEY"));
      c.primary_key = true;
      if (!Accept("ASC")) Accept("DESC");
    } else if (Accept("NOT")) {
      FORKDB_RETURN_IF_ERROR(Expect("NULL"));
      c.def.not_null = true;
    } else if (Accept("NULL")) {
      // The default: nullable.
    } else if (Accept("UNIQUE")) {
      c.unique = true;
    } else if (Accept("DEFAULT")) {
      if (AcceptSymbol("(")) {
        FORKDB_ASSIGN_OR_RETURN(c.def.default_value, Literal());
        FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
      } else {
        FORKDB_ASSIGN_OR_RETURN(c.def.default_value, Literal());
      }
    } else {
      return c;
    }
  }
}

Result<StatementBody> Parser::Create() {
  FORKDB_RETURN_IF_ERROR(Expect("CREATE"));
  if (tok_.Is("TABLE")) return CreateTable();
  if (Accept("UNIQUE")) {
    if (!tok_.Is("INDEX")) return Error("INDEX");
    return CreateIndex(true);
  }
  if (tok_.Is("INDEX")) return CreateIndex(false);
  if (Accept("FORK")) {
    CreateForkStmt s;
    FORKDB_ASSIGN_OR_RETURN(s.fork, ForkName());
    if (Accept("FROM")) {
      FORKDB_ASSIGN_OR_RETURN(s.parent, ForkName());
    }
    if (Accept("READ")) {
      FORKDB_RETURN_IF_ERROR(Expect("ONLY"));
      s.read_only = true;
    }
    return StatementBody(std::move(s));
  }
  return Error("TABLE, INDEX, UNIQUE INDEX or FORK");
}

Result<StatementBody> Parser::CreateTable() {
  FORKDB_RETURN_IF_ERROR(Expect("TABLE"));
  CreateTableStmt s;
  if (Accept("IF")) {
    FORKDB_RETURN_IF_ERROR(Expect("NOT"));
    FORKDB_RETURN_IF_ERROR(Expect("EXISTS"));
    s.if_not_exists = true;
  }
  FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
  FORKDB_RETURN_IF_ERROR(ExpectSymbol("("));
  do {
    if (Accept("PRIMARY")) {
      const Token at = tok_;
      FORKDB_RETURN_IF_ERROR(Expect("KEY"));
      if (!s.primary_key.empty()) return ErrorAt(at, "one PRIMARY KEY clause");
      FORKDB_ASSIGN_OR_RETURN(s.primary_key, NameList("a column name"));
    } else if (Accept("UNIQUE")) {
      FORKDB_ASSIGN_OR_RETURN(std::vector<std::string> cols,
                              NameList("a column name"));
      s.uniques.push_back(std::move(cols));
    } else {
      FORKDB_ASSIGN_OR_RETURN(ColumnSpec c, ColumnDefinition());
      s.columns.push_back(std::move(c));
    }
  } while (AcceptSymbol(","));
  FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::CreateIndex(bool unique) {
  FORKDB_RETURN_IF_ERROR(Expect("INDEX"));
  CreateIndexStmt s;
  s.unique = unique;
  if (Accept("IF")) {
    FORKDB_RETURN_IF_ERROR(Expect("NOT"));
    FORKDB_RETURN_IF_ERROR(Expect("EXISTS"));
    s.if_not_exists = true;
  }
  FORKDB_ASSIGN_OR_RETURN(s.index, Name("an index name"));
  FORKDB_RETURN_IF_ERROR(Expect("ON"));
  FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
  FORKDB_ASSIGN_OR_RETURN(s.columns, NameList("a column name"));
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::Drop() {
  FORKDB_RETURN_IF_ERROR(Expect("DROP"));
  bool table = false, index = false;
  if (Accept("TABLE")) {
    table = true;
  } else if (Accept("INDEX")) {
    index = true;
  } else if (!Accept("FORK")) {
    return Error("TABLE, INDEX or FORK");
  }
  bool if_exists = false;
  if (Accept("IF")) {
    FORKDB_RETURN_IF_ERROR(Expect("EXISTS"));
    if_exists = true;
  }
  if (table) {
    DropTableStmt s{if_exists, ""};
    FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
    return StatementBody(std::move(s));
  }
  if (index) {
    DropIndexStmt s{if_exists, ""};
    FORKDB_ASSIGN_OR_RETURN(s.index, Name("an index name"));
    return StatementBody(std::move(s));
  }
  DropForkStmt s{if_exists, ""};
  FORKDB_ASSIGN_OR_RETURN(s.fork, ForkName());
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::Alter() {
  FORKDB_RETURN_IF_ERROR(Expect("ALTER"));
  FORKDB_RETURN_IF_ERROR(Expect("TABLE"));
  AlterTableStmt s;
  using Action = AlterTableStmt::Action;
  FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
  if (Accept("ADD")) {
    if (Accept("UNIQUE")) {
      FORKDB_RETURN_IF_ERROR(Expect("INDEX"));
      s.action = Action::kAddIndex;
      s.unique = true;
    } else if (Accept("INDEX")) {
      s.action = Action::kAddIndex;
    } else {
      Accept("COLUMN");
      s.action = Action::kAddColumn;
    }
    if (s.action == Action::kAddIndex) {
      FORKDB_ASSIGN_OR_RETURN(s.name, Name("an index name"));
      FORKDB_ASSIGN_OR_RETURN(s.columns, NameList("a column name"));
    } else {
      const Token at = tok_;
      FORKDB_ASSIGN_OR_RETURN(s.column, ColumnDefinition());
      if (s.column.primary_key || s.column.unique)
        return ErrorAt(at,
                       "a column without PRIMARY KEY or UNIQUE (add an index "
                       "for UNIQUE)");
    }
  } else if (Accept("DROP")) {
    if (Accept("INDEX")) {
      s.action = Action::kDropIndex;
      FORKDB_ASSIGN_OR_RETURN(s.name, Name("an index name"));
    } else {
      Accept("COLUMN");
      s.action = Action::kDropColumn;
      FORKDB_ASSIGN_OR_RETURN(s.name, Name("a column name"));
    }
  } else if (Accept("RENAME")) {
    if (Accept("TO")) {
      s.action = Action::kRenameTable;
      FORKDB_ASSIGN_OR_RETURN(s.name, Name("a table name"));
    } else {
      Accept("COLUMN");
      s.action = Action::kRenameColumn;
      FORKDB_ASSIGN_OR_RETURN(s.name, Name("a column name"));
      FORKDB_RETURN_IF_ERROR(Expect("TO"));
      FORKDB_ASSIGN_OR_RETURN(s.new_name, Name("a column name"));
    }
  } else if (Accept("ALTER")) {
    Accept("COLUMN");
    s.action = Action::kAlterColumnType;
    FORKDB_ASSIGN_OR_RETURN(s.name, Name("a column name"));
    if (!Accept("TYPE")) {
      FORKDB_RETURN_IF_ERROR(Expect("SET"));
      FORKDB_RETURN_IF_ERROR(Expect("DATA"));
      FORKDB_RETURN_IF_ERROR(Expect("TYPE"));
    }
    FORKDB_ASSIGN_OR_RETURN(s.type, TypeName());
  } else {
    return Error("ADD, DROP, RENAME or ALTER");
  }
  if (Accept("ONLINE")) return NotYet("ALTER TABLE ... ONLINE");
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::Rename() {
  FORKDB_RETURN_IF_ERROR(Expect("RENAME"));
  FORKDB_RETURN_IF_ERROR(Expect("TABLE"));
  RenameTablesStmt s;
  do {
    FORKDB_ASSIGN_OR_RETURN(std::string from, Name("a table name"));
    FORKDB_RETURN_IF_ERROR(Expect("TO"));
    FORKDB_ASSIGN_OR_RETURN(std::string to, Name("a table name"));
    s.renames.emplace_back(std::move(from), std::move(to));
  } while (AcceptSymbol(","));
  return StatementBody(std::move(s));
}

Result<StatementBody> Parser::Show() {
  FORKDB_RETURN_IF_ERROR(Expect("SHOW"));
  if (Accept("TABLES")) return StatementBody(ShowTablesStmt{});
  if (Accept("FORKS")) return StatementBody(ShowForksStmt{});
  if (Accept("CREATE")) {
    FORKDB_RETURN_IF_ERROR(Expect("TABLE"));
    ShowCreateTableStmt s;
    FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
    return StatementBody(std::move(s));
  }
  if (Accept("BINLOG")) {
    ShowBinlogStmt s;
    if (Accept("FOR")) {
      FORKDB_RETURN_IF_ERROR(Expect("FORK"));
      FORKDB_ASSIGN_OR_RETURN(s.fork, ForkName());
    }
    if (Accept("FROM")) {
      FORKDB_ASSIGN_OR_RETURN(s.from, Count("a binlog seq (1 or more)", 1));
    }
    if (Accept("LIMIT")) {
      FORKDB_ASSIGN_OR_RETURN(s.limit, Count("a row count", 0));
    }
    return StatementBody(std::move(s));
  }
  if (Accept("REPLICATION")) {
    ShowReplicationStmt s;
    if (Accept("CONFLICTS")) {
      s.conflicts = true;
      if (Accept("FOR")) {
        FORKDB_ASSIGN_OR_RETURN(s.target, ForkName());
      }
    }
    return StatementBody(std::move(s));
  }
  if (Accept("DIVERGENCE")) {
    ShowDivergenceStmt s;
    FORKDB_RETURN_IF_ERROR(ForkPair(&s.a, &s.b));
    if (Accept("FOR")) {
      FORKDB_RETURN_IF_ERROR(Expect("TABLE"));
      FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
    }
    if (Accept("AT")) {
      FORKDB_RETURN_IF_ERROR(Expect("CELL"));
      FORKDB_RETURN_IF_ERROR(Expect("LEVEL"));
      s.cell_level = true;
    }
    return StatementBody(std::move(s));
  }
  if (Accept("DIVERGENT")) {
    FORKDB_RETURN_IF_ERROR(Expect("PAGES"));
    ShowDivergentPagesStmt s;
    FORKDB_RETURN_IF_ERROR(ForkPair(&s.a, &s.b));
    return StatementBody(std::move(s));
  }
  if (Accept("DIFF")) {
    ShowDiffStmt s;
    FORKDB_RETURN_IF_ERROR(ForkPair(&s.a, &s.b));
    if (Accept("FOR")) {
      FORKDB_RETURN_IF_ERROR(Expect("TABLE"));
      FORKDB_ASSIGN_OR_RETURN(s.table, Name("a table name"));
    }
    return StatementBody(std::move(s));
  }
  if (tok_.Is("MIGRATIONS")) return NotYet("SHOW MIGRATIONS");
  return Error(
      "TABLES, CREATE TABLE, FORKS, BINLOG, REPLICATION, DIVERGENCE, "
      "DIVERGENT PAGES or DIFF");
}

Status Parser::ForkPair(std::string* a, std::string* b) {
  FORKDB_RETURN_IF_ERROR(Expect("BETWEEN"));
  FORKDB_ASSIGN_OR_RETURN(*a, ForkName());
  FORKDB_RETURN_IF_ERROR(Expect("AND"));
  FORKDB_ASSIGN_OR_RETURN(*b, ForkName());
  return Status();
}

// Expressions, lowest precedence first (SQLite's order): OR, AND, NOT,
// equality-like (= == != <> IS IN LIKE BETWEEN), relational (< <= > >=),
// + -, * / %, ||, unary - + .

Result<ExprPtr> Parser::Or() {
  FORKDB_ASSIGN_OR_RETURN(ExprPtr left, And());
  while (tok_.Is("OR")) {
    const Position pos = Pos();
    Advance();
    FORKDB_ASSIGN_OR_RETURN(ExprPtr right, And());
    FORKDB_ASSIGN_OR_RETURN(left, MakeBinary(BinaryOp::kOr, std::move(left),
                                             std::move(right), pos));
  }
  return left;
}

Result<ExprPtr> Parser::And() {
  FORKDB_ASSIGN_OR_RETURN(ExprPtr left, Not());
  while (tok_.Is("AND")) {
    const Position pos = Pos();
    Advance();
    FORKDB_ASSIGN_OR_RETURN(ExprPtr right, Not());
    FORKDB_ASSIGN_OR_RETURN(left, MakeBinary(BinaryOp::kAnd, std::move(left),
                                             std::move(right), pos));
  }
  return left;
}

Result<ExprPtr> Parser::Not() {
  if (tok_.Is("NOT")) {
    Nesting nesting(this);
    FORKDB_RETURN_IF_ERROR(CheckDepth());
    const Position pos = Pos();
    Advance();
    FORKDB_ASSIGN_OR_RETURN(ExprPtr operand, Not());
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kUnary;
    e->unary = UnaryOp::kNot;
    e->pos = pos;
    e->args.push_back(std::move(operand));
    FORKDB_RETURN_IF_ERROR(Grow(*e));
    return e;
  }
  return Equality();
}

Result<ExprPtr> Parser::Equality() {
  FORKDB_ASSIGN_OR_RETURN(ExprPtr left, Relational());
  while (true) {
    const Position pos = Pos();
    if (tok_.IsSymbol("=") || tok_.IsSymbol("==") || tok_.IsSymbol("!=") ||
        tok_.IsSymbol("<>")) {
      const BinaryOp op = tok_.IsSymbol("=") || tok_.IsSymbol("==")
                              ? BinaryOp::kEq
                              : BinaryOp::kNe;
      Advance();
      FORKDB_ASSIGN_OR_RETURN(ExprPtr right, Relational());
      FORKDB_ASSIGN_OR_RETURN(
          left, MakeBinary(op, std::move(left), std::move(right), pos));
    } else if (tok_.Is("IS") || tok_.Is("ISNULL") || tok_.Is("NOTNULL") ||
               tok_.Is("NOT") || tok_.Is("IN") || tok_.Is("BETWEEN") ||
               tok_.Is("LIKE")) {
      FORKDB_ASSIGN_OR_RETURN(left, Postfix(std::move(left)));
      FORKDB_RETURN_IF_ERROR(Grow(*left));
    } else {
      return left;
    }
  }
}

// IS [NOT] NULL, [NOT] IN (...), [NOT] BETWEEN, [NOT] LIKE after `left`;
// REQUIRES: the current token starts one of them.
Result<ExprPtr> Parser::Postfix(ExprPtr left) {
  const Position pos = Pos();
  auto make = [&](ExprKind kind, bool negated) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->negated = negated;
    e->pos = pos;
    e->args.push_back(std::move(left));
    return e;
  };
  if (tok_.Is("IS")) {
    Advance();
    const bool negated = Accept("NOT");
    FORKDB_RETURN_IF_ERROR(Expect("NULL"));
    return make(ExprKind::kIsNull, negated);
  }
  if (tok_.Is("NOTNULL")) {
    Advance();
    return make(ExprKind::kIsNull, true);
  }
  if (tok_.Is("ISNULL")) {
    Advance();
    return make(ExprKind::kIsNull, false);
  }
  bool negated = false;
  if (tok_.Is("NOT")) {
    // Only NOT IN / NOT BETWEEN / NOT LIKE may follow an operand.
    Advance();
    negated = true;
    if (!tok_.Is("IN") && !tok_.Is("BETWEEN") && !tok_.Is("LIKE"))
      return Error("IN, BETWEEN or LIKE after NOT");
  }
  if (Accept("IN")) {
    ExprPtr e = make(ExprKind::kIn, negated);
    FORKDB_RETURN_IF_ERROR(ExpectSymbol("("));
    if (!AcceptSymbol(")")) {
      do {
        FORKDB_ASSIGN_OR_RETURN(ExprPtr item, Expression());
        e->args.push_back(std::move(item));
      } while (AcceptSymbol(","));
      FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
    }
    return e;
  }
  if (Accept("BETWEEN")) {
    ExprPtr e = make(ExprKind::kBetween, negated);
    FORKDB_ASSIGN_OR_RETURN(ExprPtr lo, Relational());
    FORKDB_RETURN_IF_ERROR(Expect("AND"));
    FORKDB_ASSIGN_OR_RETURN(ExprPtr hi, Relational());
    e->args.push_back(std::move(lo));
    e->args.push_back(std::move(hi));
    return e;
  }
  if (Accept("LIKE")) {
    ExprPtr e = make(ExprKind::kLike, negated);
    FORKDB_ASSIGN_OR_RETURN(ExprPtr pattern, Relational());
    e->args.push_back(std::move(pattern));
    return e;
  }
  return Error("IS, IN, BETWEEN or LIKE");
}

Result<ExprPtr> Parser::Relational() {
  FORKDB_ASSIGN_OR_RETURN(ExprPtr left, Additive());
  while (true) {
    BinaryOp op;
    if (tok_.IsSymbol("<")) {
      op = BinaryOp::kLt;
    } else if (tok_.IsSymbol("<=")) {
      op = BinaryOp::kLe;
    } else if (tok_.IsSymbol(">")) {
      op = BinaryOp::kGt;
    } else if (tok_.IsSymbol(">=")) {
      op = BinaryOp::kGe;
    } else {
      return left;
    }
    const Position pos = Pos();
    Advance();
    FORKDB_ASSIGN_OR_RETURN(ExprPtr right, Additive());
    FORKDB_ASSIGN_OR_RETURN(
        left, MakeBinary(op, std::move(left), std::move(right), pos));
  }
}

Result<ExprPtr> Parser::Additive() {
  FORKDB_ASSIGN_OR_RETURN(ExprPtr left, Multiplicative());
  while (tok_.IsSymbol("+") || tok_.IsSymbol("-")) {
    const BinaryOp op = tok_.IsSymbol("+") ? BinaryOp::kAdd : BinaryOp::kSub;
    const Position pos = Pos();
    Advance();
    FORKDB_ASSIGN_OR_RETURN(ExprPtr right, Multiplicative());
    FORKDB_ASSIGN_OR_RETURN(
        left, MakeBinary(op, std::move(left), std::move(right), pos));
  }
  return left;
}

Result<ExprPtr> Parser::Multiplicative() {
  FORKDB_ASSIGN_OR_RETURN(ExprPtr left, Concat());
  while (tok_.IsSymbol("*") || tok_.IsSymbol("/") || tok_.IsSymbol("%")) {
    const BinaryOp op = tok_.IsSymbol("*")   ? BinaryOp::kMul
                        : tok_.IsSymbol("/") ? BinaryOp::kDiv
                                             : BinaryOp::kMod;
    const Position pos = Pos();
    Advance();
    FORKDB_ASSIGN_OR_RETURN(ExprPtr right, Concat());
    FORKDB_ASSIGN_OR_RETURN(
        left, MakeBinary(op, std::move(left), std::move(right), pos));
  }
  return left;
}

Result<ExprPtr> Parser::Concat() {
  FORKDB_ASSIGN_OR_RETURN(ExprPtr left, Unary());
  while (tok_.IsSymbol("||")) {
    const Position pos = Pos();
    Advance();
    FORKDB_ASSIGN_OR_RETURN(ExprPtr right, Unary());
    FORKDB_ASSIGN_OR_RETURN(left, MakeBinary(BinaryOp::kConcat, std::move(left),
                                             std::move(right), pos));
  }
  return left;
}

Result<ExprPtr> Parser::Unary() {
  if (tok_.IsSymbol("-") || tok_.IsSymbol("+")) {
    Nesting nesting(this);
    FORKDB_RETURN_IF_ERROR(CheckDepth());
    const bool minus = tok_.IsSymbol("-");
    const Position pos = Pos();
    Advance();
    // A negative literal is one value: -9223372036854775808 fits in int64
    // although 9223372036854775808 does not.
    if (minus &&
        (tok_.kind == TokenKind::kInteger || tok_.kind == TokenKind::kReal)) {
      auto e = std::make_unique<Expr>();
      e->pos = pos;
      if (tok_.kind == TokenKind::kInteger) {
        e->literal =
            Value::Integer(-std::strtoll(tok_.value.c_str(), nullptr, 10));
      } else if (tok_.value == "9223372036854775808") {
        e->literal = Value::Integer(std::numeric_limits<int64_t>::min());
      } else {
        e->literal = Value::Real(-std::strtod(tok_.value.c_str(), nullptr));
      }
      Advance();
      return e;
    }
    FORKDB_ASSIGN_OR_RETURN(ExprPtr operand, Unary());
    auto e = std::make_unique<Expr>();
    e->kind = ExprKind::kUnary;
    e->unary = minus ? UnaryOp::kNeg : UnaryOp::kPlus;
    e->pos = pos;
    e->args.push_back(std::move(operand));
    FORKDB_RETURN_IF_ERROR(Grow(*e));
    return e;
  }
  return Primary();
}

Result<ExprPtr> Parser::Primary() {
  auto e = std::make_unique<Expr>();
  e->pos = Pos();
  const Token t = tok_;
  switch (t.kind) {
    case TokenKind::kInteger:
      Advance();
      e->literal = Value::Integer(std::strtoll(t.value.c_str(), nullptr, 10));
      return e;
    case TokenKind::kReal:
      Advance();
      e->literal = Value::Real(std::strtod(t.value.c_str(), nullptr));
      return e;
    case TokenKind::kString:
      Advance();
      e->literal = Value::Text(t.value);
      return e;
    case TokenKind::kBlob:
      Advance();
      e->literal = Value::Blob(t.value);
      return e;
    case TokenKind::kParameter:
      Advance();
      e->kind = ExprKind::kParameter;
      e->parameter = ++parameters_;
      return e;
    case TokenKind::kSymbol:
      if (AcceptSymbol("(")) {
        FORKDB_ASSIGN_OR_RETURN(ExprPtr inner, Expression());
        FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
        return inner;
      }
      return Error("an expression");
    case TokenKind::kQuotedName:
    case TokenKind::kIdentifier:
      break;
    default:
      return Error("an expression");
  }
  if (Accept("NULL")) return e;
  if (Accept("TRUE")) {
    e->literal = Value::Integer(1);
    return e;
  }
  if (Accept("FALSE")) {
    e->literal = Value::Integer(0);
    return e;
  }
  if (Accept("CASE")) {
    e->kind = ExprKind::kCase;
    if (!tok_.Is("WHEN")) {
      FORKDB_ASSIGN_OR_RETURN(ExprPtr operand, Expression());
      e->args.push_back(std::move(operand));
      e->has_operand = true;
    }
    if (!tok_.Is("WHEN")) return Error("WHEN");
    while (Accept("WHEN")) {
      FORKDB_ASSIGN_OR_RETURN(ExprPtr when, Expression());
      FORKDB_RETURN_IF_ERROR(Expect("THEN"));
      FORKDB_ASSIGN_OR_RETURN(ExprPtr then, Expression());
      e->args.push_back(std::move(when));
      e->args.push_back(std::move(then));
    }
    if (Accept("ELSE")) {
      FORKDB_ASSIGN_OR_RETURN(ExprPtr other, Expression());
      e->args.push_back(std::move(other));
      e->has_else = true;
    }
    FORKDB_RETURN_IF_ERROR(Expect("END"));
    FORKDB_RETURN_IF_ERROR(Grow(*e));
    return e;
  }
  if (Accept("CAST")) {
    e->kind = ExprKind::kCast;
    FORKDB_RETURN_IF_ERROR(ExpectSymbol("("));
    FORKDB_ASSIGN_OR_RETURN(ExprPtr operand, Expression());
    FORKDB_RETURN_IF_ERROR(Expect("AS"));
    FORKDB_ASSIGN_OR_RETURN(e->cast_type, TypeName());
    FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
    e->args.push_back(std::move(operand));
    FORKDB_RETURN_IF_ERROR(Grow(*e));
    return e;
  }
  if (t.kind == TokenKind::kIdentifier && IsReserved(t))
    return Error("an expression");
  FORKDB_ASSIGN_OR_RETURN(std::string name, Name("an expression"));
  if (t.kind == TokenKind::kIdentifier && tok_.IsSymbol("(")) {
    Advance();
    e->kind = ExprKind::kFunction;
    e->name = engine::FoldName(name);
    if (AcceptSymbol("*")) {
      e->star = true;
    } else if (!tok_.IsSymbol(")")) {
      if (tok_.Is("DISTINCT"))
        return Status::NotSupported(tok_.line, ":", tok_.column,
                                    ": DISTINCT inside aggregates is not "
                                    "supported");
      do {
        FORKDB_ASSIGN_OR_RETURN(ExprPtr arg, Expression());
        e->args.push_back(std::move(arg));
      } while (AcceptSymbol(","));
    }
    FORKDB_RETURN_IF_ERROR(ExpectSymbol(")"));
    FORKDB_RETURN_IF_ERROR(Grow(*e));
    return e;
  }
  e->kind = ExprKind::kColumn;
  if (AcceptSymbol(".")) {
    e->table = std::move(name);
    FORKDB_ASSIGN_OR_RETURN(e->name, Name("a column name"));
  } else {
    e->name = std::move(name);
  }
  return e;
}

}  // namespace

Result<std::optional<ParsedStatement>> ParseStatement(std::string_view sql,
                                                      size_t* tail,
                                                      SourceLocation start) {
  Parser parser(sql, start);
  auto parsed = parser.Statement(tail);
  if (!parsed.ok() && tail != nullptr) {
    // Past the failed statement's ';', so that a script can go on.
    Lexer lexer(sql, start);
    *tail = sql.size();
    for (Token t = lexer.Next(); t.kind != TokenKind::kEnd; t = lexer.Next()) {
      if (t.IsSymbol(";")) {
        *tail = t.offset + 1;
        break;
      }
    }
  }
  return parsed;
}

}  // namespace forkdb::sql
