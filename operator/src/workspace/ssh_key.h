// OpenSSH public key lines (authorized_keys format, without options): used for
// the inline spec.ssh.authorizedKeys and for keys the controller reads from a
// Secret. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tfws::workspace {

// Why `line` is not "<type> <base64> [comment]" with a known key type
// (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521, sk-ssh-ed25519@openssh.com,
// sk-ecdsa-sha2-nistp256@openssh.com), valid base64 whose decoded blob starts
// with the same type name; std::nullopt when it is valid.
std::optional<std::string> OpenSshKeyProblem(std::string_view line);

inline bool IsOpenSshPublicKey(std::string_view line) { return !OpenSshKeyProblem(line).has_value(); }

struct AuthorizedKeysCheck {
  std::vector<std::string> keys;      // valid key lines, trimmed
  std::vector<std::string> problems;  // "line 3: ..." for every invalid non-comment line
};

// Checks an authorized_keys file body (blank lines and # comments ignored).
AuthorizedKeysCheck CheckAuthorizedKeys(std::string_view text);

// The ConfigValid message for the authorized_keys text of a Secret referred to
// by `field` (spec.ssh.authorizedKeysSecretRef), or "" when every line is a
// valid key. Names the Secret, the key, each bad line by number (at most 5)
// and the fix; bad lines are ignored by the image, the valid keys still work.
std::string AuthorizedKeysSecretProblem(std::string_view secret, std::string_view key, std::string_view field,
                                        std::string_view text);

}  // namespace tfws::workspace
