#include "workspace/retry_schedule.h"

#include <algorithm>

namespace tfws::workspace {

bool RetrySchedule::Failed(const std::string& key, const std::string& cause, const RetryPolicy& policy,
                           time::WallTime now, Condition blocker) {
  std::lock_guard lock(mu_);
  auto it = entries_.find({key, cause});
  if (it == entries_.end()) {
    it = entries_
             .emplace(std::pair{key, cause},
                      Entry{time::Backoff(policy.initial, policy.max, 0.0, nullptr), {}, {}})
             .first;
  } else if (now < it->second.next) {
    it->second.blocker = std::move(blocker);
    return false;  // the same failure seen again before its retry: not a new attempt
  }
  it->second.blocker = std::move(blocker);
  if (it->second.watched_cause_changed) {
    it->second.watched_cause_changed = false;
    it->second.next = now + kAfterWatchedChange;
  } else {
    it->second.next = now + std::chrono::duration_cast<time::WallTime::duration>(it->second.backoff.Next());
  }
  return true;
}

std::optional<RetrySchedule::Pending> RetrySchedule::Wait(const std::string& key, const std::string& cause,
                                                          time::WallTime now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find({key, cause});
  if (it == entries_.end() || now >= it->second.next) return std::nullopt;
  return Pending{std::chrono::ceil<std::chrono::seconds>(it->second.next - now), it->second.blocker};
}

void RetrySchedule::Forget(const std::string& key, const std::string& cause) {
  std::lock_guard lock(mu_);
  entries_.erase({key, cause});
}

void RetrySchedule::ForgetAll(const std::string& key) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.lower_bound({key, ""}); it != entries_.end() && it->first.first == key;) {
    it = entries_.erase(it);
  }
}

bool RetrySchedule::Known(const std::string& key, const std::string& cause) const {
  std::lock_guard lock(mu_);
  return entries_.contains({key, cause});
}

void RetrySchedule::RetryNowBlockedBy(const std::string& key, const std::string& reason, time::WallTime now) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.lower_bound({key, ""}); it != entries_.end() && it->first.first == key; ++it) {
    if (it->second.blocker.reason != reason) continue;
    it->second.next = std::min(it->second.next, now);
    it->second.backoff.Reset();
    it->second.watched_cause_changed = true;
  }
}

RetrySchedule& Retries() {
  static RetrySchedule schedule;
  return schedule;
}

}  // namespace tfws::workspace
