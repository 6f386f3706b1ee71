#include "kube/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tfws::kube {

RateLimiter::RateLimiter(RateLimit limit, Clock& clock)
    : limit_{limit.qps, std::max(1, limit.burst)},
      clock_(clock),
      tokens_(limit_.burst),
      last_(clock.Now()) {}

void RateLimiter::Refill(std::chrono::steady_clock::time_point now) {
  if (now <= last_) return;
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min<double>(limit_.burst, tokens_ + elapsed * limit_.qps);
  last_ = now;
}

bool RateLimiter::TryAcquire() {
  if (!enabled()) return true;
  std::lock_guard lock(mutex_);
  Refill(clock_.Now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

Clock::Duration RateLimiter::Reserve() {
  if (!enabled()) return Clock::Duration::zero();
  std::lock_guard lock(mutex_);
  Refill(clock_.Now());
  tokens_ -= 1;
  if (tokens_ >= 0) return Clock::Duration::zero();
  double wait_seconds = -tokens_ / limit_.qps;
  return std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(wait_seconds));
}

bool RateLimiter::Acquire(std::stop_token stop) {
  Clock::Duration wait = Reserve();
  if (wait <= Clock::Duration::zero()) return !stop.stop_requested();
  return clock_.SleepFor(wait, stop);
}

}  // namespace tfws::kube
