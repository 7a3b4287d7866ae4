#include "http/server.h"

#include <atomic>
#include <deque>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "common/mutex.h"
#include "common/strings.h"
#include "http/error_response.h"
#include "http/memory_budget.h"

namespace tv::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr size_t kHeaderLimit = 64 * 1024;

// A connection. Its fields are touched only on the connection's strand.
struct Conn {
  Conn(tcp::socket s, std::string ip) : stream(std::move(s)), client_ip(std::move(ip)) {}
  beast::tcp_stream stream;
  const std::string client_ip;  // what the per-client connection cap counts by
  bool idle = true;             // waiting for the next request's first byte
};

// Hand-off between the connection strand and a worker thread.
struct Dispatch {
  explicit Dispatch(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<Response> response;  // set on the strand
  bool finished = false;             // strand only
};

// Hand-off of a streamed body from the producer (a worker thread) to the
// connection strand. The producer blocks while more than kMaxQueued bytes wait;
// the strand is woken by cancelling `timer`, always from the strand itself, and
// checks the queue before every wait, so no wake-up is lost.
class StreamChannel : public BodyWriter, public std::enable_shared_from_this<StreamChannel> {
 public:
  static constexpr size_t kMaxQueued = size_t{1} << 20;

  explicit StreamChannel(asio::any_io_executor strand) : timer(strand) {}

  // Blocks while the queue is full: never with mu_ held.
  bool Write(std::string_view bytes) override EXCLUDES(mu_) {
    if (bytes.empty()) return !Closed();
    {
      MutexLock lock(mu_);
      while (!closed_ && queued_ >= kMaxQueued) room_.Wait(mu_);
      if (closed_) return false;
      queued_ += bytes.size();
      queue_.emplace_back(bytes);
    }
    Wake();
    return true;
  }

  void SetHead(int status, const Headers& headers) override {
    MutexLock lock(mu_);
    if (head_taken_) return;  // too late: the head is on the wire
    status_ = status;
    for (const auto& [k, v] : headers) head_headers_.Set(k, v);
  }

  // Strand only, once: the producer's status (0: keep the handler's) and headers.
  std::pair<int, Headers> TakeHead() {
    MutexLock lock(mu_);
    head_taken_ = true;
    return {status_, head_headers_};
  }

  // The producer returned (`ok`: normally; false: it threw).
  void Finish(bool ok) {
    {
      MutexLock lock(mu_);
      finished_ = true;
      failed_ = !ok;
    }
    Wake();
  }

  bool failed() {
    MutexLock lock(mu_);
    return failed_;
  }

  // The client went away: the producer's next Write() returns false.
  void Close() {
    MutexLock lock(mu_);
    closed_ = true;
    room_.SignalAll();
  }

  bool Closed() {
    MutexLock lock(mu_);
    return closed_;
  }

  // Strand only. Everything queued, and whether the producer has finished.
  std::pair<std::deque<std::string>, bool> Take() {
    MutexLock lock(mu_);
    std::deque<std::string> out;
    out.swap(queue_);
    queued_ = 0;
    room_.SignalAll();
    return {std::move(out), finished_};
  }

  asio::steady_timer timer;  // strand only

 private:
  void Wake() {
    asio::post(timer.get_executor(), [self = shared_from_this()] { self->timer.cancel(); });
  }

