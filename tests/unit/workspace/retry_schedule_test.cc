// When a blocked workspace is tried again (workspace/retry_schedule.h).
#include "workspace/retry_schedule.h"

#include <gtest/gtest.h>

namespace tfws::workspace {
namespace {

using std::chrono::seconds;

const Condition kQuota{"Scheduled", false, false, "QuotaExceeded", "a ResourceQuota refused Service \"a\""};

TEST(RetrySchedule, DoublesUpToTheCapAndCountsACauseOncePerTry) {
  RetrySchedule r;
  const time::WallTime t0{seconds(1000)};
  EXPECT_FALSE(r.Wait("ns/a", "Service/a", t0)) << "never failed: try now";
  EXPECT_TRUE(r.Failed("ns/a", "Service/a", kRefusedRetry, t0, kQuota));
  auto pending = r.Wait("ns/a", "Service/a", t0);
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->wait, seconds(5));
  EXPECT_EQ(pending->blocker.reason, "QuotaExceeded");
  // The same failure seen again before its retry (our own status write's event): no new try.
  EXPECT_FALSE(r.Failed("ns/a", "Service/a", kRefusedRetry, t0 + seconds(1), kQuota));
  EXPECT_EQ(r.Wait("ns/a", "Service/a", t0 + seconds(1))->wait, seconds(4));
  // Each real try doubles the wait: 10, 20, 40, then the 60 s cap.
  time::WallTime t = t0 + seconds(5);
  for (int want : {10, 20, 40, 60, 60}) {
    EXPECT_FALSE(r.Wait("ns/a", "Service/a", t));
    EXPECT_TRUE(r.Failed("ns/a", "Service/a", kRefusedRetry, t, kQuota));
    EXPECT_EQ(r.Wait("ns/a", "Service/a", t)->wait, seconds(want));
    t += seconds(want);
  }
}

TEST(RetrySchedule, ForgettingStartsOverAndOnlyForThatCause) {
  RetrySchedule r;
  const time::WallTime t0{seconds(1000)};
  r.Failed("ns/a", "Service/a", kRefusedRetry, t0, kQuota);
  r.Failed("ns/a", "Pod/a", kPodFailureRetry, t0, {});
  r.Failed("ns/b", "Service/b", kRefusedRetry, t0, kQuota);
  r.RetryNowBlockedBy("ns/a", "QuotaExceeded", t0);  // the quota changed: try at once
  EXPECT_FALSE(r.Wait("ns/a", "Service/a", t0));
  EXPECT_TRUE(r.Known("ns/a", "Service/a")) << "still known: status is not asked again";
  EXPECT_EQ(r.Wait("ns/a", "Pod/a", t0)->wait, seconds(10));
  EXPECT_TRUE(r.Wait("ns/b", "Service/b", t0)) << "another workspace is not touched";
  r.ForgetAll("ns/a");
  EXPECT_FALSE(r.Wait("ns/a", "Pod/a", t0));
  r.Forget("ns/b", "Service/b");
  EXPECT_FALSE(r.Wait("ns/b", "Service/b", t0));
}

TEST(RetrySchedule, ATryAfterAWatchedChangeThatFailsAgainIsTriedOnceMoreSoon) {
  RetrySchedule r;
  const time::WallTime t0{seconds(1000)};
  r.Failed("ns/a", "Pod/a", kQuotaRetry, t0, kQuota);
  EXPECT_EQ(r.Wait("ns/a", "Pod/a", t0)->wait, kQuotaRetry.initial);
  // The quota changed; the try it causes is refused again (admission had not
  // seen the change yet): one more try soon, not after the quota retry.
  const time::WallTime t1 = t0 + seconds(30);
  r.RetryNowBlockedBy("ns/a", "QuotaExceeded", t1);
  EXPECT_FALSE(r.Wait("ns/a", "Pod/a", t1));
  EXPECT_TRUE(r.Failed("ns/a", "Pod/a", kQuotaRetry, t1, kQuota));
  EXPECT_EQ(r.Wait("ns/a", "Pod/a", t1)->wait, RetrySchedule::kAfterWatchedChange);
  // Still refused then: the quota really is too small; back to its schedule.
  const time::WallTime t2 = t1 + RetrySchedule::kAfterWatchedChange;
  EXPECT_FALSE(r.Wait("ns/a", "Pod/a", t2));
  EXPECT_TRUE(r.Failed("ns/a", "Pod/a", kQuotaRetry, t2, kQuota));
  EXPECT_EQ(r.Wait("ns/a", "Pod/a", t2)->wait, kQuotaRetry.initial);
}

}  // namespace
}  // namespace tfws::workspace
