// Little helpers to encode fixed-width integers and strings into records.
// Every decoder checks bounds and reports false on short input: records are
// bytes from a backend and are never trusted.
#ifndef FORKDB_COW_CODING_H_
#define FORKDB_COW_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace forkdb::cow {

inline void PutFixed32(std::string* out, uint32_t v) {
  char buf[4];
  std::memcpy(buf, &v, 4);
  out->append(buf, 4);
}
inline void PutFixed64(std::string* out, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);
  out->append(buf, 8);
}
inline void PutBigEndian64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out->push_back(static_cast<char>(v >> (56 - 8 * i)));
}
inline void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutFixed32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// Consumes from the front of `in`; false if it is too short.
inline bool GetFixed32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  std::memcpy(v, in->data(), 4);
  in->remove_prefix(4);
  return true;
}
inline bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  std::memcpy(v, in->data(), 8);
  in->remove_prefix(8);
  return true;
}
inline bool GetBigEndian64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>((*in)[i]);
  *v = r;
  in->remove_prefix(8);
  return true;
}
inline bool GetLengthPrefixed(std::string_view* in, std::string* s) {
  uint32_t n;
  if (!GetFixed32(in, &n) || in->size() < n) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

}  // namespace forkdb::cow

#endif  // FORKDB_COW_CODING_H_
