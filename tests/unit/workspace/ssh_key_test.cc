#include "workspace/ssh_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/workspace/workspace_fixture.h"

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;

TEST(OpenSshKey, AcceptsEd25519EcdsaAndKeysWithoutComment) {
  EXPECT_TRUE(IsOpenSshPublicKey(testing::kEd25519Key));
  EXPECT_TRUE(IsOpenSshPublicKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4"));
  EXPECT_TRUE(IsOpenSshPublicKey(
      "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCXLGt4AmwTuPjTUVajMcUEKz27507ZU62KLJ/"
      "6aQx5WeDCuG9mA8uNaSvKu2ZMIhugn0qZixhy9BcxocnM32oY= bob@desk"));
}

TEST(OpenSshKey, RejectsAPrivateKeyWithAHint) {
  EXPECT_THAT(OpenSshKeyProblem("-----BEGIN OPENSSH PRIVATE KEY-----").value_or(""), HasSubstr("private key"));
}

TEST(OpenSshKey, RejectsUnknownTypesBadBase64AndMismatchedBlobs) {
  EXPECT_THAT(OpenSshKeyProblem("ssh-dss AAAAB3NzaC1kc3MAAACBAP1 x").value_or(""), HasSubstr("unknown key type"));
  EXPECT_THAT(OpenSshKeyProblem("ssh-ed25519 not*base64").value_or(""), HasSubstr("not valid base64"));
  // An ed25519 blob labelled as RSA.
  EXPECT_THAT(OpenSshKeyProblem("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4")
                  .value_or(""),
              HasSubstr("does not match its type"));
  EXPECT_TRUE(OpenSshKeyProblem("ssh-ed25519").has_value());
  EXPECT_TRUE(OpenSshKeyProblem("").has_value());
  EXPECT_TRUE(OpenSshKeyProblem(testing::kEd25519Key + "\nssh-ed25519 AAAA").has_value());
}

TEST(AuthorizedKeys, SkipsCommentsAndBlankLinesAndReportsBadLinesByNumber) {
  AuthorizedKeysCheck check = CheckAuthorizedKeys("# team keys\n\n" + testing::kEd25519Key + "\nnot a key\n");
  EXPECT_EQ(check.keys.size(), 1u);
  ASSERT_EQ(check.problems.size(), 1u);
  EXPECT_THAT(check.problems[0], HasSubstr("line 4:"));
}

TEST(AuthorizedKeysSecret, NamesTheSecretTheFieldAndEachBadLine) {
  const std::string field = "spec.ssh.authorizedKeysSecretRef";
  EXPECT_EQ(AuthorizedKeysSecretProblem("team-keys", "authorized_keys", field, testing::kEd25519Key + "\n"), "");
  EXPECT_EQ(AuthorizedKeysSecretProblem("team-keys", "authorized_keys", field,
                                        testing::kEd25519Key + "\nssh-dss AAAA x\n\ncommand=\"id\" " + testing::kEd25519Key),
            "Secret \"team-keys\" key \"authorized_keys\" (spec.ssh.authorizedKeysSecretRef): line 2: unknown key type "
            "\"ssh-dss\" (expected ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or sk-...@openssh.com); line 4: "
            "unknown key type \"command=\"id\"\" (expected ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or "
            "sk-...@openssh.com): fix or remove these lines (SSH ignores them; the other 1 key(s) work)");
  EXPECT_THAT(AuthorizedKeysSecretProblem("k", "authorized_keys", field, "# nobody yet\n"),
              HasSubstr("holds no public key: add one per line"));
  std::string many;
  for (int i = 0; i < 7; ++i) many += "junk\n";
  EXPECT_THAT(AuthorizedKeysSecretProblem("k", "authorized_keys", field, many),
              HasSubstr("line 5: expected \"<type> <base64> [comment]\"; and 2 more: fix or remove these lines (SSH ignores them, and no valid key is left)"));
}

}  // namespace
}  // namespace tfws::workspace
