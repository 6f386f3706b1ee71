// Owned Secrets' data, watched without keeping it in memory.
//
// The controller caches Secrets with their data replaced by a digest: 64 bits
// of SHA-256 (SpecHash) over the data — enough to tell that it changed, of no
// use for recovering a 256-bit token or a private key. At creation the Pod is
// stamped with the digest of each generated Secret it consumes (the Jupyter
// token, read as an env var, and the SSH host key, read by sshd at start);
// while a Pod runs, a different digest means the Secret was edited since it
// started: a legitimate rotation the Pod only picks up when restarted, so the
// reconciler reports PendingRestart (reason SecretChanged) and keeps the edit.
// Secrets rendered wholly from the spec (the authorized-keys Secret) compare
// their digest with the rendered data instead, and an edit is restored.
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace tfws::workspace {

// The field that replaces data and stringData in a cached Secret (never on the server).
inline constexpr const char* kCachedDataDigestField = "tfwsDataDigest";
// Pod annotations: the digest of the Secret the Pod was created with.
inline constexpr const char* kTokenSecretDigestAnnotation = "tfws.io/token-secret-digest";
inline constexpr const char* kSshHostKeyDigestAnnotation = "tfws.io/ssh-host-key-digest";

// The digest of a Secret's data: the cached field when present, else computed
// from `data` (as the API server returns it: base64 values). A Secret without
// data has a digest too (that of no data).
std::string SecretDataDigest(const nlohmann::json& secret);

// For the Secret cache: data and stringData dropped, their digest kept.
nlohmann::json ReplaceSecretDataByDigest(nlohmann::json secret);

}  // namespace tfws::workspace
