// Errors as values: every fallible library call returns Status or Result<T>.
// The library never throws across its boundary and never aborts the host.
#pragma once

#pragma GCC visibility push(default)  // the public interface, exported from libcorridorkey.so

#include <string>
#include <utility>
#include <variant>

namespace ck {

enum class ErrorCode {
  kInvalidArgument,  // bad shape, dtype, option or value
  kUnsupported,      // an op or dtype this backend does not implement
  kIo,               // file missing, unreadable, unwritable
  kFormat,           // corrupt or malicious file content
  kOutOfMemory,
  kInternal,
  kNetwork,          // a server refused, failed or stalled (downloads)
  kCancelled,        // the caller asked for the work to stop (ShotJob::cancelled)
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::kInternal, {}};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// Builds a message from pieces: err(ErrorCode::kFormat, "tensor ", name, " has ", n, " bytes").
template <class... Parts>
Error err(ErrorCode code, const Parts&... parts);

}  // namespace ck

#include "corridorkey/status_format.hpp"

// Propagate an error from an expression returning Status or Result<T>.
#define CK_TRY(expr)                                   \
  do {                                                 \
    auto ck_try_result_ = (expr);                      \
    if (!ck_try_result_.ok()) return ck_try_result_.error(); \
  } while (0)

#define CK_CONCAT_INNER(a, b) a##b
#define CK_CONCAT(a, b) CK_CONCAT_INNER(a, b)
// Declare `lhs` from a Result<T>, returning its error if it failed.
#define CK_ASSIGN(lhs, expr) CK_ASSIGN_IMPL(CK_CONCAT(ck_assign_tmp_, __LINE__), lhs, expr)
#define CK_ASSIGN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                     \
  if (!tmp.ok()) return tmp.error();     \
  lhs = std::move(tmp).value()

#pragma GCC visibility pop
