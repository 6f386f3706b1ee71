#include "workspace/status.h"

namespace tfws::workspace {

namespace {

// The Pod is not created yet or carries the claims gate, and its claim is not
// Bound: the same state whether or not this pass created the Pod, so the
// create costs no status write of its own.
bool WaitsForClaim(const Observation& seen) {
  return !seen.pod_waits_for_claim.empty() && !seen.pod.terminating &&
         (!seen.pod.exists || (seen.pod.gated_on_claims && !seen.pod.scheduled));
}

// The workspace has a Pod: in the cache, or created by this pass (the cache
// does not show it yet). Such a Pod reads as what it is, so the create costs
// no status write of its own.
bool HasPod(const Observation& seen) { return seen.pod.exists || seen.pod_created; }

// What Ready and Scheduled say while WaitsForClaim.
std::string WaitsForClaimMessage(const Workspace& ws, const Observation& seen) {
  return "pod " + ws.name + " is scheduled once PersistentVolumeClaim \"" + seen.pod_waits_for_claim + "\" is bound";
}

struct ReadyState {
  const char* phase;
  Condition ready;
};

// The phase and the Ready condition, from the most fundamental problem down.
ReadyState DecideReady(const Workspace& ws, const Observation& seen) {
  const PodView& pod = seen.pod;
  if (seen.blocker) {
    const bool config = seen.blocker->type == condition::kConfigValid;
    return {config ? phase::kFailed : phase::kPending,
            {std::string(condition::kReady), false, false, seen.blocker->reason, seen.blocker->message}};
  }
  if (seen.stopped && ws.Culled() && !ws.spec.stopped) {
    return {phase::kStopped,
            {std::string(condition::kReady), false, false, "Culled",
             "stopped by the operator at " + ws.culled_at +
                 " after no Jupyter activity for the idle timeout (spec.culling.idleTimeoutMinutes); its storage, "
                 "token and Service are kept: set spec.restartedAt to the current time to start it again"}};
  }
  if (seen.stopped) {
    return {phase::kStopped,
            {std::string(condition::kReady), false, false, "Stopped",
             "the workspace is stopped (spec.stopped: true); its storage, token and Service are kept: "
             "set spec.stopped to false to resume"}};
  }
  if (WaitsForClaim(seen)) {
    return {phase::kPending,
            {std::string(condition::kReady), false, false, "WaitingForClaims",
             WaitsForClaimMessage(ws, seen) + " (see StorageReady)"}};
  }
  // A Pod this pass created reads as waiting for a node (PodPending below),
  // the state the next pass reads from the cache.
  if (!HasPod(seen)) {
    return {phase::kPending,
            {std::string(condition::kReady), false, false, "PodNotCreated", "creating pod " + ws.name}};
  }
  if (pod.terminating) {
    return {phase::kPending,
            {std::string(condition::kReady), false, false, "Restarting",
             "waiting for the previous pod " + ws.name + " to terminate"}};
  }
  if (pod.failed) {
    return {phase::kFailed,
            {std::string(condition::kReady), false, false, "PodFailed",
             "pod " + ws.name + " ended (phase " + pod.phase + "); it is recreated with backoff"}};
  }
  if (!pod.scheduled && pod.waiting_for_claims) {
    return {phase::kPending,
            {std::string(condition::kReady), false, false, "WaitingForClaims",
             "pod " + ws.name + " waits for its PersistentVolumeClaims to be bound (see StorageReady)"}};
  }
  if (!pod.scheduled) {
    std::string message = pod.unschedulable ? "pod " + ws.name + " cannot be scheduled: " + pod.schedule_message
                                            : "pod " + ws.name + " is waiting for a node";
    return {phase::kPending,
            {std::string(condition::kReady), false, false,
             pod.unschedulable ? "Unschedulable" : "PodPending", message}};
  }
  if (!pod.ready) {
    if (!pod.waiting_reason.empty()) {
      return {phase::kStarting,
              {std::string(condition::kReady), false, false, pod.waiting_reason,
               "container workspace is waiting: " + pod.waiting_reason +
                   (pod.waiting_message.empty() ? "" : ": " + pod.waiting_message)}};
    }
    return {phase::kStarting,
            {std::string(condition::kReady), false, false, "Starting",
             "pod " + ws.name + " is starting on node " + pod.node + "; Jupyter is not answering yet"}};
  }
  return {phase::kRunning,
          {std::string(condition::kReady), true, false, "Running",
           "Jupyter is ready on node " + pod.node}};
}

Condition DecideScheduled(const Workspace& ws, const EffectiveSettings& settings, const Observation& seen) {
  const std::string type(condition::kScheduled);
  if (seen.blocker && seen.blocker->type == condition::kScheduled) return *seen.blocker;
  if (seen.stopped) return {type, false, false, "Stopped", "the workspace is stopped; no pod is scheduled"};
  const PodView& pod = seen.pod;
  if (WaitsForClaim(seen)) {
    return {type, false, false, "WaitingForClaims", WaitsForClaimMessage(ws, seen)};
  }
  if (!HasPod(seen) || pod.terminating) {
    return {type, false, false, "PodNotCreated", "no pod yet"};
  }
  if (pod.scheduled) return {type, true, false, "Scheduled", "pod " + ws.name + " is on node " + pod.node};
  if (pod.waiting_for_claims) {
    return {type, false, false, "WaitingForClaims", "the scheduler waits for the pod's claims to be bound"};
  }
  if (pod.unschedulable) {
    std::string message = pod.schedule_message;
    if (!settings.gpu.node_requirement.is_null()) message += " (" + settings.gpu.message + ")";
    if (!ws.spec.gpu.product.empty()) {
      message += " (spec.gpu.product requires nodes labelled nvidia.com/gpu.product=" + ws.spec.gpu.product + ")";
    }
    return {type, false, false, "Unschedulable", message};
  }
  return {type, false, false, "PodPending", "waiting for the scheduler"};
}

}  // namespace

nlohmann::json ComputeStatus(const Workspace& ws, const EffectiveSettings& settings,
                             const Observation& seen, const nlohmann::json& previous,
                             const std::string& now) {
  nlohmann::json conditions = previous.is_object() && previous.contains("conditions")
                                  ? previous["conditions"]
                                  : nlohmann::json::array();
  const long gen = static_cast<long>(ws.generation);

  ReadyState ready = DecideReady(ws, seen);
  if (seen.progress_deadline_exceeded &&
      (std::string(ready.phase) == phase::kPending || std::string(ready.phase) == phase::kStarting)) {
    ready.ready.reason = "ProgressDeadlineExceeded";
    ready.ready.message = "the workspace did not become ready within " +
                          std::to_string(seen.progress_deadline_seconds) + "s: " + ready.ready.message;
    ready.phase = phase::kFailed;
  }
  SetCondition(conditions, ready.ready, gen, now);
  SetCondition(conditions, DecideScheduled(ws, settings, seen), gen, now);

  if (seen.blocker && seen.blocker->type == condition::kStorageReady) {
    SetCondition(conditions, *seen.blocker, gen, now);
  } else {
    SetCondition(conditions,
                 {std::string(condition::kStorageReady), seen.storage_ready, false, seen.storage_reason,
                  seen.storage_message},
                 gen, now);
  }

  SetCondition(conditions,
               seen.pending_restart
                   ? Condition{std::string(condition::kPendingRestart), true, false, seen.pending_restart_reason,
                               seen.pending_restart_message}
                   : Condition{std::string(condition::kPendingRestart), false, false, "UpToDate",
                               "the pod runs the current spec"},
               gen, now);

  SetCondition(conditions,
               {std::string(condition::kGPUCompatible), settings.gpu.compatible, false, settings.gpu.reason,
                settings.gpu.message},
               gen, now);

  if (seen.blocker && seen.blocker->type == condition::kConfigValid) {
    SetCondition(conditions, *seen.blocker, gen, now);
  } else if (!settings.ssh_problem.empty()) {
    SetCondition(conditions,
                 {std::string(condition::kConfigValid), false, false, "SSHUnavailable", settings.ssh_problem},
                 gen, now);
  } else if (!seen.ssh_keys_problem.empty()) {
    SetCondition(conditions,
                 {std::string(condition::kConfigValid), false, false, "InvalidAuthorizedKeys", seen.ssh_keys_problem},
                 gen, now);
  } else {
    SetCondition(conditions,
                 {std::string(condition::kConfigValid), true, false, "Valid", "the spec can be run as written"},
                 gen, now);
  }

  nlohmann::json status = nlohmann::json::object();
  status["observedGeneration"] = ws.generation;
  status["phase"] = ready.phase;
  status["message"] = ready.ready.message;
  status["url"] = settings.url;
  status["conditions"] = std::move(conditions);
  const PodView& pod = seen.pod;
  const bool holds_gpus = pod.exists && pod.scheduled && !pod.failed && !seen.stopped;
  status["gpusAllocated"] = holds_gpus ? ws.spec.gpu.count : 0;
  if (HasPod(seen) && !seen.stopped) status["podName"] = ws.name;
  if (pod.exists && !pod.node.empty() && !seen.stopped) status["nodeName"] = pod.node;
  if (pod.ready && !pod.started_at.empty()) status["startedAt"] = pod.started_at;
  if (settings.ssh_enabled && !seen.ssh_host_key_fingerprint.empty()) {
    status["sshHostKeyFingerprint"] = seen.ssh_host_key_fingerprint;
  }
  return status;
}

}  // namespace tfws::workspace
