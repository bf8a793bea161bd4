// Row codec: see engine/row_codec.h for the format and the invariants cited
// here.
#include "engine/row_codec.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <utility>

namespace forkdb::engine {
namespace {

enum class Tag : uint8_t {
  kNull = 0,
  kInteger = 1,
  kReal = 2,
  kText = 3,
  kBlob = 4,
  kFalse = 5,
  kTrue = 6,
  // 7 is reserved.
};
constexpr int kTagBits = 3;
constexpr uint64_t kTagMask = (uint64_t{1} << kTagBits) - 1;
constexpr uint64_t kHeadMax = (uint64_t{UINT32_MAX} << kTagBits) | kTagMask;
constexpr size_t kVarint64BytesMax = 10;
static_assert(static_cast<uint64_t>(Tag::kTrue) <= kTagMask);

void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

void PutField(std::string* out, uint64_t delta, const Value& v) {
  assert(delta <= UINT32_MAX);
  assert(v.IsWellFormed());
  auto head = [&](Tag tag) {
    PutVarint64(out, (delta << kTagBits) | static_cast<uint64_t>(tag));
  };
  switch (v.type()) {
    case Type::kNull:
      head(Tag::kNull);
      return;
    case Type::kInteger:
      head(Tag::kInteger);
      PutVarint64(out, ZigZag(v.integer()));
      return;
    case Type::kReal: {
      head(Tag::kReal);
      uint64_t bits = std::bit_cast<uint64_t>(v.real());
      for (int i = 0; i < 8; ++i, bits >>= 8)
        out->push_back(static_cast<char>(bits & 0xff));
      return;
    }
    case Type::kText:
    case Type::kBlob:
      head(v.type() == Type::kText ? Tag::kText : Tag::kBlob);
      PutVarint64(out, v.bytes().size());
      out->append(v.bytes());
      return;
    case Type::kBoolean:
      head(v.boolean() ? Tag::kTrue : Tag::kFalse);
      return;
  }
  assert(false && "unknown Type");
}

// Reads fields from a row; every read is bounds-checked (invariant 4).
class RowReader {
 public:
  explicit RowReader(std::string_view row) : row_(row) {}

  // Reads the field count; the first call to make.
  Result<uint64_t> Start() {
    uint64_t count = 0;
    FORKDB_RETURN_IF_ERROR(GetVarint(&count, "field count"));
    // Each field takes at least one byte: this bounds what callers reserve.
    if (count > row_.size() - pos_)
      return Error(0, "field count ", count, " exceeds the ",
                   row_.size() - pos_, " bytes that follow");
    return count;
  }

  Result<ColumnValue> Next() {
    const size_t start = pos_;
    uint64_t head = 0;
    FORKDB_RETURN_IF_ERROR(GetVarint(&head, "field head"));
    if (head > kHeadMax) return Error(start, "field head ", head, " too large");
    const uint64_t id = next_id_ + (head >> kTagBits);
    if (id > UINT32_MAX)
      return Error(start, "column id ", id, " exceeds 32 bits");
    next_id_ = id + 1;
    ColumnValue field;
    field.column_id = static_cast<ColumnId>(id);
    switch (static_cast<Tag>(head & kTagMask)) {
      case Tag::kNull:
        break;
      case Tag::kInteger: {
        uint64_t zigzag = 0;
        FORKDB_RETURN_IF_ERROR(GetVarint(&zigzag, "INTEGER"));
        field.value = Value::Integer(UnZigZag(zigzag));
        break;
      }
      case Tag::kReal: {
        if (row_.size() - pos_ < 8) return Error(start, "REAL is truncated");
        uint64_t bits = 0;
        for (int i = 7; i >= 0; --i)
          bits = (bits << 8) | static_cast<uint8_t>(row_[pos_ + i]);
        pos_ += 8;
        const auto d = std::bit_cast<double>(bits);
        // value.h, invariant 2: an encoder never writes NaN.
        if (std::isnan(d)) return Error(start, "REAL is NaN");
        field.value = Value::Real(d);
        break;
      }
      case Tag::kText:
      case Tag::kBlob: {
        uint64_t size = 0;
        FORKDB_RETURN_IF_ERROR(GetVarint(&size, "length"));
        if (size > row_.size() - pos_)
          return Error(start, "length ", size, " exceeds the ",
                       row_.size() - pos_, " bytes that follow");
        std::string bytes(row_.substr(pos_, size));
        pos_ += size;
        field.value = (head & kTagMask) == static_cast<uint64_t>(Tag::kText)
                          ? Value::Text(std::move(bytes))
                          : Value::Blob(std::move(bytes));
        break;
      }
      case Tag::kFalse:
        field.value = Value::Boolean(false);
        break;
      case Tag::kTrue:
        field.value = Value::Boolean(true);
        break;
      default:
        return Error(start, "reserved tag ", head & kTagMask);
    }
    assert(pos_ <= row_.size());
    assert(field.value.IsWellFormed());
    return field;
  }

