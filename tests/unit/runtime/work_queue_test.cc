#include "runtime/work_queue.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "support/fake_clock.h"

namespace tfws::runtime {
namespace {

using namespace std::chrono_literals;

class CountingMetrics : public observe::QueueMetrics {
 public:
  void Added() override { ++adds; }
  void DepthChanged(long d) override { depth = d; }
  void Retried() override { ++retries; }
  void Dequeued(observe::Seconds w) override { waited = w; }
  void Done(observe::Seconds w) override { worked = w; }
  std::atomic<int> adds{0}, retries{0};
  std::atomic<long> depth{0};
  observe::Seconds waited{0}, worked{0};
};

class WorkQueueTest : public ::testing::Test {
 protected:
  time::FakeClock clock;
  CountingMetrics metrics;
  WorkQueue queue{clock, std::make_unique<ItemExponentialRateLimiter>(), &metrics};
};

TEST_F(WorkQueueTest, KeyAddedTwiceBeforeProcessingRunsOnce) {
  queue.Add("ns/a");
  queue.Add("ns/a");
  queue.Add("ns/b");
  EXPECT_EQ(queue.Len(), 2u);
  EXPECT_EQ(queue.Get(), "ns/a");
  EXPECT_EQ(queue.Get(), "ns/b");
  EXPECT_EQ(queue.Len(), 0u);
  EXPECT_EQ(metrics.adds, 2);
}

TEST_F(WorkQueueTest, KeyAddedWhileProcessingIsHeldBackUntilDoneThenRunsAgain) {
  queue.Add("a");
  ASSERT_EQ(queue.Get(), "a");
  queue.Add("a");
  queue.Add("a");
  EXPECT_EQ(queue.Len(), 0u) << "a second worker must not get a key in flight";
  queue.Done("a");
  EXPECT_EQ(queue.Len(), 1u);
  EXPECT_EQ(queue.Get(), "a");
  queue.Done("a");
  EXPECT_EQ(queue.Len(), 0u);
}

TEST_F(WorkQueueTest, TwoWorkersNeverHoldTheSameKey) {
  queue.Add("a");
  ASSERT_EQ(queue.Get(), "a");
  queue.Add("a");
  queue.Add("b");
  auto second = std::async(std::launch::async, [&] { return queue.Get(); });
  EXPECT_EQ(second.get(), "b");
  queue.Done("b");
  queue.Done("a");
  EXPECT_EQ(queue.Get(), "a");
}

using Lane = WorkQueue::Lane;

TEST_F(WorkQueueTest, FollowUpKeysAreHandedOutBeforeNewOnesFifoWithinEachLane) {
  queue.Add("new-1");
  queue.Add("new-2");
  queue.Add("started-1", Lane::kFollowUp);
  queue.Add("started-2", Lane::kFollowUp);
  EXPECT_EQ(queue.Len(), 4u);
  EXPECT_EQ(queue.Get(), "started-1");
  EXPECT_EQ(queue.Get(), "started-2");
  EXPECT_EQ(queue.Get(), "new-1");
  EXPECT_EQ(queue.Get(), "new-2");
  EXPECT_EQ(queue.Len(), 0u);
}

TEST_F(WorkQueueTest, AQueuedNewKeyAddedAsFollowUpMovesUpAndStillRunsOnce) {
  queue.Add("a");
  queue.Add("b");
  queue.Add("b", Lane::kFollowUp);
  queue.Add("b", Lane::kFollowUp);
  queue.Add("b");  // an edit after the child event does not move it back
  EXPECT_EQ(queue.Len(), 2u);
  EXPECT_EQ(metrics.depth, 2);
  EXPECT_EQ(queue.Get(), "b");
  EXPECT_EQ(queue.Get(), "a");
  EXPECT_EQ(queue.Len(), 0u) << "b's entry in the new lane was stale";
  queue.Done("a");
  queue.Done("b");
  queue.Add("c");
  EXPECT_EQ(queue.Get(), "c") << "a stale entry is never handed out";
  EXPECT_EQ(metrics.adds, 3);
}

TEST_F(WorkQueueTest, AFollowUpWhileProcessingIsRequeuedInTheFollowUpLane) {
  queue.Add("a");
  ASSERT_EQ(queue.Get(), "a");
  queue.Add("a");
  queue.Add("a", Lane::kFollowUp);
  queue.Add("b");
  EXPECT_EQ(queue.Len(), 1u);
  queue.Done("a");
  EXPECT_EQ(queue.Len(), 2u);
  EXPECT_EQ(queue.Get(), "a");
  EXPECT_EQ(queue.Get(), "b");
}

TEST_F(WorkQueueTest, DelayedKeysFallDueIntoTheFollowUpLane) {
  queue.Add("new");
  queue.AddAfter("retry", 1s);
  clock.Advance(1s);
  EXPECT_EQ(queue.Get(), "retry");
  EXPECT_EQ(queue.Get(), "new");
}

TEST_F(WorkQueueTest, DelayedKeyBecomesReadyOnlyWhenItsTimeComes) {
  queue.AddAfter("a", 2s);
  EXPECT_EQ(queue.Len(), 0u);
  EXPECT_EQ(queue.DelayedLen(), 1u);
  clock.Advance(1999ms);
  EXPECT_EQ(queue.Len(), 0u);
  clock.Advance(1ms);
  EXPECT_EQ(queue.Len(), 1u);
  EXPECT_EQ(queue.DelayedLen(), 0u);
}

TEST_F(WorkQueueTest, EarliestDelayWins) {
  queue.AddAfter("a", 10s);
  queue.AddAfter("a", 1s);
  queue.AddAfter("a", 5s);
  clock.Advance(1s);
  EXPECT_EQ(queue.Len(), 1u);
  EXPECT_EQ(queue.Get(), "a");
  queue.Done("a");
  clock.Advance(10s);
  EXPECT_EQ(queue.Len(), 0u) << "later delays of the same key were superseded";
}

TEST_F(WorkQueueTest, BlockedGetWakesWhenADelayedKeyFallsDue) {
  auto got = std::async(std::launch::async, [&] { return queue.Get(); });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  queue.AddAfter("a", 3s);
  // Whether the getter already re-parked with the new deadline or not, once
  // time reaches it the key is handed out.
  clock.Advance(3s);
  EXPECT_EQ(got.get(), "a");
}

TEST_F(WorkQueueTest, ZeroDelayIsAnImmediateAdd) {
  queue.AddAfter("a", 0s);
  EXPECT_EQ(queue.Len(), 1u);
}

TEST_F(WorkQueueTest, RateLimitedAddsBackOffExponentiallyAndForgetResets) {
  queue.AddRateLimited("a");
  EXPECT_EQ(queue.Len(), 0u);
  clock.Advance(5ms);
  ASSERT_EQ(queue.Get(), "a");
  queue.Done("a");
  queue.AddRateLimited("a");
  clock.Advance(9ms);
  EXPECT_EQ(queue.Len(), 0u);
  clock.Advance(1ms);
  EXPECT_EQ(queue.Len(), 1u);
  EXPECT_EQ(queue.NumRequeues("a"), 2);
  EXPECT_EQ(metrics.retries, 2);
  queue.Forget("a");
  EXPECT_EQ(queue.NumRequeues("a"), 0);
}

TEST_F(WorkQueueTest, ShutDownReleasesBlockedWorkersAndIgnoresNewAdds) {
  auto got = std::async(std::launch::async, [&] { return queue.Get(); });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  queue.ShutDown();
  EXPECT_EQ(got.get(), std::nullopt);
  queue.Add("a");
  EXPECT_EQ(queue.Len(), 0u);
  EXPECT_TRUE(queue.ShuttingDown());
}

TEST_F(WorkQueueTest, StopTokenReleasesABlockedWorker) {
  std::stop_source stop;
  auto got = std::async(std::launch::async, [&] { return queue.Get(stop.get_token()); });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  stop.request_stop();
  EXPECT_EQ(got.get(), std::nullopt);
}

TEST_F(WorkQueueTest, ShutDownWithDrainWaitsForKeysInFlight) {
  queue.Add("a");
  ASSERT_EQ(queue.Get(), "a");
  auto drained = std::async(std::launch::async, [&] { return queue.ShutDownWithDrain(1h); });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  EXPECT_EQ(drained.wait_for(0s), std::future_status::timeout);
  queue.Done("a");
  EXPECT_TRUE(drained.get());
}

TEST_F(WorkQueueTest, ShutDownWithDrainGivesUpAfterTheTimeout) {
  queue.Add("a");
  ASSERT_EQ(queue.Get(), "a");
  auto drained = std::async(std::launch::async, [&] { return queue.ShutDownWithDrain(30s); });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  clock.Advance(30s);
  EXPECT_FALSE(drained.get());
}

TEST_F(WorkQueueTest, ReportsQueueAndWorkDurations) {
  queue.Add("a");
  EXPECT_EQ(metrics.depth, 1);
  clock.Advance(2s);
  ASSERT_EQ(queue.Get(), "a");
  EXPECT_EQ(metrics.depth, 0);
  EXPECT_DOUBLE_EQ(metrics.waited.count(), 2.0);
  clock.Advance(3s);
  queue.Done("a");
  EXPECT_DOUBLE_EQ(metrics.worked.count(), 3.0);
}

}  // namespace
}  // namespace tfws::runtime
