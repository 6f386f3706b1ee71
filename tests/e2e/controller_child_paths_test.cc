// How the operator treats a workspace's children beyond creating them:
// - new authorized keys patch the keys Secret (same object, new data);
// - reclaimPolicy Retain -> Delete patches the kept claim: it gets the workspace's ownerReference;
// - SSH off deletes the keys Secret and the SSH Service (a NodePort one); Ingress off deletes the Ingress;
// - each edit of a workspace whose Pod is not scheduled yet replaces the Pod, and the repeated
//   "Replacing" is one Event whose series counts them;
// - a foreign Ingress or NetworkPolicy holding a child's name is a NameConflict, found by one
//   uncached read after the create met AlreadyExists (the cache holds only the operator's objects).
// These are the operator's patch of Secrets, claims and Events, its delete of Secrets, Services and
// Ingresses and its get of Ingresses and NetworkPolicies, which the chart grants for exactly these
// paths (tests/e2e/rbac_coverage.py fails on a grant no e2e request used).
#include <gtest/gtest.h>

#include "kube/api_error.h"
#include "kube/base64.h"
#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;

const std::string kAliceKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 alice@laptop";
const std::string kBobKey =  // the same key under another comment: other keys, same validity
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 bob@desk";

class ControllerChildPaths : public ControllerTest {
 protected:
  // The decoded data of Secret `name`, all keys concatenated.
  std::string SecretText(const std::string& name) {
    std::string text;
    const Json data = c().Get(res::kSecrets, ns(), name).value("data", Json::object());
    for (const auto& [key, value] : data.items()) {
      std::string decoded;
      if (kube::DecodeBase64(value.get<std::string>(), decoded)) text += decoded;
    }
    return text;
  }
};

TEST_F(ControllerChildPaths, EditsPatchChildrenInPlaceAndTurningSshAndIngressOffDeletesTheirs) {
  const std::string name = "edits";
  Json spec = CpuSpec();
  spec["image"] = "tfws/tf29-workspace:0.1.0";  // an image with sshd (SSH is off for images without it)
  spec["ssh"] = {{"enabled", true}, {"authorizedKeys", {kAliceKey}}, {"serviceType", "NodePort"}};  // its own Service
  spec["ingress"] = {{"enabled", true}};
  CreateWorkspace(name, spec);
  // Each wait here is one or two passes of the operator: 5 s for a loaded CI machine. Measured
  // (TFWS_E2E_WAIT_LOG=1, 2 runs): every child within 0.3 s of the create.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Exists(c(), res::kSecrets, ns(), name + "-ssh") && Exists(c(), res::kServices, ns(), name + "-ssh") &&
               Exists(c(), res::kIngresses, ns(), name) && Exists(c(), res::kPersistentVolumeClaims, ns(), name + "-home");
      },
      seconds(5)))
      << DescribeStatus(GetWorkspace(name)) << "\n" << op().Tail(2000);
  const std::string keys_uid = UidOf(c(), res::kSecrets, ns(), name + "-ssh");
  const std::string claim_uid = UidOf(c(), res::kPersistentVolumeClaims, ns(), name + "-home");
  ASSERT_NE(SecretText(name + "-ssh").find("alice@laptop"), std::string::npos);
  ASSERT_FALSE(c().Get(res::kPersistentVolumeClaims, ns(), name + "-home")["metadata"].contains("ownerReferences"))
      << "reclaimPolicy Retain (the default) keeps the claim unowned";

  // New keys and reclaimPolicy Delete: the same Secret and claim, patched. Measured: 0.0-0.1 s.
  PatchSpec(name, {{"ssh", {{"authorizedKeys", {kBobKey}}}}, {"storage", {{"reclaimPolicy", "Delete"}}}});
  EXPECT_TRUE(WaitFor([&] { return SecretText(name + "-ssh").find("bob@desk") != std::string::npos; }, seconds(5)))
      << "the keys Secret still holds the old keys\n" << op().Tail(2000);
  EXPECT_EQ(UidOf(c(), res::kSecrets, ns(), name + "-ssh"), keys_uid) << "the keys Secret was replaced, not patched";
  const std::string workspace_uid = GetWorkspace(name)["metadata"].value("uid", "");
  EXPECT_TRUE(WaitFor(
      [&] {
        const Json refs = c().Get(res::kPersistentVolumeClaims, ns(), name + "-home")["metadata"].value(
            "ownerReferences", Json::array());
        return refs.size() == 1 && refs[0].value("uid", "") == workspace_uid;
      },
      seconds(5)))
      << "reclaimPolicy Delete did not give the claim the workspace's ownerReference\n" << op().Tail(2000);
  EXPECT_EQ(UidOf(c(), res::kPersistentVolumeClaims, ns(), name + "-home"), claim_uid);

  // SSH and the Ingress off: their children go, the rest stays. Measured: 0.1 s.
  PatchSpec(name, {{"ssh", {{"enabled", false}}}, {"ingress", {{"enabled", false}}}});
  EXPECT_TRUE(WaitFor(
      [&] {
        return !Exists(c(), res::kSecrets, ns(), name + "-ssh") && !Exists(c(), res::kServices, ns(), name + "-ssh") &&
               !Exists(c(), res::kIngresses, ns(), name);
      },
      seconds(5)))
      << "SSH off / Ingress off left children behind\n" << op().Tail(2000);
  EXPECT_TRUE(Exists(c(), res::kServices, ns(), name));
  EXPECT_TRUE(Exists(c(), res::kPersistentVolumeClaims, ns(), name + "-home"));
}

