// SSH host keys of a workspace. The operator generates one Ed25519 key per
// workspace, once (OpenSSL's CSPRNG), into the Secret <name>-ssh-host that the
// Pod mounts at /etc/tfws/ssh-host for sshd, so the key — and every user's
// known_hosts entry — survives Pod restarts. Formats are OpenSSH's own: the
// private key file sshd loads ("openssh-key-v1", unencrypted, as
// `ssh-keygen -t ed25519 -N ''` writes it) and the public key line. Pure
// except for the random bytes; thread-safe. The private key is never logged.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace tfws::workspace {

// Keys of the host key Secret (file names under /etc/tfws/ssh-host).
inline constexpr const char* kHostKeyPrivateKey = "ssh_host_ed25519_key";
inline constexpr const char* kHostKeyPublicKey = "ssh_host_ed25519_key.pub";

struct SshHostKey {
  std::string private_key;  // "-----BEGIN OPENSSH PRIVATE KEY-----\n...", ends with "\n"
  std::string public_key;   // "ssh-ed25519 AAAA... <comment>\n"
};

// A new Ed25519 host key; `comment` ends both files (e.g. "tfws team-a/alice").
// Throws std::runtime_error when OpenSSL fails (never returns a weak key).
SshHostKey GenerateSshHostKey(std::string_view comment);

// The fingerprint OpenSSH shows for a public key line ("<type> <base64>
// [comment]"): "SHA256:" + base64 without padding of SHA-256 over the key
// blob, as `ssh-keygen -l` and the first-connection prompt print it.
// nullopt when the line is not "<type> <base64>".
std::optional<std::string> SshKeyFingerprint(std::string_view public_key_line);

// The annotation on the host key Secret that holds its fingerprint: the
// controller caches Secrets without their data, so status reads it from here.
inline constexpr const char* kHostKeyFingerprintAnnotation = "tfws.io/ssh-host-key-fingerprint";

// For the reconciler, on create only: puts a new host key into `secret`
// (stringData with both keys above) and its fingerprint annotation.
void AddNewHostKey(nlohmann::json& secret, std::string_view comment);
// The fingerprint annotation of a host key Secret; "" when absent.
std::string HostKeySecretFingerprint(const nlohmann::json& secret);

}  // namespace tfws::workspace
