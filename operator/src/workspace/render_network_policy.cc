// Renderer of the NetworkPolicy <name> (render.h). Who may reach the workspace:
// - Jupyter (8888): only the ingress controller's own Pods (one peer: namespace AND Pod labels,
//   from the workspace's TFWorkspaceClass when it names the controller, else from the operator
//   configuration) and the operator's own Pods (activity probe, culling) — never a whole
//   namespace, so a tenant's Pod or Service routed there cannot bypass the auth proxy
//   (kubectl port-forward goes through the kubelet and is not affected);
// - SSH (2222, when on): the configured CIDRs, else pods of the same namespace.
// Where the workspace may connect (both profiles list Egress, so every destination not below is
// denied): the cloud metadata addresses 169.254.169.254/32 and fd00:ec2::254/128, and the class's
// egress.deniedCIDRs, are never allowed (NetworkPolicy has no deny rule: every ipBlock that could
// contain them excepts them, an ipBlock inside one is left out, and no rule is port-only, since a
// rule without `to` admits every address);
// - "development": any Pod of the cluster, any other address;
// - "hardened": DNS (53) to any Pod or other address, any port to pods of the same namespace, and
//   HTTPS (443) to any other address — or, when the class lists egress.hardenedAllowedCIDRs, any
//   port to those blocks and nowhere else.
#include <optional>
#include <string>
#include <vector>

#include "workspace/cidr.h"
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

// One ipBlock peer per CIDR of `allowed`, each excepting the `denied` blocks inside it; a block
// that lies inside a denied one is left out. Blocks that do not parse are left out too (the class
// CRD and the operator configuration refuse them).
Json IpBlocks(const std::vector<std::string>& allowed, const std::vector<std::string>& denied) {
  Json peers = Json::array();
  for (const std::string& text : allowed) {
    const std::optional<Cidr> block = ParseCidr(text);
    if (!block) continue;
    Json except = Json::array();
    bool inside_denied = false;
    for (const std::string& denied_text : denied) {
      const std::optional<Cidr> hole = ParseCidr(denied_text);
      if (!hole) continue;
      if (hole->Contains(*block)) inside_denied = true;
      else if (block->Contains(*hole)) except.push_back(denied_text);
    }
    if (inside_denied) continue;
    Json ip_block = {{"cidr", text}};
    if (!except.empty()) ip_block["except"] = except;
    peers.push_back({{"ipBlock", ip_block}});
  }
  return peers;
}

// Every Pod of the cluster, then every IPv4 and IPv6 address except the denied ones.
Json AnywhereBut(const std::vector<std::string>& denied) {
  Json peers = Json::array({{{"namespaceSelector", Json::object()}}});
  for (Json& block : IpBlocks({"0.0.0.0/0", "::/0"}, denied)) peers.push_back(std::move(block));
  return peers;
}

Json Egress(const Workspace& ws) {
  std::vector<std::string> denied = {kMetadataCidrV4, kMetadataCidrV6};
  denied.insert(denied.end(), ws.denied_egress_cidrs.begin(), ws.denied_egress_cidrs.end());
  if (ws.spec.profile != Profile::kHardened) return Json::array({{{"to", AnywhereBut(denied)}}});
  Json rules = Json::array({
      {{"to", AnywhereBut(denied)}, {"ports", Json::array({{{"protocol", "UDP"}, {"port", 53}}, TcpPort(53)})}},
  });
  if (ws.hardened_egress_cidrs.empty()) {
    rules.push_back({{"to", AnywhereBut(denied)}, {"ports", Json::array({TcpPort(443)})}});
  } else if (Json blocks = IpBlocks(ws.hardened_egress_cidrs, denied); !blocks.empty()) {
    rules.push_back({{"to", blocks}});
  }
  rules.push_back({{"to", Json::array({{{"podSelector", Json::object()}}})}});
  return rules;
}

}  // namespace

Json RenderNetworkPolicy(const Workspace& ws, const OperatorConfig& config) {
  const EffectiveSettings settings = ResolveSettings(ws, config);
  Json ingress_rules = Json::array();

  Json jupyter_from = Json::array();
  if (!ws.ingress_controller_namespace.empty()) {
    jupyter_from.push_back(PodsInNamespace(ws.ingress_controller_namespace, ws.ingress_controller_pod_labels));
  } else if (!config.ingress.controller_namespace.empty()) {
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
      {"egress", Egress(ws)},
  };

  Json policy = ChildObject(ws, "networking.k8s.io/v1", "NetworkPolicy", names::NetworkPolicy(ws));
  policy["spec"] = spec;
  StampSpecHash(policy);
  return policy;
}

}  // namespace tfws::workspace
