#include "runtime/rate_limiter.h"

#include <algorithm>

namespace tfws::runtime {

ItemExponentialRateLimiter::ItemExponentialRateLimiter(time::Duration base, time::Duration max)
    : base_(base), max_(max) {}

time::Duration ItemExponentialRateLimiter::When(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = failures_.try_emplace(key, Failures{time::Backoff(base_, max_, 0.0, nullptr)}).first;
  ++it->second.count;
  return it->second.backoff.Next();
}

void ItemExponentialRateLimiter::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int ItemExponentialRateLimiter::NumRequeues(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second.count;
}

BucketRateLimiter::BucketRateLimiter(time::Clock& clock, double qps, int burst) : bucket_(qps, burst, clock) {}

time::Duration BucketRateLimiter::When(const std::string&) { return bucket_.Reserve(); }

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

time::Duration MaxOfRateLimiter::When(const std::string& key) {
  time::Duration longest = time::Duration::zero();
  for (auto& l : limiters_) longest = std::max(longest, l->When(key));
  return longest;
}

void MaxOfRateLimiter::Forget(const std::string& key) {
  for (auto& l : limiters_) l->Forget(key);
}

int MaxOfRateLimiter::NumRequeues(const std::string& key) {
  int most = 0;
  for (auto& l : limiters_) most = std::max(most, l->NumRequeues(key));
  return most;
}

std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(time::Clock& clock) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialRateLimiter>());
  limiters.push_back(std::make_unique<BucketRateLimiter>(clock));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

}  // namespace tfws::runtime
