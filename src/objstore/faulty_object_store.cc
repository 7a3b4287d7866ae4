#include "objstore/faulty_object_store.h"

#include <charconv>
#include <thread>

#include "common/mutex.h"
#include "common/strings.h"

namespace tv::objstore {
namespace {

class FaultyObjectStore final : public ObjectStore {
 public:
  FaultyObjectStore(std::unique_ptr<ObjectStore> inner, FaultOptions o)
      : inner_(std::move(inner)), o_(o), rng_(o.seed) {}

  Status Put(std::string_view key, std::string_view data) override {
    Delay();
    double r = Roll();
    if (r < o_.error_rate) return Unavailable("injected fault: put {} failed", key);
    r -= o_.error_rate;
    if (r < o_.torn_rate) {
      (void)inner_->Put(key, data.substr(0, data.size() / 2));
      return Unavailable("injected fault: put {} torn", key);
    }
    r -= o_.torn_rate;
    if (r < o_.lost_rate) {
      (void)inner_->Put(key, data);
      return Unavailable("injected fault: put {} reply lost", key);
    }
    return inner_->Put(key, data);
  }

  Result<std::string> Get(std::string_view key, std::optional<ByteRange> range) override {
    Delay();
    if (Roll() < o_.error_rate) return Unavailable("injected fault: get {} failed", key);
    return inner_->Get(key, range);
  }

  Result<std::vector<ObjectEntry>> List(std::string_view prefix) override {
    Delay();
    if (Roll() < o_.error_rate) return Unavailable("injected fault: list {} failed", prefix);
    return inner_->List(prefix);
  }

  Status Delete(std::string_view key) override {
    Delay();
    if (Roll() < o_.error_rate) return Unavailable("injected fault: delete {} failed", key);
    return inner_->Delete(key);
  }

  std::string Describe() const override { return "faulty(" + inner_->Describe() + ")"; }

 private:
  double Roll() {
    MutexLock lock(mu_);
    return std::uniform_real_distribution<double>(0, 1)(rng_);
  }
  void Delay() {
    if (o_.latency.count() > 0) std::this_thread::sleep_for(o_.latency);
  }

  std::unique_ptr<ObjectStore> inner_;
  FaultOptions o_;
  Mutex mu_;
  std::mt19937_64 rng_ GUARDED_BY(mu_);
};

Result<double> ParseRate(std::string_view name, std::string_view v) {
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || d < 0 || d > 1)
    return InvalidArgument("fault option '{}' must be a rate in [0, 1], got '{}'", name, v);
  return d;
}

Result<uint64_t> ParseCount(std::string_view name, std::string_view v) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size())
    return InvalidArgument("fault option '{}' must be a non-negative integer, got '{}'", name, v);
  return n;
}

}  // namespace

Result<FaultOptions> ParseFaultOptions(std::string_view spec) {
  FaultOptions o;
  for (std::string_view item : SplitList(spec, ",", ListItems::kVerbatim)) {
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return InvalidArgument("fault option '{}' needs name=value", item);
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    if (name == "error") {
      TV_ASSIGN_OR_RETURN(o.error_rate, ParseRate(name, value));
    } else if (name == "torn") {
      TV_ASSIGN_OR_RETURN(o.torn_rate, ParseRate(name, value));
    } else if (name == "lost") {
      TV_ASSIGN_OR_RETURN(o.lost_rate, ParseRate(name, value));
    } else if (name == "latency_ms") {
      TV_ASSIGN_OR_RETURN(uint64_t ms, ParseCount(name, value));
      o.latency = std::chrono::milliseconds(ms);
    } else if (name == "seed") {
      TV_ASSIGN_OR_RETURN(o.seed, ParseCount(name, value));
    } else {
      return InvalidArgument("unknown fault option '{}' (error, torn, lost, latency_ms, seed)", name);
    }
  }
  if (o.error_rate + o.torn_rate + o.lost_rate > 1) return InvalidArgument("fault rates add up to more than 1");
  return o;
}

std::unique_ptr<ObjectStore> WrapWithFaults(std::unique_ptr<ObjectStore> inner, FaultOptions options) {
  return std::make_unique<FaultyObjectStore>(std::move(inner), options);
}

}  // namespace tv::objstore
