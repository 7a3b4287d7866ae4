// A small blocking HTTP client on libcurl. Data-plane code calls other
// services through http::OutboundClient (outbound.h), which adds the rate
// limit, retries and metrics on top of Transfer(); Fetch() is for tools and
// tests that need none of that.
//
// Connections are reused per thread (a small per-thread pool of curl handles,
// so a hook may itself make a request). Transport failures (refused, reset,
// timeout) are failures; any HTTP status, 4xx and 5xx included, is a response.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"

namespace tv::http {

struct ClientRequest {
  Method method = Method::kGet;
  std::string url;
  Headers headers;
  std::string body;
  // The whole transfer, head to last body byte; 0 means no limit.
  std::chrono::milliseconds timeout{15000};
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

// Transport failures, `Unavailable`; any HTTP status is a ClientResponse.
Result<ClientResponse> Fetch(const ClientRequest& req);

// --- Streamed transfers -------------------------------------------------------

struct TransferOptions {
  std::chrono::milliseconds connect_timeout{5000};
  // Abort when no byte (head or body) arrives for this long; 0: no idle limit.
  // Checked about once a second, so it fires within a second of being due.
  std::chrono::milliseconds idle_timeout{0};
};

enum class TransferFailure {
  kNone,
  kConnect,    // the server was never reached (name, refused, connect timeout): nothing was sent
  kTimeout,    // ClientRequest::timeout passed
  kIdle,       // idle_timeout passed without a byte
  kTransport,  // any other transport error (reset, TLS, malformed response)
  kAborted,    // a hook returned false
};

struct TransferResult {
  int status = 0;  // the final response's HTTP status; 0 when no head arrived
  TransferFailure failure = TransferFailure::kNone;
  std::string error;  // what went wrong, when failure != kNone
};

// Called once with the final response head (1xx heads are skipped), before any body.
using HeadHook = std::function<bool(int status, const Headers& headers)>;
// Called per received piece of the body, in order.
using BodyHook = std::function<bool(std::string_view bytes)>;

// One attempt, no retries. A hook returning false aborts the transfer
// (failure kAborted). Hooks run on the calling thread.
TransferResult Transfer(const ClientRequest& req, const TransferOptions& options, const HeadHook& on_head,
                        const BodyHook& on_body);

std::string_view TransferFailureName(TransferFailure f);

// Must be called once before threads start (curl_global_init is not thread-safe).
void InitHttpClient();

}  // namespace tv::http
