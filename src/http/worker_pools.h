// WorkerPool: a fixed set of threads running tasks, with a bounded queue.
// TryPost() admits a task only while running + waiting tasks stay within
// threads + queue (back-pressure by a counting admission, never an unbounded
// queue); a refused task is the caller's to answer (the server says 429).
//
// WorkerPools: one WorkerPool per RequestClass, so a burst of one class
// (say ten slow BTQL queries) cannot hold the threads of another. With
// `single_pool` every class shares the light class's pool — the behaviour
// before classes existed, kept for comparison in bench/classes.
//
// Thread-safety: TryPost() and Load() are safe from any thread. Join() runs
// once, after the last TryPost().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "http/request_class.h"

namespace tv::http {

struct PoolOptions {
  int threads = 1;   // at least 1
  size_t queue = 0;  // tasks that may wait for a thread
};

// A snapshot of a pool's load.
struct PoolLoad {
  int threads = 0;
  size_t queue_limit = 0;
  size_t running = 0;
  size_t queued = 0;
  uint64_t rejected = 0;  // tasks refused since start

  // A new task would be refused.
  bool saturated() const { return running + queued >= static_cast<size_t>(threads) + queue_limit; }
};

class WorkerPool {
 public:
  explicit WorkerPool(PoolOptions options);
  ~WorkerPool();  // Join()s
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` unless the pool is full; returns whether it was taken.
  bool TryPost(std::function<void()> task);
  PoolLoad Load() const;
  // Runs what is queued, then stops the threads. Idempotent.
  void Join() EXCLUDES(mu_);  // the threads it joins take mu_

 private:
  void Work();

  const PoolOptions options_;
  mutable Mutex mu_;
  CondVar ready_;
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mu_);
  size_t running_ GUARDED_BY(mu_) = 0;
  uint64_t rejected_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

class WorkerPools {
 public:
  using Options = std::array<PoolOptions, kRequestClassCount>;

  // The default threads and queue of each class (request_class.h).
  static Options Defaults();

  WorkerPools(const Options& options, bool single_pool);

  bool TryPost(RequestClass c, std::function<void()> task) { return pool(c).TryPost(std::move(task)); }
  // Per class, in RequestClass order. With single_pool every class reports the shared pool.
  std::array<PoolLoad, kRequestClassCount> Load() const;
  void Join();

 private:
  WorkerPool& pool(RequestClass c) const { return *pools_[single_pool_ ? 0 : RequestClassIndex(c)]; }

  bool single_pool_;
  std::vector<std::unique_ptr<WorkerPool>> pools_;
};

}  // namespace tv::http
