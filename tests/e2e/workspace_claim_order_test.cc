// The Pod waits for its claim (issue 12: create storms). For a claim whose
// StorageClass binds on its own (Immediate, or a class name with no
// StorageClass object: static volumes of that name) the operator creates the
// Pod at once with the scheduling gate tfws.io/claims-bound, says why it
// waits, and removes the gate once the claim is Bound (reconcile_storage.cc
// has why); a WaitForFirstConsumer claim binds only after its Pod is placed,
// so that Pod is created without the gate.
#include <gtest/gtest.h>

#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
namespace res = kube::resources;

const kube::Resource kStorageClasses{"storage.k8s.io", "v1", "storageclasses", "StorageClass", false};

class WorkspaceClaimOrder : public ControllerTest {
 protected:
  void TearDown() override {
    for (const auto& [r, name] : cluster_objects_) {
      try {
        c().Delete(r, "", name);
      } catch (const std::exception&) {
      }
    }
    ControllerTest::TearDown();
  }

  // A hostPath PersistentVolume of class `class_name` (as the testenv pool's).
  void CreateVolume(const std::string& name, const std::string& class_name) {
    c().Create(res::kPersistentVolumes, "",
               {{"apiVersion", "v1"},
                {"kind", "PersistentVolume"},
                {"metadata", {{"name", name}}},
                {"spec",
                 {{"capacity", {{"storage", "5Gi"}}},
                  {"accessModes", {"ReadWriteOnce"}},
                  {"persistentVolumeReclaimPolicy", "Retain"},
                  {"storageClassName", class_name},
                  {"hostPath", {{"path", "/tmp/tfws-testenv-pv/" + name}}}}}});
    cluster_objects_.emplace_back(res::kPersistentVolumes, name);
  }

  Json SpecWithClass(const std::string& class_name) {
    Json spec = CpuSpec();
    spec["storage"]["workspace"]["storageClassName"] = class_name;
    return spec;
  }

  std::string ReadyReason(const std::string& name) {
    const Json ready = Condition(GetWorkspace(name), "Ready");
    return ready.is_object() ? ready.value("reason", "") : "";
  }

  std::vector<std::pair<kube::Resource, std::string>> cluster_objects_;
};

TEST_F(WorkspaceClaimOrder, ThePodWaitsUntilAClaimThatBindsOnItsOwnIsBound) {
  const std::string class_name = UniqueName("e2e-late-volumes");  // no StorageClass object: binds at once
  CreateWorkspace("claim-first", SpecWithClass(class_name));
  // Measured: the status says why within 0.2 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s.
  ASSERT_TRUE(WaitFor([&] { return ReadyReason("claim-first") == "WaitingForClaims"; }, seconds(5)))
      << DescribeStatus(GetWorkspace("claim-first"));
  const Json ws = GetWorkspace("claim-first");
  EXPECT_EQ(Phase(ws), "Pending");
  EXPECT_NE(Condition(ws, "Ready").value("message", "").find("claim-first-home"), std::string::npos)
      << "the message names the claim: " << DescribeStatus(ws);
  EXPECT_EQ(Condition(ws, "StorageReady").value("reason", ""), "ClaimPending") << DescribeStatus(ws);
  // The Pod exists, gated: the scheduler leaves it alone and the claim protection controller sees
  // the claim's user. Measured: there within 0.1 s of the status (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s.
  Json pod;
  ASSERT_TRUE(WaitFor([&] { return !(pod = c().Get(res::kPods, ns(), "claim-first")).is_null(); }, seconds(5)));
  EXPECT_EQ(pod["spec"].value("schedulingGates", Json::array()), Json::array({{{"name", "tfws.io/claims-bound"}}}))
      << pod["spec"].dump();
  EXPECT_EQ(pod["spec"].value("nodeName", ""), "") << "a Pod was scheduled before its claim was bound";

  CreateVolume(class_name + "-pv", class_name);  // the claim binds; its watch event brings the workspace back
  // Measured: Running 3.1 s after the volume appears once, more than 10 s once (TFWS_E2E_WAIT_LOG=1):
  // the PV controller binds an unbound claim at its periodic sync (15 s by default), then scheduler
  // and kwok; so 30 s, 2x that period.
  ExpectPhase("claim-first", "Running", seconds(30));
  pod = c().Get(res::kPods, ns(), "claim-first");
  EXPECT_FALSE(pod["spec"].contains("schedulingGates") && !pod["spec"]["schedulingGates"].empty())
      << "the gate is removed once the claim is Bound: " << pod["spec"].dump();
  EXPECT_TRUE(pod["metadata"].value("annotations", Json::object()).contains("tfws.io/claims-bound-at"))
      << "the progress deadline counts from the claim's binding: " << pod["metadata"].dump();
}

TEST_F(WorkspaceClaimOrder, AWaitForFirstConsumerClaimGetsItsPodAtOnce) {
  const std::string class_name = UniqueName("e2e-wffc");
  c().Create(kStorageClasses, "",
             {{"apiVersion", "storage.k8s.io/v1"},
              {"kind", "StorageClass"},
              {"metadata", {{"name", class_name}}},
              {"provisioner", "kubernetes.io/no-provisioner"},
              {"volumeBindingMode", "WaitForFirstConsumer"}});
  cluster_objects_.emplace_back(kStorageClasses, class_name);
  CreateVolume(class_name + "-pv", class_name);
  CreateWorkspace("pod-first", SpecWithClass(class_name));
  // The claim binds only once the scheduler placed the Pod, so the Pod must come first. Measured:
  // Running in 1.3 s (TFWS_E2E_WAIT_LOG=1, 2 runs; ~4 s before); 10 s.
  ExpectPhase("pod-first", "Running", seconds(10));
}

}  // namespace
}  // namespace tfws::e2e
