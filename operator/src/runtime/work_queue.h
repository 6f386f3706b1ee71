// A deduplicating, delaying, rate-limited queue of keys ("namespace/name"),
// with client-go's guarantees:
//  - a key added any number of times before a worker takes it runs once;
//  - a key is held by at most one worker at a time; a key added while it is
//    being processed is queued again when that worker calls Done();
//  - AddAfter(key, d) makes the key ready at now+d; when a key is delayed
//    several times, the earliest time wins;
//  - AddRateLimited asks the RateLimiter for the delay; Forget clears it.
//
// Thread-safe; any number of producers and workers. Time comes from a time::Clock
// (delayed keys are promoted lazily by whichever call next holds the lock, so
// there is no timer thread). After ShutDown(), adds are ignored, delayed keys
// are dropped and Get() returns nullopt at once (queued keys are not handed
// out: controllers are level-triggered, the next leader relists anyway);
// ShutDownWithDrain() additionally waits for keys being processed.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "observe/machinery_metrics.h"
#include "time/clock.h"
#include "runtime/rate_limiter.h"

namespace tfws::runtime {

class WorkQueue {
 public:
  // metrics may be null (no-op). The clock must outlive the queue.
  WorkQueue(time::Clock& clock, std::unique_ptr<RateLimiter> limiter, observe::QueueMetrics* metrics = nullptr);
  explicit WorkQueue(time::Clock& clock) : WorkQueue(clock, DefaultControllerRateLimiter(clock)) {}
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, time::Duration delay);
  void AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key);

  // Blocks until a key is ready (returns it; the caller must call Done(key)),
  // or the queue shuts down / stop is requested (returns nullopt).
  std::optional<std::string> Get(std::stop_token stop = {});
  void Done(const std::string& key);

  void ShutDown();
  // ShutDown, then wait until every key taken by Get is Done or the timeout
  // (clock time) passes. Returns true when drained.
  bool ShutDownWithDrain(time::Duration timeout);
  bool ShuttingDown() const;

  // Keys ready to be taken now (not counting delayed or in-flight ones).
  std::size_t Len();
  // Keys waiting for a delay to pass.
  std::size_t DelayedLen();
  // Reports in-progress work to QueueMetrics::InProgress (call periodically).
  void ReportInProgress();

 private:
  void AddLocked(const std::string& key);
  void PromoteDueLocked();
  void NotifyAll();

  time::Clock& clock_;
  std::unique_ptr<RateLimiter> limiter_;
  observe::QueueMetrics default_metrics_;
  observe::QueueMetrics* metrics_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;
  std::unordered_map<std::string, time::TimePoint> processing_;  // key -> started
  std::unordered_map<std::string, time::TimePoint> enqueued_at_;
  std::unordered_map<std::string, time::TimePoint> waiting_;      // key -> ready at
  std::set<std::pair<time::TimePoint, std::string>> waiting_by_time_;
  std::uint64_t waiting_generation_ = 0;  // bumps when an earlier deadline appears
  bool shutting_down_ = false;
};

}  // namespace tfws::runtime
