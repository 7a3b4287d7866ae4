#include "objstore/local/local_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace tv::objstore {
namespace {

namespace fs = std::filesystem;

Status Errno(std::string_view what, const std::string& path) {
  return Unavailable("{} {}: {}", what, path, std::strerror(errno));
}

class FileCloser {
 public:
  explicit FileCloser(int fd) : fd_(fd) {}
  ~FileCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  FileCloser c(fd);
  if (::fsync(fd) != 0) return Errno("fsync", path);
  return Status::Ok();
}

class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(fs::path root) : root_(std::move(root)) {}

  Status Put(std::string_view key, std::string_view data) override {
    TV_RETURN_IF_ERROR(ValidateKey(key));
    fs::path target = root_ / std::string(key);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Unavailable("mkdir {}: {}", target.parent_path().string(), ec.message());
    std::string tmp = target.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++seq_);
    {
      int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) return Errno("open", tmp);
      FileCloser c(fd);
      size_t done = 0;
      while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          Status s = Errno("write", tmp);
          ::unlink(tmp.c_str());
          return s;
        }
        done += static_cast<size_t>(n);
      }
      if (::fsync(fd) != 0) {
        Status s = Errno("fsync", tmp);
        ::unlink(tmp.c_str());
        return s;
      }
    }
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
      Status s = Errno("rename", tmp);
      ::unlink(tmp.c_str());
      return s;
    }
    return FsyncPath(target.parent_path().string(), O_RDONLY | O_DIRECTORY);
  }

  Result<std::string> Get(std::string_view key, std::optional<ByteRange> range) override {
    TV_RETURN_IF_ERROR(ValidateKey(key));
    std::string path = (root_ / std::string(key)).string();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return NotFound("object '{}' not found", key);
      return Errno("open", path);
    }
    FileCloser c(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return Errno("stat", path);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t offset = range ? std::min(range->offset, size) : 0;
    uint64_t length = range ? std::min(range->length, size - offset) : size;
    std::string out(length, '\0');
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("read", path);
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    out.resize(done);
    return out;
  }

  Result<std::vector<ObjectEntry>> List(std::string_view prefix) override {
    std::vector<ObjectEntry> out;
    std::error_code ec;
    if (!fs::exists(root_, ec)) return out;
    // Walk only the deepest folder the prefix names in full.
    std::string_view dir_part = prefix.substr(0, prefix.rfind('/') == std::string_view::npos ? 0 : prefix.rfind('/'));
    fs::path start = dir_part.empty() ? root_ : root_ / std::string(dir_part);
    if (!fs::is_directory(start, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(start, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string rel = fs::relative(it->path(), root_, ec).generic_string();
      if (rel.find(".tmp-") != std::string::npos) continue;
      if (rel.compare(0, prefix.size(), prefix) != 0) continue;
      out.push_back({rel, static_cast<uint64_t>(it->file_size(ec))});
    }
    if (ec) return Unavailable("list {}: {}", start.string(), ec.message());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return out;
  }

  Status Delete(std::string_view key) override {
    TV_RETURN_IF_ERROR(ValidateKey(key));
    fs::path target = root_ / std::string(key);
    if (::unlink(target.c_str()) != 0 && errno != ENOENT) return Errno("unlink", target.string());
    // The folder may be gone already; a delete's durability is best effort.
    (void)FsyncPath(target.parent_path().string(), O_RDONLY | O_DIRECTORY);
    return Status::Ok();
  }

  std::optional<std::string> LocalPath(std::string_view key) const override {
    if (!ValidateKey(key).ok()) return std::nullopt;
    return (root_ / std::string(key)).string();
  }
  std::string Describe() const override { return "local:" + root_.string(); }

 private:
  fs::path root_;
  std::atomic<uint64_t> seq_{0};
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenLocalObjectStore(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Unavailable("cannot create object folder {}: {}", root, ec.message());
  return std::unique_ptr<ObjectStore>(new LocalObjectStore(fs::absolute(root)));
}

}  // namespace tv::objstore
