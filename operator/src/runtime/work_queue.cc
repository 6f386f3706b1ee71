#include "runtime/work_queue.h"

namespace tfws::runtime {

WorkQueue::WorkQueue(time::Clock& clock, std::unique_ptr<RateLimiter> limiter, observe::QueueMetrics* metrics)
    : clock_(clock), limiter_(std::move(limiter)), metrics_(metrics ? metrics : &default_metrics_) {}

void WorkQueue::NotifyAll() { cv_.notify_all(); }

void WorkQueue::AddLocked(const std::string& key, Lane lane) {
  if (shutting_down_) return;
  auto [it, added] = dirty_.try_emplace(key, lane);
  if (!added) {
    if (lane == Lane::kNew || it->second == Lane::kFollowUp) return;
    it->second = Lane::kFollowUp;  // moves up; its kNew entry becomes stale
    if (!processing_.contains(key)) follow_up_lane_.push_back(key);
    return;
  }
  metrics_->Added();
  if (processing_.contains(key)) return;  // re-queued by Done()
  (lane == Lane::kFollowUp ? follow_up_lane_ : new_lane_).push_back(key);
  ++queued_;
  enqueued_at_.emplace(key, clock_.Now());
  metrics_->DepthChanged(static_cast<long>(queued_));
}

std::optional<std::string> WorkQueue::PopLocked(Lane lane) {
  auto& entries = lane == Lane::kFollowUp ? follow_up_lane_ : new_lane_;
  while (!entries.empty()) {
    std::string key = std::move(entries.front());
    entries.pop_front();
    const auto it = dirty_.find(key);
    if (it != dirty_.end() && it->second == lane && !processing_.contains(key)) return key;
  }
  return std::nullopt;
}

void WorkQueue::PromoteDueLocked() {
  time::TimePoint now = clock_.Now();
  while (!waiting_by_time_.empty() && waiting_by_time_.begin()->first <= now) {
    std::string key = waiting_by_time_.begin()->second;
    waiting_by_time_.erase(waiting_by_time_.begin());
    waiting_.erase(key);
    AddLocked(key, Lane::kFollowUp);
  }
}

void WorkQueue::Add(const std::string& key, Lane lane) {
  {
    std::lock_guard lock(mu_);
    PromoteDueLocked();
    AddLocked(key, lane);
  }
  NotifyAll();
}

void WorkQueue::AddAfter(const std::string& key, time::Duration delay) {
  if (delay <= time::Duration::zero()) return Add(key, Lane::kFollowUp);
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
    time::TimePoint ready = clock_.Now() + delay;
    auto it = waiting_.find(key);
    if (it != waiting_.end()) {
      if (it->second <= ready) return;  // the earlier time wins
      waiting_by_time_.erase({it->second, key});
      it->second = ready;
    } else {
      waiting_.emplace(key, ready);
    }
    waiting_by_time_.emplace(ready, key);
    ++waiting_generation_;
  }
  NotifyAll();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  metrics_->Retried();
  AddAfter(key, limiter_->When(key));
}

void WorkQueue::Forget(const std::string& key) { limiter_->Forget(key); }
int WorkQueue::NumRequeues(const std::string& key) { return limiter_->NumRequeues(key); }

std::optional<std::string> WorkQueue::Get(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    PromoteDueLocked();
    if (shutting_down_ || stop.stop_requested()) return std::nullopt;
    if (queued_ > 0) break;
    time::TimePoint deadline = waiting_by_time_.empty() ? time::TimePoint::max() : waiting_by_time_.begin()->first;
    std::uint64_t generation = waiting_generation_;
    clock_.WaitUntil(lock, cv_, deadline, stop, [&] {
      return queued_ > 0 || shutting_down_ || waiting_generation_ != generation;
    });
  }
  std::optional<std::string> next = PopLocked(Lane::kFollowUp);
  if (!next) next = PopLocked(Lane::kNew);
  std::string key = std::move(*next);  // queued_ > 0: one lane holds a live entry
  --queued_;
  time::TimePoint now = clock_.Now();
  dirty_.erase(key);
  processing_[key] = now;
  auto added = enqueued_at_.find(key);
  if (added != enqueued_at_.end()) {
    metrics_->Dequeued(now - added->second);
    enqueued_at_.erase(added);
  }
  metrics_->DepthChanged(static_cast<long>(queued_));
  return key;
}

void WorkQueue::Done(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    auto it = processing_.find(key);
    if (it == processing_.end()) return;
    metrics_->Done(clock_.Now() - it->second);
    processing_.erase(it);
    if (const auto dirty = dirty_.find(key); dirty != dirty_.end() && !shutting_down_) {
      (dirty->second == Lane::kFollowUp ? follow_up_lane_ : new_lane_).push_back(key);
      ++queued_;
      enqueued_at_.emplace(key, clock_.Now());
      metrics_->DepthChanged(static_cast<long>(queued_));
    }
  }
  NotifyAll();
}

void WorkQueue::ShutDown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    waiting_.clear();
    waiting_by_time_.clear();
  }
  NotifyAll();
}

bool WorkQueue::ShutDownWithDrain(time::Duration timeout) {
  ShutDown();
  std::unique_lock lock(mu_);
  return clock_.WaitUntil(lock, cv_, clock_.Now() + timeout, {}, [&] { return processing_.empty(); });
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

std::size_t WorkQueue::Len() {
  std::lock_guard lock(mu_);
  PromoteDueLocked();
  return queued_;
}

std::size_t WorkQueue::DelayedLen() {
  std::lock_guard lock(mu_);
  PromoteDueLocked();
  return waiting_.size();
}

void WorkQueue::ReportInProgress() {
  std::lock_guard lock(mu_);
  time::TimePoint now = clock_.Now();
  observe::Seconds total{0}, longest{0};
  for (auto& [key, started] : processing_) {
    observe::Seconds took = now - started;
    total += took;
    longest = std::max(longest, took);
  }
  metrics_->InProgress(total, longest);
}

}  // namespace tfws::runtime
