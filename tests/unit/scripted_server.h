// A scripted HTTP server on 127.0.0.1 (port 0) for client tests: each
// connection's first request is handed, with its index, to a script that
// writes raw response bytes — so tests can send exact heads, stall mid-body or
// drop the connection. One thread per connection; Stop() (or the destructor)
// cuts every connection, hung ones too.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/mutex.h"

namespace tv::testing {

class ScriptedServer {
 public:
  struct Exchange {
    int index;            // 0 for the first request the server received
    std::string request;  // head and body as received
    int fd;
    // Writes raw bytes; false once the peer is gone.
    bool Send(std::string_view bytes) const {
      while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<size_t>(n));
      }
      return true;
    }
  };
  using Script = std::function<void(Exchange&, const ScriptedServer&)>;

  explicit ScriptedServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~ScriptedServer() { Stop(); }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int requests() const { return count_.load(); }
  bool stopping() const { return stopping_.load(); }
  // Blocks the script until Stop(): a server that never answers.
  void Hang() const {
    while (!stopping_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  void Stop() {
    if (stopping_.exchange(true)) return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    std::vector<std::thread> threads;
    {
      MutexLock lock(mu_);
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    MutexLock lock(mu_);
    for (int fd : fds_) ::close(fd);
    fds_.clear();
  }

 private:
  void AcceptLoop() {
    while (!stopping_.load()) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      MutexLock lock(mu_);
      if (stopping_.load()) {
        ::close(fd);
        return;
      }
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string request = ReadRequest(fd);
    if (!request.empty()) {
      Exchange ex{count_.fetch_add(1), std::move(request), fd};
      script_(ex, *this);
    }
    ::shutdown(fd, SHUT_RDWR);  // closed in Stop(), so the number is not reused meanwhile
  }

  // The head, then Content-Length bytes of body.
  static std::string ReadRequest(int fd) {
    std::string buf;
    char tmp[4096];
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
      if (n <= 0) return "";
      buf.append(tmp, static_cast<size_t>(n));
    }
    size_t length = 0;
    for (std::string_view key : {"Content-Length: ", "content-length: "})
      if (size_t at = buf.find(key); at != std::string::npos && at < end)
        length = std::strtoul(buf.c_str() + at + key.size(), nullptr, 10);
    while (buf.size() < end + 4 + length) {
      ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
      if (n <= 0) break;
      buf.append(tmp, static_cast<size_t>(n));
    }
    return buf;
  }

  Script script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> count_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  Mutex mu_;
  std::vector<int> fds_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
};

// A complete response with Content-Length, closing the connection.
inline std::string RawResponse(int status, std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
}

}  // namespace tv::testing
