// The engine's side of the binlog (DESIGN.md, "binlog"): where a fork's log
// lives, and how a transaction's changes become a record and back.
//
// A fork's log is a B+tree in the fork's own pages, its root in meta root
// slot kBinlogRootSlot, keyed by the 8-byte big-endian seq (binlog/log.h
// holds the layout). It is created by the fork's first commit that changes
// something, and it forks with the data.
//
// A record's events, built from a ChangeSet:
//   - a table map (kTableMap: table id, name, after = EncodeTableDef) before
//     the first row event of a table and again whenever its schema changed
//     since the last map in the record;
//   - a row event per RowChange: key = EncodeKey(key), before and after =
//     EncodeRow of the images by column id;
//   - a DDL event per SchemaChange: flags = its kind, table = object, before
//     and after = EncodeTableDef of the definitions ("" when absent),
//     statement = its text.
#ifndef FORKDB_ENGINE_BINLOG_TREE_H_
#define FORKDB_ENGINE_BINLOG_TREE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binlog/log.h"
#include "binlog/record.h"
#include "engine/btree.h"
#include "forkdb/database.h"

namespace forkdb::engine {

inline constexpr int kBinlogRootSlot = 1;

// binlog::Storage over the fork's binlog B+tree. Over a PageReader it only
// reads (and a fork without a log reads as empty); over a PageWriter it
// creates the tree on the first write.
class BinlogTree final : public binlog::Storage {
 public:
  explicit BinlogTree(PageReader* pages) : pages_(pages), writer_(nullptr) {}
  explicit BinlogTree(PageWriter* pages) : pages_(pages), writer_(pages) {}

  Result<std::optional<std::string>> Get(uint64_t key) override;
  Result<std::optional<std::pair<uint64_t, std::string>>> Seek(
      uint64_t key) override;
  Result<std::optional<uint64_t>> LastKey() override;
  Status Put(uint64_t key, std::string_view value) override;
  Status Delete(uint64_t key) override;

  // The tree's root page, 0 if the fork has no log.
  Result<PageNo> Root();

 private:
  PageReader* pages_;
  PageWriter* writer_;
  std::optional<PageNo> root_;
};

// The events of one transaction's changes; `defs[i]` is the definition for
// changes[i] when it is a RowChange (null for a SchemaChange).
std::vector<binlog::Event> BuildEvents(
    const std::vector<Change>& changes,
    const std::vector<std::shared_ptr<const TableDef>>& defs);

// A decoded record, for readers: the table maps resolved. `table_defs` holds
// the definition each row event was made under (null for DDL events).
struct DecodedRecord {
  BinlogEntry entry;
  std::vector<std::shared_ptr<const TableDef>> table_defs;
};
Result<DecodedRecord> DecodeEvents(const binlog::Record& record);

}  // namespace forkdb::engine

#endif  // FORKDB_ENGINE_BINLOG_TREE_H_
