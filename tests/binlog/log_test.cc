// Tests for binlog::Log (binlog/log.h) over an in-memory Storage written
// here: numbering and GTIDs, reads across the bounds, purging (partial,
// everything, beyond the end, twice) with the numbering going on, a test
// named after each invariant, Check() on damage done behind the log's back,
// and CommitSignal across threads.
#include "binlog/log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "binlog/record.h"

namespace forkdb::binlog {
namespace {

// An ordered map in memory; `read_only` refuses writes as a snapshot's
// storage does.
class MapStorage final : public Storage {
 public:
  Result<std::optional<std::string>> Get(uint64_t key) override {
    auto it = map.find(key);
    if (it == map.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<std::optional<std::pair<uint64_t, std::string>>> Seek(
      uint64_t key) override {
    using Entry = std::optional<std::pair<uint64_t, std::string>>;
    auto it = map.lower_bound(key);
    if (it == map.end()) return Entry();
    return Entry(*it);
  }
  Result<std::optional<uint64_t>> LastKey() override {
    if (map.empty()) return std::optional<uint64_t>();
    return std::optional<uint64_t>(map.rbegin()->first);
  }
  Status Put(uint64_t key, std::string_view value) override {
    if (read_only) return Status::InvalidArgument("read only");
    map[key] = std::string(value);
    return Status();
  }
  Status Delete(uint64_t key) override {
    if (read_only) return Status::InvalidArgument("read only");
    if (map.erase(key) == 0) return Status::NotFound("no key ", key);
    return Status();
  }

  std::map<uint64_t, std::string> map;
  bool read_only = false;
};

#define LOG_ASSERT_OK(expr)                                  \
  do {                                                       \
    auto log_s_ = (expr);                                    \
    ASSERT_TRUE(log_s_.ok()) << StatusOf(log_s_).ToString(); \
  } while (0)

Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

Record MakeRecord(Gtid gtid, std::string payload) {
  Record r;
  r.gtid = gtid;
  r.commit_unix_us = 1000;
  Event e;
  e.kind = EventKind::kInsert;
  e.table_id = 1;
  e.key = "k";
  e.after = std::move(payload);
  r.events.push_back(std::move(e));
  return r;
}

std::vector<uint64_t> Seqs(const std::vector<Record>& records) {
  std::vector<uint64_t> out;
  for (const Record& r : records) out.push_back(r.seq);
  return out;
}

std::vector<uint64_t> Keys(const MapStorage& s) {
  std::vector<uint64_t> out;
  for (const auto& [k, v] : s.map) out.push_back(k);
  return out;
}

std::string Meta(uint64_t first) {
  std::string out;
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>(first >> (8 * i)));
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  // Appends n records with payloads "p<seq>", origin 1, no GTID seq.
  void AppendN(int n) {
    for (int i = 0; i < n; ++i) {
      Record r = MakeRecord(Gtid{1, 0}, "");
      ReadNext();
      r.events[0].after = "p" + std::to_string(next_);
      LOG_ASSERT_OK(log.Append(&r));
      ASSERT_EQ(r.seq, next_);
      ++next_;
    }
  }
  // next_ = the log's next seq.
  void ReadNext() {
    Result<Log::Bounds> b = log.GetBounds();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    next_ = b->next;
  }
  Log::Bounds Bounds() {
    Result<Log::Bounds> b = log.GetBounds();
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? *b : Log::Bounds{0, 0};
  }

  MapStorage storage;
  Log log{&storage};
  uint64_t next_ = 1;
};

TEST_F(LogTest, EmptyLog) {
  EXPECT_EQ(Bounds(), (Log::Bounds{1, 1}));
  Result<std::vector<Record>> all = log.ReadFrom(1, 10);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(log.Read(1).status().IsNotFound());
  EXPECT_TRUE(log.Read(0).status().IsNotFound());
  Result<uint64_t> purged = log.Purge(10);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 0u);
  EXPECT_TRUE(storage.map.empty());  // nothing written, not even the meta
  LOG_ASSERT_OK(log.Check());
}

TEST_F(LogTest, AppendNumbersFromOneAndFillsGtidSeqOnlyWhenZero) {
  Record a = MakeRecord(Gtid{5, 0}, "a");
  LOG_ASSERT_OK(log.Append(&a));
  EXPECT_EQ(a.seq, 1u);
  EXPECT_EQ(a.gtid, (Gtid{5, 1}));
  // A replicated record keeps its GTID.
  Record b = MakeRecord(Gtid{9, 42}, "b");
  LOG_ASSERT_OK(log.Append(&b));
  EXPECT_EQ(b.seq, 2u);
  EXPECT_EQ(b.gtid, (Gtid{9, 42}));
  // A seq set by the caller is overwritten.
  Record c = MakeRecord(Gtid{5, 0}, "c");
  c.seq = 77;
  LOG_ASSERT_OK(log.Append(&c));
  EXPECT_EQ(c.seq, 3u);
  EXPECT_EQ(c.gtid, (Gtid{5, 3}));
  EXPECT_EQ(Bounds(), (Log::Bounds{1, 4}));
  // Stored under its seq, as encoded (no meta key before a purge).
  EXPECT_EQ(Keys(storage), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(storage.map[1], EncodeRecord(a));
  EXPECT_EQ(storage.map[2], EncodeRecord(b));
  EXPECT_EQ(storage.map[3], EncodeRecord(c));
  Result<Record> read = log.Read(2);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(*read == b);
  EXPECT_EQ(read->events[0].after, "b");
}

TEST_F(LogTest, AppendOnReadOnlyStorageFails) {
  AppendN(1);
  storage.read_only = true;
  Record r = MakeRecord(Gtid{1, 0}, "x");
  EXPECT_TRUE(log.Append(&r).IsInvalidArgument());
  EXPECT_TRUE(log.Purge(2).status().IsInvalidArgument());
  storage.read_only = false;
  EXPECT_EQ(Bounds(), (Log::Bounds{1, 2}));
}

TEST_F(LogTest, ReadFromAcrossBoundsAndMax) {
  AppendN(5);
  auto read = [&](uint64_t seq, size_t max) -> std::vector<uint64_t> {
    Result<std::vector<Record>> r = log.ReadFrom(seq, max);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Seqs(*r) : std::vector<uint64_t>{999};
  };
  EXPECT_EQ(read(1, 100), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(read(0, 100), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(read(1, 2), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(read(3, 2), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(read(4, 5), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(read(5, 1), (std::vector<uint64_t>{5}));
  EXPECT_EQ(read(2, 0), (std::vector<uint64_t>{}));
  EXPECT_EQ(read(6, 10), (std::vector<uint64_t>{}));
  EXPECT_EQ(read(UINT64_MAX, 10), (std::vector<uint64_t>{}));
  Result<std::vector<Record>> r = log.ReadFrom(2, 3);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].events[0].after, "p2");
  EXPECT_EQ((*r)[2].events[0].after, "p4");
  EXPECT_EQ((*r)[1].gtid, (Gtid{1, 3}));
}

TEST_F(LogTest, PurgePartialAllBeyondAndTwice) {
  AppendN(5);
  // Partial.
  Result<uint64_t> n = log.Purge(3);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(Bounds(), (Log::Bounds{3, 6}));
  EXPECT_EQ(Keys(storage), (std::vector<uint64_t>{0, 3, 4, 5}));
  EXPECT_EQ(storage.map[0], Meta(3));
  EXPECT_TRUE(log.Read(1).status().IsNotFound());
  EXPECT_TRUE(log.Read(2).status().IsNotFound());
  EXPECT_TRUE(log.ReadFrom(1, 10).status().IsNotFound());
  EXPECT_TRUE(log.ReadFrom(2, 10).status().IsNotFound());
  Result<std::vector<Record>> r = log.ReadFrom(3, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Seqs(*r), (std::vector<uint64_t>{3, 4, 5}));
  LOG_ASSERT_OK(log.Check());
  // Twice, and below first: nothing.
  n = log.Purge(3);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  n = log.Purge(1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  n = log.Purge(0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(Bounds(), (Log::Bounds{3, 6}));
  // Up to next exactly.
  n = log.Purge(5);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(Bounds(), (Log::Bounds{5, 6}));
  // Beyond next: clamped.
  n = log.Purge(1000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(Bounds(), (Log::Bounds{6, 6}));
  EXPECT_EQ(Keys(storage), (std::vector<uint64_t>{0}));
  EXPECT_EQ(storage.map[0], Meta(6));
  n = log.Purge(UINT64_MAX);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(log.ReadFrom(5, 10).status().IsNotFound());
  r = log.ReadFrom(6, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  LOG_ASSERT_OK(log.Check());
}

TEST_F(LogTest, PurgeEverythingAtOnce) {
  AppendN(4);
  Result<uint64_t> n = log.Purge(5);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(Bounds(), (Log::Bounds{5, 5}));
  LOG_ASSERT_OK(log.Check());
}

TEST_F(LogTest, Invariant2_NumberingContinuesAfterPurgingEverything) {
  AppendN(3);
  Result<uint64_t> n = log.Purge(100);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(Bounds(), (Log::Bounds{4, 4}));
  Record r = MakeRecord(Gtid{2, 0}, "after");
  LOG_ASSERT_OK(log.Append(&r));
  EXPECT_EQ(r.seq, 4u);  // not 1: a seq is never reused
  EXPECT_EQ(r.gtid, (Gtid{2, 4}));
  EXPECT_EQ(Bounds(), (Log::Bounds{4, 5}));
  Result<std::vector<Record>> all = log.ReadFrom(4, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Seqs(*all), (std::vector<uint64_t>{4}));
  EXPECT_TRUE(log.ReadFrom(3, 10).status().IsNotFound());
  // Next never went down through all of it.
  uint64_t last_next = Bounds().next;
  for (int i = 0; i < 10; ++i) {
    if (i % 3 == 0) {
      ASSERT_TRUE(log.Purge(Bounds().next).ok());
    } else {
      AppendN(1);
    }
    const uint64_t next = Bounds().next;
    EXPECT_GE(next, last_next);
    last_next = next;
  }
  EXPECT_EQ(last_next, 5u + 6u);
  LOG_ASSERT_OK(log.Check());
}

TEST_F(LogTest, Invariant1_KeptRecordsAreExactlyFirstToNext) {
  AppendN(8);
  ASSERT_TRUE(log.Purge(4).ok());
  AppendN(2);
  const Log::Bounds b = Bounds();
  EXPECT_EQ(b, (Log::Bounds{4, 11}));
  std::vector<uint64_t> want = {0};
  for (uint64_t s = b.first; s < b.next; ++s) want.push_back(s);
  EXPECT_EQ(Keys(storage), want);
  for (uint64_t s = b.first; s < b.next; ++s) {
    Result<Record> r = DecodeRecord(storage.map[s]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->seq, s);
    EXPECT_EQ(r->events[0].after, "p" + std::to_string(s));
  }
  LOG_ASSERT_OK(log.Check());
}

TEST_F(LogTest, Invariant1_CheckCatchesAGap) {
  AppendN(4);
  storage.map.erase(2);
  Status s = log.Check();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "binlog: record 3 where 2 was expected");
  EXPECT_TRUE(log.Read(2).status().IsNotFound());
  // The first record missing.
  storage.map.clear();
  next_ = 1;
  AppendN(3);
  storage.map.erase(1);
  s = log.Check();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "binlog: record 2 where 1 was expected");
}

TEST_F(LogTest, Invariant1_CheckCatchesARecordBelowFirst) {
  AppendN(4);
  const std::string one = storage.map[1];
  ASSERT_TRUE(log.Purge(3).ok());
  storage.map[1] = one;  // a purge that left one behind
  Status s = log.Check();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "binlog: record 1 where 3 was expected");
  // Only records below first: the bounds themselves are damaged.
  storage.map.erase(3);
  storage.map.erase(4);
  EXPECT_TRUE(log.GetBounds().status().IsCorruption());
  EXPECT_TRUE(log.Check().IsCorruption());
}

TEST_F(LogTest, Invariant1_CheckCatchesASeqThatDisagreesWithItsKey) {
  AppendN(3);
  Record wrong = MakeRecord(Gtid{1, 2}, "p2");
  wrong.seq = 9;
  storage.map[2] = EncodeRecord(wrong);
  Status s = log.Check();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "binlog: record at 2 says seq 9");
  Result<Record> r = log.Read(2);
  ASSERT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_EQ(r.status().message(), "binlog: record at 2 says seq 9");
  EXPECT_TRUE(log.ReadFrom(1, 10).status().IsCorruption());
  // Records on either side still read.
  EXPECT_TRUE(log.Read(1).ok());
  EXPECT_TRUE(log.Read(3).ok());
}

TEST_F(LogTest, Invariant1_CheckCatchesDamagedBytes) {
  AppendN(3);
  const std::string good = storage.map[2];
  for (size_t i = 0; i < good.size(); i += 7) {
    storage.map[2] = good;
    storage.map[2][i] ^= 0x10;
    Status s = log.Check();
    ASSERT_TRUE(s.IsCorruption()) << "byte " << i << ": " << s.ToString();
    EXPECT_TRUE(log.Read(2).status().IsCorruption()) << i;
    EXPECT_TRUE(log.ReadFrom(2, 1).status().IsCorruption()) << i;
  }
  storage.map[2] = good.substr(0, good.size() - 1);
  EXPECT_TRUE(log.Check().IsCorruption());
  storage.map[2] = "";
  EXPECT_TRUE(log.Check().IsCorruption());
  storage.map[2] = good;
  LOG_ASSERT_OK(log.Check());
}

TEST_F(LogTest, MalformedMetaIsCorruption) {
  AppendN(2);
  for (std::string meta :
       {std::string(), std::string(7, '\x01'), Meta(1) + "x", Meta(0)}) {
    storage.map[0] = meta;
    EXPECT_TRUE(log.GetBounds().status().IsCorruption()) << meta.size();
    EXPECT_TRUE(log.Check().IsCorruption()) << meta.size();
    Record r = MakeRecord(Gtid{1, 0}, "x");
    EXPECT_TRUE(log.Append(&r).IsCorruption()) << meta.size();
    EXPECT_TRUE(log.ReadFrom(1, 1).status().IsCorruption()) << meta.size();
    EXPECT_TRUE(log.Purge(2).status().IsCorruption()) << meta.size();
  }
  // The meta a never-purged log would write is as good as none.
  storage.map[0] = Meta(1);
  EXPECT_EQ(Bounds(), (Log::Bounds{1, 3}));
  LOG_ASSERT_OK(log.Check());
}

TEST(CommitSignalTest, WakesAWaiterOnAnotherThread) {
  CommitSignal signal;
  EXPECT_EQ(signal.generation(), 0u);
  const uint64_t seen = signal.generation();
  std::atomic<bool> waiting{false};
  std::atomic<int> result{-1};
  auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    waiting = true;
    result = signal.WaitChange(seen, std::chrono::steady_clock::now() +
                                         std::chrono::seconds(30))
                 ? 1
                 : 0;
  });
  while (!waiting) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  signal.Notify();
  waiter.join();
  EXPECT_EQ(result.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(signal.generation(), 1u);
  signal.Notify();
  EXPECT_EQ(signal.generation(), 2u);
}

TEST(CommitSignalTest, TimesOutWithoutANotify) {
  CommitSignal signal;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(signal.WaitChange(signal.generation(),
                                 start + std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(50));
  EXPECT_EQ(signal.generation(), 0u);
  // A generation already past `seen` returns at once, even with a deadline
  // in the past.
  signal.Notify();
  EXPECT_TRUE(signal.WaitChange(
      0, std::chrono::steady_clock::now() - std::chrono::seconds(1)));
  EXPECT_FALSE(signal.WaitChange(1, std::chrono::steady_clock::now()));
}

}  // namespace
}  // namespace forkdb::binlog
