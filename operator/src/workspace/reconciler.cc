#include "workspace/reconciler.h"

#include <map>
#include <mutex>

#include "kube/api_error.h"
#include "kube/base64.h"
#include "observe/log.h"
#include "observe/workspace_metrics.h"
#include "workspace/conditions.h"
#include "workspace/culling.h"
#include "workspace/effective_settings.h"
#include "workspace/naming.h"
#include "workspace/pod_view.h"
#include "workspace/render.h"
#include "workspace/ssh_host_keys.h"
#include "workspace/ssh_key.h"
#include "workspace/status.h"
#include "workspace/token.h"
#include "workspace/workspace_class.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

namespace {

using kube::Json;
namespace res = kube::resources;
using std::chrono::seconds;

// Fields written by whoever creates the token Secret. A separate field manager
// keeps later server-side applies by kFieldManager (which never carry the
// token) from removing data the operator generated.
constexpr const char* kTokenFieldManager = "tfws-operator-token";

const Json& Meta(const Json& obj) {
  static const Json kEmpty = Json::object();
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : kEmpty;
}

std::string Annotation(const Json& obj, const char* key) {
  const Json& meta = Meta(obj);
  auto it = meta.find("annotations");
  if (it == meta.end() || !it->is_object()) return {};
  return it->value(key, "");
}

std::string Label(const Json& obj, const char* key) {
  const Json& meta = Meta(obj);
  auto it = meta.find("labels");
  if (it == meta.end() || !it->is_object()) return {};
  return it->value(key, "");
}

bool IsControlledBy(const Json& obj, const std::string& uid) {
  for (const auto& ref : Meta(obj).value("ownerReferences", Json::array())) {
    if (ref.value("controller", false) && ref.value("uid", "") == uid) return true;
  }
  return false;
}

bool IsTerminating(const Json& obj) {
  const Json& meta = Meta(obj);
  return meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
}

// Restart bookkeeping for failed pods: consecutive failures give exponential
// backoff (10 s doubling to 5 min) before the next pod is created.
class FailureBackoff {
 public:
  std::chrono::system_clock::time_point NextAllowed(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = state_.find(key);
    return it == state_.end() ? std::chrono::system_clock::time_point{} : it->second.next_allowed;
  }
  void Failed(const std::string& key, std::chrono::system_clock::time_point now) {
    std::lock_guard lock(mu_);
    auto& s = state_[key];
    s.failures = std::min(s.failures + 1, 6);
    s.next_allowed = now + seconds(10) * (1 << (s.failures - 1));
  }
  void Healthy(const std::string& key) {
    std::lock_guard lock(mu_);
    state_.erase(key);
  }

 private:
  struct State {
    int failures = 0;
    std::chrono::system_clock::time_point next_allowed;
  };
  std::mutex mu_;
  std::map<std::string, State> state_;
};

FailureBackoff& Backoff() {
  static FailureBackoff backoff;
  return backoff;
}

// One pass over one workspace. Collects what it saw into an Observation and
// writes status at the end.
class Pass {
 public:
  Pass(const WorkspaceReconciler::Dependencies& deps, const Json& object, Workspace ws)
      : d_(deps),
        object_(object),
        ws_(std::move(ws)),
        settings_(ResolveSettings(ws_, d_.config)),
        key_(ws_.namespace_ + "/" + ws_.name),
        log_(observe::Logger("reconciler").With("namespace", ws_.namespace_).With("workspace", ws_.name)) {
    seen_.stopped = ws_.StoppedOrCulled();
    seen_.progress_deadline_seconds = d_.config.progress_deadline_seconds;
  }

