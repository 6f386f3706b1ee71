#include "runtime/clock.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <ctime>
#include <stdexcept>

#include "runtime/fake_clock.h"

namespace tfws::runtime {

bool Clock::SleepUntil(TimePoint deadline, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  WaitUntil(lock, cv, deadline, stop, [] { return false; });
  return !stop.stop_requested();
}

bool SystemClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                            TimePoint deadline, std::stop_token stop,
                            const std::function<bool()>& pred) {
  if (deadline == TimePoint::max()) return cv.wait(lock, stop, pred);
  return cv.wait_until(lock, stop, deadline, pred);
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

std::string FormatMicroTime(WallTime t) {
  using namespace std::chrono;
  auto micros = duration_cast<microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(micros / 1000000);
  long frac = static_cast<long>(micros % 1000000);
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];  // room for any int year, so -O3 proves no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

WallTime ParseRfc3339(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    throw std::invalid_argument("not an RFC 3339 time: \"" + text + "\"");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  long micros = 0;
  size_t pos = static_cast<size_t>(consumed);
  if (pos < text.size() && text[pos] == '.') {
    long scale = 100000;
    for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      micros += (text[pos] - '0') * scale;
      scale /= 10;
    }
  }
  long offset_seconds = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int hh = 0, mm = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &hh, &mm) == 2) {
      offset_seconds = (hh * 3600 + mm * 60) * (text[pos] == '+' ? 1 : -1);
    }
  }
  std::time_t secs = timegm(&tm) - offset_seconds;
  return WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::seconds(secs) +
                                                                 std::chrono::microseconds(micros)));
}

// ---------------------------------------------------------------- FakeClock

FakeClock::FakeClock()
    : now_ticks_(0),
      // A fixed, recognisable wall time: 2026-01-01T00:00:00Z.
      wall_epoch_(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1)),
      steady_epoch_(std::chrono::hours(1000)) {}

TimePoint FakeClock::Now() const {
  return steady_epoch_ + Duration(now_ticks_.load(std::memory_order_acquire));
}

WallTime FakeClock::WallNow() const {
  return wall_epoch_ +
         std::chrono::duration_cast<WallTime::duration>(Duration(now_ticks_.load(std::memory_order_acquire)));
}

bool FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& cv,
                          TimePoint deadline, std::stop_token stop,
                          const std::function<bool()>& pred) {
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

}  // namespace tfws::runtime
