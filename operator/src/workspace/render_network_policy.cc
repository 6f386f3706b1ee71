// Renderer of the NetworkPolicy <name> (render.h). Who may reach the workspace:
// - Jupyter (8888): only the ingress controller's own Pods (one peer:
//   namespace AND Pod labels from the operator configuration) and the
//   operator's own Pods (activity probe, culling) — never a whole namespace, so
//   a tenant's Pod or Service routed there cannot bypass the auth proxy
//   (kubectl port-forward goes through the kubelet and is not affected);
// - SSH (2222, when on): the configured CIDRs, else pods of the same namespace.
// Where the workspace may connect (both profiles list Egress, so every
// destination not below is denied): the cloud metadata addresses
// 169.254.169.254/32 and fd00:ec2::254/128 are never allowed (NetworkPolicy
// has no deny rule: every ipBlock that could contain them excepts them, and no
// rule is port-only, since a rule without `to` admits every address);
// - "development": any Pod of the cluster, any other address;
// - "hardened": DNS (53) and HTTPS (443) to any Pod or other address, any port
//   to pods of the same namespace.
#include "workspace/effective_settings.h"
#include "workspace/naming.h"
#include "workspace/render.h"
#include "workspace/render_metadata.h"
#include "workspace/spec_hash.h"

namespace tfws::workspace {
namespace {

Json TcpPort(int port) { return {{"protocol", "TCP"}, {"port", port}}; }

// Pods with all `labels` in namespace `ns`: namespaceSelector AND podSelector in one peer.
Json PodsInNamespace(const std::string& ns, const std::map<std::string, std::string>& labels) {
  return {{"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", ns}}}}},
          {"podSelector", {{"matchLabels", ToJsonObject(labels)}}}};
}

// Every Pod of the cluster, then every IPv4 and IPv6 address except the cloud metadata ones.
Json AnywhereButMetadata() {
  return Json::array({
      {{"namespaceSelector", Json::object()}},
      {{"ipBlock", {{"cidr", "0.0.0.0/0"}, {"except", Json::array({kMetadataCidrV4})}}}},
      {{"ipBlock", {{"cidr", "::/0"}, {"except", Json::array({kMetadataCidrV6})}}}},
  });
}

Json Egress(Profile profile) {
  if (profile != Profile::kHardened) return Json::array({{{"to", AnywhereButMetadata()}}});
  return Json::array({
      {{"to", AnywhereButMetadata()}, {"ports", Json::array({{{"protocol", "UDP"}, {"port", 53}}, TcpPort(53)})}},
      {{"to", AnywhereButMetadata()}, {"ports", Json::array({TcpPort(443)})}},
      {{"to", Json::array({{{"podSelector", Json::object()}}})}},
  });
}

}  // namespace

Json RenderNetworkPolicy(const Workspace& ws, const OperatorConfig& config) {
  const EffectiveSettings settings = ResolveSettings(ws, config);
  Json ingress_rules = Json::array();

  Json jupyter_from = Json::array();
  if (!config.ingress.controller_namespace.empty()) {
    jupyter_from.push_back(PodsInNamespace(config.ingress.controller_namespace, config.ingress.controller_pod_labels));
  }
  if (!config.operator_namespace.empty()) {
    jupyter_from.push_back(PodsInNamespace(config.operator_namespace, config.operator_pod_labels));
  }
  if (!jupyter_from.empty()) {
    ingress_rules.push_back({{"from", jupyter_from}, {"ports", Json::array({TcpPort(kJupyterPort)})}});
  }
  if (settings.ssh_enabled) {
    Json from = Json::array();
    for (const std::string& cidr : config.ssh.allowed_cidrs) from.push_back({{"ipBlock", {{"cidr", cidr}}}});
    if (from.empty()) from.push_back({{"podSelector", Json::object()}});
    ingress_rules.push_back({{"from", from}, {"ports", Json::array({TcpPort(kSshPort)})}});
  }

  Json spec = {
      {"podSelector", {{"matchLabels", ToJsonObject(PodSelector(ws))}}},
      {"policyTypes", Json::array({"Ingress", "Egress"})},
      {"ingress", ingress_rules},
      {"egress", Egress(ws.spec.profile)},
  };

  Json policy = ChildObject(ws, "networking.k8s.io/v1", "NetworkPolicy", names::NetworkPolicy(ws));
  policy["spec"] = spec;
  StampSpecHash(policy);
  return policy;
}

}  // namespace tfws::workspace
