// The child side of the crash tests (tests/cow/crash_test.cc, tests/engine/
// crash_test.cc): a forked child writes a durable store and acknowledges each
// operation through a pipe once it returned; the parent kills it at a random
// moment and checks that every acknowledged operation survived.
#ifndef FORKDB_TESTS_COW_CRASH_CHILD_H_
#define FORKDB_TESTS_COW_CRASH_CHILD_H_

#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include "forkdb/status.h"

namespace forkdb::cow {

// The acknowledgement a child sends after its last operation.
inline constexpr uint64_t kAckDone = ~uint64_t{0};
// Hang guard only (never a timing assertion): a child that acknowledges
// nothing for this long is stuck.
inline constexpr int kChildSilenceMaxMs = 60000;

// In the child: no gtest, no exceptions; it ends only by _exit or SIGKILL.
[[noreturn]] inline void ChildDie(const std::string& what, const Status& s) {
  std::string message =
      "crash test child: " + what + ": " + s.ToString() + "\n";
  ssize_t ignored = write(STDERR_FILENO, message.data(), message.size());
  (void)ignored;
  _exit(3);
}

inline void ChildAck(int fd, uint64_t n) {
  const char* p = reinterpret_cast<const char*>(&n);
  size_t left = sizeof(n);
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(4);
    p += w;
    left -= static_cast<size_t>(w);
  }
}

// A forked child and the read end of its acknowledgement pipe. Kills and reaps
// the child if the test leaves early.
class Child {
 public:
  // Runs body(ack_fd) in a forked child, which then _exits.
  explicit Child(const std::function<void(int ack_fd)>& body) {
    int fds[2];
    if (pipe(fds) != 0) return;
    std::cout.flush();
    std::cerr.flush();
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      body(fds[1]);
      _exit(0);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) Kill();
    if (fd_ >= 0) close(fd_);
  }
  bool started() const { return pid_ > 0 && fd_ >= 0; }

  // Waits for the next acknowledgement: its number, or nullopt once the pipe
  // is closed (the child died) or the child stayed silent too long.
  std::optional<uint64_t> NextAck(bool* hung) {
    uint64_t n;
    char* p = reinterpret_cast<char*>(&n);
    size_t got = 0;
    while (got < sizeof(n)) {
      pollfd pfd{fd_, POLLIN, 0};
      int ready = poll(&pfd, 1, kChildSilenceMaxMs);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        *hung = true;
        return std::nullopt;
      }
      ssize_t r = read(fd_, p + got, sizeof(n) - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return n;
  }

  // SIGKILL and reap; returns the wait status.
  int Kill() {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace forkdb::cow

#endif  // FORKDB_TESTS_COW_CRASH_CHILD_H_
