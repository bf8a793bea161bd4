// The forkdb SQL shell: input handling (lines, statement buffers, dot
// commands), result printing in sqlite3's list, csv, json and table modes,
// and the command line. See shell.h for the invariants it keeps.
//
// Where it departs from `sqlite3 -batch` 3.40, on purpose:
//   - After a failed statement the rest of the same input line still runs
//     (sqlite3 drops the rest of the chunk); -bail stops as in sqlite3.
//   - `.timer` reports each statement, not each chunk of input.
//   - A dot command may be indented; sqlite3 wants the '.' in column 1.
//   - json prints a REAL with the fewest digits that read back to the same
//     double (sqlite3 prints 17 or more digits, "%!.20g") and a BLOB as a
//     string of lowercase hex (sqlite3 prints its raw bytes, not valid JSON).
//   - `.tables` prints one name per line; `.schema TABLE` takes a table
//     name, not a LIKE pattern.
#include "tools/shell.h"

#include <editline/readline.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <cassert>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <utility>

#ifndef FORKDB_VERSION
#error "FORKDB_VERSION must be defined (tools/CMakeLists.txt sets it)"
#endif

namespace forkdb::tools {

namespace {

constexpr const char* kVersionText = "forkdb " FORKDB_VERSION;
constexpr const char* kPrompt = "forkdb> ";
constexpr const char* kContinuationPrompt = "   ...> ";
// Deeper nesting of .read is a loop, not a script.
constexpr int kReadDepthMax = 32;
constexpr int kHistoryLinesMax = 2000;

constexpr const char* kDotHelp =
    ".exit ?CODE?             Exit; status CODE, else 1 if a statement "
    "failed, else 0\n"
    ".forks                   List the forks (SHOW FORKS)\n"
    ".headers on|off          Show column names in list and csv modes\n"
    ".help                    Show this message\n"
    ".mode ?MODE?             Set the output mode: list, csv, json or table\n"
    "                         (no MODE: show the current one; after .mode csv\n"
    "                         rows end in CRLF, as in sqlite3)\n"
    ".quit                    Exit, as .exit without CODE\n"
    ".read FILE               Run the statements and dot commands of FILE\n"
    ".schema ?TABLE?          Show CREATE TABLE statements (SHOW CREATE "
    "TABLE)\n"
    "                         for TABLE, or for every table\n"
    ".tables                  List the tables of the current fork, one per "
    "line\n"
    ".timer on|off            Print the time each SQL statement takes\n"
    ".use FORK                Make FORK the current fork (USE FORK)\n";

// ---------------------------------------------------------------------------
// Line sources.

// Lines of a stream; a trailing '\r' is dropped, as sqlite3 does.
class StreamLineReader final : public LineReader {
 public:
  explicit StreamLineReader(std::istream& in) : in_(in) {}
  bool ReadLine(bool /*continuation*/, std::string* line) override {
    if (!std::getline(in_, *line)) return false;
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return true;
  }

