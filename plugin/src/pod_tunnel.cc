#include "pod_tunnel.h"

#include "errors.h"
#include "workspace_status.h"

namespace tfws::plugin {

std::string RunningPodOf(const nlohmann::json& ws, const std::string& purpose) {
  const auto name = ws["metadata"].value("name", "");
  const auto phase = PhaseOf(ws);
  const auto pod = ws.value("/status/podName"_json_pointer, std::string());
  if (phase == "Running" && !pod.empty()) return pod;
  std::string fix = phase == "Stopped" ? "kubectl tfws start " + name + " runs it again"
                                       : "kubectl tfws describe " + name + " shows what it waits for";
  throw PluginError("cannot " + purpose + ": tfworkspace \"" + name + "\" is " + phase +
                    (pod.empty() ? " and has no Pod" : "") + ", not Running; " + fix);
}

std::unique_ptr<kube::PortForward> OpenTunnel(Session& session, const std::string& workspace, const std::string& pod,
                                              uint16_t port) {
  const std::string object = "pod \"" + pod + "\" port " + std::to_string(port) + " (tfworkspace \"" + workspace + "\")";
  try {
    return kube::PortForward::Open(session.config(), session.ns(), pod, port,
                                   std::string("kubectl-tfws/") + TFWS_VERSION);
  } catch (const kube::ApiError& e) {
    if (e.IsForbidden()) {
      throw PluginError("you may not port-forward to " + object + " in namespace \"" + session.ns() + "\": " +
                        e.message() + "; the port-forward needs the verbs create and get on pods/portforward" +
                        " (the chart's tfws-user ClusterRole grants them; ask your platform team)");
    }
    throw PluginError(ExplainApiError(e, "port-forward to", object, session.ns()));
  } catch (const kube::PortForwardError& e) {
    throw PluginError("port-forward to " + object + " failed: " + e.what());
  }
}

void RelayTunnel(kube::PortForward& tunnel, int in_fd, int out_fd, const std::string& workspace,
                 const std::string& pod, uint16_t port) {
  try {
    tunnel.Relay(in_fd, out_fd);
  } catch (const kube::PortForwardError& e) {
    throw PluginError("port-forward to pod \"" + pod + "\" port " + std::to_string(port) + " (tfworkspace \"" +
                      workspace + "\") failed: " + e.what() + "; is the server in the Pod listening on that port?" +
                      " kubectl tfws logs " + workspace + " shows its log");
  }
}

}  // namespace tfws::plugin
