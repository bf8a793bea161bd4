// Tests of the SQL parser (sql-lite-frontend/parser.h): every statement form
// of SQL.md that the front end runs today parses into the syntax tree of
// ast.h with the fields the executor relies on; expressions bind with
// SQLite's precedence; every syntax error says "LINE:COLUMN: expected ...,
// found ..." at the token at fault and still moves the tail past the failed
// statement's ';'; and the statements that later work brings (online DDL,
// migrations) are NotSupported.
#include "sql-lite-frontend/parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/sql.h"
#include "sql-lite-frontend/ast.h"

namespace forkdb::sql {
namespace {

// The first statement of `sql`; a failure is reported and gives nullopt.
std::optional<ParsedStatement> ParseOk(std::string_view sql,
                                       size_t* tail = nullptr) {
  auto r = ParseStatement(sql, tail, {});
  if (!r.ok()) {
    ADD_FAILURE() << sql << ": " << r.status().ToString();
    return std::nullopt;
  }
  if (!r->has_value()) {
    ADD_FAILURE() << sql << ": no statement";
    return std::nullopt;
  }
  return std::move(**r);
}

// The error of parsing `sql` (OK if it parsed, which the caller checks).
Status ParseError(std::string_view sql, size_t* tail = nullptr,
                  SourceLocation start = {}) {
  auto r = ParseStatement(sql, tail, start);
  return r.ok() ? Status() : r.status();
}

template <typename T>
const T* BodyOf(const std::optional<ParsedStatement>& p) {
  if (!p.has_value()) return nullptr;
  const T* body = std::get_if<T>(&p->body);
  EXPECT_NE(body, nullptr) << p->text << ": wrong statement kind";
  return body;
}

const char* BinaryName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kConcat:
      return "||";
    case BinaryOp::kEq:
      return "=";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kAnd:
      return "AND";
    case BinaryOp::kOr:
      return "OR";
  }
  return "?";
}

// An expression tree as an S-expression: (OR a (AND b c)). Literals are
// shown with Value::ToString(), so their type shows too (1 vs 1.0 vs '1').
std::string Sexp(const Expr& e) {
  auto args = [&](size_t from) {
    std::string out;
    for (size_t i = from; i < e.args.size(); ++i) out += " " + Sexp(*e.args[i]);
    return out;
  };
  switch (e.kind) {
    case ExprKind::kLiteral:
      return e.literal.ToString();
    case ExprKind::kColumn:
      return e.table.empty() ? e.name : e.table + "." + e.name;
    case ExprKind::kParameter:
      return "?" + std::to_string(e.parameter);
    case ExprKind::kUnary: {
      const char* op = e.unary == UnaryOp::kNeg    ? "NEG"
                       : e.unary == UnaryOp::kPlus ? "PLUS"
                                                   : "NOT";
      return std::string("(") + op + args(0) + ")";
    }
    case ExprKind::kBinary:
      return std::string("(") + BinaryName(e.binary) + args(0) + ")";
    case ExprKind::kIsNull:
      return std::string(e.negated ? "(NOTNULL" : "(ISNULL") + args(0) + ")";
    case ExprKind::kIn:
      return std::string(e.negated ? "(NOTIN" : "(IN") + args(0) + ")";
    case ExprKind::kBetween:
      return std::string(e.negated ? "(NOTBETWEEN" : "(BETWEEN") + args(0) +
             ")";
    case ExprKind::kLike:
      return std::string(e.negated ? "(NOTLIKE" : "(LIKE") + args(0) + ")";
    case ExprKind::kCase: {
      std::string out = "(CASE";
      size_t i = 0;
      if (e.has_operand) out += " " + Sexp(*e.args[i++]);
      const size_t pairs_end = e.args.size() - (e.has_else ? 1 : 0);
      for (; i < pairs_end; i += 2)
        out += " WHEN " + Sexp(*e.args[i]) + " THEN " + Sexp(*e.args[i + 1]);
      if (e.has_else) out += " ELSE " + Sexp(*e.args.back());
      return out + ")";
    }
    case ExprKind::kCast:
      return "(CAST " + Sexp(*e.args[0]) + " AS " +
             engine::TypeName(e.cast_type) + ")";
    case ExprKind::kFunction:
      return "(" + e.name + (e.star ? " *" : "") + args(0) + ")";
  }
  return "?";
}

// The tree of the expression `expr`, parsed as the one item of a SELECT.
std::string Tree(std::string_view expr) {
  const std::string sql = "SELECT " + std::string(expr);
  auto p = ParseOk(sql);
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  if (s == nullptr) return "<no parse>";
  if (s->items.size() != 1 || s->items[0].expr == nullptr)
    return "<not one expression>";
  if (!s->items[0].alias.empty()) return "<parsed an alias>";
  return Sexp(*s->items[0].expr);
}

// A syntax error at the first occurrence of `at` in `sql` (line 1).
void ExpectSyntaxError(std::string_view sql, std::string_view at,
                       std::string_view message) {
  // An empty `at` stands for the end of the text.
  const size_t offset = at.empty() ? sql.size() : sql.find(at);
  ASSERT_NE(offset, std::string_view::npos) << at << " not in " << sql;
  int line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (sql[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  const Status s = ParseError(sql);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << sql;
  EXPECT_EQ(s.message(), std::to_string(line) + ":" + std::to_string(column) +
                             ": " + std::string(message))
      << sql;
}

// ---------------------------------------------------------------------------
// Statement boundaries.

TEST(ParserTest, BlankTextAndCommentsGiveNoStatement) {
  for (std::string_view sql : {"", "  \n", "-- c\n/* d */", ";;  ;"}) {
    size_t tail = 12345;
    auto r = ParseStatement(sql, &tail, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->has_value()) << "'" << sql << "'";
    EXPECT_EQ(tail, sql.size()) << "'" << sql << "'";
  }
}

TEST(ParserTest, TailIsPastTheFirstStatementsSemicolon) {
  const std::string_view sql = "SELECT 1; SELECT 2;";
  size_t tail = 0;
  auto p = ParseOk(sql, &tail);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(tail, 9u);
  EXPECT_EQ(p->text, "SELECT 1;");
  size_t tail2 = 0;
  auto q = ParseOk(sql.substr(tail), &tail2);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->text, "SELECT 2;");
  EXPECT_EQ(tail + tail2, sql.size());
}

TEST(ParserTest, StatementWithoutSemicolonRunsToTheEnd) {
  size_t tail = 0;
  auto p = ParseOk("SELECT 1  -- done\n", &tail);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->text, "SELECT 1");
  EXPECT_EQ(tail, std::string_view("SELECT 1  -- done\n").size());
}

TEST(ParserTest, LeadingSemicolonsAndCommentsAreSkipped) {
  size_t tail = 0;
  auto p = ParseOk(" ;; /* x */\n  SELECT 1; SELECT 2", &tail);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->text, "SELECT 1;");
  EXPECT_EQ(p->pos.line, 2);
  EXPECT_EQ(p->pos.column, 3);
  EXPECT_EQ(tail, std::string_view(" ;; /* x */\n  SELECT 1;").size());
}

TEST(ParserTest, SemicolonInsideStringDoesNotEndTheStatement) {
  size_t tail = 0;
  auto p = ParseOk("SELECT ';' ; SELECT 2", &tail);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->text, "SELECT ';' ;");
  EXPECT_EQ(tail, 12u);
}

TEST(ParserTest, ParametersAreNumberedInOrder) {
  auto p = ParseOk("SELECT ?, ? + ? FROM t WHERE a = ?");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->parameter_count, 4);
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Sexp(*s->items[0].expr), "?1");
  EXPECT_EQ(Sexp(*s->items[1].expr), "(+ ?2 ?3)");
  EXPECT_EQ(Sexp(*s->where), "(= a ?4)");
  auto none = ParseOk("SELECT 1");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->parameter_count, 0);
}

// ---------------------------------------------------------------------------
// Statement forms.

