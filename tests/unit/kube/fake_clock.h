// A Clock that moves only when a test advances it or something sleeps on it.
#pragma once

#include <mutex>

#include "kube/clock.h"

namespace tfws::kube::testing {

class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  std::chrono::system_clock::time_point WallNow() const override {
    std::lock_guard lock(mutex_);
    return wall_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(now_ - kStart);
  }
  // Sleeping advances time at once, so code under test never waits.
  bool SleepFor(Duration d, std::stop_token stop) override {
    Advance(d);
    slept_ += d;
    return !stop.stop_requested();
  }
  void Advance(Duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }
  void SetWall(std::chrono::system_clock::time_point wall) {
    std::lock_guard lock(mutex_);
    wall_ = wall - std::chrono::duration_cast<std::chrono::system_clock::duration>(now_ - kStart);
  }
  Duration slept() const { return slept_; }

 private:
  mutable std::mutex mutex_;
  static constexpr std::chrono::steady_clock::time_point kStart{std::chrono::hours(1000)};
  std::chrono::steady_clock::time_point now_{kStart};
  std::chrono::system_clock::time_point wall_{
      std::chrono::system_clock::from_time_t(1'700'000'000)};
  Duration slept_{};
};

}  // namespace tfws::kube::testing
