// Tests for binlog records (binlog/record.h): a test named after each
// invariant, the documented byte layout (checked against an encoder written
// here from the file comment), and damage of every kind: every single bit
// flipped, every truncation, trailing bytes, event counts the input cannot
// hold, and hand-framed events whose checksums are right but whose bodies
// are not.
#include "binlog/record.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forkdb::binlog {
namespace {

// Little-endian writers of the documented format, independent of
// cow/coding.h.
void Put32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void Put64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutString(std::string* out, std::string_view s) {
  Put32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}
uint64_t Hash(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

// The 48-byte header of the file comment, with `count` as given.
std::string Header(uint64_t seq, uint64_t origin, uint64_t gtid_seq,
                   uint64_t time, uint32_t count) {
  std::string out = "FBL1";
  Put64(&out, seq);
  Put64(&out, origin);
  Put64(&out, gtid_seq);
  Put64(&out, time);
  Put32(&out, count);
  Put64(&out, Hash(out));
  return out;
}

// An event body of the file comment.
std::string Body(uint8_t kind, uint32_t flags, uint64_t table_id,
                 std::string_view table, std::string_view key,
                 std::string_view before, std::string_view after,
                 std::string_view statement) {
  std::string out(1, static_cast<char>(kind));
  Put32(&out, flags);
  Put64(&out, table_id);
  PutString(&out, table);
  PutString(&out, key);
  PutString(&out, before);
  PutString(&out, after);
  PutString(&out, statement);
  return out;
}

// A framed event: size, body, checksum of the body.
std::string Frame(std::string_view body) {
  std::string out;
  Put32(&out, static_cast<uint32_t>(body.size()));
  out.append(body);
  Put64(&out, Hash(body));
  return out;
}

// The documented encoding of `r`, built here.
std::string Reference(const Record& r) {
  std::string out = Header(r.seq, r.gtid.origin, r.gtid.seq,
                           static_cast<uint64_t>(r.commit_unix_us),
                           static_cast<uint32_t>(r.events.size()));
  for (const Event& e : r.events) {
    out += Frame(Body(static_cast<uint8_t>(e.kind), e.flags, e.table_id,
                      e.table, e.key, e.before, e.after, e.statement));
  }
  return out;
}

Event MakeEvent(EventKind kind, uint32_t flags, uint64_t table_id,
                std::string table, std::string key, std::string before,
                std::string after, std::string statement) {
  Event e;
  e.kind = kind;
  e.flags = flags;
  e.table_id = table_id;
  e.table = std::move(table);
  e.key = std::move(key);
  e.before = std::move(before);
  e.after = std::move(after);
  e.statement = std::move(statement);
  return e;
}

Record MakeRecord(uint64_t seq, Gtid gtid, int64_t time,
                  std::vector<Event> events) {
  Record r;
  r.seq = seq;
  r.gtid = gtid;
  r.commit_unix_us = time;
  r.events = std::move(events);
  return r;
}

// A record with one event of each kind, some fields empty, some binary.
Record FewEvents() {
  using std::string_literals::operator""s;
  return MakeRecord(
      7, Gtid{3, 5}, 1700000000123456,
      {MakeEvent(EventKind::kTableMap, 0, 12, "t", "", "", "schema\0t"s, ""),
       MakeEvent(EventKind::kInsert, 0, 12, "", "\x01k\0"s, "", "row\xff"s, ""),
       MakeEvent(EventKind::kUpdate, 0, 12, "", "k2", "old", "new", ""),
       MakeEvent(EventKind::kDelete, 0, 12, "", "k3", "gone", "", ""),
       MakeEvent(EventKind::kDdl, 5, 12, "t", "", "def0", "def1",
                 "ALTER TABLE t ADD c INT")});
}

// Decodes `bytes`, which must be damaged: Corruption, never a value.
::testing::AssertionResult IsCorruption(std::string_view bytes) {
  Result<Record> r = DecodeRecord(bytes);
  if (r.ok())
    return ::testing::AssertionFailure()
           << "decoded " << r->events.size() << " events from damage";
  if (!r.status().IsCorruption())
    return ::testing::AssertionFailure() << r.status().ToString();
  return ::testing::AssertionSuccess();
}

TEST(RecordTest, Invariant1_RoundTripOfVariedRecords) {
  using std::string_literals::operator""s;
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  std::string large(1 << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i)
    large[i] = static_cast<char>(i * 131 + (i >> 9));
  std::vector<Record> records = {
      Record{},  // all zero, no events
      MakeRecord(1, Gtid{1, 1}, 0, {}),
      MakeRecord(UINT64_MAX, Gtid{UINT64_MAX, UINT64_MAX}, INT64_MIN, {}),
      MakeRecord(42, Gtid{9, 17}, -1, {}),
      MakeRecord(2, Gtid{1, 2}, INT64_MAX,
                 {MakeEvent(EventKind::kInsert, 0, 0, "", "", "", "", "")}),
      FewEvents(),
      MakeRecord(3, Gtid{4, 3}, 5,
                 {MakeEvent(EventKind::kTableMap, UINT32_MAX, UINT64_MAX,
                            binary, binary, binary, binary, binary),
                  MakeEvent(EventKind::kUpdate, 0, 1, "\0"s, "\0"s, "\0\0"s,
                            "\xff"s, "\0"s)}),
      MakeRecord(4, Gtid{1, 4}, 6,
                 {MakeEvent(EventKind::kUpdate, 0, 77, "", "key", large,
                            large + "x", ""),
                  MakeEvent(EventKind::kDdl, 2, 77, "big", "", "", large,
                            std::string(70000, 's'))}),
  };
  // Many small events.
  Record many = MakeRecord(5, Gtid{2, 5}, 7, {});
  for (int i = 0; i < 2000; ++i) {
    many.events.push_back(MakeEvent(
        static_cast<EventKind>(1 + i % 5), static_cast<uint32_t>(i), i,
        "t" + std::to_string(i % 3), std::to_string(i), "", "v", ""));
  }
  records.push_back(many);
  for (const Record& r : records) {
    const std::string bytes = EncodeRecord(r);
    // The documented layout, byte for byte.
    ASSERT_EQ(bytes, Reference(r)) << "seq " << r.seq;
    Result<Record> back = DecodeRecord(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(*back == r) << "seq " << r.seq;
    EXPECT_EQ(back->events.size(), r.events.size());
    // The header alone.
    Result<Record> head = DecodeRecordHeader(bytes);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(head->seq, r.seq);
    EXPECT_EQ(head->gtid, r.gtid);
    EXPECT_EQ(head->commit_unix_us, r.commit_unix_us);
    EXPECT_TRUE(head->events.empty());
  }
}

TEST(RecordTest, Invariant1_EveryKindAndFieldSurvives) {
  for (EventKind kind :
       {EventKind::kTableMap, EventKind::kInsert, EventKind::kUpdate,
        EventKind::kDelete, EventKind::kDdl}) {
    Record r =
        MakeRecord(11, Gtid{6, 2}, 123,
                   {MakeEvent(kind, 0xdeadbeef, 0x0102030405060708, "name",
                              "key", "before", "after", "stmt")});
    Result<Record> back = DecodeRecord(EncodeRecord(r));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(back->events.size(), 1u);
    const Event& e = back->events[0];
    EXPECT_EQ(e.kind, kind);
    EXPECT_EQ(e.flags, 0xdeadbeefu);
    EXPECT_EQ(e.table_id, 0x0102030405060708u);
    EXPECT_EQ(e.table, "name");
    EXPECT_EQ(e.key, "key");
    EXPECT_EQ(e.before, "before");
    EXPECT_EQ(e.after, "after");
    EXPECT_EQ(e.statement, "stmt");
    EXPECT_EQ(back->seq, 11u);
    EXPECT_EQ(back->gtid, (Gtid{6, 2}));
    EXPECT_EQ(back->commit_unix_us, 123);
  }
}

TEST(RecordTest, EventKindNames) {
  EXPECT_EQ(EventKindName(EventKind::kTableMap), "table_map");
  EXPECT_EQ(EventKindName(EventKind::kInsert), "insert");
  EXPECT_EQ(EventKindName(EventKind::kUpdate), "update");
  EXPECT_EQ(EventKindName(EventKind::kDelete), "delete");
  EXPECT_EQ(EventKindName(EventKind::kDdl), "ddl");
  EXPECT_EQ(EventKindName(static_cast<EventKind>(9)), "unknown");
}

TEST(RecordTest, HeaderLayout) {
  const std::string bytes = EncodeRecord(FewEvents());
  ASSERT_GE(bytes.size(), kRecordHeaderSize);
  EXPECT_EQ(kRecordHeaderSize, 48u);
  EXPECT_EQ(bytes.substr(0, 4), "FBL1");
  std::string expect = Header(7, 3, 5, 1700000000123456, 5);
  EXPECT_EQ(bytes.substr(0, 48), expect);
  // A record with no events is its header alone.
  EXPECT_EQ(EncodeRecord(MakeRecord(1, Gtid{2, 3}, 4, {})),
            Header(1, 2, 3, 4, 0));
}

TEST(RecordTest, Invariant2_EveryFlippedBitIsCorruption) {
  const Record r = FewEvents();
  const std::string bytes = EncodeRecord(r);
  ASSERT_TRUE(DecodeRecord(bytes).ok());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      ASSERT_TRUE(IsCorruption(damaged)) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(RecordTest, Invariant2_EveryFlippedHeaderBitFailsTheHeaderToo) {
  const std::string bytes = EncodeRecord(FewEvents());
  for (size_t i = 0; i < kRecordHeaderSize; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      Result<Record> head = DecodeRecordHeader(damaged);
      ASSERT_TRUE(head.status().IsCorruption())
          << "byte " << i << " bit " << bit << ": " << head.status().ToString();
    }
  }
  // Event bytes are not the header's business: it reads them not.
  std::string damaged = bytes;
  damaged[kRecordHeaderSize + 10] ^= 0x40;
  Result<Record> head = DecodeRecordHeader(damaged);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->seq, 7u);
  EXPECT_EQ(head->gtid, (Gtid{3, 5}));
}

TEST(RecordTest, Invariant2_EveryTruncationIsCorruption) {
  const std::string bytes = EncodeRecord(FewEvents());
  for (size_t n = 0; n < bytes.size(); ++n) {
    // A copy of exactly n bytes, so that ASan sees any read past the end.
    const std::string cut = bytes.substr(0, n);
    ASSERT_TRUE(IsCorruption(cut)) << "length " << n;
    Result<Record> head = DecodeRecordHeader(cut);
    if (n < kRecordHeaderSize) {
      EXPECT_TRUE(head.status().IsCorruption()) << "length " << n;
    }
  }
  // An empty record, truncated.
  const std::string empty = EncodeRecord(MakeRecord(1, Gtid{1, 1}, 1, {}));
  for (size_t n = 0; n < empty.size(); ++n)
    ASSERT_TRUE(IsCorruption(empty.substr(0, n))) << "length " << n;
}

TEST(RecordTest, Invariant2_TrailingBytesAreCorruption) {
  for (const Record& r : {FewEvents(), MakeRecord(1, Gtid{1, 1}, 1, {})}) {
    const std::string bytes = EncodeRecord(r);
    for (std::string tail :
         {std::string(1, '\0'), std::string("x"), std::string(11, '\0'),
          std::string(12, '\0'), std::string(100, '\xff')}) {
      Result<Record> back = DecodeRecord(bytes + tail);
      ASSERT_TRUE(back.status().IsCorruption())
          << tail.size() << ": " << back.status().ToString();
      EXPECT_NE(back.status().message().find(std::to_string(tail.size()) +
                                             " bytes after the last event"),
                std::string::npos)
          << back.status().ToString();
    }
    // A whole valid event appended: the count says otherwise.
    EXPECT_TRUE(
        IsCorruption(bytes + Frame(Body(2, 0, 1, "t", "k", "", "row", ""))));
  }
}

TEST(RecordTest, Invariant2_AbsurdEventCountsAreCorruption) {
  // Counts the input cannot hold (each event takes at least 12 bytes) are
  // refused before any allocation; the header's checksum is valid.
  const std::string one = Frame(Body(2, 0, 1, "t", "k", "", "row", ""));
  for (uint32_t count : {2u, 100u, 1u << 20, 0x7fffffffu, 0xffffffffu}) {
    const std::string bytes = Header(9, 1, 9, 0, count) + one;
    Result<Record> r = DecodeRecord(bytes);
    ASSERT_TRUE(r.status().IsCorruption()) << count;
    if (count > 2) {
      EXPECT_NE(r.status().message().find(std::to_string(count) +
                                          " events do not fit"),
                std::string::npos)
          << r.status().ToString();
      EXPECT_TRUE(DecodeRecordHeader(bytes).status().IsCorruption()) << count;
    }
  }
  // A count that fits the size but not the events: 12 zero bytes per
  // "event" frame an empty body whose checksum is not zero.
  EXPECT_TRUE(IsCorruption(Header(9, 1, 9, 0, 5) + std::string(60, '\0')));
  // Count 0 with an event after it.
  EXPECT_TRUE(IsCorruption(Header(9, 1, 9, 0, 0) + one));
  // The hand-built frame itself is valid.
  Result<Record> ok = DecodeRecord(Header(9, 1, 9, 0, 1) + one);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->events.size(), 1u);
  EXPECT_EQ(ok->events[0].after, "row");
}

TEST(RecordTest, Invariant2_MalformedFramesWithValidChecksums) {
  const std::string good = Body(3, 0, 1, "t", "k", "b", "a", "");
  auto decode_one = [](std::string_view body) {
    return DecodeRecord(Header(4, 1, 4, 0, 1) + Frame(body));
  };
  ASSERT_TRUE(decode_one(good).ok());
  // Bad kinds: 0, one past kDdl, 255.
  for (uint8_t kind : {0, 6, 255}) {
    std::string body = good;
    body[0] = static_cast<char>(kind);
    Result<Record> r = decode_one(body);
    ASSERT_TRUE(r.status().IsCorruption()) << int{kind};
    EXPECT_NE(r.status().message().find("bad event kind"), std::string::npos)
        << r.status().ToString();
  }
  // An empty body.
  EXPECT_TRUE(decode_one("").status().IsCorruption());
  // Every proper prefix of the body: a field runs out.
  for (size_t n = 1; n < good.size(); ++n) {
    Result<Record> r = decode_one(good.substr(0, n));
    ASSERT_TRUE(r.status().IsCorruption()) << n;
    EXPECT_NE(r.status().message().find("malformed body"), std::string::npos)
        << r.status().ToString();
  }
  // Bytes after the last field.
  EXPECT_TRUE(decode_one(good + "z").status().IsCorruption());
  // A length prefix larger than the body.
  std::string body(1, '\x02');
  Put32(&body, 0);
  Put64(&body, 1);
  Put32(&body, 0xffffffff);
  EXPECT_TRUE(decode_one(body).status().IsCorruption());
  // An event size beyond the input, up to the largest.
  for (uint32_t size : {100u, 0xfffffff0u, 0xfffffff8u, 0xffffffffu}) {
    std::string bytes = Header(4, 1, 4, 0, 1);
    Put32(&bytes, size);
    bytes += good;
    Put64(&bytes, Hash(good));
    Result<Record> r = DecodeRecord(bytes);
    ASSERT_TRUE(r.status().IsCorruption()) << size;
    EXPECT_NE(r.status().message().find("truncated"), std::string::npos)
        << r.status().ToString();
  }
}

TEST(RecordTest, Invariant2_CorruptionNamesTheSeqAndTheEvent) {
  const Record r = FewEvents();
  const std::string bytes = EncodeRecord(r);
  // Damage inside event 1's body: its offset is the header plus event 0's
  // frame, plus its own size field.
  const size_t event1 =
      kRecordHeaderSize +
      Frame(Body(1, 0, 12, "t", "", "", r.events[0].after, "")).size();
  std::string damaged = bytes;
  damaged[event1 + 4 + 20] ^= 0x01;
  Result<Record> back = DecodeRecord(damaged);
  ASSERT_TRUE(back.status().IsCorruption());
  EXPECT_EQ(back.status().message(),
            "binlog record 7, event 1: checksum mismatch");
  // Damage in the header: the seq is not to be trusted.
  damaged = bytes;
  damaged[5] ^= 0x01;
  back = DecodeRecord(damaged);
  ASSERT_TRUE(back.status().IsCorruption());
  EXPECT_EQ(back.status().message(), "binlog record: header checksum mismatch");
  damaged = bytes;
  damaged[0] = 'X';
  back = DecodeRecord(damaged);
  EXPECT_EQ(back.status().message(), "binlog record: bad magic");
}

TEST(RecordTest, DecodeRecordHeaderOnValidAndDamagedInput) {
  const std::string bytes = EncodeRecord(FewEvents());
  Result<Record> head = DecodeRecordHeader(bytes);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->seq, 7u);
  EXPECT_EQ(head->gtid, (Gtid{3, 5}));
  EXPECT_EQ(head->commit_unix_us, 1700000000123456);
  EXPECT_TRUE(head->events.empty());
  // The header alone of a record with events: the count cannot fit.
  EXPECT_TRUE(DecodeRecordHeader(bytes.substr(0, kRecordHeaderSize))
                  .status()
                  .IsCorruption());
  // A header of a record with no events is a whole record.
  Result<Record> empty = DecodeRecordHeader(Header(1, 2, 3, 4, 0));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->seq, 1u);
  EXPECT_EQ(empty->gtid, (Gtid{2, 3}));
  EXPECT_EQ(empty->commit_unix_us, 4);
  // Damaged: short, bad magic, checksum.
  EXPECT_TRUE(DecodeRecordHeader("").status().IsCorruption());
  EXPECT_TRUE(DecodeRecordHeader(bytes.substr(0, kRecordHeaderSize - 1))
                  .status()
                  .IsCorruption());
  std::string damaged = bytes;
  damaged[3] = '2';
  EXPECT_TRUE(DecodeRecordHeader(damaged).status().IsCorruption());
  damaged = bytes;
  damaged[kRecordHeaderSize - 1] ^= 0x80;
  EXPECT_TRUE(DecodeRecordHeader(damaged).status().IsCorruption());
}

}  // namespace
}  // namespace forkdb::binlog
