// Host keys the operator generates, checked with OpenSSH's own ssh-keygen
// (the same key parser sshd uses): it loads the private key file, derives the
// same public key from it, and prints the same SHA256 fingerprint.
#include "workspace/ssh_host_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "unit/workspace/workspace_fixture.h"

namespace tfws::workspace {
namespace {

namespace fs = std::filesystem;
using ::testing::EndsWith;
using ::testing::StartsWith;

// Runs a command, returns its stdout (first line); "" when it failed.
std::string FirstLineOf(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[512];
    if (std::fgets(buf, sizeof buf, p)) out = buf;
    if (::pclose(p) != 0) return "";
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string Field(const std::string& line, int n) {
  std::istringstream in(line);
  std::string field;
  for (int i = 0; i <= n; ++i) in >> field;
  return field;
}

TEST(SshHostKeys, OpenSshLoadsTheGeneratedKeyAndAgreesOnItsPublicKeyAndFingerprint) {
  const SshHostKey key = GenerateSshHostKey("tfws team-a/alice");
  EXPECT_THAT(key.private_key, StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  EXPECT_THAT(key.private_key, EndsWith("-----END OPENSSH PRIVATE KEY-----\n"));
  EXPECT_THAT(key.public_key, StartsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
  EXPECT_THAT(key.public_key, EndsWith(" tfws team-a/alice\n"));

  const fs::path dir = fs::temp_directory_path() / ("tfws-hostkey-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path priv = dir / kHostKeyPrivateKey, pub = dir / kHostKeyPublicKey;
  std::ofstream(priv) << key.private_key;
  std::ofstream(pub) << key.public_key;
  fs::permissions(priv, fs::perms::owner_read | fs::perms::owner_write);

  const std::string derived = FirstLineOf("ssh-keygen -y -f '" + priv.string() + "'");
  ASSERT_FALSE(derived.empty()) << "ssh-keygen could not load the private key:\n" << key.public_key;
  EXPECT_EQ(Field(derived, 0) + " " + Field(derived, 1), Field(key.public_key, 0) + " " + Field(key.public_key, 1));

  const std::string listed = FirstLineOf("ssh-keygen -l -f '" + priv.string() + "'");
  ASSERT_FALSE(listed.empty());
  EXPECT_EQ(Field(listed, 1), SshKeyFingerprint(key.public_key).value_or("none")) << listed;
  fs::remove_all(dir);
}

TEST(SshHostKeys, ANewSecretCarriesBothFilesAndItsFingerprintAnnotation) {
  nlohmann::json secret = {{"metadata", {{"name", "alice-ssh-host"}}}};
  AddNewHostKey(secret, "tfws team-a/alice");
  const std::string public_key = secret["stringData"][kHostKeyPublicKey];
  EXPECT_THAT(secret["stringData"][kHostKeyPrivateKey].get<std::string>(), StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----"));
  EXPECT_EQ(HostKeySecretFingerprint(secret), SshKeyFingerprint(public_key));
  EXPECT_EQ(HostKeySecretFingerprint(nlohmann::json::object()), "");
}

TEST(SshHostKeys, EveryKeyIsNew) {
  EXPECT_NE(GenerateSshHostKey("a").public_key, GenerateSshHostKey("a").public_key);
}

TEST(SshHostKeys, FingerprintIsOpenSshsSha256Format) {
  // `echo <key> | ssh-keygen -l -f -` prints this for the fixture's key.
  EXPECT_EQ(SshKeyFingerprint(testing::kEd25519Key), "SHA256:vsO9Zk5kWpEIkBXpWKAGSkjdfp8h+1XENgxTbI8fM/o");
  EXPECT_EQ(SshKeyFingerprint("ssh-ed25519"), std::nullopt);
  EXPECT_EQ(SshKeyFingerprint("ssh-ed25519 !!!"), std::nullopt);
}

}  // namespace
}  // namespace tfws::workspace
