#include "workspace_status.h"

#include "time/rfc3339.h"
#include "workspace/conditions.h"

namespace tfws::plugin {

namespace {
const nlohmann::json kNull;

const nlohmann::json& At(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : ""; }
}  // namespace

std::string PhaseOf(const nlohmann::json& ws) {
  const auto phase = Str(At(At(ws, "status"), "phase"));
  return phase.empty() ? "Pending" : phase;
}

std::string BlockingMessage(const nlohmann::json& ws) {
  const auto& conditions = At(At(ws, "status"), "conditions");
  for (const char* type : {"ConfigValid", "StorageReady", "Scheduled", "GPUCompatible"}) {
    const auto* c = workspace::FindCondition(conditions, type);
    if (c && Str(At(*c, "status")) == "False") {
      return std::string(type) + "/" + Str(At(*c, "reason")) + ": " + Str(At(*c, "message"));
    }
  }
  return Str(At(At(ws, "status"), "message"));
}

bool ConditionIsTrue(const nlohmann::json& ws, const std::string& type) {
  return workspace::IsConditionTrue(At(At(ws, "status"), "conditions"), type);
}

std::string SshUnavailableReason(const nlohmann::json& ws) {
  const auto* config_valid = workspace::FindCondition(At(At(ws, "status"), "conditions"), "ConfigValid");
  if (config_valid == nullptr || config_valid->value("reason", "") != "SSHUnavailable") return "";
  return config_valid->value("message", "");
}

std::string GpusOf(const nlohmann::json& ws) {
  const auto& gpu = At(At(ws, "spec"), "gpu");
  const int count = At(gpu, "count").is_number_integer() ? At(gpu, "count").get<int>() : 0;
  if (count == 0) return "-";
  std::string resource = Str(At(gpu, "resource"));
  if (resource.empty()) resource = "nvidia.com/gpu";
  std::string out = std::to_string(count) + " x " + resource;
  if (const auto product = Str(At(gpu, "product")); !product.empty()) out += " (" + product + ")";
  return out;
}

SecretKey TokenSecretOf(const nlohmann::json& ws) {
  const auto& ref = At(At(At(ws, "spec"), "jupyter"), "tokenSecretRef");
  SecretKey out{Str(At(ref, "name")), Str(At(ref, "key"))};
  if (out.name.empty()) out.name = Str(At(At(ws, "metadata"), "name")) + "-token";
  if (out.key.empty()) out.key = "token";
  return out;
}

std::string OwnerOf(const nlohmann::json& ws) {
  const auto owner = Str(At(At(ws, "spec"), "owner"));
  return owner.empty() ? Str(At(At(At(ws, "metadata"), "labels"), "tfws.io/owner")) : owner;
}

std::string ShortAge(const std::string& rfc3339, std::chrono::system_clock::time_point now) {
  const auto then = time::ParseRfc3339(rfc3339);
  if (!then) return "-";
  const auto s = std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(now - *then).count());
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace tfws::plugin
