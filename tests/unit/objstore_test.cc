// Unit tests for src/objstore: one contract suite run on every ObjectStore
// (the local folder always; S3 when TV_TEST_S3_ENDPOINT names a server, e.g.
// s3rver from scripts/s3rver.sh), the SigV4 signer against AWS's published
// examples, the S3 XML extraction, and the fault-injecting wrapper.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "common/mutex.h"
#include "crypto/crypto.h"
#include "objstore/faulty_object_store.h"
#include "objstore/local/local_object_store.h"
#include "objstore/object_store.h"
#include "objstore/s3/s3_object_store.h"
#include "objstore/s3/s3_xml.h"
#include "objstore/s3/sigv4.h"
#include "test_support.h"

namespace tv::objstore {
namespace {

using tv::testing::TempDir;

namespace fs = std::filesystem;

std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string Bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t r = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(r >> (8 * j));
  }
  return out;
}

std::vector<std::string> Keys(const std::vector<ObjectEntry>& entries) {
  std::vector<std::string> keys;
  for (const auto& e : entries) keys.push_back(e.key);
  return keys;
}

// ---------------------------------------------------------------------------
// The ObjectStore contract, on each implementation.

enum class Backend { kLocal, kS3 };

void PrintTo(Backend b, std::ostream* os) { *os << (b == Backend::kLocal ? "local" : "s3"); }

class ObjectStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kLocal) {
      auto s = OpenLocalObjectStore(dir_.path());
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(s).value();
      return;
    }
    std::string endpoint = Env("TV_TEST_S3_ENDPOINT", "");
    if (endpoint.empty()) GTEST_SKIP() << "TV_TEST_S3_ENDPOINT is not set (scripts/s3rver.sh start DIR prints one)";
    S3Options o;
    o.endpoint = endpoint;
    o.bucket = Env("TV_TEST_S3_BUCKET", "tv-test");
    o.access_key = Env("TV_TEST_S3_ACCESS_KEY", "S3RVER");
    o.secret_key = Env("TV_TEST_S3_SECRET_KEY", "S3RVER");
    o.prefix = "t-" + crypto::RandomAlphanumeric(12);  // each test sees only its own keys
    o.multipart_threshold = 8 << 20;                   // so the 20 MiB case goes up in parts
    o.part_size = 5 << 20;
    auto s = OpenS3ObjectStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  void TearDown() override {
    if (!store_ || GetParam() != Backend::kS3) return;
    auto all = store_->List("");
    if (all.ok())
      for (const auto& e : *all) (void)store_->Delete(e.key);
  }

  void PutOk(std::string_view key, std::string_view data) {
    Status s = store_->Put(key, data);
    ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
  }

  std::string GetOk(std::string_view key, std::optional<ByteRange> range = std::nullopt) {
    auto r = store_->Get(key, range);
    EXPECT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    return r.ok() ? *r : std::string();
  }

  TempDir dir_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreTest, PutGetRoundTripIncludingBinary) {
  PutOk("a/hello.txt", "hello");
  EXPECT_EQ(GetOk("a/hello.txt"), "hello");

  std::string binary;
  for (int i = 0; i < 3 * 256; ++i) binary.push_back(static_cast<char>(i % 256));
  binary += std::string(5, '\0');
  PutOk("a/binary.bin", binary);
  EXPECT_EQ(GetOk("a/binary.bin"), binary);

  PutOk("empty", "");
  EXPECT_EQ(GetOk("empty"), "");
}

TEST_P(ObjectStoreTest, OverwriteReplacesTheObject) {
  PutOk("k", "a first version that is longer");
  PutOk("k", "v2");
  EXPECT_EQ(GetOk("k"), "v2");
}

