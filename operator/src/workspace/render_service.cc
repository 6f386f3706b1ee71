// Renderers of the Services <name> and <name>-ssh (render.h).
#include "workspace/effective_settings.h"
#include "workspace/naming.h"
#include "workspace/render.h"
#include "workspace/render_metadata.h"
#include "workspace/spec_hash.h"

namespace tfws::workspace {
namespace {

Json Port(const char* name, int port) {
  return {{"name", name}, {"port", port}, {"targetPort", name}, {"protocol", "TCP"}};
}

}  // namespace

Json RenderService(const Workspace& ws, const OperatorConfig& config) {
  const EffectiveSettings settings = ResolveSettings(ws, config);
  Json ports = Json::array({Port(kJupyterPortName, kJupyterPort)});
  if (settings.ssh_enabled) ports.push_back(Port(kSshPortName, kSshPort));
  Json service = ChildObject(ws, "v1", "Service", names::Service(ws));
  service["spec"] = {{"type", "ClusterIP"}, {"selector", ToJsonObject(PodSelector(ws))}, {"ports", ports}};
  StampSpecHash(service);
  return service;
}

std::optional<Json> RenderSshService(const Workspace& ws, const OperatorConfig& config) {
  const EffectiveSettings settings = ResolveSettings(ws, config);
  if (!settings.ssh_enabled || ws.spec.ssh.service_type == "ClusterIP") return std::nullopt;
  Json service = ChildObject(ws, "v1", "Service", names::SshService(ws));
  service["spec"] = {{"type", ws.spec.ssh.service_type},
                     {"selector", ToJsonObject(PodSelector(ws))},
                     {"ports", Json::array({Port(kSshPortName, kSshPort)})}};
  StampSpecHash(service);
  return service;
}

}  // namespace tfws::workspace
