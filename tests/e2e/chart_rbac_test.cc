// The chart's operator RBAC is enough and is what the code needs: the real tfws-operator runs as
// the chart's ServiceAccount (a TokenRequest token; bound to exactly the ServiceAccount, Roles and
// bindings `helm template charts/tfws-operator` renders, with the chart's flags and OperatorConfig)
// through a whole workspace lifecycle that touches every kind it manages: a class, SSH (keys and
// host-key Secrets, the SSH port on the Service), an Ingress, a dataset claim, the token Secret, the NetworkPolicy,
// Events and its leader-election Lease; create -> Running -> edit (restart) -> stop -> delete.
// Every request the API server refused that ServiceAccount (audit annotation
// authorization.k8s.io/decision=forbid) fails the test with its verb and resource, so a verb the
// code starts using without the chart granting it fails here, not in a user's cluster.
// (The other direction, no verb granted that the code does not use, is the rule table that
// tests/contract/chart/assert_rendered.py holds the rendered ClusterRole to.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "kube/api_error.h"
#include "operator_process.h"
#include "testenv_fixture.h"
#include "time/rfc3339.h"
#include "workspace/manifest.h"

namespace tfws::e2e {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
namespace fs = std::filesystem;
namespace res = kube::resources;

const kube::Resource kRoles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
const kube::Resource kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true};
const kube::Resource kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false};
const kube::Resource kClusterRoleBindings{"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
                                          "ClusterRoleBinding", false};
constexpr const char* kSshKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 alice@laptop";