TEST(ParserTest, CreateTableWithColumnConstraints) {
  auto p = ParseOk(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "score REAL DEFAULT 0.0, tag TEXT UNIQUE, neg INT DEFAULT -5, "
      "flag BOOLEAN NULL DEFAULT (TRUE), data BLOB DEFAULT x'0aff', "
      "s VARCHAR(20) DEFAULT 'it''s')");
  const CreateTableStmt* s = BodyOf<CreateTableStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->if_not_exists);
  EXPECT_EQ(s->table, "t");
  ASSERT_EQ(s->columns.size(), 8u);
  EXPECT_EQ(s->columns[0].def.name, "id");
  EXPECT_EQ(s->columns[0].def.type, Type::kInteger);
  EXPECT_TRUE(s->columns[0].primary_key);
  EXPECT_FALSE(s->columns[1].primary_key);
  EXPECT_EQ(s->columns[1].def.type, Type::kText);
  EXPECT_TRUE(s->columns[1].def.not_null);
  EXPECT_FALSE(s->columns[2].def.not_null);
  EXPECT_EQ(s->columns[2].def.type, Type::kReal);
  ASSERT_TRUE(s->columns[2].def.default_value.has_value());
  EXPECT_EQ(*s->columns[2].def.default_value, Value::Real(0.0));
  EXPECT_TRUE(s->columns[3].unique);
  EXPECT_FALSE(s->columns[2].unique);
  EXPECT_EQ(*s->columns[4].def.default_value, Value::Integer(-5));
  EXPECT_EQ(s->columns[5].def.type, Type::kBoolean);
  EXPECT_FALSE(s->columns[5].def.not_null);
  EXPECT_TRUE(s->columns[5].def.default_value.has_value());
  EXPECT_EQ(s->columns[6].def.type, Type::kBlob);
  EXPECT_EQ(*s->columns[6].def.default_value,
            Value::Blob(std::string("\x0a\xff", 2)));
  EXPECT_EQ(s->columns[7].def.type, Type::kText);
  EXPECT_EQ(*s->columns[7].def.default_value, Value::Text("it's"));
  EXPECT_TRUE(s->primary_key.empty());
  EXPECT_TRUE(s->uniques.empty());
}

TEST(ParserTest, CreateTableWithTableConstraints) {
  auto p = ParseOk(
      "create table if not exists \"Order Lines\" (a INTEGER, b TEXT, "
      "c REAL, PRIMARY KEY (a, b), UNIQUE (b, c), UNIQUE (c))");
  const CreateTableStmt* s = BodyOf<CreateTableStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->if_not_exists);
  EXPECT_EQ(s->table, "Order Lines");
  ASSERT_EQ(s->columns.size(), 3u);
  EXPECT_EQ(s->primary_key, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(s->uniques.size(), 2u);
  EXPECT_EQ(s->uniques[0], (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(s->uniques[1], (std::vector<std::string>{"c"}));
}

TEST(ParserTest, TypeNamesAndTheirSynonyms) {
  struct Case {
    std::string_view type;
    Type want;
  } cases[] = {
      {"INTEGER", Type::kInteger}, {"int", Type::kInteger},
      {"BIGINT", Type::kInteger},  {"REAL", Type::kReal},
      {"DOUBLE", Type::kReal},     {"DOUBLE PRECISION", Type::kReal},
      {"FLOAT", Type::kReal},      {"TEXT", Type::kText},
      {"VARCHAR", Type::kText},    {"VARCHAR(255)", Type::kText},
      {"BLOB", Type::kBlob},       {"BOOLEAN", Type::kBoolean},
      {"bool", Type::kBoolean},
  };
  for (const Case& c : cases) {
    const std::string sql = "CREATE TABLE t (c " + std::string(c.type) + ")";
    auto p = ParseOk(sql);
    const CreateTableStmt* s = BodyOf<CreateTableStmt>(p);
    ASSERT_NE(s, nullptr) << sql;
    ASSERT_EQ(s->columns.size(), 1u);
    EXPECT_EQ(s->columns[0].def.type, c.want) << sql;
  }
}

TEST(ParserTest, DropTableAndIndex) {
  auto a = ParseOk("DROP TABLE t");
  const DropTableStmt* dt = BodyOf<DropTableStmt>(a);
  ASSERT_NE(dt, nullptr);
  EXPECT_FALSE(dt->if_exists);
  EXPECT_EQ(dt->table, "t");
  auto b = ParseOk("DROP TABLE IF EXISTS t");
  ASSERT_NE(BodyOf<DropTableStmt>(b), nullptr);
  EXPECT_TRUE(BodyOf<DropTableStmt>(b)->if_exists);
  auto c = ParseOk("DROP INDEX IF EXISTS i");
  const DropIndexStmt* di = BodyOf<DropIndexStmt>(c);
  ASSERT_NE(di, nullptr);
  EXPECT_TRUE(di->if_exists);
  EXPECT_EQ(di->index, "i");
  auto d = ParseOk("DROP INDEX i");
  ASSERT_NE(BodyOf<DropIndexStmt>(d), nullptr);
  EXPECT_FALSE(BodyOf<DropIndexStmt>(d)->if_exists);
}

TEST(ParserTest, CreateIndexForms) {
  auto a = ParseOk("CREATE INDEX i ON t (a, b)");
  const CreateIndexStmt* s = BodyOf<CreateIndexStmt>(a);
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->unique);
  EXPECT_FALSE(s->if_not_exists);
  EXPECT_EQ(s->index, "i");
  EXPECT_EQ(s->table, "t");
  EXPECT_EQ(s->columns, (std::vector<std::string>{"a", "b"}));
  auto b = ParseOk("CREATE UNIQUE INDEX IF NOT EXISTS u ON t (c)");
  const CreateIndexStmt* u = BodyOf<CreateIndexStmt>(b);
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(u->unique);
  EXPECT_TRUE(u->if_not_exists);
  EXPECT_EQ(u->columns, (std::vector<std::string>{"c"}));
}

TEST(ParserTest, InsertForms) {
  auto a = ParseOk("INSERT INTO t VALUES (1, 'a'), (2, NULL), (?, -3)");
  const InsertStmt* s = BodyOf<InsertStmt>(a);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->table, "t");
  EXPECT_TRUE(s->columns.empty());
  ASSERT_EQ(s->rows.size(), 3u);
  ASSERT_EQ(s->rows[0].size(), 2u);
  EXPECT_EQ(Sexp(*s->rows[0][1]), "'a'");
  EXPECT_EQ(Sexp(*s->rows[1][1]), "NULL");
  EXPECT_EQ(Sexp(*s->rows[2][0]), "?1");
  EXPECT_EQ(Sexp(*s->rows[2][1]), "-3");
  auto b = ParseOk("INSERT INTO t (b, \"A\") VALUES (1 + 1, 2)");
  const InsertStmt* c = BodyOf<InsertStmt>(b);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->columns, (std::vector<std::string>{"b", "A"}));
  ASSERT_EQ(c->rows.size(), 1u);
  EXPECT_EQ(Sexp(*c->rows[0][0]), "(+ 1 1)");
}

TEST(ParserTest, UpdateAndDelete) {
  auto a = ParseOk("UPDATE t SET a = a + 1, b = 'x' WHERE id = 3");
  const UpdateStmt* u = BodyOf<UpdateStmt>(a);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->table, "t");
  ASSERT_EQ(u->sets.size(), 2u);
  EXPECT_EQ(u->sets[0].first, "a");
  EXPECT_EQ(Sexp(*u->sets[0].second), "(+ a 1)");
  EXPECT_EQ(u->sets[1].first, "b");
  ASSERT_NE(u->where, nullptr);
  EXPECT_EQ(Sexp(*u->where), "(= id 3)");
  auto b = ParseOk("UPDATE t SET a = 1");
  ASSERT_NE(BodyOf<UpdateStmt>(b), nullptr);
  EXPECT_EQ(BodyOf<UpdateStmt>(b)->where, nullptr);

  auto c = ParseOk("DELETE FROM t WHERE a IS NULL");
  const DeleteStmt* d = BodyOf<DeleteStmt>(c);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->table, "t");
  EXPECT_EQ(Sexp(*d->where), "(ISNULL a)");
  auto e = ParseOk("DELETE FROM t");
  ASSERT_NE(BodyOf<DeleteStmt>(e), nullptr);
  EXPECT_EQ(BodyOf<DeleteStmt>(e)->where, nullptr);
}

