// Writing status: one merge patch when the computed status differs (a step of
// normal progress once it has lasted kProgressWriteInterval), an Event
// and a log line per phase transition, workspace metrics.
#include <map>
#include <mutex>

#include "observe/workspace_metrics.h"
#include "workspace/naming.h"
#include "workspace/object_metadata.h"
#include "workspace/last_value_by_key.h"
#include "workspace/progress_steps.h"
#include "workspace/reconcile_pass.h"
#include "workspace/render.h"
#include "workspace/written_over.h"
#include "time/rfc3339.h"

namespace tfws::workspace {

using kube::Json;
namespace res = kube::resources;
using std::chrono::seconds;

namespace {

// What this process last reported per workspace: its phase under "<key>#phase",
// its blocker reason under "<key>#blocker". (Its last status patch, over which
// version and when, is in LastWrites() under kStatusObject.)
LastValueByKey& Reported() {
  static LastValueByKey reported;
  return reported;
}

// Normal progress of a Pod on its way to Running: the Ready reasons nobody
// acts on. A problem (Unschedulable, ImagePullBackOff, a blocker, ...) is
// written at once.
bool IsProgressReason(const std::string& reason) {
  return reason == "PodNotCreated" || reason == "PodPending" || reason == "WaitingForClaims" ||
         reason == "Starting" || reason == "ContainerCreating" || reason == "PodInitializing";
}

// In a create storm a workspace passes through several progress steps (Pod
// created, waiting for its claims to bind, scheduled, container created), each
// of which would cost a status patch: bench/scale measured 3.7 patches per
// workspace when each step was written at once, and 2.96 when a step was held
// back only until 15 s after the previous patch (a slow storm still wrote the
// "creating pod" step). A step of normal progress (Pending -> Starting among
// them) is written once it has lasted the interval, so a workspace that goes
// through its steps quickly writes only its first status and Running; what
// `kubectl get` shows of a step is up to that late. Running, a problem and
// anything else outside Pending/Starting are written at once.
constexpr seconds kProgressWriteInterval{15};

// The progress step each workspace would show next, and since when.
ProgressSteps& Steps() {
  static ProgressSteps steps;
  return steps;
}

// The object name of the workspace's own status in LastWrites().
constexpr const char* kStatusObject = "status";

}  // namespace

std::optional<seconds> Pass::ProgressWriteDelay(const Json& previous, const Json& status) const {
  // Pending -> Starting is progress too (the Pod was scheduled): in a storm
  // most workspaces then go on to Running within the interval, and writing
  // Starting would cost every one of them a patch nobody reads.
  const auto in_progress = [](const std::string& phase) {
    return phase == phase::kPending || phase == phase::kStarting;
  };
  if (seen_.blocker || !in_progress(previous.value("phase", "")) || !in_progress(status.value("phase", ""))) {
    return std::nullopt;
  }
  const auto conditions = status.find("conditions");
  if (conditions == status.end()) return std::nullopt;
  const Json* ready = FindCondition(*conditions, condition::kReady);
  if (ready == nullptr || !IsProgressReason(ready->value("reason", ""))) return std::nullopt;
  const std::string step = status.value("phase", "") + "/" + ready->value("reason", "");
  const auto lasted = Steps().Lasted(key_, step, d_.now());
  if (lasted >= kProgressWriteInterval) return std::nullopt;
  return std::chrono::ceil<seconds>(kProgressWriteInterval - lasted);
}

void Pass::WriteStatus() {
  const Json previous = object_.value("status", Json::object());
  const Json status = ComputeStatus(ws_, settings_, seen_, previous, time::FormatRfc3339(d_.now()));
  RecordTransitions(previous, status);
  RecordMetrics(status);
  if (status == previous) {
    Steps().Forget(key_);  // back on the step status shows: a later step starts afresh
    return;
  }
  // The last patch of this process was computed from exactly this version of
  // the object: the cache has not caught up with it yet, and the watch event
  // of that patch queues the workspace again. Writing now would repeat it.
  const std::string version = Meta(object_).value("resourceVersion", "");
  if (LastWrites().CacheBehind(key_, kStatusObject, version)) return;
  if (const auto delay = ProgressWriteDelay(previous, status)) {
    RequeueWithin(*delay);
    return;
  }

  Steps().Forget(key_);
  Json patch_status = status;
  for (const auto& [k, v] : previous.items()) {
    if (!status.contains(k)) patch_status[k] = nullptr;  // merge patch removes with null
  }
  d_.client->Patch(res::kTFWorkspaces, ws_.namespace_, ws_.name, kube::PatchType::kMerge,
                   Json{{"status", patch_status}}, {.field_manager = kFieldManager}, "status");
  LastWrites().Record(key_, kStatusObject, version);
}

void ForgetReportedTransitions(const std::string& key) {
  Reported().Forget(key + "#phase");
  Reported().Forget(key + "#blocker");
  Steps().Forget(key);
}

// Events are for what a user acts on: a blocker appearing or changing (one
// Warning per transition, reason = the condition's reason). Phase changes are
// logged, not announced; stop, cull, restart and Pod failure announce
// themselves where they happen (reconcile_pod.cc).
void Pass::RecordTransitions(const Json& previous, const Json& status) {
  if (seen_.blocker) {
    const Json before = previous.value("conditions", Json::array());
    const Json* was = FindCondition(before, seen_.blocker->type);
    const bool shown = was != nullptr && was->value("status", "") == "False" &&
                       was->value("reason", "") == seen_.blocker->reason;
    const std::string blocker = seen_.blocker->type + "/" + seen_.blocker->reason;
    if (Reported().Change(key_ + "#blocker", blocker) && !shown) {
      Event(true, seen_.blocker->reason, "Reconcile", seen_.blocker->message);
    }
  } else {
    Reported().Change(key_ + "#blocker", "");
  }

  const std::string before = previous.value("phase", "");
  const std::string after = status.value("phase", "");
  // The first pass of this process only learns the phase status already shows.
  if (!Reported().Change(key_ + "#phase", after) || before == after) return;
  log_.Info("phase changed", {{"from", before}, {"to", after}, {"message", status.value("message", "")}});
  if (after == phase::kRunning && d_.metrics) {
    const auto created = time::ParseRfc3339(seen_.pod.created_at);
    const auto ready = time::ParseRfc3339(seen_.pod.ready_since);
    if (created && ready && *ready >= *created) {
      d_.metrics->StartupObserved(std::chrono::duration<double>(*ready - *created).count());
    }
  }
}

void Pass::RecordMetrics(const Json& status) {
  if (!d_.metrics) return;
  observe::WorkspaceSample sample;
  sample.namespace_name = ws_.namespace_;
  sample.workspace = ws_.name;
  sample.owner = ws_.Owner();
  sample.team = ws_.Team();
  sample.image = settings_.image;
  sample.gpu_resource = ws_.spec.gpu.count > 0 ? ws_.spec.gpu.resource : "";
  sample.gpu_count = status.value("gpusAllocated", 0);
  sample.node = status.value("nodeName", "");
  sample.pod = status.value("podName", "");
  sample.phase = status.value("phase", "");
  d_.metrics->Observe(sample);
}
void WriteInvalidSpecStatus(const WorkspaceReconciler::Dependencies& deps, const Json& object,
                            const std::string& reason, const std::string& error) {
  const Json& meta = Meta(object);
  Json status = object.value("status", Json::object());
  Json conditions = status.value("conditions", Json::array());
  const std::string now = time::FormatRfc3339(deps.now());
  const long gen = meta.value("generation", 0L);
  SetCondition(conditions, {std::string(condition::kConfigValid), false, false, reason, error}, gen, now);
  SetCondition(conditions, {std::string(condition::kReady), false, false, reason, error}, gen, now);
  Json next = status;
  next["conditions"] = conditions;
  next["phase"] = phase::kFailed;
  next["message"] = error;
  next["observedGeneration"] = gen;
  if (next != status) {
    deps.client->Patch(res::kTFWorkspaces, meta.value("namespace", ""), meta.value("name", ""),
                       kube::PatchType::kMerge, Json{{"status", next}}, {.field_manager = kFieldManager},
                       "status");
  }
}

}  // namespace tfws::workspace
