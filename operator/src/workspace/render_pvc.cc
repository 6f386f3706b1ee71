// Renderer of the workspace PVC <name>-home (render.h).
#include "workspace/naming.h"
#include "workspace/render.h"
#include "workspace/render_metadata.h"
#include "workspace/spec_hash.h"

namespace tfws::workspace {

std::optional<Json> RenderWorkspacePvc(const Workspace& ws, const OperatorConfig& /*config*/) {
  const WorkspaceVolume& volume = ws.spec.storage.workspace;
  if (volume.UsesExistingClaim()) return std::nullopt;
  // Retain: no ownerReference, so deleting the workspace never garbage-collects the user's work.
  const bool owned = ws.spec.storage.reclaim_policy == ReclaimPolicy::kDelete;
  Json pvc = ChildObject(ws, "v1", "PersistentVolumeClaim", names::WorkspacePvc(ws), owned);
  pvc["spec"] = {
      {"accessModes", Json::array({"ReadWriteOnce"})},
      {"resources", {{"requests", {{"storage", volume.size}}}}},
  };
  if (!volume.storage_class_name.empty()) pvc["spec"]["storageClassName"] = volume.storage_class_name;
  StampSpecHash(pvc);
  return pvc;
}

}  // namespace tfws::workspace
