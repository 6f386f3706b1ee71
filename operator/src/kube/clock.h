// Time behind a seam, so rate limiting, backoff and credential expiry are
// testable without sleeping.
//
// RealClock() is thread-safe and lives for the whole process. Test clocks
// (tests/unit/kube/fake_clock.h) advance only when told or when slept on.
#pragma once

#include <chrono>
#include <stop_token>

namespace tfws::kube {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  // Monotonic time for intervals and deadlines.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Wall-clock time, for comparing with timestamps from the outside world
  // (e.g. an ExecCredential's expirationTimestamp).
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
  // Sleeps for d or until stop is requested, whichever comes first. Returns
  // false when it was woken by stop.
  virtual bool SleepFor(Duration d, std::stop_token stop) = 0;
};

// The process clock: steady_clock, system_clock and a condition-variable sleep.
Clock& RealClock();

}  // namespace tfws::kube
