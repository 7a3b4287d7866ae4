// A small blocking HTTP client on libcurl, for calls between tracevault
// processes (the data plane asking the control plane) and for proxying.
//
// Each thread keeps one curl handle, so connections are reused per thread.
// Transport failures (refused, reset, timeout) come back as Unavailable; any
// HTTP status, 4xx and 5xx included, is a successful ClientResponse.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "http/message.h"

namespace tv::http {

struct ClientRequest {
  Method method = Method::kGet;
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{15000};
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

Result<ClientResponse> Fetch(const ClientRequest& req);

// Must be called once before threads start (curl_global_init is not thread-safe).
void InitHttpClient();

}  // namespace tv::http
