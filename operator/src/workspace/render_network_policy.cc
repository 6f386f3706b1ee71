// Renderer of the NetworkPolicy <name> (render.h). Who may reach the workspace:
// - Jupyter (8888): the ingress controller's namespace and the operator's
//   namespace (kubectl port-forward goes through the kubelet and is not affected);
// - SSH (2222, when on): the configured CIDRs, else pods of the same namespace;
// - egress: open for "development"; "hardened" allows only DNS (53), HTTPS (443)
//   and pods of the same namespace.
#include "workspace/effective_settings.h"
#include "workspace/naming.h"
#include "workspace/render.h"
#include "workspace/render_metadata.h"
#include "workspace/spec_hash.h"

namespace tfws::workspace {
namespace {

Json TcpPort(int port) { return {{"protocol", "TCP"}, {"port", port}}; }

}  // namespace

Json RenderNetworkPolicy(const Workspace& ws, const OperatorConfig& config) {
  const EffectiveSettings settings = ResolveSettings(ws, config);
  Json ingress_rules = Json::array();

  Json namespaces = Json::array();
  if (!config.ingress.controller_namespace.empty()) namespaces.push_back(config.ingress.controller_namespace);
  if (!config.operator_namespace.empty() && config.operator_namespace != config.ingress.controller_namespace) {
    namespaces.push_back(config.operator_namespace);
  }
  if (!namespaces.empty()) {
    ingress_rules.push_back(
        {{"from", Json::array({{{"namespaceSelector",
                                 {{"matchExpressions", Json::array({{{"key", "kubernetes.io/metadata.name"},
                                                                     {"operator", "In"},
                                                                     {"values", namespaces}}})}}}}})},
         {"ports", Json::array({TcpPort(kJupyterPort)})}});
  }
  if (settings.ssh_enabled) {
    Json from = Json::array();
    for (const std::string& cidr : config.ssh.allowed_cidrs) from.push_back({{"ipBlock", {{"cidr", cidr}}}});
    if (from.empty()) from.push_back({{"podSelector", Json::object()}});
    ingress_rules.push_back({{"from", from}, {"ports", Json::array({TcpPort(kSshPort)})}});
  }

  Json spec = {
      {"podSelector", {{"matchLabels", ToJsonObject(PodSelector(ws))}}},
      {"ingress", ingress_rules},
  };
  if (ws.spec.profile == Profile::kHardened) {
    spec["policyTypes"] = Json::array({"Ingress", "Egress"});
    spec["egress"] = Json::array({
        {{"ports", Json::array({{{"protocol", "UDP"}, {"port", 53}}, TcpPort(53)})}},
        {{"ports", Json::array({TcpPort(443)})}},
        {{"to", Json::array({{{"podSelector", Json::object()}}})}},
    });
  } else {
    spec["policyTypes"] = Json::array({"Ingress"});
  }

  Json policy = ChildObject(ws, "networking.k8s.io/v1", "NetworkPolicy", names::NetworkPolicy(ws));
  policy["spec"] = spec;
  StampSpecHash(policy);
  return policy;
}

}  // namespace tfws::workspace
