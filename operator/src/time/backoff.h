// The one backoff policy of the project: jittered exponential backoff. The
// base doubles from `initial` up to `max`; each wait is
// min(max, base * (1 + jitter * r)) with r uniform in [0, 1) from the injected
// random source. Used by watchers (client-go's reflector: 800 ms doubling to
// 30 s, jitter 1.0), kube request retries, work-queue requeues and blocked
// workspaces. Reset() after a healthy period starts over.
// Not thread-safe: one owner (a watcher loop, one request's retries, one key).
#pragma once

#include <functional>

#include "time/clock.h"

namespace tfws::time {

// Returns a uniform double in [0, 1).
using RandomSource = std::function<double()>;
// A process-seeded Mersenne twister (thread-safe).
RandomSource DefaultRandomSource();

class Backoff {
 public:
  // `random` may be empty when jitter is 0.
  Backoff(Duration initial, Duration max, double jitter, RandomSource random);
  Duration Next();
  void Reset() { base_ = initial_; }
  Duration CurrentBase() const { return base_; }

 private:
  Duration initial_, max_;
  double jitter_;
  RandomSource random_;
  Duration base_;
};

}  // namespace tfws::time
