// RenderAll and RenderedObjects (render.h).
#include "workspace/render.h"

namespace tfws::workspace {

std::vector<const Json*> RenderedObjects::InApplyOrder() const {
  std::vector<const Json*> out;
  auto add = [&out](const std::optional<Json>& o) {
    if (o) out.push_back(&*o);
  };
  add(token_secret);
  add(ssh_keys_secret);
  add(ssh_host_key_secret);
  add(workspace_pvc);
  add(pod);
  out.push_back(&service);
  add(ssh_service);
  add(ingress);
  out.push_back(&network_policy);
  return out;
}

Json RenderedObjects::ToJson() const {
  auto value = [](const std::optional<Json>& o) { return o ? *o : Json(nullptr); };
  return {
      {"token_secret", value(token_secret)}, {"workspace_pvc", value(workspace_pvc)},
      {"ssh_keys_secret", value(ssh_keys_secret)}, {"ssh_host_key_secret", value(ssh_host_key_secret)},
      {"pod", value(pod)},
      {"service", service}, {"ssh_service", value(ssh_service)},
      {"ingress", value(ingress)}, {"network_policy", network_policy},
  };
}

RenderedObjects RenderAll(const Workspace& ws, const OperatorConfig& config) {
  RenderedObjects out;
  out.token_secret = RenderTokenSecret(ws, config);
  out.workspace_pvc = RenderWorkspacePvc(ws, config);
  out.ssh_keys_secret = RenderSshKeysSecret(ws, config);
  out.ssh_host_key_secret = RenderSshHostKeySecret(ws, config);
  out.pod = RenderPod(ws, config);
  out.service = RenderService(ws, config);
  out.ssh_service = RenderSshService(ws, config);
  out.ingress = RenderIngress(ws, config);
  out.network_policy = RenderNetworkPolicy(ws, config);
  return out;
}

}  // namespace tfws::workspace
