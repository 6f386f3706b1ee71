// SSH of a workspace end to end, on the operator's side (the real operator
// against hack/testenv; sshd itself is tested with the image's files in
// tests/contract/image_sshd.sh):
// - the host key Secret is generated once: its fingerprint is in status, a
//   Pod restart keeps the Secret, the key and the fingerprint;
// - keys from ssh.authorizedKeysSecretRef are checked like inline keys: a bad
//   line is named in ConfigValid with its line number, fixing it clears it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/base64.h"
#include "operator_process.h"
#include "testenv_fixture.h"
#include "workspace/ssh_host_keys.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const std::string kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 alice@laptop";

class WorkspaceSsh : public ControllerTest {
 protected:
  static Json SshSpec(const Json& ssh) {
    Json spec = CpuSpec();
    spec["image"] = "tfws/tf29-workspace:0.1.0";
    spec["ssh"] = ssh;
    return spec;
  }
  std::string Fingerprint(const std::string& name) {
    return GetWorkspace(name)["status"].value("sshHostKeyFingerprint", "");
  }
};

TEST_F(WorkspaceSsh, HostKeyIsGeneratedOnceAndItsFingerprintSurvivesAPodRestart) {
  const std::string name = UniqueName("sshkey");
  CreateWorkspace(name, SshSpec({{"enabled", true}, {"authorizedKeys", {kKey}}}));
  ExpectPhase(name, "Running", seconds(10));  // measured 0.3 s (TFWS_E2E_WAIT_LOG=1)
  ASSERT_FALSE(HasFailure());
  std::string fingerprint;
  // Written with the first status: there by the time it is Running (measured 0.0 s).
  EXPECT_TRUE(WaitFor([&] { return !(fingerprint = Fingerprint(name)).empty(); }, seconds(5)))
      << DescribeStatus(GetWorkspace(name));
  EXPECT_THAT(fingerprint, MatchesRegex("SHA256:[A-Za-z0-9+/]{43}"));

  const Json secret = c().Get(res::kSecrets, ns(), name + "-ssh-host");
  std::string public_key, private_key;
  ASSERT_TRUE(kube::DecodeBase64(secret["data"].value(workspace::kHostKeyPublicKey, ""), public_key));
  ASSERT_TRUE(kube::DecodeBase64(secret["data"].value(workspace::kHostKeyPrivateKey, ""), private_key));
  EXPECT_EQ(workspace::SshKeyFingerprint(public_key), fingerprint) << "status shows the key of the Secret";
  EXPECT_THAT(private_key, HasSubstr("BEGIN OPENSSH PRIVATE KEY"));
  const Json pod = c().Get(res::kPods, ns(), name);
  EXPECT_THAT(pod["spec"]["volumes"].dump(), HasSubstr("\"secretName\":\"" + name + "-ssh-host\""));

  const std::string pod_uid = UidOf(c(), res::kPods, ns(), name);
  RequestRestart(name);
  EXPECT_TRUE(WaitFor(
      [&] {
        const std::string uid = UidOf(c(), res::kPods, ns(), name);
        return !uid.empty() && uid != pod_uid && Phase(GetWorkspace(name)) == "Running";
      },
      seconds(10)))  // the Pod deleted and created again: measured 0.3 s
      << "the restart did not replace the Pod\n" << DescribeStatus(GetWorkspace(name));
  EXPECT_EQ(Fingerprint(name), fingerprint) << "the host key changed across a Pod restart";
  EXPECT_EQ(c().Get(res::kSecrets, ns(), name + "-ssh-host")["data"], secret["data"]);
}

TEST_F(WorkspaceSsh, BadLinesInTheKeysSecretAreNamedInConfigValidByLineNumber) {
  const std::string name = UniqueName("sshsecret");
  const std::string secret = name + "-team-keys";
  auto put_keys = [&](const std::string& text) {
    kube::PatchOptions options;
    options.field_manager = "tfws-e2e";
    options.force = true;
    c().Apply(res::kSecrets, ns(),
              {{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", {{"name", secret}, {"namespace", ns()}}},
               {"stringData", {{"authorized_keys", text}}}},
              options);
  };
  put_keys("# team keys\n" + kKey + "\nssh-dss AAAAB3NzaC1kc3M= old@box\n");
  CreateWorkspace(name, SshSpec({{"enabled", true}, {"authorizedKeysSecretRef", {{"name", secret}}}}));
  Json ws, cond;
  // The operator reads the Secret in its first pass: measured 0.1 s.
  EXPECT_TRUE(WaitFor(
      [&] {
        ws = GetWorkspace(name);
        cond = Condition(ws, "ConfigValid");
        return cond.is_object() && cond.value("status", "") == "False";
      },
      seconds(5)))
      << DescribeStatus(ws);
  EXPECT_EQ(cond.value("reason", ""), "InvalidAuthorizedKeys");
  EXPECT_THAT(cond.value("message", ""),
              HasSubstr("Secret \"" + secret + "\" key \"authorized_keys\" (spec.ssh.authorizedKeysSecretRef): line 3: "
                        "unknown key type \"ssh-dss\""));
  ExpectPhase(name, "Running", seconds(10));  // the valid key still works: not a blocker (measured 0.3 s)

  put_keys("# team keys\n" + kKey + "\n");
  // Unwatched user Secrets are re-read within the 30 s requeue of a workspace
  // with a problem: measured 29.8 s.
  EXPECT_TRUE(WaitFor(
      [&] {
        ws = GetWorkspace(name);
        cond = Condition(ws, "ConfigValid");
        return cond.is_object() && cond.value("status", "") == "True";
      },
      seconds(60)))
      << DescribeStatus(ws);
}

}  // namespace
}  // namespace tfws::e2e