  // Invariant 4: nothing may follow the last field.
  Status Finish() const {
    if (pos_ != row_.size())
      return Error(pos_, row_.size() - pos_, " bytes follow the last field");
    return Status();
  }

 private:
  template <typename... Args>
  Status Error(size_t offset, Args&&... args) const {
    return Status::Corruption("row of ", row_.size(), " bytes, byte ", offset,
                              ": ", std::forward<Args>(args)...);
  }

  // A canonical LEB128 varint (invariant 4: no overlong form).
  Status GetVarint(uint64_t* v, const char* what) {
    const size_t start = pos_;
    uint64_t result = 0;
    for (size_t i = 0; i < kVarint64BytesMax; ++i) {
      if (pos_ == row_.size()) return Error(start, what, " is truncated");
      const auto byte = static_cast<uint8_t>(row_[pos_++]);
      // The tenth byte holds only bit 63, and so it cannot say "more" either.
      if (i == kVarint64BytesMax - 1 && byte > 1)
        return Error(start, what, " overflows 64 bits");
      result |= uint64_t{byte & 0x7fu} << (7 * i);
      if ((byte & 0x80) == 0) {
        if (byte == 0 && i > 0)
          return Error(start, what, " varint is not canonical");
        *v = result;
        return Status();
      }
    }
    assert(false && "the tenth byte always ends a varint");
    return Error(start, what, " overflows 64 bits");
  }

  std::string_view row_;
  size_t pos_ = 0;
  uint64_t next_id_ = 0;  // the least id the next field may have
};

}  // namespace

std::string EncodeRow(std::span<const ColumnValue> columns) {
  // Invariant 1: fields go out in ascending id order.
  std::vector<const ColumnValue*> sorted;
  sorted.reserve(columns.size());
  for (const ColumnValue& c : columns) sorted.push_back(&c);
  auto by_id = [](const ColumnValue* a, const ColumnValue* b) {
    return a->column_id < b->column_id;
  };
  if (!std::is_sorted(sorted.begin(), sorted.end(), by_id))
    std::sort(sorted.begin(), sorted.end(), by_id);

  std::string out;
  PutVarint64(&out, columns.size());
  uint64_t next_id = 0;  // the least id the next field may have
  for (const ColumnValue* c : sorted) {
    assert(c->column_id >= next_id && "duplicate column id");
    PutField(&out, c->column_id - next_id, c->value);
    next_id = uint64_t{c->column_id} + 1;
  }
  return out;
}

Result<std::vector<ColumnValue>> DecodeRow(std::string_view row) {
  RowReader reader(row);
  FORKDB_ASSIGN_OR_RETURN(uint64_t count, reader.Start());
  std::vector<ColumnValue> columns;
  columns.reserve(count);  // bounded by row.size() (invariant 4)
  for (uint64_t i = 0; i < count; ++i) {
    FORKDB_ASSIGN_OR_RETURN(ColumnValue c, reader.Next());
    assert(columns.empty() || columns.back().column_id < c.column_id);
    columns.push_back(std::move(c));
  }
  FORKDB_RETURN_IF_ERROR(reader.Finish());
  return columns;
}

Result<std::vector<std::optional<Value>>> DecodeRowColumns(
    std::string_view row, std::span<const ColumnId> column_ids) {
  // The wanted ids in ascending order, each with where its answer goes, so
  // one pass over the row's ascending fields serves them all.
  std::vector<std::pair<ColumnId, size_t>> wanted;
  wanted.reserve(column_ids.size());
  for (size_t i = 0; i < column_ids.size(); ++i)
    wanted.emplace_back(column_ids[i], i);
  std::sort(wanted.begin(), wanted.end());

  std::vector<std::optional<Value>> values(column_ids.size());
  RowReader reader(row);
  FORKDB_ASSIGN_OR_RETURN(uint64_t count, reader.Start());
  size_t w = 0;
  for (uint64_t i = 0; i < count; ++i) {
    FORKDB_ASSIGN_OR_RETURN(ColumnValue c, reader.Next());
    while (w < wanted.size() && wanted[w].first < c.column_id) ++w;
    // An id asked for twice gets the value twice.
    for (size_t k = w; k < wanted.size() && wanted[k].first == c.column_id; ++k)
      values[wanted[k].second] = c.value;
  }
  FORKDB_RETURN_IF_ERROR(reader.Finish());
  return values;
}

}  // namespace forkdb::engine
