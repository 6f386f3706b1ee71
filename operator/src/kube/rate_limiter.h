// Client-side request rate limit: a token bucket (qps refill, burst capacity).
//
// client-go's default (5 qps / burst 10) starves a controller that writes
// several children per object, so tfws defaults to 20 qps / burst 30; qps <= 0
// turns limiting off. Thread-safe: one limiter is shared by every request of a
// transport. Time comes from a Clock, so tests drive it without sleeping.
#pragma once

#include <chrono>
#include <mutex>
#include <stop_token>

#include "kube/clock.h"

namespace tfws::kube {

struct RateLimit {
  double qps = 20;
  int burst = 30;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit, Clock& clock = RealClock());

  bool enabled() const { return limit_.qps > 0; }

  // Takes a token now if one is available; never waits.
  bool TryAcquire();
  // Takes a token, possibly in the future: returns how long the caller must
  // wait before using it (zero when a token was available). Reservations queue
  // in call order, so waiting callers are served first come, first served.
  Clock::Duration Reserve();
  // Reserve() and sleep on the clock. Returns false when stop interrupted the wait
  // (the reserved token is then lost, which only makes the limit stricter).
  bool Acquire(std::stop_token stop = {});

 private:
  void Refill(std::chrono::steady_clock::time_point now);

  const RateLimit limit_;
  Clock& clock_;
  std::mutex mutex_;
  double tokens_;  // may go negative: tokens reserved by waiting callers
  std::chrono::steady_clock::time_point last_;
};

}  // namespace tfws::kube
