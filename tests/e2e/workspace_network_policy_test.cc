// The workspace NetworkPolicy end to end: the real operator (with an operator
// configuration naming the ingress controller's and its own Pods) applies it
// to the real API server, which validates it; the test reads the stored
// object back and evaluates it with the NetworkPolicy semantics of
// networking.k8s.io/v1 (rules ORed, peers ORed, namespaceSelector AND
// podSelector inside one peer, ipBlock minus except) against concrete
// sources and destinations. testenv runs no CNI that enforces NetworkPolicy,
// so this checks exactly which peers the object admits, not packets.
#include <arpa/inet.h>
#include <unistd.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace fs = std::filesystem;
namespace res = kube::resources;
using Json = nlohmann::json;
using Labels = std::map<std::string, std::string>;

constexpr const char* kIngressNamespace = "ingress-nginx";
constexpr const char* kOperatorNamespace = "tfws-system";
const Labels kIngressPodLabels = {{"app.kubernetes.io/name", "ingress-nginx"}, {"app.kubernetes.io/component", "controller"}};
const Labels kOperatorPodLabels = {{"app.kubernetes.io/name", "tfws-operator"}, {"app.kubernetes.io/instance", "tfws"}};
constexpr const char* kSshCidr = "10.20.0.0/16";

// One end of a connection: a Pod (namespace + labels) or an address outside the cluster.
struct Endpoint {
  std::string what;  // for messages
  std::string ns;
  Labels pod_labels;
  std::string ip;  // set for addresses; empty for Pods
};
Endpoint PodIn(std::string ns, Labels labels, std::string what) { return {std::move(what), std::move(ns), std::move(labels), ""}; }
Endpoint Address(std::string ip) { return {ip, "", {}, ip}; }

bool SelectorMatches(const Json& selector, const Labels& labels) {
  const Json match_labels = selector.value("matchLabels", Json::object());
  for (const auto& [k, v] : match_labels.items()) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v.get<std::string>()) return false;
  }
  for (const Json& e : selector.value("matchExpressions", Json::array())) {
    auto it = labels.find(e["key"].get<std::string>());
    const std::string op = e["operator"];
    const Json values = e.value("values", Json::array());
    const bool in = it != labels.end() && std::find(values.begin(), values.end(), Json(it->second)) != values.end();
    if ((op == "Exists" && it == labels.end()) || (op == "DoesNotExist" && it != labels.end()) ||
        (op == "In" && !in) || (op == "NotIn" && in)) {
      return false;
    }
  }
  return true;
}

// True when ip lies in cidr (same address family only).
bool InCidr(const std::string& ip, const std::string& cidr) {
  const auto slash = cidr.find('/');
  const std::string net = cidr.substr(0, slash);
  const int bits = std::stoi(cidr.substr(slash + 1));
  const int family = net.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if ((ip.find(':') != std::string::npos) != (family == AF_INET6)) return false;
  std::array<unsigned char, 16> a{}, b{};
  if (inet_pton(family, ip.c_str(), a.data()) != 1 || inet_pton(family, net.c_str(), b.data()) != 1) {
    ADD_FAILURE() << "bad address " << ip << " or CIDR " << cidr;
    return false;
  }
  for (int i = 0; i < bits; ++i) {
    const int mask = 0x80 >> (i % 8);
    if ((a[i / 8] & mask) != (b[i / 8] & mask)) return false;
  }
  return true;
}

bool PeerMatches(const Json& peer, const Endpoint& e, const std::string& policy_ns) {
  if (peer.contains("ipBlock")) {
    if (e.ip.empty()) return false;  // Pod IPs: implementation-defined; the policy must not rely on it
    if (!InCidr(e.ip, peer["ipBlock"]["cidr"])) return false;
    for (const Json& except : peer["ipBlock"].value("except", Json::array())) {
      if (InCidr(e.ip, except)) return false;
    }
    return true;
  }
  if (!e.ip.empty()) return false;
  const bool ns_ok = peer.contains("namespaceSelector")
                         ? SelectorMatches(peer["namespaceSelector"], {{"kubernetes.io/metadata.name", e.ns}})
                         : e.ns == policy_ns;
  return ns_ok && (!peer.contains("podSelector") || SelectorMatches(peer["podSelector"], e.pod_labels));
}

