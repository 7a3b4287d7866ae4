// Mutex, MutexLock and CondVar: the project's only locking primitives. They
// wrap std::mutex and std::condition_variable with Clang's thread-safety
// attributes, so the compiler checks every GUARDED_BY field and every
// REQUIRES / EXCLUDES contract (the build passes -Werror=thread-safety).
//
//   class Counter {
//    public:
//     void Add(int n) EXCLUDES(mu_) {
//       MutexLock lock(mu_);
//       total_ += n;
//     }
//    private:
//     Mutex mu_;
//     int total_ GUARDED_BY(mu_) = 0;
//   };
//
// No other file names std::mutex, std::lock_guard, std::unique_lock or
// std::condition_variable (scripts/check-locks.sh fails `make test` on one).
// Under GCC the attributes expand to nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define TV_THREAD_ATTRIBUTE(x) __attribute__((x))
#else
#define TV_THREAD_ATTRIBUTE(x)
#endif

#define CAPABILITY(x) TV_THREAD_ATTRIBUTE(capability(x))
#define SCOPED_CAPABILITY TV_THREAD_ATTRIBUTE(scoped_lockable)
#define GUARDED_BY(x) TV_THREAD_ATTRIBUTE(guarded_by(x))
#define PT_GUARDED_BY(x) TV_THREAD_ATTRIBUTE(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) TV_THREAD_ATTRIBUTE(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) TV_THREAD_ATTRIBUTE(acquired_after(__VA_ARGS__))
#define REQUIRES(...) TV_THREAD_ATTRIBUTE(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) TV_THREAD_ATTRIBUTE(acquire_capability(__VA_ARGS__))
#define RELEASE(...) TV_THREAD_ATTRIBUTE(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) TV_THREAD_ATTRIBUTE(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) TV_THREAD_ATTRIBUTE(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) TV_THREAD_ATTRIBUTE(assert_capability(x))
#define RETURN_CAPABILITY(x) TV_THREAD_ATTRIBUTE(lock_returned(x))
// For the rare function the analysis cannot follow; say why beside each use.
#define NO_THREAD_SAFETY_ANALYSIS TV_THREAD_ATTRIBUTE(no_thread_safety_analysis)

namespace tv {

class CondVar;

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // Tells the analysis the caller holds the lock (it cannot check at run time).
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for its scope. Unlock() and Lock() let a scope drop the lock
// around slow work (I/O) and take it back; the destructor releases it only
// if held.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  // Adopts a lock the caller already holds (after a successful TryLock).
  struct Adopt {};
  MutexLock(Mutex& mu, Adopt) REQUIRES(mu) : mu_(mu) {}
  ~MutexLock() RELEASE() {
    if (held_) mu_.Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    mu_.Unlock();
    held_ = false;
  }
  void Lock() ACQUIRE() {
    mu_.Lock();
    held_ = true;
  }

 private:
  Mutex& mu_;
  bool held_ = true;
};

// A condition variable bound to a Mutex at each wait. Waits may wake
// spuriously: callers loop on their condition, or pass it as `pred`.
class CondVar {
 public:
  void Wait(Mutex& mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // `pred` runs with `mu` held; annotate a lambda with REQUIRES(mu) so the
  // analysis checks its body (calling it here is beyond the analysis).
  template <typename Pred>
  void Wait(Mutex& mu, Pred pred) REQUIRES(mu) NO_THREAD_SAFETY_ANALYSIS {
    while (!pred()) Wait(mu);
  }
  // Returns false when `deadline` passed before a signal.
  template <typename TimePoint>
  bool WaitUntil(Mutex& mu, TimePoint deadline) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    bool signalled = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return signalled;
  }
  template <typename Rep, typename Period>
  bool WaitFor(Mutex& mu, std::chrono::duration<Rep, Period> timeout) REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout);
  }
  // Waits until `pred` holds or `timeout` passes; returns pred(). For waits
  // that must give up (a test that fails instead of hanging), where a loop
  // over WaitUntil would repeat the deadline arithmetic at every call site.
  template <typename Rep, typename Period, typename Pred>
  bool WaitFor(Mutex& mu, std::chrono::duration<Rep, Period> timeout, Pred pred)
      REQUIRES(mu) NO_THREAD_SAFETY_ANALYSIS {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (!WaitUntil(mu, deadline)) return pred();
    }
    return true;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace tv
