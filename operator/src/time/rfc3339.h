// RFC 3339 timestamps, the one parser and the one formatter of the project.
//
// ParseRfc3339 accepts every RFC 3339 date-time (section 5.6): a "T" (or "t",
// or a space) between date and time, optional fractional seconds of any
// length (kept to the nanosecond), and "Z"/"z" or a numeric offset such as
// "+01:00" or "-05:30"; nothing else. Fields are range-checked (month 1-12,
// day valid for its month, hour 0-23, minute 0-59, second 0-60, offset
// hours 0-23). The result is the instant in UTC.
//
// FormatRfc3339 always writes UTC with a "Z": whole seconds as metav1.Time
// serialises ("2026-11-29T09:00:00Z"), or microseconds as metav1.MicroTime
// does ("2026-11-29T09:00:00.123456Z"). Pure and thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "time/clock.h"  // WallTime

namespace tfws::time {

// The instant `text` names, or nullopt when it is not an RFC 3339 date-time.
std::optional<WallTime> ParseRfc3339(std::string_view text);

enum class Precision { kSeconds, kMicroseconds };

// UTC, truncated to `precision` (towards the past).
std::string FormatRfc3339(WallTime t, Precision precision = Precision::kSeconds);

}  // namespace tfws::time