 private:
  std::istream& in_;
};

// Lines of a string (a -c argument); a final line without '\n' counts.
class StringLineReader final : public LineReader {
 public:
  explicit StringLineReader(std::string_view text) : text_(text) {}
  bool ReadLine(bool /*continuation*/, std::string* line) override {
    if (pos_ >= text_.size()) return false;
    size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    line->assign(text_.substr(pos_, end - pos_));
    if (!line->empty() && line->back() == '\r') line->pop_back();
    pos_ = end + 1;
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

// The terminal: libedit's readline with prompts and history, kept in
// $HOME/.forkdb_history when HOME is set.
class EditLineReader final : public LineReader {
 public:
  explicit EditLineReader(std::ostream& out) : out_(out) {
    const char* home = std::getenv("HOME");
    if (home != nullptr && home[0] != '\0')
      history_path_ = std::string(home) + "/.forkdb_history";
    stifle_history(kHistoryLinesMax);
    // A missing history file is a first run, not an error.
    if (!history_path_.empty()) read_history(history_path_.c_str());
  }
  ~EditLineReader() override {
    if (!history_path_.empty()) write_history(history_path_.c_str());
  }
  EditLineReader(const EditLineReader&) = delete;
  EditLineReader& operator=(const EditLineReader&) = delete;

  bool ReadLine(bool continuation, std::string* line) override {
    out_.flush();  // results before the prompt
    char* text = readline(continuation ? kContinuationPrompt : kPrompt);
    if (text == nullptr) {
      out_ << "\n";  // leave the terminal on a fresh line after ^D
      return false;
    }
    line->assign(text);
    bool blank = true;
    for (char c : *line) blank = blank && IsSpace(c);
    if (!blank) add_history(text);
    std::free(text);
    return true;
  }

 private:
  std::ostream& out_;
  std::string history_path_;
};

// ---------------------------------------------------------------------------
// Small text helpers.

// True if `line` holds only blanks and complete comments (sqlite3's
// _all_whitespace): such a line between statements is skipped.
bool IsBlankOrComment(std::string_view line) {
  size_t i = 0;
  while (i < line.size()) {
    if (IsSpace(line[i])) {
      ++i;
    } else if (line.substr(i, 2) == "/*") {
      size_t end = line.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
    } else if (line.substr(i, 2) == "--") {
      return true;  // the comment runs to the end of the line
    } else {
      return false;
    }
  }
  return true;
}

// Moves `loc` past `text`: lines count '\n', columns count bytes.
void Advance(sql::SourceLocation* loc, std::string_view text) {
  for (char c : text) {
    if (c == '\n') {
      ++loc->line;
      loc->column = 1;
    } else {
      ++loc->column;
    }
  }
}

// The offset just past the first ';' of `sql` that ends a statement (outside
// strings, quoted names and comments); 0 if there is none. Used to go on
// after a statement that failed to compile.
size_t NextStatementEnd(std::string_view sql) {
  for (size_t p = sql.find(';'); p != std::string_view::npos;
       p = sql.find(';', p + 1)) {
    if (sql::IsComplete(sql.substr(0, p + 1))) return p + 1;
  }
  return 0;
}

// Splits a dot command's arguments at blanks; '...' and "..." group.
std::vector<std::string> SplitArgs(std::string_view line) {
  std::vector<std::string> args;
  size_t i = 0;
  while (i < line.size()) {
    if (IsSpace(line[i])) {
      ++i;
      continue;
    }
    std::string arg;
    if (line[i] == '\'' || line[i] == '"') {
      const char quote = line[i++];
      while (i < line.size() && line[i] != quote) arg += line[i++];
      if (i < line.size()) ++i;  // the closing quote
    } else {
      while (i < line.size() && !IsSpace(line[i])) arg += line[i++];
    }
    args.push_back(std::move(arg));
  }
  return args;
}

// A name as a SQL identifier: bare if it is a plain one, else double-quoted.
std::string Identifier(std::string_view name) {
  bool plain = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '_');
  }
  if (plain) return std::string(name);
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

Result<bool> ParseOnOff(std::string_view command, std::string_view arg) {
  if (arg == "on" || arg == "yes" || arg == "true" || arg == "1") return true;
  if (arg == "off" || arg == "no" || arg == "false" || arg == "0") return false;
  return Status::InvalidArgument(command, ": not on or off: \"", arg, "\"");
}

const char* ModeName(OutputMode mode) {
  switch (mode) {
    case OutputMode::kList:
      return "list";
    case OutputMode::kCsv:
      return "csv";
    case OutputMode::kJson:
      return "json";
    case OutputMode::kTable:
      return "table";
  }
  return "list";
}

// ---------------------------------------------------------------------------
// Value formatting.

// sqlite3's csv quoting: a value is quoted when it is empty or holds a blank,
// a control or non-ASCII byte, a quote or the separator.
bool CsvNeedsQuotes(std::string_view text) {
  if (text.empty()) return true;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == '\'')
      return true;
  }
  return false;
}

void WriteCsvField(std::ostream& out, std::string_view text, bool is_text) {
  if (!is_text || !CsvNeedsQuotes(text)) {
    out << text;
    return;
  }
  out << '"';
  for (char c : text) {
    if (c == '"') out << '"';
    out << c;
  }
  out << '"';
}

void WriteJsonString(std::ostream& out, std::string_view text) {
  out << sql::JsonString(text);
}

// The shortest decimal that reads back to `v`, always with a '.' or an
// exponent so it stays a REAL; infinities as 1e999 and -1e999 (as sqlite3).
// sqlite3 prints "%!.20g" (0.1 as 0.10000000000000000555): a deviation.
std::string JsonReal(double v) {
  assert(!std::isnan(v));  // Value invariant 2: a REAL is never NaN
  if (std::isinf(v)) return v > 0 ? "1e999" : "-1e999";
  char buf[64];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), v);
  assert(r.ec == std::errc());
  std::string text(buf, r.ptr);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