  Mutex mu_;
  CondVar room_;
  std::deque<std::string> queue_ GUARDED_BY(mu_);
  size_t queued_ GUARDED_BY(mu_) = 0;
  bool finished_ GUARDED_BY(mu_) = false;
  bool failed_ GUARDED_BY(mu_) = false;
  bool closed_ GUARDED_BY(mu_) = false;
  bool head_taken_ GUARDED_BY(mu_) = false;
  int status_ GUARDED_BY(mu_) = 0;
  Headers head_headers_ GUARDED_BY(mu_);
};

// The one place where a Response's headers reach the wire, for every
// response, streamed ones included. A name that is not a token or a value with
// control bytes could smuggle text from a request or from storage into the
// response as extra headers or a second response, so then nothing is written,
// the refusal is logged and the caller answers 500 instead.
bool PutHeaders(const Headers& headers, bhttp::fields& out) {
  for (const auto& [k, v] : headers) {
    if (IsSendableHeader(k, v)) continue;
    std::string shown = k.substr(0, 64);
    for (char& ch : shown)
      if (!IsToken(std::string_view(&ch, 1))) ch = '?';
    spdlog::error("refusing to send response header '{}': the name is not a token or the value holds control bytes",
                  shown);
    return false;
  }
  for (const auto& [k, v] : headers) out.set(k, v);
  out.set(bhttp::field::server, "tracevault");
  return true;
}

// What replaces a response whose headers PutHeaders refused.
Response UnsendableResponse(const Response& refused) {
  Response res = ErrorResponse(Internal("The response carried a header that cannot be sent safely"));
  auto id = refused.headers.Get("x-request-id");
  if (id && IsSendableHeader("x-request-id", *id)) res.headers.Set("x-request-id", std::string(*id));
  return res;
}

Request ToRequest(bhttp::request<bhttp::string_body>&& msg, const std::string& remote) {
  Request req;
  req.method = ParseMethod(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& f : msg) req.headers.Add(std::string(f.name_string()), std::string(f.value()));
  req.body = std::move(msg.body());
  req.remote_address = remote;
  return req;
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o)
      : opt(std::move(o)),
        workers(opt.pools, opt.single_pool),
        producers(static_cast<size_t>(std::max(1, opt.stream_threads))),
        acceptor(ioc),
        signals(ioc, SIGINT, SIGTERM),
        budget(opt.memory_budget_bytes),
        drain_timer(ioc) {}

  awaitable<void> AcceptLoop();
  awaitable<void> Serve(std::shared_ptr<Conn> c, uint64_t id);
  // Answers a connection over the per-client cap with a 429 and closes it.
  awaitable<void> Refuse(std::shared_ptr<Conn> c);
  awaitable<void> LingeringClose(Conn& c);
  awaitable<Response> Run(std::shared_ptr<const Request> req);
  awaitable<bool> Write(Conn& c, const Request& req, Response res, unsigned version, bool keep_alive,
                        std::chrono::steady_clock::time_point start);
  // Sends a response whose body comes from res.stream; returns the body bytes
  // sent, or an error when the client went away.
  awaitable<std::pair<beast::error_code, size_t>> WriteStreamed(Conn& c, Response& res, unsigned version,
                                                                bool keep_alive);
  Response Reject(const Status& s, const Request* req);
  void BeginShutdown();
  void PollDrain();

  ServerOptions opt;
  const Pipeline* pipeline = nullptr;  // set by Run()
  asio::io_context ioc;
  WorkerPools workers;
  // Streamed bodies' producers, apart from the handlers: a long stream must
  // not hold a handler thread.
  asio::thread_pool producers;
  Mutex streams_mu;
  std::vector<std::weak_ptr<StreamChannel>> streams GUARDED_BY(streams_mu);

  // Tells every live producer to stop (their next Write returns false), so
  // none stays blocked on a connection that will never drain again.
  void CloseStreams() EXCLUDES(streams_mu) {
    MutexLock lock(streams_mu);
    for (auto& w : streams)
      if (auto c = w.lock()) c->Close();
    streams.clear();
  }
  tcp::acceptor acceptor;
  asio::signal_set signals;
  MemoryBudget budget;
  asio::steady_timer drain_timer;
  std::chrono::steady_clock::time_point drain_deadline;
  std::atomic<size_t> running_handlers{0};
  std::atomic<bool> draining{false};

  Mutex mu;
  std::unordered_map<uint64_t, std::shared_ptr<Conn>> conns GUARDED_BY(mu);
  std::unordered_map<std::string, size_t> conns_per_client GUARDED_BY(mu);
  std::unordered_map<std::string, size_t> refusing_per_client GUARDED_BY(mu);  // 429s being sent
  uint64_t next_conn_id GUARDED_BY(mu) = 0;
};

