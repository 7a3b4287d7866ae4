#include "http/error_response.h"

#include <algorithm>
#include <string>

#include <boost/json/object.hpp>

namespace tv::http {
namespace {

std::string_view ErrorClassFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return "BadRequestError";
    case StatusCode::kUnauthenticated:
      return "UnauthorizedError";
    case StatusCode::kPermissionDenied:
      return "ForbiddenError";
    case StatusCode::kNotFound:
      return "NotFoundError";
    case StatusCode::kMethodNotAllowed:
      return "MethodNotAllowedError";
    case StatusCode::kAlreadyExists:
      return "ConflictError";
    case StatusCode::kPayloadTooLarge:
      return "PayloadTooLargeError";
    case StatusCode::kResourceExhausted:
      return "TooManyRequestsError";
    case StatusCode::kUnavailable:
      return "ServiceUnavailableError";
    case StatusCode::kDeadlineExceeded:
      return "GatewayTimeoutError";
    case StatusCode::kOk:
    case StatusCode::kInternal:
      break;
  }
  return "InternalServerError";
}

}  // namespace

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kMethodNotAllowed:
      return 405;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kPayloadTooLarge:
      return 413;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

Response ErrorResponse(const Status& status) {
  boost::json::object body;
  body["Code"] = ErrorClassFor(status.code());
  body["Message"] = status.message();
  Response r = Response::Json(HttpStatusFor(status.code()), body);
  if (status.code() == StatusCode::kUnauthenticated) r.headers.Set("WWW-Authenticate", "Bearer");
  if (status.code() == StatusCode::kResourceExhausted || status.code() == StatusCode::kUnavailable)
    r.headers.Set("Retry-After", std::to_string(RetryAfterOf(status).value_or(1)));
  return r;
}

namespace {
constexpr std::string_view kRetryPrefix = " (retry after ";
constexpr std::string_view kRetrySuffix = " s)";
}  // namespace

Status WithRetryAfter(const Status& status, std::chrono::milliseconds after) {
  int64_t seconds = std::max<int64_t>(1, (after.count() + 999) / 1000);
  return Status(status.code(), fmt::format("{}{}{}{}", status.message(), kRetryPrefix, seconds, kRetrySuffix));
}

std::optional<int64_t> RetryAfterOf(const Status& status) {
  std::string_view m = status.message();
  if (!m.ends_with(kRetrySuffix)) return std::nullopt;
  m.remove_suffix(kRetrySuffix.size());
  size_t at = m.rfind(kRetryPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view digits = m.substr(at + kRetryPrefix.size());
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace tv::http
