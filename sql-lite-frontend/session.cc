// Session and Statement: the public SQL API (forkdb/sql.h) over the parser
// and the executor.
#include <cassert>
#include <utility>

#include "forkdb/sql.h"
#include "sql-lite-frontend/executor.h"
#include "sql-lite-frontend/parser.h"

namespace forkdb::sql {

struct Session::Rep : SessionState {};

struct Statement::Rep {
  std::shared_ptr<Session::Rep> session;
  Executable executable;
  std::vector<Value> params;
  enum class State { kReady, kRows, kDone } state = State::kReady;
  size_t next_row = 0;
  Row current;

  Rep(std::shared_ptr<Session::Rep> s, ParsedStatement parsed)
      : session(std::move(s)), executable(std::move(parsed)) {
    params.resize(static_cast<size_t>(executable.parsed().parameter_count));
  }
};

Session::Session(engine::Database db, std::string fork)
    : rep_(std::make_shared<Rep>()) {
  rep_->db = std::move(db);
  rep_->fork = std::move(fork);
}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() {
  if (rep_ != nullptr && rep_->txn.has_value() && rep_.use_count() == 1) {
    rep_->txn->Rollback();
    rep_->txn.reset();
  }
}

const std::string& Session::fork() const { return rep_->fork; }
bool Session::in_transaction() const { return rep_->txn.has_value(); }
engine::Database& Session::database() { return rep_->db; }

Result<Statement> Session::Prepare(std::string_view sql, size_t* tail,
                                   SourceLocation start) {
  FORKDB_ASSIGN_OR_RETURN(std::optional<ParsedStatement> parsed,
                          ParseStatement(sql, tail, start));
  if (!parsed.has_value()) return Statement();
  auto rep = std::make_unique<Statement::Rep>(rep_, std::move(*parsed));
  FORKDB_RETURN_IF_ERROR(rep->executable.Bind(*rep_));
  return Statement(std::move(rep));
}

Status Session::Execute(std::string_view sql, const RowCallback& on_row) {
  size_t offset = 0;
  SourceLocation at;
  while (offset < sql.size()) {
    size_t tail = 0;
    const std::string_view rest = sql.substr(offset);
    FORKDB_ASSIGN_OR_RETURN(Statement stmt, Prepare(rest, &tail, at));
    // Advance the position past the statement for the next one's errors.
    for (size_t i = 0; i < tail; ++i) {
      if (rest[i] == '\n') {
        ++at.line;
        at.column = 1;
      } else {
        ++at.column;
      }
    }
    offset += tail;
    if (!stmt.valid()) break;
    std::vector<std::string> names;
    for (size_t i = 0; i < stmt.column_count(); ++i)
      names.push_back(stmt.column_name(i));
    while (true) {
      FORKDB_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (on_row) on_row(names, stmt.row());
    }
    if (tail == 0) break;
  }
  return Status();
}

Statement::Statement() = default;
Statement::Statement(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

std::string_view Statement::sql() const {
  return rep_->executable.parsed().text;
}
int Statement::parameter_count() const {
  return rep_->executable.parsed().parameter_count;
}

Status Statement::Bind(int index, Value value) {
  if (rep_ == nullptr) return Status::InvalidArgument("empty statement");
  if (index < 1 || index > parameter_count())
    return Status::InvalidArgument("parameter index ", index,
                                   " out of range: the statement has ",
                                   parameter_count(), " parameters");
  if (rep_->state != Rep::State::kReady)
    return Status::InvalidArgument(
        "cannot bind a running statement: Reset() it first");
  rep_->params[static_cast<size_t>(index - 1)] = std::move(value);
  return Status();
}

void Statement::ClearBindings() {
  for (Value& v : rep_->params) v = Value::Null();
}

Result<bool> Statement::Step() {
  if (rep_ == nullptr) return Status::InvalidArgument("empty statement");
  Rep& r = *rep_;
  if (r.state == Rep::State::kDone) return false;
  if (r.state == Rep::State::kReady) {
    r.state = Rep::State::kDone;
    FORKDB_RETURN_IF_ERROR(r.executable.Run(*r.session, r.params));
    r.state = Rep::State::kRows;
    r.next_row = 0;
  }
  std::vector<Row>& rows = r.executable.rows();
  if (r.next_row >= rows.size()) {
    r.state = Rep::State::kDone;
    rows.clear();
    return false;
  }
  r.current = std::move(rows[r.next_row++]);
  return true;
}

void Statement::Reset() {
  if (rep_ == nullptr) return;
  rep_->state = Rep::State::kReady;
  rep_->executable.rows().clear();
  rep_->next_row = 0;
}

bool Statement::returns_rows() const {
  return rep_ != nullptr && rep_->executable.returns_rows();
}
size_t Statement::column_count() const {
  return rep_ == nullptr ? 0 : rep_->executable.column_names().size();
}
const std::string& Statement::column_name(size_t i) const {
  return rep_->executable.column_names()[i];
}
const Row& Statement::row() const { return rep_->current; }
uint64_t Statement::changes() const {
  return rep_ == nullptr ? 0 : rep_->executable.changes();
}

}  // namespace forkdb::sql
