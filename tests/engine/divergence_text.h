// Text forms of divergence records and their parts, for the divergence
// tests' messages and set comparisons (divergence_test.cc,
// divergence_model_test.cc).
#ifndef FORKDB_TESTS_ENGINE_DIVERGENCE_TEXT_H_
#define FORKDB_TESTS_ENGINE_DIVERGENCE_TEXT_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/divergence.h"

namespace forkdb::engine::test {

inline uint32_t Fnv(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

// A value for messages and set comparison: long TEXT and BLOB values by
// size and hash.
inline std::string ValueText(const Value& v) {
  if ((v.type() == Type::kText || v.type() == Type::kBlob) &&
      v.bytes().size() > 24) {
    char hash[16];
    std::snprintf(hash, sizeof(hash), "%08x", Fnv(v.bytes()));
    return std::string(TypeName(v.type())) + "[" +
           std::to_string(v.bytes().size()) + " bytes #" + hash + "]";
  }
  return v.ToString();
}

inline std::string RowText(const Row& row) {
  std::string out = "(";
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ", ";
    out += ValueText(row[i]);
  }
  return out + ")";
}

inline std::string ImageText(const std::optional<Row>& row) {
  return row ? RowText(*row) : "-";
}

inline std::string NamesText(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i)
    out += (i > 0 ? "," : "") + names[i];
  return out + "]";
}

inline std::string SchemaText(const std::optional<TableDef>& def) {
  if (!def) return "-";
  std::string out = "{" + std::to_string(def->id) + ":" + def->name + " (";
  for (const ColumnDef& c : def->columns) {
    out += std::to_string(c.id) + ":" + c.name + " " + TypeName(c.type);
    if (c.not_null) out += " NOT NULL";
    if (c.default_value) out += " DEFAULT " + ValueText(*c.default_value);
    out += ", ";
  }
  out += ") pk[";
  for (uint32_t id : def->primary_key) out += std::to_string(id) + ",";
  out += "] root " + std::to_string(def->root) + " idx[";
  for (const IndexDef& i : def->indexes) {
    out += std::to_string(i.id) + ":" + i.name + (i.unique ? " unique" : "") +
           " (";
    for (uint32_t c : i.columns) out += std::to_string(c) + ",";
    out += ") root " + std::to_string(i.root) + "; ";
  }
  out += "] ncol " + std::to_string(def->next_column_id) + " nrow " +
         std::to_string(def->next_row_id) + " v" +
         std::to_string(def->schema_version) + "}";
  return out;
}

inline std::string RecordText(const DivergentRow& r) {
  std::string out =
      FoldName(r.table) + " " + std::string(DivergenceKindName(r.kind)) +
      " key" + NamesText(r.key_columns) + "=" + RowText(r.key) + " columns" +
      NamesText(r.columns) + " base " + ImageText(r.base) + " a " +
      ImageText(r.a) + " b " + ImageText(r.b);
  // The header defines the schemas of kSchema records only.
  if (r.kind == DivergenceKind::kSchema) {
    out += " schemas base " + SchemaText(r.base_schema) + " a " +
           SchemaText(r.a_schema) + " b " + SchemaText(r.b_schema);
  }
  return out;
}

// The header does not name the columns of an absent image, so a side's
// columns count only where that side has the row; nor does it say which
// side names the key of a Diff record: included only `with_key_columns`.
inline std::string RecordText(const DiffRow& r, bool with_key_columns = false) {
  std::string out =
      FoldName(r.table) + " " + std::string(DiffKindName(r.kind)) + " key" +
      (with_key_columns ? NamesText(r.key_columns) : "") + "=" + RowText(r.key);
  out += " a " + (r.a ? NamesText(r.a_columns) + RowText(*r.a) : "-");
  out += " b " + (r.b ? NamesText(r.b_columns) + RowText(*r.b) : "-");
  return out;
}

}  // namespace forkdb::engine::test

#endif  // FORKDB_TESTS_ENGINE_DIVERGENCE_TEXT_H_
