#include "workspace/render_metadata.h"

#include "workspace/naming.h"

namespace tfws::workspace {

nlohmann::json ToJsonObject(const std::map<std::string, std::string>& map) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : map) out[k] = v;
  return out;
}

nlohmann::json ChildObject(const Workspace& ws, const char* api_version, const char* kind, const std::string& name,
                           bool owned) {
  nlohmann::json object = {
      {"apiVersion", api_version},
      {"kind", kind},
      {"metadata", {{"name", name}, {"namespace", ws.namespace_}, {"labels", ToJsonObject(ChildLabels(ws))}}},
  };
  if (owned) object["metadata"]["ownerReferences"] = nlohmann::json::array({OwnerReference(ws)});
  return object;
}

}  // namespace tfws::workspace
