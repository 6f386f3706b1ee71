#include "runtime/rate_limiter.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace tfws::runtime {
namespace {

using namespace std::chrono_literals;

TEST(ItemExponentialRateLimiter, DoublesFromFiveMillisecondsPerKey) {
  ItemExponentialRateLimiter limiter;
  EXPECT_EQ(limiter.When("a"), 5ms);
  EXPECT_EQ(limiter.When("a"), 10ms);
  EXPECT_EQ(limiter.When("a"), 20ms);
  EXPECT_EQ(limiter.When("b"), 5ms);
  EXPECT_EQ(limiter.NumRequeues("a"), 3);
}

TEST(ItemExponentialRateLimiter, CapsAtOneThousandSeconds) {
  ItemExponentialRateLimiter limiter;
  time::Duration last{};
  for (int i = 0; i < 100; ++i) last = limiter.When("a");
  EXPECT_EQ(last, 1000s);
}

TEST(ItemExponentialRateLimiter, ForgetStartsOver) {
  ItemExponentialRateLimiter limiter;
  limiter.When("a");
  limiter.When("a");
  limiter.Forget("a");
  EXPECT_EQ(limiter.NumRequeues("a"), 0);
  EXPECT_EQ(limiter.When("a"), 5ms);
}

TEST(BucketRateLimiter, AllowsABurstThenSpacesCallsAtTheRate) {
  time::FakeClock clock;
  BucketRateLimiter limiter(clock, 10, 100);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter.When("k"), time::Duration::zero()) << i;
  EXPECT_EQ(limiter.When("k"), 100ms);
  EXPECT_EQ(limiter.When("k"), 200ms);
}

TEST(BucketRateLimiter, RefillsWithTimeUpToTheBurst) {
  time::FakeClock clock;
  BucketRateLimiter limiter(clock, 10, 2);
  limiter.When("k");
  limiter.When("k");
  EXPECT_EQ(limiter.When("k"), 100ms);  // one token owed
  clock.Advance(1h);
  EXPECT_EQ(limiter.When("k"), time::Duration::zero());
  EXPECT_EQ(limiter.When("k"), time::Duration::zero());
  EXPECT_EQ(limiter.When("k"), 100ms);
}

TEST(DefaultControllerRateLimiter, IsTheLongerOfPerItemAndBucket) {
  time::FakeClock clock;
  auto limiter = DefaultControllerRateLimiter(clock);
  EXPECT_EQ(limiter->When("a"), 5ms);
  EXPECT_EQ(limiter->When("a"), 10ms);
  for (int i = 0; i < 98; ++i) limiter->When("other" + std::to_string(i));
  // Bucket exhausted: the 101st call waits 100 ms although "fresh" is new.
  EXPECT_EQ(limiter->When("fresh"), 100ms);
  EXPECT_EQ(limiter->NumRequeues("a"), 2);
  limiter->Forget("a");
  EXPECT_EQ(limiter->NumRequeues("a"), 0);
}

}  // namespace
}  // namespace tfws::runtime
