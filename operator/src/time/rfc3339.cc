#include "time/rfc3339.h"

#include <cstdio>

namespace tfws::time {

namespace {

using namespace std::chrono;

// Reads exactly `n` digits at text[pos]; advances pos.
bool Digits(std::string_view text, size_t& pos, int n, int& out) {
  if (pos + static_cast<size_t>(n) > text.size()) return false;
  out = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[pos + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += static_cast<size_t>(n);
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<WallTime> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!Digits(text, pos, 4, y) || !Expect(text, pos, '-') || !Digits(text, pos, 2, mo) ||
      !Expect(text, pos, '-') || !Digits(text, pos, 2, d)) {
    return std::nullopt;
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) return std::nullopt;
  ++pos;
  if (!Digits(text, pos, 2, h) || !Expect(text, pos, ':') || !Digits(text, pos, 2, mi) ||
      !Expect(text, pos, ':') || !Digits(text, pos, 2, s)) {
    return std::nullopt;
  }
  const year_month_day date{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;

  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    long long nanos = 0;
    int digits = 0;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
    fraction = nanoseconds(nanos);
  }

  seconds offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int oh = 0, om = 0;
    if (!Digits(text, pos, 2, oh) || !Expect(text, pos, ':') || !Digits(text, pos, 2, om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offset = sign * (hours(oh) + minutes(om));
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  // A leap second (:60) is read as the first instant of the next minute.
  const sys_seconds local = sys_days(date) + hours(h) + minutes(mi) + seconds(s);
  return time_point_cast<WallTime::duration>(local - offset) + duration_cast<WallTime::duration>(fraction);
}

std::string FormatRfc3339(WallTime t, Precision precision) {
  const auto micros = floor<microseconds>(t);
  const auto secs = floor<seconds>(micros);
  const auto days = floor<std::chrono::days>(secs);
  const year_month_day date{days};
  const hh_mm_ss clock{secs - days};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                        static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                        static_cast<int>(clock.seconds().count()));
  if (precision == Precision::kMicroseconds) {
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%06lldZ",
                  static_cast<long long>((micros - secs).count()));
  } else {
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "Z");
  }
  return buf;
}

}  // namespace tfws::time
