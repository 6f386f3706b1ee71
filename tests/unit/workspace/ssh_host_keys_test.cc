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

#include "kube/base64.h"
#include "unit/workspace/workspace_fixture.h"
#include "workspace/secret_digest.h"

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

// The host key Secret as the API server stores it (data base64) and as the
// controller caches it (data replaced by its digest).
nlohmann::json Stored(const nlohmann::json& secret) {
  nlohmann::json stored = secret;
  for (const auto& [key, value] : secret["stringData"].items()) {
    stored["data"][key] = kube::Base64Encode(value.get<std::string>());
  }
  stored.erase("stringData");
  return stored;
}

// A key pair written by OpenSSH's ssh-keygen: {private key file, fingerprint it prints}.
std::pair<std::string, std::string> SshKeygenKey(const std::string& type) {
  const fs::path dir = fs::temp_directory_path() / ("tfws-keygen-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path key = dir / "key";
  const std::string listed = FirstLineOf("ssh-keygen -q -t " + type + " -N '' -C test -f '" + key.string() +
                                         "' </dev/null >/dev/null && ssh-keygen -l -f '" + key.string() + "'");
  std::ifstream in(key);
  std::ostringstream file;
  file << in.rdbuf();
  fs::remove_all(dir);
  return {file.str(), Field(listed, 1)};
}

TEST(SshHostKeys, ThePrivateKeyFileGivesTheFingerprintSshKeygenPrints) {
  for (const std::string type : {"ed25519", "rsa"}) {
    const auto [file, fingerprint] = SshKeygenKey(type);
    ASSERT_THAT(fingerprint, StartsWith("SHA256:")) << type;
    EXPECT_EQ(SshPrivateKeyFingerprint(file), fingerprint) << type;
  }
  const SshHostKey generated = GenerateSshHostKey("a");
  EXPECT_EQ(SshPrivateKeyFingerprint(generated.private_key), SshKeyFingerprint(generated.public_key));
  EXPECT_EQ(SshPrivateKeyFingerprint(""), std::nullopt);
  EXPECT_EQ(SshPrivateKeyFingerprint("not a key"), std::nullopt);
  EXPECT_EQ(SshPrivateKeyFingerprint("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"),
            std::nullopt);
}

TEST(SshHostKeys, TheAnnotationIsCurrentUntilTheKeyIsEditedAndIsComputedAgainFromTheEditedKey) {
  nlohmann::json secret = {{"metadata", {{"name", "alice-ssh-host"}}}};
  AddNewHostKey(secret, "tfws team-a/alice");
  nlohmann::json live = Stored(secret);
  EXPECT_TRUE(HostKeyFingerprintIsCurrent(live));
  EXPECT_TRUE(HostKeyFingerprintIsCurrent(ReplaceSecretDataByDigest(live))) << "as cached";

  // Someone puts another valid key in: no longer current; computed again, it is the new key's.
  const auto [file, fingerprint] = SshKeygenKey("ed25519");
  live["data"][kHostKeyPrivateKey] = kube::Base64Encode(file);
  EXPECT_FALSE(HostKeyFingerprintIsCurrent(ReplaceSecretDataByDigest(live)));
  const nlohmann::json annotations = HostKeyAnnotationsFor(live);
  EXPECT_EQ(annotations[kHostKeyFingerprintAnnotation], fingerprint);
  live["metadata"]["annotations"].update(annotations);
  EXPECT_TRUE(HostKeyFingerprintIsCurrent(ReplaceSecretDataByDigest(live)));
  EXPECT_EQ(HostKeySecretFingerprint(live), fingerprint);

  // A Secret from before the fingerprint-of annotation is not current either (read once).
  live["metadata"]["annotations"].erase(kHostKeyFingerprintOfAnnotation);
  EXPECT_FALSE(HostKeyFingerprintIsCurrent(live));
}

TEST(SshHostKeys, AnInvalidOrMissingKeyIsRecordedAsAnEmptyFingerprintForItsData) {
  nlohmann::json live = {{"metadata", {{"name", "alice-ssh-host"}}},
                         {"data", {{kHostKeyPrivateKey, kube::Base64Encode("not a key")}}}};
  nlohmann::json annotations = HostKeyAnnotationsFor(live);
  EXPECT_EQ(annotations[kHostKeyFingerprintAnnotation], "");
  EXPECT_EQ(annotations[kHostKeyFingerprintOfAnnotation], SecretDataDigest(live));
  live["data"].erase(kHostKeyPrivateKey);
  EXPECT_EQ(HostKeyAnnotationsFor(live)[kHostKeyFingerprintAnnotation], "");
  live["data"][kHostKeyPrivateKey] = "!!!";  // not base64
  EXPECT_EQ(HostKeyAnnotationsFor(live)[kHostKeyFingerprintAnnotation], "");
}

}  // namespace
}  // namespace tfws::workspace