void WriteJsonValue(std::ostream& out, const sql::Value& value) {
  switch (value.type()) {
    case sql::Type::kNull:
      out << "null";
      break;
    case sql::Type::kInteger:
    case sql::Type::kBoolean:
      out << value.integer();
      break;
    case sql::Type::kReal:
      out << JsonReal(value.real());
      break;
    case sql::Type::kText:
      WriteJsonString(out, value.text());
      break;
    case sql::Type::kBlob: {
      // Lowercase hex: sqlite3 writes the raw bytes, which is not JSON.
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex;
      hex.reserve(value.blob().size() * 2);
      for (char ch : value.blob()) {
        const auto c = static_cast<unsigned char>(ch);
        hex += kHex[c >> 4];
        hex += kHex[c & 0xf];
      }
      WriteJsonString(out, hex);
      break;
    }
  }
}

// Width of `text` in UTF-8 code points.
size_t CodePoints(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A table cell as the lines it shows, as sqlite3 3.40 does: a tab becomes
// spaces to the next multiple of 8, any other control byte ends a line
// ("\r\n" counts as one), and a line break at the very end adds no line.
std::vector<std::string> CellLines(std::string_view text) {
  std::vector<std::string> lines;
  std::string line;
  size_t width = 0;
  size_t i = 0;
  for (;;) {
    if (i == text.size()) {
      lines.push_back(std::move(line));
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20) {
      line += text[i++];
      width += (c & 0xC0) != 0x80;
    } else if (c == '\t') {
      do {
        line += ' ';
        ++width;
      } while (width % 8 != 0);
      ++i;
    } else {
      lines.push_back(std::move(line));
      line.clear();
      width = 0;
      ++i;
      if (c == '\r' && i < text.size() && text[i] == '\n') ++i;
      if (i == text.size()) break;
    }
  }
  assert(!lines.empty());
  return lines;
}

// ---------------------------------------------------------------------------
// Result printing.

// Prints one statement's rows in the current mode. list, csv and json print
// each row as it comes; table needs every row for the column widths, so it
// prints in Finish().
class ResultPrinter {
 public:
  ResultPrinter(const sql::Statement& stmt, const ShellOptions& options,
                std::ostream& out)
      : options_(options), out_(out) {
    names_.reserve(stmt.column_count());
    for (size_t i = 0; i < stmt.column_count(); ++i)
      names_.push_back(stmt.column_name(i));
  }

  void AddRow(const sql::Row& row) {
    switch (options_.mode) {
      case OutputMode::kList:
        AddDelimitedRow(row, "|", "\n");
        break;
      case OutputMode::kCsv:
        AddDelimitedRow(row, ",", options_.csv_crlf ? "\r\n" : "\n");
        break;
      case OutputMode::kJson:
        AddJsonRow(row);
        break;
      case OutputMode::kTable: {
        std::vector<std::string> cells;
        cells.reserve(row.size());
        for (const sql::Value& v : row) cells.push_back(sql::ValueText(v));
        table_.push_back(std::move(cells));
        break;
      }
    }
    ++rows_;
  }

  // Ends the result; also after an error, for the rows that came before it.
  void Finish() {
    if (rows_ == 0) return;  // no header and no "[]" for an empty result
    if (options_.mode == OutputMode::kJson) out_ << "]\n";
    if (options_.mode == OutputMode::kTable) PrintTable();
  }

 private:
  void AddDelimitedRow(const sql::Row& row, std::string_view separator,
                       std::string_view row_end) {
    const bool csv = options_.mode == OutputMode::kCsv;
    if (rows_ == 0 && options_.headers) {
      for (size_t i = 0; i < names_.size(); ++i) {
        if (i > 0) out_ << separator;
        if (csv) {
          WriteCsvField(out_, names_[i], /*is_text=*/true);
        } else {
          out_ << names_[i];
        }
      }
      out_ << row_end;
    }
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out_ << separator;
      const sql::Value& v = row[i];
      if (csv) {
        const bool is_text =
            v.type() == sql::Type::kText || v.type() == sql::Type::kBlob;
        WriteCsvField(out_, sql::ValueText(v), is_text);
      } else {
        out_ << sql::ValueText(v);
      }
    }
    out_ << row_end;
  }

  void AddJsonRow(const sql::Row& row) {
    out_ << (rows_ == 0 ? "[{" : ",\n{");
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out_ << ',';
      WriteJsonString(out_, i < names_.size() ? names_[i] : std::string());
      out_ << ':';
      WriteJsonValue(out_, row[i]);
    }
    out_ << '}';
  }

  void PrintTable() {
    assert(!table_.empty());
    size_t columns = names_.size();
    for (const auto& cells : table_) columns = std::max(columns, cells.size());
    // Every cell as its display lines, and each column's width.
    using Lines = std::vector<std::string>;
    std::vector<Lines> header(columns);
    std::vector<std::vector<Lines>> body(table_.size(),
                                         std::vector<Lines>(columns));
    std::vector<size_t> widths(columns, 0);
    auto measure = [&widths](size_t column, const Lines& lines) {
      for (const std::string& line : lines)
        widths[column] = std::max(widths[column], CodePoints(line));
    };
    for (size_t c = 0; c < columns; ++c) {
      header[c] = CellLines(c < names_.size() ? names_[c] : std::string());
      measure(c, header[c]);
    }
    for (size_t r = 0; r < table_.size(); ++r) {
      for (size_t c = 0; c < columns; ++c) {
        body[r][c] =
            CellLines(c < table_[r].size() ? table_[r][c] : std::string());
        measure(c, body[r][c]);
      }
    }
    PrintBorder(widths);
    PrintRow(widths, header, /*centre=*/true);
    PrintBorder(widths);
    for (const auto& row : body) PrintRow(widths, row, /*centre=*/false);
    PrintBorder(widths);
  }

  void PrintBorder(const std::vector<size_t>& widths) {
    out_ << '+';
    for (size_t w : widths) out_ << std::string(w + 2, '-') << '+';
    out_ << '\n';
  }

  // One table row, as many lines as its tallest cell.
  void PrintRow(const std::vector<size_t>& widths,
                const std::vector<std::vector<std::string>>& cells,
                bool centre) {
    assert(cells.size() == widths.size());
    size_t height = 0;
    for (const auto& lines : cells) height = std::max(height, lines.size());
    for (size_t k = 0; k < height; ++k) {
      out_ << '|';
      for (size_t c = 0; c < cells.size(); ++c) {
        const std::string empty;
        const std::string& text = k < cells[c].size() ? cells[c][k] : empty;
        const size_t n = CodePoints(text);
        assert(n <= widths[c]);
        const size_t left = centre ? (widths[c] - n) / 2 : 0;
        const size_t right = widths[c] - n - left;
        out_ << ' ' << std::string(left, ' ') << text << std::string(right, ' ')
             << " |";
      }
      out_ << '\n';
    }
  }

  const ShellOptions& options_;
  std::ostream& out_;
  std::vector<std::string> names_;
  size_t rows_ = 0;
  std::vector<std::vector<std::string>> table_;  // table mode only
};

