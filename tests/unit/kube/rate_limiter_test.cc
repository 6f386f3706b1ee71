#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

#include "fake_clock.h"

namespace tfws::kube {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;

TEST(RateLimiter, AllowsABurstThenRefillsAtQps) {
  FakeClock clock;
  RateLimiter limiter({10, 3}, clock);
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
  clock.Advance(milliseconds(99));
  EXPECT_FALSE(limiter.TryAcquire());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(limiter.TryAcquire());
}

TEST(RateLimiter, NeverStoresMoreThanTheBurst) {
  FakeClock clock;
  RateLimiter limiter({10, 2}, clock);
  clock.Advance(std::chrono::hours(1));
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
}

TEST(RateLimiter, ReservationsQueueFirstComeFirstServed) {
  FakeClock clock;
  RateLimiter limiter({4, 1}, clock);
  EXPECT_EQ(limiter.Reserve(), Clock::Duration::zero());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.Reserve()), milliseconds(250));
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.Reserve()), milliseconds(500));
  clock.Advance(milliseconds(500));
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.Reserve()), milliseconds(250));
}

TEST(RateLimiter, AcquireSleepsOnTheClockForItsTurn) {
  FakeClock clock;
  RateLimiter limiter({2, 1}, clock);
  EXPECT_TRUE(limiter.Acquire());
  EXPECT_TRUE(limiter.Acquire());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock.slept()), milliseconds(500));
}

TEST(RateLimiter, ZeroQpsTurnsLimitingOff) {
  FakeClock clock;
  RateLimiter limiter({0, 0}, clock);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.TryAcquire());
  EXPECT_EQ(limiter.Reserve(), Clock::Duration::zero());
}

TEST(RateLimiter, DefaultsSuitAController) {
  RateLimit defaults;
  EXPECT_EQ(defaults.qps, 20);
  EXPECT_EQ(defaults.burst, 30);
}

}  // namespace
}  // namespace tfws::kube
