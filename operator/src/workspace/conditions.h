// metav1.Condition lists as the API conventions define them: keyed by type,
// lastTransitionTime changes only when status changes, so re-setting the same
// condition is a no-op (which keeps a settled cluster free of status writes).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace tfws::workspace {

using Json = nlohmann::json;

// Condition types of a TFWorkspace (docs/user-guide.md explains each).
namespace condition {
inline constexpr std::string_view kReady = "Ready";
inline constexpr std::string_view kScheduled = "Scheduled";
inline constexpr std::string_view kStorageReady = "StorageReady";
inline constexpr std::string_view kPendingRestart = "PendingRestart";
inline constexpr std::string_view kGPUCompatible = "GPUCompatible";
inline constexpr std::string_view kConfigValid = "ConfigValid";
}  // namespace condition

struct Condition {
  std::string type;
  bool status = false;        // True/False; Unknown is expressed by `unknown`
  bool unknown = false;
  std::string reason;         // CamelCase
  std::string message;        // plain words, says what to do
};

// Sets `c` in `conditions` (a JSON array, created if null). Keeps the previous
// lastTransitionTime when the status did not change; `now` is RFC 3339.
void SetCondition(Json& conditions, const Condition& c, long generation, const std::string& now);

// The condition of that type, or nullptr.
const Json* FindCondition(const Json& conditions, std::string_view type);
bool IsConditionTrue(const Json& conditions, std::string_view type);

}  // namespace tfws::workspace