// `.timer`: wall clock and CPU time of one statement, printed as sqlite3
// does ("Run Time: real 0.001 user 0.000123 sys 0.000000").
class StatementTimer {
 public:
  StatementTimer() : start_(std::chrono::steady_clock::now()) {
    getrusage(RUSAGE_SELF, &usage_);
  }
  void Print(std::ostream& out) const {
    rusage end;
    getrusage(RUSAGE_SELF, &end);
    const double real =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
            .count();
    char text[128];
    std::snprintf(text, sizeof(text), "Run Time: real %.3f user %f sys %f\n",
                  real, Seconds(usage_.ru_utime, end.ru_utime),
                  Seconds(usage_.ru_stime, end.ru_stime));
    out << text;
  }

 private:
  static double Seconds(const timeval& from, const timeval& to) {
    return static_cast<double>(to.tv_sec - from.tv_sec) +
           static_cast<double>(to.tv_usec - from.tv_usec) * 1e-6;
  }
  std::chrono::steady_clock::time_point start_;
  rusage usage_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Shell.

Shell::Shell(sql::Session session, const ShellOptions& options,
             std::ostream& out, std::ostream& err)
    : session_(std::move(session)), options_(options), out_(out), err_(err) {}

int Shell::ExitStatus() const {
  if (exit_code_.has_value()) return *exit_code_;
  return failed_ ? 1 : 0;
}

void Shell::ReportError(const Status& status) {
  assert(!status.ok());
  out_.flush();  // keep stdout and stderr in order when they share a file
  err_ << "Error: " << status.message() << "\n";
  err_.flush();
  failed_ = true;
  if (options_.bail && !options_.interactive) stop_ = true;
}

bool Shell::RunScript(LineReader& reader) {
  std::string buffer;  // SQL read so far, waiting for its ';'
  sql::SourceLocation start;
  int line_no = 0;
  std::string line;
  while (!stop_ && reader.ReadLine(!buffer.empty(), &line)) {
    ++line_no;
    if (buffer.empty()) {
      // A statement boundary (invariant 1): skip blank and comment lines,
      // run dot commands.
      if (IsBlankOrComment(line)) continue;
      const size_t first = line.find_first_not_of(" \t\r\f\v");
      assert(first != std::string::npos);
      if (line[first] == '.') {
        Status s = RunDotCommand(std::string_view(line).substr(first));
        if (!s.ok()) ReportError(s);
        continue;
      }
      start = sql::SourceLocation{line_no, 1};
    }
    buffer += line;
    buffer += '\n';
    // Only a line with a ';' can complete a statement: this keeps a long
    // multi-line statement from being rescanned at every line.
    if (line.find(';') != std::string::npos && sql::IsComplete(buffer)) {
      RunSql(buffer, start);
      buffer.clear();
    }
  }
  // A last statement without its ';' runs too, as in sqlite3.
  if (!stop_ && !buffer.empty()) RunSql(buffer, start);
  return !stop_;
}

bool Shell::RunText(std::string_view text) {
  StringLineReader reader(text);
  return RunScript(reader);
}

bool Shell::RunFile(const std::string& path) {
  if (read_depth_ >= kReadDepthMax) {
    ReportError(Status::InvalidArgument("cannot open \"", path,
                                        "\": files nested more than ",
                                        kReadDepthMax, " deep"));
    return !stop_;
  }
  std::error_code ec;
  std::ifstream file;
  if (!std::filesystem::is_directory(path, ec)) file.open(path);
  if (!file.is_open()) {
    ReportError(Status::NotFound("cannot open \"", path, "\""));
    return !stop_;
  }
  StreamLineReader reader(file);
  ++read_depth_;
  RunScript(reader);
  --read_depth_;
  assert(read_depth_ >= 0);
  return !stop_;
}

void Shell::RunSql(std::string_view sql, sql::SourceLocation loc) {
  assert(loc.line >= 1);
  while (!sql.empty() && !stop_) {
    std::optional<StatementTimer> timer;
    if (options_.timer) timer.emplace();
    size_t tail = 0;
    Result<sql::Statement> stmt = session_.Prepare(sql, &tail, loc);
    if (stmt.ok() && !stmt->valid()) break;  // only blanks and comments left
    Status status = stmt.ok() ? RunStatement(*stmt) : stmt.status();
    if (timer.has_value()) timer->Print(out_);
    if (!status.ok()) ReportError(status);
    // After a compile error, go on past the statement's ';' if there is one.
    if (!stmt.ok() && tail == 0) tail = NextStatementEnd(sql);
    if (tail == 0 || tail > sql.size()) break;
    Advance(&loc, sql.substr(0, tail));
    sql.remove_prefix(tail);
  }
  if (options_.interactive) out_.flush();
}

Status Shell::RunStatement(sql::Statement& stmt) {
  assert(stmt.valid());
  ResultPrinter printer(stmt, options_, out_);
  for (;;) {
    Result<bool> more = stmt.Step();
    if (!more.ok()) {
      printer.Finish();
      return more.status();
    }
    if (!*more) break;
    printer.AddRow(stmt.row());
  }
  printer.Finish();
  return Status();
}

// Runs one statement that a dot command made, printing its rows.
Status Shell::RunQueryLine(std::string_view sql) {
  FORKDB_ASSIGN_OR_RETURN(sql::Statement stmt, session_.Prepare(sql));
  assert(stmt.valid());
  return RunStatement(stmt);
}

Result<std::vector<std::string>> Shell::FirstColumn(std::string_view sql) {
  FORKDB_ASSIGN_OR_RETURN(sql::Statement stmt, session_.Prepare(sql));
  assert(stmt.valid());
  std::vector<std::string> values;
  for (;;) {
    FORKDB_ASSIGN_OR_RETURN(bool more, stmt.Step());
    if (!more) break;
    if (stmt.row().empty())
      return Status::InvalidArgument(sql, ": a row with no columns");
    values.push_back(sql::ValueText(stmt.row()[0]));
  }
  return values;
}

Status Shell::SetMode(const std::vector<std::string>& args) {
  if (args.size() == 1) {
    out_ << "current output mode: " << ModeName(options_.mode) << "\n";
    return Status();
  }
  if (args.size() > 2)
    return Status::InvalidArgument("usage: .mode ?list|csv|json|table?");
  const std::string& mode = args[1];
  if (mode == "list") {
    options_.mode = OutputMode::kList;
  } else if (mode == "csv") {
    options_.mode = OutputMode::kCsv;
    options_.csv_crlf = true;  // as sqlite3's .mode csv (-csv keeps "\n")
  } else if (mode == "json") {
    options_.mode = OutputMode::kJson;
  } else if (mode == "table") {
    options_.mode = OutputMode::kTable;
  } else {
    return Status::InvalidArgument(
        ".mode: unknown mode \"", mode,
        "\": should be one of list, csv, json, table");
  }
  return Status();
}

Status Shell::PrintSchema(const std::vector<std::string>& args) {
  if (args.size() > 2) return Status::InvalidArgument("usage: .schema ?TABLE?");
  std::vector<std::string> tables;
  if (args.size() == 2) {
    tables.push_back(args[1]);
  } else {
    FORKDB_ASSIGN_OR_RETURN(tables, FirstColumn("SHOW TABLES"));
  }
  for (const std::string& table : tables) {
    FORKDB_ASSIGN_OR_RETURN(
        sql::Statement stmt,
        session_.Prepare("SHOW CREATE TABLE " + Identifier(table)));
    FORKDB_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row || stmt.row().empty())
      return Status::NotFound(".schema: no CREATE TABLE text for ", table);
    // The statement is the last column (SHOW CREATE TABLE may lead with the
    // table's name, as MySQL's does).
    std::string text = sql::ValueText(stmt.row().back());
    while (!text.empty() && IsSpace(text.back())) text.pop_back();
    if (text.empty() || text.back() != ';') text += ';';
    out_ << text << "\n";
  }
  return Status();
}

