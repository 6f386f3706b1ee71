// Drift (issue 11): a workspace's Service deleted by hand and its
// NetworkPolicy's operator-set metadata edited by hand (its spec-hash
// annotation, its labels) are both restored within 10 s, and once restored the
// operator is quiet again (it compares only the fields it sets, so the
// server's defaults never look like drift). An edit of the spec alone of the
// Service, the NetworkPolicy and the Ingress is restored too: the cache keeps
// of each only the fields the operator's field manager owns, and a field
// changed by hand changes owner. Owned Secrets' data: see the last two tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "kube/api_error.h"
#include "kube/base64.h"
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

  // A workspace with SSH on (its generated token, host key and authorized-keys Secrets).
  void CreateSshWorkspace(const std::string& name) {
    Json spec = CpuSpec();
    spec["image"] = "tfws/tf29-workspace:0.1.0";
    spec["ssh"] = {{"enabled", true},
                   {"authorizedKeys", {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 a@b"}}};
    CreateWorkspace(name, spec);
  }
};

TEST_F(ControllerDrift, ADeletedServiceAndAnEditedNetworkPolicyAreRestored) {
  CreateWorkspace("drift", CpuSpec());
  ExpectPhase("drift", "Running", seconds(10));  // measured 0.3 s (TFWS_E2E_WAIT_LOG=1, 2 runs)
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

  // Measured: both back within 0.0-0.5 s (a watch event, one pass; TFWS_E2E_WAIT_LOG=1, 3 runs); 10 s
  // is the bound issue 11 sets for drift.
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
  ExpectPhase("spec-drift", "Running", seconds(10));  // measured 0.3 s (TFWS_E2E_WAIT_LOG=1, 2 runs)
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
  CreateSshWorkspace("secret-drift");
  ExpectPhase("secret-drift", "Running", seconds(10));  // measured 0.3 s (TFWS_E2E_WAIT_LOG=1, 2 runs)
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
  // Measured: 0.1 s (TFWS_E2E_WAIT_LOG=1, 2 runs; the comment here said ~2 s): the old Pod
  // deleted, the new one scheduled and started by kwok; 10 s, as for every wait on other controllers.
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

// A hand edit of the SSH host key: status.sshHostKeyFingerprint becomes the
// new key's (one read of the Secret, one annotation patch), and a value that
// is not an OpenSSH private key is named in ConfigValid.
TEST_F(ControllerDrift, AnEditedHostKeyShowsItsFingerprintAndAnInvalidOneIsNamed) {
  CreateSshWorkspace("host-key");
  ExpectPhase("host-key", "Running", seconds(10));  // measured 0.3 s (TFWS_E2E_WAIT_LOG=1, 2 runs)
  ASSERT_FALSE(HasFailure());
  const std::string generated = GetWorkspace("host-key")["status"].value("sshHostKeyFingerprint", "");
  ASSERT_FALSE(generated.empty());

  // A new key, as its owner would make one; ssh-keygen prints its fingerprint.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / UniqueName("tfws-host-key");
  fs::create_directories(dir);
  const std::string key = (dir / "key").string();
  std::string listed;
  ASSERT_EQ(RunCommand("ssh-keygen -q -t ed25519 -N '' -C by-hand -f '" + key + "' </dev/null >/dev/null && ssh-keygen -l -f '" +
                           key + "'",
                       &listed),
            0);
  std::string bits, fingerprint;  // "256 SHA256:... by-hand (ED25519)"
  std::istringstream(listed) >> bits >> fingerprint;
  const auto file = [](const std::string& path) {
    std::ostringstream text;
    text << std::ifstream(path).rdbuf();
    return text.str();
  };
  const Json data = {{"ssh_host_ed25519_key", kube::Base64Encode(file(key))},
                     {"ssh_host_ed25519_key.pub", kube::Base64Encode(file(key + ".pub"))}};
  fs::remove_all(dir);
  ASSERT_NE(fingerprint, generated);

  kube::PatchOptions by_hand;
  by_hand.field_manager = "someone-by-hand";
  c().Patch(res::kSecrets, ns(), "host-key-ssh-host", kube::PatchType::kMerge, {{"data", data}}, by_hand);
  std::string shown;
  // Measured: 0.1 s (TFWS_E2E_WAIT_LOG=1, 2 runs: a watch event, one read, one patch); 5 s.
  EXPECT_TRUE(WaitFor(
      [&] {
        shown = GetWorkspace("host-key")["status"].value("sshHostKeyFingerprint", "");
        return shown == fingerprint;
      },
      seconds(5)))
      << "status shows " << shown << ", the new key is " << fingerprint << "\n" << op().Tail(2000);
  EXPECT_EQ(Condition(GetWorkspace("host-key"), "PendingRestart").value("reason", ""), "SecretChanged");
  ExpectNoWritesFor(seconds(5), "the new fingerprint");  // recorded means settled

  // Not a key: named, with the fix; nothing else changes.
  c().Patch(res::kSecrets, ns(), "host-key-ssh-host", kube::PatchType::kMerge,
            {{"data", {{"ssh_host_ed25519_key", kube::Base64Encode("not a key\n")}}}}, by_hand);
  Json config;
  // Measured: 0.1 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s.
  EXPECT_TRUE(WaitFor(
      [&] {
        config = Condition(GetWorkspace("host-key"), "ConfigValid");
        return config.value("reason", "") == "InvalidSshHostKey";
      },
      seconds(5)))
      << config.dump() << "\n" << op().Tail(2000);
  const std::string message = config.value("message", "");
  EXPECT_NE(message.find("Secret \"host-key-ssh-host\" key \"ssh_host_ed25519_key\""), std::string::npos) << message;
  EXPECT_NE(message.find("ssh-keygen -t ed25519"), std::string::npos) << message;
  EXPECT_EQ(GetWorkspace("host-key")["status"].value("sshHostKeyFingerprint", ""), "") << "no fingerprint for no key";
}

}  // namespace
}  // namespace tfws::e2e
