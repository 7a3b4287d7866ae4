// spanbench: the span-store benchmark driver (bench/spans/run.sh). It
// generates a deterministic corpus of ~2 KB Braintrust-shaped spans in process
// and runs the same work against tracevault (HTTP, libcurl) and a PostgreSQL
// JSONB peer (libpq), one side after the other, printing one figures line per
// side and the ratio. Nothing here is a test; nothing asserts a timing.
//
//   spanbench corpus  [--spans N]                       corpus statistics only
//   spanbench ingest  [--workers W]                     phase 1 + 2 (realtime lag)
//   spanbench lookup  [--queries Q] [--label warm|cold] phase 3
//   spanbench fts     [--queries Q]                     phase 4
//   spanbench btql    [--queries Q] [--budget S]        phases 7 + 8 (summary, group-by)
// Sides: --tv URL --key KEY --project UUID  and/or  --pg CONNINFO.
// SPANS (env or --spans, default 1,000,000, rounded down to whole traces) and
// --seed must match between phases: every id is derived from them.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <boost/json.hpp>

#include "common/mutex.h"

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------- options

struct Options {
  std::string phase;
  size_t spans = 1'000'000;
  uint64_t seed = 20260101;
  int workers = 8;
  int queries = 200;
  std::string label = "warm";
  std::string tv_url, key, project, pg;
  double fts_budget_s = 30;   // per term and side
  double btql_budget_s = 60;  // per BTQL query and side
  int probes = 200;           // realtime-lag probe batches offered
  bool drain = true;          // after ingest, wait for compaction / VACUUM ANALYZE
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "spanbench: %s\n", msg.c_str());
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  if (const char* s = std::getenv("SPANS"); s && *s) o.spans = std::strtoull(s, nullptr, 10);
  if (argc < 2) Die("usage: spanbench corpus|ingest|lookup|fts|btql [--options]");
  o.phase = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--spans")
      o.spans = std::stoull(val());
    else if (a == "--seed")
      o.seed = std::stoull(val());
    else if (a == "--workers")
      o.workers = std::stoi(val());
    else if (a == "--queries")
      o.queries = std::stoi(val());
    else if (a == "--label")
      o.label = val();
    else if (a == "--tv")
      o.tv_url = val();
    else if (a == "--key")
      o.key = val();
    else if (a == "--project")
      o.project = val();
    else if (a == "--pg")
      o.pg = val();
    else if (a == "--fts-budget")
      o.fts_budget_s = std::stod(val());
    else if (a == "--budget")
      o.btql_budget_s = std::stod(val());
    else if (a == "--probes")
      o.probes = std::stoi(val());
    else if (a == "--no-drain")
      o.drain = false;
    else
      Die("unknown option " + a);
  }
  o.spans -= o.spans % 100;
  if (o.spans < 1000) Die("--spans must be at least 1000");
  if (o.workers < 1) Die("--workers must be at least 1");
  return o;
}

// ---------------------------------------------------------------- randomness

uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct Rng {  // xoshiro256**
  uint64_t s[4];
  explicit Rng(uint64_t seed) {
    for (auto& v : s) v = seed = Mix(seed);
  }
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t Next() {
    uint64_t r = Rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = Rotl(s[3], 45);
    return r;
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  double Unit() { return (Next() >> 11) * 0x1.0p-53; }
};

// ---------------------------------------------------------------- corpus

constexpr int kSpansPerTrace = 100;
constexpr int kTracesPerGroup = 10;  // traces whose spans are interleaved in one run of batches
constexpr int kBatchSpans = 100;
constexpr const char* kRareTerm = "zqxrareterm";     // exactly 1 in 10,000 spans
constexpr const char* kCommonTerm = "commonmarker";  // exactly 1 in 10 spans
constexpr const char* kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "llama-3.1-70b", "mistral-large"};

bool IsRare(size_t s) { return s % 10000 == 4999; }
bool IsCommon(size_t s) { return s % 10 == 3; }

struct Span {
  std::string id, root, created, json;
};

struct Batch {
  size_t index = 0;
  std::vector<Span> spans;
  size_t raw_bytes = 0;
  std::string probe_token;  // set on probe batches: a unique word in spans[0].output
};

class Corpus {
 public:
  Corpus(uint64_t seed, size_t spans, std::string project) : seed_(seed), spans_(spans), project_(std::move(project)) {
    BuildVocabulary();
  }

  size_t spans() const { return spans_; }
  size_t traces() const { return spans_ / kSpansPerTrace; }
  size_t batches() const { return spans_ / kBatchSpans; }
  size_t rare_count() const {
    size_t n = 0;
    for (size_t s = 4999; s < spans_; s += 10000) ++n;
    return n;
  }
  size_t common_count() const { return spans_ / 10; }