bool PortMatches(const Json& rule, int port, const std::string& protocol) {
  if (!rule.contains("ports") || rule["ports"].empty()) return true;
  for (const Json& p : rule["ports"]) {
    if (p.value("protocol", "TCP") == protocol && (!p.contains("port") || p["port"] == port)) return true;
  }
  return false;
}

// Whether `policy` lets traffic through in `direction` ("ingress": from e; "egress": to e).
bool Admits(const Json& policy, const std::string& direction, const Endpoint& e, int port,
            const std::string& protocol = "TCP") {
  const std::string policy_ns = policy["metadata"]["namespace"];
  const char* peers_key = direction == "ingress" ? "from" : "to";
  for (const Json& rule : policy["spec"].value(direction, Json::array())) {
    if (!PortMatches(rule, port, protocol)) continue;
    if (!rule.contains(peers_key) || rule[peers_key].empty()) return true;
    for (const Json& peer : rule[peers_key]) {
      if (PeerMatches(peer, e, policy_ns)) return true;
    }
  }
  return false;
}

// A destination, port, protocol, and whether the development and hardened profiles admit it.
struct Destination {
  Endpoint to;
  int port;
  const char* protocol;
  bool development, hardened;
};

void ExpectEgress(const Json& policy, bool hardened_profile, const std::vector<Destination>& destinations) {
  for (const Destination& d : destinations) {
    EXPECT_EQ(Admits(policy, "egress", d.to, d.port, d.protocol), hardened_profile ? d.hardened : d.development)
        << (hardened_profile ? "hardened" : "development") << ": egress to " << d.to.what << ":" << d.port << "/"
        << d.protocol;
  }
}

