// Drift (issue 11): a workspace's Service deleted by hand and its
// NetworkPolicy's operator-set metadata edited by hand (its spec-hash
// annotation, its labels) are both restored within 10 s, and once restored the
// operator is quiet again (it compares only the fields it sets, so the
// server's defaults never look like drift). An edit of the spec alone of the
// Service, the NetworkPolicy and the Ingress is restored too: the cache keeps
// of each only the fields the operator's field manager owns, and a field
// changed by hand changes owner. Owned Secrets' data: see the last test.
#include <gtest/gtest.h>

#include <iostream>
#include <thread>

#include "kube/api_error.h"
#include "operator_process.h"
#include "operator_writes.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;

class ControllerDrift : public ControllerTest {
 protected:
  // The operator writes nothing in this test's namespace for `quiet`.
  void ExpectNoWritesFor(seconds quiet, const std::string& after) {
    const std::uintmax_t mark = AuditLogSize();
    std::this_thread::sleep_for(quiet);
    const auto writes = OperatorWritesIn(ns(), mark);
    EXPECT_TRUE(writes.empty()) << "writes after " << after << ":\n" << Describe(writes) << op().Tail(3000);
  }
};

TEST_F(ControllerDrift, ADeletedServiceAndAnEditedNetworkPolicyAreRestored) {
  CreateWorkspace("drift", CpuSpec());
  ExpectPhase("drift", "Running");
  ASSERT_FALSE(HasFailure());
  const Json policy = c().Get(res::kNetworkPolicies, ns(), "drift");
  const std::string service_uid = UidOf(c(), res::kServices, ns(), "drift");

  c().Delete(res::kServices, ns(), "drift");
  kube::PatchOptions by_hand;
  by_hand.field_manager = "someone-by-hand";
  c().Patch(res::kNetworkPolicies, ns(), "drift", kube::PatchType::kMerge,
            {{"metadata", {{"annotations", {{"tfws.io/spec-hash", "edited"}}}}},
             {"spec", {{"ingress", Json::array({{{"from", Json::array({{{"ipBlock", {{"cidr", "0.0.0.0/0"}}}}})}}})}}}},
            by_hand);

  // Measured: both back within ~1 s (a watch event, one pass).
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::string uid = UidOf(c(), res::kServices, ns(), "drift");
        return !uid.empty() && uid != service_uid;
      },
      seconds(10)))
      << "the deleted Service was not re-created\n" << op().Tail(2000);
  Json now;
  EXPECT_TRUE(WaitFor(
      [&] {
        now = c().Get(res::kNetworkPolicies, ns(), "drift");
        return now["spec"] == policy["spec"];
      },
      seconds(10)))
      << "the NetworkPolicy was not restored: " << now["spec"].dump() << "\nwant " << policy["spec"].dump() << "\n"
      << op().Tail(2000);
  std::cout << "restored after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms\n";
  EXPECT_EQ(Phase(GetWorkspace("drift")), "Running");

  ExpectNoWritesFor(seconds(10), "the restore");  // restored means settled
}

TEST_F(ControllerDrift, ASpecOnlyEditOfEachChildIsRestored) {
  Json spec = CpuSpec();
  spec["ingress"] = {{"enabled", true}, {"host", "drift.example.com"}};
  CreateWorkspace("spec-drift", spec);
  ExpectPhase("spec-drift", "Running");
  ASSERT_FALSE(HasFailure());
  const Json service = c().Get(res::kServices, ns(), "spec-drift");
  const Json policy = c().Get(res::kNetworkPolicies, ns(), "spec-drift");
  const Json ingress = c().Get(res::kIngresses, ns(), "spec-drift");

  kube::PatchOptions by_hand;
  by_hand.field_manager = "someone-by-hand";
  const auto started = std::chrono::steady_clock::now();
  c().Patch(res::kServices, ns(), "spec-drift", kube::PatchType::kMerge,
            {{"spec", {{"selector", {{"app", "someone-else"}}}}}}, by_hand);
  c().Patch(res::kNetworkPolicies, ns(), "spec-drift", kube::PatchType::kMerge,
            {{"spec", {{"ingress", Json::array({{{"from", Json::array({{{"ipBlock", {{"cidr", "0.0.0.0/0"}}}}})}}})}}}},
            by_hand);
  Json rules = ingress["spec"]["rules"];
  rules[0]["host"] = "elsewhere.example.com";
  c().Patch(res::kIngresses, ns(), "spec-drift", kube::PatchType::kMerge, {{"spec", {{"rules", rules}}}}, by_hand);

  // Measured: all three back 30-170 ms after the last edit (4 runs on 2 busy cores: a watch
  // event, one pass each); 2 s leaves room for a pass queued behind others.
  const std::vector<std::pair<const kube::Resource*, Json>> children = {
      {&res::kServices, service}, {&res::kNetworkPolicies, policy}, {&res::kIngresses, ingress}};
  for (const auto& [resource, before] : children) {
    Json now;
    EXPECT_TRUE(WaitFor(
        [&] {
          now = c().Get(*resource, ns(), "spec-drift");
          return now["spec"] == before["spec"];
        },
        seconds(2)))
        << resource->kind << " was not restored: " << now["spec"].dump() << "\nwant " << before["spec"].dump() << "\n"
        << op().Tail(2000);
  }
  std::cout << "spec edits restored after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms\n";

  ExpectNoWritesFor(seconds(10), "the restore");  // restored means settled
}

