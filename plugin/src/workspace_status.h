// Reading a TFWorkspace object as the plugin shows it: phase, the condition
// that holds it back, GPUs, and ages in kubectl's style ("5m", "2h", "3d").
// Pure functions of the JSON the API server returned.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

namespace tfws::plugin {

// status.phase, or "Pending" when the operator has not written a status yet.
std::string PhaseOf(const nlohmann::json& ws);

// The message of the first False condition among ConfigValid, StorageReady,
// Scheduled, GPUCompatible (in that order) as "Type/Reason: message", else
// status.message, else "".
std::string BlockingMessage(const nlohmann::json& ws);

// True when condition `type` is present with status True.
bool ConditionIsTrue(const nlohmann::json& ws, const std::string& type);

// Why the operator turned SSH off for a spec that asks for it (ConfigValid=False,
// reason SSHUnavailable: e.g. an image without sshd): the condition's message, else "".
std::string SshUnavailableReason(const nlohmann::json& ws);

// "2 x nvidia.com/gpu (NVIDIA-A100-SXM4-80GB)", "1 x nvidia.com/mig-1g.10gb", "-" for none.
std::string GpusOf(const nlohmann::json& ws);

// The Secret and key holding the Jupyter token: spec.jupyter.tokenSecretRef or <name>-token/token.
struct SecretKey {
  std::string name;
  std::string key;
};
SecretKey TokenSecretOf(const nlohmann::json& ws);

// spec.owner, else metadata.labels["tfws.io/owner"], else "".
std::string OwnerOf(const nlohmann::json& ws);

// kubectl's short age of now - then: "45s", "12m", "5h", "3d"; "-" when `rfc3339` is empty or malformed.
std::string ShortAge(const std::string& rfc3339, std::chrono::system_clock::time_point now);

}  // namespace tfws::plugin
