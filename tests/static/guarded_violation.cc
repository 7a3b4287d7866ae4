// Must NOT compile under the build's flags: proves -Werror=thread-safety is
// on and that Mutex's annotations reach the analysis (scripts/check-thread-safety.sh).
#include "common/mutex.h"

namespace {

class Counter {
 public:
  void Add() { ++total_; }  // written without mu_: an error

 private:
  tv::Mutex mu_;
  int total_ GUARDED_BY(mu_) = 0;
};

}  // namespace

int main() {
  Counter c;
  c.Add();
}
