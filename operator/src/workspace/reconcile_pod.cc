// The workspace Pod: create (with failure backoff), delete (stop, cull,
// restart, replace), pending restart and the progress deadline.
#include <map>
#include <mutex>

#include "kube/api_error.h"
#include "observe/workspace_metrics.h"
#include "workspace/naming.h"
#include "workspace/object_metadata.h"
#include "workspace/last_value_by_key.h"
#include "workspace/reconcile_pass.h"
#include "workspace/render.h"
#include "workspace/retry_schedule.h"
#include "workspace/unseen_creates.h"
#include "time/rfc3339.h"

namespace tfws::workspace {

using kube::Json;
namespace res = kube::resources;
using std::chrono::seconds;

namespace {

// The UID of the last Pod this process deleted per workspace, so a pass that
// sees the same Pod again (a stale cache, our own status write) neither counts
// the restart again nor emits a second Event.
LastValueByKey& Deleted() {
  static LastValueByKey deleted;
  return deleted;
}

// The UID of the last Pod whose claims gate this process removed per
// workspace: a pass whose cache still shows the gate sends no second patch.
LastValueByKey& GateOpened() {
  static LastValueByKey opened;
  return opened;
}

// The schedule cause of "the next Pod after a failed one".
constexpr const char* kPodFailedCause = "Pod/failed";

}  // namespace

void ForgetWorkspaceRetries(const std::string& key) {
  Retries().ForgetAll(key);
  Deleted().Forget(key);
  GateOpened().Forget(key);
}

void Pass::EnsurePod(const Json* desired) {
  auto existing = Cached(res::kPods, names::Pod(ws_));
  if (!existing && LastBlockedByNameConflict()) {  // someone else's Pod is invisible to the cache
    if (auto live = Read(res::kPods, names::Pod(ws_))) existing = std::make_shared<const Json>(std::move(*live));
  }
  const Json* pod = existing ? existing.get() : nullptr;
  if (pod && !IsControlledBy(*pod, ws_.uid)) {
    if (!IsTerminating(*pod)) {
      NameConflict(res::kPods, *pod);
    } else {
      RequeueWithin(seconds(5));
    }
    seen_.pod = ViewPod(nullptr);
    return;
  }
  seen_.pod = ViewPod(pod);

  if (desired == nullptr) {  // stopped or culled
    if (pod && !seen_.pod.terminating) {
      if (ws_.spec.stopped) {
        if (DeletePod(*pod, "Stopped", "stopped by the user (spec.stopped: true); storage is kept") && d_.metrics) {
          d_.metrics->Stopped(ws_.namespace_, "user");
        }
      } else if (DeletePod(*pod, "Culled",
                           "marked culled (annotation " + std::string(kCulledAtAnnotation) + ": " + ws_.culled_at +
                               "); storage is kept") &&
                 d_.metrics) {
        d_.metrics->Stopped(ws_.namespace_, "culled");
      }
    }
    return;
  }
  if (seen_.blocker) return;  // never start a pod that cannot work

  if (!pod) {
    CreatePod(*desired, /*gated=*/!seen_.pod_waits_for_claim.empty());
    return;
  }
  if (seen_.pod.terminating) return;  // its deletion event brings us back

  if (seen_.pod.failed) {
    if (DeletePod(*pod, "PodFailed", "pod ended with phase " + seen_.pod.phase + "; recreating it with backoff")) {
      Retries().Failed(key_, kPodFailedCause, kPodFailureRetry, d_.now(), {});
      if (d_.metrics) d_.metrics->Restarted(ws_.namespace_, ws_.name);
    }
    return;
  }
  if (seen_.pod.ready) Retries().Forget(key_, kPodFailedCause);

  const bool restart_requested =
      Annotation(*desired, kRestartedAtAnnotation) != Annotation(*pod, kRestartedAtAnnotation);
  const bool outdated = Annotation(*desired, kSpecHashAnnotation) != Annotation(*pod, kSpecHashAnnotation);
  if (seen_.pod.gated_on_claims && seen_.pod_waits_for_claim.empty() && !restart_requested && !outdated) {
    OpenClaimsGate(*pod);  // a Pod about to be replaced keeps its gate
  }
  if (restart_requested) {
    if (DeletePod(*pod, "Restarting", "restart requested (spec.restartedAt: " + ws_.spec.restarted_at + ")") &&
        d_.metrics) {
      d_.metrics->Restarted(ws_.namespace_, ws_.name);
    }
  } else if (outdated && !seen_.pod.scheduled) {
    DeletePod(*pod, "Replacing", "the spec changed before the pod was scheduled; replacing it with the new spec");
  } else if (outdated) {
    seen_.pending_restart = true;
    seen_.pending_restart_message =
        "the spec changed since pod " + ws_.name +
        " started; it keeps running unchanged until you restart it: set spec.restartedAt to the current time, "
        "or stop and start the workspace";
  } else if (std::string changed = ChangedOwnedSecrets(*pod); !changed.empty()) {
    seen_.pending_restart = true;
    seen_.pending_restart_reason = "SecretChanged";
    seen_.pending_restart_message = std::move(changed);
  }
  CheckProgressDeadline();
  if (!seen_.pod.terminating) CheckIdle(*pod);
}

void Pass::CreatePod(const Json& desired, bool gated) {
  if (const auto pending = Retries().Wait(key_, kPodFailedCause, d_.now())) {
    RequeueWithin(pending->wait + seconds(1));
    return;
  }
  if (StillRefused(res::kPods, desired)) return;
  const std::string object = ChildObject(res::kPods, names::Pod(ws_));
  if (CreatesNotSeen().Awaited(key_, object, d_.now())) {  // created; its watch event is on its way
    RequeueWithin(seconds(2));
    return;
  }
  Json pod = desired;
  StampOwnedSecretDigests(pod);
  if (gated) pod["spec"]["schedulingGates"] = Json::array({{{"name", kClaimsBoundGate}}});
  try {
    d_.client->Create(res::kPods, ws_.namespace_, pod, {.field_manager = kFieldManager});
    CreatesNotSeen().Created(key_, object, d_.now());
    seen_.pod_created = true;
    log_.Info("created pod", {{"pod", names::Pod(ws_)}, {"image", settings_.image}});
    Retries().Forget(key_, CauseOf(res::kPods, desired));
    return;
  } catch (const kube::ApiError& e) {
    if (!e.IsAlreadyExists()) {
      Refused(res::kPods, desired, e, "PodRejected");
      return;
    }
  }
  // AlreadyExists: ours and not yet in the cache, or someone else's (invisible
  // to the cache, which holds only what we label). One uncached read tells.
  const auto live = Read(res::kPods, names::Pod(ws_));
  if (live && !IsControlledBy(*live, ws_.uid) && !IsTerminating(*live)) {
    NameConflict(res::kPods, *live);
    return;
  }
  RequeueWithin(seconds(1));
}

void Pass::OpenClaimsGate(const Json& pod) {
  const std::string uid = Meta(pod).value("uid", "");
  if (GateOpened().Get(key_) == uid) return;  // removed; the cache has not seen it yet
  // A strategic merge patch deletes our gate by name and leaves any other
  // (a queueing controller's) in place.
  const std::string bound_at = time::FormatRfc3339(d_.now());
  const Json patch = {{"metadata", {{"annotations", {{kClaimsBoundAtAnnotation, bound_at}}}}},
                      {"spec", {{"schedulingGates", Json::array({{{"$patch", "delete"}, {"name", kClaimsBoundGate}}})}}}};
  try {
    d_.client->Patch(res::kPods, ws_.namespace_, names::Pod(ws_), kube::PatchType::kStrategicMerge, patch,
                     {.field_manager = kFieldManager});
    GateOpened().Change(key_, uid);
    seen_.pod.gated_on_claims = false;
    seen_.pod.claims_bound_at = bound_at;
  } catch (const kube::ApiError& e) {
    if (!e.IsNotFound()) throw;  // gone: its deletion event brings us back
  }
}

bool Pass::DeletePod(const Json& pod, const std::string& reason, const std::string& note) {
  kube::DeleteOptions options;
  options.precondition_uid = Meta(pod).value("uid", "");
  seen_.pod.terminating = true;
  // Deleted already by this process (the cache has not seen it go yet): no
  // second delete, Event or count.
  if (!Deleted().Change(key_, Meta(pod).value("uid", ""))) return false;
  try {
    d_.client->Delete(res::kPods, ws_.namespace_, names::Pod(ws_), options);
  } catch (const kube::ApiError& e) {
    if (!e.IsNotFound() && !e.IsConflict()) throw;
  }
  log_.Info("deleted pod", {{"pod", names::Pod(ws_)}, {"reason", reason}});
  Event(reason == "PodFailed", reason, "Delete", note);
  return true;
}

void Pass::CheckProgressDeadline() {
  const PodView& pod = seen_.pod;
  if (!pod.exists || pod.ready || pod.terminating) return;
  const auto since = time::ParseRfc3339(ProgressDeadlineStart(pod));
  if (!since) return;
  const auto deadline = *since + seconds(d_.config.progress_deadline_seconds);
  const auto now = d_.now();
  if (now >= deadline) {
    seen_.progress_deadline_exceeded = true;
  } else {
    RequeueWithin(std::chrono::duration_cast<seconds>(deadline - now) + seconds(1));
  }
}
}  // namespace tfws::workspace
