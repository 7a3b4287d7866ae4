#include "webapp/webapp.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/strings.h"
#include "crypto/crypto.h"
#include "http/gzip.h"
#include "webapp/embedded.h"

namespace tv::webapp {
namespace {

namespace fs = std::filesystem;

struct TypeByExtension {
  std::string_view extension;
  std::string_view content_type;
};

constexpr TypeByExtension kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

std::string_view ContentTypeOf(std::string_view path) {
  for (const auto& t : kTypes) {
    if (path.ends_with(t.extension)) return t.content_type;
  }
  return "application/octet-stream";
}

// Compressing already-compressed formats (images, fonts) does not pay.
bool Compressible(std::string_view content_type) {
  return content_type.starts_with("text/") || content_type.starts_with("application/json") ||
         content_type.starts_with("image/svg");
}

}  // namespace

void WebApp::Add(std::string path, std::string bytes) {
  Asset a;
  a.content_type = std::string(ContentTypeOf(path));
  a.etag = "\"" + crypto::HexEncode(crypto::Sha256(bytes)) + "\"";
  a.immutable = path.starts_with("assets/");
  if (Compressible(a.content_type) && bytes.size() >= 1024) {
    std::string z = http::GzipCompress(bytes, 9);
    if (z.size() < bytes.size()) a.gzip = std::move(z);
  }
  a.body = std::move(bytes);
  assets_[std::move(path)] = std::move(a);
}

const Asset* WebApp::Find(std::string_view path) const {
  auto it = assets_.find(path);
  return it == assets_.end() ? nullptr : &it->second;
}

std::shared_ptr<const WebApp> WebApp::Embedded() {
  auto app = std::make_shared<WebApp>();
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    const EmbeddedFile& f = kEmbeddedFiles[i];
    app->Add(f.path, std::string(reinterpret_cast<const char*>(f.data), f.size));
  }
  return app;
}

Result<std::shared_ptr<const WebApp>> WebApp::FromDirectory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / "index.html", ec))
    return InvalidArgument("--webapp-dir '{}' has no index.html (build the app: cd web && npm run build)", dir);
  auto app = std::make_shared<WebApp>();
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    if (!in.good() && !in.eof()) return Internal("--webapp-dir: cannot read '{}'", e.path().string());
    app->Add(fs::relative(e.path(), dir).generic_string(), std::move(bytes));
  }
  if (ec) return InvalidArgument("--webapp-dir '{}': {}", dir, ec.message());
  return std::shared_ptr<const WebApp>(std::move(app));
}

std::string OriginOf(std::string_view url) {
  std::string lower = AsciiLower(url);
  size_t scheme = lower.find("://");
  if (scheme == std::string::npos) return "";
  std::string_view s = std::string_view(lower).substr(0, scheme);
  if (s != "http" && s != "https") return "";
  size_t end = lower.find_first_of("/?#", scheme + 3);
  return lower.substr(0, end);
}

}  // namespace tv::webapp
