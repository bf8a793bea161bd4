// Runs the `forkdb` command-line tool from a test. Its path comes from the
// build (FORKDB_TOOL_PATH, set in tests/cow/CMakeLists.txt), which also builds
// the tool before the tests.
#ifndef FORKDB_TESTS_COW_FORKDB_TOOL_H_
#define FORKDB_TESTS_COW_FORKDB_TOOL_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace forkdb::cow {

struct ToolRun {
  int exit_code = -1;  // 128 + signal if the tool was killed
  std::string output;  // stdout and stderr, interleaved
};

// `s` quoted for /bin/sh.
inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `forkdb <args>` (args already quoted) and waits for it.
inline ToolRun RunForkdbTool(const std::string& args) {
  ToolRun run;
  std::string command = ShellQuote(FORKDB_TOOL_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    run.output = "popen failed";
    return run;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0)
    run.output.append(buf, n);
  int status = pclose(pipe);
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.exit_code = 128 + WTERMSIG(status);
  }
  return run;
}

}  // namespace forkdb::cow

#endif  // FORKDB_TESTS_COW_FORKDB_TOOL_H_
