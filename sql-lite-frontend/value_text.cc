// ValueText: values as sqlite3 shows them (see forkdb/sql.h).
#include <cassert>
#include <cmath>
#include <cstdio>
#include <string>

#include "forkdb/sql.h"

namespace forkdb::sql {
namespace {

// SQLite's "%!.15g": 15 significant digits, and always a '.' so the text
// reads back as a REAL: 1.0, 0.3, 1.0e+20, Inf.
std::string RealText(double d) {
  if (std::isinf(d)) return d < 0 ? "-Inf" : "Inf";
  if (d == 0.0) return "0.0";  // also -0.0, as SQLite prints it
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.15g", d);
  std::string s(buf);
  if (s.find('.') != std::string::npos) return s;
  const size_t e = s.find('e');
  if (e == std::string::npos) return s + ".0";
  s.insert(e, ".0");
  return s;
}

}  // namespace

std::string ValueText(const Value& value) {
  switch (value.type()) {
    case Type::kNull:
      return "";
    case Type::kInteger:
    case Type::kBoolean:
      return std::to_string(value.integer());
    case Type::kReal:
      return RealText(value.real());
    case Type::kText:
    case Type::kBlob:
      return std::string(value.bytes());
  }
  assert(false && "unknown Type");
  return "";
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

}  // namespace forkdb::sql
