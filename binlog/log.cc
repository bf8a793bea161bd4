#include "binlog/log.h"

#include <algorithm>

#include "cow/coding.h"

namespace forkdb::binlog {

namespace {

constexpr uint64_t kMetaKey = 0;

Result<uint64_t> ReadFirst(Storage* storage) {
  FORKDB_ASSIGN_OR_RETURN(std::optional<std::string> meta,
                          storage->Get(kMetaKey));
  if (!meta.has_value()) return uint64_t{1};
  std::string_view in = *meta;
  uint64_t first = 0;
  if (!cow::GetFixed64(&in, &first) || !in.empty() || first == 0)
    return Status::Corruption("binlog meta: malformed (", meta->size(),
                              " bytes)");
  return first;
}

}  // namespace

Result<Log::Bounds> Log::GetBounds() {
  Bounds b;
  FORKDB_ASSIGN_OR_RETURN(b.first, ReadFirst(storage_));
  FORKDB_ASSIGN_OR_RETURN(std::optional<uint64_t> last, storage_->LastKey());
  b.next = b.first;
  if (last.has_value() && *last != kMetaKey) {
    if (*last < b.first)
      return Status::Corruption("binlog: record ", *last,
                                " below the first kept seq ", b.first);
    b.next = *last + 1;
  }
  return b;
}

Status Log::Append(Record* record) {
  FORKDB_ASSIGN_OR_RETURN(Bounds b, GetBounds());
  record->seq = b.next;
  if (record->gtid.seq == 0) record->gtid.seq = b.next;
  return storage_->Put(b.next, EncodeRecord(*record));
}

Result<Record> Log::Read(uint64_t seq) {
  if (seq == kMetaKey) return Status::NotFound("binlog: no record 0");
  FORKDB_ASSIGN_OR_RETURN(std::optional<std::string> bytes, storage_->Get(seq));
  if (!bytes.has_value()) return Status::NotFound("binlog: no record ", seq);
  FORKDB_ASSIGN_OR_RETURN(Record r, DecodeRecord(*bytes));
  if (r.seq != seq)
    return Status::Corruption("binlog: record at ", seq, " says seq ", r.seq);
  return r;
}

Result<std::vector<Record>> Log::ReadFrom(uint64_t seq, size_t max_records) {
  FORKDB_ASSIGN_OR_RETURN(Bounds b, GetBounds());
  if (seq < b.first && b.first > 1)
    return Status::NotFound("binlog: seq ", seq,
                            " was purged (first kept: ", b.first, ")");
  std::vector<Record> out;
  for (uint64_t s = std::max(seq, b.first);
       s < b.next && out.size() < max_records; ++s) {
    FORKDB_ASSIGN_OR_RETURN(Record r, Read(s));
    out.push_back(std::move(r));
  }
  return out;
}

Result<uint64_t> Log::Purge(uint64_t before) {
  FORKDB_ASSIGN_OR_RETURN(Bounds b, GetBounds());
  before = std::min(before, b.next);
  if (before <= b.first) return uint64_t{0};
  for (uint64_t s = b.first; s < before; ++s)
    FORKDB_RETURN_IF_ERROR(storage_->Delete(s));
  std::string meta;
  cow::PutFixed64(&meta, before);
  FORKDB_RETURN_IF_ERROR(storage_->Put(kMetaKey, meta));
  return before - b.first;
}

Status Log::Check() {
  FORKDB_ASSIGN_OR_RETURN(Bounds b, GetBounds());
  uint64_t expect = b.first;
  uint64_t key = kMetaKey + 1;
  for (;;) {
    FORKDB_ASSIGN_OR_RETURN(auto entry, storage_->Seek(key));
    if (!entry.has_value()) break;
    if (entry->first != expect)
      return Status::Corruption("binlog: record ", entry->first, " where ",
                                expect, " was expected");
    FORKDB_ASSIGN_OR_RETURN(Record r, DecodeRecord(entry->second));
    if (r.seq != entry->first)
      return Status::Corruption("binlog: record at ", entry->first,
                                " says seq ", r.seq);
    ++expect;
    key = entry->first + 1;
  }
  if (expect != b.next)
    return Status::Corruption("binlog: records end at ", expect, ", not ",
                              b.next);
  return Status();
}

}  // namespace forkdb::binlog
