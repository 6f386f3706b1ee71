#include "workspace/reconciler.h"

#include "observe/workspace_metrics.h"
#include "workspace/object_metadata.h"
#include "workspace/reconcile_pass.h"
#include "workspace/workspace_class.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

namespace res = kube::resources;

WorkspaceReconciler::WorkspaceReconciler(Dependencies deps) : deps_(std::move(deps)) {}

ReconcileOutcome WorkspaceReconciler::Reconcile(const std::string& ns, const std::string& name, std::stop_token stop) {
  const auto object = deps_.cache->Get(res::kTFWorkspaces, ns, name);
  if (!object) {
    if (deps_.metrics) deps_.metrics->Forget(ns, name);
    ForgetWorkspace(ns + "/" + name);
    return {};
  }
  if (IsTerminating(*object)) return {};  // children go with it (ownerReferences)

  Workspace ws;
  try {
    ws = ResolveClass(ParseWorkspace(*object), deps_.cache->List(res::kTFWorkspaceClasses));
  } catch (const InvalidSpecError& e) {
    // The schema should have refused it; say so on the object instead of retrying.
    WriteInvalidSpecStatus(deps_, *object, e.reason(), e.what());
    return {};
  }
  return Pass(deps_, *object, std::move(ws)).Run(stop);
}

}  // namespace tfws::workspace
