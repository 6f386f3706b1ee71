// How long a failing key waits before its next try: small composable policies
// in the manner of client-go's workqueue rate limiters.
//
// Thread-safe. When() both answers and records a failure (the per-item policy
// counts it; the bucket consumes a token). Forget() clears a key's history.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "time/backoff.h"
#include "time/clock.h"
#include "time/token_bucket.h"

namespace tfws::runtime {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Delay before `key` may be processed again; records one more requeue.
  virtual time::Duration When(const std::string& key) = 0;
  virtual void Forget(const std::string& key) = 0;
  // Requeues recorded since the last Forget.
  virtual int NumRequeues(const std::string& key) = 0;
};

// base * 2^failures, capped at max (client-go: 5 ms .. 1000 s): a
// time::Backoff without jitter per key.
class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  ItemExponentialRateLimiter(time::Duration base = std::chrono::milliseconds(5),
                             time::Duration max = std::chrono::seconds(1000));
  time::Duration When(const std::string& key) override;
  void Forget(const std::string& key) override;
  int NumRequeues(const std::string& key) override;

 private:
  struct Failures {
    time::Backoff backoff;
    int count = 0;
  };
  time::Duration base_, max_;
  std::mutex mu_;
  std::map<std::string, Failures> failures_;
};

// A time::TokenBucket shared by all keys (client-go: 10 qps, burst 100).
// Tokens are reserved: the n-th call beyond the burst waits (n / qps).
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(time::Clock& clock, double qps = 10, int burst = 100);
  time::Duration When(const std::string& key) override;
  void Forget(const std::string&) override {}
  int NumRequeues(const std::string&) override { return 0; }

 private:
  time::TokenBucket bucket_;
};

// The longest delay any of its policies asks for.
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  time::Duration When(const std::string& key) override;
  void Forget(const std::string& key) override;
  int NumRequeues(const std::string& key) override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// max(per-item exponential 5 ms..1000 s, bucket 10 qps / burst 100).
std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(time::Clock& clock);

}  // namespace tfws::runtime