  ReconcileOutcome Run() {
    const RenderedObjects desired = RenderAll(ws_, d_.config);

    CheckReferencedSecrets();
    EnsureWorkspaceClaim(desired.workspace_pvc);
    CheckExistingClaims();

    if (desired.token_secret) EnsureChild(res::kSecrets, *desired.token_secret);
    // Kept when SSH is turned off, so turning it on again shows the same host key.
    if (desired.ssh_host_key_secret && EnsureChild(res::kSecrets, *desired.ssh_host_key_secret)) {
      const auto host_key = Cached(res::kSecrets, names::SshHostKeySecret(ws_));
      if (host_key) seen_.ssh_host_key_fingerprint = HostKeySecretFingerprint(*host_key);
    }
    if (desired.ssh_keys_secret) {
      EnsureChild(res::kSecrets, *desired.ssh_keys_secret);
    } else {
      EnsureAbsent(res::kSecrets, names::SshKeysSecret(ws_));
    }
    EnsureChild(res::kServices, desired.service);
    if (desired.ssh_service) {
      EnsureChild(res::kServices, *desired.ssh_service);
    } else {
      EnsureAbsent(res::kServices, names::SshService(ws_));
    }
    if (desired.ingress) {
      EnsureChild(res::kIngresses, *desired.ingress);
    } else {
      EnsureAbsent(res::kIngresses, names::Ingress(ws_));
    }
    EnsureChild(res::kNetworkPolicies, desired.network_policy);

    ForgetCullWhenStoppedByTheUser();
    EnsurePod(desired.pod ? &*desired.pod : nullptr);
    WriteStatus();
    return outcome_;
  }

 private:
  // ---- helpers
  void Block(Condition c) {
    if (!seen_.blocker) seen_.blocker = std::move(c);
  }
  void RequeueWithin(seconds s) {
    if (s < seconds(1)) s = seconds(1);
    if (!outcome_.requeue_after || *outcome_.requeue_after > s) outcome_.requeue_after = s;
  }
  void Event(bool warning, const std::string& reason, const std::string& action, const std::string& note) {
    if (!d_.emit_event) return;
    Json regarding = {{"apiVersion", kApiVersion},
                      {"kind", kKind},
                      {"metadata",
                       {{"name", ws_.name}, {"namespace", ws_.namespace_}, {"uid", ws_.uid},
                        {"resourceVersion", Meta(object_).value("resourceVersion", "")}}}};
    d_.emit_event(regarding, warning, reason, action, note);
  }
  std::shared_ptr<const Json> Cached(const kube::Resource& r, const std::string& name) const {
    return d_.cache->Get(r, ws_.namespace_, name);
  }
  // Reads an object the controller does not watch (the user's Secrets and claims).
  std::optional<Json> Read(const kube::Resource& r, const std::string& name) {
    try {
      return d_.client->Get(r, ws_.namespace_, name);
    } catch (const kube::ApiError& e) {
      if (e.IsNotFound()) return std::nullopt;
      throw;
    }
  }

  // ---- children other than the Pod

  // Creates `desired` when absent, applies it when its spec-hash differs.
  // Returns false when a foreign object holds the name (recorded as a blocker).
  bool EnsureChild(const kube::Resource& r, const Json& desired) {
    const std::string name = Meta(desired).value("name", "");
    const auto existing = Cached(r, name);
    if (!existing) {
      Create(r, desired);
      return true;
    }
    if (!IsControlledBy(*existing, ws_.uid)) {
      if (IsTerminating(*existing)) {  // a previous incarnation's child, being collected
        RequeueWithin(seconds(2));
        return false;
      }
      Block({std::string(condition::kConfigValid), false, false, "NameConflict",
             r.kind + " \"" + name + "\" already exists and is not owned by TFWorkspace \"" + ws_.name +
                 "\": delete or rename it, or rename the workspace"});
      return false;
    }
    if (Annotation(*existing, kSpecHashAnnotation) != Annotation(desired, kSpecHashAnnotation)) {
      log_.Info("updating child", {{"kind", r.kind}, {"name", name}});
      d_.client->Apply(r, ws_.namespace_, desired, {.field_manager = kFieldManager, .force = true});
    }
    return true;
  }

