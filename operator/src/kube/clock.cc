#include "kube/clock.h"

#include <condition_variable>
#include <mutex>

namespace tfws::kube {
namespace {

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  bool SleepFor(Duration d, std::stop_token stop) override {
    if (d <= Duration::zero()) return !stop.stop_requested();
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock lock(mutex);
    // wait_for with a stop_token returns the predicate: true only when stopped.
    bool stopped = wake.wait_for(lock, stop, d, [] { return false; });
    return !stopped && !stop.stop_requested();
  }
};

}  // namespace

Clock& RealClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace tfws::kube