TEST_F(ControllerChildPaths, EditsOfAWorkspaceWhosePodIsNotScheduledReplaceItAndCountInOneEvent) {
  const std::string name = "unscheduled";
  Json spec = CpuSpec();
  spec["resources"]["requests"]["cpu"] = "500";  // more than any testenv node has: the Pod stays unscheduled
  CreateWorkspace(name, spec);
  std::string pod_uid;
  // Measured: the Pod within 0.1 s of each create or edit (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s.
  auto replaced = [&] {
    return WaitFor(
        [&] {
          const std::string uid = UidOf(c(), res::kPods, ns(), name);
          if (uid.empty() || uid == pod_uid) return false;
          pod_uid = uid;
          return true;
        },
        seconds(5));
  };
  ASSERT_TRUE(replaced()) << "no Pod\n" << op().Tail(2000);
  // The Replacing Event's series ({} before the first is written); the recorder writes
  // asynchronously (measured: 0.0 s, TFWS_E2E_WAIT_LOG=1, 2 runs; 5 s).
  auto replacing_series = [&](int count) {
    Json series;
    const bool seen = WaitFor(
        [&] {
          const Json events = c().List(res::kEvents, ns());
          for (const Json& e : events["items"]) {
            if (e["regarding"].value("name", "") != name || e.value("reason", "") != "Replacing") continue;
            series = e.value("series", Json::object());
            return series.value("count", 1) == count;
          }
          return false;
        },
        seconds(5));
    EXPECT_TRUE(seen) << "want one Replacing Event counting " << count << ", have series " << series.dump();
  };
  for (int edit = 1; edit <= 2; ++edit) {
    PatchSpec(name, {{"env", Json::array({{{"name", "E2E_EDIT"}, {"value", std::to_string(edit)}}})}});
    ASSERT_TRUE(replaced()) << "edit " << edit << " did not replace the unscheduled Pod\n" << op().Tail(2000);
    replacing_series(edit);  // the first is created, the second counted in it (a patch)
  }
}

TEST_F(ControllerChildPaths, AForeignIngressOrNetworkPolicyWithAChildsNameIsANameConflict) {
  const Json someone_else = {{"labels", {{"app", "someone-else"}}}};
  Json ingress = {{"apiVersion", "networking.k8s.io/v1"}, {"kind", "Ingress"}, {"metadata", someone_else}};
  ingress["metadata"]["name"] = "held-ingress";
  ingress["spec"] = {{"defaultBackend", {{"service", {{"name", "someone-else"}, {"port", {{"number", 80}}}}}}}};
  c().Create(res::kIngresses, ns(), ingress);
  Json policy = {{"apiVersion", "networking.k8s.io/v1"}, {"kind", "NetworkPolicy"}, {"metadata", someone_else}};
  policy["metadata"]["name"] = "held-policy";
  policy["spec"] = {{"podSelector", {{"matchLabels", {{"app", "someone-else"}}}}}};
  c().Create(res::kNetworkPolicies, ns(), policy);
  Json with_ingress = CpuSpec();
  with_ingress["ingress"] = {{"enabled", true}};
  CreateWorkspace("held-ingress", with_ingress);
  CreateWorkspace("held-policy", CpuSpec());

  for (const auto& [name, kind] : {std::pair{"held-ingress", "Ingress"}, std::pair{"held-policy", "NetworkPolicy"}}) {
    Json ws;
    // Measured: 0.0-0.2 s (both at once; TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s.
    EXPECT_TRUE(WaitFor(
        [&] {
          ws = GetWorkspace(name);
          const Json c = Condition(ws, "ConfigValid");
          return !c.is_null() && c.value("reason", "") == "NameConflict" &&
                 c.value("message", "").find(std::string(kind) + " \"" + name + "\"") != std::string::npos;
        },
        seconds(5)))
        << name << ": want ConfigValid=False/NameConflict naming " << kind << " \"" << name << "\", have "
        << DescribeStatus(ws) << "\n" << op().Tail(2000);
  }
  for (const char* name : {"held-ingress", "held-policy"}) {
    EXPECT_FALSE(Exists(c(), res::kPods, ns(), name)) << name << ": a workspace blocked by a NameConflict got a Pod";
  }
}

}  // namespace
}  // namespace tfws::e2e
