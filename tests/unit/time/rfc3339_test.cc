// The one RFC 3339 parser and formatter (operator/src/time/rfc3339.h).
#include "time/rfc3339.h"

#include <gtest/gtest.h>

namespace tfws::time {
namespace {

using namespace std::chrono;

WallTime At(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return WallTime(sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s));
}

TEST(ParseRfc3339, ReadsUtcWithZ) {
  EXPECT_EQ(ParseRfc3339("2026-11-29T09:00:00Z"), At(2026, 11, 29, 9, 0, 0));
  EXPECT_EQ(ParseRfc3339("2026-11-29t09:00:00z"), At(2026, 11, 29, 9, 0, 0));
  EXPECT_EQ(ParseRfc3339("2026-11-29 09:00:00Z"), At(2026, 11, 29, 9, 0, 0));
}

TEST(ParseRfc3339, AppliesAnyOffset) {
  // The restartedAt a user in Central Europe writes names 09:00 UTC.
  EXPECT_EQ(ParseRfc3339("2026-11-29T10:00:00+01:00"), At(2026, 11, 29, 9, 0, 0));
  EXPECT_EQ(ParseRfc3339("2026-11-29T03:30:00-05:30"), At(2026, 11, 29, 9, 0, 0));
  EXPECT_EQ(ParseRfc3339("2026-11-29T09:00:00+00:00"), At(2026, 11, 29, 9, 0, 0));
  EXPECT_EQ(ParseRfc3339("2026-11-29T09:00:00-00:00"), At(2026, 11, 29, 9, 0, 0));
  // Across midnight and a year boundary.
  EXPECT_EQ(ParseRfc3339("2027-01-01T01:00:00+02:00"), At(2026, 12, 31, 23, 0, 0));
}

TEST(ParseRfc3339, KeepsFractionalSeconds) {
  EXPECT_EQ(ParseRfc3339("2026-11-29T09:00:00.5Z"), At(2026, 11, 29, 9, 0, 0) + milliseconds(500));
  EXPECT_EQ(ParseRfc3339("2026-11-29T09:00:00.123456Z"), At(2026, 11, 29, 9, 0, 0) + microseconds(123456));
  EXPECT_EQ(ParseRfc3339("2026-11-29T10:00:00.000001+01:00"), At(2026, 11, 29, 9, 0, 0) + microseconds(1));
  // More digits than the clock keeps are accepted and truncated.
  EXPECT_EQ(ParseRfc3339("2026-11-29T09:00:00.1234567891234Z"),
            At(2026, 11, 29, 9, 0, 0) + duration_cast<WallTime::duration>(nanoseconds(123456789)));
}

TEST(ParseRfc3339, RefusesWhatIsNotRfc3339) {
  for (const char* bad : {"", "yesterday", "2026-11-29", "2026-11-29T09:00:00", "2026-11-29T09:00Z",
                          "2026-11-29T09:00:00.Z", "2026-11-29T09:00:00+0100", "2026-11-29T09:00:00+01",
                          "2026-11-29T09:00:00 +01:00", "2026-11-29T09:00:00ZZ", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T09:60:00Z",
                          "2026-11-29T09:00:61Z", "2026-11-29T09:00:00+24:00", "2026-11-29T09:00:00+01:60",
                          "26-11-29T09:00:00Z", "2026-1-29T09:00:00Z", "2026-11-29X09:00:00Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(FormatRfc3339, WritesUtcInSecondsOrMicroseconds) {
  const WallTime t = At(2026, 1, 2, 3, 4, 5) + microseconds(123456) + nanoseconds(999);
  EXPECT_EQ(FormatRfc3339(t), "2026-01-02T03:04:05Z");
  EXPECT_EQ(FormatRfc3339(t, Precision::kMicroseconds), "2026-01-02T03:04:05.123456Z");
  EXPECT_EQ(FormatRfc3339(At(2026, 1, 2, 3, 4, 5), Precision::kMicroseconds), "2026-01-02T03:04:05.000000Z");
  // Before the epoch it still counts towards the past.
  EXPECT_EQ(FormatRfc3339(WallTime{} - microseconds(1), Precision::kMicroseconds), "1969-12-31T23:59:59.999999Z");
}

TEST(FormatRfc3339, RoundTripsThroughTheParser) {
  const WallTime t = At(2026, 11, 29, 9, 0, 0) + microseconds(42);
  EXPECT_EQ(ParseRfc3339(FormatRfc3339(t, Precision::kMicroseconds)), t);
  EXPECT_EQ(ParseRfc3339(FormatRfc3339(t)), At(2026, 11, 29, 9, 0, 0));
}

}  // namespace
}  // namespace tfws::time
