// The fake clock of the tests (tests/support), on which every time-driven unit test relies.
#include "support/fake_clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "time/rfc3339.h"

namespace tfws::time {
namespace {

using namespace std::chrono_literals;

TEST(FakeClock, TimeMovesOnlyWhenAdvanced) {
  FakeClock clock;
  TimePoint t0 = clock.Now();
  WallTime w0 = clock.WallNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(1500ms);
  EXPECT_EQ(clock.Now() - t0, 1500ms);
  EXPECT_EQ(clock.WallNow() - w0, 1500ms);
}

TEST(FakeClock, SleeperWakesWhenTimeReachesItsDeadline) {
  FakeClock clock;
  std::atomic<bool> woke{false};
  std::jthread sleeper([&](std::stop_token stop) {
    EXPECT_TRUE(clock.SleepFor(10s, stop));
    woke = true;
  });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  EXPECT_EQ(clock.NextDeadline() - clock.Now(), 10s);
  clock.Advance(9s);
  EXPECT_FALSE(woke);
  clock.Advance(1s);
  sleeper.join();
  EXPECT_TRUE(woke);
}

TEST(FakeClock, SleepReturnsFalseWhenStopped) {
  FakeClock clock;
  std::stop_source source;
  bool result = true;
  std::thread sleeper([&] { result = clock.SleepFor(1h, source.get_token()); });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  source.request_stop();
  sleeper.join();
  EXPECT_FALSE(result);
}

TEST(FakeClock, WaitUntilReturnsWhenPredicateBecomesTrue) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable_any cv;
  bool ready = false;
  bool result = false;
  std::thread waiter([&] {
    std::unique_lock lock(mu);
    result = clock.WaitUntil(lock, cv, TimePoint::max(), {}, [&] { return ready; });
  });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  {
    std::lock_guard lock(mu);
    ready = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_TRUE(result);
}

TEST(FakeClock, AdvanceOnSleepSkipsTheWaitAndCountsIt) {
  FakeClock clock;
  clock.SetAdvanceOnSleep(true);
  TimePoint t0 = clock.Now();
  EXPECT_TRUE(clock.SleepFor(250ms, {}));
  EXPECT_TRUE(clock.SleepFor(750ms, {}));
  EXPECT_EQ(clock.Now() - t0, 1s);
  EXPECT_EQ(clock.slept(), 1s);
}

TEST(FakeClock, WallStartsAtANewYearAndCanBeSet) {
  FakeClock clock;
  EXPECT_EQ(FormatRfc3339(clock.WallNow()), "2026-01-01T00:00:00Z");
  clock.Advance(5s);
  clock.SetWall(*ParseRfc3339("2023-11-14T22:13:20Z"));
  clock.Advance(10s);
  EXPECT_EQ(FormatRfc3339(clock.WallNow()), "2023-11-14T22:13:30Z");
}

}  // namespace
}  // namespace tfws::time
