#include "workspace/render_offline.h"

#include <memory>
#include <stdexcept>

#include "workspace/render.h"
#include "workspace/workspace_class.h"

namespace tfws::workspace {

std::vector<Json> RenderOffline(const std::vector<Json>& manifests, const OperatorConfig& config) {
  std::vector<std::shared_ptr<const Json>> classes;
  for (const Json& doc : manifests) {
    if (doc.value("kind", "") == "TFWorkspaceClass") classes.push_back(std::make_shared<const Json>(doc));
  }
  std::vector<Json> out;
  for (Json doc : manifests) {
    if (doc.value("kind", "TFWorkspace") != "TFWorkspace") continue;
    if (!doc["metadata"].contains("namespace")) doc["metadata"]["namespace"] = "default";
    if (!doc["metadata"].contains("uid")) doc["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000";
    Workspace ws = ParseWorkspace(doc);
    try {
      ws = ResolveClass(ws, classes);
    } catch (const InvalidSpecError& e) {
      throw std::runtime_error("TFWorkspace " + ws.namespace_ + "/" + ws.name + " (" + e.reason() + "): " + e.what());
    }
    const RenderedObjects rendered = RenderAll(ws, config);
    for (const Json* object : rendered.InApplyOrder()) out.push_back(*object);
  }
  return out;
}

}  // namespace tfws::workspace
