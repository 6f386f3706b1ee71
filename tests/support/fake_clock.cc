#include "support/fake_clock.h"

#include <algorithm>

namespace tfws::time {
namespace {

WallTime::rep WallOffset(WallTime wall, TimePoint now) {
  return (wall - std::chrono::duration_cast<WallTime::duration>(now.time_since_epoch())).time_since_epoch().count();
}

}  // namespace

FakeClock::FakeClock() : steady_epoch_(std::chrono::hours(1000)) {
  SetWall(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1));
}

TimePoint FakeClock::Now() const {
  return steady_epoch_ + Duration(now_ticks_.load(std::memory_order_acquire));
}

WallTime FakeClock::WallNow() const {
  return WallTime(WallTime::duration(wall_offset_ticks_.load(std::memory_order_acquire))) +
         std::chrono::duration_cast<WallTime::duration>(Now().time_since_epoch());
}

void FakeClock::SetWall(WallTime wall) { wall_offset_ticks_.store(WallOffset(wall, Now())); }

bool FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                          TimePoint deadline, std::stop_token stop,
                          const std::function<bool()>& pred) {
  if (advance_on_sleep_ && !pred() && !stop.stop_requested() && deadline != TimePoint::max()) {
    Duration step = std::max(Duration::zero(), deadline - Now());
    slept_ticks_.fetch_add(step.count());
    now_ticks_.fetch_add(step.count(), std::memory_order_acq_rel);
    return pred();
  }
  auto waiter = std::make_shared<Waiter>();
  waiter->mutex = lock.mutex();
  waiter->cv = &cv;
  waiter->deadline = deadline;
  {
    std::lock_guard g(mu_);
    waiters_.push_back(waiter);
  }
  waiters_changed_.notify_all();
  cv.wait(lock, stop, [&] { return pred() || Now() >= deadline; });
  // Unregister without holding the caller's lock: Advance() takes guard then
  // the caller's mutex, so holding both here in the other order would deadlock.
  lock.unlock();
  {
    std::lock_guard g(waiter->guard);
    waiter->active = false;
  }
  {
    std::lock_guard g(mu_);
    std::erase(waiters_, waiter);
  }
  waiters_changed_.notify_all();
  lock.lock();
  return pred();
}

void FakeClock::Advance(Duration d) {
  now_ticks_.fetch_add(d.count(), std::memory_order_acq_rel);
  std::vector<std::shared_ptr<Waiter>> snapshot;
  {
    std::lock_guard g(mu_);
    snapshot = waiters_;
  }
  for (auto& w : snapshot) {
    std::lock_guard g(w->guard);
    if (!w->active) continue;
    std::lock_guard caller(*w->mutex);  // no lost wake-up between check and wait
    w->cv->notify_all();
  }
}

Duration FakeClock::AdvanceToNextDeadline() {
  TimePoint next = NextDeadline();
  if (next == TimePoint::max()) return Duration::zero();
  Duration step = next - Now();
  if (step < Duration::zero()) step = Duration::zero();
  Advance(step);
  return step;
}

int FakeClock::Waiters() const {
  std::lock_guard g(mu_);
  return static_cast<int>(waiters_.size());
}

TimePoint FakeClock::NextDeadline() const {
  std::lock_guard g(mu_);
  TimePoint next = TimePoint::max();
  for (auto& w : waiters_) next = std::min(next, w->deadline);
  return next;
}

bool FakeClock::BlockUntilWaiters(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock g(mu_);
  return waiters_changed_.wait_for(g, timeout, [&] { return static_cast<int>(waiters_.size()) >= n; });
}

bool FakeClock::BlockUntilSleeping(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock g(mu_);
  return waiters_changed_.wait_for(g, timeout, [&] {
    TimePoint now = Now();
    int sleeping = 0;
    for (auto& w : waiters_) sleeping += w->deadline > now ? 1 : 0;
    return sleeping >= n;
  });
}

}  // namespace tfws::time
