// The forkdb SQL shell (SQL.md, "The shell"): reads SQL and dot commands from
// scripts, -c strings, files or a terminal, runs the SQL on a sql::Session and
// prints results the way `sqlite3 -batch` 3.40 does. The class takes its
// streams as arguments so that it runs the same on a terminal and in tests.
//
// Invariants:
//   1. A dot command is recognised only at a statement boundary, when no SQL
//      is waiting for its ';'.
//   2. Error positions count lines and columns of the whole input source (one
//      stdin, one -c string, one file): each piece of a multi-statement buffer
//      is prepared with the location where it starts.
//   3. Every statement or dot command that fails prints exactly one line
//      "Error: ..." on the error stream and sets failed(); with bail set
//      (outside interactive mode) nothing runs after it.
#ifndef FORKDB_TOOLS_SHELL_H_
#define FORKDB_TOOLS_SHELL_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/sql.h"
#include "forkdb/status.h"

namespace forkdb::tools {

// How result rows are printed (`.mode`).
enum class OutputMode { kList, kCsv, kJson, kTable };

struct ShellOptions {
  OutputMode mode = OutputMode::kList;
  // csv rows end in "\r\n" after `.mode csv`, "\n" after -csv (as sqlite3).
  bool csv_crlf = false;
  bool headers = false;  // list and csv modes; table always has them
  bool bail = false;     // stop at the first error (ignored interactively)
  bool timer = false;
  bool interactive = false;
};

// A source of input lines.
class LineReader {
 public:
  virtual ~LineReader() = default;
  // Stores the next line, without its line ending, in *line; false at the
  // end of the input. `continuation` is true while a statement waits for
  // more lines (a terminal shows the continuation prompt).
  virtual bool ReadLine(bool continuation, std::string* line) = 0;
};

// One shell: a session, its output settings and its error count. Used by one
// thread at a time.
class Shell {
 public:
  // A shell over `session`; results go to `out`, error lines to `err`.
  Shell(sql::Session session, const ShellOptions& options, std::ostream& out,
        std::ostream& err);

  // Runs every line of `reader` as a script. Returns false when the shell
  // must stop: `.quit`, `.exit`, or an error under bail.
  bool RunScript(LineReader& reader);
  // The same for a string (-c) and for a file (-f, `.read`). A file that
  // cannot be opened is an error like a failed statement.
  bool RunText(std::string_view text);
  bool RunFile(const std::string& path);

  // True once any statement or dot command failed.
  bool failed() const { return failed_; }
  // The process exit status: the code of `.exit CODE`, else 1 if anything
  // failed, else 0.
  int ExitStatus() const;

 private:
  // Runs a buffer of complete statements that starts at `start`.
  void RunSql(std::string_view sql, sql::SourceLocation start);
  // Runs one prepared statement and prints its rows; the statement's error.
  Status RunStatement(sql::Statement& stmt);
  // Runs a dot command line; the command's error.
  Status RunDotCommand(std::string_view line);
  Status RunQueryLine(std::string_view sql);
  Result<std::vector<std::string>> FirstColumn(std::string_view sql);
  Status SetMode(const std::vector<std::string>& args);
  Status PrintSchema(const std::vector<std::string>& args);
  // Prints "Error: ..." and records the failure (invariant 3).
  void ReportError(const Status& status);
  // True when nothing more may run.
  bool Stopped() const { return stop_; }

  sql::Session session_;
  ShellOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  bool failed_ = false;
  bool stop_ = false;
  std::optional<int> exit_code_;
  int read_depth_ = 0;  // nested .read and -f files
};

// The usage text of `forkdb --help`: every option, subcommand and dot
// command.
std::string Usage();

// The `forkdb [OPTIONS] [PATH]` command line (the check and demo subcommands
// are handled before it): parses `args` (without the program name), opens the
// database, runs -c and -f sources in order, or else `in` (the interactive
// loop with line editing when `in_is_terminal`). Returns the exit status.
int ShellMain(const std::vector<std::string>& args, std::istream& in,
              std::ostream& out, std::ostream& err, bool in_is_terminal);

}  // namespace forkdb::tools

#endif  // FORKDB_TOOLS_SHELL_H_
