#include "http/error_response.h"

#include <boost/json/object.hpp>

namespace tv::http {
namespace {

std::string_view ErrorClassFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return "BadRequestError";
    case StatusCode::kUnauthenticated: return "UnauthorizedError";
    case StatusCode::kPermissionDenied: return "ForbiddenError";
    case StatusCode::kNotFound: return "NotFoundError";
    case StatusCode::kMethodNotAllowed: return "MethodNotAllowedError";
    case StatusCode::kAlreadyExists: return "ConflictError";
    case StatusCode::kPayloadTooLarge: return "PayloadTooLargeError";
    case StatusCode::kResourceExhausted: return "TooManyRequestsError";
    case StatusCode::kUnavailable: return "ServiceUnavailableError";
    case StatusCode::kDeadlineExceeded: return "GatewayTimeoutError";
    case StatusCode::kOk:
    case StatusCode::kInternal: break;
  }
  return "InternalServerError";
}

}  // namespace

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kMethodNotAllowed: return 405;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kPayloadTooLarge: return 413;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

Response ErrorResponse(const Status& status) {
  boost::json::object body;
  body["Code"] = ErrorClassFor(status.code());
  body["Message"] = status.message();
  Response r = Response::Json(HttpStatusFor(status.code()), body);
  if (status.code() == StatusCode::kUnauthenticated)
    r.headers.Set("WWW-Authenticate", "Bearer");
  if (status.code() == StatusCode::kResourceExhausted || status.code() == StatusCode::kUnavailable)
    r.headers.Set("Retry-After", "1");
  return r;
}

}  // namespace tv::http
