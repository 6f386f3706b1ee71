#include "time/backoff.h"

#include <algorithm>
#include <mutex>
#include <random>

namespace tfws::time {

RandomSource DefaultRandomSource() {
  return [] {
    static std::mutex mu;
    static std::mt19937_64 engine{std::random_device{}()};
    std::lock_guard lock(mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

Backoff::Backoff(Duration initial, Duration max, double jitter, RandomSource random)
    : initial_(initial), max_(max), jitter_(jitter), random_(std::move(random)), base_(initial) {}

Duration Backoff::Next() {
  double factor = jitter_ > 0 && random_ ? 1.0 + jitter_ * random_() : 1.0;
  auto wait = std::chrono::duration_cast<Duration>(std::chrono::duration<double, Duration::period>(
      static_cast<double>(base_.count()) * factor));
  wait = std::min(wait, max_);
  base_ = std::min(base_ * 2, max_);
  return wait;
}

}  // namespace tfws::time
