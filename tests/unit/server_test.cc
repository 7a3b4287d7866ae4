// Unit tests for http::Server on 127.0.0.1 with an ephemeral port: keep-alive,
// body limits, chunked bodies, malformed requests, the handler deadline and
// graceful shutdown. Raw sockets where the wire format matters, http::Fetch
// elsewhere.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <boost/json/parse.hpp>

#include "common/mutex.h"
#include "http/client.h"
#include "http/server.h"

namespace tv::http {
namespace {

namespace bj = boost::json;

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers, lowercased
  std::string body;
};

// A blocking client socket with a receive timeout, so a broken server fails
// the test instead of hanging it.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { Close(); }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool connected() const { return connected_; }

  void Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads one response with a Content-Length body (all the server sends).
  std::optional<RawResponse> Read() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!Fill()) return std::nullopt;
    RawResponse r;
    r.head = buf_.substr(0, end + 2);
    for (char& c : r.head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    buf_.erase(0, end + 4);
    r.status = std::atoi(r.head.substr(9, 3).c_str());
    size_t cl = r.head.find("content-length: ");
    size_t length = cl == std::string::npos ? 0 : std::stoul(r.head.substr(cl + 16));
    while (buf_.size() < length)
      if (!Fill()) return std::nullopt;
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // Reads until `needle` has arrived; returns everything read so far.
  std::optional<std::string> ReadUntil(std::string_view needle) {
    while (buf_.find(needle) == std::string::npos)
      if (!Fill()) return std::nullopt;
    return buf_;
  }

  // True when the server closed the connection (EOF before any byte).
  bool ClosedByPeer() {
    char c;
    return buf_.empty() && ::recv(fd_, &c, 1, 0) <= 0;
  }

 private:
  bool Fill() {
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// curl keeps connections open per thread; closing them lets the server shut
// down without waiting for idle clients.
Headers CloseHeaders() {
  Headers h;
  h.Add("Connection", "close");
  return h;
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitHttpClient(); }

  void SetUp() override {
    router_.Add(Method::kGet, "/hello", [](RequestContext&) -> Result<Response> { return Response::Text(200, "hi"); });
    router_.Add(Method::kPost, "/echo",
                [](RequestContext& ctx) -> Result<Response> { return Response::Text(200, ctx.request().body); });
    router_.Add(Method::kGet, "/slow", [this](RequestContext&) -> Result<Response> {
      // Blocks until the test has seen its 504, so teardown never waits on it
      // longer than needed (the cap only matters if the test fails).
      MutexLock lock(mu_);
      slow_entered_ = true;
      cv_.SignalAll();
      cv_.WaitFor(mu_, std::chrono::seconds(10), [this]() REQUIRES(mu_) { return release_slow_; });
      return Response::Text(200, "late");
    });
    router_.Add(Method::kGet, "/stream", [this](RequestContext&) -> Result<Response> {
      Response r;
      r.headers.Set("Content-Type", "text/event-stream");
      r.stream = [this](BodyWriter& out) {
        out.Write("data: first\n\n");
        MutexLock lock(mu_);
        cv_.WaitFor(mu_, std::chrono::seconds(10), [this]() REQUIRES(mu_) { return release_stream_; });
        lock.Unlock();
        out.Write("data: second\n\n");
      };
      return r;
    });
    router_.Add(Method::kGet, "/stream-late-error", [](RequestContext&) -> Result<Response> {
      Response r;
      r.headers.Set("Content-Type", "text/event-stream");
      r.stream = [](BodyWriter& out) {
        Headers h;
        h.Set("Content-Type", "application/json");
        h.Set("Retry-After", "7");
        out.SetHead(429, h);
        out.Write("{\"error\":\"slow down\"}");
      };
      return r;
    });
    router_.Add(Method::kGet, "/stream-throws", [](RequestContext&) -> Result<Response> {
      Response r;
      r.stream = [](BodyWriter&) { throw std::runtime_error("boom"); };
      return r;
    });
    router_.Add(Method::kGet, "/stream-many", [](RequestContext&) -> Result<Response> {
      Response r;
      r.stream = [](BodyWriter& out) {
        for (int i = 0; i < 200; ++i) out.Write("chunk " + std::to_string(i) + "\n");
      };
      return r;
    });
    router_.Add(Method::kGet, "/stream-forever", [this](RequestContext&) -> Result<Response> {
      Response r;
      r.stream = [this](BodyWriter& out) {
        std::string block(64 * 1024, 'x');
        for (int i = 0; i < 100000 && out.Write(block); ++i) {
        }
        MutexLock lock(mu_);
        producer_stopped_ = true;
        cv_.SignalAll();
      };
      return r;
    });
    router_.Add(Method::kGet, "/header", [](RequestContext& ctx) -> Result<Response> {
      // Echoes query text into headers, as a careless handler might.
      Response r = Response::Text(200, "echoed");
      r.headers.Set(std::string(ctx.request().QueryParam("name").value_or("X-Echo")),
                    std::string(ctx.request().QueryParam("value").value_or("")));
      return r;
    });
    router_.Add(Method::kGet, "/stream-header", [](RequestContext& ctx) -> Result<Response> {
      Response r;
      std::string value(ctx.request().QueryParam("value").value_or(""));
      bool late = ctx.request().QueryParam("late").has_value();
      if (!late) r.headers.Set("X-Echo", value);
      r.stream = [value, late](BodyWriter& out) {
        if (late) {
          Headers h;
          h.Set("X-Echo", value);
          out.SetHead(200, h);
        }
        out.Write("streamed body");
      };
      return r;
    });
    pipeline_ = std::make_unique<Pipeline>(
        router_, [](std::string_view) -> Result<Principal> { return Unauthenticated("no auth in this test"); },
        CorsPolicy({}), std::vector<PublicRoute>{{std::nullopt, "/", true}});

    ServerOptions opt;
    opt.host = "127.0.0.1";
    opt.port = 0;
    opt.io_threads = 1;
    opt.pools[RequestClassIndex(RequestClass::kLight)].threads = 2;
    opt.max_body_bytes = 1024;
    opt.request_timeout = std::chrono::seconds(1);
    opt.keep_alive_timeout = std::chrono::seconds(10);
    opt.drain_timeout = std::chrono::seconds(5);
    opt.access_log = false;
    AdjustOptions(opt);
    server_ = std::make_unique<Server>(opt);
    Result<uint16_t> port = server_->Listen();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    port_ = *port;
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] {
      server_->Run(*pipeline_);
      run_returned_ = true;
    });
  }

  void TearDown() override {
    ReleaseSlowHandler();
    StopServer();
  }

  void StopServer() {
    if (!thread_.joinable()) return;
    server_->Shutdown();
    thread_.join();
  }

  virtual void AdjustOptions(ServerOptions&) {}

  void WaitUntilSlowHandlerRuns() {
    MutexLock lock(mu_);
    cv_.WaitFor(mu_, std::chrono::seconds(10), [this]() REQUIRES(mu_) { return slow_entered_; });
  }

  void ReleaseSlowHandler() {
    MutexLock lock(mu_);
    release_slow_ = true;
    cv_.SignalAll();
  }

  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  Router router_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> run_returned_{false};

  Mutex mu_;
  CondVar cv_;
  bool release_slow_ GUARDED_BY(mu_) = false;
  bool slow_entered_ GUARDED_BY(mu_) = false;
  bool release_stream_ GUARDED_BY(mu_) = false;
  bool producer_stopped_ GUARDED_BY(mu_) = false;
};