TEST(ParserTest, SelectWithEveryClause) {
  auto p = ParseOk(
      "SELECT DISTINCT a, b AS bee, c cee, count(*), x.d FROM t AS x "
      "WHERE a > 1 GROUP BY a, b HAVING count(*) > 2 "
      "ORDER BY a DESC, 2 ASC, bee LIMIT 10 OFFSET 5");
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->distinct);
  ASSERT_EQ(s->items.size(), 5u);
  EXPECT_EQ(Sexp(*s->items[0].expr), "a");
  EXPECT_EQ(s->items[0].alias, "");
  EXPECT_EQ(s->items[0].text, "a");
  EXPECT_EQ(s->items[1].alias, "bee");
  EXPECT_EQ(s->items[2].alias, "cee");
  EXPECT_EQ(Sexp(*s->items[3].expr), "(count *)");
  EXPECT_EQ(s->items[3].text, "count(*)");
  EXPECT_EQ(Sexp(*s->items[4].expr), "x.d");
  EXPECT_EQ(s->table, "t");
  EXPECT_EQ(s->table_alias, "x");
  EXPECT_EQ(Sexp(*s->where), "(> a 1)");
  ASSERT_EQ(s->group_by.size(), 2u);
  EXPECT_EQ(Sexp(*s->group_by[1]), "b");
  EXPECT_EQ(Sexp(*s->having), "(> (count *) 2)");
  ASSERT_EQ(s->order_by.size(), 3u);
  EXPECT_TRUE(s->order_by[0].descending);
  EXPECT_FALSE(s->order_by[1].descending);
  EXPECT_EQ(Sexp(*s->order_by[1].expr), "2");
  EXPECT_FALSE(s->order_by[2].descending);
  EXPECT_EQ(Sexp(*s->limit), "10");
  EXPECT_EQ(Sexp(*s->offset), "5");
}

TEST(ParserTest, SelectStarAndTableAliasWithoutAs) {
  auto p = ParseOk("SELECT ALL *, a FROM t u");
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->distinct);
  ASSERT_EQ(s->items.size(), 2u);
  EXPECT_EQ(s->items[0].expr, nullptr);
  EXPECT_EQ(s->table_alias, "u");
  EXPECT_EQ(s->where, nullptr);
  EXPECT_EQ(s->limit, nullptr);
  EXPECT_EQ(s->offset, nullptr);
}

TEST(ParserTest, SelectWithoutFrom) {
  auto p = ParseOk("SELECT 1 + 2 AS 'three', 'x'");
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->table.empty());
  ASSERT_EQ(s->items.size(), 2u);
  EXPECT_EQ(s->items[0].alias, "three");
  EXPECT_EQ(s->items[0].text, "1 + 2");
}

TEST(ParserTest, LimitWithCommaPutsTheOffsetFirst) {
  auto p = ParseOk("SELECT a FROM t LIMIT 5, 10");
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Sexp(*s->offset), "5");
  EXPECT_EQ(Sexp(*s->limit), "10");
}

TEST(ParserTest, TransactionStatements) {
  struct Case {
    std::string_view sql;
    TransactionStmt::Kind kind;
  } cases[] = {
      {"BEGIN", TransactionStmt::Kind::kBegin},
      {"begin transaction", TransactionStmt::Kind::kBegin},
      {"COMMIT", TransactionStmt::Kind::kCommit},
      {"COMMIT TRANSACTION", TransactionStmt::Kind::kCommit},
      {"END", TransactionStmt::Kind::kCommit},
      {"ROLLBACK", TransactionStmt::Kind::kRollback},
      {"ROLLBACK TRANSACTION;", TransactionStmt::Kind::kRollback},
  };
  for (const Case& c : cases) {
    auto p = ParseOk(c.sql);
    const TransactionStmt* t = BodyOf<TransactionStmt>(p);
    ASSERT_NE(t, nullptr) << c.sql;
    EXPECT_EQ(t->kind, c.kind) << c.sql;
  }
}

TEST(ParserTest, ShowStatements) {
  auto a = ParseOk("SHOW TABLES");
  EXPECT_NE(BodyOf<ShowTablesStmt>(a), nullptr);
  auto b = ParseOk("show forks;");
  EXPECT_NE(BodyOf<ShowForksStmt>(b), nullptr);
  auto c = ParseOk("SHOW CREATE TABLE \"T\"");
  const ShowCreateTableStmt* s = BodyOf<ShowCreateTableStmt>(c);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->table, "T");
}

TEST(ParserTest, ForkStatements) {
  auto a = ParseOk("CREATE FORK dev");
  const CreateForkStmt* c = BodyOf<CreateForkStmt>(a);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->fork, "dev");
  EXPECT_EQ(c->parent, "");
  EXPECT_FALSE(c->read_only);
  auto b = ParseOk("CREATE FORK \"snap-1\" FROM dev READ ONLY");
  const CreateForkStmt* r = BodyOf<CreateForkStmt>(b);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->fork, "snap-1");
  EXPECT_EQ(r->parent, "dev");
  EXPECT_TRUE(r->read_only);
  auto d = ParseOk("CREATE FORK x READ ONLY");
  ASSERT_NE(BodyOf<CreateForkStmt>(d), nullptr);
  EXPECT_TRUE(BodyOf<CreateForkStmt>(d)->read_only);
  EXPECT_EQ(BodyOf<CreateForkStmt>(d)->parent, "");

  auto e = ParseOk("DROP FORK IF EXISTS dev");
  const DropForkStmt* df = BodyOf<DropForkStmt>(e);
  ASSERT_NE(df, nullptr);
  EXPECT_TRUE(df->if_exists);
  EXPECT_EQ(df->fork, "dev");
  auto f = ParseOk("DROP FORK dev");
  ASSERT_NE(BodyOf<DropForkStmt>(f), nullptr);
  EXPECT_FALSE(BodyOf<DropForkStmt>(f)->if_exists);

  auto g = ParseOk("USE FORK dev");
  const UseForkStmt* u = BodyOf<UseForkStmt>(g);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->fork, "dev");
  // Bare names run on over '.' and numbers (".0" lexes as a REAL).
  auto h = ParseOk("USE FORK Release-v1.2.3");
  ASSERT_NE(BodyOf<UseForkStmt>(h), nullptr);
  EXPECT_EQ(BodyOf<UseForkStmt>(h)->fork, "release-v1.2.3");
}

TEST(ParserTest, AlterTableActions) {
  using Action = AlterTableStmt::Action;
  {
    auto p = ParseOk("ALTER TABLE t ADD COLUMN c REAL DEFAULT 1.5 NOT NULL");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->table, "t");
    EXPECT_EQ(s->action, Action::kAddColumn);
    EXPECT_EQ(s->column.def.name, "c");
    EXPECT_EQ(s->column.def.type, Type::kReal);
    EXPECT_TRUE(s->column.def.not_null);
    EXPECT_EQ(*s->column.def.default_value, Value::Real(1.5));
  }
  {
    auto p = ParseOk("ALTER TABLE t ADD d TEXT");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->action, Action::kAddColumn);
    EXPECT_EQ(s->column.def.name, "d");
    EXPECT_FALSE(s->column.def.default_value.has_value());
  }
  {
    auto p = ParseOk("ALTER TABLE t DROP COLUMN c");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->action, Action::kDropColumn);
    EXPECT_EQ(s->name, "c");
  }
  {
    auto p = ParseOk("ALTER TABLE t DROP c");
    ASSERT_NE(BodyOf<AlterTableStmt>(p), nullptr);
    EXPECT_EQ(BodyOf<AlterTableStmt>(p)->action, Action::kDropColumn);
  }
  {
    auto p = ParseOk("ALTER TABLE t RENAME COLUMN a TO b");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->action, Action::kRenameColumn);
    EXPECT_EQ(s->name, "a");
    EXPECT_EQ(s->new_name, "b");
  }
  {
    auto p = ParseOk("ALTER TABLE t RENAME a TO b");
    ASSERT_NE(BodyOf<AlterTableStmt>(p), nullptr);
    EXPECT_EQ(BodyOf<AlterTableStmt>(p)->action, Action::kRenameColumn);
  }
  {
    auto p = ParseOk("ALTER TABLE t ALTER COLUMN c TYPE TEXT");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->action, Action::kAlterColumnType);
    EXPECT_EQ(s->name, "c");
    EXPECT_EQ(s->type, Type::kText);
  }
  {
    auto p = ParseOk("ALTER TABLE t ADD UNIQUE INDEX i (a, b)");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->action, Action::kAddIndex);
    EXPECT_TRUE(s->unique);
    EXPECT_EQ(s->name, "i");
    EXPECT_EQ(s->columns, (std::vector<std::string>{"a", "b"}));
  }
  {
    auto p = ParseOk("ALTER TABLE t ADD INDEX j (c)");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->action, Action::kAddIndex);
    EXPECT_FALSE(s->unique);
  }
  {
    auto p = ParseOk("ALTER TABLE t DROP INDEX j");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->action, Action::kDropIndex);
    EXPECT_EQ(s->name, "j");
  }
  {
    auto p = ParseOk("ALTER TABLE t RENAME TO u");
    const AlterTableStmt* s = BodyOf<AlterTableStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->action, Action::kRenameTable);
    EXPECT_EQ(s->name, "u");
  }
}