  void Create(const kube::Resource& r, const Json& desired) {
    const std::string name = Meta(desired).value("name", "");
    Json body = desired;
    std::string manager = kFieldManager;
    const bool is_token_secret = &r == &res::kSecrets && name == names::TokenSecret(ws_);
    if (is_token_secret) {
      body["stringData"] = {{kTokenSecretKey, GenerateToken()}};
      manager = kTokenFieldManager;
    }
    if (&r == &res::kSecrets && name == names::SshHostKeySecret(ws_)) {  // generated once, never overwritten
      AddNewHostKey(body, "tfws " + ws_.namespace_ + "/" + ws_.name);
      manager = kTokenFieldManager;
    }
    try {
      d_.client->Create(r, ws_.namespace_, body, {.field_manager = manager});
      log_.Info("created child", {{"kind", r.kind}, {"name", name}});
      if (is_token_secret) {
        Event(false, "TokenGenerated", "Create",
              "generated a Jupyter token into Secret " + name + " (key " + kTokenSecretKey + ")");
      }
    } catch (const kube::ApiError& e) {
      if (!e.IsAlreadyExists()) throw;
      RequeueWithin(seconds(1));  // the cache has not seen it yet
    }
  }

  void EnsureAbsent(const kube::Resource& r, const std::string& name) {
    const auto existing = Cached(r, name);
    if (!existing || !IsControlledBy(*existing, ws_.uid) || IsTerminating(*existing)) return;
    try {
      kube::DeleteOptions options;
      options.precondition_uid = Meta(*existing).value("uid", "");
      d_.client->Delete(r, ws_.namespace_, name, options);
      log_.Info("deleted child no longer wanted", {{"kind", r.kind}, {"name", name}});
    } catch (const kube::ApiError& e) {
      if (!e.IsNotFound() && !e.IsConflict()) throw;
    }
  }

  // ---- storage

