// Log: one fork's binlog, a sequence of records (binlog/record.h) numbered
// 1, 2, 3, ... and stored in the fork's own pages through a Storage that the
// engine provides (a B+tree keyed by seq). Because the records live in the
// fork's pages, they commit and abort with the data in the same cow
// transaction, and a fork inherits its parent's records up to the fork point
// without a copy: they are the same shared pages. The fork then appends its
// own records after them, numbered on from the parent's.
//
// A position is (fork, seq). Retention: Purge(before) removes the records
// below a position from one fork only (the parent's shared pages are not
// touched); the numbering goes on.
//
// Storage layout: key 0 holds the log's meta value, key seq the encoded
// record at seq.
//
//   meta value  offset  size  meaning
//               0       8     first: the lowest seq still kept (1 if never
//                             purged)
//
// Invariants (tests/binlog/log_test.cc):
//   1. Records are numbered without gaps: the kept records are exactly
//      [first, next), and each record's seq field equals its key.
//   2. next never decreases, purge included: a seq is never reused.
//
// Thread safety: a Log is used by one thread (it is bound to one cow
// transaction or snapshot). CommitSignal is thread-safe.
#ifndef FORKDB_BINLOG_LOG_H_
#define FORKDB_BINLOG_LOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binlog/record.h"
#include "forkdb/status.h"

namespace forkdb::binlog {

// An ordered map of u64 -> bytes in one fork's pages, read from a snapshot
// or read and written in a transaction.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual Result<std::optional<std::string>> Get(uint64_t key) = 0;
  // The first entry whose key is >= `key`, or nullopt.
  virtual Result<std::optional<std::pair<uint64_t, std::string>>> Seek(
      uint64_t key) = 0;
  // The largest key, or nullopt when empty.
  virtual Result<std::optional<uint64_t>> LastKey() = 0;
  // InvalidArgument on storage opened for reading.
  virtual Status Put(uint64_t key, std::string_view value) = 0;
  virtual Status Delete(uint64_t key) = 0;
};

class Log {
 public:
  explicit Log(Storage* storage) : storage_(storage) {}

  // Records [first, next) are kept. O(log records).
  struct Bounds {
    uint64_t first = 1;
    uint64_t next = 1;
    bool operator==(const Bounds&) const = default;
  };
  Result<Bounds> GetBounds();

  // Appends `record` at the next seq, which it stores in record->seq; a
  // record without a GTID (gtid.seq == 0) gets (gtid.origin, seq): the
  // caller sets the origin. O(log records + size).
  Status Append(Record* record);

  // The record at `seq`: NotFound if it was purged or is not written yet;
  // Corruption if its bytes are damaged or its seq field disagrees.
  Result<Record> Read(uint64_t seq);
  // Up to `max_records` records from `seq` on (fewer at the end; none if
  // seq >= next). NotFound if `seq` was purged. O(records read * log).
  Result<std::vector<Record>> ReadFrom(uint64_t seq, size_t max_records);

  // Removes the records below `before` (clamped to next); returns how many.
  // O(removed * log records).
  Result<uint64_t> Purge(uint64_t before);

  // Every kept record decodes and is numbered as invariant 1 says;
  // Corruption naming the first that is not. O(log size).
  Status Check();

 private:
  Storage* storage_;
};

// now + timeout, saturated: a timeout of milliseconds::max() waits forever
// rather than overflowing.
inline std::chrono::steady_clock::time_point DeadlineAfter(
    std::chrono::milliseconds timeout) {
  const auto now = std::chrono::steady_clock::now();
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::time_point::max() - now);
  return timeout >= room ? std::chrono::steady_clock::time_point::max()
                         : now + timeout;
}

// Wakes the tailers when a commit lands: a counter that commits bump and
// waiters watch. One per database; a waiter re-checks its own fork.
class CommitSignal {
 public:
  uint64_t generation() const {
    std::lock_guard<std::mutex> lock(mu_);
    return generation_;
  }
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++generation_;
    }
    cv_.notify_all();
  }
  // Waits until the generation differs from `seen` or the deadline passes;
  // true if it changed.
  bool WaitChange(uint64_t seen,
                  std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return generation_ != seen; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t generation_ = 0;
};

}  // namespace forkdb::binlog

#endif  // FORKDB_BINLOG_LOG_H_
