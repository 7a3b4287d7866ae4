// Provider routing, the allow-list, and span parents of the AI proxy.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "crypto/crypto.h"
#include "proxy/providers.h"
#include "proxy/span_parent.h"

namespace tv::proxy {
namespace {

namespace json = boost::json;

ProviderSecret Secret(std::string name, std::string type, std::string value, json::object metadata = {},
                      bool project_level = false) {
  ProviderSecret s;
  s.id = name + "-id";
  s.name = std::move(name);
  s.type = std::move(type);
  s.secret = std::move(value);
  s.metadata = std::move(metadata);
  s.project_level = project_level;
  return s;
}

TEST(ProxyRouting, ConventionalProvidersAndDefaults) {
  std::vector<ProviderSecret> secrets = {Secret("OPENAI_API_KEY", "openai", "sk-o"),
                                         Secret("ANTHROPIC_API_KEY", "anthropic", "sk-a")};
  auto gpt = RouteModel("gpt-4o-mini", secrets);
  ASSERT_TRUE(gpt.ok()) << gpt.status().ToString();
  EXPECT_EQ(gpt->format, WireFormat::kOpenAI);
  EXPECT_EQ(gpt->base_url, "https://api.openai.com/v1");
  EXPECT_EQ(gpt->api_key, "sk-o");
  auto claude = RouteModel("claude-3-5-sonnet-latest", secrets);
  ASSERT_TRUE(claude.ok());
  EXPECT_EQ(claude->format, WireFormat::kAnthropic);
  EXPECT_EQ(claude->base_url, "https://api.anthropic.com/v1");
  EXPECT_EQ(RouteModel("text-embedding-3-small", secrets)->provider, "openai");
}

TEST(ProxyRouting, ExplicitModelListsWinAndProjectSecretsFirst) {
  std::vector<ProviderSecret> secrets = {
      Secret("OPENAI_API_KEY", "openai", "org-key"),
      Secret("local", "vllm", "local-key",
             {{"api_base", "http://10.0.0.7:8000/v1/"}, {"models", json::array{"llama-3"}}}),
      Secret("OPENAI_API_KEY", "openai", "project-key", {}, true)};
  auto llama = RouteModel("llama-3", secrets);
  ASSERT_TRUE(llama.ok());
  EXPECT_EQ(llama->base_url, "http://10.0.0.7:8000/v1") << "trailing slash trimmed";
  EXPECT_EQ(llama->format, WireFormat::kOpenAI);
  EXPECT_EQ(RouteModel("gpt-4o", secrets)->api_key, "project-key");
  json::object anthropic_format{
      {"api_base", "http://gw/v1"}, {"models", json::array{"house-claude"}}, {"format", "anthropic"}};
  auto house = RouteModel("house-claude", {Secret("gw", "custom", "k", anthropic_format)});
  ASSERT_TRUE(house.ok());
  EXPECT_EQ(house->format, WireFormat::kAnthropic);
}

TEST(ProxyRouting, ClearErrors) {
  EXPECT_EQ(RouteModel("", {}).status().code(), StatusCode::kInvalidArgument);
  auto unknown = RouteModel("my-model", {Secret("OPENAI_API_KEY", "openai", "k")});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("my-model"), std::string::npos);
  auto missing = RouteModel("claude-3-haiku", {Secret("OPENAI_API_KEY", "openai", "k")});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("anthropic"), std::string::npos);
  auto no_base = RouteModel("m", {Secret("x", "custom", "k", {{"models", json::array{"m"}}})});
  EXPECT_EQ(no_base.status().code(), StatusCode::kInvalidArgument);
  auto bad_format = RouteModel(
      "m", {Secret("x", "custom", "k", {{"models", json::array{"m"}}, {"api_base", "http://h"}, {"format", "grpc"}})});
  EXPECT_EQ(bad_format.status().code(), StatusCode::kInvalidArgument);
}

