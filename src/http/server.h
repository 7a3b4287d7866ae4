// Server: HTTP/1.1 on Boost.Beast with Asio coroutines.
//
// Sockets are served by `io_threads` threads; handlers (the Pipeline) run on a
// separate pool of `worker_threads` so blocking work — SQLite commits, calls to
// the control plane — never stalls other connections. Beast and Asio are
// confined to server.cc and asio_impl.cc.
//
// Limits, each answered with a JSON error: bodies over max_body_bytes → 413;
// more than max_concurrent_requests handlers in flight, or buffered bodies past
// the memory budget → 429; a handler running past request_timeout → 504; a
// client too slow to send its request → 408. Keep-alive connections idle for
// keep_alive_timeout are closed. A client address with max_connections_per_client
// connections open has each further one answered 429 and closed. A request
// body framed by anything but a lone "chunked" Transfer-Encoding → 400, closed.
//
// Every response header goes through one check: a name that is not a token or
// a value with control bytes (CR, LF, NUL, ...) turns the response into a 500
// (logged) rather than reach the wire.
//
// A Response with `stream` set is sent with chunked transfer encoding: the head
// first, then each BodyWriter::Write() as one chunk as soon as the socket takes
// it (at most 1 MiB queued per response; the producer blocks beyond that). The
// producer runs on a worker thread and learns that the client left from a
// false Write().
//
// Shutdown() stops accepting, closes idle connections, lets in-flight requests
// finish (their responses carry "Connection: close") and returns from Run()
// once all are done or drain_timeout passes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/pipeline.h"

namespace tv::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;
  int io_threads = 2;
  int worker_threads = 8;
  int stream_threads = 64;  // producers of streamed bodies (mostly waiting on upstreams)
  uint64_t max_body_bytes = uint64_t{256} << 20;
  std::chrono::seconds keep_alive_timeout{65};
  std::chrono::seconds request_timeout{120};
  size_t max_concurrent_requests = 512;
  size_t max_connections_per_client = 256;  // open connections from one IP address
  uint64_t memory_budget_bytes = uint64_t{2} << 30;
  std::chrono::seconds drain_timeout{30};
  bool access_log = true;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Returns the bound port (the real one when port is 0).
  Result<uint16_t> Listen();

  // Serves until a graceful shutdown completes. SIGTERM and SIGINT start one.
  // REQUIRES: Listen() succeeded. `pipeline` outlives the call.
  void Run(const Pipeline& pipeline);

  // Starts a graceful shutdown. Safe to call from any thread.
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tv::http