Status Shell::RunDotCommand(std::string_view line) {
  assert(!line.empty() && line[0] == '.');
  const std::vector<std::string> args = SplitArgs(line.substr(1));
  const std::string command = args.empty() ? std::string() : args[0];
  const size_t n = args.size();
  if (command == "help" && n == 1) {
    out_ << kDotHelp;
  } else if (command == "tables" && n == 1) {
    FORKDB_ASSIGN_OR_RETURN(std::vector<std::string> tables,
                            FirstColumn("SHOW TABLES"));
    for (const std::string& t : tables) out_ << t << "\n";
  } else if (command == "schema") {
    return PrintSchema(args);
  } else if (command == "mode") {
    return SetMode(args);
  } else if ((command == "headers" || command == "header") && n == 2) {
    FORKDB_ASSIGN_OR_RETURN(options_.headers, ParseOnOff(".headers", args[1]));
  } else if (command == "timer" && n == 2) {
    FORKDB_ASSIGN_OR_RETURN(options_.timer, ParseOnOff(".timer", args[1]));
  } else if (command == "forks" && n == 1) {
    return RunQueryLine("SHOW FORKS");
  } else if (command == "use" && n == 2) {
    return RunQueryLine("USE FORK " + Identifier(args[1]));
  } else if (command == "read" && n == 2) {
    RunFile(args[1]);  // reports its own errors
  } else if ((command == "quit" && n == 1) || (command == "exit" && n <= 2)) {
    if (n == 2) {
      int code = 0;
      const std::string& arg = args[1];
      const auto r = std::from_chars(arg.data(), arg.data() + arg.size(), code);
      if (r.ec != std::errc() || r.ptr != arg.data() + arg.size())
        return Status::InvalidArgument(".exit: not a number: \"", arg, "\"");
      exit_code_ = code;
    }
    stop_ = true;
  } else {
    static constexpr std::pair<const char*, const char*> kUsages[] = {
        {"help", ".help"},
        {"tables", ".tables"},
        {"headers", ".headers on|off"},
        {"header", ".headers on|off"},
        {"timer", ".timer on|off"},
        {"forks", ".forks"},
        {"use", ".use FORK"},
        {"read", ".read FILE"},
        {"quit", ".quit"},
        {"exit", ".exit ?CODE?"},
    };
    for (const auto& [name, usage] : kUsages) {
      if (command == name) return Status::InvalidArgument("usage: ", usage);
    }
    return Status::InvalidArgument("unknown command: \".", command,
                                   "\" (enter \".help\" for usage hints)");
  }
  return Status();
}