  void EnsureWorkspaceClaim(const std::optional<Json>& desired) {
    if (!desired) return;
    const std::string name = names::WorkspacePvc(ws_);
    const auto existing = Cached(res::kPersistentVolumeClaims, name);
    if (!existing) {
      Create(res::kPersistentVolumeClaims, *desired);
      NotBound(name, "Pending");
      return;
    }
    // A kept claim (reclaimPolicy Retain) has no ownerReference: it is ours when
    // it carries our workspace label, so a re-created workspace gets its data back.
    const bool ours = IsControlledBy(*existing, ws_.uid) || Label(*existing, kWorkspaceLabel) == ws_.name;
    if (!ours) {
      Block({std::string(condition::kStorageReady), false, false, "NameConflict",
             "PersistentVolumeClaim \"" + name + "\" already exists and does not belong to TFWorkspace \"" +
                 ws_.name + "\": set spec.storage.workspace.existingClaim: " + name +
                 " to use it, or delete it"});
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
  }

  void NotBound(const std::string& claim, const std::string& phase) {
    seen_.storage_ready = false;
    seen_.storage_reason = phase == "Lost" ? "ClaimLost" : "ClaimPending";
    seen_.storage_message = "PersistentVolumeClaim \"" + claim + "\" is " + phase +
                            (phase == "Lost" ? ": its volume is gone; restore it or delete the claim"
                                             : ": waiting for a PersistentVolume that matches its size, "
                                               "access mode and storageClassName");
  }

  void CheckExistingClaims() {
    std::vector<std::pair<std::string, std::string>> claims;  // {claim, field}
    if (ws_.spec.storage.workspace.UsesExistingClaim()) {
      claims.emplace_back(ws_.spec.storage.workspace.existing_claim, "spec.storage.workspace.existingClaim");
    }
    for (size_t i = 0; i < ws_.spec.storage.datasets.size(); ++i) {
      claims.emplace_back(ws_.spec.storage.datasets[i].claim_name,
                          "spec.storage.datasets[" + std::to_string(i) + "].claimName");
    }
    for (const auto& [claim, field] : claims) {
      const auto pvc = Read(res::kPersistentVolumeClaims, claim);
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

  void CheckReferencedSecrets() {
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
      const auto secret = Read(res::kSecrets, ref.name);
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

  // ---- the Pod

  void EnsurePod(const Json* desired) {
    const auto existing = Cached(res::kPods, names::Pod(ws_));
    const Json* pod = existing ? existing.get() : nullptr;
    if (pod && !IsControlledBy(*pod, ws_.uid)) {
      if (!IsTerminating(*pod)) {
        Block({std::string(condition::kConfigValid), false, false, "NameConflict",
               "Pod \"" + names::Pod(ws_) + "\" already exists and is not owned by TFWorkspace \"" + ws_.name +
                   "\": delete it or rename the workspace"});
      }
      pod = nullptr;
      seen_.pod = ViewPod(nullptr);
      RequeueWithin(seconds(5));
      return;
    }
    seen_.pod = ViewPod(pod);

    if (desired == nullptr) {  // stopped or culled
      if (pod && !seen_.pod.terminating) {
        if (ws_.spec.stopped) {
          DeletePod(*pod, "Stopped", "stopped by the user (spec.stopped: true); storage is kept");
          if (d_.metrics) d_.metrics->Stopped(ws_.namespace_, "user");
        } else {
          DeletePod(*pod, "Culled", "marked culled (annotation " + std::string(kCulledAtAnnotation) + ": " +
                                        ws_.culled_at + "); storage is kept");
          if (d_.metrics) d_.metrics->Stopped(ws_.namespace_, "culled");
        }
      }
      return;
    }
    if (seen_.blocker) return;  // never start a pod that cannot work

    if (!pod) {
      CreatePod(*desired);
      return;
    }
    if (seen_.pod.terminating) return;  // its deletion event brings us back

    if (seen_.pod.failed) {
      Backoff().Failed(key_, d_.now());
      if (d_.metrics) d_.metrics->Restarted(ws_.namespace_, ws_.name);
      DeletePod(*pod, "PodFailed", "pod ended with phase " + seen_.pod.phase + "; recreating it with backoff");
      return;
    }
    if (seen_.pod.ready) Backoff().Healthy(key_);

    const bool restart_requested =
        Annotation(*desired, kRestartedAtAnnotation) != Annotation(*pod, kRestartedAtAnnotation);
    const bool outdated = Annotation(*desired, kSpecHashAnnotation) != Annotation(*pod, kSpecHashAnnotation);
    if (restart_requested) {
      if (d_.metrics) d_.metrics->Restarted(ws_.namespace_, ws_.name);
      DeletePod(*pod, "Restarting", "restart requested (spec.restartedAt: " + ws_.spec.restarted_at + ")");
    } else if (outdated && !seen_.pod.scheduled) {
      DeletePod(*pod, "Replacing", "the spec changed before the pod was scheduled; replacing it with the new spec");
    } else if (outdated) {
      seen_.pending_restart = true;
      seen_.pending_restart_message =
          "the spec changed since pod " + ws_.name +
          " started; it keeps running unchanged until you restart it: set spec.restartedAt to the current time, "
          "or stop and start the workspace";
    }
    CheckProgressDeadline();
    if (!seen_.pod.terminating) CheckIdle(*pod);
  }

  void CreatePod(const Json& desired) {
    const auto next_allowed = Backoff().NextAllowed(key_);
    const auto now = d_.now();
    if (now < next_allowed) {
      RequeueWithin(std::chrono::duration_cast<seconds>(next_allowed - now) + seconds(1));
      return;
    }
    try {
      d_.client->Create(res::kPods, ws_.namespace_, desired, {.field_manager = kFieldManager});
      log_.Info("created pod", {{"pod", names::Pod(ws_)}, {"image", settings_.image}});
      Event(false, "PodCreated", "Create",
            "created pod " + names::Pod(ws_) + " (image " + settings_.image +
                (ws_.spec.gpu.count > 0 ? ", " + std::to_string(ws_.spec.gpu.count) + " " + ws_.spec.gpu.resource
                                        : std::string(", no GPU")) +
                ")");
    } catch (const kube::ApiError& e) {
      if (e.IsAlreadyExists()) {
        RequeueWithin(seconds(1));
      } else if (e.IsQuotaExceeded()) {
        Block({std::string(condition::kScheduled), false, false, "QuotaExceeded",
               "a ResourceQuota in namespace " + ws_.namespace_ + " refused pod " + names::Pod(ws_) + ": " +
                   e.message() + " — ask for fewer GPUs (spec.gpu.count) or a larger quota"});
        Event(true, "QuotaExceeded", "Create", e.message());
        RequeueWithin(seconds(300));
      } else if (e.IsForbidden() || e.IsInvalid()) {
        Block({std::string(condition::kConfigValid), false, false, "PodRejected",
               "the API server refused pod " + names::Pod(ws_) + ": " + e.message()});
        Event(true, "PodRejected", "Create", e.message());
      } else {
        throw;
      }
    }
  }

  void DeletePod(const Json& pod, const std::string& reason, const std::string& note) {
    kube::DeleteOptions options;
    options.precondition_uid = Meta(pod).value("uid", "");
    try {
      d_.client->Delete(res::kPods, ws_.namespace_, names::Pod(ws_), options);
    } catch (const kube::ApiError& e) {
      if (!e.IsNotFound() && !e.IsConflict()) throw;
    }
    log_.Info("deleted pod", {{"pod", names::Pod(ws_)}, {"reason", reason}});
    Event(reason == "PodFailed", reason, "Delete", note);
    seen_.pod.terminating = true;
  }

  // ---- idle culling

  // Asks Jupyter about activity when an idle timeout applies; culls once the
  // workspace has been idle that long, else comes back when it would be.
  void CheckIdle(const Json& pod) {
    const int minutes = settings_.idle_timeout_minutes;
    if (minutes <= 0 || !d_.probe_activity || !seen_.pod.ready || seen_.pod.ip.empty()) return;
    std::chrono::system_clock::time_point ready_since;
    if (!ParseRfc3339(seen_.pod.ready_since, ready_since)) return;
    std::optional<std::chrono::system_clock::time_point> restarted;
    if (std::chrono::system_clock::time_point t; ParseRfc3339(ws_.spec.restarted_at, t)) restarted = t;
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
    const std::string now = Rfc3339(d_.now());
    d_.client->Patch(res::kTFWorkspaces, ws_.namespace_, ws_.name, kube::PatchType::kMerge,
                     Json{{"metadata", {{"annotations", {{kCulledAtAnnotation, now}}}}}},
                     {.field_manager = kFieldManager});
    log_.Info("culling an idle workspace",
              {{"idleSince", Rfc3339(decision.idle_since)}, {"idleTimeoutMinutes", minutes}});
    ws_.culled_at = now;
    seen_.stopped = true;
    if (d_.metrics) d_.metrics->Stopped(ws_.namespace_, "culled");
    DeletePod(pod, "Culled",
              "no Jupyter activity since " + Rfc3339(decision.idle_since) + " (idle timeout " +
                  std::to_string(minutes) +
                  " min): stopped to free its GPUs; storage, token and Service are kept; set spec.restartedAt "
                  "to the current time to start it again");
  }

  // The token Jupyter was started with (never logged).
  bool ReadToken(const SecretKeyRef& ref, std::string& token) {
    const auto secret = Read(res::kSecrets, ref.name);
    if (!secret) return false;
    const Json data = secret->value("data", Json::object());
    return data.contains(ref.key) && data[ref.key].is_string() &&
           kube::DecodeBase64(data[ref.key].get<std::string>(), token) && !token.empty();
  }

  // A user who stops a culled workspace starts it later with spec.stopped:
  // false, so the culled mark goes once spec.stopped is set.
  void ForgetCullWhenStoppedByTheUser() {
    if (!ws_.spec.stopped || ws_.culled_at.empty()) return;
    d_.client->Patch(res::kTFWorkspaces, ws_.namespace_, ws_.name, kube::PatchType::kMerge,
                     Json{{"metadata", {{"annotations", {{kCulledAtAnnotation, nullptr}}}}}},
                     {.field_manager = kFieldManager});
    ws_.culled_at.clear();
  }

  void CheckProgressDeadline() {
    const PodView& pod = seen_.pod;
    if (!pod.exists || pod.ready || pod.terminating) return;
    std::chrono::system_clock::time_point created;
    if (!ParseRfc3339(pod.created_at, created)) return;
    const auto deadline = created + seconds(d_.config.progress_deadline_seconds);
    const auto now = d_.now();
    if (now >= deadline) {
      seen_.progress_deadline_exceeded = true;
    } else {
      RequeueWithin(std::chrono::duration_cast<seconds>(deadline - now) + seconds(1));
    }
  }

  // ---- status, events, metrics

  void WriteStatus() {
    const Json previous = object_.value("status", Json::object());
    const Json status = ComputeStatus(ws_, settings_, seen_, previous, Rfc3339(d_.now()));
    RecordTransitions(previous, status);
    RecordMetrics(status);
    if (status == previous) return;

    Json patch_status = status;
    for (const auto& [k, v] : previous.items()) {
      if (!status.contains(k)) patch_status[k] = nullptr;  // merge patch removes with null
    }
    d_.client->Patch(res::kTFWorkspaces, ws_.namespace_, ws_.name, kube::PatchType::kMerge,
                     Json{{"status", patch_status}}, {.field_manager = kFieldManager}, "status");
  }

  void RecordTransitions(const Json& previous, const Json& status) {
    const std::string before = previous.value("phase", "");
    const std::string after = status.value("phase", "");
    if (before == after) return;
    log_.Info("phase changed", {{"from", before}, {"to", after}, {"message", status.value("message", "")}});
    const bool warning = after == phase::kFailed;
    Event(warning, "Phase" + after, "Reconcile", status.value("message", ""));
    if (after == phase::kRunning && d_.metrics) {
      std::chrono::system_clock::time_point created, ready;
      if (ParseRfc3339(seen_.pod.created_at, created) && ParseRfc3339(seen_.pod.ready_since, ready) &&
          ready >= created) {
        d_.metrics->StartupObserved(std::chrono::duration<double>(ready - created).count());
      }
    }
  }

  void RecordMetrics(const Json& status) {
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

  const WorkspaceReconciler::Dependencies& d_;
  const Json& object_;
  Workspace ws_;
  EffectiveSettings settings_;
  std::string key_;
  observe::Logger log_;
  Observation seen_;
  ReconcileOutcome outcome_;
};

}  // namespace

WorkspaceReconciler::WorkspaceReconciler(Dependencies deps) : deps_(std::move(deps)) {}

ReconcileOutcome WorkspaceReconciler::Reconcile(const std::string& ns, const std::string& name) {
  const auto object = deps_.cache->Get(res::kTFWorkspaces, ns, name);
  if (!object) {
    if (deps_.metrics) deps_.metrics->Forget(ns, name);
    Backoff().Healthy(ns + "/" + name);
    return {};
  }
  if (IsTerminating(*object)) return {};  // children go with it (ownerReferences)

  Workspace ws;
  try {
    ws = ResolveClass(ParseWorkspace(*object), deps_.cache->List(res::kTFWorkspaceClasses));
  } catch (const InvalidSpecError& e) {
    // The schema should have refused it; say so on the object instead of retrying.
    Json status = object->value("status", Json::object());
    Json conditions = status.value("conditions", Json::array());
    const std::string now = Rfc3339(deps_.now());
    const long gen = Meta(*object).value("generation", 0L);
    SetCondition(conditions, {std::string(condition::kConfigValid), false, false, e.reason(), e.what()}, gen, now);
    SetCondition(conditions, {std::string(condition::kReady), false, false, e.reason(), e.what()}, gen, now);
    Json next = status;
    next["conditions"] = conditions;
    next["phase"] = phase::kFailed;
    next["message"] = e.what();
    next["observedGeneration"] = gen;
    if (next != status) {
      deps_.client->Patch(res::kTFWorkspaces, ns, name, kube::PatchType::kMerge, Json{{"status", next}},
                          {.field_manager = kFieldManager}, "status");
    }
    return {};
  }
  return Pass(deps_, *object, std::move(ws)).Run();
}

}  // namespace tfws::workspace
