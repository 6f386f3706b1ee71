// status.sshHostKeyFingerprint: from the host key Secret's annotation, kept
// true after someone edits the key. The cache holds the Secret without its
// data (secret_digest.h), so an edit shows as a data digest other than the one
// the annotation was computed from: then one uncached read computes the
// fingerprint of the key now in the Secret, and one merge patch records it.
// At rest (digests equal) this reads and writes nothing. An invalid key is
// recorded as such (an empty fingerprint for that digest) and blocks the
// workspace with a message naming the Secret, the key and the fix.
#include "kube/api_error.h"
#include "workspace/naming.h"
#include "workspace/reconcile_pass.h"
#include "workspace/ssh_host_keys.h"

namespace tfws::workspace {

using kube::Json;
namespace res = kube::resources;

std::string Pass::HostKeyFingerprint(const Json& cached) {
  const std::string name = names::SshHostKeySecret(ws_);
  std::string fingerprint = HostKeySecretFingerprint(cached);
  if (!HostKeyFingerprintIsCurrent(cached)) {
    const auto live = Read(res::kSecrets, name);
    if (!live) return "";  // deleted since: re-created (with a new key) by the next pass
    const Json annotations = HostKeyAnnotationsFor(*live);
    fingerprint = annotations[kHostKeyFingerprintAnnotation].get<std::string>();
    const bool recorded = HostKeySecretFingerprint(*live) == fingerprint && HostKeyFingerprintIsCurrent(*live);
    if (!recorded) {  // else the cache has not seen our patch yet
      try {
        d_.client->Patch(res::kSecrets, ws_.namespace_, name, kube::PatchType::kMerge,
                         {{"metadata", {{"annotations", annotations}}}}, {.field_manager = kTokenFieldManager});
        log_.Info("host key changed: fingerprint recorded", {{"name", name}, {"fingerprint", fingerprint}});
      } catch (const kube::ApiError& e) {
        log_.Warn("cannot record the host key fingerprint", {{"name", name}, {"error", e.what()}});
        RequeueWithin(std::chrono::seconds(5));
      }
    }
  }
  if (fingerprint.empty()) {
    Block({std::string(condition::kConfigValid), false, false, "InvalidSshHostKey",
           "Secret \"" + name + "\" key \"" + kHostKeyPrivateKey +
               "\" does not hold an OpenSSH private key, so sshd cannot start: put one there as "
               "`ssh-keygen -t ed25519 -N ''` writes it (its public key in \"" +
               kHostKeyPublicKey + "\"), or delete the Secret to have the operator generate a new key"});
  }
  return fingerprint;
}

}  // namespace tfws::workspace