awaitable<void> Server::Impl::AcceptLoop() {
  while (!draining) {
    auto [ec, sock] = co_await acceptor.async_accept(asio::make_strand(ioc), kTuple);
    if (ec) {
      if (draining || ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(ioc, std::chrono::milliseconds(50));  // e.g. EMFILE: back off
      co_await pause.async_wait(kTuple);
      continue;
    }
    beast::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    auto ep = sock.remote_endpoint(ignored);
    auto conn = std::make_shared<Conn>(std::move(sock), ignored ? std::string() : ep.address().to_string());
    uint64_t id = 0;
    bool over_cap = false, polite = false;
    {
      MutexLock lock(mu);
      size_t& open = conns_per_client[conn->client_ip];
      over_cap = open >= opt.max_connections_per_client;
      if (!over_cap) {
        ++open;
        id = next_conn_id++;
        conns.emplace(id, conn);
      } else {
        // Refusals are bounded too: past as many 429s in flight as the cap,
        // a client's further connections are closed at once, unanswered, so
        // one address cannot hold descriptors by connecting faster.
        size_t& refusing = refusing_per_client[conn->client_ip];
        polite = refusing < opt.max_connections_per_client;
        if (polite) ++refusing;
      }
    }
    if (over_cap && !polite) {
      beast::error_code closed;
      conn->stream.socket().close(closed);
    } else if (over_cap)
      asio::co_spawn(conn->stream.get_executor(), Refuse(conn), asio::detached);
    else
      asio::co_spawn(conn->stream.get_executor(), Serve(conn, id), asio::detached);
  }
}

awaitable<void> Server::Impl::Refuse(std::shared_ptr<Conn> c) {
  Request probe;
  probe.remote_address = c->client_ip;
  Response res = Reject(ResourceExhausted("Too many open connections from {} (at most {}); retry shortly", c->client_ip,
                                          opt.max_connections_per_client),
                        nullptr);
  co_await Write(*c, probe, std::move(res), 11, false, std::chrono::steady_clock::now());
  co_await LingeringClose(*c);
  MutexLock lock(mu);
  if (--refusing_per_client[c->client_ip] == 0) refusing_per_client.erase(c->client_ip);
}

Response Server::Impl::Reject(const Status& s, const Request* req) {
  Response res = ErrorResponse(s);
  res.headers.Set("x-request-id", req ? Pipeline::RequestIdFor(*req) : Pipeline::RequestIdFor(Request{}));
  return res;
}

awaitable<Response> Server::Impl::Run(std::shared_ptr<const Request> shared_req) {
  if (running_handlers.fetch_add(1) >= opt.max_concurrent_requests) {
    running_handlers.fetch_sub(1);
    co_return Reject(ResourceExhausted("Too many concurrent requests; retry shortly"), shared_req.get());
  }
  auto d = std::make_shared<Dispatch>(co_await asio::this_coro::executor);
  RequestClass cls = pipeline->Classify(*shared_req);
  bool taken = workers.TryPost(cls, [this, d, shared_req] {
    Response r = pipeline->Handle(*shared_req);
    running_handlers.fetch_sub(1);
    asio::post(d->timer.get_executor(), [d, r = std::move(r)]() mutable {
      if (d->finished) return;
      d->response = std::move(r);
      d->finished = true;
      d->timer.cancel();
    });
  });
  if (!taken) {
    running_handlers.fetch_sub(1);
    co_return pipeline->Refuse(*shared_req, WithRetryAfter(ResourceExhausted("The server is busy with {} requests; "
                                                                             "retry shortly",
                                                                             RequestClassName(cls)),
                                                           std::chrono::seconds(1)));
  }
  d->timer.expires_after(opt.request_timeout);
  co_await d->timer.async_wait(kTuple);
  d->finished = true;
  if (d->response) co_return std::move(*d->response);
  spdlog::warn("{} {}: handler exceeded the request timeout of {}s", MethodName(shared_req->method),
               PathForLog(*shared_req), opt.request_timeout.count());
  co_return Reject(DeadlineExceeded("The request did not finish within {} seconds", opt.request_timeout.count()),
                   shared_req.get());
}

awaitable<bool> Server::Impl::Write(Conn& c, const Request& req, Response res, unsigned version, bool keep_alive,
                                    std::chrono::steady_clock::time_point start) {
  keep_alive = keep_alive && !draining;
  beast::error_code ec;
  size_t body_bytes = res.body.size();
  if (res.stream && req.method != Method::kHead) {
    std::tie(ec, body_bytes) = co_await WriteStreamed(c, res, version, keep_alive);
  } else {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    if (!PutHeaders(res.headers, out)) {
      res = UnsendableResponse(res);
      out = bhttp::response<bhttp::string_body>{static_cast<bhttp::status>(res.status), version};
      (void)PutHeaders(res.headers, out);
    }
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    if (req.method == Method::kHead) out.body().clear();
    c.stream.expires_after(opt.request_timeout);
    auto [wec, n] = co_await bhttp::async_write(c.stream, out, kTuple);
    ec = wec;
  }
  if (opt.access_log) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    boost::json::object line{{"ts", FormatTimestamp(Clock::Real().NowMicros())},
                             {"request_id", std::string(res.headers.Get("x-request-id").value_or(""))},
                             {"method", std::string(MethodName(req.method))},
                             {"path", PathForLog(req)},
                             {"status", res.status},
                             {"bytes_in", req.body.size()},
                             {"bytes_out", body_bytes},
                             {"duration_us", static_cast<int64_t>(ms * 1000)},
                             {"remote", req.remote_address}};
    if (ec) line["write_error"] = ec.message();
    WriteAccessLogLine(boost::json::serialize(line));
  }
  co_return !ec && keep_alive;
}

