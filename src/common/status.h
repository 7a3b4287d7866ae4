// Status and Result<T>: how every expected failure travels inside tracevault.
//
// A Status is a code plus a human-readable message. Codes are mapped to HTTP
// statuses in exactly one place (http/error_response.cc). No exceptions cross a
// module boundary; functions that can fail return Status or Result<T>.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace tv {

enum class StatusCode {
  kOk,
  kInvalidArgument,    // 400: the request is malformed or names bad values
  kUnauthenticated,    // 401: no valid credential
  kPermissionDenied,   // 403: valid credential, not allowed
  kNotFound,           // 404: absent, or belongs to another organization
  kMethodNotAllowed,   // 405: the path exists with other methods
  kAlreadyExists,      // 409: conflicts with existing state
  kPayloadTooLarge,    // 413
  kResourceExhausted,  // 429: limits, back off and retry
  kUnavailable,        // 503: dependency down or server draining
  kDeadlineExceeded,   // 504: the request ran past its deadline
  kInternal,           // 500: a bug or an unexpected environment failure
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status MakeStatus(StatusCode code, fmt::format_string<Args...> f, Args&&... args) {
  return Status(code, fmt::format(f, std::forward<Args>(args)...));
}

#define TV_DEFINE_STATUS_FACTORY(Name, Code)                                      \
  template <typename... Args>                                                     \
  Status Name(fmt::format_string<Args...> f, Args&&... args) {                    \
    return Status(StatusCode::Code, fmt::format(f, std::forward<Args>(args)...)); \
  }
TV_DEFINE_STATUS_FACTORY(InvalidArgument, kInvalidArgument)
TV_DEFINE_STATUS_FACTORY(Unauthenticated, kUnauthenticated)
TV_DEFINE_STATUS_FACTORY(PermissionDenied, kPermissionDenied)
TV_DEFINE_STATUS_FACTORY(NotFound, kNotFound)
TV_DEFINE_STATUS_FACTORY(MethodNotAllowed, kMethodNotAllowed)
TV_DEFINE_STATUS_FACTORY(AlreadyExists, kAlreadyExists)
TV_DEFINE_STATUS_FACTORY(PayloadTooLarge, kPayloadTooLarge)
TV_DEFINE_STATUS_FACTORY(ResourceExhausted, kResourceExhausted)
TV_DEFINE_STATUS_FACTORY(Unavailable, kUnavailable)
TV_DEFINE_STATUS_FACTORY(DeadlineExceeded, kDeadlineExceeded)
TV_DEFINE_STATUS_FACTORY(Internal, kInternal)
#undef TV_DEFINE_STATUS_FACTORY

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  Status TakeStatus() && { return ok() ? Status() : std::move(std::get<Status>(v_)); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline Status ToStatus(Status s) { return s; }
template <typename T>
Status ToStatus(Result<T>&& r) {
  return std::move(r).TakeStatus();
}
}  // namespace internal

}  // namespace tv

#define TV_CONCAT_INNER(a, b) a##b
#define TV_CONCAT(a, b) TV_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define TV_RETURN_IF_ERROR(expr)                                \
  do {                                                          \
    ::tv::Status tv_status_ = ::tv::internal::ToStatus((expr)); \
    if (!tv_status_.ok()) return tv_status_;                    \
  } while (0)

// TV_ASSIGN_OR_RETURN(auto x, Compute()); binds the value or returns the error.
#define TV_ASSIGN_OR_RETURN(lhs, expr) TV_ASSIGN_OR_RETURN_IMPL(TV_CONCAT(tv_result_, __LINE__), lhs, expr)
#define TV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)     \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).TakeStatus(); \
  lhs = std::move(tmp).value()
