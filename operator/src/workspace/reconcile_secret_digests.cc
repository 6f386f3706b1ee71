// The generated Secrets a workspace Pod reads once, at start (the Jupyter
// token as an env var, the SSH host key by sshd): which digest the Pod was
// created with, and which of them changed since (secret_digest.h).
#include "workspace/naming.h"
#include "workspace/object_metadata.h"
#include "workspace/reconcile_pass.h"
#include "workspace/secret_digest.h"

namespace tfws::workspace {

using kube::Json;
namespace res = kube::resources;

namespace {

struct GeneratedSecret {
  const char* annotation;  // on the Pod
  std::string name;
  const char* what;  // for the message
  const char* reader;
};

std::vector<GeneratedSecret> ConsumedByPod(const Workspace& ws, const EffectiveSettings& settings) {
  std::vector<GeneratedSecret> secrets;
  if (settings.owns_token_secret) {
    secrets.push_back({kTokenSecretDigestAnnotation, names::TokenSecret(ws), "token Secret", "Jupyter keeps the token"});
  }
  if (settings.ssh_enabled) {
    secrets.push_back(
        {kSshHostKeyDigestAnnotation, names::SshHostKeySecret(ws), "SSH host key Secret", "sshd keeps the host key"});
  }
  return secrets;
}

}  // namespace

void Pass::StampOwnedSecretDigests(Json& pod) const {
  for (const auto& secret : ConsumedByPod(ws_, settings_)) {
    std::string digest;
    if (auto created = created_secret_digests_.find(secret.name); created != created_secret_digests_.end()) {
      digest = created->second;
    } else if (const auto cached = Cached(res::kSecrets, secret.name)) {
      digest = SecretDataDigest(*cached);
    }
    if (!digest.empty()) pod["metadata"]["annotations"][secret.annotation] = digest;
  }
}

std::string Pass::ChangedOwnedSecrets(const Json& pod) const {
  std::string changed;
  for (const auto& secret : ConsumedByPod(ws_, settings_)) {
    const std::string stamped = Annotation(pod, secret.annotation);
    if (stamped.empty()) continue;  // a Pod created before digests were stamped
    const auto cached = Cached(res::kSecrets, secret.name);
    if (!cached || SecretDataDigest(*cached) == stamped) continue;  // a missing one is re-created
    if (!changed.empty()) changed += "; ";
    changed += std::string("the ") + secret.what + " \"" + secret.name + "\" changed since pod " + names::Pod(ws_) +
               " was created; " + secret.reader + " it started with";
  }
  if (changed.empty()) return changed;
  return changed +
         " until you restart the workspace: set spec.restartedAt to the current time, or stop and start it";
}

}  // namespace tfws::workspace
