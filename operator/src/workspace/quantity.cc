#include "workspace/quantity.h"

#include <cctype>
#include <cmath>
#include <string>

namespace tfws::workspace {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Consumes "<digits>[.<digits>]" or ".<digits>" at `pos`; false if none.
bool ConsumeDecimal(std::string_view text, std::size_t& pos) {
  std::size_t start = pos;
  bool int_digits = false;
  while (pos < text.size() && IsDigit(text[pos])) {
    ++pos;
    int_digits = true;
  }
  bool frac_digits = false;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      ++pos;
      frac_digits = true;
    }
  }
  if (!int_digits && !frac_digits) {
    pos = start;
    return false;
  }
  return true;
}

}  // namespace

bool IsQuantity(std::string_view text, bool allow_negative) {
  std::size_t pos = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    if (text[pos] == '-' && !allow_negative) return false;
    ++pos;
  }
  if (!ConsumeDecimal(text, pos)) return false;
  std::string_view suffix = text.substr(pos);
  if (suffix.empty()) return true;
  static constexpr std::string_view kSuffixes[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u",
                                                   "m",  "k",  "M",  "G",  "T",  "P",  "E"};
  for (std::string_view s : kSuffixes) {
    if (suffix == s) return true;
  }
  if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::size_t epos = 1;
    if (epos < suffix.size() && (suffix[epos] == '+' || suffix[epos] == '-')) ++epos;
    std::size_t digits_start = epos;
    while (epos < suffix.size() && IsDigit(suffix[epos])) ++epos;
    return epos > digits_start && epos == suffix.size();
  }
  return false;
}

std::optional<long double> QuantityValue(std::string_view text) {
  if (!IsQuantity(text, true)) return std::nullopt;
  std::size_t pos = 0;
  if (text[pos] == '+' || text[pos] == '-') ++pos;
  ConsumeDecimal(text, pos);
  const long double number = std::stold(std::string(text.substr(0, pos)));
  const std::string_view suffix = text.substr(pos);
  if (suffix.empty()) return number;
  struct Scale {
    std::string_view suffix;
    long double factor;
  };
  static constexpr Scale kScales[] = {
      {"Ki", 0x1p10L}, {"Mi", 0x1p20L}, {"Gi", 0x1p30L}, {"Ti", 0x1p40L}, {"Pi", 0x1p50L}, {"Ei", 0x1p60L},
      {"n", 1e-9L},    {"u", 1e-6L},    {"m", 1e-3L},    {"k", 1e3L},     {"M", 1e6L},     {"G", 1e9L},
      {"T", 1e12L},    {"P", 1e15L},    {"E", 1e18L}};
  for (const Scale& s : kScales) {
    if (suffix == s.suffix) return number * s.factor;
  }
  return number * std::pow(10.0L, std::stoi(std::string(suffix.substr(1))));  // e<int>
}

}  // namespace tfws::workspace