awaitable<std::pair<beast::error_code, size_t>> Server::Impl::WriteStreamed(Conn& c, Response& res, unsigned version,
                                                                            bool keep_alive) {
  auto channel = std::make_shared<StreamChannel>(co_await asio::this_coro::executor);
  running_handlers.fetch_add(1);  // a draining server waits for producers too
  {
    MutexLock lock(streams_mu);
    std::erase_if(streams, [](const std::weak_ptr<StreamChannel>& w) { return w.expired(); });
    streams.push_back(channel);
  }
  asio::post(producers, [this, channel, producer = std::move(res.stream)] {
    bool ok = false;
    try {
      producer(*channel);
      ok = true;
    } catch (const std::exception& e) {
      spdlog::error("streamed response: producer failed: {}", e.what());
    } catch (...) {
      spdlog::error("streamed response: producer failed with an unknown exception");
    }
    channel->Finish(ok);
    running_handlers.fetch_sub(1);
  });

  beast::error_code ec;
  size_t sent = 0;
  bool head_sent = false;
  for (;;) {
    auto [chunks, finished] = channel->Take();
    if (chunks.empty() && !finished) {
      // Checked and waited for in one strand turn: a wake-up cannot slip in between.
      channel->timer.expires_after(std::chrono::hours(24));
      co_await channel->timer.async_wait(kTuple);
      continue;
    }
    if (finished && channel->failed()) {
      // Never pass a broken body off as complete: a 500 when nothing was
      // sent yet, else the connection closes without the last chunk.
      if (head_sent) {
        ec = asio::error::connection_aborted;
        break;
      }
      Headers json;
      json.Set("Content-Type", "application/json");
      channel->SetHead(500, json);
      chunks.clear();
      chunks.push_back(ErrorResponse(Internal("The response failed while it was produced")).body);
    }
    if (!head_sent) {
      head_sent = true;
      auto [status, extra] = channel->TakeHead();
      if (status) res.status = status;  // what the access log reports
      for (const auto& [k, v] : extra) res.headers.Set(k, v);
      bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(res.status), version};
      if (!PutHeaders(res.headers, head)) {
        channel->Close();  // nothing of the producer's body goes out
        Response refused = UnsendableResponse(res);
        res.status = refused.status;
        res.headers = refused.headers;
        head = bhttp::response<bhttp::empty_body>{static_cast<bhttp::status>(res.status), version};
        (void)PutHeaders(res.headers, head);
        chunks.assign(1, std::move(refused.body));
        finished = true;
      }
      head.keep_alive(keep_alive);
      head.chunked(true);
      bhttp::response_serializer<bhttp::empty_body> sr(head);
      c.stream.expires_after(opt.request_timeout);
      auto [hec, hn] = co_await bhttp::async_write_header(c.stream, sr, kTuple);
      ec = hec;
      if (ec) break;
    }
    for (const std::string& chunk : chunks) {
      c.stream.expires_after(opt.request_timeout);
      auto [wec, wn] = co_await asio::async_write(c.stream, bhttp::make_chunk(asio::buffer(chunk)), kTuple);
      ec = wec;
      if (ec) break;
      sent += chunk.size();
    }
    if (ec || finished) break;
  }
  if (ec) {
    channel->Close();  // the producer stops at its next Write
    co_return std::pair{ec, sent};
  }
  c.stream.expires_after(opt.request_timeout);
  auto [lec, ln] = co_await asio::async_write(c.stream, bhttp::make_chunk_last(), kTuple);
  co_return std::pair{lec, sent};
}