// ---------------------------------------------------------------------------
// The command line.

std::string Usage() {
  return std::string(
             "usage: forkdb [OPTIONS] [PATH]\n"
             "       forkdb check [--store-only] PATH\n"
             "       forkdb demo [MIB]\n"
             "\n"
             "The SQL shell opens the durable database at PATH (created if "
             "missing) or,\n"
             "without PATH, a new in-memory database, on fork main. It runs "
             "each -c and\n"
             "-f in order; without them it reads statements from stdin "
             "(with line\n"
             "editing and history in ~/.forkdb_history on a terminal). Exit "
             "status 1 if\n"
             "any statement failed.\n"
             "\n"
             "Options (one or two leading dashes):\n"
             "  -bail          stop at the first error\n"
             "  -c SQL         run SQL (repeatable); stdin is not read\n"
             "  -csv           output mode csv\n"
             "  -f FILE        run the statements of FILE (repeatable); stdin "
             "is not read\n"
             "  -header        show column names in list and csv modes\n"
             "  -json          output mode json\n"
             "  -list          output mode list, columns joined with '|' "
             "(the default)\n"
             "  -noheader      do not show column names (the default)\n"
             "  -table         output mode table\n"
             "  --help         this text\n"
             "  --version      the version\n"
             "\n"
             "Subcommands:\n"
             "  check PATH     integrity check of the durable database at "
             "PATH: walks\n"
             "                 every fork, base and snapshot root, recomputes\n"
             "                 reference counts, verifies checksums, then "
             "checks every\n"
             "                 fork's tables and indexes (B+tree order and "
             "fill, index\n"
             "                 entries equal to rows, no orphan pages); prints "
             "each\n"
             "                 problem; exit 1 if any. --store-only: the page "
             "store\n"
             "                 alone (blocks and counts), for a store that "
             "holds no\n"
             "                 tables\n"
             "  demo [MIB]     a tour of forks on an in-memory database of MIB "
             "MiB\n"
             "                 (default 64): fork cost, isolation, diff, "
             "space, check\n"
             "\n"
             "Dot commands (between statements, a line starting with '.'):\n") +
         kDotHelp;
}

