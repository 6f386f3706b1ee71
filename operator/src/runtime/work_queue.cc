#include "runtime/work_queue.h"

namespace tfws::runtime {

WorkQueue::WorkQueue(time::Clock& clock, std::unique_ptr<RateLimiter> limiter, observe::QueueMetrics* metrics)
    : clock_(clock), limiter_(std::move(limiter)), metrics_(metrics ? metrics : &default_metrics_) {}

void WorkQueue::NotifyAll() { cv_.notify_all(); }

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  metrics_->Added();
  if (processing_.contains(key)) return;  // re-queued by Done()
  queue_.push_back(key);
  enqueued_at_.emplace(key, clock_.Now());
  metrics_->DepthChanged(static_cast<long>(queue_.size()));
}

void WorkQueue::PromoteDueLocked() {
  time::TimePoint now = clock_.Now();
  while (!waiting_by_time_.empty() && waiting_by_time_.begin()->first <= now) {
    std::string key = waiting_by_time_.begin()->second;
    waiting_by_time_.erase(waiting_by_time_.begin());
    waiting_.erase(key);
    AddLocked(key);
  }
}

void WorkQueue::Add(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    PromoteDueLocked();
    AddLocked(key);
  }
  NotifyAll();
}

void WorkQueue::AddAfter(const std::string& key, time::Duration delay) {
  if (delay <= time::Duration::zero()) return Add(key);
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
    if (!queue_.empty()) break;
    time::TimePoint deadline = waiting_by_time_.empty() ? time::TimePoint::max() : waiting_by_time_.begin()->first;
    std::uint64_t generation = waiting_generation_;
    clock_.WaitUntil(lock, cv_, deadline, stop, [&] {
      return !queue_.empty() || shutting_down_ || waiting_generation_ != generation;
    });
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  time::TimePoint now = clock_.Now();
  dirty_.erase(key);
  processing_[key] = now;
  auto added = enqueued_at_.find(key);
  if (added != enqueued_at_.end()) {
    metrics_->Dequeued(now - added->second);
    enqueued_at_.erase(added);
  }
  metrics_->DepthChanged(static_cast<long>(queue_.size()));
  return key;
}

void WorkQueue::Done(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    auto it = processing_.find(key);
    if (it == processing_.end()) return;
    metrics_->Done(clock_.Now() - it->second);
    processing_.erase(it);
    if (dirty_.contains(key) && !shutting_down_) {
      queue_.push_back(key);
      enqueued_at_.emplace(key, clock_.Now());
      metrics_->DepthChanged(static_cast<long>(queue_.size()));
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
  return queue_.size();
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
