// A time::Clock that only moves when a test says so: the one fake clock of the
// tests (production code has none).
//
// Thread-safe. Advance() wakes every thread blocked in WaitUntil/SleepUntil so
// it re-checks its deadline; BlockUntilWaiters() lets a test wait (in real
// time, bounded) until the code under test is parked on the clock, so tests
// need no sleeps. Objects waiting on the clock must outlive any concurrent
// Advance() (tests advance and destroy from the same thread).
//
// With SetAdvanceOnSleep(true) a wait whose predicate does not hold moves time
// straight to its deadline instead of blocking (and adds the step to slept()):
// for single-threaded tests of code that sleeps (rate limits, retries).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "time/clock.h"

namespace tfws::time {

class FakeClock final : public Clock {
 public:
  FakeClock();

  TimePoint Now() const override;
  WallTime WallNow() const override;
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                 TimePoint deadline, std::stop_token stop,
                 const std::function<bool()>& pred) override;

  // Moves time forward and wakes all waiters.
  void Advance(Duration d);
  // Advances exactly to the earliest deadline any waiter is blocked on (no-op
  // when nobody waits with a finite deadline). Returns the step taken.
  Duration AdvanceToNextDeadline();
  // Sets what WallNow() returns now (it moves with Advance from there).
  // Starts at 2026-01-01T00:00:00Z.
  void SetWall(WallTime wall);

  void SetAdvanceOnSleep(bool on) { advance_on_sleep_ = on; }
  // Total time skipped by waits under SetAdvanceOnSleep(true).
  Duration slept() const { return Duration(slept_ticks_.load()); }

  // Number of threads currently blocked on this clock.
  int Waiters() const;
  // Earliest finite deadline among blocked threads, or TimePoint::max().
  TimePoint NextDeadline() const;
  // Waits (real time, at most `timeout`) until at least n threads are blocked
  // on this clock. Returns false on timeout.
  bool BlockUntilWaiters(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Like BlockUntilWaiters, counting only threads whose deadline is still in
  // the future (so a thread that an Advance() just released but that has not
  // yet left WaitUntil is not mistaken for one parked again).
  bool BlockUntilSleeping(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  struct Waiter {
    std::mutex guard;  // serialises "still waiting?" against Advance's notify
    bool active = true;
    std::mutex* mutex;
    std::condition_variable_any* cv;
    TimePoint deadline;
  };
  std::atomic<TimePoint::rep> now_ticks_{0};
  std::atomic<WallTime::rep> wall_offset_ticks_;  // WallNow() - Now(), in system_clock ticks
  std::atomic<bool> advance_on_sleep_{false};
  std::atomic<Duration::rep> slept_ticks_{0};
  TimePoint steady_epoch_;
  mutable std::mutex mu_;
  mutable std::condition_variable waiters_changed_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace tfws::time
