// Kubernetes resource.Quantity syntax ("500m", "2", "16Gi", "1e3"): checked,
// and its value for comparisons (class limits). Pure; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace tfws::workspace {

// True when `text` is a Quantity the API server accepts: optional sign,
// decimal number, optional suffix (Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or
// an exponent e<int>). `allow_negative` false rejects a leading '-'.
bool IsQuantity(std::string_view text, bool allow_negative = false);

// The value of a quantity in base units (cores, bytes): "500m" -> 0.5,
// "16Gi" -> 17179869184. nullopt when !IsQuantity(text, true). Precise enough
// to compare requests with limits (long double), not to do arithmetic.
std::optional<long double> QuantityValue(std::string_view text);

}  // namespace tfws::workspace
