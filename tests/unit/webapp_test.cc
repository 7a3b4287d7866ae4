// The web app's files and routes (src/webapp): content types, ETags, gzip,
// 304s, the index fallback under /app/, unknown assets, the security headers.
#include "webapp/webapp.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "http/gzip.h"

namespace tv::webapp {
namespace {

std::string Big(char c) { return std::string(4096, c); }

std::shared_ptr<const WebApp> SampleApp() {
  auto app = std::make_shared<WebApp>();
  app->Add("index.html", "<!doctype html><div id=root></div>" + Big(' '));
  app->Add("assets/index-abc123.js", "console.log(1);" + Big(';'));
  app->Add("assets/logo-1.png", "\x89PNG" + Big('x'));
  return app;
}

http::Response Get(const http::Router& router, const std::string& path, http::Headers headers = {}) {
  http::Request req;
  req.method = http::Method::kGet;
  req.target = path;
  EXPECT_TRUE(req.ParseTarget());
  req.headers = std::move(headers);
  http::Router::Match m = router.Find(req.method, req.path);
  if (!m.route) return http::Response::Empty(404);
  http::RequestContext ctx(req, "test");
  ctx.set_params(m.params);
  Result<http::Response> res = m.route->handler(ctx);
  if (!res.ok()) return http::Response::Text(res.status().code() == StatusCode::kNotFound ? 404 : 500, "");
  return *res;
}

TEST(WebAppTest, FilesGetTypesTagsAndGzip) {
  auto app = SampleApp();
  const Asset* js = app->Find("assets/index-abc123.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(js->immutable);
  EXPECT_EQ(js->etag.size(), 66u);  // quotes around 64 hex digits
  ASSERT_FALSE(js->gzip.empty());
  EXPECT_EQ(*http::GzipDecompress(js->gzip, 1 << 20), js->body);
  const Asset* png = app->Find("assets/logo-1.png");
  ASSERT_NE(png, nullptr);
  EXPECT_EQ(png->content_type, "image/png");
  EXPECT_TRUE(png->gzip.empty());  // images are not compressed again
  const Asset* index = app->Find("index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_FALSE(index->immutable);
  EXPECT_EQ(app->Find("missing.js"), nullptr);
}

TEST(WebAppTest, AppPathsServeTheIndexUncached) {
  http::Router router;
  AddWebAppRoutes(router, SampleApp(), {.connect_origins = {"http://127.0.0.1:9000"}});
  for (std::string path : {"/", "/app", "/app/", "/app/acme/p/demo/experiments/run%201"}) {
    http::Response res = Get(router, path);
    EXPECT_EQ(res.status, 200) << path;
    EXPECT_EQ(res.headers.Get("Cache-Control"), "no-cache") << path;
    EXPECT_EQ(res.headers.Get("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_NE(res.body.find("id=root"), std::string::npos) << path;
    std::string csp(res.headers.Get("Content-Security-Policy").value_or(""));
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
    EXPECT_NE(csp.find("connect-src 'self' http://127.0.0.1:9000;"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(res.headers.Get("X-Content-Type-Options"), "nosniff");
  }
}

TEST(WebAppTest, AssetsAreImmutableGzippedAndRevalidated) {
  http::Router router;
  AddWebAppRoutes(router, SampleApp(), {});
  http::Headers gz;
  gz.Set("Accept-Encoding", "gzip, br");
  http::Response res = Get(router, "/assets/index-abc123.js", gz);
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.headers.Get("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(res.headers.Get("Content-Encoding"), "gzip");
  std::string etag(*res.headers.Get("ETag"));

  http::Response plain = Get(router, "/assets/index-abc123.js");
  EXPECT_FALSE(plain.headers.Has("Content-Encoding"));
  EXPECT_EQ(plain.body.substr(0, 15), "console.log(1);");

  http::Headers cond;
  cond.Set("If-None-Match", "\"other\", " + etag);
  http::Response not_modified = Get(router, "/assets/index-abc123.js", cond);
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());

  cond.Set("If-None-Match", "\"stale\"");
  EXPECT_EQ(Get(router, "/assets/index-abc123.js", cond).status, 200);
  EXPECT_EQ(Get(router, "/assets/missing-1.js").status, 404);
}

TEST(WebAppTest, ABuildWithoutTheAppSaysSo) {
  http::Router router;
  AddWebAppRoutes(router, std::make_shared<WebApp>(), {});
  http::Response res = Get(router, "/app/x");
  EXPECT_EQ(res.status, 404);
  EXPECT_NE(res.body.find("--webapp-dir"), std::string::npos);
}

TEST(WebAppTest, FromDirectoryReadsEveryFileAndNeedsAnIndex) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("tv-webapp-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "assets");
  EXPECT_FALSE(WebApp::FromDirectory(dir.string()).ok());  // no index.html
  std::ofstream(dir / "index.html") << "<html></html>";
  std::ofstream(dir / "assets" / "a-1.css") << "body{}";
  auto app = WebApp::FromDirectory(dir.string());
  ASSERT_TRUE(app.ok()) << app.status().message();
  EXPECT_EQ((*app)->size(), 2u);
  ASSERT_NE((*app)->Find("assets/a-1.css"), nullptr);
  EXPECT_EQ((*app)->Find("assets/a-1.css")->content_type, "text/css; charset=utf-8");
  fs::remove_all(dir);
}

TEST(WebAppTest, OriginOfKeepsSchemeHostAndPort) {
  EXPECT_EQ(OriginOf("http://127.0.0.1:8001/"), "http://127.0.0.1:8001");
  EXPECT_EQ(OriginOf("HTTPS://Data.Example.com/api?x=1"), "https://data.example.com");
  EXPECT_EQ(OriginOf("http://localhost:8000"), "http://localhost:8000");
  EXPECT_EQ(OriginOf("ftp://x"), "");
  EXPECT_EQ(OriginOf("not a url"), "");
}

}  // namespace
}  // namespace tv::webapp