// Owned Secrets' data (the cache holds only a digest of it): the generated
// token and host key are read by the Pod at start, so a hand edit (a token
// rotation) is kept and reported as PendingRestart/SecretChanged until a
// restart picks it up; the authorized-keys Secret is rendered from the spec,
// so a hand edit of its data is restored.
TEST_F(ControllerDrift, AnEditedTokenSecretAsksForARestartAndAnEditedKeysSecretIsRestored) {
  Json spec = CpuSpec();
  spec["image"] = "tfws/tf29-workspace:0.1.0";
  spec["ssh"] = {{"enabled", true},
                 {"authorizedKeys", {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 a@b"}}};
  CreateWorkspace("secret-drift", spec);
  ExpectPhase("secret-drift", "Running");
  ASSERT_FALSE(HasFailure());
  const Json keys = c().Get(res::kSecrets, ns(), "secret-drift-ssh");
  const std::string pod_uid = UidOf(c(), res::kPods, ns(), "secret-drift");

  kube::PatchOptions by_hand;
  by_hand.field_manager = "someone-by-hand";
  const auto started = std::chrono::steady_clock::now();
  const Json rotated = {{"token", "cm90YXRlZC1ieS1oYW5k"}};  // base64 "rotated-by-hand"
  c().Patch(res::kSecrets, ns(), "secret-drift-token", kube::PatchType::kMerge, {{"data", rotated}}, by_hand);
  c().Patch(res::kSecrets, ns(), "secret-drift-ssh", kube::PatchType::kMerge,
            {{"data", {{"authorized_keys", "c3NoLXJzYSBBQUFBIG1hbGxvcnlAZXZpbAo="}}}}, by_hand);

  // Measured: both seen ~100 ms after the edits (a watch event, one pass);
  // 2 s leaves room for a pass queued behind others.
  Json pending;
  EXPECT_TRUE(WaitFor(
      [&] {
        pending = Condition(GetWorkspace("secret-drift"), "PendingRestart");
        return pending.value("status", "") == "True";
      },
      seconds(2)))
      << "no PendingRestart after the token Secret changed: " << pending.dump() << "\n" << op().Tail(2000);
  EXPECT_EQ(pending.value("reason", ""), "SecretChanged");
  EXPECT_NE(pending.value("message", "").find("token Secret \"secret-drift-token\" changed"), std::string::npos)
      << pending.dump();
  Json now;
  EXPECT_TRUE(WaitFor(
      [&] {
        now = c().Get(res::kSecrets, ns(), "secret-drift-ssh");
        return now["data"] == keys["data"];
      },
      seconds(2)))
      << "the authorized-keys Secret was not restored: " << now["data"].dump() << "\n" << op().Tail(2000);
  std::cout << "secret edits seen after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms\n";
  EXPECT_EQ(c().Get(res::kSecrets, ns(), "secret-drift-token")["data"], rotated) << "a rotation is the user's to make";
  EXPECT_EQ(UidOf(c(), res::kPods, ns(), "secret-drift"), pod_uid) << "never a surprise restart";
  EXPECT_EQ(Phase(GetWorkspace("secret-drift")), "Running");

  ExpectNoWritesFor(seconds(10), "the report");  // reported means settled

  // A restart picks the rotated token up: PendingRestart clears.
  c().Patch(res::kTFWorkspaces, ns(), "secret-drift", kube::PatchType::kMerge,
            {{"spec", {{"restartedAt", "2026-11-29T10:00:00Z"}}}});
  // Measured: ~2 s (the old Pod deleted, the new one scheduled and started by kwok).
  const auto restarted = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitFor(
      [&] {
        pending = Condition(GetWorkspace("secret-drift"), "PendingRestart");
        return pending.value("status", "") == "False" && UidOf(c(), res::kPods, ns(), "secret-drift") != pod_uid;
      },
      seconds(10)))
      << "PendingRestart did not clear after the restart: " << pending.dump() << "\n" << op().Tail(2000);
  std::cout << "PendingRestart cleared "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarted).count()
            << " ms after the restart request\n";
}

}  // namespace
}  // namespace tfws::e2e