int ShellMain(const std::vector<std::string>& args, std::istream& in,
              std::ostream& out, std::ostream& err, bool in_is_terminal) {
  ShellOptions options;
  std::string path;
  bool have_path = false;
  // -c and -f in command-line order: (is_file, text or path).
  std::vector<std::pair<bool, std::string>> sources;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      if (have_path) {
        err << "Error: unexpected argument: " << arg
            << "\nUse --help for a list of options.\n";
        return 1;
      }
      path = arg;
      have_path = true;
      continue;
    }
    std::string_view name(arg);
    name.remove_prefix(arg[1] == '-' ? 2 : 1);
    if (name == "header" || name == "headers") {
      options.headers = true;
    } else if (name == "noheader" || name == "noheaders") {
      options.headers = false;
    } else if (name == "list") {
      options.mode = OutputMode::kList;
    } else if (name == "csv") {
      options.mode = OutputMode::kCsv;
      options.csv_crlf = false;
    } else if (name == "json") {
      options.mode = OutputMode::kJson;
    } else if (name == "table") {
      options.mode = OutputMode::kTable;
    } else if (name == "bail") {
      options.bail = true;
    } else if (name == "c" || name == "f") {
      if (i + 1 == args.size()) {
        err << "Error: missing argument to " << arg
            << "\nUse --help for a list of options.\n";
        return 1;
      }
      sources.emplace_back(name == "f", args[++i]);
    } else if (name == "help" || name == "h") {
      out << Usage();
      return 0;
    } else if (name == "version") {
      out << kVersionText << "\n";
      return 0;
    } else {
      err << "Error: unknown option: " << arg
          << "\nUse --help for a list of options.\n";
      return 1;
    }
  }

  Result<engine::Database> db =
      have_path ? engine::Database::Open(path) : engine::Database::Open();
  if (!db.ok()) {
    err << "Error: unable to open database \"" << path
        << "\": " << db.status().message() << "\n";
    return 1;
  }
  options.interactive = sources.empty() && in_is_terminal;
  Shell shell(sql::Session(std::move(db).value()), options, out, err);
  if (!sources.empty()) {
    for (const auto& [is_file, text] : sources) {
      const bool go_on = is_file ? shell.RunFile(text) : shell.RunText(text);
      if (!go_on) break;
    }
  } else if (options.interactive) {
    out << kVersionText << "\n"
        << "Enter \".help\" for usage hints.\n";
    if (have_path) {
      out << "Connected to the durable database at " << path << ".\n";
    } else {
      out << "Connected to a transient in-memory database.\n";
    }
    EditLineReader reader(out);
    shell.RunScript(reader);
  } else {
    StreamLineReader reader(in);
    shell.RunScript(reader);
  }
  out.flush();
  return shell.ExitStatus();
}

}  // namespace forkdb::tools
