// The one clock of the project: everything that waits or reads the time goes
// through a Clock, so unit tests drive time with a fake (tests/support/
// fake_clock.h) instead of sleeping. SystemClock is the only one in production.
//
// Thread-safe. Now() is monotonic (steady); WallNow() is for timestamps that
// leave the process (Lease renewTime, Event eventTime, an ExecCredential's
// expiry). WaitUntil has the contract of std::condition_variable_any::wait_until
// with a stop_token and a predicate: whoever changes what the predicate reads
// must do so under the same mutex and notify the same condition variable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>

namespace tfws::time {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;

  virtual TimePoint Now() const = 0;
  virtual WallTime WallNow() const = 0;

  // Blocks until pred() holds, Now() >= deadline, or stop is requested.
  // `lock` is held on entry and on return (released while blocked).
  // Returns pred() evaluated under the lock just before returning.
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                         TimePoint deadline, std::stop_token stop,
                         const std::function<bool()>& pred) = 0;

  // Sleeps until the deadline. Returns false when stop was requested first.
  bool SleepUntil(TimePoint deadline, std::stop_token stop);
  bool SleepFor(Duration d, std::stop_token stop) { return SleepUntil(Now() + d, stop); }
};

// The real clocks (std::chrono::steady_clock / system_clock).
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                 TimePoint deadline, std::stop_token stop,
                 const std::function<bool()>& pred) override;

  // The process-wide instance, the default wherever a Clock is optional.
  static SystemClock& Instance();
};

}  // namespace tfws::time
