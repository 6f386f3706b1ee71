#include "time/clock.h"

namespace tfws::time {

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

}  // namespace tfws::time