TEST_P(ObjectStoreTest, RangedGetClipsLikeTheLocalStore) {
  PutOk("r", "0123456789");
  EXPECT_EQ(GetOk("r", ByteRange{2, 3}), "234");
  EXPECT_EQ(GetOk("r", ByteRange{0, 10}), "0123456789");
  EXPECT_EQ(GetOk("r", ByteRange{7, 3}), "789");    // exactly to the end
  EXPECT_EQ(GetOk("r", ByteRange{7, 100}), "789");  // past the end: clipped
  EXPECT_EQ(GetOk("r", ByteRange{3, UINT64_MAX}), "3456789");
  EXPECT_EQ(GetOk("r", ByteRange{10, 5}), "");  // starts at the end
  EXPECT_EQ(GetOk("r", ByteRange{50, 5}), "");  // starts past the end
  EXPECT_EQ(GetOk("r", ByteRange{4, 0}), "");   // zero length

  PutOk("zero", "");
  EXPECT_EQ(GetOk("zero", ByteRange{0, 10}), "");
  EXPECT_EQ(GetOk("zero", ByteRange{0, 0}), "");
}

TEST_P(ObjectStoreTest, GetMissingIsNotFound) {
  EXPECT_EQ(store_->Get("no/such/key").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("no/such/key", ByteRange{0, 10}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("no/such/key", ByteRange{0, 0}).status().code(), StatusCode::kNotFound);
}

TEST_P(ObjectStoreTest, ListByPrefixInKeyOrder) {
  for (const char* k : {"wal/010", "wal/001", "wal/sub/x", "wal/002", "wal0", "segments/a", "segments/b/c"})
    PutOk(k, k);
  PutOk("sized", "12345");

  auto all = store_->List("");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(Keys(*all), (std::vector<std::string>{"segments/a", "segments/b/c", "sized", "wal/001", "wal/002",
                                                  "wal/010", "wal/sub/x", "wal0"}));
  EXPECT_EQ((*all)[2].size, 5u);

  auto wal = store_->List("wal/");
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(Keys(*wal), (std::vector<std::string>{"wal/001", "wal/002", "wal/010", "wal/sub/x"}));

  auto partial = store_->List("wal/00");  // not a folder boundary
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(Keys(*partial), (std::vector<std::string>{"wal/001", "wal/002"}));

  auto top = store_->List("wal");
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->size(), 5u);

  auto none = store_->List("nothing/");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(ObjectStoreTest, DeleteThenGetIsNotFound) {
  PutOk("d/x", "x");
  PutOk("d/y", "y");
  ASSERT_TRUE(store_->Delete("d/x").ok());
  EXPECT_EQ(store_->Get("d/x").status().code(), StatusCode::kNotFound);
  auto left = store_->List("d/");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(Keys(*left), std::vector<std::string>{"d/y"});
}

TEST_P(ObjectStoreTest, DeleteMissingIsOk) {
  Status s = store_->Delete("never/was");
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_P(ObjectStoreTest, InvalidKeysAreRejected) {
  for (std::string bad :
       {std::string(""), std::string("/a"), std::string("a/"), std::string("a//b"), std::string("a/../b"),
        std::string("./a"), std::string("a b"), std::string("a?b"), std::string("a%2Fb"), std::string(1025, 'a')}) {
    EXPECT_EQ(store_->Put(bad, "x").code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Get(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store_->Delete(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST_P(ObjectStoreTest, TwentyMebibyteObject) {
  const std::string big = Bytes(20 << 20, 42);
  PutOk("big/object", big);
  std::string back = GetOk("big/object");
  EXPECT_EQ(back.size(), big.size());
  EXPECT_TRUE(back == big);
  // A range across the first part boundary (5 MiB parts on S3).
  uint64_t at = (5 << 20) - 3;
  EXPECT_TRUE(GetOk("big/object", ByteRange{at, 7}) == big.substr(at, 7));
  auto listed = store_->List("big/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size, big.size());
}

TEST_P(ObjectStoreTest, ConcurrentPutsFromEightThreads) {
  constexpr int kThreads = 8, kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "c/" + std::to_string(t) + "/" + std::to_string(i);
        if (!store_->Put(key, Bytes(1000 + i, t * 100 + i)).ok()) ++failures;
        if (!store_->Put("c/shared", std::to_string(t)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kPerThread; ++i)
      EXPECT_TRUE(GetOk("c/" + std::to_string(t) + "/" + std::to_string(i)) == Bytes(1000 + i, t * 100 + i));
  std::string shared = GetOk("c/shared");
  EXPECT_TRUE(shared.size() == 1 && shared[0] >= '0' && shared[0] < '0' + kThreads) << shared;
  auto listed = store_->List("c/");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), static_cast<size_t>(kThreads * kPerThread + 1));
}

TEST_P(ObjectStoreTest, ListFollowsContinuationPastAThousandKeys) {
  constexpr int kKeys = 1005;  // S3 returns at most 1,000 keys a page
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kKeys; i += 8)
        if (!store_->Put(fmt::format("many/{:04}", i), "").ok()) ++failures;
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  auto listed = store_->List("many/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) EXPECT_EQ((*listed)[i].key, fmt::format("many/{:04}", i));
}

INSTANTIATE_TEST_SUITE_P(Backends, ObjectStoreTest, ::testing::Values(Backend::kLocal, Backend::kS3),
                         [](const auto& info) { return info.param == Backend::kLocal ? "Local" : "S3"; });

// ---------------------------------------------------------------------------
// S3 options and failures that need no server.

S3Options ValidOptions() {
  S3Options o;
  o.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  o.bucket = "b";
  o.access_key = "k";
  o.secret_key = "s";
  o.max_attempts = 2;
  o.base_backoff = std::chrono::milliseconds(1);
  return o;
}

TEST(S3Options, BadOptionsAreInvalidArgument) {
  auto check = [](auto mutate) {
    S3Options o = ValidOptions();
    mutate(o);
    return OpenS3ObjectStore(o).status().code();
  };
  EXPECT_EQ(check([](S3Options& o) { o.endpoint = "ftp://host"; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(check([](S3Options& o) { o.endpoint = "http://host/path"; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(check([](S3Options& o) { o.bucket = ""; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(check([](S3Options& o) { o.secret_key = ""; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(check([](S3Options& o) { o.part_size = 1 << 20; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(check([](S3Options& o) { o.max_attempts = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(check([](S3Options& o) { o.prefix = "a//b"; }), StatusCode::kInvalidArgument);
}

TEST(S3Options, UnreachableEndpointIsUnavailableAfterRetries) {
  auto s = OpenS3ObjectStore(ValidOptions());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().ToString();
  EXPECT_NE(s.status().message().find("after 2 attempts"), std::string::npos) << s.status().ToString();
}

// A scripted HTTP server on 127.0.0.1 (port 0): answers the Nth connection
// with the Nth canned reply and closes it, recording each request.
class ScriptedServer {
 public:
  struct Reply {
    int status;
    std::string body;
  };

  explicit ScriptedServer(std::vector<Reply> replies) : replies_(std::move(replies)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes a blocked accept
    thread_.join();
    ::close(fd_);
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    MutexLock lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (const Reply& reply : replies_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request = ReadRequest(c);
      {
        MutexLock lock(mu_);
        requests_.push_back(request);
      }
      std::string out = fmt::format("HTTP/1.1 {} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                                    reply.status, reply.body.size(), reply.body);
      for (size_t done = 0; done < out.size();) {
        ssize_t n = ::write(c, out.data() + done, out.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  // Headers lower-cased, then the body (by Content-Length).
  static std::string ReadRequest(int c) {
    std::string in;
    char buf[65536];
    size_t head_end = std::string::npos;
    size_t need = 0;
    while (true) {
      if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
        for (char& ch : in) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        size_t cl = in.find("content-length: ");
        need = head_end + 4 + (cl < head_end ? std::stoul(in.substr(cl + 16)) : 0);
      }
      if (head_end != std::string::npos && in.size() >= need) return in;
      ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) return in;
      in.append(buf, static_cast<size_t>(n));
    }
  }

  std::vector<Reply> replies_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  Mutex mu_;
  std::vector<std::string> requests_ GUARDED_BY(mu_);
};

const ScriptedServer::Reply kBucketExists{200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"};

Result<std::unique_ptr<ObjectStore>> OpenScripted(ScriptedServer& server, int max_attempts = 5) {
  S3Options o = ValidOptions();
  o.endpoint = server.endpoint();
  o.max_attempts = max_attempts;
  o.session_token = "tok";
  o.timeout = std::chrono::seconds(5);
  return OpenS3ObjectStore(o);
}

TEST(S3Errors, RetriesSlowDownAnd429ThenSucceeds) {
  ScriptedServer server({kBucketExists, {503, "<Error><Code>SlowDown</Code></Error>"}, {429, ""}, {200, ""}});
  auto store = OpenScripted(server);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Status s = (*store)->Put("a/k", "body");
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  const std::string& put = requests[3];
  EXPECT_TRUE(put.starts_with("put /b/a/k http/1.1\r\n")) << put;
  EXPECT_NE(put.find("x-amz-content-sha256: " + crypto::HexEncode(crypto::Sha256("body"))), std::string::npos);
  EXPECT_NE(put.find("x-amz-security-token: tok"), std::string::npos);
  EXPECT_NE(put.find("authorization: aws4-hmac-sha256 credential=k/"), std::string::npos);
  EXPECT_NE(put.find("x-amz-security-token,signature="), std::string::npos) << "the token is signed";
  EXPECT_TRUE(put.ends_with("\r\n\r\nbody"));
}

TEST(S3Errors, ServerErrorsBecomeUnavailableAfterMaxAttempts) {
  ScriptedServer server({kBucketExists, {500, ""}, {500, ""}, {500, "<Error><Code>InternalError</Code></Error>"}});
  auto store = OpenScripted(server, 3);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Status s = (*store)->Put("k", "x");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("after 3 attempts"), std::string::npos) << s.ToString();
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(S3Errors, OtherClientErrorsAreInternalAndNotRetried) {
  ScriptedServer server(
      {kBucketExists, {403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"}});
  auto store = OpenScripted(server);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Status s = (*store)->Put("k", "x");
  EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
  EXPECT_NE(s.message().find("AccessDenied: Access Denied"), std::string::npos) << s.ToString();
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(S3Errors, NoSuchKeyIsNotFound) {
  ScriptedServer server({kBucketExists, {404, "<Error><Code>NoSuchKey</Code></Error>"}});
  auto store = OpenScripted(server);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Get("k").status().code(), StatusCode::kNotFound);
}

TEST(S3Errors, FailedMultipartUploadIsAborted) {
  const std::string initiated =
      "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>";
  ScriptedServer server(
      {kBucketExists, {200, initiated}, {403, "<Error><Code>AccessDenied</Code></Error>"}, {204, ""}});
  S3Options o = ValidOptions();
  o.endpoint = server.endpoint();
  o.multipart_threshold = o.part_size = 5 << 20;
  auto store = OpenS3ObjectStore(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->Put("k", std::string(6 << 20, 'x')).code(), StatusCode::kInternal);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_TRUE(requests[1].starts_with("post /b/k?uploads= ")) << requests[1].substr(0, 80);
  EXPECT_TRUE(requests[2].starts_with("put /b/k?partnumber=1&uploadid=u1 ")) << requests[2].substr(0, 80);
  EXPECT_TRUE(requests[3].starts_with("delete /b/k?uploadid=u1 ")) << requests[3].substr(0, 80);
}

TEST(S3Errors, OpenCreatesAMissingBucket) {
  ScriptedServer server({{404, "<Error><Code>NoSuchBucket</Code></Error>"}, {200, ""}, kBucketExists});
  auto store = OpenScripted(server);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(requests[0].starts_with("get /b?list-type=2&max-keys=1 ")) << requests[0];
  EXPECT_TRUE(requests[1].starts_with("put /b http/1.1")) << requests[1];
  EXPECT_EQ((*store)->Describe(), "s3://b");
}

// ---------------------------------------------------------------------------
// SigV4, checked against the examples in AWS's S3 API reference ("Signature
// Calculations for the Authorization Header: Transferring Payload in a Single
// Chunk") and the IAM signing-key example.

namespace sig = s3;

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const sig::SigV4Credentials kExampleCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
const sig::SigV4Scope kExampleScope{"20130524T000000Z", "us-east-1", "s3"};

sig::SigV4Request ExampleGet(std::string path, sig::QueryList query) {
  sig::SigV4Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-content-sha256", kEmptySha256}};
  r.payload_hash = kEmptySha256;
  return r;
}

TEST(SigV4, AwsGetObjectExample) {
  sig::SigV4Request r = ExampleGet("/test.txt", {});
  r.headers.emplace_back("Range", "bytes=0-9");
  sig::SigV4Signature s = sig::SignV4(r, kExampleCreds, kExampleScope);
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, AwsPutObjectExample) {
  std::string payload_hash = crypto::HexEncode(crypto::Sha256("Welcome to Amazon S3."));
  ASSERT_EQ(payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  sig::SigV4Request r;
  r.method = "PUT";
  r.path = "/test$file.text";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", payload_hash}};
  r.payload_hash = payload_hash;
  sig::SigV4Signature s = sig::SignV4(r, kExampleCreds, kExampleScope);
  EXPECT_EQ(s.canonical_request,
            "PUT\n/test%24file.text\n\n"
            "date:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
            "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(s.string_to_sign.substr(s.string_to_sign.rfind('\n') + 1),
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, AwsGetBucketLifecycleExampleBareQueryKey) {
  sig::SigV4Signature s = sig::SignV4(ExampleGet("/", {{"lifecycle", ""}}), kExampleCreds, kExampleScope);
  EXPECT_EQ(s.canonical_request.substr(0, 17), "GET\n/\nlifecycle=\n");
  EXPECT_EQ(s.string_to_sign.substr(s.string_to_sign.rfind('\n') + 1),
            "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, AwsListObjectsExampleSortsTheQuery) {
  // Given out of order: the canonical query sorts by key.
  sig::SigV4Signature s =
      sig::SignV4(ExampleGet("/", {{"prefix", "J"}, {"max-keys", "2"}}), kExampleCreds, kExampleScope);
  EXPECT_EQ(s.canonical_request.substr(0, 26), "GET\n/\nmax-keys=2&prefix=J\n");
  EXPECT_EQ(s.string_to_sign.substr(s.string_to_sign.rfind('\n') + 1),
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, AwsSigningKeyAndIamExample) {
  std::string key = sig::DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam");
  EXPECT_EQ(crypto::HexEncode(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");

  sig::SigV4Request r;
  r.method = "GET";
  r.path = "/";
  r.query = {{"Version", "2010-05-08"}, {"Action", "ListUsers"}};
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"Host", "iam.amazonaws.com"},
               {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_hash = kEmptySha256;
  sig::SigV4Signature s = sig::SignV4(r, {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                                      {"20150830T123600Z", "us-east-1", "iam"});
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(s.signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, EncodingAndCanonicalForms) {
  EXPECT_EQ(sig::UriEncode("a b/c~d-_.e", true), "a%20b/c~d-_.e");
  EXPECT_EQ(sig::UriEncode("a b/c+d=", false), "a%20b%2Fc%2Bd%3D");
  EXPECT_EQ(sig::UriEncode("\xc3\xa9", false), "%C3%A9");
  EXPECT_EQ(sig::CanonicalQueryString({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(sig::CanonicalQueryString({{"prefix", "a/"}, {"list-type", "2"}, {"continuation-token", "x+y="}}),
            "continuation-token=x%2By%3D&list-type=2&prefix=a%2F");
  EXPECT_EQ(sig::FormatAmzDate(std::chrono::system_clock::from_time_t(1369353600)), "20130524T000000Z");

  sig::SigV4Request r = ExampleGet("/", {});
  r.headers.emplace_back("X-Amz-Meta-Note", "  two   spaces  ");
  r.headers.emplace_back("x-amz-security-token", "token");
  sig::SigV4Signature s = sig::SignV4(r, kExampleCreds, kExampleScope);
  EXPECT_NE(s.canonical_request.find("\nx-amz-meta-note:two spaces\n"), std::string::npos) << s.canonical_request;
  EXPECT_NE(s.authorization.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-note;"
                                 "x-amz-security-token,"),
            std::string::npos)
      << s.authorization;
}

// ---------------------------------------------------------------------------
// S3 XML replies.

TEST(S3Xml, ListObjectsV2Page) {
  auto page = s3::ParseListObjectsV2(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>p/</Prefix>"
      "<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
      "<Contents><Key>p/a&amp;b</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
      "<ETag>&quot;x&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents><Key>p/c</Key><Size>0</Size></Contents>"
      "<NextContinuationToken>1/x+y=&#61;</NextContinuationToken></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].key, "p/a&b");
  EXPECT_EQ(page->entries[0].size, 12u);
  EXPECT_EQ(page->entries[1].key, "p/c");
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1/x+y==");

  auto last = s3::ParseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->entries.empty());
  EXPECT_FALSE(last->truncated);

  EXPECT_FALSE(s3::ParseListObjectsV2("<Error><Code>NoSuchBucket</Code></Error>").ok());
  EXPECT_FALSE(s3::ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>").ok());
  EXPECT_FALSE(s3::ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>").ok());
}

TEST(S3Xml, ErrorBodyAndElements) {
  s3::S3ErrorBody e = s3::ParseErrorBody(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The key &lt;k&gt; does not exist."
      "</Message><Key>k</Key></Error>");
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The key <k> does not exist.");
  EXPECT_TRUE(s3::ParseErrorBody("").code.empty());
  EXPECT_EQ(s3::XmlElementText("<R><UploadId>abc</UploadId></R>", "UploadId").value_or(""), "abc");
  EXPECT_FALSE(s3::XmlElementText("<R></R>", "UploadId").has_value());
}

// ---------------------------------------------------------------------------
// FaultyObjectStore.

TEST(FaultOptions, ParsesGoodSpecs) {
  auto o = ParseFaultOptions("error=0.1,torn=0.05,lost=0.05,latency_ms=3,seed=7");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_DOUBLE_EQ(o->error_rate, 0.1);
  EXPECT_DOUBLE_EQ(o->torn_rate, 0.05);
  EXPECT_DOUBLE_EQ(o->lost_rate, 0.05);
  EXPECT_EQ(o->latency, std::chrono::milliseconds(3));
  EXPECT_EQ(o->seed, 7u);

  auto empty = ParseFaultOptions("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->error_rate, 0);
  EXPECT_EQ(empty->seed, 1u);
  EXPECT_TRUE(ParseFaultOptions("torn=1").ok());
}

TEST(FaultOptions, RejectsBadSpecs) {
  for (const char* bad :
       {"error", "error=2", "error=-0.1", "error=abc", "bogus=1", "latency_ms=-1", "seed=x", "error=0.6,torn=0.6"}) {
    EXPECT_EQ(ParseFaultOptions(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

class FaultyStoreTest : public ::testing::Test {
 protected:
  // A faulty wrapper over a local store, and a second, clean view of the same folder.
  std::unique_ptr<ObjectStore> Wrap(std::string_view spec) {
    auto options = ParseFaultOptions(spec);
    EXPECT_TRUE(options.ok()) << options.status().ToString();
    auto inner = OpenLocalObjectStore(dir_.path());
    EXPECT_TRUE(inner.ok());
    auto clean = OpenLocalObjectStore(dir_.path());
    EXPECT_TRUE(clean.ok());
    clean_ = std::move(clean).value();
    return WrapWithFaults(std::move(inner).value(), *options);
  }

  TempDir dir_;
  std::unique_ptr<ObjectStore> clean_;
};

TEST_F(FaultyStoreTest, ErrorRateOneFailsEveryCall) {
  auto store = Wrap("error=1");
  ASSERT_TRUE(clean_->Put("existing", "x").ok());
  EXPECT_EQ(store->Put("k", "data").code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Get("existing").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->List("").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Delete("existing").code(), StatusCode::kUnavailable);
  EXPECT_EQ(clean_->Get("k").status().code(), StatusCode::kNotFound);  // nothing was written
  EXPECT_TRUE(clean_->Get("existing").ok());                           // nothing was deleted
  EXPECT_NE(store->Describe().find("faulty(local:"), std::string::npos);
}

TEST_F(FaultyStoreTest, TornPutFailsAndLeavesAShorterObject) {
  auto store = Wrap("torn=1");
  const std::string data = "0123456789abcdef";
  EXPECT_EQ(store->Put("k", data).code(), StatusCode::kUnavailable);
  auto left = clean_->Get("k");
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_LT(left->size(), data.size());
  EXPECT_EQ(*left, data.substr(0, left->size()));
}

TEST_F(FaultyStoreTest, LostPutFailsButTheObjectIsComplete) {
  auto store = Wrap("lost=1");
  EXPECT_EQ(store->Put("k", "complete").code(), StatusCode::kUnavailable);
  auto left = clean_->Get("k");
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_EQ(*left, "complete");
}

}  // namespace
}  // namespace tv::objstore
