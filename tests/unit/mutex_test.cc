// tv::Mutex, tv::MutexLock and tv::CondVar (src/common/mutex.h): the locks
// exclude each other, a scope can drop and retake its lock, and waits wake on
// a signal or give up at their deadline.
#include "common/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace tv {
namespace {

using namespace std::chrono_literals;

class Counter {
 public:
  void Add(int n) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    total_ += n;
  }
  int total() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return total_;
  }

 private:
  Mutex mu_;
  int total_ GUARDED_BY(mu_) = 0;
};

TEST(MutexTest, LockExcludesOtherThreads) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i) c.Add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.total(), 40000);
}

// Whether another thread can take `mu` right now (it lets go at once).
bool FreeForOthers(Mutex& mu) {
  bool free = false;
  std::thread([&] {
    if (!mu.TryLock()) return;
    mu.Unlock();
    free = true;
  }).join();
  return free;
}

TEST(MutexTest, TryLockFailsWhileHeldAndAdoptReleases) {
  Mutex mu;
  mu.Lock();
  EXPECT_FALSE(FreeForOthers(mu));
  mu.Unlock();
  EXPECT_TRUE(FreeForOthers(mu));

  if (mu.TryLock()) {
    MutexLock adopted(mu, MutexLock::Adopt{});
    EXPECT_FALSE(FreeForOthers(mu));
  } else {
    ADD_FAILURE() << "TryLock failed on a free mutex";
  }
  EXPECT_TRUE(FreeForOthers(mu)) << "the adopting scope did not release the mutex";
}

TEST(MutexTest, ScopeCanDropAndRetakeItsLock) {
  Mutex mu;
  MutexLock lock(mu);
  EXPECT_FALSE(FreeForOthers(mu));
  lock.Unlock();
  EXPECT_TRUE(FreeForOthers(mu)) << "Unlock() did not release the mutex";
  lock.Lock();
  EXPECT_FALSE(FreeForOthers(mu)) << "Lock() did not take the mutex back";
}

struct Mailbox {
  Mutex mu;
  CondVar cv;
  int value GUARDED_BY(mu) = 0;
  bool ready GUARDED_BY(mu) = false;
};

TEST(CondVarTest, WaitWithPredicateSeesTheSignalledValue) {
  Mailbox box;
  std::thread producer([&box] {
    MutexLock lock(box.mu);
    box.value = 42;
    box.ready = true;
    box.cv.Signal();
  });
  MutexLock lock(box.mu);
  box.cv.Wait(box.mu, [&box]() REQUIRES(box.mu) { return box.ready; });
  EXPECT_EQ(box.value, 42);
  lock.Unlock();
  producer.join();
}

TEST(CondVarTest, SignalAllWakesEveryWaiter) {
  Mailbox box;
  int woken = 0;  // guarded by box.mu (a local: the attribute is for members)
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; ++i)
    waiters.emplace_back([&] {
      MutexLock lock(box.mu);
      while (!box.ready) box.cv.Wait(box.mu);
      ++woken;
    });
  {
    MutexLock lock(box.mu);
    box.ready = true;
    box.cv.SignalAll();
  }
  for (auto& t : waiters) t.join();
  MutexLock lock(box.mu);
  EXPECT_EQ(woken, 3);
}

TEST(CondVarTest, WaitForWithNobodySignallingReturnsFalse) {
  Mailbox box;
  MutexLock lock(box.mu);
  EXPECT_FALSE(box.cv.WaitFor(box.mu, 1ms));
  EXPECT_FALSE(box.cv.WaitFor(box.mu, 1ms, [&box]() REQUIRES(box.mu) { return box.ready; }));
  EXPECT_FALSE(box.cv.WaitUntil(box.mu, std::chrono::steady_clock::now()));
}

TEST(CondVarTest, WaitForWithPredicateReturnsTrueOnceItHolds) {
  Mailbox box;
  std::thread producer([&box] {
    MutexLock lock(box.mu);
    box.ready = true;
    box.cv.Signal();
  });
  MutexLock lock(box.mu);
  EXPECT_TRUE(box.cv.WaitFor(box.mu, 60s, [&box]() REQUIRES(box.mu) { return box.ready; }));
  lock.Unlock();
  producer.join();
}

}  // namespace
}  // namespace tv
