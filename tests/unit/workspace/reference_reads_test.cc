// The user's Secrets and claims are read at most once per TTL
// (workspace/reference_reads.h), driven by the fake clock.
#include "workspace/reference_reads.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "support/fake_clock.h"

namespace tfws::workspace {
namespace {

using nlohmann::json;
using std::chrono::seconds;

// A read that counts its calls and returns what the test sets.
struct CountingRead {
  int calls = 0;
  std::optional<json> result = json{{"data", {{"token", ""}}}};
  std::function<std::optional<json>()> fn() {
    return [this] {
      ++calls;
      return result;
    };
  }
};

TEST(ReferenceReads, ReadsAtMostOncePerTtlAndReturnsWhatWasRead) {
  time::FakeClock clock;
  ReferenceReads reads;
  CountingRead secret;
  EXPECT_EQ(reads.Get("ns/Secret/mine#keys", clock.WallNow(), secret.fn()), secret.result);
  EXPECT_EQ(secret.calls, 1);
  // Every event within the TTL (a Pod status change, our own status write) reuses that read.
  secret.result = json{{"data", {{"token", ""}, {"other", ""}}}};
  clock.Advance(kReferenceReadTtl - seconds(1));
  EXPECT_EQ(reads.Get("ns/Secret/mine#keys", clock.WallNow(), secret.fn()), (json{{"data", {{"token", ""}}}}));
  EXPECT_EQ(secret.calls, 1);
  // At the TTL it is read again and the new content counts.
  clock.Advance(seconds(1));
  EXPECT_EQ(reads.Get("ns/Secret/mine#keys", clock.WallNow(), secret.fn()), secret.result);
  EXPECT_EQ(secret.calls, 2);
}

TEST(ReferenceReads, TheTtlIsShorterThanTheRetryOfAMissingReference) {
  // A missing or unusable reference is looked at again after 30 s
  // (reconcile_storage.cc): that retry must find the memory expired and read.
  EXPECT_LT(kReferenceReadTtl, seconds(30));
}

TEST(ReferenceReads, NotFoundIsRememberedLikeAnyAnswer) {
  time::FakeClock clock;
  ReferenceReads reads;
  CountingRead missing;
  missing.result = std::nullopt;
  EXPECT_FALSE(reads.Get("ns/PersistentVolumeClaim/data#phase", clock.WallNow(), missing.fn()));
  clock.Advance(seconds(10));
  EXPECT_FALSE(reads.Get("ns/PersistentVolumeClaim/data#phase", clock.WallNow(), missing.fn()));
  EXPECT_EQ(missing.calls, 1);
  // Created by the user: seen at the next read after the TTL.
  missing.result = json{{"status", {{"phase", "Bound"}}}};
  clock.Advance(kReferenceReadTtl);
  EXPECT_EQ(reads.Get("ns/PersistentVolumeClaim/data#phase", clock.WallNow(), missing.fn()), missing.result);
  EXPECT_EQ(missing.calls, 2);
}

TEST(ReferenceReads, AFailedReadIsNotRememberedAndIsTriedAgainAtOnce) {
  time::FakeClock clock;
  ReferenceReads reads;
  int calls = 0;
  EXPECT_THROW(reads.Get("ns/Secret/mine#keys", clock.WallNow(),
                         [&]() -> std::optional<json> {
                           ++calls;
                           throw std::runtime_error("500 Internal Server Error");
                         }),
               std::runtime_error);
  CountingRead secret;
  EXPECT_EQ(reads.Get("ns/Secret/mine#keys", clock.WallNow(), secret.fn()), secret.result);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(secret.calls, 1);
}

TEST(ReferenceReads, EachKeyIsReadOnItsOwn) {
  time::FakeClock clock;
  ReferenceReads reads;
  CountingRead keys, authorized_keys;
  reads.Get("ns/Secret/mine#keys", clock.WallNow(), keys.fn());
  reads.Get("ns/Secret/mine#key:authorized_keys", clock.WallNow(), authorized_keys.fn());
  reads.Get("other/Secret/mine#keys", clock.WallNow(), keys.fn());
  EXPECT_EQ(keys.calls, 2) << "same Secret name in another namespace";
  EXPECT_EQ(authorized_keys.calls, 1) << "another cut of the same Secret";
}

TEST(ReferenceReads, ExpiredEntriesAreDroppedSoTheMemoryStaysSmall) {
  time::FakeClock clock;
  ReferenceReads reads(seconds(25));
  CountingRead read;
  for (int i = 0; i < 200; ++i) reads.Get("ns/Secret/old-" + std::to_string(i), clock.WallNow(), read.fn());
  EXPECT_EQ(reads.Size(), 200u);
  clock.Advance(seconds(25));
  for (int i = 0; i < 56; ++i) reads.Get("ns/Secret/new-" + std::to_string(i), clock.WallNow(), read.fn());
  EXPECT_EQ(reads.Size(), 55u + 1u) << "at the 256th read the 200 expired entries go (the new one is added after)";
}

}  // namespace
}  // namespace tfws::workspace
