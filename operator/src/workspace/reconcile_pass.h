// One reconcile pass over one TFWorkspace (private to the reconciler).
//
// A Pass renders the desired children, walks them in order (referenced
// Secrets, claims, owned Secrets/Services/Ingress/NetworkPolicy, then the
// Pod), collects what it saw into an Observation and writes status once at
// the end. Its member functions are defined by concept, one file each:
//   reconcile_pass.cc      the order of a pass and the helpers all parts share
//   reconcile_children.cc  owned children other than the Pod: create, apply
//                          on spec-hash change, delete when unwanted, and
//                          names held by someone else's object
//   reconcile_storage.cc   claims: the workspace claim, existing claims and
//                          the user's Secrets the spec refers to
//   reconcile_pod.cc       the Pod: create, delete, restart, failure backoff,
//                          progress deadline
//   reconcile_secret_digests.cc  the generated Secrets a Pod was created with,
//                          and which of them changed since (secret_digest.h)
//   reconcile_culling.cc   idle culling and the culled-at mark
//   reconcile_status.cc    the status patch, phase transitions (Event, log)
//                          and workspace metrics
// Not thread-safe; the work queue runs one pass per key at a time.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <functional>
#include <stop_token>

#include "observe/log.h"
#include "workspace/effective_settings.h"
#include "workspace/reconciler.h"
#include "workspace/status.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

class Pass {
 public:
  Pass(const WorkspaceReconciler::Dependencies& deps, const kube::Json& object, Workspace ws);
  // One pass; `stop` cancels it between steps (no further write).
  ReconcileOutcome Run(std::stop_token stop = {});

 private:
  // ---- shared helpers (reconcile_pass.cc)
  // The first blocker wins: it is what the user has to fix first.
  void Block(Condition c);
  void RequeueWithin(std::chrono::seconds s);
  void Event(bool warning, const std::string& reason, const std::string& action, const std::string& note);
  std::shared_ptr<const kube::Json> Cached(const kube::Resource& r, const std::string& name) const;
  // Reads an object the controller does not watch (the user's Secrets and claims).
  std::optional<kube::Json> Read(const kube::Resource& r, const std::string& name);
  // Read() of an object the spec refers to, remembered by this process for
  // kReferenceReadTtl as `keep` cuts it down (reference_reads.h).
  std::optional<kube::Json> ReadReference(const kube::Resource& r, const std::string& name, const std::string& what,
                                          const std::function<kube::Json(const kube::Json&)>& keep);

  // ---- children other than the Pod, and what blocks any child (reconcile_children.cc)
  bool EnsureChild(const kube::Resource& r, const kube::Json& desired);
  bool Create(const kube::Resource& r, const kube::Json& desired);
  void EnsureAbsent(const kube::Resource& r, const std::string& name);
  // Someone changed a field the operator sets on `existing` (restored by apply).
  bool Drifted(const kube::Json& existing, const kube::Json& desired) const;
  // The last status says a name was held by someone else's object.
  bool LastBlockedByNameConflict() const;
  // `holder` (not ours) has the child's name: NameConflict, looked at again with backoff.
  void NameConflict(const kube::Resource& r, const kube::Json& holder);
  // An earlier refusal of this child still holds (waiting for its retry, or
  // invalid for this generation): re-blocks with it and returns true.
  bool StillRefused(const kube::Resource& r, const kube::Json& desired);
  // The retry-schedule cause of writing `desired`: kind, name and spec-hash,
  // so a changed spec is a new cause, tried at once.
  std::string CauseOf(const kube::Resource& r, const kube::Json& desired) const;
  // The API server refused to write the child: blocker `reason` (QuotaExceeded
  // for a quota), retry with backoff. Rethrows conflicts and throttling.
  void Refused(const kube::Resource& r, const kube::Json& desired, const kube::ApiError& e,
               const char* reason = "ChildRejected");

