// Fixtures shared by the unit tests: a temp directory removed afterwards and
// a clock the test moves by hand.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "common/clock.h"
#include "common/ids.h"

namespace tv::testing {

// A fresh directory under the system temp dir, removed afterwards.
class TempDir {
 public:
  explicit TempDir(std::string_view tag = "tv-test")
      : path_(std::filesystem::temp_directory_path() / (std::string(tag) + "-" + NewUuid())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Starts at 2023-11-14T22:13:20Z unless told otherwise.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t micros = int64_t{1700000000} * 1000000) : now_(micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  void Set(int64_t micros) { now_.store(micros); }
  void Advance(int64_t micros) { now_.fetch_add(micros); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace tv::testing
