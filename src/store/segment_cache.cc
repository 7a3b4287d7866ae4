#include "store/segment_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "store/codec.h"
#include "store/retry.h"

namespace tv::store {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::milliseconds kReadDeadline{10000};

// A segment file read with pread. The descriptor stays valid after the
// file is unlinked (a cache trim or a purge), so open readers finish.
class LocalFile : public SegmentFile {
 public:
  static Result<std::shared_ptr<const SegmentFile>> Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Unavailable("cannot open segment file {}: {}", path, std::strerror(errno));
    return std::shared_ptr<const SegmentFile>(new LocalFile(fd, path));
  }
  ~LocalFile() override { ::close(fd_); }
  Result<std::string> Read(uint64_t offset, uint64_t length) const override {
    std::string out(length, '\0');
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Unavailable("cannot read segment file {}: {}", path_, std::strerror(errno));
      if (n == 0) return Internal("segment file {} is shorter than its catalog size", path_);
      done += static_cast<size_t>(n);
    }
    return out;
  }

 private:
  LocalFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace

SegmentCache::SegmentCache(objstore::ObjectStore& objects, SegmentCacheOptions options)
    : objects_(objects), options_(std::move(options)), blocks_(options_.block_bytes) {
  if (!options_.disk_dir.empty()) {
    std::error_code ec;
    fs::remove_all(options_.disk_dir, ec);  // copies from a previous run are not tracked; start clean
    fs::create_directories(options_.disk_dir, ec);
  }
}

std::string SegmentCache::DiskPath(const std::string& key) const {
  return options_.disk_dir + "/" + fmt::format("{:016x}", codec::Hash64(key)) + ".tvseg";
}

Result<std::shared_ptr<const SegmentFile>> SegmentCache::File(const std::string& key, uint64_t size) {
  if (auto local = objects_.LocalPath(key)) return LocalFile::Open(*local);
  std::string bytes;
  TV_RETURN_IF_ERROR(RetryUnavailable("read " + key, kReadDeadline, [&]() -> Status {
    TV_ASSIGN_OR_RETURN(bytes, objects_.Get(key));
    return Status::Ok();
  }));
  if (bytes.size() != size)
    return Internal("segment {} is {} bytes where the catalog says {}", key, bytes.size(), size);
  if (options_.disk_dir.empty()) return MemorySegmentFile(std::move(bytes));
  // Two readers may fetch one segment at once: each writes its own temp file.
  std::string path = DiskPath(key), tmp = path + "." + crypto::HexEncode(crypto::RandomBytes(4)) + ".tmp";
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    if (fd >= 0) ::close(fd);
    std::error_code ec;
    if (!ok || (fs::rename(tmp, path, ec), ec))  // a full cache disk still answers, from memory
      return MemorySegmentFile(std::move(bytes));
  }
  {
    MutexLock lock(mu_);
    if (!disk_.count(key)) {
      disk_lru_.push_front(key);
      disk_[key] = {size, disk_lru_.begin()};
      disk_total_ += size;
    }
  }
  TrimDisk();
  return LocalFile::Open(path);
}

void SegmentCache::TrimDisk() {
  MutexLock lock(mu_);
  while (disk_total_ > options_.disk_bytes && disk_lru_.size() > 1) {
    const std::string victim = disk_lru_.back();
    std::error_code ec;
    fs::remove(DiskPath(victim), ec);
    disk_total_ -= disk_[victim].first;
    disk_.erase(victim);
    disk_lru_.pop_back();
  }
}

Result<std::shared_ptr<const Segment>> SegmentCache::Open(const std::string& key, uint64_t size) {
  {
    MutexLock lock(mu_);
    auto it = open_.find(key);
    if (it != open_.end()) {
      open_lru_.splice(open_lru_.begin(), open_lru_, it->second.second);
      if (auto d = disk_.find(key); d != disk_.end()) disk_lru_.splice(disk_lru_.begin(), disk_lru_, d->second.second);
      return it->second.first;
    }
  }
  TV_ASSIGN_OR_RETURN(auto file, File(key, size));
  TV_ASSIGN_OR_RETURN(auto segment, Segment::Open(key, size, std::move(file), blocks_, quarantine_));
  MutexLock lock(mu_);
  if (auto it = open_.find(key); it != open_.end()) return it->second.first;
  open_lru_.push_front(key);
  open_[key] = {segment, open_lru_.begin()};
  open_total_ += segment->memory_bytes();
  while (open_total_ > options_.open_bytes && open_lru_.size() > 1) {
    auto victim = open_.find(open_lru_.back());
    open_total_ -= victim->second.first->memory_bytes();  // readers holding it keep it alive
    open_.erase(victim);
    open_lru_.pop_back();
  }
  return segment;
}

void SegmentCache::Forget(const std::string& key) {
  blocks_.EraseWithPrefix(key + "#");
  MutexLock lock(mu_);
  if (auto it = open_.find(key); it != open_.end()) {
    open_total_ -= it->second.first->memory_bytes();
    open_lru_.erase(it->second.second);
    open_.erase(it);
  }
  if (auto it = disk_.find(key); it != disk_.end()) {
    std::error_code ec;
    fs::remove(DiskPath(key), ec);
    disk_total_ -= it->second.first;
    disk_lru_.erase(it->second.second);
    disk_.erase(it);
  }
}

uint64_t SegmentCache::disk_bytes() const {
  MutexLock lock(mu_);
  return disk_total_;
}

size_t SegmentCache::open_bytes() const {
  MutexLock lock(mu_);
  return open_total_;
}

}  // namespace tv::store
