#include "time/token_bucket.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace tfws::time {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, AllowsABurstThenRefillsAtQps) {
  FakeClock clock;
  TokenBucket limiter(10, 3, clock);
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
  clock.Advance(milliseconds(99));
  EXPECT_FALSE(limiter.TryAcquire());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(limiter.TryAcquire());
}

TEST(TokenBucket, NeverStoresMoreThanTheBurst) {
  FakeClock clock;
  TokenBucket limiter(10, 2, clock);
  clock.Advance(std::chrono::hours(1));
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
}

TEST(TokenBucket, ReservationsQueueFirstComeFirstServed) {
  FakeClock clock;
  TokenBucket limiter(4, 1, clock);
  EXPECT_EQ(limiter.Reserve(), Duration::zero());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.Reserve()), milliseconds(250));
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.Reserve()), milliseconds(500));
  clock.Advance(milliseconds(500));
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limiter.Reserve()), milliseconds(250));
}

TEST(TokenBucket, AcquireSleepsOnTheClockForItsTurn) {
  FakeClock clock;
  clock.SetAdvanceOnSleep(true);
  TokenBucket limiter(2, 1, clock);
  EXPECT_TRUE(limiter.Acquire());
  EXPECT_TRUE(limiter.Acquire());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock.slept()), milliseconds(500));
}

TEST(TokenBucket, ZeroQpsTurnsLimitingOff) {
  FakeClock clock;
  TokenBucket limiter(0, 0, clock);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.TryAcquire());
  EXPECT_EQ(limiter.Reserve(), Duration::zero());
}

}  // namespace
}  // namespace tfws::time
