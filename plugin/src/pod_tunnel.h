// Reaching a workspace's Pod through the API server (kube/port_forward.h):
// the Running Pod of a workspace, and one forwarded connection to one of its
// ports, with every refusal worded as "what failed on which object, and the
// fix". Used by ssh-proxy (stdio) and open (a local listener).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/port_forward.h"
#include "session.h"

namespace tfws::plugin {

// status.podName of a Running workspace; PluginError saying what to do when it
// is Stopped, Pending or has no Pod. `purpose` goes in the message ("ssh").
std::string RunningPodOf(const nlohmann::json& ws, const std::string& purpose);

// One forwarded connection to port `port` of `pod` (of workspace `workspace`).
// Throws PluginError naming the Pod, the workspace and the fix (RBAC on
// pods/portforward, the Pod gone) or passes TransportError through.
std::unique_ptr<kube::PortForward> OpenTunnel(Session& session, const std::string& workspace, const std::string& pod,
                                              uint16_t port);

// Relays in_fd/out_fd through `tunnel`, turning the kubelet's error text into
// a PluginError that names the Pod and port.
void RelayTunnel(kube::PortForward& tunnel, int in_fd, int out_fd, const std::string& workspace,
                 const std::string& pod, uint16_t port);

}  // namespace tfws::plugin
