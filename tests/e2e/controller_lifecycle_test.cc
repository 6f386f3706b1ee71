// The TFWorkspace controller end to end (issue 4, "Tests"): the real
// tfws-operator binary (one process per suite) against hack/testenv.
// Each test's name states the behaviour it proves.
//
// Timeouts are about twice the longest time measured (TFWS_E2E_WAIT_LOG=1,
// 3 runs on 2 cores shared with 3 other builds and clusters), and at least
// 5 s for a step of the operator alone (a watch event, one pass) and 10 s for
// one that also waits on another controller (PV binding, scheduler, kwok,
// garbage collector, quota controller), so a loaded CI machine still passes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "kube/api_error.h"
#include "operator_process.h"
#include "testenv_fixture.h"
#include "workspace/manifest.h"

namespace tfws::e2e {
namespace {

namespace fs = std::filesystem;
namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;
using ::testing::AnyOf;
using ::testing::HasSubstr;

// A phase reached after a create, stop, start or restart: it waits on the
// claim's binding, the scheduler or kwok. Measured 0.0-0.6 s.
constexpr seconds kPhaseChange{10};

// Expects an ownerReference with controller=true pointing at the workspace.
void ExpectOwnedBy(const Json& child, const Json& ws, const std::string& what) {
  bool found = false;
  for (const Json& ref : child["metadata"].value("ownerReferences", Json::array())) {
    if (ref.value("uid", "") == ws["metadata"]["uid"].get<std::string>()) {
      found = true;
      EXPECT_EQ(ref.value("kind", ""), "TFWorkspace") << what;
      EXPECT_TRUE(ref.value("controller", false)) << what << ": ownerReference without controller=true: " << ref.dump();
    }
  }
  EXPECT_TRUE(found) << what << " has no ownerReference to workspace uid " << ws["metadata"]["uid"]
                     << "; ownerReferences: " << child["metadata"].value("ownerReferences", Json::array()).dump();
}

class ControllerLifecycle : public ControllerTest {
 protected:
  // A CpuSpec() workspace named "<prefix>-<random>", waited for until Running.
  std::string CreateRunningWorkspace(const std::string& prefix) {
    const std::string name = UniqueName(prefix);
    CreateWorkspace(name, CpuSpec());
    ExpectPhase(name, "Running", kPhaseChange);
    return name;
  }
  Json MakePvc(const std::string& name, const std::string& size) {
    return {{"apiVersion", "v1"},
            {"kind", "PersistentVolumeClaim"},
            {"metadata", {{"name", name}, {"namespace", ns()}}},
            {"spec",
             {{"accessModes", Json::array({"ReadWriteMany"})},
              {"resources", {{"requests", {{"storage", size}}}}}}}};
  }
};

TEST_F(ControllerLifecycle, EveryExampleReachesItsPhaseUnderPodSecurityRestrictedWithOwnedChildren) {
  // Pod Security "restricted" enforced: any pod that does not pass is refused at admission.
  kube::PatchOptions popts;
  popts.field_manager = "tfws-e2e";
  c().Patch(res::kNamespaces, "", ns(), kube::PatchType::kMerge,
            {{"metadata",
              {{"labels",
                {{"pod-security.kubernetes.io/enforce", "restricted"},
                 {"pod-security.kubernetes.io/enforce-version", "latest"}}}}}},
            popts);
  // What the examples refer to: dataset claims and the Ingress TLS Secret.
  c().Create(res::kPersistentVolumeClaims, ns(), MakePvc("imagenet-train", "1Gi"));
  c().Create(res::kPersistentVolumeClaims, ns(), MakePvc("coco-2017", "1Gi"));
  c().Create(res::kSecrets, ns(),
             {{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", "jupyter-example-com-tls"}, {"namespace", ns()}}},
              {"type", "kubernetes.io/tls"},
              {"stringData", {{"tls.crt", "dummy"}, {"tls.key", "dummy"}}}});

  std::map<std::string, std::string> expected;  // workspace name -> phase
  std::map<std::string, std::string> file_of;
  for (const auto& entry : fs::directory_iterator(fs::path(TFWS_SOURCE_DIR) / "examples")) {
    if (entry.path().extension() != ".yaml") continue;
    for (Json doc : workspace::ReadManifestFile(entry.path().string())) {
      if (doc.value("kind", "") != "TFWorkspace") continue;
      doc["metadata"]["namespace"] = ns();
      const std::string name = doc["metadata"]["name"];
      expected[name] = entry.path().filename() == "stopped.yaml" ? "Stopped" : "Running";
      file_of[name] = entry.path().filename().string();
      try {
        c().Create(res::kTFWorkspaces, ns(), doc);
      } catch (const kube::ApiError& e) {
        ADD_FAILURE() << entry.path() << " refused by the API server: " << e.what();
      }
    }
  }
  ASSERT_GE(expected.size(), 7u) << "expected at least the 7 examples of issue 4";

  std::map<std::string, std::string> last;
  bool all = WaitFor(
      [&] {
        bool done = true;
        for (const auto& [name, phase] : expected) {
          Json ws = GetWorkspace(name);
          last[name] = DescribeStatus(ws);
          if (Phase(ws) != phase) done = false;
        }
        return done;
      },
      seconds(10), std::chrono::milliseconds(500));  // measured: all within 1.4-3.8 s
  if (!all) {
    std::string report;
    for (const auto& [name, phase] : expected) report += "[" + file_of[name] + " wants " + phase + "] " + last[name] + "\n";
    // Pods refused by Pod Security admission show up as events/status; the operator log tells too.
    ADD_FAILURE() << "not every example reached its phase within 10s:\n" << report << op().Tail(3000);
  }

  for (const auto& [name, phase] : expected) {
    SCOPED_TRACE(file_of[name]);
    Json ws = GetWorkspace(name);
    if (phase == "Running") {
      Json pod = c().Get(res::kPods, ns(), name);
      ExpectOwnedBy(pod, ws, "Pod " + name);
      EXPECT_EQ(pod["status"].value("phase", ""), "Running");
    } else {
      EXPECT_FALSE(Exists(c(), res::kPods, ns(), name)) << "a stopped workspace has no Pod";
    }
    ExpectOwnedBy(c().Get(res::kServices, ns(), name), ws, "Service " + name);
    ExpectOwnedBy(c().Get(res::kNetworkPolicies, ns(), name), ws, "NetworkPolicy " + name);
    const bool generated_token = !ws["spec"].contains("jupyter") || ws["spec"]["jupyter"].value("auth", "token") == "token";
    if (generated_token && !ws["spec"].value("jupyter", Json::object()).contains("tokenSecretRef")) {
      ExpectOwnedBy(c().Get(res::kSecrets, ns(), name + "-token"), ws, "Secret " + name + "-token");
    }
    if (!ws["spec"]["storage"].value("workspace", Json::object()).contains("existingClaim")) {
      Json pvc = c().Get(res::kPersistentVolumeClaims, ns(), name + "-home");
      if (ws["spec"]["storage"].value("reclaimPolicy", "Retain") == "Delete") {
        ExpectOwnedBy(pvc, ws, "PVC " + name + "-home");
      } else {
        // Retain: no ownerReference, so the garbage collector never takes the user's work.
        EXPECT_EQ(pvc["metadata"].value("ownerReferences", Json::array()).size(), 0u)
            << "a kept (Retain) PVC must not be owned: " << pvc["metadata"]["ownerReferences"].dump();
      }
    }
    if (ws["spec"].value("ingress", Json::object()).value("enabled", false)) {
      ExpectOwnedBy(c().Get(res::kIngresses, ns(), name), ws, "Ingress " + name);
    }
  }
}

TEST_F(ControllerLifecycle, DeletedPodServiceOrTokenSecretIsRecreated) {
  const std::string name = CreateRunningWorkspace("heal");
  ASSERT_FALSE(HasFailure());

  const std::string pod_uid = UidOf(c(), res::kPods, ns(), name);
  c().Delete(res::kPods, ns(), name, {.grace_period_seconds = 0});
  EXPECT_TRUE(WaitFor(
      [&] {
        std::string uid = UidOf(c(), res::kPods, ns(), name);
        return !uid.empty() && uid != pod_uid;
      },
      seconds(5)))  // measured 0.1-0.2 s
      << "the deleted Pod was not recreated within 5s\n"
      << op().Tail(2000);
  ExpectPhase(name, "Running", kPhaseChange);

  const std::string svc_uid = UidOf(c(), res::kServices, ns(), name);
  c().Delete(res::kServices, ns(), name);
  EXPECT_TRUE(WaitFor(
      [&] {
        std::string uid = UidOf(c(), res::kServices, ns(), name);
        return !uid.empty() && uid != svc_uid;
      },
      seconds(5)))  // measured 0.1 s
      << "the deleted Service was not recreated within 5s\n"
      << op().Tail(2000);

  const std::string secret = name + "-token";
  Json old_secret = c().Get(res::kSecrets, ns(), secret);
  c().Delete(res::kSecrets, ns(), secret);
  Json fresh;
  EXPECT_TRUE(WaitFor(
      [&] {
        fresh = c().Get(res::kSecrets, ns(), secret);
        return fresh["metadata"]["uid"] != old_secret["metadata"]["uid"];
      },
      seconds(5)))  // measured 0.0-0.1 s
      << "the deleted token Secret was not recreated within 5s\n"
      << op().Tail(2000);
  if (fresh.is_object() && fresh.contains("data")) {
    EXPECT_NE(fresh["data"], old_secret["data"]) << "the recreated Secret must hold a new random token";
  }
  ExpectPhase(name, "Running", kPhaseChange);
}

TEST_F(ControllerLifecycle, StopDeletesOnlyThePodAndResumeReusesTheSamePvc) {
  const std::string name = CreateRunningWorkspace("stop");
  ASSERT_FALSE(HasFailure());
  const std::string pvc_uid = UidOf(c(), res::kPersistentVolumeClaims, ns(), name + "-home");
  const std::string secret_uid = UidOf(c(), res::kSecrets, ns(), name + "-token");
  const std::string svc_uid = UidOf(c(), res::kServices, ns(), name);
  const std::string pod_uid = UidOf(c(), res::kPods, ns(), name);
  ASSERT_FALSE(pvc_uid.empty());
  ASSERT_FALSE(pod_uid.empty());

  PatchSpec(name, {{"stopped", true}});
  ExpectPhase(name, "Stopped", kPhaseChange);
  EXPECT_TRUE(WaitFor([&] { return !Exists(c(), res::kPods, ns(), name); }, seconds(5)))  // measured 0.0 s after Stopped
      << "Pod still exists after stop";
  EXPECT_EQ(UidOf(c(), res::kPersistentVolumeClaims, ns(), name + "-home"), pvc_uid) << "PVC must be kept";
  EXPECT_EQ(UidOf(c(), res::kSecrets, ns(), name + "-token"), secret_uid) << "token Secret must be kept";
  EXPECT_EQ(UidOf(c(), res::kServices, ns(), name), svc_uid) << "Service must be kept";

  PatchSpec(name, {{"stopped", false}});
  ExpectPhase(name, "Running", kPhaseChange);
  const std::string new_pod = UidOf(c(), res::kPods, ns(), name);
  EXPECT_FALSE(new_pod.empty());
  EXPECT_NE(new_pod, pod_uid);
  EXPECT_EQ(UidOf(c(), res::kPersistentVolumeClaims, ns(), name + "-home"), pvc_uid) << "resume must reuse the PVC";
  // The new Pod mounts that same claim.
  Json pod = c().Get(res::kPods, ns(), name);
  bool mounts_claim = false;
  for (const Json& v : pod["spec"].value("volumes", Json::array())) {
    if (v.contains("persistentVolumeClaim") && v["persistentVolumeClaim"].value("claimName", "") == name + "-home")
      mounts_claim = true;
  }
  EXPECT_TRUE(mounts_claim) << "resumed Pod does not mount " << name << "-home: " << pod["spec"]["volumes"].dump();
}

TEST_F(ControllerLifecycle, SpecChangeWhileRunningSetsPendingRestartAndRestartRequestReplacesThePod) {
  const std::string name = CreateRunningWorkspace("restart");
  ASSERT_FALSE(HasFailure());
  const std::string pod_uid = UidOf(c(), res::kPods, ns(), name);

  Json patched = PatchSpec(name, {{"env", Json::array({{{"name", "E2E_CHANGED"}, {"value", "1"}}})}});
  const int64_t generation = patched["metadata"]["generation"];
  Json ws;
  EXPECT_TRUE(WaitFor(
      [&] {
        ws = GetWorkspace(name);
        Json cond = Condition(ws, "PendingRestart");
        return ws["status"].value("observedGeneration", int64_t{0}) >= generation && cond.is_object() &&
               cond.value("status", "") == "True";
      },
      seconds(5)))  // measured 0.1 s
      << "PendingRestart did not become True after a spec change:\n"
      << DescribeStatus(ws) << "\n"
      << op().Tail(2000);
  std::this_thread::sleep_for(seconds(3));
  EXPECT_EQ(UidOf(c(), res::kPods, ns(), name), pod_uid) << "a spec change must never restart the Pod by itself";
  EXPECT_EQ(Phase(GetWorkspace(name)), "Running");

  RequestRestart(name);
  std::string new_uid;
  EXPECT_TRUE(WaitFor(
      [&] {
        new_uid = UidOf(c(), res::kPods, ns(), name);
        return !new_uid.empty() && new_uid != pod_uid;
      },
      seconds(10)))  // the Pod deleted (kwok) and created again: measured 0.1-0.3 s
      << "setting spec.restartedAt did not replace the Pod\n"
      << DescribeStatus(GetWorkspace(name)) << "\n"
      << op().Tail(2000);
  EXPECT_TRUE(WaitFor(
      [&] {
        ws = GetWorkspace(name);
        Json cond = Condition(ws, "PendingRestart");
        return Phase(ws) == "Running" && cond.is_object() && cond.value("status", "") == "False";
      },
      kPhaseChange))  // measured 0.0-0.4 s
      << "after the restart the workspace should be Running with PendingRestart=False:\n"
      << DescribeStatus(ws);
  Json pod = c().Get(res::kPods, ns(), name);
  EXPECT_THAT(pod["spec"]["containers"].dump(), HasSubstr("E2E_CHANGED")) << "the new Pod carries the changed env";
}

TEST_F(ControllerLifecycle, DeletingWorkspaceGarbageCollectsChildrenAndKeepsRetainedPvc) {
  const std::string keep = UniqueName("keep");
  const std::string drop = UniqueName("drop");
  CreateWorkspace(keep, CpuSpec());  // reclaimPolicy defaults to Retain
  Json drop_spec = CpuSpec();
  drop_spec["storage"]["reclaimPolicy"] = "Delete";
  CreateWorkspace(drop, drop_spec);
  ExpectPhase(keep, "Running", kPhaseChange);
  ExpectPhase(drop, "Running", kPhaseChange);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(GetWorkspace(keep)["spec"]["storage"].value("reclaimPolicy", ""), "Retain") << "schema default";
  const std::string keep_pvc = UidOf(c(), res::kPersistentVolumeClaims, ns(), keep + "-home");
  ASSERT_FALSE(keep_pvc.empty());

  c().Delete(res::kTFWorkspaces, ns(), keep);
  c().Delete(res::kTFWorkspaces, ns(), drop);
  auto gone = [&](const std::string& name) {
    return !Exists(c(), res::kTFWorkspaces, ns(), name) && !Exists(c(), res::kPods, ns(), name) &&
           !Exists(c(), res::kServices, ns(), name) && !Exists(c(), res::kSecrets, ns(), name + "-token") &&
           !Exists(c(), res::kNetworkPolicies, ns(), name);
  };
  // The garbage collector: measured 0.2 s for all children, then 0.0-0.1 s for the claim,
  // once it knows the TFWorkspace kind. On a cluster whose CRD was installed moments
  // ago (this test first after `testenv up`) it learns the kind at a discovery sync
  // (every 30 s in kube-controller-manager): measured 40.8 s then. 90 s is ~2x that.
  EXPECT_TRUE(WaitFor([&] { return gone(keep) && gone(drop); }, seconds(90)))
      << "children were not garbage-collected within 90s";
  EXPECT_TRUE(WaitFor([&] { return !Exists(c(), res::kPersistentVolumeClaims, ns(), drop + "-home"); }, seconds(10)))
      << "reclaimPolicy Delete: PVC " << drop << "-home should be deleted with the workspace";
  // Give the garbage collector time to act on the kept claim if it wrongly were owned.
  std::this_thread::sleep_for(seconds(3));
  Json pvc;
  ASSERT_NO_THROW(pvc = c().Get(res::kPersistentVolumeClaims, ns(), keep + "-home"))
      << "reclaimPolicy Retain: PVC " << keep << "-home must survive the workspace";
  EXPECT_EQ(pvc["metadata"].value("uid", ""), keep_pvc);
  EXPECT_FALSE(pvc["metadata"].contains("deletionTimestamp")) << "kept PVC is being deleted";
}

TEST_F(ControllerLifecycle, GpuQuotaTooSmallShowsQuotaExceededAndRaisingItLetsTheWorkspaceRun) {
  Json quota = {{"apiVersion", "v1"},
                {"kind", "ResourceQuota"},
                {"metadata", {{"name", "gpu-quota"}, {"namespace", ns()}}},
                {"spec", {{"hard", {{"requests.nvidia.com/gpu", "1"}}}}}};
  c().Create(res::kResourceQuotas, ns(), quota);
  // Quota admission refuses pods until the quota controller has computed status.
  ASSERT_TRUE(WaitFor(
      [&] {
        Json q = c().Get(res::kResourceQuotas, ns(), "gpu-quota");
        return q.contains("status") && q["status"].contains("hard");
      },
      seconds(10)));  // the quota controller: measured 0.1 s

  const std::string name = UniqueName("quota");
  Json spec = {{"gpu", {{"count", 2}}}, {"storage", {{"workspace", {{"size", "1Gi"}}}}}};
  CreateWorkspace(name, spec);
  Json ws;
  EXPECT_TRUE(WaitFor(
      [&] {
        ws = GetWorkspace(name);
        Json cond = Condition(ws, "Scheduled");
        return cond.is_object() && cond.value("status", "") == "False" && cond.value("reason", "") == "QuotaExceeded";
      },
      seconds(5)))  // measured 0.4-0.8 s
      << "expected Scheduled=False reason QuotaExceeded:\n"
      << DescribeStatus(ws) << "\n"
      << op().Tail(2000);
  Json cond = Condition(ws, "Scheduled");
  if (cond.is_object()) {
    EXPECT_THAT(cond.value("message", ""), HasSubstr("exceeded quota"));
    EXPECT_THAT(cond.value("message", ""), HasSubstr("gpu-quota"));
    EXPECT_THAT(cond.value("message", ""), HasSubstr("requests.nvidia.com/gpu"));
  }
  EXPECT_NE(Phase(ws), "Running");
  EXPECT_FALSE(Exists(c(), res::kPods, ns(), name));

  kube::PatchOptions popts;
  popts.field_manager = "tfws-e2e";
  c().Patch(res::kResourceQuotas, ns(), "gpu-quota", kube::PatchType::kMerge,
            {{"spec", {{"hard", {{"requests.nvidia.com/gpu", "2"}}}}}}, popts);
  // The quota controller's new status, then a retry (or its follow-up 2 s
  // later when quota admission had not seen it yet): measured 0.3 s.
  ExpectPhase(name, "Running", seconds(10));
  ws = GetWorkspace(name);
  cond = Condition(ws, "Scheduled");
  ASSERT_TRUE(cond.is_object()) << DescribeStatus(ws);
  EXPECT_EQ(cond.value("status", ""), "True") << DescribeStatus(ws);
}

TEST_F(ControllerLifecycle, Tf29WorkspaceAskingForH100StaysPendingAndSaysWhy) {
  const std::string name = UniqueName("h100");
  Json spec = {{"gpu", {{"count", 1}, {"product", "NVIDIA-H100-80GB-HBM3"}}},
               {"storage", {{"workspace", {{"size", "1Gi"}}}}}};
  CreateWorkspace(name, spec);
  Json ws;
  // Wait until the status explains the unschedulable Pod.
  EXPECT_TRUE(WaitFor(
      [&] {
        ws = GetWorkspace(name);
        Json sched = Condition(ws, "Scheduled");
        return sched.is_object() && sched.value("status", "") == "False" && !sched.value("message", "").empty();
      },
      seconds(10)))  // the scheduler, then one pass: measured 0.1-0.2 s
      << "expected Scheduled=False with a message:\n"
      << DescribeStatus(ws) << "\n"
      << op().Tail(2000);
  std::this_thread::sleep_for(seconds(5));
  ws = GetWorkspace(name);
  EXPECT_EQ(Phase(ws), "Pending") << DescribeStatus(ws);
  Json sched = Condition(ws, "Scheduled");
  Json ready = Condition(ws, "Ready");
  const std::string why = (sched.is_object() ? sched.value("message", "") : "") + " | " +
                          (ready.is_object() ? ready.value("message", "") : "");
  EXPECT_THAT(why, AnyOf(HasSubstr("affinity"), HasSubstr("compute capability"), HasSubstr("selector")))
      << "the Scheduled/Ready message should say why no node fits: " << why;
  Json gpu = Condition(ws, "GPUCompatible");
  ASSERT_TRUE(gpu.is_object()) << "no GPUCompatible condition:\n" << DescribeStatus(ws);
  EXPECT_THAT(gpu.value("message", ""), HasSubstr("compute capability")) << DescribeStatus(ws);
  EXPECT_THAT(gpu.value("message", ""), HasSubstr("allowIncompatibleGPUs")) << DescribeStatus(ws);
  // The Pod exists but no node was chosen.
  Json pod = c().Get(res::kPods, ns(), name);
  EXPECT_FALSE(pod["spec"].contains("nodeName")) << "scheduled on " << pod["spec"].value("nodeName", "");
}

}  // namespace
}  // namespace tfws::e2e
