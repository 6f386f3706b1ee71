#include "workspace/reconcile_pass.h"

#include "kube/api_error.h"
#include "workspace/naming.h"
#include "workspace/object_metadata.h"
#include "workspace/render.h"
#include "workspace/unseen_creates.h"
#include "workspace/written_over.h"

namespace tfws::workspace {

using kube::Json;
namespace res = kube::resources;
using std::chrono::seconds;

Pass::Pass(const WorkspaceReconciler::Dependencies& deps, const Json& object, Workspace ws)
    : d_(deps),
      object_(object),
      ws_(std::move(ws)),
      settings_(ResolveSettings(ws_, d_.config)),
      key_(ws_.namespace_ + "/" + ws_.name),
      log_(observe::Logger("reconciler").With("namespace", ws_.namespace_).With("workspace", ws_.name)) {
  seen_.stopped = ws_.StoppedOrCulled();
  seen_.progress_deadline_seconds = d_.config.progress_deadline_seconds;
}

ReconcileOutcome Pass::Run(std::stop_token stop) {
  // Between steps a cancelled pass (the operator stopping, or its Lease lost)
  // ends at once without writing anything more, status included; the next
  // leader's pass starts from what is on the server.
  const auto cancelled = [&](const char* before) {
    if (!stop.stop_requested()) return false;
    log_.Info("pass cancelled", {{"before", before}});
    return true;
  };
  const RenderedObjects desired = RenderAll(ws_, d_.config);

  CheckReferencedSecrets();
  EnsureWorkspaceClaim(desired.workspace_pvc);
  CheckExistingClaims();

  if (cancelled("Secrets")) return {};
  if (desired.token_secret) EnsureChild(res::kSecrets, *desired.token_secret);
  // Kept when SSH is turned off, so turning it on again shows the same host key.
  if (desired.ssh_host_key_secret && EnsureChild(res::kSecrets, *desired.ssh_host_key_secret)) {
    const auto host_key = Cached(res::kSecrets, names::SshHostKeySecret(ws_));
    if (host_key) seen_.ssh_host_key_fingerprint = HostKeyFingerprint(*host_key);
  }
  if (desired.ssh_keys_secret) {
    EnsureChild(res::kSecrets, *desired.ssh_keys_secret);
  } else {
    EnsureAbsent(res::kSecrets, names::SshKeysSecret(ws_));
  }
  if (cancelled("Services")) return {};
  EnsureChild(res::kServices, desired.service);
  if (desired.ssh_service) {
    EnsureChild(res::kServices, *desired.ssh_service);
  } else {
    EnsureAbsent(res::kServices, names::SshService(ws_));
  }
  if (cancelled("Ingress")) return {};
  if (desired.ingress) {
    EnsureChild(res::kIngresses, *desired.ingress);
  } else {
    EnsureAbsent(res::kIngresses, names::Ingress(ws_));
  }
  EnsureChild(res::kNetworkPolicies, desired.network_policy);

  if (cancelled("Pod")) return {};
  ForgetCullWhenStoppedByTheUser();
  EnsurePod(desired.pod ? &*desired.pod : nullptr);
  if (cancelled("status")) return {};
  WriteStatus();
  return outcome_;
}

void ForgetWorkspace(const std::string& key) {
  ForgetWorkspaceRetries(key);
  ForgetReportedTransitions(key);
  LastWrites().ForgetWorkspace(key);
  CreatesNotSeen().ForgetWorkspace(key);
}

void Pass::Block(Condition c) {
  if (!seen_.blocker) seen_.blocker = std::move(c);
}

void Pass::RequeueWithin(seconds s) {
  if (s < seconds(1)) s = seconds(1);
  if (!outcome_.requeue_after || *outcome_.requeue_after > s) outcome_.requeue_after = s;
}

void Pass::Event(bool warning, const std::string& reason, const std::string& action, const std::string& note) {
  if (!d_.emit_event) return;
  Json regarding = {{"apiVersion", kApiVersion},
                    {"kind", kKind},
                    {"metadata",
                     {{"name", ws_.name}, {"namespace", ws_.namespace_}, {"uid", ws_.uid},
                      {"resourceVersion", Meta(object_).value("resourceVersion", "")}}}};
  d_.emit_event(regarding, warning, reason, action, note);
}

std::shared_ptr<const Json> Pass::Cached(const kube::Resource& r, const std::string& name) const {
  auto cached = d_.cache->Get(r, ws_.namespace_, name);
  if (cached && CreatesNotSeen().AnyAwaited()) CreatesNotSeen().Seen(key_, ChildObject(r, name));
  return cached;
}

// Reads an object the controller does not watch (the user's Secrets and claims).
std::optional<Json> Pass::Read(const kube::Resource& r, const std::string& name) {
  try {
    return d_.client->Get(r, ws_.namespace_, name);
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) return std::nullopt;
    throw;
  }
}
}  // namespace tfws::workspace
