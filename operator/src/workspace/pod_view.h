// Reads a workspace Pod as the API server reports it and says, in plain
// words, where it is in its life: scheduled or not and why, running, ready,
// failed, waiting on an image or crash-looping. Pure; no I/O.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace tfws::workspace {

struct PodView {
  bool exists = false;
  bool terminating = false;    // metadata.deletionTimestamp set
  std::string phase;           // Pending, Running, Succeeded, Failed, Unknown
  std::string node;            // spec.nodeName
  bool scheduled = false;      // PodScheduled=True
  bool unschedulable = false;  // PodScheduled=False, reason Unschedulable
  std::string schedule_message;  // the scheduler's own words, e.g. "0/5 nodes are available: ..."
  // Unschedulable only because its PersistentVolumeClaims are not bound yet
  // (the scheduler's "pod has unbound immediate PersistentVolumeClaims"): the
  // normal state of a new Pod while its volumes are provisioned or bound.
  bool waiting_for_claims = false;
  // spec.schedulingGates holds kClaimsBoundGate: created while its claim was
  // unbound; the operator removes the gate once the claim is Bound.
  bool gated_on_claims = false;
  bool ready = false;          // Ready=True
  bool failed = false;         // phase Failed/Succeeded: the pod will never run again
  // A container stuck waiting (ImagePullBackOff, ErrImagePull, CrashLoopBackOff,
  // CreateContainerConfigError, ...), with its message; empty when none.
  std::string waiting_reason;
  std::string waiting_message;
  int restart_count = 0;       // of the workspace container
  std::string created_at;      // metadata.creationTimestamp
  std::string claims_bound_at;  // kClaimsBoundAtAnnotation, "" when it never waited
  std::string ready_since;     // lastTransitionTime of Ready=True
  std::string started_at;      // status.startTime
  std::string ip;              // status.podIP
};

// The scheduling gate a Pod carries while its claim waits to be bound, and the
// annotation the patch that removes it sets: when the claim was seen Bound, so
// the progress deadline counts from there, not from the gated Pod's creation.
inline constexpr const char* kClaimsBoundGate = "tfws.io/claims-bound";
inline constexpr const char* kClaimsBoundAtAnnotation = "tfws.io/claims-bound-at";

PodView ViewPod(const nlohmann::json* pod);

// When the progress deadline of `pod` starts: when its claims gate was removed,
// else its creation; "" while the gate holds it (that wait is StorageReady's to
// report, as before the Pod existed).
std::string ProgressDeadlineStart(const PodView& pod);

}  // namespace tfws::workspace