TEST(ParserTest, RenameTableListsEveryPairInOrder) {
  auto p = ParseOk("RENAME TABLE a TO tmp, b TO a, tmp TO b");
  const RenameTablesStmt* s = BodyOf<RenameTablesStmt>(p);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->renames.size(), 3u);
  EXPECT_EQ(s->renames[0], (std::pair<std::string, std::string>{"a", "tmp"}));
  EXPECT_EQ(s->renames[1], (std::pair<std::string, std::string>{"b", "a"}));
  EXPECT_EQ(s->renames[2], (std::pair<std::string, std::string>{"tmp", "b"}));
}

TEST(ParserTest, QuotedNamesKeepCaseAndMayBeKeywords) {
  auto p = ParseOk("SELECT \"order\", `Group` FROM \"select\"");
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Sexp(*s->items[0].expr), "order");
  EXPECT_EQ(Sexp(*s->items[1].expr), "Group");
  EXPECT_EQ(s->table, "select");
}

// ---------------------------------------------------------------------------
// Expressions and precedence.

TEST(ParserTest, LiteralsOfEveryType) {
  EXPECT_EQ(Tree("42"), "42");
  EXPECT_EQ(Tree("1.5"), "1.5");
  EXPECT_EQ(Tree("1e3"), "1000.0");
  EXPECT_EQ(Tree("'a''b'"), "'a''b'");
  EXPECT_EQ(Tree("x'0aff'"), "x'0aff'");
  EXPECT_EQ(Tree("NULL"), "NULL");
  EXPECT_EQ(Tree("TRUE"), "1");
  EXPECT_EQ(Tree("false"), "0");
}

TEST(ParserTest, OrBindsLooserThanAnd) {
  EXPECT_EQ(Tree("a OR b AND c"), "(OR a (AND b c))");
  EXPECT_EQ(Tree("a AND b OR c"), "(OR (AND a b) c)");
  EXPECT_EQ(Tree("(a OR b) AND c"), "(AND (OR a b) c)");
}

TEST(ParserTest, NotBindsLooserThanComparisonAndTighterThanAnd) {
  EXPECT_EQ(Tree("NOT a = b"), "(NOT (= a b))");
  EXPECT_EQ(Tree("NOT a AND b"), "(AND (NOT a) b)");
  EXPECT_EQ(Tree("NOT NOT a"), "(NOT (NOT a))");
  EXPECT_EQ(Tree("a AND NOT b OR c"), "(OR (AND a (NOT b)) c)");
}

TEST(ParserTest, ComparisonsBindLooserThanArithmetic) {
  EXPECT_EQ(Tree("a + 1 < b * 2"), "(< (+ a 1) (* b 2))");
  EXPECT_EQ(Tree("a = b + c"), "(= a (+ b c))");
  // SQLite: < <= > >= bind tighter than = == != <>.
  EXPECT_EQ(Tree("a = b < c"), "(= a (< b c))");
  EXPECT_EQ(Tree("a < b = c"), "(= (< a b) c)");
  EXPECT_EQ(Tree("a == b"), "(= a b)");
  EXPECT_EQ(Tree("a <> b"), "(!= a b)");
  EXPECT_EQ(Tree("a != b"), "(!= a b)");
  EXPECT_EQ(Tree("a >= b"), "(>= a b)");
  EXPECT_EQ(Tree("a <= b"), "(<= a b)");
  EXPECT_EQ(Tree("a > b"), "(> a b)");
}

TEST(ParserTest, MultiplicationBindsTighterThanAddition) {
  EXPECT_EQ(Tree("a + b * c"), "(+ a (* b c))");
  EXPECT_EQ(Tree("a * b + c"), "(+ (* a b) c)");
  EXPECT_EQ(Tree("a / b % c"), "(% (/ a b) c)");
  EXPECT_EQ(Tree("a - b - c"), "(- (- a b) c)");
}

TEST(ParserTest, ConcatBindsTighterThanMultiplication) {
  EXPECT_EQ(Tree("a * b || c"), "(* a (|| b c))");
  EXPECT_EQ(Tree("a || b * c"), "(* (|| a b) c)");
  EXPECT_EQ(Tree("a || b || c"), "(|| (|| a b) c)");
}

TEST(ParserTest, UnaryOperatorsBindTightest) {
  EXPECT_EQ(Tree("-a * b"), "(* (NEG a) b)");
  EXPECT_EQ(Tree("-a || b"), "(|| (NEG a) b)");
  EXPECT_EQ(Tree("+a"), "(PLUS a)");
  EXPECT_EQ(Tree("- -a"), "(NEG (NEG a))");
  EXPECT_EQ(Tree("-(1 + 2)"), "(NEG (+ 1 2))");
}

TEST(ParserTest, NegativeNumberIsOneLiteral) {
  EXPECT_EQ(Tree("-5"), "-5");
  EXPECT_EQ(Tree("-1.5"), "-1.5");
  EXPECT_EQ(Tree("- 7"), "-7");
  EXPECT_EQ(Tree("2 - 1"), "(- 2 1)");
  EXPECT_EQ(Tree("2 * -3"), "(* 2 -3)");
}

TEST(ParserTest, MinInt64IsAnIntegerLiteral) {
  auto p = ParseOk("SELECT -9223372036854775808");
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  const Expr& e = *s->items[0].expr;
  EXPECT_EQ(e.kind, ExprKind::kLiteral);
  EXPECT_EQ(e.literal.type(), Type::kInteger);
  EXPECT_EQ(e.literal.integer(), std::numeric_limits<int64_t>::min());
  // Without the minus it does not fit: a REAL, as in SQLite.
  auto q = ParseOk("SELECT 9223372036854775808");
  const SelectStmt* r = BodyOf<SelectStmt>(q);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->items[0].expr->literal.type(), Type::kReal);
  EXPECT_EQ(r->items[0].expr->literal.real(), 9223372036854775808.0);
  // One past it is a REAL even with the minus.
  EXPECT_EQ(Tree("-9223372036854775809"), "-9223372036854775808.0");
}

TEST(ParserTest, PostfixPredicates) {
  EXPECT_EQ(Tree("a IS NULL"), "(ISNULL a)");
  EXPECT_EQ(Tree("a IS NOT NULL"), "(NOTNULL a)");
  EXPECT_EQ(Tree("a ISNULL"), "(ISNULL a)");
  EXPECT_EQ(Tree("a NOTNULL"), "(NOTNULL a)");
  EXPECT_EQ(Tree("a IN (1, 2, b)"), "(IN a 1 2 b)");
  EXPECT_EQ(Tree("a NOT IN (1)"), "(NOTIN a 1)");
  EXPECT_EQ(Tree("a IN ()"), "(IN a)");
  EXPECT_EQ(Tree("a BETWEEN 1 AND 2"), "(BETWEEN a 1 2)");
  EXPECT_EQ(Tree("a NOT BETWEEN b + 1 AND c"), "(NOTBETWEEN a (+ b 1) c)");
  EXPECT_EQ(Tree("a LIKE 'x%'"), "(LIKE a 'x%')");
  EXPECT_EQ(Tree("a NOT LIKE b || '%'"), "(NOTLIKE a (|| b '%'))");
}

TEST(ParserTest, BetweensAndBindsBeforeTheLogicalAnd) {
  EXPECT_EQ(Tree("a BETWEEN 1 AND 2 AND b"), "(AND (BETWEEN a 1 2) b)");
  EXPECT_EQ(Tree("NOT a BETWEEN 1 AND 2"), "(NOT (BETWEEN a 1 2))");
  EXPECT_EQ(Tree("a + 1 IN (2) OR b"), "(OR (IN (+ a 1) 2) b)");
  EXPECT_EQ(Tree("a = 1 IS NULL"), "(ISNULL (= a 1))");
}