  // The span id of span `j` of trace `t` (j = 0 is the root).
  std::string SpanId(size_t t, int j) const {
    uint64_t a = Mix(seed_ ^ Mix(t * 1000 + j + 1)), b = Mix(a ^ 0x5bd1e995);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", uint32_t(a >> 32), uint32_t(a >> 16) & 0xffff,
                  uint32_t(a) & 0xfff, (uint32_t(b >> 48) & 0x3fff) | 0x8000,
                  static_cast<unsigned long long>(b & 0xffffffffffffull));
    return buf;
  }
  std::string RootId(size_t t) const { return SpanId(t, 0); }

  // Probe batches carry a unique token for the realtime-lag sampler.
  static std::string ProbeToken(size_t batch) { return "zqxprobe" + std::to_string(batch); }
  bool IsProbe(size_t batch, size_t every) const { return batch % every == every / 2; }

  // Batch b: the 100 spans at positions [100 b, 100 b + 100) of its group; in a
  // group of k traces, position p holds span p / k of trace p % k, so the traces
  // of a group progress together and a trace spans several batches.
  Batch Make(size_t b, size_t probe_every) const {
    Batch out;
    out.index = b;
    const size_t group = b * kBatchSpans / (kSpansPerTrace * kTracesPerGroup);
    const size_t group_first_span = group * kSpansPerTrace * kTracesPerGroup;
    const size_t k = std::min<size_t>(kTracesPerGroup, traces() - group * kTracesPerGroup);
    if (IsProbe(b, probe_every)) out.probe_token = ProbeToken(b);
    out.spans.reserve(kBatchSpans);
    for (size_t i = 0; i < kBatchSpans; ++i) {
      size_t s = b * kBatchSpans + i;
      size_t p = s - group_first_span;
      size_t t = group * kTracesPerGroup + p % k;
      int j = static_cast<int>(p / k);
      out.spans.push_back(MakeSpan(s, t, j, i == 0 ? out.probe_token : std::string()));
      out.raw_bytes += out.spans.back().json.size();
    }
    return out;
  }

  static std::string Created(size_t s) {  // 2026-01-01T00:00:00Z + 10 ms per span
    int64_t ms = static_cast<int64_t>(s) * 10;
    time_t secs = 1767225600 + ms / 1000;
    struct tm tm {};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
  }

 private:
  void BuildVocabulary() {
    static const char* kCons[] = {"b", "c", "d", "f", "g",  "h",  "j",  "k",  "l",  "m",  "n",  "p", "r",
                                  "s", "t", "v", "w", "br", "ch", "st", "tr", "pl", "gr", "sh", "th"};
    static const char* kVow[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou"};
    Rng rng(0x766f636162ull);  // the vocabulary does not depend on --seed
    std::set<std::string> seen;
    while (vocab_.size() < 4000) {
      int syl = 1 + static_cast<int>(rng.Below(3)) + (rng.Below(4) == 0);
      std::string w;
      for (int i = 0; i < syl; ++i) w += std::string(kCons[rng.Below(25)]) + kVow[rng.Below(8)];
      if (rng.Below(3) == 0) w += "nrstlm"[rng.Below(6)];
      if (w == kRareTerm || w == kCommonTerm || w.rfind("zqx", 0) == 0) continue;
      if (seen.insert(w).second) vocab_.push_back(w);
    }
    // Zipf (s = 1.0) over ranks, as a 2^20-slot inverse-CDF table.
    std::vector<double> cdf(vocab_.size());
    double sum = 0;
    for (size_t r = 0; r < vocab_.size(); ++r) cdf[r] = (sum += 1.0 / (r + 1.0));
    zipf_.resize(1 << 20);
    size_t r = 0;
    for (size_t i = 0; i < zipf_.size(); ++i) {
      double u = (i + 0.5) / zipf_.size() * sum;
      while (cdf[r] < u) ++r;
      zipf_[i] = static_cast<uint16_t>(r);
    }
  }

  std::string Text(Rng& rng, int words, const char* plant = nullptr) const {
    std::string out;
    out.reserve(words * 7 + 16);
    int plant_at = plant ? static_cast<int>(rng.Below(words)) : -1;
    bool cap = true;
    for (int i = 0; i < words; ++i) {
      if (i) out += ' ';
      if (i == plant_at) {
        out += plant;
        out += ' ';
      }
      const std::string& w = vocab_[zipf_[rng.Next() & ((1 << 20) - 1)]];
      size_t at = out.size();
      out += w;
      if (cap) out[at] = static_cast<char>(out[at] - 'a' + 'A');
      cap = false;
      if (i + 1 < words && rng.Below(12) == 0) {
        out += rng.Below(4) == 0 ? "," : ".";
        cap = out.back() == '.';
      }
    }
    out += '.';
    return out;
  }

  Span MakeSpan(size_t s, size_t t, int j, const std::string& probe) const {
    Rng rng(seed_ ^ Mix(s + 0x1234567));
    Span sp;
    sp.id = SpanId(t, j);
    sp.root = RootId(t);
    sp.created = Created(s);
    json::object r;
    r["id"] = sp.id;
    r["span_id"] = sp.id;
    r["root_span_id"] = sp.root;
    if (j > 0) r["span_parents"] = json::array{json::value(SpanId(t, (j - 1) / 10))};
    r["project_id"] = project_;
    r["log_id"] = "g";
    r["created"] = sp.created;
    const char* model = kModels[Mix(seed_ ^ t) % 5];
    json::array input;
    input.push_back(json::object{{"role", "system"}, {"content", Text(rng, 22)}});
    input.push_back(json::object{{"role", "user"}, {"content", Text(rng, 50 + static_cast<int>(rng.Below(30)))}});
    r["input"] = std::move(input);
    std::string output = Text(rng, 85 + static_cast<int>(rng.Below(50)),
                              IsRare(s)     ? kRareTerm
                              : IsCommon(s) ? kCommonTerm
                                            : nullptr);
    if (!probe.empty()) output += " " + probe;
    r["output"] = std::move(output);
    if (rng.Below(5) == 0) r["expected"] = Text(rng, 30);
    r["metadata"] = json::object{{"model", model},
                                 {"user_id", "user-" + std::to_string(Mix(seed_ ^ (t * 7)) % 5000)},
                                 {"env", rng.Below(10) < 8 ? "prod" : "staging"},
                                 {"region", rng.Below(2) ? "eu-west-1" : "us-east-1"},
                                 {"prompt_version", static_cast<int64_t>(1 + rng.Below(12))},
                                 {"session_id", "sess-" + std::to_string(t)}};
    if (rng.Below(3) == 0)
      r["scores"] = json::object{{"accuracy", std::round(rng.Unit() * 1000) / 1000},
                                 {"relevance", std::round(rng.Unit() * 1000) / 1000}};
    double start = 1767225600.0 + s * 0.01;
    int64_t prompt = 50 + static_cast<int64_t>(rng.Below(2000)), completion = 10 + static_cast<int64_t>(rng.Below(800));
    r["metrics"] = json::object{{"start", start},
                                {"end", start + 0.05 + rng.Unit() * 3},
                                {"prompt_tokens", prompt},
                                {"completion_tokens", completion},
                                {"total_tokens", prompt + completion}};
    static const char* kTypes[] = {"llm", "tool", "function", "llm"};
    r["span_attributes"] = json::object{{"name", j == 0 ? std::string("handle_request") : "step_" + std::to_string(j)},
                                        {"type", j == 0 ? "task" : kTypes[rng.Below(4)]}};
    sp.json = json::serialize(r);
    return sp;
  }

  uint64_t seed_;
  size_t spans_;
  std::string project_;
  std::vector<std::string> vocab_;
  std::vector<uint16_t> zipf_;
};

// ---------------------------------------------------------------- statistics

struct Stats {
  std::vector<double> ms;
  void Add(double v) { ms.push_back(v); }
  double Pct(double p) {
    if (ms.empty()) return NAN;
    std::sort(ms.begin(), ms.end());
    size_t i = static_cast<size_t>(std::ceil(p / 100.0 * ms.size()));
    return ms[std::min(ms.size() - 1, i == 0 ? 0 : i - 1)];
  }
};