TEST_F(ServerTest, StreamedBodyReachesTheClientBeforeTheProducerEnds) {
  RawConnection conn(port_);
  ASSERT_TRUE(conn.connected());
  conn.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  // The first event arrives while the producer is still blocked on the test.
  std::optional<std::string> got = conn.ReadUntil("data: first");
  ASSERT_TRUE(got.has_value());
  std::string head = *got;
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(head.find("transfer-encoding: chunked"), std::string::npos) << head;
  EXPECT_NE(head.find("content-type: text/event-stream"), std::string::npos) << head;
  EXPECT_EQ(got->find("second"), std::string::npos);
  {
    MutexLock lock(mu_);
    release_stream_ = true;
    cv_.SignalAll();
  }
  got = conn.ReadUntil("\r\n0\r\n\r\n");  // the last chunk ends the body
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->find("data: second"), std::string::npos);
}

TEST_F(ServerTest, StreamedBodyIsDecodedByAnHttpClient) {
  Result<ClientResponse> r =
      Fetch({Method::kGet, Url("/stream-many"), CloseHeaders(), "", std::chrono::milliseconds(5000)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  std::string want;
  for (int i = 0; i < 200; ++i) want += "chunk " + std::to_string(i) + "\n";
  EXPECT_EQ(r->body, want);
}

TEST_F(ServerTest, ProducerCanSetTheStatusBeforeItsFirstWrite) {
  Result<ClientResponse> r =
      Fetch({Method::kGet, Url("/stream-late-error"), CloseHeaders(), "", std::chrono::milliseconds(5000)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->headers.Get("content-type").value_or(""), "application/json");
  EXPECT_EQ(r->headers.Get("retry-after").value_or(""), "7");
  EXPECT_EQ(r->body, "{\"error\":\"slow down\"}");
}

TEST_F(ServerTest, AProducerThatThrowsIsA500NotAnEmptySuccess) {
  Result<ClientResponse> r =
      Fetch({Method::kGet, Url("/stream-throws"), CloseHeaders(), "", std::chrono::milliseconds(5000)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("failed"), std::string::npos) << r->body;
}

TEST_F(ServerTest, ProducerStopsWhenTheClientGoesAway) {
  {
    RawConnection conn(port_);
    ASSERT_TRUE(conn.connected());
    conn.Send("GET /stream-forever HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(conn.ReadUntil("xxxx").has_value());
  }  // closed with unread data: the server's writes fail
  MutexLock lock(mu_);
  EXPECT_TRUE(cv_.WaitFor(mu_, std::chrono::seconds(10), [this]() REQUIRES(mu_) { return producer_stopped_; }))
      << "the producer kept writing after the client left";
}

TEST_F(ServerTest, FetchGetAndPost) {
  Result<ClientResponse> get =
      Fetch({Method::kGet, Url("/hello"), CloseHeaders(), "", std::chrono::milliseconds(5000)});
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "hi");
  EXPECT_EQ(get->headers.Get("server"), std::optional<std::string_view>("tracevault"));
  EXPECT_TRUE(get->headers.Has("x-request-id"));

  Result<ClientResponse> post =
      Fetch({Method::kPost, Url("/echo"), CloseHeaders(), "payload", std::chrono::milliseconds(5000)});
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->body, "payload");

  Result<ClientResponse> missing =
      Fetch({Method::kGet, Url("/nope"), CloseHeaders(), "", std::chrono::milliseconds(5000)});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404) << "an HTTP error is still a successful Fetch";
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  RawConnection c(port_);
  ASSERT_TRUE(c.connected());
  c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  auto first = c.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "hi");
  EXPECT_EQ(first->head.find("connection: close"), std::string::npos);

  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nagain");
  auto second = c.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "again");
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrder) {
  RawConnection c(port_);
  ASSERT_TRUE(c.connected());
  c.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\none"
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\ntwo");
  auto a = c.Read();
  auto b = c.Read();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, "one");
  EXPECT_EQ(b->body, "two");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  RawConnection c(port_);
  c.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST_F(ServerTest, ContentLengthOverLimitIs413) {
  RawConnection c(port_);
  // Only the head: the server must answer from Content-Length alone.
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->head.find("connection: close"), std::string::npos);
  bj::value body = bj::parse(r->body);
  EXPECT_EQ(body.at("Code"), "PayloadTooLargeError");
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST_F(ServerTest, BodyAtLimitIsAccepted) {
  std::string body(1024, 'x');
  Result<ClientResponse> r =
      Fetch({Method::kPost, Url("/echo"), CloseHeaders(), body, std::chrono::milliseconds(5000)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 1024u);
}

TEST_F(ServerTest, ChunkedBodyWorks) {
  RawConnection c(port_);
  c.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello world");
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  RawConnection c(port_);
  std::string chunk(600, 'y');
  c.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "258\r\n" +
      chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");  // 0x258 = 600
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(bj::parse(r->body).at("Code"), "PayloadTooLargeError");
}

TEST_F(ServerTest, MalformedRequestLineIs400) {
  RawConnection c(port_);
  c.Send("THIS IS NOT HTTP\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(bj::parse(r->body).at("Code"), "BadRequestError");
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST_F(ServerTest, MalformedTargetIs400) {
  RawConnection c(port_);
  c.Send("GET http://[bad/ HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

// Request smuggling: unless a lone "chunked" frames the body, a second request
// hidden in the body must never be answered.
TEST_F(ServerTest, TransferEncodingOtherThanALoneChunkedIs400AndCloses) {
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
  const std::string chunked_body = "5\r\nhello\r\n0\r\n\r\n";
  struct Case {
    std::string name;
    std::string head;
  };
  std::vector<Case> cases = {
      {"chunked, identity", "Transfer-Encoding: chunked, identity\r\n"},
      {"identity", "Transfer-Encoding: identity\r\n"},
      {"gzip", "Transfer-Encoding: gzip\r\n"},
      {"gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n"},
      {"chunked, chunked", "Transfer-Encoding: chunked, chunked\r\n"},
      {"chunked twice on two lines", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"},
      {"identity then chunked lines", "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n"},
      {"chunked with a parameter", "Transfer-Encoding: chunked;x=1\r\n"},
      {"empty", "Transfer-Encoding: \r\n"},
      {"gzip and Content-Length", "Transfer-Encoding: gzip\r\nContent-Length: 0\r\n"},
      {"Content-Length and chunked", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"},
      {"chunked and Content-Length", "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    RawConnection c(port_);
    ASSERT_TRUE(c.connected());
    c.Send("POST /echo HTTP/1.1\r\nHost: t\r\n" + tc.head + "\r\n" + smuggled);
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->head << r->body;
    EXPECT_EQ(bj::parse(r->body).at("Code"), "BadRequestError");
    EXPECT_NE(r->head.find("connection: close"), std::string::npos);
    EXPECT_TRUE(c.ClosedByPeer()) << "the smuggled request is not answered";
  }
  RawConnection old(port_);
  old.Send("POST /echo HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body);
  auto r = old.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << "Transfer-Encoding in HTTP/1.0";
  // A lone chunked, in any case and spacing, still works.
  RawConnection ok(port_);
  ok.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:  Chunked \r\n\r\n" + chunked_body);
  auto good = ok.Read();
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  EXPECT_EQ(good->body, "hello");
}

TEST_F(ServerTest, HeaderWithControlBytesTurnsTheResponseInto500) {
  RawConnection c(port_);
  // value = "text/html\r\nSet-Cookie: stolen=1\r\n\r\n<script>" percent-encoded.
  c.Send(
      "GET /header?name=Content-Type&value=text/html%0D%0ASet-Cookie:%20stolen=1%0D%0A%0D%0A%3Cscript%3E "
      "HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->head.find("set-cookie"), std::string::npos) << r->head;
  EXPECT_EQ(r->head.find("text/html"), std::string::npos) << r->head;
  EXPECT_EQ(bj::parse(r->body).at("Code"), "InternalServerError");
  EXPECT_NE(r->head.find("x-request-id: "), std::string::npos);
  // The connection stays usable: nothing of the refused response was sent.
  for (std::string_view target : {"/header?value=a%00b", "/header?value=a%0Ab", "/header?value=a%7Fb",
                                  "/header?name=X%20Y&value=v", "/header?name=X:Y&value=v"}) {
    SCOPED_TRACE(target);
    c.Send("GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    auto bad = c.Read();
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 500);
  }
  c.Send("GET /header?value=fine%09too HTTP/1.1\r\nHost: t\r\n\r\n");
  auto fine = c.Read();
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
  EXPECT_NE(fine->head.find("x-echo: fine\ttoo"), std::string::npos) << fine->head;
}

TEST_F(ServerTest, StreamedResponsesGoThroughTheSameHeaderCheck) {
  for (std::string_view target :
       {"/stream-header?value=a%0D%0ASet-Cookie:%20x=1", "/stream-header?late=1&value=a%0D%0ASet-Cookie:%20x=1"}) {
    SCOPED_TRACE(target);
    RawConnection c(port_);
    c.Send("GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    std::optional<std::string> got = c.ReadUntil("0\r\n\r\n");
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->starts_with("HTTP/1.1 500")) << *got;
    std::string lower = *got;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(lower.find("set-cookie"), std::string::npos) << *got;
    EXPECT_EQ(got->find("streamed body"), std::string::npos) << *got;
    EXPECT_NE(got->find("InternalServerError"), std::string::npos) << *got;
  }
  RawConnection c(port_);
  c.Send("GET /stream-header?late=1&value=ok HTTP/1.1\r\nHost: t\r\n\r\n");
  std::optional<std::string> got = c.ReadUntil("0\r\n\r\n");
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->starts_with("HTTP/1.1 200")) << *got;
  EXPECT_NE(got->find("streamed body"), std::string::npos);
}

TEST_F(ServerTest, SlowHandlerIs504) {
  Result<ClientResponse> r = Fetch({Method::kGet, Url("/slow"), CloseHeaders(), "", std::chrono::milliseconds(8000)});
  ReleaseSlowHandler();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(bj::parse(r->body).at("Code"), "GatewayTimeoutError");
  EXPECT_TRUE(r->headers.Has("x-request-id"));
}

// A body that stops arriving: beast::tcp_stream closes its socket when the
// deadline fires, so the connection is dropped (documented; no 408 is sent).
TEST_F(ServerTest, SlowBodyClosesConnection) {
  RawConnection c(port_);
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab");  // 8 bytes never come
  EXPECT_FALSE(c.Read()) << "no response is written to a timed-out connection";
}

TEST_F(ServerTest, ShutdownMakesRunReturn) {
  // An idle keep-alive connection must not hold the shutdown up.
  RawConnection idle(port_);
  idle.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(idle.Read());
  server_->Shutdown();
  EXPECT_TRUE(idle.ClosedByPeer()) << "the idle connection is closed at once";
  idle.Close();
  thread_.join();
  EXPECT_TRUE(run_returned_);
  RawConnection refused(port_);
  EXPECT_FALSE(refused.connected());
}

class ServerLimitsTest : public ServerTest {
 protected:
  void AdjustOptions(ServerOptions& opt) override {
    opt.max_concurrent_requests = 1;
    opt.memory_budget_bytes = 512;  // below max_body_bytes (1024)
  }
};

class ServerConnectionCapTest : public ServerTest {
 protected:
  void AdjustOptions(ServerOptions& opt) override { opt.max_connections_per_client = 2; }
};

TEST_F(ServerConnectionCapTest, ConnectionsOverThePerClientCapAre429AndClosed) {
  auto hello = [](RawConnection& c) {
    c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    auto r = c.Read();
    return r ? r->status : 0;
  };
  auto first = std::make_unique<RawConnection>(port_);
  RawConnection second(port_);
  ASSERT_EQ(hello(*first), 200);
  ASSERT_EQ(hello(second), 200);

  RawConnection third(port_);
  ASSERT_TRUE(third.connected());
  third.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  auto refused = third.Read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(bj::parse(refused->body).at("Code"), "TooManyRequestsError");
  EXPECT_NE(refused->head.find("connection: close"), std::string::npos);
  EXPECT_TRUE(third.ClosedByPeer());
  EXPECT_EQ(hello(second), 200) << "connections under the cap are untouched";

  // A closed connection frees its place (once the server has seen the close).
  first.reset();
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    RawConnection again(port_);
    status = hello(again);
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
}

TEST_F(ServerLimitsTest, TooManyConcurrentRequestsIs429) {
  RawConnection busy(port_);
  busy.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  WaitUntilSlowHandlerRuns();
  Result<ClientResponse> r = Fetch({Method::kGet, Url("/hello"), CloseHeaders(), "", std::chrono::milliseconds(5000)});
  ReleaseSlowHandler();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(bj::parse(r->body).at("Code"), "TooManyRequestsError");
  EXPECT_EQ(r->headers.Get("retry-after"), std::optional<std::string_view>("1"));
  ASSERT_TRUE(busy.Read());  // 200 or 504 depending on scheduling; either frees the slot
}

TEST_F(ServerLimitsTest, BodyOverMemoryBudgetIs429) {
  RawConnection c(port_);
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 600\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(bj::parse(r->body).at("Code"), "TooManyRequestsError");
}

TEST_F(ServerLimitsTest, ChunkedBodyOverMemoryBudgetIs429) {
  RawConnection c(port_);
  std::string chunk(300, 'z');
  c.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "12c\r\n" +
      chunk + "\r\n12c\r\n" + chunk + "\r\n0\r\n\r\n");  // 0x12c = 300
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
}

TEST_F(ServerLimitsTest, BudgetIsReturnedAfterEachRequest) {
  for (int i = 0; i < 5; ++i) {
    Result<ClientResponse> r =
        Fetch({Method::kPost, Url("/echo"), CloseHeaders(), std::string(400, 'b'), std::chrono::milliseconds(5000)});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << "request " << i;
  }
}

}  // namespace
}  // namespace tv::http