TEST(ParserTest, CaseForms) {
  EXPECT_EQ(Tree("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END"),
            "(CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3)");
  EXPECT_EQ(Tree("CASE x WHEN 1 THEN 'one' END"), "(CASE x WHEN 1 THEN 'one')");
  auto p = ParseOk("SELECT CASE x WHEN 1 THEN 2 ELSE 3 END");
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->items[0].expr->has_operand);
  EXPECT_TRUE(s->items[0].expr->has_else);
  EXPECT_EQ(s->items[0].expr->args.size(), 4u);
}

TEST(ParserTest, CastAndFunctions) {
  EXPECT_EQ(Tree("CAST(a AS REAL)"), "(CAST a AS REAL)");
  EXPECT_EQ(Tree("cast('1' as integer)"), "(CAST '1' AS INTEGER)");
  EXPECT_EQ(Tree("CAST(1 AS BOOLEAN)"), "(CAST 1 AS BOOLEAN)");
  EXPECT_EQ(Tree("COUNT(*)"), "(count *)");
  EXPECT_EQ(Tree("Lower(a)"), "(lower a)");
  EXPECT_EQ(Tree("substr(a, 1, 2)"), "(substr a 1 2)");
  EXPECT_EQ(Tree("coalesce()"), "(coalesce)");
  EXPECT_EQ(Tree("t.a + \"T\".b"), "(+ t.a T.b)");
}

TEST(ParserTest, ExpressionsRecordTheirPositions) {
  auto p = ParseOk("SELECT\n  a +\n  b * 2");
  const SelectStmt* s = BodyOf<SelectStmt>(p);
  ASSERT_NE(s, nullptr);
  const Expr& plus = *s->items[0].expr;
  EXPECT_EQ(plus.pos.line, 2);
  EXPECT_EQ(plus.pos.column, 5);  // at the operator
  EXPECT_EQ(plus.args[0]->pos.line, 2);
  EXPECT_EQ(plus.args[0]->pos.column, 3);
  EXPECT_EQ(plus.args[1]->pos.line, 3);
  EXPECT_EQ(plus.args[1]->pos.column, 5);
  EXPECT_EQ(plus.args[1]->args[0]->pos.column, 3);
}

// ---------------------------------------------------------------------------
// Syntax errors.

TEST(ParserErrorTest, UnknownStatement) {
  ExpectSyntaxError("SELEC 1", "SELEC", "expected a statement, found 'SELEC'");
  ExpectSyntaxError("42", "42", "expected a statement, found '42'");
}

TEST(ParserErrorTest, MisspelledClauseIsReportedWhereItStands) {
  ExpectSyntaxError("SELECT * FORM t", "FORM",
                    "expected end of statement, found 'FORM'");
  ExpectSyntaxError("SELECT a, b FROM t WEHRE a = 1", "a = 1",
                    "expected end of statement, found 'a'");
  ExpectSyntaxError("SELECT 1 2", "2", "expected end of statement, found '2'");
}

TEST(ParserErrorTest, MissingTableName) {
  ExpectSyntaxError("SELECT a FROM", "",
                    "expected a table name, found end of input");
  // The position of the end is past the last byte.
  const Status s = ParseError("SELECT a FROM");
  EXPECT_EQ(s.message(), "1:14: expected a table name, found end of input");
  ExpectSyntaxError("SELECT a FROM WHERE", "WHERE",
                    "expected a table name, found 'WHERE'");
  ExpectSyntaxError("CREATE TABLE select (a INTEGER)", "select",
                    "expected a table name, found 'select'");
  ExpectSyntaxError("INSERT INTO (a) VALUES (1)", "(",
                    "expected a table name, found '('");
}

TEST(ParserErrorTest, ReservedWordIsNotAnExpression) {
  ExpectSyntaxError("SELECT order FROM t", "order",
                    "expected an expression, found 'order'");
  ExpectSyntaxError("SELECT 1 + FROM t", "FROM",
                    "expected an expression, found 'FROM'");
  ExpectSyntaxError("SELECT )", ")", "expected an expression, found ')'");
}

TEST(ParserErrorTest, UnclosedParentheses) {
  EXPECT_EQ(ParseError("SELECT (1 + 2").message(),
            "1:14: expected ')', found end of input");
  ExpectSyntaxError("INSERT INTO t VALUES (1, 2;", ";",
                    "expected ')', found ';'");
  ExpectSyntaxError("SELECT count(a b) FROM t", "b)",
                    "expected ')', found 'b'");
}

TEST(ParserErrorTest, InsertAndUpdateShapes) {
  ExpectSyntaxError("INSERT t VALUES (1)", "t", "expected INTO, found 't'");
  ExpectSyntaxError("INSERT INTO t (1) VALUES (1)", "1)",
                    "expected a column name, found '1'");
  ExpectSyntaxError("INSERT INTO t SELECT 1", "SELECT",
                    "expected VALUES, found 'SELECT'");
  ExpectSyntaxError("INSERT INTO t VALUES 1", "1", "expected '(', found '1'");
  ExpectSyntaxError("UPDATE t a = 1", "a", "expected SET, found 'a'");
  ExpectSyntaxError("UPDATE t SET a 1", "1", "expected '=', found '1'");
  ExpectSyntaxError("DELETE t", "t", "expected FROM, found 't'");
}

TEST(ParserErrorTest, CreateTableShapes) {
  ExpectSyntaxError("CREATE VIEW v", "VIEW",
                    "expected TABLE, INDEX, UNIQUE INDEX or FORK, found "
                    "'VIEW'");
  ExpectSyntaxError("CREATE TABLE t a INTEGER", "a", "expected '(', found 'a'");
  ExpectSyntaxError("CREATE TABLE t ()", ")",
                    "expected a column name, found ')'");
  ExpectSyntaxError("CREATE TABLE t (a STRING)", "STRING",
                    "expected a type (INTEGER, REAL, TEXT, BLOB or BOOLEAN), "
                    "found 'STRING'");
  ExpectSyntaxError("CREATE TABLE t (a INTEGER", "",
                    "expected ')', found end of input");
  ExpectSyntaxError("CREATE TABLE t (a INTEGER NOT 1)", "1)",
                    "expected NULL, found '1'");
  ExpectSyntaxError("CREATE TABLE t (a INTEGER PRIMARY a)", "a)",
                    "expected KEY, found 'a'");
  ExpectSyntaxError("CREATE TABLE t (a INTEGER DEFAULT b)", "b)",
                    "expected a literal value, found 'b'");
  ExpectSyntaxError("CREATE TABLE t (a TEXT DEFAULT -'x')", "'x'",
                    "expected a number, found ''x''");
  ExpectSyntaxError("CREATE TABLE t (a VARCHAR(n))", "n)",
                    "expected a length, found 'n'");
  ExpectSyntaxError("CREATE TABLE IF EXISTS t (a INTEGER)", "EXISTS",
                    "expected NOT, found 'EXISTS'");
  ExpectSyntaxError(
      "CREATE TABLE t (a INTEGER, b INTEGER, PRIMARY KEY (a), PRIMARY KEY (b))",
      "KEY (b)", "expected one PRIMARY KEY clause, found 'KEY'");
}

TEST(ParserErrorTest, IndexAndDropShapes) {
  ExpectSyntaxError("CREATE UNIQUE TABLE t (a INTEGER)", "TABLE",
                    "expected INDEX, found 'TABLE'");
  ExpectSyntaxError("CREATE INDEX i t (a)", "t (a)", "expected ON, found 't'");
  ExpectSyntaxError("CREATE INDEX i ON t a", "a", "expected '(', found 'a'");
  ExpectSyntaxError("DROP VIEW v", "VIEW",
                    "expected TABLE, INDEX or FORK, found 'VIEW'");
  ExpectSyntaxError("DROP TABLE IF t", "t", "expected EXISTS, found 't'");
}