double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string Fmt(double v, int prec = 1) {
  if (std::isnan(v)) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

std::string Thousands(double v) {
  if (std::isnan(v)) return "—";
  std::string s = std::to_string(static_cast<long long>(std::llround(v)));
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

// One line of the final table: "| phase | metric | tracevault | PostgreSQL | ratio |".
void Row(const std::string& phase, const std::string& metric, const std::string& tv, const std::string& pg, double a,
         double b) {
  std::string ratio = (!std::isnan(a) && !std::isnan(b) && b > 0) ? Fmt(a / b, 2) : "—";
  std::printf("TABLE| %s | %s | %s | %s | %s |\n", phase.c_str(), metric.c_str(), tv.c_str(), pg.c_str(),
              ratio.c_str());
  std::fflush(stdout);
}

// ---------------------------------------------------------------- the two sides

enum class QueryStatus { kOk, kError, kUnsupported };

// One connection (one per thread) to one side.
class Conn {
 public:
  virtual ~Conn() = default;
  virtual bool Write(const Batch& b, std::string* err) = 0;
  // Each returns the number of rows; -1 on error, -2 when the side does not
  // support the query (e.g. MATCH missing).
  virtual long ById(const std::string& id, std::string* err) = 0;
  virtual long Trace(const std::string& root, std::string* err) = 0;
  virtual long Match(const std::string& term, int limit, std::string* err, std::vector<std::string>* ids) = 0;
  // Every row matching `term` (the realtime-lag probe: a unique token, so one
  // row; no order and no limit, which would tempt PostgreSQL into a scan).
  virtual long AnyMatch(const std::string& term, std::string* err) = 0;
};

class Side {
 public:
  virtual ~Side() = default;
  virtual std::string name() const = 0;
  virtual std::unique_ptr<Conn> Connect() = 0;
  // After ingest: the maintenance the side still owes for what it acked
  // (tracevault: compaction caught up; PostgreSQL: VACUUM ANALYZE). Returns
  // false with `note` set when the side cannot do it.
  virtual bool Drain(std::string* note) = 0;
};

// --- tracevault over HTTP (libcurl easy handle = one keep-alive connection)

size_t Sink(char* p, size_t s, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, s * n);
  return s * n;
}

class Http {
 public:
  Http(std::string base, const std::string& key) : base_(std::move(base)) {
    h_ = curl_easy_init();
    hdrs_ = curl_slist_append(hdrs_, ("Authorization: Bearer " + key).c_str());
    hdrs_ = curl_slist_append(hdrs_, "Content-Type: application/json");
    hdrs_ = curl_slist_append(hdrs_, "Expect:");  // no 100-continue round trip on large bodies
    curl_easy_setopt(h_, CURLOPT_HTTPHEADER, hdrs_);
    curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, Sink);
    curl_easy_setopt(h_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h_, CURLOPT_TIMEOUT, 900L);
  }
  ~Http() {
    curl_easy_cleanup(h_);
    curl_slist_free_all(hdrs_);
  }
  // Returns the HTTP status (0 on a transport error).
  long Request(const char* method, const std::string& path, const std::string* body, std::string* out) {
    out->clear();
    std::string url = base_ + path;
    curl_easy_setopt(h_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h_, CURLOPT_WRITEDATA, out);
    if (body) {
      curl_easy_setopt(h_, CURLOPT_POST, 1L);
      curl_easy_setopt(h_, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(h_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    } else {
      curl_easy_setopt(h_, CURLOPT_HTTPGET, 1L);
    }
    (void)method;
    CURLcode rc = curl_easy_perform(h_);
    if (rc != CURLE_OK) {
      *out = curl_easy_strerror(rc);
      return 0;
    }
    long status = 0;
    curl_easy_getinfo(h_, CURLINFO_RESPONSE_CODE, &status);
    return status;
  }

 private:
  std::string base_;
  CURL* h_ = nullptr;
  curl_slist* hdrs_ = nullptr;
};

std::string Quote(const std::string& s) {  // a BTQL string literal
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

long CountData(const std::string& body, std::vector<std::string>* ids = nullptr) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return -1;
  const auto* d = v.as_object().if_contains("data");
  if (!d || !d->is_array()) return -1;
  if (ids)
    for (const auto& r : d->as_array())
      if (const auto* id = r.is_object() ? r.as_object().if_contains("id") : nullptr; id && id->is_string())
        ids->emplace_back(id->as_string());
  return static_cast<long>(d->as_array().size());
}

class TvConn : public Conn {
 public:
  TvConn(const Options& o) : http_(o.tv_url, o.key), project_(o.project) {}

  bool Write(const Batch& b, std::string* err) override {
    std::string body;
    body.reserve(b.raw_bytes + b.spans.size() + 64);
    body += "{\"rows\":[";
    for (size_t i = 0; i < b.spans.size(); ++i) {
      if (i) body += ',';
      body += b.spans[i].json;
    }
    body += "],\"api_version\":2}";
    long st = http_.Request("POST", "/logs3", &body, &resp_);
    if (st == 200) return true;
    *err = "HTTP " + std::to_string(st) + ": " + resp_.substr(0, 300);
    return false;
  }

  long Btql(const std::string& rest, std::string* err, std::vector<std::string>* ids = nullptr) {
    json::object q{{"query", "select: * | from: project_logs(" + Quote(project_) + ") | " + rest}, {"fmt", "json"}};
    std::string body = json::serialize(q);
    long st = http_.Request("POST", "/btql", &body, &resp_);
    if (st != 200) {
      *err = "HTTP " + std::to_string(st) + ": " + resp_.substr(0, 300);
      return st == 400 ? -3 : -1;
    }
    return CountData(resp_, ids);
  }
  long ById(const std::string& id, std::string* err) override { return Btql("filter: id = " + Quote(id), err); }
  long Trace(const std::string& root, std::string* err) override {
    return Btql("filter: root_span_id = " + Quote(root), err);
  }
  long Match(const std::string& term, int limit, std::string* err, std::vector<std::string>* ids) override {
    // Newest first is the store's own order; `sort` is asked for explicitly
    // while the server accepts it and dropped once it says it is unsupported.
    std::string base = "filter: output MATCH " + Quote(term);
    std::string lim = " | limit: " + std::to_string(limit);
    if (sort_ok_ && !sort_.empty()) {
      long n = Btql(base + " | sort: " + sort_ + lim, err, ids);
      if (n != -3) return n;
      if (err->find("sort") == std::string::npos) return Unsupported(err);
      sort_ok_ = false;
    }
    long n = Btql(base + lim, err, ids);
    return n == -3 ? Unsupported(err) : n;
  }
  long AnyMatch(const std::string& term, std::string* err) override {
    long n = Btql("filter: output MATCH " + Quote(term), err);
    return n == -3 ? Unsupported(err) : n;
  }
  static bool sort_accepted() { return sort_ok_; }
  // The full-text sort clause; empty asks without one (the store's order).
  void set_sort(std::string sort) { sort_ = std::move(sort); }

 private:
  static long Unsupported(std::string* err) {
    *err = "MATCH not supported by this server: " + *err;
    return -2;
  }
  Http http_;
  std::string project_, resp_;
  std::string sort_ = "_xact_id desc";
  static inline std::atomic<bool> sort_ok_{true};
};

class TvSide : public Side {
 public:
  explicit TvSide(const Options& o) : o_(o) {}
  std::string name() const override { return "tracevault"; }
  std::unique_ptr<Conn> Connect() override { return std::make_unique<TvConn>(o_); }
  bool Drain(std::string* note) override {
    // Compactions run one at a time, so a waiting request returns once the
    // background compactor's pass and its own are done.
    Http http(o_.tv_url, o_.key);
    std::string body = json::serialize(
        json::object{{"wait", true}, {"object_ids", json::array{json::value("project_logs:" + o_.project)}}});
    std::string out;
    long st = http.Request("POST", "/v1/admin/compact", &body, &out);
    *note =
        st == 200 ? "report " + out : "POST /v1/admin/compact: HTTP " + std::to_string(st) + " " + out.substr(0, 200);
    return st == 200;
  }

 private:
  const Options& o_;
};

// --- PostgreSQL through libpq

constexpr const char* kPgTsv = "jsonb_to_tsvector('simple', row->'output', '[\"string\"]')";

class PgConn : public Conn {
 public:
  explicit PgConn(const std::string& conninfo) {
    c_ = PQconnectdb(conninfo.c_str());
    if (PQstatus(c_) != CONNECTION_OK) Die(std::string("PostgreSQL: ") + PQerrorMessage(c_));
    // Plan each execution for its parameters: a generic plan cannot tell a
    // rare term (GIN bitmap) from a common one (newest-first index walk).
    PQclear(PQexec(c_, "SET plan_cache_mode = force_custom_plan"));
    std::string ins = "INSERT INTO spans (id, root_span_id, created, row) VALUES ";
    for (int i = 0; i < kBatchSpans; ++i) {
      int p = i * 4;
      ins += (i ? ",(" : "(") + std::string("$") + std::to_string(p + 1) + ",$" + std::to_string(p + 2) + ",$" +
             std::to_string(p + 3) + "::timestamptz,$" + std::to_string(p + 4) + "::jsonb)";
    }
    Prepare("ins", ins, kBatchSpans * 4);
    Prepare("byid", "SELECT row FROM spans WHERE id = $1", 1);
    Prepare("trace", "SELECT row FROM spans WHERE root_span_id = $1", 1);
    // Full-text top 50, two forms: the plain query (the planner may walk the
    // `created` index newest first and filter, which is right for a common
    // term), and the same with an OFFSET 0 fence that makes it take the GIN
    // matches first (right for a rare term). Phase 4 reports both.
    Prepare("match",
            std::string("SELECT row FROM spans WHERE ") + kPgTsv +
                " @@ to_tsquery('simple', $1) ORDER BY created DESC LIMIT $2::int",
            2);
    Prepare("match_gin",
            std::string("SELECT row FROM (SELECT row, created FROM spans WHERE ") + kPgTsv +
                " @@ to_tsquery('simple', $1) OFFSET 0) m ORDER BY created DESC LIMIT $2::int",
            2);
    Prepare("anymatch", std::string("SELECT row FROM spans WHERE ") + kPgTsv + " @@ to_tsquery('simple', $1)", 1);
  }
  ~PgConn() override { PQfinish(c_); }

  bool Write(const Batch& b, std::string* err) override {
    std::vector<const char*> params;
    params.reserve(b.spans.size() * 4);
    for (const auto& s : b.spans) {
      params.push_back(s.id.c_str());
      params.push_back(s.root.c_str());
      params.push_back(s.created.c_str());
      params.push_back(s.json.c_str());
    }
    PGresult* r = PQexecPrepared(c_, "ins", static_cast<int>(params.size()), params.data(), nullptr, nullptr, 0);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) *err = PQresultErrorMessage(r);
    PQclear(r);
    return ok;
  }
  long Exec(const char* stmt, std::vector<const char*> params, std::string* err,
            std::vector<std::string>* ids = nullptr) {
    PGresult* r = PQexecPrepared(c_, stmt, static_cast<int>(params.size()), params.data(), nullptr, nullptr, 0);
    long n = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      n = PQntuples(r);
      if (ids)
        for (long i = 0; i < n; ++i) {
          json::value v = json::parse(PQgetvalue(r, static_cast<int>(i), 0));
          ids->emplace_back(v.as_object().at("id").as_string());
        }
    } else {
      *err = PQresultErrorMessage(r);
    }
    PQclear(r);
    return n;
  }
  long ById(const std::string& id, std::string* err) override { return Exec("byid", {id.c_str()}, err); }
  long Trace(const std::string& root, std::string* err) override { return Exec("trace", {root.c_str()}, err); }
  long Match(const std::string& term, int limit, std::string* err, std::vector<std::string>* ids) override {
    std::string l = std::to_string(limit);
    return Exec(gin_first_ ? "match_gin" : "match", {term.c_str(), l.c_str()}, err, ids);
  }
  long AnyMatch(const std::string& term, std::string* err) override { return Exec("anymatch", {term.c_str()}, err); }
  void set_gin_first(bool v) { gin_first_ = v; }

 private:
  void Prepare(const char* name, const std::string& sql, int n) {
    PGresult* r = PQprepare(c_, name, sql.c_str(), n, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(std::string("PostgreSQL prepare: ") + PQresultErrorMessage(r));
    PQclear(r);
  }
  PGconn* c_ = nullptr;
  bool gin_first_ = false;
};

class PgSide : public Side {
 public:
  explicit PgSide(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  std::string name() const override { return "postgres"; }
  std::unique_ptr<Conn> Connect() override { return std::make_unique<PgConn>(conninfo_); }
  bool Drain(std::string* note) override {
    PGconn* c = PQconnectdb(conninfo_.c_str());
    PGresult* r = PQexec(c, "VACUUM ANALYZE spans");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    *note = ok ? "VACUUM ANALYZE spans" : std::string(PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return ok;
  }

 private:
  std::string conninfo_;
};

std::vector<std::unique_ptr<Side>> Sides(const Options& o) {
  std::vector<std::unique_ptr<Side>> out;
  if (!o.tv_url.empty()) {
    if (o.key.empty() || o.project.empty()) Die("--tv needs --key and --project");
    out.push_back(std::make_unique<TvSide>(o));
  }
  if (!o.pg.empty()) out.push_back(std::make_unique<PgSide>(o.pg));
  if (out.empty()) Die("give --tv and/or --pg");
  return out;
}

// ---------------------------------------------------------------- phase 1 + 2: ingest and realtime lag

// A probe handed from a worker to an idle sampler right after its ack. A
// busy sampler skips probes, so a lag never includes time spent queueing.
struct Probe {
  std::string id, token;
  Clock::time_point ack;
};

class ProbeSlot {
 public:
  void Offer(const Probe& p) {
    tv::MutexLock lk(mu_);
    if (busy_ || probe_ || done_) return;
    probe_ = p;
    cv_.Signal();
  }
  std::optional<Probe> Take() {
    tv::MutexLock lk(mu_);
    busy_ = false;
    while (!probe_ && !done_) cv_.Wait(mu_);
    if (!probe_) return std::nullopt;
    busy_ = true;
    auto p = std::move(probe_);
    probe_.reset();
    return p;
  }
  void Finish() {
    tv::MutexLock lk(mu_);
    done_ = true;
    cv_.SignalAll();
  }

 private:
  tv::Mutex mu_;
  tv::CondVar cv_;
  std::optional<Probe> probe_ GUARDED_BY(mu_);
  bool busy_ GUARDED_BY(mu_) = false;
  bool done_ GUARDED_BY(mu_) = false;
};

struct LagResult {
  Stats ms;
  size_t timeouts = 0;
  bool unsupported = false;
  std::string note;
};

// Polls until the probe is visible (or 30 s pass); records ack → visible.
void RunSampler(Side& side, ProbeSlot& slot, bool full_text, LagResult& out) {
  auto conn = side.Connect();
  while (auto p = slot.Take()) {
    if (out.unsupported) continue;
    auto deadline = p->ack + std::chrono::seconds(30);
    bool seen = false;
    while (Clock::now() < deadline) {
      std::string err;
      long n = full_text ? conn->AnyMatch(p->token, &err) : conn->ById(p->id, &err);
      if (n == -2) {
        out.unsupported = true;
        out.note = err;
        break;
      }
      if (n > 0) {
        out.ms.Add(MsSince(p->ack));
        seen = true;
        break;
      }
      if (n < 0 && out.note.empty()) out.note = err;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!seen && !out.unsupported) ++out.timeouts;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // keep the sampler's load small
  }
}

// Reads tracevault_store_indexing_lag_seconds from GET /metrics once a second.
struct MetricsWatch {
  std::atomic<bool> stop{false};
  double max_lag = NAN, last_lag = NAN;
  bool present = false;
  std::string note;
  void Run(const Options& o) {
    Http http(o.tv_url, o.key);
    std::string body;
    while (!stop) {
      long st = http.Request("GET", "/metrics", nullptr, &body);
      if (st != 200) {
        note = "GET /metrics: HTTP " + std::to_string(st);
        return;
      }
      double v = NAN;
      size_t at = 0;
      while ((at = body.find("tracevault_store_indexing_lag_seconds", at)) != std::string::npos) {
        bool line_start = at == 0 || body[at - 1] == '\n';
        size_t eol = body.find('\n', at);
        std::string line = body.substr(at, eol == std::string::npos ? std::string::npos : eol - at);
        at += 10;
        if (!line_start) continue;
        size_t sp = line.rfind(' ');
        if (sp != std::string::npos)
          v = std::isnan(v) ? std::atof(line.c_str() + sp + 1) : std::max(v, std::atof(line.c_str() + sp + 1));
      }
      if (!std::isnan(v)) {
        present = true;
        last_lag = v;
        max_lag = std::isnan(max_lag) ? v : std::max(max_lag, v);
      } else if (note.empty()) {
        note = "/metrics has no tracevault_store_indexing_lag_seconds";
      }
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
};

struct IngestResult {
  double seconds = 0, spans_per_s = 0, mb_per_s = 0, drain_s = NAN, drained_spans_per_s = NAN;
  size_t spans = 0, raw_bytes = 0, errors = 0;
  Stats ack;
  LagResult lag_id, lag_fts;
  double idx_lag_max = NAN;
  bool ran = false;
};

IngestResult Ingest(Side& side, const Corpus& corpus, const Options& o) {
  IngestResult res;
  res.ran = true;
  const size_t nb = corpus.batches();
  const size_t probe_every = std::max<size_t>(1, nb / std::max(1, o.probes));
  std::atomic<size_t> next{0}, raw{0}, errors{0};
  tv::Mutex ack_mu;
  ProbeSlot id_slot, fts_slot;
  std::thread s1([&] { RunSampler(side, id_slot, false, res.lag_id); });
  std::thread s2([&] { RunSampler(side, fts_slot, true, res.lag_fts); });
  MetricsWatch watch;
  std::thread mt;
  if (side.name() == "tracevault") mt = std::thread([&] { watch.Run(o); });

  std::vector<std::unique_ptr<Conn>> conns;
  for (int w = 0; w < o.workers; ++w) conns.push_back(side.Connect());
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < o.workers; ++w) {
    workers.emplace_back([&, w] {
      Stats local;
      Conn& c = *conns[w];
      for (size_t b; (b = next.fetch_add(1)) < nb;) {
        Batch batch = corpus.Make(b, probe_every);  // generation and JSON serialization are counted
        auto start = Clock::now();
        std::string err;
        int tries = 0;
        while (!c.Write(batch, &err)) {
          errors++;
          if (++tries == 20) Die(side.name() + " write failed 20 times: " + err);
          std::this_thread::sleep_for(std::chrono::milliseconds(100 * tries));
        }
        auto acked = Clock::now();
        local.Add(std::chrono::duration<double, std::milli>(acked - start).count());
        raw += batch.raw_bytes;
        if (!batch.probe_token.empty()) {
          id_slot.Offer({batch.spans[0].id, batch.probe_token, acked});
          fts_slot.Offer({batch.spans[0].id, batch.probe_token, acked});
        }
      }
      tv::MutexLock lk(ack_mu);
      res.ack.ms.insert(res.ack.ms.end(), local.ms.begin(), local.ms.end());
    });
  }
  for (auto& t : workers) t.join();
  res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  id_slot.Finish();
  fts_slot.Finish();
  s1.join();
  s2.join();
  watch.stop = true;
  if (mt.joinable()) mt.join();
  if (watch.present)
    res.idx_lag_max = watch.max_lag;
  else if (side.name() == "tracevault")
    res.lag_fts.note += (res.lag_fts.note.empty() ? "" : "; ") + watch.note;
  res.spans = corpus.spans();
  res.raw_bytes = raw;
  res.errors = errors;
  res.spans_per_s = res.spans / res.seconds;
  res.mb_per_s = res.raw_bytes / res.seconds / 1e6;
  if (!o.drain) return res;
  auto d0 = Clock::now();
  std::string note;
  if (side.Drain(&note)) {
    res.drain_s = std::chrono::duration<double>(Clock::now() - d0).count();
    res.drained_spans_per_s = res.spans / (res.seconds + res.drain_s);
  }
  std::printf("  %s drain after ingest: %s s (%s)\n", side.name().c_str(), Fmt(res.drain_s, 2).c_str(), note.c_str());
  return res;
}

void PrintLag(const std::string& side, const char* what, LagResult& l) {
  if (l.unsupported) {
    std::printf("  %s lag %s: not measured (feature missing: %s)\n", side.c_str(), what, l.note.c_str());
    return;
  }
  std::printf("  %s lag %s: n=%zu p50=%s ms p99=%s ms max=%s ms timeouts=%zu%s%s\n", side.c_str(), what, l.ms.ms.size(),
              Fmt(l.ms.Pct(50), 2).c_str(), Fmt(l.ms.Pct(99), 2).c_str(), Fmt(l.ms.Pct(100), 2).c_str(), l.timeouts,
              l.note.empty() ? "" : " note: ", l.note.c_str());
}

int PhaseIngest(const Options& o) {
  Corpus corpus(o.seed, o.spans, o.project);
  auto sides = Sides(o);
  std::map<std::string, IngestResult> r;
  for (auto& s : sides) {
    std::printf("# ingest %s: %zu spans (%zu traces; '%s' in %zu, '%s' in %zu) in %zu batches of %d, %d connections\n",
                s->name().c_str(), corpus.spans(), corpus.traces(), kRareTerm, corpus.rare_count(), kCommonTerm,
                corpus.common_count(), corpus.batches(), kBatchSpans, o.workers);
    std::fflush(stdout);
    IngestResult x = Ingest(*s, corpus, o);
    std::printf(
        "FIG phase=ingest side=%s spans=%zu raw_bytes=%zu seconds=%.2f spans_per_s=%.0f raw_mb_per_s=%.1f "
        "ack_p50_ms=%.2f ack_p99_ms=%.2f retries=%zu\n",
        s->name().c_str(), x.spans, x.raw_bytes, x.seconds, x.spans_per_s, x.mb_per_s, x.ack.Pct(50), x.ack.Pct(99),
        x.errors);
    PrintLag(s->name(), "fetch-by-id", x.lag_id);
    PrintLag(s->name(), "full-text", x.lag_fts);
    if (!std::isnan(x.idx_lag_max))
      std::printf("  %s indexing lag gauge max: %.3f s\n", s->name().c_str(), x.idx_lag_max);
    std::fflush(stdout);
    r[s->name()] = std::move(x);
  }
  auto& tv = r["tracevault"];
  auto& pg = r["postgres"];
  auto get = [](IngestResult& x, auto f) { return x.ran ? f(x) : NAN; };
  auto both = [&](const char* metric, auto f, int prec, bool thousands) {
    double a = get(tv, f), b = get(pg, f);
    Row("1 ingest", metric, thousands ? Thousands(a) : Fmt(a, prec), thousands ? Thousands(b) : Fmt(b, prec), a, b);
  };
  if (tv.ran && pg.ran)
    std::printf("RATIO ingest spans/s tracevault/postgres = %.2f\n", tv.spans_per_s / pg.spans_per_s);
  both(
      "spans/s", [](IngestResult& x) { return x.spans_per_s; }, 0, true);
  both(
      "raw JSON MB/s", [](IngestResult& x) { return x.mb_per_s; }, 1, false);
  both(
      "drain after ingest s (compaction caught up / VACUUM ANALYZE)", [](IngestResult& x) { return x.drain_s; }, 1,
      false);
  both(
      "spans/s including the drain", [](IngestResult& x) { return x.drained_spans_per_s; }, 0, true);
  both(
      "ack p50 ms", [](IngestResult& x) { return x.ack.Pct(50); }, 1, false);
  both(
      "ack p99 ms", [](IngestResult& x) { return x.ack.Pct(99); }, 1, false);
  auto lag = [&](const char* metric, LagResult IngestResult::*which, double pct) {
    auto cell = [&](IngestResult& x, double* v) -> std::string {
      *v = NAN;
      if (!x.ran) return "—";
      LagResult& l = x.*which;
      if (l.unsupported) return "not measured (feature missing)";
      *v = l.ms.Pct(pct);
      return Fmt(*v, 1) + (l.timeouts ? " (" + std::to_string(l.timeouts) + " timeouts)" : "");
    };
    double a, b;
    std::string ca = cell(tv, &a), cb = cell(pg, &b);
    Row("2 realtime lag", metric, ca, cb, a, b);
  };
  lag("ack→visible by id p50 ms", &IngestResult::lag_id, 50);
  lag("ack→visible by id p99 ms", &IngestResult::lag_id, 99);
  lag("ack→visible full-text p50 ms", &IngestResult::lag_fts, 50);
  lag("ack→visible full-text p99 ms", &IngestResult::lag_fts, 99);
  if (tv.ran)
    Row("2 realtime lag", "indexing lag gauge max s",
        std::isnan(tv.idx_lag_max) ? "not measured (feature missing)" : Fmt(tv.idx_lag_max, 3), "—", NAN, NAN);
  if (tv.ran)
    std::printf("RAW raw_bytes=%zu spans=%zu\n", tv.raw_bytes, tv.spans);
  else if (pg.ran)
    std::printf("RAW raw_bytes=%zu spans=%zu\n", pg.raw_bytes, pg.spans);
  return 0;
}

// ---------------------------------------------------------------- phase 3: trace lookup

int PhaseLookup(const Options& o) {
  Corpus corpus(o.seed, o.spans, o.project);
  bool cold = o.label.rfind("cold", 0) == 0;
  // Each label draws its own traces, so a cold pass touches none a warm pass read.
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the label
  for (unsigned char ch : o.label) h = (h ^ ch) * 1099511628211ull;
  Rng rng(o.seed ^ Mix(h));
  std::vector<size_t> traces;
  for (int i = 0; i < o.queries; ++i) traces.push_back(rng.Below(corpus.traces()));
  std::map<std::string, std::pair<Stats, double>> res;  // side → (latencies, first query ms)
  for (auto& s : Sides(o)) {
    auto conn = s->Connect();
    auto run = [&](Stats* st, double* first) {
      size_t bad = 0;
      for (size_t i = 0; i < traces.size(); ++i) {
        std::string err, root = corpus.RootId(traces[i]);
        auto t0 = Clock::now();
        long n = conn->Trace(root, &err);
        double ms = MsSince(t0);
        if (n != kSpansPerTrace) {
          if (++bad <= 3)
            std::fprintf(stderr, "%s trace %s: %ld rows %s\n", s->name().c_str(), root.c_str(), n, err.c_str());
        }
        if (i == 0 && first) *first = ms;
        if (st && !(cold && i == 0)) st->Add(ms);
      }
      return bad;
    };
    Stats st;
    double first = NAN;
    size_t bad;
    if (!cold) run(nullptr, nullptr);  // warm-up pass over the same traces
    bad = run(&st, &first);
    std::printf("FIG phase=lookup_%s side=%s queries=%zu p50_ms=%.2f p99_ms=%.2f first_ms=%.1f wrong_counts=%zu\n",
                o.label.c_str(), s->name().c_str(), traces.size(), st.Pct(50), st.Pct(99), first, bad);
    std::fflush(stdout);
    res[s->name()] = {std::move(st), first};
  }
  auto cell = [&](const std::string& side, double pct, double* v) {
    auto it = res.find(side);
    *v = it == res.end() ? NAN : (pct < 0 ? it->second.second : it->second.first.Pct(pct));
    return Fmt(*v, 2);
  };
  std::string phase = "3 trace lookup (" + o.label + ")";
  for (double pct : cold ? std::vector<double>{-1, 50, 99} : std::vector<double>{50, 99}) {
    double a, b;
    std::string ca = cell("tracevault", pct, &a), cb = cell("postgres", pct, &b);
    std::string metric = pct < 0 ? "first query after restart ms" : (pct == 50 ? "p50 ms" : "p99 ms");
    if (cold && pct >= 0) metric += " (next " + std::to_string(o.queries - 1) + " untouched traces)";
    Row(phase, metric, ca, cb, a, b);
  }
  return 0;
}

// ---------------------------------------------------------------- phase 4: full text

// tracevault's other full-text forms: the peer's own order (its answer must
// be the peer's 50 spans), and no sort clause (the store's order, newest
// transaction first, which needs no sort of the matches).
constexpr const char* kTvFtsForms[] = {"tracevault, sort: created desc", "tracevault, no sort"};

int PhaseFts(const Options& o) {
  Corpus corpus(o.seed, o.spans, o.project);
  struct Cell {
    Stats st;
    bool unsupported = false;
    long rows = 0;
    std::vector<std::string> ids;
  };
  // Runs: tracevault; postgres with the plain query; postgres GIN first.
  std::map<std::pair<std::string, std::string>, Cell> res;
  const std::vector<std::pair<std::string, size_t>> terms = {{kRareTerm, corpus.rare_count()},
                                                             {kCommonTerm, corpus.common_count()}};
  for (auto& s : Sides(o)) {
    auto conn = s->Connect();
    std::vector<std::string> runs = {s->name()};
    if (s->name() == "postgres") runs.push_back("postgres, GIN first");
    if (s->name() == "tracevault") runs.insert(runs.end(), std::begin(kTvFtsForms), std::end(kTvFtsForms));
    for (const auto& run : runs) {
      if (auto* pc = dynamic_cast<PgConn*>(conn.get())) pc->set_gin_first(run != "postgres");
      if (auto* tc = dynamic_cast<TvConn*>(conn.get()))
        tc->set_sort(run == kTvFtsForms[0] ? "created desc" : run == kTvFtsForms[1] ? "" : "_xact_id desc");
      for (const auto& [term, count] : terms) {
        Cell& c = res[{run, term}];
        std::string err;
        auto w0 = Clock::now();
        long n = conn->Match(term, 50, &err, &c.ids);  // warm-up; also the answer we check
        if (n == -2) {
          c.unsupported = true;
          std::printf("FIG phase=fts side=%s term=%s not measured (feature missing: %s)\n", run.c_str(), term.c_str(),
                      err.c_str());
          continue;
        }
        if (n < 0) Die(run + " full-text query failed: " + err);
        c.rows = n;
        // A form that takes seconds is timed by its first run alone.
        const double first = MsSince(w0);
        const bool slow = first > 5000;
        if (slow) c.st.Add(first);
        auto t_end = Clock::now() + std::chrono::duration<double>(o.fts_budget_s);
        for (int i = 0; i < o.queries && !slow && Clock::now() < t_end; ++i) {
          auto t0 = Clock::now();
          conn->Match(term, 50, &err, nullptr);
          c.st.Add(MsSince(t0));
        }
        std::printf("FIG phase=fts side=%s term=%s matching=%zu rows=%ld queries=%zu p50_ms=%.2f p99_ms=%.2f\n",
                    run.c_str(), term.c_str(), count, n, c.st.ms.size(), c.st.Pct(50), c.st.Pct(99));
        if (static_cast<size_t>(n) != std::min<size_t>(50, count))
          std::printf("  warning: %s returned %ld rows for '%s', expected %zu\n", run.c_str(), n, term.c_str(),
                      std::min<size_t>(50, count));
        std::fflush(stdout);
      }
    }
  }
  if (res.count({"tracevault", kRareTerm}) && !res[{"tracevault", kRareTerm}].unsupported)
    std::printf("  tracevault: %s\n",
                TvConn::sort_accepted()
                    ? "asked with 'sort: _xact_id desc'"
                    : "'sort' is not supported yet; asked without it (newest first is the store's order)");
  for (const auto& [term, count] : terms) {
    // The peer's figure is its better form for this term.
    auto pg = res.find({"postgres", term}), pg2 = res.find({"postgres, GIN first", term});
    bool gin_better = false;
    if (pg != res.end() && pg2 != res.end() && pg2->second.st.Pct(50) < pg->second.st.Pct(50)) {
      pg = pg2;
      gin_better = true;
    }
    for (const char* form : {"tracevault", kTvFtsForms[0], kTvFtsForms[1]}) {
      auto tv = res.find({form, term});
      if (tv == res.end()) continue;
      const std::string suffix = tv->first.first == "tracevault" ? "" : " (" + tv->first.first.substr(12) + ")";
      if (pg != res.end() && !tv->second.unsupported) {
        std::set<std::string> a(tv->second.ids.begin(), tv->second.ids.end());
        size_t same = 0;
        for (const auto& id : pg->second.ids) same += a.count(id);
        std::printf("  '%s'%s: %zu of the peer's %zu newest (by created) are in tracevault's answer\n", term.c_str(),
                    suffix.c_str(), same, pg->second.ids.size());
        if (tv->first.first == kTvFtsForms[0] && same != pg->second.ids.size())
          std::printf("  warning: '%s' sorted by created differs from the peer's answer\n", term.c_str());
      }
      for (double pct : {50.0, 99.0}) {
        auto cell = [&](decltype(tv) it, double* v) -> std::string {
          *v = NAN;
          if (it == res.end()) return "—";
          if (it->second.unsupported) return "not measured (feature missing)";
          *v = it->second.st.Pct(pct);
          return Fmt(*v, 2);
        };
        double a, b;
        std::string ca = cell(tv, &a), cb = cell(pg, &b);
        if (!std::isnan(b)) cb += gin_better ? " (GIN first)" : " (plain)";
        char metric[200];
        std::snprintf(metric, sizeof metric, "%s (%s of %zu spans) newest 50%s %s ms",
                      term == kRareTerm ? "rare" : "common", Thousands(double(count)).c_str(), corpus.spans(),
                      suffix.c_str(), pct == 50 ? "p50" : "p99");
        Row("4 full-text", metric, ca, cb, a, b);
      }
    }
  }
  return 0;
}

// ---------------------------------------------------------------- phases 7 + 8: BTQL aggregates

// The filter of the group-by: one span in five is 'staging' (spans are drawn
// independently), and the peer has an expression index on that field.
constexpr const char* kGroupField = "env";
constexpr const char* kGroupValue = "staging";

std::string SummaryBtql(const std::string& project) {
  // preview_length 1: the root previews are cut as /experiment-comparison2
  // cuts them; `select` keeps the answer to what a comparison reads.
  return "select: root_span_id, scores, metrics | from: project_logs(" + Quote(project) +
         ") summary | limit: 100000 | preview_length: 1";
}

std::string GroupByBtql(const std::string& project) {
  return "dimensions: metadata.model as model, day(created) as d | measures: count(1) as n, "
         "avg(scores.accuracy) as s, percentile(metrics.end - metrics.start, 0.95) as p95, "
         "sum(metrics.total_tokens) as tok | from: project_logs(" +
         Quote(project) + ") | filter: metadata." + kGroupField + " = " + Quote(kGroupValue);
}

// The peer's equivalents (docs/benchmarks.md quotes them), written the way a
// DBA would tune them: each row's JSONB is read once (jsonb_to_record) rather
// than once per `->` (every `row->...` decompresses the whole value again),
// which halves the peer's time; the score fields are named, which a generic
// jsonb_each would not need to.
constexpr const char* kPgSummarySql =
    "SELECT root_span_id, avg(sc.accuracy) AS accuracy, avg(sc.relevance) AS relevance, "
    "sum(m.prompt_tokens) AS prompt_tokens, sum(m.completion_tokens) AS completion_tokens, "
    "sum(m.total_tokens) AS total_tokens, min(m.start) AS start, max(m.\"end\") AS \"end\", "
    "max(m.\"end\" - m.start) AS duration, count(*) AS num_spans "
    "FROM (SELECT root_span_id, created, r.scores, r.metrics FROM spans, "
    "jsonb_to_record(row) AS r(scores jsonb, metrics jsonb)) s, "
    "jsonb_to_record(coalesce(s.scores, '{}')) AS sc(accuracy float8, relevance float8), "
    "jsonb_to_record(s.metrics) AS m(start float8, \"end\" float8, prompt_tokens float8, "
    "completion_tokens float8, total_tokens float8) "
    "GROUP BY root_span_id ORDER BY max(created) DESC";

std::string PgGroupBySql() {
  return std::string(
             "SELECT s.model, date_trunc('day', s.created) AS d, count(*) AS n, avg(sc.accuracy) AS s, "
             "percentile_cont(0.95) WITHIN GROUP (ORDER BY m.\"end\" - m.start) AS p95, sum(m.total_tokens) AS tok "
             "FROM (SELECT created, r.scores, r.metrics, r.metadata->>'model' AS model FROM spans, "
             "jsonb_to_record(row) AS r(scores jsonb, metrics jsonb, metadata jsonb) "
             "WHERE row->'metadata'->>'") +
         kGroupField + "' = '" + kGroupValue +
         "') s, jsonb_to_record(coalesce(s.scores, '{}')) AS sc(accuracy float8), "
         "jsonb_to_record(s.metrics) AS m(start float8, \"end\" float8, total_tokens float8) "
         "GROUP BY 1, 2 ORDER BY 1, 2";
}

// An answer reduced for comparison: key → numbers (NaN = null or absent).
using Answer = std::map<std::string, std::vector<double>>;

double JsonNumber(const json::object* o, std::string_view key) {
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_number() ? v->to_number<double>() : NAN;
}

const json::object* JsonObject(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_object() : nullptr;
}

std::string JsonText(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return "";
  return v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
}

// One query kind: how tracevault's rows and the peer's rows reduce to an Answer.
struct AggQuery {
  std::string phase, what, btql, sql;
  std::function<void(const json::object&, Answer&)> tv_row;
  std::function<void(PGresult*, int, Answer&)> pg_row;
};

double PgNumber(PGresult* r, int row, const char* col) {
  int c = PQfnumber(r, col);
  return c < 0 || PQgetisnull(r, row, c) ? NAN : std::atof(PQgetvalue(r, row, c));
}

AggQuery SummaryQuery(const Options& o) {
  AggQuery q{"7 BTQL summary", "", SummaryBtql(o.project), kPgSummarySql, nullptr, nullptr};
  q.tv_row = [](const json::object& row, Answer& a) {
    const json::object *sc = JsonObject(row, "scores"), *m = JsonObject(row, "metrics");
    a[JsonText(row, "root_span_id")] = {JsonNumber(sc, "accuracy"), JsonNumber(sc, "relevance"),
                                        JsonNumber(m, "total_tokens"), JsonNumber(m, "duration")};
  };
  q.pg_row = [](PGresult* r, int i, Answer& a) {
    a[PQgetvalue(r, i, 0)] = {PgNumber(r, i, "accuracy"), PgNumber(r, i, "relevance"), PgNumber(r, i, "total_tokens"),
                              PgNumber(r, i, "duration")};
  };
  return q;
}

AggQuery GroupByQuery(const Options& o) {
  AggQuery q{"8 BTQL group-by", "", GroupByBtql(o.project), PgGroupBySql(), nullptr, nullptr};
  // Keyed by model and the date (the first 10 characters of either side's day).
  q.tv_row = [](const json::object& row, Answer& a) {
    a[JsonText(row, "model") + " " + JsonText(row, "d").substr(0, 10)] = {
        JsonNumber(&row, "n"), JsonNumber(&row, "s"), JsonNumber(&row, "p95"), JsonNumber(&row, "tok")};
  };
  q.pg_row = [](PGresult* r, int i, Answer& a) {
    a[std::string(PQgetvalue(r, i, 0)) + " " + std::string(PQgetvalue(r, i, 1)).substr(0, 10)] = {
        PgNumber(r, i, "n"), PgNumber(r, i, "s"), PgNumber(r, i, "p95"), PgNumber(r, i, "tok")};
  };
  return q;
}

// Runs one side's query: returns false with `err` set on failure.
class AggRunner {
 public:
  explicit AggRunner(const Options& o) {
    if (!o.tv_url.empty()) http_ = std::make_unique<Http>(o.tv_url, o.key);
    if (!o.pg.empty()) {
      pg_ = PQconnectdb(o.pg.c_str());
      if (PQstatus(pg_) != CONNECTION_OK) Die(std::string("PostgreSQL: ") + PQerrorMessage(pg_));
      PQclear(PQexec(pg_, "SET TimeZone = 'UTC'"));
    }
  }
  ~AggRunner() {
    if (pg_) PQfinish(pg_);
  }
  bool has(const std::string& side) const { return side == "tracevault" ? http_ != nullptr : pg_ != nullptr; }

  bool Run(const std::string& side, const AggQuery& q, Answer* answer, std::string* err) {
    return side == "tracevault" ? RunTv(q, answer, err) : RunPg(q, answer, err);
  }

 private:
  bool RunTv(const AggQuery& q, Answer* answer, std::string* err) {
    std::string body = json::serialize(json::object{{"query", q.btql}, {"fmt", "json"}});
    long st = http_->Request("POST", "/btql", &body, &resp_);
    if (st != 200) {
      *err = "HTTP " + std::to_string(st) + ": " + resp_.substr(0, 300);
      return false;
    }
    if (!answer) return true;  // a timed run: the answer was checked on the warm-up
    boost::system::error_code ec;
    json::value v = json::parse(resp_, ec);
    const json::value* d = !ec && v.is_object() ? v.as_object().if_contains("data") : nullptr;
    if (!d || !d->is_array()) {
      *err = "no data array in " + resp_.substr(0, 300);
      return false;
    }
    for (const auto& row : d->as_array())
      if (row.is_object()) q.tv_row(row.as_object(), *answer);
    return true;
  }
  bool RunPg(const AggQuery& q, Answer* answer, std::string* err) {
    PGresult* r = PQexec(pg_, q.sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) *err = PQresultErrorMessage(r);
    if (ok && answer)
      for (int i = 0; i < PQntuples(r); ++i) q.pg_row(r, i, *answer);
    PQclear(r);
    return ok;
  }

  std::unique_ptr<Http> http_;
  PGconn* pg_ = nullptr;
  std::string resp_;
};

bool Close(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= 1e-6 * std::max(1.0, std::max(std::fabs(a), std::fabs(b)));
}

// Prints the first differences; returns how many keys differ.
size_t CompareAnswers(const std::string& what, const Answer& tv, const Answer& pg) {
  size_t wrong = 0;
  auto show = [&](const std::string& key, const std::string& how) {
    if (++wrong <= 3) std::printf("  warning: %s: %s %s\n", what.c_str(), key.c_str(), how.c_str());
  };
  auto list = [](const std::vector<double>& v) {
    std::string s = "[";
    for (double x : v) s += (s.size() > 1 ? ", " : "") + Fmt(x, 6);
    return s + "]";
  };
  for (const auto& [key, values] : pg) {
    auto it = tv.find(key);
    if (it == tv.end()) {
      show(key, "missing from tracevault's answer");
      continue;
    }
    bool same = it->second.size() == values.size();
    for (size_t i = 0; same && i < values.size(); ++i) same = Close(it->second[i], values[i]);
    if (!same) show(key, "tracevault " + list(it->second) + " vs postgres " + list(values));
  }
  for (const auto& [key, values] : tv)
    if (!pg.count(key)) show(key, "only in tracevault's answer");
  return wrong;
}

int PhaseBtql(const Options& o) {
  Corpus corpus(o.seed, o.spans, o.project);
  AggRunner runner(o);
  const std::vector<std::string> sides = {"tracevault", "postgres"};
  for (const AggQuery& q : {SummaryQuery(o), GroupByQuery(o)}) {
    std::printf("# %s\n#   tracevault: %s\n#   postgres:   %s\n", q.phase.c_str(), q.btql.c_str(), q.sql.c_str());
    std::map<std::string, Stats> st;
    std::map<std::string, Answer> answers;
    std::map<std::string, std::string> failed;
    for (const auto& side : sides) {
      if (!runner.has(side)) continue;
      std::string err;
      Answer& a = answers[side];
      auto w0 = Clock::now();
      if (!runner.Run(side, q, &a, &err)) {  // the warm-up, whose answer is checked
        failed[side] = err;
        std::printf("FIG phase=%s side=%s failed: %s\n", q.phase.c_str(), side.c_str(), err.c_str());
        continue;
      }
      const double first = MsSince(w0);
      // A query that takes seconds is timed by its warm-up alone.
      if (first > 5000) st[side].Add(first);
      auto t_end = Clock::now() + std::chrono::duration<double>(o.btql_budget_s);
      for (int i = 0; i < o.queries && first <= 5000 && Clock::now() < t_end; ++i) {
        auto t0 = Clock::now();
        if (!runner.Run(side, q, nullptr, &err)) {
          failed[side] = err;
          break;
        }
        st[side].Add(MsSince(t0));
      }
      std::printf("FIG phase=%s side=%s rows=%zu queries=%zu first_ms=%.1f p50_ms=%.2f p99_ms=%.2f\n", q.phase.c_str(),
                  side.c_str(), a.size(), st[side].ms.size(), first, st[side].Pct(50), st[side].Pct(99));
      std::fflush(stdout);
    }
    size_t wrong = SIZE_MAX;
    if (answers.count("tracevault") && answers.count("postgres") && failed.empty()) {
      wrong = CompareAnswers(q.phase, answers["tracevault"], answers["postgres"]);
      std::printf("  %s: %zu rows on each side expected; tracevault %zu, postgres %zu; wrong_rows=%zu\n",
                  q.phase.c_str(), answers["postgres"].size(), answers["tracevault"].size(), answers["postgres"].size(),
                  wrong);
    }
    bool summary = q.phase[0] == '7';
    std::string base = summary ? "all " + Thousands(double(corpus.traces())) + " traces, one row each"
                               : Thousands(double(answers["postgres"].size())) + " groups, filter metadata." +
                                     kGroupField + " = '" + kGroupValue + "'";
    std::string check = wrong == SIZE_MAX ? " (not compared)"
                        : wrong           ? " (" + std::to_string(wrong) + " rows differ)"
                                          : "";
    for (double pct : {50.0, 99.0}) {
      auto cell = [&](const std::string& side, double* v) -> std::string {
        *v = NAN;
        if (!runner.has(side)) return "—";
        if (failed.count(side) && st[side].ms.empty()) return "failed";
        *v = st[side].Pct(pct);
        return Fmt(*v, 2) + (st[side].ms.size() == 1 ? " (n=1)" : "");
      };
      double a, b;
      std::string ca = cell("tracevault", &a), cb = cell("postgres", &b);
      if (!std::isnan(a) && !std::isnan(b) && a > 0)
        std::printf("RATIO %s p%.0f postgres/tracevault = %.2f\n", q.phase.c_str(), pct, b / a);
      Row(q.phase, base + ", " + (pct == 50 ? "p50" : "p99") + " ms" + (pct == 50 ? check : ""), ca, cb, a, b);
    }
  }
  return 0;
}

// ---------------------------------------------------------------- corpus statistics

int PhaseCorpus(const Options& o) {
  Corpus corpus(o.seed, o.spans, o.project.empty() ? "00000000-0000-4000-8000-000000000000" : o.project);
  size_t bytes = 0, n = 0, rare = 0, common = 0, minb = SIZE_MAX, maxb = 0;
  auto t0 = Clock::now();
  size_t probe_every = std::max<size_t>(1, corpus.batches() / std::max(1, o.probes));
  for (size_t b = 0; b < corpus.batches(); ++b) {
    Batch batch = corpus.Make(b, probe_every);
    for (const auto& s : batch.spans) {
      bytes += s.json.size();
      minb = std::min(minb, s.json.size());
      maxb = std::max(maxb, s.json.size());
      rare += s.json.find(kRareTerm) != std::string::npos;
      common += s.json.find(kCommonTerm) != std::string::npos;
      ++n;
    }
    if (b == 0 && o.spans <= 1000) std::printf("%s\n", batch.spans[1].json.c_str());
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "corpus spans=%zu traces=%zu bytes=%zu avg=%.0f min=%zu max=%zu rare=%zu common=%zu gen_s=%.2f (%.0f spans/s one "
      "core)\n",
      n, corpus.traces(), bytes, double(bytes) / n, minb, maxb, rare, common, secs, n / secs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc;
  if (o.phase == "corpus")
    rc = PhaseCorpus(o);
  else if (o.phase == "ingest")
    rc = PhaseIngest(o);
  else if (o.phase == "lookup")
    rc = PhaseLookup(o);
  else if (o.phase == "fts")
    rc = PhaseFts(o);
  else if (o.phase == "btql")
    rc = PhaseBtql(o);
  else
    Die("unknown phase " + o.phase);
  curl_global_cleanup();
  return rc;
}
