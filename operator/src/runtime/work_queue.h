// A deduplicating, delaying, rate-limited queue of keys ("namespace/name"),
// with client-go's guarantees:
//  - a key added any number of times before a worker takes it runs once;
//  - a key is held by at most one worker at a time; a key added while it is
//    being processed is queued again when that worker calls Done();
//  - AddAfter(key, d) makes the key ready at now+d; when a key is delayed
//    several times, the earliest time wins;
//  - AddRateLimited asks the RateLimiter for the delay; Forget clears it;
//  - two lanes: a key added with Lane::kFollowUp (an event on what a key's
//    earlier pass created, a retry or progress check falling due) is handed
//    out before any key of Lane::kNew (a new or edited object), FIFO within a
//    lane; a queued kNew key added again as kFollowUp moves up. In a create
//    storm this finishes workspaces already started (their claim bound: create
//    the Pod) before starting the next thousand, so the scheduler's work
//    overlaps the operator's instead of trailing it. Within a lane nothing
//    starves; kNew keys wait only while follow-ups are ready.
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

#include "observe/machinery_metrics.h"
#include "time/clock.h"
#include "runtime/rate_limiter.h"

namespace tfws::runtime {

class WorkQueue {
 public:
  enum class Lane { kNew, kFollowUp };

  // metrics may be null (no-op). The clock must outlive the queue.
  WorkQueue(time::Clock& clock, std::unique_ptr<RateLimiter> limiter, observe::QueueMetrics* metrics = nullptr);
  explicit WorkQueue(time::Clock& clock) : WorkQueue(clock, DefaultControllerRateLimiter(clock)) {}
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key, Lane lane = Lane::kNew);
  // Delayed keys join Lane::kFollowUp when they fall due.
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
  void AddLocked(const std::string& key, Lane lane);
  // Takes the next key of `lane` still queued in it (entries of keys that
  // moved up or were taken are skipped); nullopt when the lane is empty.
  std::optional<std::string> PopLocked(Lane lane);
  void PromoteDueLocked();
  void NotifyAll();

  time::Clock& clock_;
  std::unique_ptr<RateLimiter> limiter_;
  observe::QueueMetrics default_metrics_;
  observe::QueueMetrics* metrics_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::string> new_lane_;        // may hold stale entries (see PopLocked)
  std::deque<std::string> follow_up_lane_;  // may hold stale entries
  std::size_t queued_ = 0;                  // keys ready to be taken
  // Keys added and not yet taken (or taken and added again while processing),
  // with the lane they go to.
  std::unordered_map<std::string, Lane> dirty_;
  std::unordered_map<std::string, time::TimePoint> processing_;  // key -> started
  std::unordered_map<std::string, time::TimePoint> enqueued_at_;
  std::unordered_map<std::string, time::TimePoint> waiting_;      // key -> ready at
  std::set<std::pair<time::TimePoint, std::string>> waiting_by_time_;
  std::uint64_t waiting_generation_ = 0;  // bumps when an earlier deadline appears
  bool shutting_down_ = false;
};

}  // namespace tfws::runtime
