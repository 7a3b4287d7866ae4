#include "crypto/master_key.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"

namespace tv::crypto {
namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<std::string> HexDecode32(std::string_view hex) {
  if (hex.size() != 2 * kMasterKeyBytes) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    char buf[3] = {hex[i], hex[i + 1], 0};
    char* end = nullptr;
    long v = std::strtol(buf, &end, 16);
    if (end != buf + 2) return std::nullopt;
    out.push_back(static_cast<char>(v));
  }
  return out;
}

Result<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 && errno == ENOENT) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("Cannot read '{}'", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return std::optional<std::string>(ss.str());
}

Status MakeKeysDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Unavailable("Cannot create '{}': {}", dir, std::strerror(errno));
  return Status::Ok();
}

// Writes `contents` to path.tmp (0600, fsync); the caller renames or links it.
Status WriteTemp(const std::string& tmp, const std::string& contents) {
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("Cannot write '{}': {}", tmp, std::strerror(errno));
  bool ok = write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(tmp.c_str());
    return Unavailable("Cannot write '{}': {}", tmp, std::strerror(errno));
  }
  return Status::Ok();
}

void SyncDir(const std::string& path) {
  std::string dir = path.substr(0, path.find_last_of('/'));
  int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace

MasterKeyConfig MasterKeyConfigFromEnv(const std::string& flag_file, const std::string& keys_dir) {
  MasterKeyConfig c;
  c.keys_dir = keys_dir;
  c.key_file = flag_file;
  if (c.key_file.empty())
    if (const char* f = std::getenv("TRACEVAULT_MASTER_KEY_FILE"); f && *f) c.key_file = f;
  if (c.key_file.empty())
    if (const char* k = std::getenv("TRACEVAULT_MASTER_KEY"); k && *k) c.key_base64 = k;
  return c;
}

Result<std::string> ParseMasterKey(std::string_view text, std::string_view where) {
  std::string t = Trim(text);
  if (auto hex = HexDecode32(t)) return std::move(*hex);
  Result<std::string> raw = Base64Decode(t);
  if (raw.ok() && raw->size() == kMasterKeyBytes) return raw;
  return InvalidArgument("The master key in {} must be 32 bytes as base64 (44 characters) or hex (64 digits)", where);
}

Result<std::string> ReadMasterKeyFile(const std::string& path) {
  TV_ASSIGN_OR_RETURN(auto text, ReadFileIfExists(path));
  if (!text) return InvalidArgument("The master key file '{}' does not exist", path);
  return ParseMasterKey(*text, "'" + path + "'");
}

Result<LoadedKeys> LoadKeys(const MasterKeyConfig& c) {
  TV_RETURN_IF_ERROR(MakeKeysDir(c.keys_dir));
  std::string current;
  bool generated = false;
  if (!c.key_file.empty()) {
    TV_ASSIGN_OR_RETURN(current, ReadMasterKeyFile(c.key_file));
  } else if (!c.key_base64.empty()) {
    TV_ASSIGN_OR_RETURN(current, ParseMasterKey(c.key_base64, "TRACEVAULT_MASTER_KEY"));
  } else {
    TV_ASSIGN_OR_RETURN(auto text, ReadFileIfExists(c.managed_key_file()));
    if (text) {
      TV_ASSIGN_OR_RETURN(current, ParseMasterKey(*text, "'" + c.managed_key_file() + "'"));
    } else {
      current = RandomBytes(kMasterKeyBytes);
      generated = true;
    }
  }
  LoadedKeys out{Keyring(std::move(current)), generated};
  TV_ASSIGN_OR_RETURN(auto ring, ReadFileIfExists(c.keyring_file()));
  if (ring) {
    std::istringstream lines(*ring);
    std::string line;
    while (std::getline(lines, line)) {
      if (Trim(line).empty()) continue;
      TV_ASSIGN_OR_RETURN(std::string key, ParseMasterKey(line, "'" + c.keyring_file() + "'"));
      out.keyring.AddOld(std::move(key));
    }
  }
  return out;
}

Status PersistGeneratedKey(const MasterKeyConfig& c, const std::string& key) {
  std::string path = c.managed_key_file();
  std::string tmp = path + ".new." + std::to_string(getpid());
  TV_RETURN_IF_ERROR(WriteTemp(tmp, Base64Encode(key) + "\n"));
  int rc = link(tmp.c_str(), path.c_str());
  int err = errno;
  unlink(tmp.c_str());
  if (rc == 0) {
    SyncDir(path);
    return Status::Ok();
  }
  if (err != EEXIST) return Unavailable("Cannot create '{}': {}", path, std::strerror(err));
  TV_ASSIGN_OR_RETURN(std::string other, ReadMasterKeyFile(path));
  if (!ConstantTimeEquals(other, key))
    return Unavailable("'{}' was created by another process while this one started; start again", path);
  return Status::Ok();
}

Status WriteKeyFile(const std::string& path, const std::string& key) {
  std::string tmp = path + ".tmp";
  TV_RETURN_IF_ERROR(WriteTemp(tmp, Base64Encode(key) + "\n"));
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Unavailable("Cannot replace '{}': {}", path, std::strerror(errno));
  }
  SyncDir(path);
  return Status::Ok();
}

Status WriteKeyring(const MasterKeyConfig& c, const std::vector<std::string>& keys) {
  std::string path = c.keyring_file();
  if (keys.empty()) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      return Unavailable("Cannot remove '{}': {}", path, std::strerror(errno));
    SyncDir(path);
    return Status::Ok();
  }
  std::string text;
  for (const auto& k : keys) text += Base64Encode(k) + "\n";
  std::string tmp = path + ".tmp";
  TV_RETURN_IF_ERROR(WriteTemp(tmp, text));
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Unavailable("Cannot replace '{}': {}", path, std::strerror(errno));
  }
  SyncDir(path);
  return Status::Ok();
}

Result<KeysLock> KeysLock::Acquire(const MasterKeyConfig& c, bool exclusive) {
  TV_RETURN_IF_ERROR(MakeKeysDir(c.keys_dir));
  std::string path = c.lock_file();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("Cannot open '{}': {}", path, std::strerror(errno));
  if (flock(fd, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH | LOCK_NB) != 0) {
    close(fd);
    if (exclusive) return Unavailable("A tracevault server is running on this data directory; stop it first");
    return Unavailable("A master key rotation is running on this data directory; start again when it is done");
  }
  return KeysLock(fd);
}

KeysLock::~KeysLock() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace tv::crypto
