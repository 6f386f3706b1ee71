// Kubernetes resource.Quantity syntax ("500m", "2", "16Gi", "1e3") checked
// without parsing the value. Pure; thread-safe.
#pragma once

#include <string_view>

namespace tfws::workspace {

// True when `text` is a Quantity the API server accepts: optional sign,
// decimal number, optional suffix (Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or
// an exponent e<int>). `allow_negative` false rejects a leading '-'.
bool IsQuantity(std::string_view text, bool allow_negative = false);

}  // namespace tfws::workspace
