// Claims (the workspace claim, existing claims, dataset claims) and the
// user Secrets the spec refers to.
#include <optional>

#include "kube/api_error.h"
#include "kube/base64.h"
#include "workspace/naming.h"
#include "workspace/object_metadata.h"
#include "workspace/reconcile_pass.h"
#include "workspace/reference_reads.h"
#include "workspace/render.h"
#include "workspace/ssh_key.h"

namespace tfws::workspace {

using kube::Json;
namespace res = kube::resources;
using std::chrono::seconds;

void Pass::EnsureWorkspaceClaim(const std::optional<Json>& desired) {
  if (!desired) return;
  const std::string name = names::WorkspacePvc(ws_);
  auto existing = Cached(res::kPersistentVolumeClaims, name);
  if (!existing && LastBlockedByNameConflict()) {  // someone else's claim is invisible to the cache
    if (auto live = Read(res::kPersistentVolumeClaims, name)) existing = std::make_shared<const Json>(std::move(*live));
  }
  if (!existing) {
    if (Create(res::kPersistentVolumeClaims, *desired)) {
      NotBound(name, "Pending");
      if (BindsWithoutConsumer(*desired)) seen_.pod_waits_for_claim = name;
    }
    return;
  }
  // A kept claim (reclaimPolicy Retain) has no ownerReference: it is ours when
  // it carries our workspace label, so a re-created workspace gets its data back.
  const bool ours = IsControlledBy(*existing, ws_.uid) || Label(*existing, kWorkspaceLabel) == ws_.name;
  if (!ours) {
    NameConflict(res::kPersistentVolumeClaims, *existing);
    return;
  }
  if (IsTerminating(*existing)) {
    Block({std::string(condition::kStorageReady), false, false, "ClaimTerminating",
           "PersistentVolumeClaim \"" + name + "\" is being deleted; a new one is created after it is gone"});
    RequeueWithin(seconds(5));
    return;
  }
  if (Annotation(*existing, kSpecHashAnnotation) != Annotation(*desired, kSpecHashAnnotation)) {
    try {
      d_.client->Apply(res::kPersistentVolumeClaims, ws_.namespace_, *desired,
                       {.field_manager = kFieldManager, .force = true});
    } catch (const kube::ApiError& e) {
      if (!e.IsInvalid() && !e.IsForbidden()) throw;
      seen_.storage_message = "cannot update PersistentVolumeClaim " + name + ": " + e.message();
    }
  }
  const std::string phase = (*existing).value("status", Json::object()).value("phase", "Pending");
  if (phase != "Bound") NotBound(name, phase);
  if (phase == "Pending" && BindsWithoutConsumer(*desired)) seen_.pod_waits_for_claim = name;
}

// For a class that binds on its own (volumeBindingMode Immediate, the
// default; also a class name no StorageClass has, which binds static volumes
// of that name) the Pod is created at once with the scheduling gate
// kClaimsBoundGate, and the gate is removed when the claim's watch event shows
// it Bound. Both other orders cost the cluster work in a create storm
// (bench/README.md, runs 16-22):
// - a Pod the scheduler may try while its claim is unbound fails ("pod has
//   unbound immediate PersistentVolumeClaims") and is tried again on every
//   claim and volume event, each failure a FailedScheduling Event;
// - a Pod created only after Bound lets kube-controller-manager's claim
//   protection controller (PersistentVolumeClaimUnusedSinceTime, on by default
//   since 1.37) find the Bound claim unused: it lists every Pod of the
//   namespace from the API server, writes Unused=True, then Unused=False.
// A gated Pod is left alone by the scheduler and counts as the claim's user.
// WaitForFirstConsumer claims bind only after the scheduler placed the Pod:
// their Pod is created without the gate.
bool Pass::BindsWithoutConsumer(const Json& claim) const {
  const Json spec = claim.value("spec", Json::object());
  std::string class_name;
  if (spec.contains("storageClassName")) {
    if (!spec["storageClassName"].is_string()) return true;
    class_name = spec["storageClassName"].get<std::string>();
  } else {  // the default StorageClass, set by admission when the claim was created
    for (const auto& sc : d_.cache->List(res::kStorageClasses)) {
      if (Annotation(*sc, "storageclass.kubernetes.io/is-default-class") == "true" ||
          Annotation(*sc, "storageclass.beta.kubernetes.io/is-default-class") == "true") {
        class_name = Meta(*sc).value("name", "");
        break;
      }
    }
  }
  if (class_name.empty()) return true;
  const auto sc = d_.cache->Get(res::kStorageClasses, "", class_name);
  return !sc || sc->value("volumeBindingMode", "Immediate") != "WaitForFirstConsumer";
}

void Pass::NotBound(const std::string& claim, const std::string& phase) {
  seen_.storage_ready = false;
  seen_.storage_reason = phase == "Lost" ? "ClaimLost" : "ClaimPending";
  seen_.storage_message = "PersistentVolumeClaim \"" + claim + "\" is " + phase +
                          (phase == "Lost" ? ": its volume is gone; restore it or delete the claim"
                                           : ": waiting for a PersistentVolume that matches its size, "
                                             "access mode and storageClassName");
}

namespace {

ReferenceReads& RecentReferenceReads() {
  static ReferenceReads reads;
  return reads;
}

}  // namespace

std::optional<Json> Pass::ReadReference(const kube::Resource& r, const std::string& name, const std::string& what,
                                        const std::function<Json(const Json&)>& keep) {
  const std::string key = ws_.namespace_ + "/" + r.kind + "/" + name + "#" + what;
  return RecentReferenceReads().Get(key, d_.now(), [&]() -> std::optional<Json> {
    if (auto live = Read(r, name)) return keep(*live);
    return std::nullopt;
  });
}

void Pass::CheckExistingClaims() {
  std::vector<std::pair<std::string, std::string>> claims;  // {claim, field}
  if (ws_.spec.storage.workspace.UsesExistingClaim()) {
    claims.emplace_back(ws_.spec.storage.workspace.existing_claim, "spec.storage.workspace.existingClaim");
  }
  for (size_t i = 0; i < ws_.spec.storage.datasets.size(); ++i) {
    claims.emplace_back(ws_.spec.storage.datasets[i].claim_name,
                        "spec.storage.datasets[" + std::to_string(i) + "].claimName");
  }
  for (const auto& [claim, field] : claims) {
    const auto pvc = ReadReference(res::kPersistentVolumeClaims, claim, "phase", [](const Json& live) {
      return Json{{"status", {{"phase", live.value("status", Json::object()).value("phase", "Pending")}}}};
    });
    if (!pvc) {
      Block({std::string(condition::kStorageReady), false, false, "ClaimNotFound",
             "PersistentVolumeClaim \"" + claim + "\" (" + field + ") not found in namespace " +
                 ws_.namespace_ + ": create it or correct " + field});
      RequeueWithin(seconds(30));
      return;
    }
    const std::string phase = pvc->value("status", Json::object()).value("phase", "Pending");
    if (phase != "Bound") NotBound(claim, phase);
  }
}

void Pass::CheckReferencedSecrets() {
  struct Ref {
    std::string name, key, field;
  };
  std::vector<Ref> refs;
  if (ws_.spec.jupyter.token_secret_ref && settings_.token_ref && !settings_.owns_token_secret) {
    refs.push_back({ws_.spec.jupyter.token_secret_ref->name, ws_.spec.jupyter.token_secret_ref->key,
                    "spec.jupyter.tokenSecretRef"});
  }
  if (settings_.ssh_enabled && ws_.spec.ssh.authorized_keys_secret_ref) {
    refs.push_back({ws_.spec.ssh.authorized_keys_secret_ref->name, ws_.spec.ssh.authorized_keys_secret_ref->key,
                    "spec.ssh.authorizedKeysSecretRef"});
  }
  for (const auto& ref : refs) {
    // The keys; the value only of an authorized-keys Secret (public keys), never a token's.
    const bool keep_value = ref.field == "spec.ssh.authorizedKeysSecretRef";
    const auto secret = ReadReference(res::kSecrets, ref.name, keep_value ? "key:" + ref.key : "keys", [&](const Json& live) {
      const Json live_data = live.value("data", Json::object());
      Json data = Json::object();
      for (const auto& [k, v] : live_data.items()) data[k] = keep_value && k == ref.key ? v : Json("");
      return Json{{"data", data}};
    });
    if (!secret) {
      Block({std::string(condition::kConfigValid), false, false, "SecretNotFound",
             "Secret \"" + ref.name + "\" (" + ref.field + ".name) not found in namespace " + ws_.namespace_ +
                 ": create it or correct " + ref.field});
      RequeueWithin(seconds(30));
      return;
    }
    const auto data = secret->value("data", Json::object());
    if (!data.contains(ref.key)) {
      Block({std::string(condition::kConfigValid), false, false, "SecretKeyNotFound",
             "Secret \"" + ref.name + "\" has no key \"" + ref.key + "\" (" + ref.field +
                 ".key): add the key or correct " + ref.field + ".key"});
      RequeueWithin(seconds(30));
      return;
    }
    if (ref.field == "spec.ssh.authorizedKeysSecretRef") {
      std::string text;
      kube::DecodeBase64(data[ref.key].get<std::string>(), text);
      seen_.ssh_keys_problem = AuthorizedKeysSecretProblem(ref.name, ref.key, ref.field, text);
      if (!seen_.ssh_keys_problem.empty()) RequeueWithin(seconds(30));  // the Secret is not watched
    }
  }
}
}  // namespace tfws::workspace
