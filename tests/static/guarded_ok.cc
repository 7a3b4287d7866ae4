// Must compile under the build's flags: the same class as
// guarded_violation.cc with the lock taken (scripts/check-thread-safety.sh).
#include "common/mutex.h"

namespace {

class Counter {
 public:
  void Add() EXCLUDES(mu_) {
    tv::MutexLock lock(mu_);
    ++total_;
  }

 private:
  tv::Mutex mu_;
  int total_ GUARDED_BY(mu_) = 0;
};

}  // namespace

int main() {
  Counter c;
  c.Add();
}
