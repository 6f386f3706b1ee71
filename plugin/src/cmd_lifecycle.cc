// kubectl tfws stop / start / restart NAME: the three spec changes that run or
// stop a workspace's Pod (storage, token and Service are always kept).
//   stop     spec.stopped = true
//   start    spec.stopped = false, plus spec.restartedAt = now when the operator
//            had culled the workspace for being idle (annotation tfws.io/culled-at)
//   restart  spec.restartedAt = now (RFC 3339), which replaces the Pod
#include <chrono>

#include "command.h"
#include "errors.h"
#include "session.h"
#include "time/rfc3339.h"
#include "workspace/conditions.h"
#include "workspace/workspace_types.h"

namespace tfws::plugin {

namespace {

std::string Now() { return time::FormatRfc3339(std::chrono::system_clock::now()); }

void PatchSpec(Session& session, const std::string& name, const nlohmann::json& spec, const std::string& verb) {
  kube::PatchOptions options;
  options.field_manager = kFieldManager;
  try {
    session.client().Patch(kube::resources::kTFWorkspaces, session.ns(), name, kube::PatchType::kMerge,
                           {{"spec", spec}}, options);
  } catch (const kube::ApiError& e) {
    throw PluginError(ExplainApiError(e, verb, "tfworkspace \"" + name + "\"", session.ns()));
  }
}

int Stop(const Invocation& inv) {
  const auto name = RequireName(inv.args, "stop");
  auto session = Session::Connect(inv.args);
  GetWorkspace(session, name);  // a clear "not found" before the patch
  PatchSpec(session, name, {{"stopped", true}}, "stop");
  inv.out << "tfworkspace/" << name << " stopping: its Pod is deleted, storage and token are kept"
          << " (kubectl tfws start " << name << " resumes it)\n";
  return 0;
}

int Start(const Invocation& inv) {
  const auto name = RequireName(inv.args, "start");
  auto session = Session::Connect(inv.args);
  const auto ws = GetWorkspace(session, name);
  nlohmann::json spec = {{"stopped", false}};
  const bool culled = ws["metadata"].contains("annotations") &&
                      ws["metadata"]["annotations"].contains(workspace::kCulledAtAnnotation);
  if (culled) spec["restartedAt"] = Now();
  PatchSpec(session, name, spec, "start");
  inv.out << "tfworkspace/" << name << " starting" << (culled ? " (it had been stopped for being idle)" : "")
          << ": kubectl tfws list shows when it is Running\n";
  return 0;
}

int Restart(const Invocation& inv) {
  const auto name = RequireName(inv.args, "restart");
  auto session = Session::Connect(inv.args);
  GetWorkspace(session, name);
  const auto now = Now();
  PatchSpec(session, name, {{"restartedAt", now}}, "restart");
  inv.out << "tfworkspace/" << name << " restart requested at " << now
          << ": the Pod is replaced (spec changes shown as PendingRestart take effect)\n";
  return 0;
}

}  // namespace

Command StopCommand() {
  return {"stop", "Stop a workspace: delete its Pod and free its GPUs, keep storage and token",
          "kubectl tfws stop NAME", "Example:\n  kubectl tfws stop alice-resnet\n", {}, Stop};
}

Command StartCommand() {
  return {"start", "Start a stopped (or idle-culled) workspace again", "kubectl tfws start NAME",
          "Example:\n  kubectl tfws start alice-resnet\n", {}, Start};
}

Command RestartCommand() {
  return {"restart", "Replace a workspace's Pod (sets spec.restartedAt to now)", "kubectl tfws restart NAME",
          "Use it to roll out a spec change the workspace shows as PendingRestart.\n"
          "\nExample:\n  kubectl tfws restart alice-resnet\n",
          {}, Restart};
}

}  // namespace tfws::plugin
