#include "http/client.h"

#include <cstdlib>
#include <vector>

#include <curl/curl.h>

#include "common/clock.h"

namespace tv::http {
namespace {

// Idle curl handles of this thread. A handle keeps its connection cache, so
// reusing one reuses connections; a leased handle is not shared, so a hook may
// start another transfer on the same thread.
class HandlePool {
 public:
  ~HandlePool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }
  CURL* Lease() {
    if (idle_.empty()) return curl_easy_init();
    CURL* h = idle_.back();
    idle_.pop_back();
    curl_easy_reset(h);
    return h;
  }
  void Return(CURL* h) {
    if (idle_.size() < kMaxIdle)
      idle_.push_back(h);
    else
      curl_easy_cleanup(h);
  }

 private:
  static constexpr size_t kMaxIdle = 4;
  std::vector<CURL*> idle_;
};

HandlePool& ThreadPool() {
  thread_local HandlePool pool;
  return pool;
}

struct LeasedHandle {
  LeasedHandle() : h(ThreadPool().Lease()) {}
  ~LeasedHandle() {
    if (h) ThreadPool().Return(h);
  }
  CURL* h;
};

// What the curl callbacks of one transfer share.
struct TransferState {
  const HeadHook* on_head;
  const BodyHook* on_body;
  std::chrono::milliseconds idle_timeout;
  Headers headers;
  int status = 0;
  bool head_done = false;
  bool aborted = false;
  bool idle = false;
  int64_t last_activity_us = 0;
  curl_off_t last_dl = 0, last_ul = 0;
};

int64_t NowUs() { return Clock::Real().NowMicros(); }

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  return v;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  std::string_view line(data, size * n);
  st->last_activity_us = NowUs();
  if (line.starts_with("HTTP/")) {  // a new head: after 1xx, every head starts over
    st->headers = Headers();
    size_t sp = line.find(' ');
    st->status = sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
  } else if (Trim(line).empty()) {
    if (st->status >= 200 && !st->head_done) {
      st->head_done = true;
      if (*st->on_head && !(*st->on_head)(st->status, st->headers)) {
        st->aborted = true;
        return 0;
      }
    }
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    st->headers.Add(std::string(line.substr(0, colon)), std::string(Trim(line.substr(colon + 1))));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  st->last_activity_us = NowUs();
  if (*st->on_body && !(*st->on_body)(std::string_view(data, size * n))) {
    st->aborted = true;
    return 0;
  }
  return size * n;
}

int OnProgress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* st = static_cast<TransferState*>(user);
  int64_t now = NowUs();
  if (dlnow != st->last_dl || ulnow != st->last_ul) {
    st->last_dl = dlnow;
    st->last_ul = ulnow;
    st->last_activity_us = now;
  }
  if (st->idle_timeout.count() > 0 && now - st->last_activity_us > st->idle_timeout.count() * 1000) {
    st->idle = true;
    return 1;
  }
  return 0;
}

TransferFailure Classify(CURL* h, CURLcode rc, const TransferState& st) {
  if (rc == CURLE_OK) return TransferFailure::kNone;
  if (st.aborted) return TransferFailure::kAborted;
  if (st.idle) return TransferFailure::kIdle;
  curl_off_t connect_us = 0;
  curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return TransferFailure::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return connect_us == 0 ? TransferFailure::kConnect : TransferFailure::kTimeout;
    default:
      return TransferFailure::kTransport;
  }
}

curl_slist* SetRequest(CURL* h, const ClientRequest& req, const TransferOptions& opt) {
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, std::string(MethodName(req.method)).c_str());
  if (req.method == Method::kHead) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (!req.body.empty() || req.method == Method::kPost || req.method == Method::kPut || req.method == Method::kPatch) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  return headers;
}

}  // namespace

void InitHttpClient() { curl_global_init(CURL_GLOBAL_DEFAULT); }

std::string_view TransferFailureName(TransferFailure f) {
  switch (f) {
    case TransferFailure::kNone:
      return "none";
    case TransferFailure::kConnect:
      return "connect";
    case TransferFailure::kTimeout:
      return "timeout";
    case TransferFailure::kIdle:
      return "idle_timeout";
    case TransferFailure::kTransport:
      return "transport";
    case TransferFailure::kAborted:
      return "aborted";
  }
  return "transport";
}

TransferResult Transfer(const ClientRequest& req, const TransferOptions& options, const HeadHook& on_head,
                        const BodyHook& on_body) {
  LeasedHandle handle;
  CURL* h = handle.h;
  if (!h) return {0, TransferFailure::kTransport, "curl_easy_init failed"};
  TransferState st{&on_head, &on_body, options.idle_timeout};
  st.last_activity_us = NowUs();
  curl_slist* headers = SetRequest(h, req, options);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &st);
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  TransferResult out;
  out.status = st.head_done ? st.status : 0;
  out.failure = Classify(h, rc, st);
  if (out.failure == TransferFailure::kIdle)
    out.error = "no data for " + std::to_string(options.idle_timeout.count()) + " ms";
  else if (out.failure != TransferFailure::kNone)
    out.error = error[0] ? std::string(error) : std::string(curl_easy_strerror(rc));
  return out;
}

Result<ClientResponse> Fetch(const ClientRequest& req) {
  ClientResponse res;
  TransferResult r = Transfer(
      req, TransferOptions{},
      [&res](int status, const Headers& headers) {
        res.status = status;
        res.headers = headers;
        return true;
      },
      [&res](std::string_view bytes) {
        res.body.append(bytes);
        return true;
      });
  if (r.failure != TransferFailure::kNone) return Unavailable("Request to {} failed: {}", req.url, r.error);
  res.status = r.status;
  return res;
}

}  // namespace tv::http
