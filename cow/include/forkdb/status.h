// Status and Result<T>: how every fallible forkdb call reports failure. No
// forkdb code throws; a call that may throw is wrapped where it is made and
// becomes a Status.
//
// Codes, and when to use each:
//   kNotFound        the named thing (fork, page, key, record) does not exist.
//   kInvalidArgument the caller asked for something malformed or forbidden (a
//   bad name,
//                    a name that exists, a block size that does not match the
//                    store).
//   kCorruption      stored bytes are wrong: checksum mismatch, bad format,
//   broken links. kIOError         the backend failed (RocksDB, the file
//   system). kBusy            the resource is in use (a fork with an open
//   writer, a fork in use). kAborted         the operation was abandoned and
//   nothing of it is visible. kNotSupported    valid, but not implemented by
//   this backend or build.
#ifndef FORKDB_STATUS_H_
#define FORKDB_STATUS_H_

#include <cassert>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace forkdb {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,
    kInvalidArgument,
    kCorruption,
    kIOError,
    kBusy,
    kAborted,
    kNotSupported,
  };

  Status() = default;  // OK

  template <typename... Args>
  static Status NotFound(Args&&... args) {
    return Make(Code::kNotFound, std::forward<Args>(args)...);
  }
  template <typename... Args>
  static Status InvalidArgument(Args&&... args) {
    return Make(Code::kInvalidArgument, std::forward<Args>(args)...);
  }
  template <typename... Args>
  static Status Corruption(Args&&... args) {
    return Make(Code::kCorruption, std::forward<Args>(args)...);
  }
  template <typename... Args>
  static Status IOError(Args&&... args) {
    return Make(Code::kIOError, std::forward<Args>(args)...);
  }
  template <typename... Args>
  static Status Busy(Args&&... args) {
    return Make(Code::kBusy, std::forward<Args>(args)...);
  }
  template <typename... Args>
  static Status Aborted(Args&&... args) {
    return Make(Code::kAborted, std::forward<Args>(args)...);
  }
  template <typename... Args>
  static Status NotSupported(Args&&... args) {
    return Make(Code::kNotSupported, std::forward<Args>(args)...);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsAborted() const { return code_ == Code::kAborted; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }

  // The message alone, without the code's name.
  const std::string& message() const;
  // "Corruption: block 17: checksum mismatch"; "OK" for success.
  std::string ToString() const;
  static const char* CodeName(Code code);

  // Drops the status on purpose; grep for it.
  void IgnoreError() const {}

  // Prefixes the message with context: "opening fork 'a': " + message.
  Status WithContext(std::string_view context) const;

 private:
  template <typename... Args>
  static Status Make(Code code, Args&&... args) {
    if constexpr (sizeof...(Args) == 1 &&
                  (std::is_convertible_v<Args, std::string_view> && ...)) {
      // One string: no stream (a miss on a hot path builds such statuses).
      return Status(code, std::string(std::string_view(args)...));
    } else {
      std::ostringstream out;
      (out << ... << args);
      return Status(code, out.str());
    }
  }
  Status(Code code, std::string message)
      : code_(code),
        message_(std::make_shared<std::string>(std::move(message))) {}

  Code code_ = Code::kOk;
  std::shared_ptr<const std::string>
      message_;  // null when ok; shared: cheap to copy
};

inline bool operator==(const Status& a, const Status& b) {
  return a.code() == b.code() && a.message() == b.message();
}

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  void IgnoreError() const {}

 private:
  std::variant<T, Status> v_;
};

}  // namespace forkdb

#define FORKDB_CONCAT_INNER_(a, b) a##b
#define FORKDB_CONCAT_(a, b) FORKDB_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if it is not ok.
#define FORKDB_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::forkdb::Status forkdb_status_ = (expr);        \
    if (!forkdb_status_.ok()) return forkdb_status_; \
  } while (0)

// FORKDB_ASSIGN_OR_RETURN(T x, Fallible()): declares x or returns the error.
#define FORKDB_ASSIGN_OR_RETURN(lhs, expr)                                     \
  FORKDB_ASSIGN_OR_RETURN_IMPL_(FORKDB_CONCAT_(forkdb_result_, __LINE__), lhs, \
                                expr)
#define FORKDB_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                  \
  if (!result.ok()) return result.status();              \
  lhs = std::move(result).value()

#endif  // FORKDB_STATUS_H_
