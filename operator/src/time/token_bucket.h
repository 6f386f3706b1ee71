// The one token bucket of the project: `qps` tokens a second refill it up to
// `burst`. Used for the client-side request limit of every kube transport
// (kube/client_factory.h) and the overall requeue limit of work queues
// (runtime/rate_limiter.h).
//
// Thread-safe. qps <= 0 turns limiting off. Time comes from a Clock, so tests
// drive it without sleeping.
#pragma once

#include <mutex>
#include <stop_token>

#include "time/clock.h"

namespace tfws::time {

class TokenBucket {
 public:
  TokenBucket(double qps, int burst, Clock& clock = SystemClock::Instance());

  bool enabled() const { return qps_ > 0; }

  // Takes a token now if one is available; never waits.
  bool TryAcquire();
  // Takes a token, possibly in the future: returns how long the caller must
  // wait before using it (zero when a token was available). Reservations queue
  // in call order, so waiting callers are served first come, first served.
  Duration Reserve();
  // Reserve() and sleep on the clock. Returns false when stop interrupted the wait
  // (the reserved token is then lost, which only makes the limit stricter).
  bool Acquire(std::stop_token stop = {});

 private:
  void Refill(TimePoint now);

  const double qps_;
  const int burst_;
  Clock& clock_;
  std::mutex mutex_;
  double tokens_;  // may go negative: tokens reserved by waiting callers
  TimePoint last_;
};

}  // namespace tfws::time