std::string Output(const std::string& command) {
  std::string out;
  if (RunCommand(command, &out) != 0) throw std::runtime_error("failed: " + command + "\n" + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

class ChartRbac : public TestenvTest {
 protected:
  void TearDown() override {
    if (operator_) operator_->Stop();
    for (const auto& [resource, name] : cluster_objects_) {
      try {
        client().Delete(resource, "", name);
      } catch (const std::exception&) {
      }
    }
    TestenvTest::TearDown();
  }

  // Renders the chart into ns() and applies its ServiceAccount, RBAC and ConfigMap; returns the
  // rendered Deployment.
  Json InstallChartIdentity() {
    const std::string bin = Output(TestenvScript() + " bin");
    const fs::path rendered = fs::temp_directory_path() / (release_ + ".yaml");
    Output(bin + "/helm template " + release_ + " " TFWS_SOURCE_DIR "/charts/tfws-operator --namespace " + ns() +
           " --set fullnameOverride=" + release_ + " --set admissionPolicy.enabled=false > " + rendered.string());
    Json deployment;
    kube::PatchOptions apply;
    apply.field_manager = "tfws-e2e";
    for (Json object : workspace::ReadManifestFile(rendered.string())) {
      const std::string kind = object.value("kind", "");
      const std::string name = object["metadata"]["name"];
      if (kind == "Deployment") deployment = object;
      if (kind == "ServiceAccount") service_account_ = name;
      if (kind == "ConfigMap") config_yaml_ = object["data"].value("config.yaml", "");
      const std::map<std::string, const kube::Resource*> applied = {
          {"ServiceAccount", &res::kServiceAccounts}, {"ConfigMap", &res::kConfigMaps},
          {"Role", &kRoles},                          {"RoleBinding", &kRoleBindings},
          {"ClusterRole", &kClusterRoles},            {"ClusterRoleBinding", &kClusterRoleBindings}};
      const auto it = applied.find(kind);
      if (it == applied.end()) continue;
      const std::string object_ns = it->second->namespaced ? object["metadata"].value("namespace", ns()) : "";
      client().Apply(*it->second, object_ns, object, apply);
      if (!it->second->namespaced) cluster_objects_.emplace_back(*it->second, name);
    }
    fs::remove(rendered);
    if (service_account_.empty() || config_yaml_.empty() || !deployment.is_object()) {
      throw std::runtime_error("helm template rendered no ServiceAccount, ConfigMap config.yaml or Deployment");
    }
    return deployment;
  }

  // A kubeconfig for the chart's ServiceAccount: the testenv server and CA, a TokenRequest token.
  std::string ServiceAccountKubeconfig() {
    const std::string kubectl = Output(TestenvScript() + " bin") + "/kubectl --kubeconfig " + KubeconfigPath();
    const std::string token = Output(kubectl + " create token " + service_account_ + " -n " + ns() + " --duration=1h");
    const kube::ClusterConfig admin = LoadTestenvConfig();
    const fs::path dir = fs::temp_directory_path() / release_;
    fs::create_directories(dir);
    std::ofstream(dir / "ca.crt") << admin.tls.ca_pem;
    std::ofstream(dir / "kubeconfig")
        << "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: " << admin.server
        << "\n    certificate-authority: " << (dir / "ca.crt").string() << "\nusers:\n- name: sa\n  user:\n    token: "
        << token << "\ncontexts:\n- name: sa\n  context: {cluster: testenv, user: sa}\ncurrent-context: sa\n";
    return (dir / "kubeconfig").string();
  }

  // The chart Deployment's flags, with its config file, listen addresses (OperatorProcess picks
  // loopback ports) and kubeconfig (the ServiceAccount's) replaced.
  std::vector<std::string> ChartFlags(const Json& deployment) {
    const fs::path config = fs::temp_directory_path() / release_ / "config.yaml";
    std::ofstream(config) << config_yaml_;
    std::vector<std::string> flags;
    for (const Json& arg : deployment["spec"]["template"]["spec"]["containers"][0]["args"]) {
      const std::string a = arg;
      if (a.rfind("--config=", 0) == 0) {
        flags.push_back("--config=" + config.string());
      } else if (a.rfind("--metrics-bind-address=", 0) != 0 && a.rfind("--health-probe-bind-address=", 0) != 0) {
        flags.push_back(a);
      }
    }
    return flags;
  }

  // "verb resource (uri)" of every request the API server refused the ServiceAccount after offset.
  std::vector<std::string> ForbiddenSince(std::uintmax_t offset) {
    const std::string user = "system:serviceaccount:" + ns() + ":" + service_account_;
    std::ifstream in(AuditLogPath(), std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::vector<std::string> refused;
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(user) == std::string::npos || line.find("\"forbid\"") == std::string::npos) continue;
      const Json entry = Json::parse(line, nullptr, false);
      if (entry.is_discarded() || entry["user"].value("username", "") != user) continue;
      refused.push_back(entry.value("verb", "") + " " + entry["objectRef"].value("resource", "") + " (" +
                        entry.value("requestURI", "") + ")");
    }
    return refused;
  }

  bool WaitForPod(const std::string& name, const std::function<bool(const Json*)>& done) {
    return WaitFor(
        [&] {
          try {
            const Json pod = client().Get(res::kPods, ns(), name);
            return done(&pod);
          } catch (const kube::ApiError& e) {
            if (e.code() == 404) return done(nullptr);
            throw;
          }
        },
        seconds(60));  // the lifecycle suite measures a Pod in ~5 s; Running needs KWOK too
  }

  const std::string release_ = UniqueName("e2e-chart-rbac");
  std::string service_account_;
  std::string config_yaml_;
  std::vector<std::pair<kube::Resource, std::string>> cluster_objects_;
  std::unique_ptr<OperatorProcess> operator_;
};

TEST_F(ChartRbac, TheOperatorRunsAWholeLifecycleAsTheChartsServiceAccount) {
  InstallWorkspaceCrd(client());
  const Json deployment = InstallChartIdentity();
  const std::string kubeconfig = ServiceAccountKubeconfig();

  // What the workspace refers to: its class (never the default: other suites share the cluster), a
  // dataset claim.
  const std::string klass = UniqueName("e2e-chart-rbac");
  client().Create(res::kTFWorkspaceClasses, "",
                  {{"apiVersion", "tfws.io/v1alpha1"},
                   {"kind", "TFWorkspaceClass"},
                   {"metadata", {{"name", klass}}},
                   {"spec", {{"ssh", {{"allowed", true}}},
                             {"resources", {{"defaultLimits", {{"cpu", "500m"}, {"memory", "512Mi"}}}}},
                             {"ingress", {{"hostTemplate", "{name}-{namespace}.e2e.example.com"}}}}}});
  cluster_objects_.emplace_back(res::kTFWorkspaceClasses, klass);
  client().Create(res::kPersistentVolumeClaims, ns(),
                  {{"apiVersion", "v1"},
                   {"kind", "PersistentVolumeClaim"},
                   {"metadata", {{"name", "train-data"}}},
                   {"spec", {{"accessModes", {"ReadWriteMany"}}, {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});

  const std::uintmax_t audit_offset = AuditLogSize();
  operator_ = std::make_unique<OperatorProcess>(
      OperatorProcess::Options{.extra_args = ChartFlags(deployment), .kubeconfig = kubeconfig});
  operator_->Start();
  ASSERT_TRUE(operator_->WaitReady(seconds(30))) << "not ready as the chart's ServiceAccount (ready in ~2 s as admin)\n"
                                                  << operator_->Tail() << "\nrefused: "
                                                  << testing::PrintToString(ForbiddenSince(audit_offset));

  const std::string name = "alice";
  client().Create(res::kTFWorkspaces, ns(),
                  WorkspaceObject(name, {{"className", klass},
                                         {"image", "tfws/tf29-workspace:0.1.0"},
                                         {"gpu", {{"count", 0}}},
                                         {"resources", {{"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}}}},
                                         {"storage", {{"workspace", {{"size", "1Gi"}}},
                                                      {"datasets", {{{"name", "train"}, {"claimName", "train-data"}}}}}},
                                         {"ssh", {{"enabled", true}, {"authorizedKeys", {kSshKey}}}},
                                         {"ingress", {{"enabled", true}}}}));
  std::string last;
  ASSERT_TRUE(WaitForPhase(client(), ns(), name, "Running", seconds(90), &last))
      << last << "\n" << operator_->Tail() << "\nrefused: " << testing::PrintToString(ForbiddenSince(audit_offset));
  for (const auto& [resource, child] : std::vector<std::pair<kube::Resource, std::string>>{
           {res::kServices, name}, {res::kSecrets, name + "-ssh"}, {res::kSecrets, name + "-ssh-host"}, {res::kIngresses, name},
           {res::kNetworkPolicies, name}, {res::kSecrets, name + "-token"}, {res::kPersistentVolumeClaims, name + "-home"}}) {
    EXPECT_TRUE(Exists(client(), resource, ns(), child)) << resource.resource << "/" << child;
  }

  // Edit: a restart request replaces the Pod.
  const std::string pod_uid = UidOf(client(), res::kPods, ns(), name);
  kube::PatchOptions patch;
  patch.field_manager = "tfws-e2e";
  client().Patch(res::kTFWorkspaces, ns(), name, kube::PatchType::kMerge,
                 {{"spec", {{"restartedAt", time::FormatRfc3339(std::chrono::system_clock::now())}}}}, patch);
  EXPECT_TRUE(WaitForPod(name, [&](const Json* pod) { return pod != nullptr && (*pod)["metadata"]["uid"] != pod_uid; }))
      << "the restart did not replace the Pod\n" << operator_->Tail();
  EXPECT_TRUE(WaitForPhase(client(), ns(), name, "Running", seconds(60), &last)) << last;

  // Stop, then delete: the operator removes its finalizer.
  client().Patch(res::kTFWorkspaces, ns(), name, kube::PatchType::kMerge, {{"spec", {{"stopped", true}}}}, patch);
  EXPECT_TRUE(WaitForPhase(client(), ns(), name, "Stopped", seconds(60), &last)) << last;
  EXPECT_TRUE(WaitForPod(name, [](const Json* pod) { return pod == nullptr; })) << "a stopped workspace keeps its Pod";
  client().Delete(res::kTFWorkspaces, ns(), name);
  EXPECT_TRUE(WaitFor([&] { return !Exists(client(), res::kTFWorkspaces, ns(), name); }, seconds(30)))
      << "the operator did not release its finalizer\n" << operator_->Tail();

  EXPECT_THAT(ForbiddenSince(audit_offset), ::testing::IsEmpty())
      << "the chart's RBAC lacks what the operator used (add the verb to charts/tfws-operator/templates/rbac.yaml "
         "and the rule table of tests/contract/chart/assert_rendered.py)";
}

}  // namespace
}  // namespace tfws::e2e
