#include "cli/data_dir.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"

namespace tv::cli {
namespace {

Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
    return InvalidArgument("'{}' exists and is not a directory", path);
  }
  return Unavailable("Cannot create directory '{}': {}", path, std::strerror(errno));
}

}  // namespace

Result<DataDir> PrepareDataDir(const std::string& root) {
  if (root.empty()) return InvalidArgument("--data-dir must not be empty");
  DataDir dir{root};
  while (dir.root.size() > 1 && dir.root.back() == '/') dir.root.pop_back();
  for (const auto& p : {dir.root, dir.root + "/control", dir.root + "/data"}) TV_RETURN_IF_ERROR(MakeDir(p));
  return dir;
}

Status WritePrivateFile(const std::string& path, const std::string& contents) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("Cannot write '{}': {}", tmp, std::strerror(errno));
  bool ok = write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Unavailable("Cannot write '{}': {}", path, std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::string> LoadOrCreateSecret(const DataDir& dir) {
  if (const char* env = std::getenv("TRACEVAULT_SECRET"); env && *env) {
    if (std::strlen(env) < 16) return InvalidArgument("TRACEVAULT_SECRET must be at least 16 characters");
    return std::string(env);
  }
  std::ifstream in(dir.secret_file());
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.size() < 16) return InvalidArgument("'{}' is too short to be a server secret", dir.secret_file());
    return s;
  }
  std::string secret = crypto::HexEncode(crypto::RandomBytes(32));
  TV_RETURN_IF_ERROR(WritePrivateFile(dir.secret_file(), secret + "\n"));
  return secret;
}

}  // namespace tv::cli