TEST(ParserErrorTest, ExpressionShapes) {
  ExpectSyntaxError("SELECT a IS 1", "1", "expected NULL, found '1'");
  ExpectSyntaxError("SELECT a NOT 5", "5",
                    "expected IN, BETWEEN or LIKE after NOT, found '5'");
  ExpectSyntaxError("SELECT a BETWEEN 1 OR 2", "OR",
                    "expected AND, found 'OR'");
  ExpectSyntaxError("SELECT a IN 1", "1", "expected '(', found '1'");
  ExpectSyntaxError("SELECT CASE END", "END",
                    "expected an expression, found 'END'");
  ExpectSyntaxError("SELECT CASE a END", "END", "expected WHEN, found 'END'");
  ExpectSyntaxError("SELECT CASE WHEN a 1 END", "1",
                    "expected THEN, found '1'");
  ExpectSyntaxError("SELECT CASE WHEN a THEN 1", "",
                    "expected END, found end of input");
  ExpectSyntaxError("SELECT CAST(a REAL)", "REAL", "expected AS, found 'REAL'");
  ExpectSyntaxError("SELECT CAST(a AS STRING)", "STRING",
                    "expected a type (INTEGER, REAL, TEXT, BLOB or BOOLEAN), "
                    "found 'STRING'");
  ExpectSyntaxError("SELECT t.+", "+", "expected a column name, found '+'");
  ExpectSyntaxError("SELECT a AS 1", "1", "expected a column alias, found '1'");
}

TEST(ParserErrorTest, OrderAndGroupNeedBy) {
  EXPECT_EQ(ParseError("SELECT a FROM t ORDER a").message(),
            "1:23: expected BY, found 'a'");
  EXPECT_EQ(ParseError("SELECT a FROM t GROUP a").message(),
            "1:23: expected BY, found 'a'");
  EXPECT_EQ(ParseError("SELECT a FROM t LIMIT").message(),
            "1:22: expected an expression, found end of input");
}

TEST(ParserErrorTest, AlterRenameShowUseShapes) {
  ExpectSyntaxError("ALTER t ADD c INTEGER", "t", "expected TABLE, found 't'");
  ExpectSyntaxError("ALTER TABLE t FROB", "FROB",
                    "expected ADD, DROP, RENAME or ALTER, found 'FROB'");
  ExpectSyntaxError("ALTER TABLE t ADD COLUMN c INTEGER UNIQUE", "c INTEGER",
                    "expected a column without PRIMARY KEY or UNIQUE (add an "
                    "index for UNIQUE), found 'c'");
  ExpectSyntaxError("ALTER TABLE t RENAME COLUMN a b", "b",
                    "expected TO, found 'b'");
  ExpectSyntaxError("ALTER TABLE t ADD UNIQUE c", "c",
                    "expected INDEX, found 'c'");
  ExpectSyntaxError("RENAME t TO u", "t", "expected TABLE, found 't'");
  ExpectSyntaxError("RENAME TABLE a b", "b", "expected TO, found 'b'");
  ExpectSyntaxError("RENAME TABLE a TO b,", "",
                    "expected a table name, found end of input");
  ExpectSyntaxError(
      "SHOW FOO", "FOO",
      "expected TABLES, CREATE TABLE, FORKS, BINLOG, REPLICATION, DIVERGENCE, "
      "DIVERGENT PAGES or DIFF, found 'FOO'");
  ExpectSyntaxError("SHOW CREATE t", "t", "expected TABLE, found 't'");
  ExpectSyntaxError("USE dev", "dev", "expected FORK, found 'dev'");
  ExpectSyntaxError("USE FORK", "", "expected a fork name, found end of input");
  ExpectSyntaxError("CREATE FORK f READ", "",
                    "expected ONLY, found end of input");
  ExpectSyntaxError("CREATE FORK f FROM", "",
                    "expected a fork name, found end of input");
  ExpectSyntaxError("START SLAVE", "SLAVE",
                    "expected REPLICATION, found 'SLAVE'");
  ExpectSyntaxError("CANCEL 'x'", "'x'", "expected MIGRATION, found ''x''");
}

TEST(ParserErrorTest, LexicalErrorIsReportedAtItsToken) {
  EXPECT_EQ(ParseError("SELECT 'abc").message(), "1:8: unterminated string");
  EXPECT_EQ(ParseError("SELECT 1 @ 2").message(),
            "1:10: unexpected character '@'");
  EXPECT_EQ(ParseError("SELECT x'abc'").message(),
            "1:8: BLOB literal has an odd number of hex digits");
  EXPECT_EQ(ParseError("SELECT 1 /* open").message(),
            "1:10: unterminated /* comment");
  EXPECT_EQ(ParseError("SELECT 1e+").message(),
            "1:8: malformed number: no digits in the exponent");
}

TEST(ParserErrorTest, PositionsCountLinesAndTheStartLocation) {
  EXPECT_EQ(ParseError("SELECT a,\n  b\nFROM t\nWHERE a = = 1").message(),
            "4:11: expected an expression, found '='");
  size_t tail = 0;
  EXPECT_EQ(ParseError("SELECT +", &tail, SourceLocation{3, 7}).message(),
            "3:15: expected an expression, found end of input");
  EXPECT_EQ(ParseError("\nSELECT +", &tail, SourceLocation{3, 7}).message(),
            "4:9: expected an expression, found end of input");
}

TEST(ParserErrorTest, TailSkipsPastTheFailedStatementsSemicolon) {
  struct Case {
    std::string_view sql;
    size_t tail;
  } cases[] = {
      {"SELECT (1; SELECT 2;", 10},
      {"SELECT 1 x y; SELECT 2", 13},
      {"SELECT ';' bad worse; SELECT 2", 21},
      {"SELECT @ ; SELECT 2", 10},
      {"SELECT \"a;b\" c d; SELECT 2", 17},
      {"SELECT /* ; */ 1 2; SELECT 2", 19},
      {"SELECT 1 +", 10},
      {"SELECT 'a; SELECT 2;", 20},  // the string never ends
      {"SELEC 1; SELECT 2", 8},
  };
  for (const Case& c : cases) {
    size_t tail = 999;
    EXPECT_FALSE(ParseError(c.sql, &tail).ok()) << c.sql;
    EXPECT_EQ(tail, c.tail) << c.sql;
  }
}

TEST(ParserErrorTest, TailAfterAnErrorLeadsToTheNextStatement) {
  const std::string_view sql = "INSERT INTO t VALUES (1,; SELECT 7;";
  size_t tail = 0;
  EXPECT_FALSE(ParseError(sql, &tail).ok());
  auto next = ParseOk(sql.substr(tail));
  const SelectStmt* s = BodyOf<SelectStmt>(next);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Sexp(*s->items[0].expr), "7");
}

TEST(ParserErrorTest, JoinsAreNotSupported) {
  const Status comma = ParseError("SELECT * FROM a, b");
  EXPECT_EQ(comma.code(), Status::Code::kNotSupported);
  EXPECT_EQ(comma.message(), "1:16: joins are not supported");
  const Status left = ParseError("SELECT * FROM a LEFT JOIN b ON a.x = b.x");
  EXPECT_EQ(left.code(), Status::Code::kNotSupported) << left.ToString();
  // A bare JOIN must not be taken for a table alias.
  const Status join = ParseError("SELECT * FROM a JOIN b ON a.x = b.x");
  EXPECT_EQ(join.code(), Status::Code::kNotSupported) << join.ToString();
  EXPECT_NE(join.message().find("joins are not supported"), std::string::npos)
      << join.ToString();
}

TEST(ParserErrorTest, DistinctAggregatesAreNotSupported) {
  const Status s = ParseError("SELECT count(DISTINCT a) FROM t");
  EXPECT_EQ(s.code(), Status::Code::kNotSupported);
  EXPECT_EQ(s.message(), "1:14: DISTINCT inside aggregates is not supported");
}

// ---------------------------------------------------------------------------
// Binlog and replication.

TEST(ParserTest, ShowBinlogForms) {
  {
    auto p = ParseOk("SHOW BINLOG");
    const ShowBinlogStmt* s = BodyOf<ShowBinlogStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->fork, "");
    EXPECT_FALSE(s->from.has_value());
    EXPECT_FALSE(s->limit.has_value());
  }
  {
    auto p = ParseOk("show binlog for fork Feature-1 from 3 limit 10;");
    const ShowBinlogStmt* s = BodyOf<ShowBinlogStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->fork, "feature-1");
    EXPECT_EQ(s->from, std::optional<uint64_t>(3));
    EXPECT_EQ(s->limit, std::optional<uint64_t>(10));
  }
  {
    auto p = ParseOk("SHOW BINLOG FOR FORK \"Dev\" LIMIT 0");
    const ShowBinlogStmt* s = BodyOf<ShowBinlogStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->fork, "Dev");
    EXPECT_FALSE(s->from.has_value());
    EXPECT_EQ(s->limit, std::optional<uint64_t>(0));
  }
  {
    auto p = ParseOk("SHOW BINLOG FROM 9223372036854775807");
    const ShowBinlogStmt* s = BodyOf<ShowBinlogStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->from, std::optional<uint64_t>(9223372036854775807u));
  }
}

