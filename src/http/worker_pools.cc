#include "http/worker_pools.h"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

namespace tv::http {

WorkerPool::WorkerPool(PoolOptions options) : options_{std::max(1, options.threads), options.queue} {
  threads_.reserve(static_cast<size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() { Join(); }

bool WorkerPool::TryPost(std::function<void()> task) {
  {
    MutexLock lock(mu_);
    if (stopping_ || running_ + tasks_.size() >= static_cast<size_t>(options_.threads) + options_.queue) {
      ++rejected_;
      return false;
    }
    tasks_.push_back(std::move(task));
  }
  ready_.Signal();
  return true;
}

PoolLoad WorkerPool::Load() const {
  MutexLock lock(mu_);
  return {options_.threads, options_.queue, running_, tasks_.size(), rejected_};
}

void WorkerPool::Join() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  ready_.SignalAll();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void WorkerPool::Work() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock lock(mu_);
      while (!stopping_ && tasks_.empty()) ready_.Wait(mu_);
      if (tasks_.empty()) return;  // stopping, and nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
      ++running_;
    }
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("worker task failed: {}", e.what());
    } catch (...) {
      spdlog::error("worker task failed with an unknown exception");
    }
    MutexLock lock(mu_);
    --running_;
  }
}

WorkerPools::Options WorkerPools::Defaults() {
  Options o;
  for (const auto& info : kRequestClasses)
    o[RequestClassIndex(info.id)] = {info.default_threads, static_cast<size_t>(info.default_queue)};
  return o;
}

WorkerPools::WorkerPools(const Options& options, bool single_pool) : single_pool_(single_pool) {
  size_t n = single_pool ? 1 : kRequestClassCount;
  for (size_t i = 0; i < n; ++i) pools_.push_back(std::make_unique<WorkerPool>(options[i]));
}

std::array<PoolLoad, kRequestClassCount> WorkerPools::Load() const {
  std::array<PoolLoad, kRequestClassCount> out;
  for (const auto& info : kRequestClasses) out[RequestClassIndex(info.id)] = pool(info.id).Load();
  return out;
}

void WorkerPools::Join() {
  for (auto& p : pools_) p->Join();
}

}  // namespace tv::http