namespace {

// RFC 9112 §6: a request body with Transfer-Encoding is framed only by one
// final "chunked". Any other list (identity, gzip, chunked twice) or one next to
// Content-Length leaves client and server disagreeing on where the body ends,
// so the request is refused and the connection closed.
Status CheckTransferEncoding(const bhttp::fields& head, unsigned version) {
  auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return Status::Ok();
  size_t codings = 0;
  bool chunked = false;
  for (auto it = first; it != last; ++it) {
    for (std::string_view item : SplitList(it->value())) {
      ++codings;
      chunked = EqualsIgnoreCase(item, "chunked");
    }
  }
  if (codings != 1 || !chunked)
    return InvalidArgument("Unsupported Transfer-Encoding: a request body may only be sent as 'chunked' alone");
  if (head.count(bhttp::field::content_length))
    return InvalidArgument("A request must not carry both Content-Length and Transfer-Encoding");
  if (version < 11) return InvalidArgument("Transfer-Encoding is not allowed in an HTTP/1.0 request");
  return Status::Ok();
}

// Errors that mean the client sent something unparseable (answered with 400),
// as opposed to closing, resetting or timing out (closed quietly).
bool IsProtocolError(const beast::error_code& ec) {
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category()) return false;
  return ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message && ec != bhttp::error::need_more &&
         ec != bhttp::error::need_buffer && ec != bhttp::error::body_limit && ec != bhttp::error::header_limit;
}

}  // namespace

