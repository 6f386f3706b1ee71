// The chart's namespace-scoped installation (watchNamespaces, the mode docs/platform-guide.md
// recommends for shared clusters) is enough for a whole workspace lifecycle: the real tfws-operator
// runs as the chart's ServiceAccount (a TokenRequest token; bound to exactly the Role, ClusterRole
// and bindings `helm template charts/tfws-operator --set watchNamespaces={<ns>}` renders, with the
// chart's flags, --watch-namespaces and --leader-elect among them, and its OperatorConfig) through
// a lifecycle that touches every kind it manages: a class, SSH (keys and host-key Secrets, the SSH
// port on the Service), an Ingress, a dataset claim, the token Secret, the NetworkPolicy, Events
// and its leader-election Lease; create -> Running -> edit (restart) -> stop -> delete.
// Every request the API server refused that ServiceAccount (audit annotation
// authorization.k8s.io/decision=forbid) fails the test with its verb and resource.
// Cluster-wide mode is what every other e2e operator runs as (OperatorProcess, chart_identity.h);
// that no grant goes unused is tests/e2e/rbac_coverage.py's check over the whole e2e audit log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "chart_identity.h"
#include "kube/api_error.h"
#include "operator_process.h"
#include "testenv_fixture.h"
#include "time/rfc3339.h"

namespace tfws::e2e {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
namespace fs = std::filesystem;
namespace res = kube::resources;

constexpr const char* kSshKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 alice@laptop";

class ChartRbac : public TestenvTest {
 protected:
  void TearDown() override {
    if (operator_) operator_->Stop();
    try {
      RemoveClusterObjects(client(), identity_);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "removing the chart's cluster roles: " << e.what();
    }
    for (const std::string& klass : classes_) {
      try {
        client().Delete(res::kTFWorkspaceClasses, "", klass);
      } catch (const std::exception&) {
      }
    }
    TestenvTest::TearDown();
  }

  // The chart Deployment's flags, with its config file, listen addresses (OperatorProcess picks
  // loopback ports) and kubeconfig (the ServiceAccount's) replaced.
  std::vector<std::string> ChartFlags() {
    const fs::path config = fs::path(identity_.kubeconfig).parent_path() / "config.yaml";
    std::ofstream(config) << identity_.config_yaml;
    std::vector<std::string> flags;
    for (const Json& arg : identity_.deployment["spec"]["template"]["spec"]["containers"][0]["args"]) {
      const std::string a = arg;
      if (a.rfind("--config=", 0) == 0) {
        flags.push_back("--config=" + config.string());
      } else if (a.rfind("--metrics-bind-address=", 0) != 0 && a.rfind("--health-probe-bind-address=", 0) != 0) {
        flags.push_back(a);
      }
    }
    return flags;
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
        seconds(10));  // measured 0.0-0.1 s (TFWS_E2E_WAIT_LOG=1, 2 runs); the scheduler and kwok too
  }

  ChartIdentity identity_;
  std::vector<std::string> classes_;
  std::unique_ptr<OperatorProcess> operator_;
};

TEST_F(ChartRbac, TheOperatorRunsAWholeLifecycleAsTheChartsServiceAccount) {
  InstallWorkspaceCrd(client());
  // The chart's own flags and OperatorConfig, watching only this namespace; admission policies off
  // (the admission suite owns them).
  identity_ = InstallChartIdentity(client(), UniqueName("e2e-chart-rbac"), ns(),
                                   {"--set", "watchNamespaces={" + ns() + "}", "--set", "admissionPolicy.enabled=false"});
  WriteKubeconfig(identity_);

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
  classes_.push_back(klass);
  client().Create(res::kPersistentVolumeClaims, ns(),
                  {{"apiVersion", "v1"},
                   {"kind", "PersistentVolumeClaim"},
                   {"metadata", {{"name", "train-data"}}},
                   {"spec", {{"accessModes", {"ReadWriteMany"}}, {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});

  const std::uintmax_t audit_offset = AuditLogSize();
  operator_ = std::make_unique<OperatorProcess>(
      OperatorProcess::Options{.extra_args = ChartFlags(), .kubeconfig = identity_.kubeconfig});
  operator_->Start();
  ASSERT_TRUE(operator_->WaitReady()) << "not ready as the chart's ServiceAccount (measured: ready in 1.0 s)\n"
                                                  << operator_->Tail() << "\nrefused: "
                                                  << testing::PrintToString(ForbiddenSince(identity_.Username(), audit_offset));

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
  // Measured (TFWS_E2E_WAIT_LOG=1, 2 runs): Running 1.0 s after the create, again 0.1 s after the
  // restart, Stopped 0.3 s, deleted 0.0 s; 10 s each (the scheduler, kwok, the garbage collector).
  ASSERT_TRUE(WaitForPhase(client(), ns(), name, "Running", seconds(10), &last))
      << last << "\n" << operator_->Tail() << "\nrefused: " << testing::PrintToString(ForbiddenSince(identity_.Username(), audit_offset));
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
  EXPECT_TRUE(WaitForPhase(client(), ns(), name, "Running", seconds(10), &last)) << last;

  // Stop, then delete: the operator removes its finalizer.
  client().Patch(res::kTFWorkspaces, ns(), name, kube::PatchType::kMerge, {{"spec", {{"stopped", true}}}}, patch);
  EXPECT_TRUE(WaitForPhase(client(), ns(), name, "Stopped", seconds(10), &last)) << last;
  EXPECT_TRUE(WaitForPod(name, [](const Json* pod) { return pod == nullptr; })) << "a stopped workspace keeps its Pod";
  client().Delete(res::kTFWorkspaces, ns(), name);
  EXPECT_TRUE(WaitFor([&] { return !Exists(client(), res::kTFWorkspaces, ns(), name); }, seconds(10)))
      << "the operator did not release its finalizer\n" << operator_->Tail();

  EXPECT_THAT(ForbiddenSince(identity_.Username(), audit_offset), ::testing::IsEmpty())
      << "the chart's RBAC lacks what the operator used (add the verb to charts/tfws-operator/templates/rbac.yaml "
         "and the rule table of tests/contract/chart/assert_rendered.py)";
}

}  // namespace
}  // namespace tfws::e2e
