// Binlog records: the row events of one committed transaction, framed and
// checksummed (DESIGN.md, "binlog").
//
// The binlog knows events, not tables: a row image, a key or a schema is
// bytes that the engine encoded and will decode. A record carries what an
// event needs to be applied and checked without reading the source: full row
// images, and a table-map event before the first row event of each table
// (and again after a schema change) that holds the table's schema.
//
// Invariants (tests/binlog/record_test.cc names a test after each):
//   1. DecodeRecord(EncodeRecord(r)) == r for every record.
//   2. Decoding trusts no byte: a flipped bit anywhere is Corruption (every
//      header and every event is covered by an xxHash3 checksum), and a short,
//      long or malformed input is Corruption, never a crash or a read past
//      the end.
//
// Record format, integers little-endian:
//
//   offset  size  meaning
//   0       4     magic "FBL1"
//   4       8     seq: the record's position in its fork's binlog
//   12      8     GTID origin: the id of the fork where it first committed
//   20      8     GTID sequence: its seq in the origin fork's binlog
//   28      8     commit time, microseconds since the Unix epoch
//   36      4     event count n
//   40      8     xxHash3 of bytes [0, 40)
//   48      ...   n events, each:
//                   4   body size m
//                   m   body (below)
//                   8   xxHash3 of the body
//
// Event body:
//
//   size  meaning
//   1     kind (EventKind)
//   4     flags: DDL events, the engine's schema change kind; else 0
//   8     table id (the source's; 0 for none)
//   4+n   table name (table map: the table; DDL: the object changed)
//   4+n   key (row events: the primary key, memcomparable)
//   4+n   before (update, delete: the row image; DDL: the schema before)
//   4+n   after (insert, update: the row image; table map and DDL: the
//         schema after)
//   4+n   statement (DDL: the statement's text)
//
// Thread safety: all functions are pure and thread-safe.
#ifndef FORKDB_BINLOG_RECORD_H_
#define FORKDB_BINLOG_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/status.h"

namespace forkdb::binlog {

// A transaction's global identity: the fork where it first committed and its
// seq there. A record replicated to another fork keeps its GTID, so a
// replicator can tell the events that originated in its target.
struct Gtid {
  uint64_t origin = 0;
  uint64_t seq = 0;
  bool operator==(const Gtid&) const = default;
};

enum class EventKind : uint8_t {
  kTableMap = 1,  // a table's schema, for the row events after it
  kInsert = 2,
  kUpdate = 3,
  kDelete = 4,
  kDdl = 5,
};

// The name SHOW BINLOG uses: "table_map", "insert", "update", "delete",
// "ddl".
std::string_view EventKindName(EventKind kind);

struct Event {
  EventKind kind = EventKind::kInsert;
  uint32_t flags = 0;
  uint64_t table_id = 0;
  std::string table;
  std::string key;
  std::string before;
  std::string after;
  std::string statement;
  bool operator==(const Event&) const = default;
};

// One committed transaction.
struct Record {
  uint64_t seq = 0;
  Gtid gtid;
  int64_t commit_unix_us = 0;
  std::vector<Event> events;
  bool operator==(const Record&) const = default;
};

inline constexpr size_t kRecordHeaderSize = 48;

// O(size).
std::string EncodeRecord(const Record& record);
// Corruption (naming the record's seq when the header is intact, and the
// event's index) for any damage. O(size).
Result<Record> DecodeRecord(std::string_view bytes);
// The header alone (seq, GTID, time, no events), checked. O(1).
Result<Record> DecodeRecordHeader(std::string_view bytes);

}  // namespace forkdb::binlog

#endif  // FORKDB_BINLOG_RECORD_H_
