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

// The digest of the Secret's data (secret_digest.h) the fingerprint annotation
// was computed from. When the cached Secret's digest differs, someone edited
// the key (or the Secret predates this annotation): the reconciler reads the
// Secret once and writes both annotations again (HostKeyAnnotationsFor).
inline constexpr const char* kHostKeyFingerprintOfAnnotation = "tfws.io/ssh-host-key-fingerprint-of";

// For the reconciler, on create only: puts a new host key into `secret`
// (stringData with both keys above) and both annotations.
void AddNewHostKey(nlohmann::json& secret, std::string_view comment);
// The fingerprint annotation of a host key Secret; "" when absent, or when
// the key was found invalid (HostKeyAnnotationsFor).
std::string HostKeySecretFingerprint(const nlohmann::json& secret);
// True when the fingerprint annotation was computed from the Secret's current
// data (cached or live Secret).
bool HostKeyFingerprintIsCurrent(const nlohmann::json& secret);

// The fingerprint of the key sshd serves: the public key stored in an OpenSSH
// private key file ("openssh-key-v1", as ssh-keygen writes it; encrypted or
// not, the public key is in clear). nullopt when the file is not one.
std::optional<std::string> SshPrivateKeyFingerprint(std::string_view private_key_file);

// The annotations (fingerprint and fingerprint-of) for a host key Secret as
// read from the server (base64 `data`). The fingerprint is "" when its
// private key is missing or not an OpenSSH private key: recorded too, so an
// invalid key is read once per edit, not on every pass.
nlohmann::json HostKeyAnnotationsFor(const nlohmann::json& live_secret);

}  // namespace tfws::workspace
