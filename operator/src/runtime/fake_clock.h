// A Clock that only moves when a test says so.
//
// Thread-safe. Advance() wakes every thread blocked in WaitUntil/SleepUntil so
// it re-checks its deadline; BlockUntilWaiters() lets a test wait (in real
// time, bounded) until the code under test is parked on the clock, so tests
// need no sleeps. Objects waiting on the clock must outlive any concurrent
// Advance() (tests advance and destroy from the same thread).
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "runtime/clock.h"

namespace tfws::runtime {

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
  std::atomic<TimePoint::rep> now_ticks_;
  WallTime wall_epoch_;
  TimePoint steady_epoch_;
  mutable std::mutex mu_;
  mutable std::condition_variable waiters_changed_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace tfws::runtime