TEST(ParserTest, PurgeBinlogForms) {
  {
    auto p = ParseOk("PURGE BINLOG BEFORE 5");
    const PurgeBinlogStmt* s = BodyOf<PurgeBinlogStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->fork, "");
    EXPECT_EQ(s->before, 5u);
  }
  {
    auto p = ParseOk("purge binlog for fork dev BEFORE 12;");
    const PurgeBinlogStmt* s = BodyOf<PurgeBinlogStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->fork, "dev");
    EXPECT_EQ(s->before, 12u);
  }
}

TEST(ParserTest, ReplicationStatements) {
  using engine::ConflictPolicy;
  struct Case {
    std::string_view sql;
    ConflictPolicy policy;
  } cases[] = {
      {"START REPLICATION FROM main TO green", ConflictPolicy::kStop},
      {"START REPLICATION FROM main TO green ON CONFLICT STOP",
       ConflictPolicy::kStop},
      {"start replication from main to green on conflict source wins",
       ConflictPolicy::kSourceWins},
      {"START REPLICATION FROM main TO green ON CONFLICT TARGET WINS;",
       ConflictPolicy::kTargetWins},
  };
  for (const Case& c : cases) {
    auto p = ParseOk(c.sql);
    const StartReplicationStmt* s = BodyOf<StartReplicationStmt>(p);
    ASSERT_NE(s, nullptr) << c.sql;
    EXPECT_EQ(s->source, "main") << c.sql;
    EXPECT_EQ(s->target, "green") << c.sql;
    EXPECT_EQ(s->on_conflict, c.policy) << c.sql;
  }
  {
    auto p = ParseOk("START REPLICATION FROM \"Blue\" TO v2.0");
    const StartReplicationStmt* s = BodyOf<StartReplicationStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->source, "Blue");
    EXPECT_EQ(s->target, "v2.0");
  }
  {
    auto p = ParseOk("STOP REPLICATION TO Green");
    const StopReplicationStmt* s = BodyOf<StopReplicationStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->target, "green");
  }
  {
    auto p = ParseOk("SHOW REPLICATION");
    const ShowReplicationStmt* s = BodyOf<ShowReplicationStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_FALSE(s->conflicts);
    EXPECT_EQ(s->target, "");
  }
  {
    auto p = ParseOk("SHOW REPLICATION CONFLICTS");
    const ShowReplicationStmt* s = BodyOf<ShowReplicationStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->conflicts);
    EXPECT_EQ(s->target, "");
  }
  {
    auto p = ParseOk("show replication conflicts for green;");
    const ShowReplicationStmt* s = BodyOf<ShowReplicationStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->conflicts);
    EXPECT_EQ(s->target, "green");
  }
}

TEST(ParserTest, WaitForReplicationForms) {
  struct Case {
    std::string_view sql;
    std::string_view target;
    double timeout;
  } cases[] = {
      {"WAIT FOR REPLICATION", "", 10},
      {"WAIT FOR REPLICATION TO green", "green", 10},
      {"wait for replication timeout 3", "", 3},
      {"WAIT FOR REPLICATION TO green TIMEOUT 0.25;", "green", 0.25},
      {"WAIT FOR REPLICATION TIMEOUT 0", "", 0},
  };
  for (const Case& c : cases) {
    auto p = ParseOk(c.sql);
    const WaitForReplicationStmt* s = BodyOf<WaitForReplicationStmt>(p);
    ASSERT_NE(s, nullptr) << c.sql;
    EXPECT_EQ(s->target, c.target) << c.sql;
    EXPECT_EQ(s->timeout_seconds, c.timeout) << c.sql;
  }
}

TEST(ParserErrorTest, BinlogAndReplicationShapes) {
  ExpectSyntaxError("SHOW BINLOG FOR dev", "dev", "expected FORK, found 'dev'");
  ExpectSyntaxError("SHOW BINLOG FOR FORK", "",
                    "expected a fork name, found end of input");
  ExpectSyntaxError("SHOW BINLOG FROM", "",
                    "expected a binlog seq (1 or more), found end of input");
  ExpectSyntaxError("SHOW BINLOG FROM 0", "0",
                    "expected a binlog seq (1 or more), found '0'");
  ExpectSyntaxError("SHOW BINLOG FROM 'x'", "'x'",
                    "expected a binlog seq (1 or more), found ''x''");
  ExpectSyntaxError("SHOW BINLOG FROM 1.5", "1.5",
                    "expected a binlog seq (1 or more), found '1.5'");
  ExpectSyntaxError("SHOW BINLOG LIMIT -1", "-",
                    "expected a row count, found '-'");
  ExpectSyntaxError("SHOW BINLOG LIMIT 5 FROM 2", "FROM",
                    "expected end of statement, found 'FROM'");
  ExpectSyntaxError("SHOW BINLOG FROM 1 FOR FORK dev", "FOR",
                    "expected end of statement, found 'FOR'");
  ExpectSyntaxError("PURGE dev", "dev", "expected BINLOG, found 'dev'");
  ExpectSyntaxError("PURGE BINLOG", "", "expected BEFORE, found end of input");
  ExpectSyntaxError("PURGE BINLOG FOR FORK dev 5", "5",
                    "expected BEFORE, found '5'");
  ExpectSyntaxError("PURGE BINLOG BEFORE 0", "0",
                    "expected a binlog seq (1 or more), found '0'");
  ExpectSyntaxError("START REPLICATION main TO green", "main",
                    "expected FROM, found 'main'");
  ExpectSyntaxError("START REPLICATION FROM main green", "green",
                    "expected TO, found 'green'");
  ExpectSyntaxError("START REPLICATION FROM main TO", "",
                    "expected a fork name, found end of input");
  ExpectSyntaxError("START REPLICATION FROM main TO green ON STOP", "STOP",
                    "expected CONFLICT, found 'STOP'");
  ExpectSyntaxError(
      "START REPLICATION FROM main TO green ON CONFLICT IGNORE", "IGNORE",
      "expected STOP, SOURCE WINS or TARGET WINS, found 'IGNORE'");
  ExpectSyntaxError("START REPLICATION FROM main TO green ON CONFLICT SOURCE",
                    "", "expected WINS, found end of input");
  ExpectSyntaxError("START REPLICATION FROM main TO green ON CONFLICT TARGET X",
                    "X", "expected WINS, found 'X'");
  ExpectSyntaxError("STOP REPLICATION green", "green",
                    "expected TO, found 'green'");
  ExpectSyntaxError("STOP SLAVE", "SLAVE",
                    "expected REPLICATION, found 'SLAVE'");
  ExpectSyntaxError("SHOW REPLICATION STATUS", "STATUS",
                    "expected end of statement, found 'STATUS'");
  ExpectSyntaxError("SHOW REPLICATION CONFLICTS FOR", "",
                    "expected a fork name, found end of input");
  ExpectSyntaxError("WAIT REPLICATION", "REPLICATION",
                    "expected FOR, found 'REPLICATION'");
  ExpectSyntaxError("WAIT FOR green", "green",
                    "expected REPLICATION, found 'green'");
  ExpectSyntaxError("WAIT FOR REPLICATION TO", "",
                    "expected a fork name, found end of input");
  ExpectSyntaxError("WAIT FOR REPLICATION TIMEOUT", "",
                    "expected a number of seconds (0 to 86400), found end of "
                    "input");
  ExpectSyntaxError("WAIT FOR REPLICATION TIMEOUT -1", "-",
                    "expected a number of seconds (0 to 86400), found '-'");
  ExpectSyntaxError("WAIT FOR REPLICATION TIMEOUT 90000", "90000",
                    "expected a number of seconds (0 to 86400), found "
                    "'90000'");
  ExpectSyntaxError("WAIT FOR REPLICATION TIMEOUT 1 TO green", "TO",
                    "expected end of statement, found 'TO'");
}

