#include "binlog/record.h"

#include <xxhash.h>

#include <cstring>

#include "cow/coding.h"

namespace forkdb::binlog {

namespace {

constexpr char kMagic[4] = {'F', 'B', 'L', '1'};
constexpr uint8_t kMaxKind = static_cast<uint8_t>(EventKind::kDdl);

uint64_t Hash(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

// The checked header; *count is the event count, bounded by the input size.
Result<Record> DecodeHeader(std::string_view bytes, uint32_t* count);

}  // namespace

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kTableMap:
      return "table_map";
    case EventKind::kInsert:
      return "insert";
    case EventKind::kUpdate:
      return "update";
    case EventKind::kDelete:
      return "delete";
    case EventKind::kDdl:
      return "ddl";
  }
  return "unknown";
}

std::string EncodeRecord(const Record& record) {
  std::string out;
  out.append(kMagic, 4);
  cow::PutFixed64(&out, record.seq);
  cow::PutFixed64(&out, record.gtid.origin);
  cow::PutFixed64(&out, record.gtid.seq);
  cow::PutFixed64(&out, static_cast<uint64_t>(record.commit_unix_us));
  cow::PutFixed32(&out, static_cast<uint32_t>(record.events.size()));
  cow::PutFixed64(&out, Hash(out));
  std::string body;
  for (const Event& e : record.events) {
    body.clear();
    body.push_back(static_cast<char>(e.kind));
    cow::PutFixed32(&body, e.flags);
    cow::PutFixed64(&body, e.table_id);
    cow::PutLengthPrefixed(&body, e.table);
    cow::PutLengthPrefixed(&body, e.key);
    cow::PutLengthPrefixed(&body, e.before);
    cow::PutLengthPrefixed(&body, e.after);
    cow::PutLengthPrefixed(&body, e.statement);
    cow::PutFixed32(&out, static_cast<uint32_t>(body.size()));
    out += body;
    cow::PutFixed64(&out, Hash(body));
  }
  return out;
}

Result<Record> DecodeRecordHeader(std::string_view bytes) {
  uint32_t count = 0;
  return DecodeHeader(bytes, &count);
}

namespace {

Result<Record> DecodeHeader(std::string_view bytes, uint32_t* count_out) {
  if (bytes.size() < kRecordHeaderSize)
    return Status::Corruption("binlog record: ", bytes.size(),
                              " bytes, shorter than a header");
  if (std::memcmp(bytes.data(), kMagic, 4) != 0)
    return Status::Corruption("binlog record: bad magic");
  std::string_view in = bytes.substr(4);
  Record r;
  uint64_t time = 0, sum = 0;
  uint32_t count = 0;
  cow::GetFixed64(&in, &r.seq);
  cow::GetFixed64(&in, &r.gtid.origin);
  cow::GetFixed64(&in, &r.gtid.seq);
  cow::GetFixed64(&in, &time);
  cow::GetFixed32(&in, &count);
  cow::GetFixed64(&in, &sum);
  if (sum != Hash(bytes.substr(0, kRecordHeaderSize - 8)))
    return Status::Corruption("binlog record: header checksum mismatch");
  r.commit_unix_us = static_cast<int64_t>(time);
  // Each event takes at least 12 framing bytes: a count the input cannot
  // hold is damage, and must not size an allocation.
  if (count > (bytes.size() - kRecordHeaderSize) / 12)
    return Status::Corruption("binlog record ", r.seq, ": ", count,
                              " events do not fit in ", bytes.size(), " bytes");
  *count_out = count;
  return r;
}

}  // namespace

Result<Record> DecodeRecord(std::string_view bytes) {
  uint32_t count = 0;
  FORKDB_ASSIGN_OR_RETURN(Record r, DecodeHeader(bytes, &count));
  r.events.reserve(count);
  std::string_view in = bytes.substr(kRecordHeaderSize);
  for (uint32_t i = 0; i < count; ++i) {
    auto bad = [&](std::string_view what) {
      return Status::Corruption("binlog record ", r.seq, ", event ", i, ": ",
                                what);
    };
    uint32_t size = 0;
    if (!cow::GetFixed32(&in, &size) || in.size() < uint64_t{size} + 8)
      return bad("truncated");
    std::string_view body = in.substr(0, size);
    in.remove_prefix(size);
    uint64_t sum = 0;
    cow::GetFixed64(&in, &sum);
    if (sum != Hash(body)) return bad("checksum mismatch");
    Event e;
    if (body.empty() || static_cast<uint8_t>(body[0]) == 0 ||
        static_cast<uint8_t>(body[0]) > kMaxKind)
      return bad("bad event kind");
    e.kind = static_cast<EventKind>(body[0]);
    body.remove_prefix(1);
    if (!cow::GetFixed32(&body, &e.flags) ||
        !cow::GetFixed64(&body, &e.table_id) ||
        !cow::GetLengthPrefixed(&body, &e.table) ||
        !cow::GetLengthPrefixed(&body, &e.key) ||
        !cow::GetLengthPrefixed(&body, &e.before) ||
        !cow::GetLengthPrefixed(&body, &e.after) ||
        !cow::GetLengthPrefixed(&body, &e.statement) || !body.empty())
      return bad("malformed body");
    r.events.push_back(std::move(e));
  }
  if (!in.empty())
    return Status::Corruption("binlog record ", r.seq, ": ", in.size(),
                              " bytes after the last event");
  return r;
}

}  // namespace forkdb::binlog