TEST(ProxyAllowList, HostsAndPorts) {
  auto list = AllowList::Parse("api.openai.com, http://127.0.0.1:9000,Models.Internal");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->Check("https://api.openai.com/v1/chat/completions").ok());
  EXPECT_TRUE(list->Check("http://127.0.0.1:9000/v1").ok());
  EXPECT_TRUE(list->Check("https://models.internal/v1").ok()) << "hosts compare case-insensitively";
  EXPECT_EQ(list->Check("http://127.0.0.1:9001/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list->Check("https://evil.example/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list->Check("https://api.openai.com.evil.example/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list->Check("http://user@evil.example/api.openai.com").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list->Check("file:///etc/passwd").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(list->Check("not a url").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(AllowList::Parse("host:0").ok());
  EXPECT_FALSE(AllowList::Parse("host:99999").ok());
  auto none = AllowList::Parse("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->Check("https://api.openai.com/v1").ok()) << "an empty list allows nothing";
}

TEST(ProxyAllowList, SchemeAndPortMustMatchTheEntry) {
  auto list = AllowList::Parse(
      "api.openai.com,gw.internal:8443,https://models.internal,http://127.0.0.1:9000,"
      "http://plain.internal");
  ASSERT_TRUE(list.ok()) << list.status().message();
  // A bare host is https on 443 only.
  EXPECT_TRUE(list->Check("https://api.openai.com/v1").ok());
  EXPECT_TRUE(list->Check("https://api.openai.com:443/v1").ok());
  EXPECT_EQ(list->Check("http://api.openai.com/v1").code(), StatusCode::kPermissionDenied) << "plain http";
  EXPECT_EQ(list->Check("http://api.openai.com:443/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list->Check("https://api.openai.com:8443/v1").code(), StatusCode::kPermissionDenied) << "another port";
  EXPECT_EQ(list->Check("https://api.openai.com:22/v1").code(), StatusCode::kPermissionDenied);
  // host:port is https on that port.
  EXPECT_TRUE(list->Check("https://gw.internal:8443/v1").ok());
  EXPECT_EQ(list->Check("http://gw.internal:8443/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list->Check("https://gw.internal/v1").code(), StatusCode::kPermissionDenied);
  // https:// without a port is 443.
  EXPECT_TRUE(list->Check("https://models.internal/v1").ok());
  EXPECT_EQ(list->Check("https://models.internal:444/v1").code(), StatusCode::kPermissionDenied);
  // http:// entries allow plain http on their port (80 by default), and not https.
  EXPECT_TRUE(list->Check("http://127.0.0.1:9000/v1").ok());
  EXPECT_EQ(list->Check("https://127.0.0.1:9000/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list->Check("http://127.0.0.1:9001/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list->Check("http://127.0.0.1/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(list->Check("http://plain.internal/v1").ok());
  EXPECT_EQ(list->Check("http://plain.internal:8080/v1").code(), StatusCode::kPermissionDenied);
  EXPECT_NE(list->Check("http://api.openai.com/v1").message().find("http://api.openai.com:80"), std::string::npos);
  // Entries name a scheme, a host and a port, nothing else.
  EXPECT_FALSE(AllowList::Parse("ftp://files.internal").ok());
  EXPECT_FALSE(AllowList::Parse("http://h.internal/v1").ok());
  EXPECT_FALSE(AllowList::Parse("http://user@h.internal").ok());
  EXPECT_FALSE(AllowList::Parse("http://").ok());
  EXPECT_FALSE(AllowList::Parse("http://h:0").ok());
  EXPECT_TRUE(AllowList::Parse("HTTP://H.Internal:8080/").ok());
}

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(SpanParent, PrefixedForms) {
  auto p = ParseSpanParent(std::string_view("project_id:6f1c0f7e-2c3b-4e8f-9a2d-1b2c3d4e5f60"), "x-bt-parent");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->object_type, "project_logs");
  EXPECT_EQ(p->object_id, "6f1c0f7e-2c3b-4e8f-9a2d-1b2c3d4e5f60");
  EXPECT_EQ(ParseSpanParent(std::string_view("experiment_id:e1"), "p")->object_type, "experiment");
  EXPECT_EQ(ParseSpanParent(std::string_view("playground_id:s1"), "p")->object_type, "playground_logs");
  EXPECT_EQ(ParseSpanParent(std::string_view("dataset_id:d"), "p").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSpanParent(std::string_view("project_id:"), "p").status().code(), StatusCode::kInvalidArgument);
}

TEST(SpanParent, ExportedEncodings) {
  // Encoding 3: object id as a 16-byte UUID, no row ids.
  std::string uuid_bytes =
      Bytes({0x6f, 0x1c, 0x0f, 0x7e, 0x2c, 0x3b, 0x4e, 0x8f, 0x9a, 0x2d, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60});
  std::string v3 = Bytes({3, 2, 1, 1}) + uuid_bytes;
  auto p3 = ParseSpanParent(std::string_view(crypto::Base64Encode(v3)), "parent");
  ASSERT_TRUE(p3.ok()) << p3.status().ToString();
  EXPECT_EQ(p3->object_type, "project_logs");
  EXPECT_EQ(p3->object_id, "6f1c0f7e-2c3b-4e8f-9a2d-1b2c3d4e5f60");
  EXPECT_FALSE(p3->span_id.has_value());

  // Encoding 4: span id 8 bytes, root span id 16 bytes, ids in the JSON tail.
  std::string v4 = Bytes({4, 1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 4}) + uuid_bytes +
                   R"({"object_id":"exp-1","row_id":"row-1","propagated_event":{"metadata":{"k":"v"}}})";
  auto p4 = ParseSpanParent(std::string_view(crypto::Base64Encode(v4)), "parent");
  ASSERT_TRUE(p4.ok()) << p4.status().ToString();
  EXPECT_EQ(p4->object_type, "experiment");
  EXPECT_EQ(p4->object_id, "exp-1");
  EXPECT_EQ(p4->row_id.value_or(""), "row-1");
  EXPECT_EQ(p4->span_id.value_or(""), "0102030405060708");
  EXPECT_EQ(p4->root_span_id.value_or(""), "6f1c0f7e2c3b4e8f9a2d1b2c3d4e5f60");
  EXPECT_TRUE(p4->propagated_event.contains("metadata"));

  std::string by_name = Bytes({4, 2, 0}) + R"({"compute_object_metadata_args":{"project_name":"p1"}})";
  auto named = ParseSpanParent(std::string_view(crypto::Base64Encode(by_name)), "parent");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->project_name.value_or(""), "p1");
  EXPECT_TRUE(named->object_id.empty());

  EXPECT_FALSE(ParseSpanParent(std::string_view(crypto::Base64Encode(Bytes({2, 1, 0}))), "p").ok()) << "old encoding";
  EXPECT_FALSE(ParseSpanParent(std::string_view(crypto::Base64Encode(Bytes({4, 9, 0}))), "p").ok()) << "bad type";
  EXPECT_FALSE(ParseSpanParent(std::string_view(crypto::Base64Encode(Bytes({4, 1, 1, 1, 0}))), "p").ok()) << "short";
  EXPECT_FALSE(ParseSpanParent(std::string_view("%%%"), "p").ok());
  // Row ids go together.
  std::string partial = Bytes({4, 1, 0}) + R"({"object_id":"e","row_id":"r"})";
  EXPECT_FALSE(ParseSpanParent(std::string_view(crypto::Base64Encode(partial)), "p").ok());
}

TEST(SpanParent, ObjectForm) {
  json::value v = json::parse(R"({"object_type":"project_logs","object_id":"p1",
                                  "row_ids":{"id":"r","span_id":"s","root_span_id":"t"}})");
  auto p = ParseSpanParent(v, "parent");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->root_span_id.value_or(""), "t");
  EXPECT_FALSE(ParseSpanParent(json::parse(R"({"object_type":"dataset","object_id":"d"})"), "parent").ok());
  EXPECT_FALSE(ParseSpanParent(json::parse("42"), "parent").ok());
}

}  // namespace
}  // namespace tv::proxy
