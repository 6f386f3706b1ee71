// Idle culling: ask Jupyter, mark the workspace culled, stop its Pod.
#include "kube/base64.h"
#include "observe/workspace_metrics.h"
#include "workspace/culling.h"
#include "workspace/naming.h"
#include "workspace/object_metadata.h"
#include "workspace/reconcile_pass.h"
#include "workspace/render.h"
#include "time/rfc3339.h"

namespace tfws::workspace {

using kube::Json;
namespace res = kube::resources;
using std::chrono::seconds;

// Asks Jupyter about activity when an idle timeout applies; culls once the
// workspace has been idle that long, else comes back when it would be.
void Pass::CheckIdle(const Json& pod) {
  const int minutes = settings_.idle_timeout_minutes;
  if (minutes <= 0 || !d_.probe_activity || !seen_.pod.ready || seen_.pod.ip.empty()) return;
  const auto ready_since_or = time::ParseRfc3339(seen_.pod.ready_since);
  if (!ready_since_or) return;
  const auto ready_since = *ready_since_or;
  const std::optional<std::chrono::system_clock::time_point> restarted = time::ParseRfc3339(ws_.spec.restarted_at);
  // Idle at most since the Pod became ready (or the restart): until that is a whole timeout
  // ago no answer from Jupyter could cull it, so do not ask yet.
  const CullDecision at_most =
      DecideCull(std::chrono::minutes(minutes), ready_since, restarted, JupyterActivity{}, d_.now());
  if (!at_most.cull) {
    RequeueWithin(at_most.check_again_in + seconds(1));
    return;
  }
  std::string token;
  if (settings_.token_ref && !ReadToken(*settings_.token_ref, token)) {
    log_.Info("idle check skipped: no Jupyter token to ask with; the workspace is not culled",
              {{"secret", settings_.token_ref->name}});
    RequeueWithin(seconds(300));
    return;
  }
  const std::string url = "http://" + seen_.pod.ip + ":" + std::to_string(kJupyterPort) + settings_.base_url;
  const ActivityProbeResult probe = d_.probe_activity(url, token);
  if (!probe.activity) {
    log_.Info("idle check skipped: Jupyter could not be asked; the workspace is not culled",
              {{"error", probe.error}});
    RequeueWithin(seconds(300));
    return;
  }
  const CullDecision decision =
      DecideCull(std::chrono::minutes(minutes), ready_since, restarted, *probe.activity, d_.now());
  if (!decision.cull) {
    RequeueWithin(decision.check_again_in + seconds(1));
    return;
  }
  const std::string now = time::FormatRfc3339(d_.now());
  d_.client->Patch(res::kTFWorkspaces, ws_.namespace_, ws_.name, kube::PatchType::kMerge,
                   Json{{"metadata", {{"annotations", {{kCulledAtAnnotation, now}}}}}},
                   {.field_manager = kFieldManager});
  log_.Info("culling an idle workspace",
            {{"idleSince", time::FormatRfc3339(decision.idle_since)}, {"idleTimeoutMinutes", minutes}});
  ws_.culled_at = now;
  seen_.stopped = true;
  if (d_.metrics) d_.metrics->Stopped(ws_.namespace_, "culled");
  DeletePod(pod, "Culled",
            "no Jupyter activity since " + time::FormatRfc3339(decision.idle_since) + " (idle timeout " +
                std::to_string(minutes) +
                " min): stopped to free its GPUs; storage, token and Service are kept; set spec.restartedAt "
                "to the current time to start it again");
}

// The token Jupyter was started with (never logged).
bool Pass::ReadToken(const SecretKeyRef& ref, std::string& token) {
  const auto secret = Read(res::kSecrets, ref.name);
  if (!secret) return false;
  const Json data = secret->value("data", Json::object());
  return data.contains(ref.key) && data[ref.key].is_string() &&
         kube::DecodeBase64(data[ref.key].get<std::string>(), token) && !token.empty();
}

// A user who stops a culled workspace starts it later with spec.stopped:
// false, so the culled mark goes once spec.stopped is set.
void Pass::ForgetCullWhenStoppedByTheUser() {
  if (!ws_.spec.stopped || ws_.culled_at.empty()) return;
  d_.client->Patch(res::kTFWorkspaces, ws_.namespace_, ws_.name, kube::PatchType::kMerge,
                   Json{{"metadata", {{"annotations", {{kCulledAtAnnotation, nullptr}}}}}},
                   {.field_manager = kFieldManager});
  ws_.culled_at.clear();
}
}  // namespace tfws::workspace