  // ---- generated Secrets the Pod consumes (reconcile_secret_digests.cc)
  // Stamps on `pod` the digest of each generated Secret it will read.
  void StampOwnedSecretDigests(kube::Json& pod) const;
  // "" when every generated Secret still has the digest `pod` was stamped
  // with (or cannot be compared); else what changed and how to pick it up.
  std::string ChangedOwnedSecrets(const kube::Json& pod) const;

  // ---- the SSH host key's fingerprint (reconcile_host_key.cc)
  // status.sshHostKeyFingerprint from the cached host key Secret; after an
  // edit of its key, one read and one annotation patch. "" when not known.
  std::string HostKeyFingerprint(const kube::Json& cached);

  // ---- storage and referenced Secrets (reconcile_storage.cc)
  void EnsureWorkspaceClaim(const std::optional<kube::Json>& desired);
  void NotBound(const std::string& claim, const std::string& phase);
  // The claim binds without a Pod (its StorageClass's volumeBindingMode is not
  // WaitForFirstConsumer), so its Pod is created only once it is Bound.
  bool BindsWithoutConsumer(const kube::Json& claim) const;
  void CheckExistingClaims();
  void CheckReferencedSecrets();

  // ---- the Pod (reconcile_pod.cc)
  void EnsurePod(const kube::Json* desired);
  // gated: with the kClaimsBoundGate scheduling gate (its claim is not Bound yet).
  void CreatePod(const kube::Json& desired, bool gated);
  // Removes kClaimsBoundGate from the Pod, leaving any other gate in place.
  void OpenClaimsGate(const kube::Json& pod);
  // Returns false (and writes nothing) when this process deleted that Pod UID already.
  bool DeletePod(const kube::Json& pod, const std::string& reason, const std::string& note);
  void CheckProgressDeadline();

  // ---- idle culling (reconcile_culling.cc)
  void CheckIdle(const kube::Json& pod);
  bool ReadToken(const SecretKeyRef& ref, std::string& token);
  void ForgetCullWhenStoppedByTheUser();

  // ---- status, events, metrics (reconcile_status.cc)
  void WriteStatus();
  // How long to hold back `status` (a step of normal progress inside
  // Pending/Starting shown for less than kProgressWriteInterval); nullopt = write now.
  std::optional<std::chrono::seconds> ProgressWriteDelay(const kube::Json& previous, const kube::Json& status) const;
  void RecordTransitions(const kube::Json& previous, const kube::Json& status);
  void RecordMetrics(const kube::Json& status);

  const WorkspaceReconciler::Dependencies& d_;
  const kube::Json& object_;
  Workspace ws_;
  EffectiveSettings settings_;
  std::string key_;
  observe::Logger log_;
  Observation seen_;
  ReconcileOutcome outcome_;
  // Digests of the generated Secrets this pass created, by name (Create's answer).
  std::map<std::string, std::string> created_secret_digests_;
};

// A child's name in the per-workspace memories (LastWrites(), CreatesNotSeen()): "<Kind>/<name>".
inline std::string ChildObject(const kube::Resource& r, const std::string& name) { return r.kind + "/" + name; }

// Forgets all this process remembers of a deleted workspace ("namespace/name"):
// its retry schedule, the Pod it deleted, the phase and blocker it reported,
// the versions it wrote over (LastWrites()).
void ForgetWorkspace(const std::string& key);
// The parts of ForgetWorkspace kept where that memory lives.
void ForgetWorkspaceRetries(const std::string& key);     // reconcile_pod.cc
void ForgetReportedTransitions(const std::string& key);  // reconcile_status.cc

// Writes Failed with `reason` (InvalidSpec, or the class error) for a workspace
// whose spec cannot be used (the schema should have refused it), unless status
// already says so.
void WriteInvalidSpecStatus(const WorkspaceReconciler::Dependencies& deps, const kube::Json& object,
                            const std::string& reason, const std::string& error);

}  // namespace tfws::workspace