TEST(ParserErrorTest, BinlogAndReplicationErrorsCountLines) {
  EXPECT_EQ(ParseError("SHOW BINLOG\n  FOR FORK dev\n  FROM x").message(),
            "3:8: expected a binlog seq (1 or more), found 'x'");
  size_t tail = 0;
  EXPECT_EQ(
      ParseError("START REPLICATION FROM a TO b ON CONFLICT; SELECT 1", &tail)
          .message(),
      "1:42: expected STOP, SOURCE WINS or TARGET WINS, found ';'");
  EXPECT_EQ(tail, 42u);
}

// ---------------------------------------------------------------------------
// Divergence between forks.

TEST(ParserTest, ShowDivergenceForms) {
  struct Case {
    std::string_view sql;
    std::string_view a;
    std::string_view b;
    std::string_view table;
    bool cell_level;
  } cases[] = {
      {"SHOW DIVERGENCE BETWEEN a AND b", "a", "b", "", false},
      {"show divergence between Feature-1 and \"Dev\" for table T at cell "
       "level;",
       "feature-1", "Dev", "T", true},
      {"SHOW DIVERGENCE BETWEEN main AND v2.0 AT CELL LEVEL", "main", "v2.0",
       "", true},
      {"SHOW DIVERGENCE BETWEEN \"A b\" AND B FOR TABLE \"Order\";", "A b", "b",
       "Order", false},
  };
  for (const Case& c : cases) {
    auto p = ParseOk(c.sql);
    const ShowDivergenceStmt* s = BodyOf<ShowDivergenceStmt>(p);
    ASSERT_NE(s, nullptr) << c.sql;
    EXPECT_EQ(s->a, c.a) << c.sql;
    EXPECT_EQ(s->b, c.b) << c.sql;
    EXPECT_EQ(s->table, c.table) << c.sql;
    EXPECT_EQ(s->cell_level, c.cell_level) << c.sql;
  }
}

TEST(ParserTest, ShowDivergentPagesForms) {
  {
    auto p = ParseOk("SHOW DIVERGENT PAGES BETWEEN a AND b");
    const ShowDivergentPagesStmt* s = BodyOf<ShowDivergentPagesStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->a, "a");
    EXPECT_EQ(s->b, "b");
  }
  {
    auto p = ParseOk("show divergent pages between \"Left\" and Release-v1.2;");
    const ShowDivergentPagesStmt* s = BodyOf<ShowDivergentPagesStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->a, "Left");
    EXPECT_EQ(s->b, "release-v1.2");
  }
}

TEST(ParserTest, ShowDiffForms) {
  {
    auto p = ParseOk("SHOW DIFF BETWEEN a AND b");
    const ShowDiffStmt* s = BodyOf<ShowDiffStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->a, "a");
    EXPECT_EQ(s->b, "b");
    EXPECT_EQ(s->table, "");
  }
  {
    auto p = ParseOk("show diff between FEATURE-1 and \"Main\" for table Acc;");
    const ShowDiffStmt* s = BodyOf<ShowDiffStmt>(p);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->a, "feature-1");
    EXPECT_EQ(s->b, "Main");
    EXPECT_EQ(s->table, "Acc");
  }
}

TEST(ParserErrorTest, DivergenceShapes) {
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a;", ";",
                    "expected AND, found ';'");
  ExpectSyntaxError("SHOW DIVERGENCE a AND b;", "a",
                    "expected BETWEEN, found 'a'");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN", "",
                    "expected a fork name, found end of input");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a AND", "",
                    "expected a fork name, found end of input");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a OR b", "OR",
                    "expected AND, found 'OR'");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a AND b FOR tbl", "tbl",
                    "expected TABLE, found 'tbl'");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE", "",
                    "expected a table name, found end of input");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a AND b FOR TABLE order", "order",
                    "expected a table name, found 'order'");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a AND b AT ROW LEVEL", "ROW",
                    "expected CELL, found 'ROW'");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a AND b AT CELL", "",
                    "expected LEVEL, found end of input");
  // The clauses come in SQL.md's order.
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a AND b AT CELL LEVEL FOR TABLE t",
                    "FOR", "expected end of statement, found 'FOR'");
  ExpectSyntaxError("SHOW DIVERGENCE BETWEEN a AND b c", "c",
                    "expected end of statement, found 'c'");
  ExpectSyntaxError("SHOW DIVERGENT BETWEEN a AND b", "BETWEEN",
                    "expected PAGES, found 'BETWEEN'");
  ExpectSyntaxError("SHOW DIVERGENT PAGES a AND b", "a",
                    "expected BETWEEN, found 'a'");
  ExpectSyntaxError("SHOW DIVERGENT PAGES BETWEEN a;", ";",
                    "expected AND, found ';'");
  // Pages belong to no one table; DIFF compares values, never cells.
  ExpectSyntaxError("SHOW DIVERGENT PAGES BETWEEN a AND b FOR TABLE t;", "FOR",
                    "expected end of statement, found 'FOR'");
  ExpectSyntaxError("SHOW DIVERGENT PAGES BETWEEN a AND b AT CELL LEVEL", "AT",
                    "expected end of statement, found 'AT'");
  ExpectSyntaxError("SHOW DIFF BETWEEN a AND b AT CELL LEVEL;", "AT",
                    "expected end of statement, found 'AT'");
  ExpectSyntaxError("SHOW DIFF a AND b", "a", "expected BETWEEN, found 'a'");
  ExpectSyntaxError("SHOW DIFF BETWEEN a", "",
                    "expected AND, found end of input");
  ExpectSyntaxError("SHOW DIFF BETWEEN a AND b FOR TABLE", "",
                    "expected a table name, found end of input");
  ExpectSyntaxError(
      "SHOW DIFFS BETWEEN a AND b", "DIFFS",
      "expected TABLES, CREATE TABLE, FORKS, BINLOG, REPLICATION, "
      "DIVERGENCE, DIVERGENT PAGES or DIFF, found 'DIFFS'");
}

TEST(ParserErrorTest, DivergenceErrorsCountLinesAndSetTheTail) {
  EXPECT_EQ(
      ParseError("SHOW DIVERGENCE\n  BETWEEN a\n  AND b\n  AT CELL").message(),
      "4:10: expected LEVEL, found end of input");
  size_t tail = 0;
  EXPECT_EQ(ParseError("SHOW DIFF BETWEEN a; SELECT 1", &tail).message(),
            "1:20: expected AND, found ';'");
  EXPECT_EQ(tail, 20u);
}

// ---------------------------------------------------------------------------
// Statements later work brings.

TEST(ParserTest, LaterStatementsAreNotSupportedYet) {
  struct Case {
    std::string_view sql;
    std::string_view message;
  } cases[] = {
      {"ALTER TABLE t ADD COLUMN c INTEGER ONLINE",
       "ALTER TABLE ... ONLINE is not supported yet"},
      {"ALTER TABLE t DROP COLUMN c ONLINE POSTPONE COMPLETION ASYNC",
       "ALTER TABLE ... ONLINE is not supported yet"},
      {"ALTER TABLE t RENAME TO u ONLINE",
       "ALTER TABLE ... ONLINE is not supported yet"},
      {"ALTER TABLE t ADD INDEX i (a) ONLINE ASYNC",
       "ALTER TABLE ... ONLINE is not supported yet"},
      {"SHOW MIGRATIONS", "SHOW MIGRATIONS is not supported yet"},
      {"COMPLETE MIGRATION 'm1'",
       "online schema migration is not supported yet"},
      {"CANCEL MIGRATION 'm1'", "online schema migration is not supported yet"},
      {"REVERT MIGRATION 'm1'", "online schema migration is not supported yet"},
  };
  for (const Case& c : cases) {
    const Status s = ParseError(c.sql);
    EXPECT_EQ(s.code(), Status::Code::kNotSupported)
        << c.sql << ": " << s.ToString();
    EXPECT_EQ(s.message(), c.message) << c.sql;
  }
}

TEST(ParserTest, NotSupportedStatementStillSetsTheTail) {
  size_t tail = 0;
  const Status s = ParseError("SHOW MIGRATIONS; SELECT 1", &tail);
  EXPECT_EQ(s.code(), Status::Code::kNotSupported);
  EXPECT_EQ(tail, 16u);
}

}  // namespace
}  // namespace forkdb::sql