awaitable<void> Server::Impl::Serve(std::shared_ptr<Conn> c, uint64_t id) {
  beast::error_code ignored;
  std::string remote;
  auto ep = c->stream.socket().remote_endpoint(ignored);
  if (!ignored) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  beast::flat_buffer buf;
  bool keep_going = true;
  bool linger = false;  // an early answer left unread input behind
  while (keep_going && !draining) {
    BudgetReservation reservation(budget);
    bool over_budget = false;
    auto on_chunk = [&](uint64_t size, std::string_view, beast::error_code& ec) {
      if (!reservation.Grow(size)) {
        over_budget = true;
        ec = bhttp::error::body_limit;
      }
    };
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(opt.max_body_bytes);
    parser.on_chunk_header(on_chunk);

    c->idle = true;
    c->stream.expires_after(opt.keep_alive_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(c->stream, buf, parser, kTuple);
    c->idle = false;
    auto start = std::chrono::steady_clock::now();
    // Requests that fail before a handler runs are answered here and the
    // connection is closed (the unread body would desynchronize it).
    Request probe;
    probe.remote_address = remote;
    std::optional<Response> early;
    unsigned version = 11;
    if (hec) {
      if (hec == bhttp::error::header_limit)
        early = Reject(InvalidArgument("Request headers exceed {} bytes", kHeaderLimit), nullptr);
      else if (hec == bhttp::error::body_limit)  // a Content-Length over the limit fails the header parse
        early = Reject(PayloadTooLarge("Request body exceeds the limit of {} bytes", opt.max_body_bytes), nullptr);
      else if (IsProtocolError(hec))
        early = Reject(InvalidArgument("Malformed HTTP request: {}", hec.message()), nullptr);
      if (early) {
        co_await Write(*c, probe, std::move(*early), version, false, start);
        linger = true;
      }
      break;
    }
    auto& head = parser.get();
    probe.method = ParseMethod(head.method_string());
    probe.target = std::string(head.target());
    probe.ParseTarget();
    version = head.version();
    if (Status framing = CheckTransferEncoding(head, version); !framing.ok()) {
      early = Reject(framing, &probe);
    } else if (auto cl = parser.content_length()) {
      if (*cl > opt.max_body_bytes)
        early = Reject(
            PayloadTooLarge("Request body of {} bytes exceeds the limit of {} bytes", *cl, opt.max_body_bytes), &probe);
      else if (!reservation.Grow(*cl))
        early =
            Reject(ResourceExhausted("Server memory budget for request bodies is exhausted; retry shortly"), &probe);
    }
    if (early) {
      co_await Write(*c, probe, std::move(*early), version, false, start);
      linger = true;
      break;
    }
    if (head[bhttp::field::expect] == "100-continue") {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
      auto [cec, cn] = co_await bhttp::async_write(c->stream, cont, kTuple);
      if (cec) break;
    }
    c->stream.expires_after(opt.request_timeout);
    auto [bec, bn] = co_await bhttp::async_read(c->stream, buf, parser, kTuple);
    if (bec) {
      if (bec == bhttp::error::body_limit) {
        early = Reject(over_budget
                           ? ResourceExhausted("Server memory budget for request bodies is exhausted; retry shortly")
                           : PayloadTooLarge("Request body exceeds the limit of {} bytes", opt.max_body_bytes),
                       &probe);
      } else if (IsProtocolError(bec)) {
        early = Reject(InvalidArgument("Malformed HTTP request: {}", bec.message()), &probe);
      }
      if (early) {
        co_await Write(*c, probe, std::move(*early), version, false, start);
        linger = true;
      }
      break;
    }
    bool keep_alive = parser.get().keep_alive();
    Request parsed = ToRequest(parser.release(), remote);
    bool target_ok = parsed.ParseTarget();
    auto req = std::make_shared<const Request>(std::move(parsed));
    Response res;
    if (!target_ok) {
      res = Reject(InvalidArgument("Malformed request target '{}'", req->target), req.get());
    } else {
      res = co_await Run(req);
    }
    keep_going = co_await Write(*c, *req, std::move(res), version, keep_alive, start);
  }
  if (linger) {
    co_await LingeringClose(*c);
  } else {
    c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    c->stream.close();
  }
  MutexLock lock(mu);
  conns.erase(id);
  if (--conns_per_client[c->client_ip] == 0) conns_per_client.erase(c->client_ip);
}

awaitable<void> Server::Impl::LingeringClose(Conn& c) {
  // Closing a socket with unread input makes the kernel send a reset, which
  // can destroy a response (say a 413) before the client reads it. So stop
  // sending, then read and discard for a bounded time and volume first.
  beast::error_code ignored;
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  char sink[16384];
  size_t drained = 0;
  c.stream.expires_after(std::chrono::seconds(2));
  while (drained < (size_t{8} << 20)) {
    auto [ec, n] = co_await c.stream.async_read_some(asio::buffer(sink), kTuple);
    if (ec) break;
    drained += n;
  }
  c.stream.close();
}

void Server::Impl::BeginShutdown() {
  if (draining.exchange(true)) return;
  spdlog::info("shutting down: draining in-flight requests (up to {}s)", opt.drain_timeout.count());
  beast::error_code ignored;
  acceptor.close(ignored);
  {
    MutexLock lock(mu);
    for (auto& [id, conn] : conns) {
      asio::post(conn->stream.get_executor(), [conn = conn] {
        if (conn->idle) conn->stream.socket().cancel();
      });
    }
  }
  drain_deadline = std::chrono::steady_clock::now() + opt.drain_timeout;
  PollDrain();
}

void Server::Impl::PollDrain() {
  size_t open;
  {
    MutexLock lock(mu);
    open = conns.size();
  }
  if ((open == 0 && running_handlers == 0) || std::chrono::steady_clock::now() >= drain_deadline) {
    if (open > 0) spdlog::warn("drain timeout: closing {} connection(s) still open", open);
    CloseStreams();
    ioc.stop();
    return;
  }
  drain_timer.expires_after(std::chrono::milliseconds(20));
  drain_timer.async_wait([this](beast::error_code) { PollDrain(); });
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  impl_->ioc.stop();
  impl_->CloseStreams();
  impl_->workers.Join();
  impl_->producers.join();
}

Result<uint16_t> Server::Listen() {
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->opt.host, ec);
  if (ec) return InvalidArgument("Invalid listen address '{}': {}", impl_->opt.host, ec.message());
  tcp::endpoint ep(addr, impl_->opt.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("Cannot listen on {}:{}: {}", impl_->opt.host, impl_->opt.port, ec.message());
  return acc.local_endpoint().port();
}

void Server::Run(const Pipeline& pipeline) {
  Impl& s = *impl_;
  s.pipeline = &pipeline;
  s.signals.async_wait([&s](beast::error_code ec, int) {
    if (!ec) s.BeginShutdown();
  });
  asio::co_spawn(s.ioc, s.AcceptLoop(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < s.opt.io_threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : threads) t.join();
  s.CloseStreams();
  s.workers.Join();
  s.producers.join();
}

std::array<PoolLoad, kRequestClassCount> Server::Load() const { return impl_->workers.Load(); }

void Server::Shutdown() {
  asio::post(impl_->ioc, [s = impl_.get()] { s->BeginShutdown(); });
}

}  // namespace tv::http
