// The TFWorkspace status as a pure function of what one reconcile observed:
// phase, conditions (with stable lastTransitionTime), URL, pod, node, GPUs.
// The same observations always give the same status, so a settled workspace
// never causes a status write.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "workspace/conditions.h"
#include "workspace/effective_settings.h"
#include "workspace/pod_view.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

namespace phase {
inline constexpr const char* kPending = "Pending";
inline constexpr const char* kStarting = "Starting";
inline constexpr const char* kRunning = "Running";
inline constexpr const char* kStopped = "Stopped";
inline constexpr const char* kFailed = "Failed";
}  // namespace phase

// What the reconciler found, in domain terms.
struct Observation {
  PodView pod;
  bool pod_created = false;  // this pass created the Pod (the cache does not show it yet)
  bool stopped = false;  // spec.stopped, or culled (see Workspace::Culled)
  // A problem that keeps the Pod from being created (missing claim or Secret,
  // a name taken by someone else's object, a spec the operator cannot run,
  // quota exceeded, Pod rejected by admission). The condition type it belongs
  // to is `blocker->type` (ConfigValid, StorageReady or Scheduled).
  std::optional<Condition> blocker;
  // Storage: false while a claim is missing or Pending.
  bool storage_ready = true;
  std::string storage_reason = "ClaimsBound";
  std::string storage_message = "all claims are bound";
  // The workspace claim is Pending and its StorageClass binds at once
  // (volumeBindingMode Immediate): the Pod carries the kClaimsBoundGate
  // scheduling gate until the claim is Bound (reconcile_storage.cc). "" = no wait.
  std::string pod_waits_for_claim;
  // The running Pod was rendered from an older spec (spec-hash differs).
  bool pending_restart = false;
  std::string pending_restart_reason = "SpecChanged";  // or SecretChanged (secret_digest.h)
  std::string pending_restart_message;
  // ConfigValid=False without blocking: bad lines in the authorized keys Secret
  // (ssh_key.h AuthorizedKeysSecretProblem); "" when fine.
  std::string ssh_keys_problem;
  // status.sshHostKeyFingerprint ("SHA256:..."); "" when SSH is off or not known yet.
  std::string ssh_host_key_fingerprint;
  // The Pod has not become Ready within the progress deadline.
  bool progress_deadline_exceeded = false;
  int progress_deadline_seconds = 600;
};

// previous: the object's current .status (may be null). now: RFC 3339.
nlohmann::json ComputeStatus(const Workspace& ws, const EffectiveSettings& settings,
                             const Observation& seen, const nlohmann::json& previous,
                             const std::string& now);

}  // namespace tfws::workspace
