// Syntax checks for Kubernetes names and label values, as the API server
// defines them (apimachinery validation). Pure; thread-safe.
#pragma once

#include <string_view>

namespace tfws::workspace {

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool IsDns1123Label(std::string_view s);
// [a-z]([-a-z0-9]*[a-z0-9])?, at most 63 characters (Service names).
bool IsDns1035Label(std::string_view s);
// [a-z0-9]([-a-z0-9]*[a-z0-9])? parts joined by '.', at most 253 characters
// in total (Secret, PVC, ... names).
bool IsDns1123Subdomain(std::string_view s);
// Empty, or (([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]), at most 63 characters.
bool IsLabelValue(std::string_view s);
// [A-Za-z_][A-Za-z0-9_]* (environment variable names the operator accepts).
bool IsCIdentifier(std::string_view s);

}  // namespace tfws::workspace
