#include "runtime/clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "runtime/fake_clock.h"

namespace tfws::runtime {
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

}  // namespace
}  // namespace tfws::runtime