class WorkspaceNetworkPolicy : public TestenvTest {
 protected:
  static void SetUpTestSuite() {
    suite_error_.clear();
    try {
      InstallWorkspaceCrd(*MakeTestenvClient({.user_agent = "tfws-e2e-netpol/1"}));
      const fs::path config = fs::temp_directory_path() / ("tfws-e2e-netpol-" + std::to_string(::getpid()) + ".yaml");
      std::ofstream(config) << "ingress:\n  controllerNamespace: " << kIngressNamespace
                            << "\n  controllerPodLabels: " << Json(kIngressPodLabels).dump()
                            << "\nssh:\n  allowedCIDRs: [\"" << kSshCidr << "\"]\noperatorNamespace: " << kOperatorNamespace
                            << "\noperatorPodLabels: " << Json(kOperatorPodLabels).dump() << "\n";
      operator_ = std::make_unique<OperatorProcess>(OperatorProcess::Options{.extra_args = {"--config", config.string()}});
      operator_->Start();
      // Measured ready in ~2 s on 2 busy cores.
      if (!operator_->WaitReady()) suite_error_ = "operator not ready in time\n" + operator_->Tail();
    } catch (const std::exception& e) {
      suite_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    if (operator_) operator_->Stop();
    operator_.reset();
  }
  void SetUp() override {
    TestenvTest::SetUp();
    ASSERT_TRUE(suite_error_.empty()) << suite_error_;
  }

  // Creates a workspace and returns its NetworkPolicy as stored by the API server.
  Json PolicyOf(const std::string& name, Json spec) {
    spec["gpu"] = {{"count", 0}};
    spec["storage"] = {{"workspace", {{"size", "1Gi"}}}};
    Json ws = WorkspaceObject(name, spec);
    ws["metadata"]["namespace"] = ns();
    client().Create(res::kTFWorkspaces, ns(), ws);
    Json policy;
    // The operator writes the policy one pass after it sees the workspace:
    // measured 0.1-0.2 s (TFWS_E2E_WAIT_LOG=1); 5 s for a loaded CI machine.
    EXPECT_TRUE(WaitFor(
        [&] {
          policy = client().Get(res::kNetworkPolicies, ns(), name);
          return true;
        },
        std::chrono::seconds(5)))
        << "no NetworkPolicy " << name << "\n" << operator_->Tail();
    return policy;
  }

  static inline std::unique_ptr<OperatorProcess> operator_;
  static inline std::string suite_error_;
};

TEST_F(WorkspaceNetworkPolicy, JupyterAdmitsOnlyTheIngressControllerAndOperatorPodsAndMetadataIsDeniedInBothProfiles) {
  const Json development = PolicyOf("dev", Json::object());
  const Json hardened = PolicyOf("hard", {{"profile", "hardened"}});
  ASSERT_TRUE(development.contains("spec") && hardened.contains("spec"));

  const std::vector<std::pair<Endpoint, bool>> jupyter_sources = {
      {PodIn(kIngressNamespace, kIngressPodLabels, "the ingress controller"), true},
      {PodIn(kOperatorNamespace, kOperatorPodLabels, "the operator"), true},
      {PodIn(kIngressNamespace, {{"app", "tenant-proxy"}}, "another Pod of the ingress namespace"), false},
      {PodIn(kOperatorNamespace, {{"app", "debug"}}, "another Pod of the operator namespace"), false},
      {PodIn("team-b", kIngressPodLabels, "a Pod with the controller's labels elsewhere"), false},
      {PodIn(ns(), {{"app", "neighbour"}}, "a Pod of the workspace's namespace"), false},
      {Address("203.0.113.7"), false},
  };
  const std::vector<Destination> destinations = {
      {Address("169.254.169.254"), 80, "TCP", false, false},
      {Address("169.254.169.254"), 53, "UDP", false, false},
      {Address("169.254.169.254"), 443, "TCP", false, false},
      {Address("fd00:ec2::254"), 80, "TCP", false, false},
      {Address("fd00:ec2::254"), 443, "TCP", false, false},
      {Address("169.254.169.253"), 53, "UDP", true, true},
      {Address("8.8.8.8"), 53, "UDP", true, true},
      {Address("140.82.112.3"), 443, "TCP", true, true},
      {Address("2001:db8::1"), 443, "TCP", true, true},
      {Address("140.82.112.3"), 22, "TCP", true, false},
      {PodIn("kube-system", {{"k8s-app", "kube-dns"}}, "kube-dns"), 53, "UDP", true, true},
      {PodIn(ns(), {{"app", "db"}}, "a Pod of the same namespace"), 5432, "TCP", true, true},
      {PodIn("team-b", {{"app", "db"}}, "a Pod of another namespace"), 5432, "TCP", true, false},
  };
  for (const auto& [policy, hardened_profile] : {std::pair{development, false}, std::pair{hardened, true}}) {
    const std::string profile = hardened_profile ? "hardened" : "development";
    EXPECT_EQ(policy["spec"]["policyTypes"], Json::array({"Ingress", "Egress"})) << profile;
    for (const auto& [source, admitted] : jupyter_sources) {
      EXPECT_EQ(Admits(policy, "ingress", source, 8888), admitted) << profile << ": 8888 from " << source.what;
    }
    EXPECT_FALSE(Admits(policy, "ingress", jupyter_sources[0].first, 2222)) << profile << ": SSH is off";
    ExpectEgress(policy, hardened_profile, destinations);
  }
}

TEST_F(WorkspaceNetworkPolicy, SshAdmitsOnlyTheConfiguredCidrs) {
  const Json policy = PolicyOf("ssh", {{"image", "tfws/tf29-workspace:0.1.0"},
                                       {"ssh",
                                        {{"enabled", true},
                                         {"authorizedKeys",
                                          {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 alice@laptop"}}}}});
  ASSERT_TRUE(policy.contains("spec"));
  EXPECT_TRUE(Admits(policy, "ingress", Address("10.20.3.4"), 2222));
  EXPECT_FALSE(Admits(policy, "ingress", Address("10.21.0.1"), 2222));
  EXPECT_FALSE(Admits(policy, "ingress", PodIn(ns(), {{"app", "neighbour"}}, "a Pod of the namespace"), 2222));
  EXPECT_FALSE(Admits(policy, "ingress", PodIn(kIngressNamespace, kIngressPodLabels, "the ingress controller"), 2222));
  EXPECT_FALSE(Admits(policy, "ingress", Address("10.20.3.4"), 8888)) << "the SSH sources do not reach Jupyter";
}

TEST_F(WorkspaceNetworkPolicy, TheClassNamesTheIngressControllerDeniesMoreAndLimitsHardenedEgress) {
  const std::string klass = UniqueName("e2e-netpol");
  const Labels traefik = {{"app.kubernetes.io/name", "traefik"}};
  client().Create(res::kTFWorkspaceClasses, "",
                  {{"apiVersion", "tfws.io/v1alpha1"},
                   {"kind", "TFWorkspaceClass"},
                   {"metadata", {{"name", klass}}},  // never the default: other suites share the cluster
                   {"spec",
                    {{"ingress", {{"controller", {{"namespace", "traefik"}, {"podLabels", traefik}}}}},
                     {"egress", {{"deniedCIDRs", {"100.100.100.200/32", "10.96.0.0/12"}},
                                 {"hardenedAllowedCIDRs", {"10.0.0.0/8", "2001:db8:1::/48"}}}}}}});
  struct RemoveClass {
    kube::Client& admin;
    std::string name;
    ~RemoveClass() {
      try {
        admin.Delete(res::kTFWorkspaceClasses, "", name);
      } catch (const std::exception&) {
      }
    }
  } remove{client(), klass};
  const Json development = PolicyOf("class-dev", {{"className", klass}});
  const Json hardened = PolicyOf("class-hard", {{"className", klass}, {"profile", "hardened"}});
  ASSERT_TRUE(development.contains("spec") && hardened.contains("spec"));
  const std::vector<Destination> destinations = {
      {Address("169.254.169.254"), 80, "TCP", false, false},
      {Address("100.100.100.200"), 80, "TCP", false, false},
      {Address("10.96.0.1"), 443, "TCP", false, false},
      {Address("10.1.2.3"), 5432, "TCP", true, true},
      {Address("2001:db8:1::5"), 8080, "TCP", true, true},
      {Address("140.82.112.3"), 443, "TCP", true, false},
      {Address("8.8.8.8"), 53, "UDP", true, true},
      {PodIn(ns(), {{"app", "db"}}, "a Pod of the same namespace"), 5432, "TCP", true, true},
      {PodIn("team-b", {{"app", "web"}}, "a Pod of another namespace"), 443, "TCP", true, false},
  };
  for (const auto& [policy, hardened_profile] : {std::pair{development, false}, std::pair{hardened, true}}) {
    const std::string profile = hardened_profile ? "hardened" : "development";
    EXPECT_TRUE(Admits(policy, "ingress", PodIn("traefik", traefik, "the class's ingress controller"), 8888)) << profile;
    EXPECT_FALSE(Admits(policy, "ingress", PodIn(kIngressNamespace, kIngressPodLabels, "the configured controller"), 8888))
        << profile << ": the class's controller replaces the operator configuration's";
    EXPECT_TRUE(Admits(policy, "ingress", PodIn(kOperatorNamespace, kOperatorPodLabels, "the operator"), 8888)) << profile;
    ExpectEgress(policy, hardened_profile, destinations);
  }
}

}  // namespace
}  // namespace tfws::e2e
