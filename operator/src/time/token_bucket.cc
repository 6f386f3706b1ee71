#include "time/token_bucket.h"

#include <algorithm>

namespace tfws::time {

TokenBucket::TokenBucket(double qps, int burst, Clock& clock)
    : qps_(qps), burst_(std::max(1, burst)), clock_(clock), tokens_(burst_), last_(clock.Now()) {}

void TokenBucket::Refill(TimePoint now) {
  if (now <= last_) return;
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min<double>(burst_, tokens_ + elapsed * qps_);
  last_ = now;
}

bool TokenBucket::TryAcquire() {
  if (!enabled()) return true;
  std::lock_guard lock(mutex_);
  Refill(clock_.Now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

Duration TokenBucket::Reserve() {
  if (!enabled()) return Duration::zero();
  std::lock_guard lock(mutex_);
  Refill(clock_.Now());
  tokens_ -= 1;
  if (tokens_ >= 0) return Duration::zero();
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

bool TokenBucket::Acquire(std::stop_token stop) {
  Duration wait = Reserve();
  if (wait <= Duration::zero()) return !stop.stop_requested();
  return clock_.SleepFor(wait, stop);
}

}  // namespace tfws::time
