// Jittered exponential backoff: base doubles from `initial` up to `max`; each
// wait is min(max, base * (1 + jitter * r)) with r uniform in [0, 1) from the
// injected random source (client-go's reflector: 800 ms doubling to 30 s,
// jitter 1.0). Reset() after a healthy period starts over.
// Not thread-safe: one owner (a watcher or elector loop).
#pragma once

#include <functional>

#include "runtime/clock.h"

namespace tfws::runtime {

// Returns a uniform double in [0, 1).
using RandomSource = std::function<double()>;
// A process-seeded Mersenne twister (thread-safe).
RandomSource DefaultRandomSource();

class Backoff {
 public:
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

}  // namespace tfws::runtime
