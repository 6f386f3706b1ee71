// Owned children other than the Pod: Secrets, Services, Ingress, NetworkPolicy.
#include "kube/api_error.h"
#include "workspace/naming.h"
#include "workspace/object_metadata.h"
#include "workspace/reconcile_pass.h"
#include "workspace/render.h"
#include "workspace/retry_schedule.h"
#include "workspace/secret_digest.h"
#include "workspace/ssh_host_keys.h"
#include "workspace/token.h"
#include "workspace/unseen_creates.h"
#include "workspace/written_over.h"

namespace tfws::workspace {

using kube::Json;
namespace res = kube::resources;
using std::chrono::seconds;

namespace {

// The workspace's own child: controlled by it, or (a claim kept by reclaim
// policy Retain has no ownerReference) a claim carrying its workspace label.
bool Ours(const kube::Resource& r, const Json& obj, const Workspace& ws) {
  return IsControlledBy(obj, ws.uid) ||
         (&r == &res::kPersistentVolumeClaims && Label(obj, kWorkspaceLabel) == ws.name);
}
}  // namespace

// Creates `desired` when absent, applies it when its spec-hash differs.
// Returns false when the child is not in place (a foreign object holds the
// name, or the API server refused it: recorded as a blocker).
bool Pass::EnsureChild(const kube::Resource& r, const Json& desired) {
  const std::string name = Meta(desired).value("name", "");
  auto existing = Cached(r, name);
  if (!existing && LastBlockedByNameConflict()) {
    // The cache only holds objects we label: a foreign object with the name
    // is invisible to it, so look (a read) before trying to create again.
    if (auto live = Read(r, name)) existing = std::make_shared<const Json>(std::move(*live));
  }
  if (!existing) return Create(r, desired);
  if (!IsControlledBy(*existing, ws_.uid)) {
    if (IsTerminating(*existing)) {  // a previous incarnation's child, being collected
      RequeueWithin(seconds(2));
      return false;
    }
    NameConflict(r, *existing);
    return false;
  }
  const bool outdated = Annotation(*existing, kSpecHashAnnotation) != Annotation(desired, kSpecHashAnnotation);
  if (outdated || Drifted(*existing, desired)) {
    if (StillRefused(r, desired)) return false;
    // Applied already on this very version: the cache has not seen our write
    // yet (another event ran this pass first). Look again when it has.
    const std::string child = ChildObject(r, name);
    const std::string version = Meta(*existing).value("resourceVersion", "");
    if (LastWrites().CacheBehind(key_, child, version)) {
      RequeueWithin(seconds(2));
      return true;
    }
    try {
      log_.Info(outdated ? "updating child" : "restoring a child someone changed", {{"kind", r.kind}, {"name", name}});
      d_.client->Apply(r, ws_.namespace_, desired, {.field_manager = kFieldManager, .force = true});
      LastWrites().Record(key_, child, version);
      Retries().Forget(key_, CauseOf(r, desired));
    } catch (const kube::ApiError& e) {
      Refused(r, desired, e);
      return false;
    }
  }
  return true;
}

bool Pass::Create(const kube::Resource& r, const Json& desired) {
  const std::string name = Meta(desired).value("name", "");
  if (StillRefused(r, desired)) return false;
  const std::string object = ChildObject(r, name);
  if (CreatesNotSeen().Awaited(key_, object, d_.now())) {  // created; its watch event is on its way
    RequeueWithin(seconds(2));
    return true;
  }
  Json body = desired;
  std::string manager = kFieldManager;
  const bool is_token_secret = &r == &res::kSecrets && name == names::TokenSecret(ws_);
  if (is_token_secret) {
    body["stringData"] = {{kTokenSecretKey, GenerateToken()}};
    manager = kTokenFieldManager;
  }
  const bool is_host_key_secret = &r == &res::kSecrets && name == names::SshHostKeySecret(ws_);
  if (is_host_key_secret) {  // generated once, never overwritten
    AddNewHostKey(body, "tfws " + ws_.namespace_ + "/" + ws_.name);
    manager = kTokenFieldManager;
  }
  try {
    const Json created = d_.client->Create(r, ws_.namespace_, body, {.field_manager = manager});
    CreatesNotSeen().Created(key_, object, d_.now());
    // The Pod created later in this pass is stamped with it (the cache has not seen the Secret yet).
    if (is_token_secret || is_host_key_secret) created_secret_digests_[name] = SecretDataDigest(created);
    log_.Info("created child", {{"kind", r.kind}, {"name", name}});
    Retries().Forget(key_, CauseOf(r, desired));
    return true;
  } catch (const kube::ApiError& e) {
    if (!e.IsAlreadyExists()) {
      Refused(r, desired, e);
      return false;
    }
  }
  // AlreadyExists: ours and not yet in the cache, or someone else's. One
  // uncached read tells which.
  const auto live = Read(r, name);
  if (live && !Ours(r, *live, ws_) && !IsTerminating(*live)) {
    NameConflict(r, *live);
    return false;
  }
  if (live && Ours(r, *live, ws_) && !IsTerminating(*live) && Drifted(*live, desired)) {
    // Ours, but someone removed the labels the informer selects on: put them back.
    log_.Info("restoring a child someone changed", {{"kind", r.kind}, {"name", name}});
    d_.client->Apply(r, ws_.namespace_, desired, {.field_manager = kFieldManager, .force = true});
    return true;
  }
  RequeueWithin(seconds(1));  // ours (the cache lags) or just deleted
  return live.has_value();
}

bool Pass::LastBlockedByNameConflict() const {
  const Json conditions = object_.value("status", Json::object()).value("conditions", Json::array());
  for (const auto type : {condition::kConfigValid, condition::kStorageReady}) {
    const Json* c = FindCondition(conditions, type);
    if (c && c->value("status", "") == "False" && c->value("reason", "") == "NameConflict") return true;
  }
  return false;
}

namespace {

// `have` holds everything `want` sets: every key of an object (recursively),
// arrays of the same length element by element, equal scalars. What the
// server or someone else adds beside it does not count; an empty or null
// `want` is held by an absent field (the server omits empty lists).
bool Covers(const Json& have, const Json& want) {
  if (want.is_object()) {
    if (!have.is_object()) return want.empty();
    for (const auto& [k, v] : want.items()) {
      auto it = have.find(k);
      if (it == have.end()) {
        if (!(v.is_null() || ((v.is_array() || v.is_object()) && v.empty()))) return false;
      } else if (!Covers(*it, v)) {
        return false;
      }
    }
    return true;
  }
  if (want.is_array()) {
    if (!have.is_array()) return want.empty() && have.is_null();
    if (have.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (!Covers(have[i], want[i])) return false;
    }
    return true;
  }
  return have == want;
}

}  // namespace

// Drift: the fields the operator sets no longer hold what it rendered —
// someone edited the child. Labels and annotations always; the spec too:
// Services, NetworkPolicies and Ingresses are cached with only the spec
// fields the operator's field manager owns (runtime::OwnedFields), and a field
// someone else changed is no longer ours, so it is missing there. Secrets are
// cached without data but with its digest (secret_digest.h): one rendered with
// its data (the authorized keys) has drifted when the digests differ; the
// generated ones (token, host key) render no data and are not restored (a
// changed one is reported by the Pod check, reconcile_secret_digests.cc).
bool Pass::Drifted(const Json& existing, const Json& desired) const {
  const Json& have = Meta(existing);
  const Json& want = Meta(desired);
  for (const char* field : {"labels", "annotations"}) {
    if (want.contains(field) && !Covers(have.value(field, Json::object()), want[field])) return true;
  }
  if (desired.contains("data") && SecretDataDigest(existing) != SecretDataDigest(desired)) return true;
  return desired.contains("spec") && !Covers(existing.value("spec", Json::object()), desired["spec"]);
}

namespace {

// Who a user asks about someone else's object: its controller, its
// managed-by label, or the field manager that created it.
std::string HolderOf(const Json& obj) {
  for (const auto& ref : Meta(obj).value("ownerReferences", Json::array())) {
    if (ref.value("controller", false)) {
      return "it is controlled by " + ref.value("kind", std::string("an object")) + " \"" + ref.value("name", "") +
             "\"";
    }
  }
  if (const std::string by = Label(obj, "app.kubernetes.io/managed-by"); !by.empty()) {
    return "it is managed by " + by;
  }
  const Json fields = Meta(obj).value("managedFields", Json::array());
  if (!fields.empty() && fields.front().is_object()) {
    const std::string manager = fields.front().value("manager", "");
    if (!manager.empty()) return "it was created by \"" + manager + "\"";
  }
  return "it was created by someone else";
}

// What to change when the API server refuses a child of this kind.
std::string FixFor(const std::string& kind) {
  if (kind == "Ingress") {
    return "correct spec.ingress (host: a lower-case DNS name; tlsSecretName: a lower-case DNS-1123 name; path: "
           "an absolute path without /./ or /../)";
  }
  if (kind == "Service") return "check spec.ssh and spec.jupyter ports";
  if (kind == "PersistentVolumeClaim") return "correct spec.storage.workspace (size, storageClassName)";
  if (kind == "Pod") return "correct the workspace spec (image, resources, env) the message points at";
  return "correct the workspace spec";
}

}  // namespace

void Pass::NameConflict(const kube::Resource& r, const Json& holder) {
  const std::string name = Meta(holder).value("name", "");
  const std::string type =
      &r == &res::kPersistentVolumeClaims ? std::string(condition::kStorageReady) : std::string(condition::kConfigValid);
  std::string fix = "ask its owner to delete or rename it, or create the workspace under another name";
  if (&r == &res::kPersistentVolumeClaims) {
    fix = "set spec.storage.workspace.existingClaim: " + name + " to use it, " + fix;
  }
  const Condition conflict{type, false, false, "NameConflict",
                           r.kind + " \"" + name + "\" in namespace " + ws_.namespace_ +
                               " already exists and is not owned by TFWorkspace \"" + ws_.name + "\" (" +
                               HolderOf(holder) + "): " + fix};
  Block(conflict);
  // Looking again is a read (EnsureChild), so a short cap costs no writes.
  Retries().Failed(key_, r.kind + "/" + name + "/conflict", kNameConflictRetry, d_.now(), conflict);
  if (const auto pending = Retries().Wait(key_, r.kind + "/" + name + "/conflict", d_.now())) {
    RequeueWithin(pending->wait);
  }
}

std::string Pass::CauseOf(const kube::Resource& r, const Json& desired) const {
  return r.kind + "/" + Meta(desired).value("name", "") + "@" + Annotation(desired, kSpecHashAnnotation);
}

bool Pass::StillRefused(const kube::Resource& r, const Json& desired) {
  const std::string name = Meta(desired).value("name", "");
  if (const auto pending = Retries().Wait(key_, CauseOf(r, desired), d_.now())) {
    Block(pending->blocker);
    RequeueWithin(pending->wait);
    return true;
  }
  // Status remembers across operator restarts (no write to find out again):
  // a child refused as invalid stays invalid until the spec changes; one
  // refused by a quota until a quota changes (the controller watches quotas
  // and retries then), unless this process already tried it since.
  const Json conditions = object_.value("status", Json::object()).value("conditions", Json::array());
  const std::string refused = "the API server refused " + r.kind + " \"" + name + "\" (";
  const Json* c = FindCondition(conditions, condition::kConfigValid);
  if (c != nullptr && c->value("status", "") == "False" && c->value("observedGeneration", -1L) == ws_.generation) {
    const std::string reason = c->value("reason", "");
    const std::string message = c->value("message", "");
    if ((reason == "ChildRejected" || reason == "PodRejected") && message.starts_with(refused + "422 ")) {
      Block({std::string(condition::kConfigValid), false, false, reason, message});
      return true;
    }
  }
  if (Retries().Known(key_, CauseOf(r, desired))) return false;  // its time has come (or a quota changed)
  c = FindCondition(conditions, condition::kScheduled);
  if (c != nullptr && c->value("status", "") == "False" && c->value("observedGeneration", -1L) == ws_.generation &&
      c->value("reason", "") == "QuotaExceeded" && c->value("message", "").starts_with(refused)) {
    const Condition blocker{std::string(condition::kScheduled), false, false, "QuotaExceeded", c->value("message", "")};
    Block(blocker);
    Retries().Failed(key_, CauseOf(r, desired), kQuotaRetry, d_.now(), blocker);  // Known from now on
    if (const auto pending = Retries().Wait(key_, CauseOf(r, desired), d_.now())) RequeueWithin(pending->wait);
    return true;
  }
  return false;
}

void Pass::Refused(const kube::Resource& r, const Json& desired, const kube::ApiError& e, const char* reason) {
  const std::string name = Meta(desired).value("name", "");
  if (e.IsConflict() || e.IsTooManyRequests()) throw e;  // transient: the work queue retries soon
  const std::string object = r.kind + " \"" + name + "\"";
  const std::string said = "the API server refused " + object + " (" + std::to_string(e.code()) + " " +
                           (e.reason().empty() ? std::string("Error") : e.reason()) + "): " + e.message();
  Condition blocker;
  if (e.IsQuotaExceeded()) {
    // A quota change re-queues the workspace at once (the controller watches quotas).
    blocker = {std::string(condition::kScheduled), false, false, "QuotaExceeded",
               said + " — ask your cluster admin for a larger ResourceQuota in namespace " + ws_.namespace_ +
                   (&r == &res::kPods ? ", or ask for fewer GPUs (spec.gpu.count) and resources"
                                      : ", or delete unused objects it counts")};
  } else if (e.IsInvalid()) {
    blocker = {std::string(condition::kConfigValid), false, false, reason, said + " — " + FixFor(r.kind)};
  } else if (e.IsForbidden()) {
    blocker = {std::string(condition::kConfigValid), false, false, reason,
               said + " — an admission policy or webhook refused it: ask your cluster admin which rule, or " +
                   FixFor(r.kind)};
  } else {
    blocker = {std::string(condition::kConfigValid), false, false, reason,
               said + " — retried with backoff; if it persists ask your cluster admin about the API server"};
  }
  log_.Info("child refused", {{"kind", r.kind}, {"name", name}, {"code", e.code()}, {"reason", e.reason()}});
  Block(blocker);
  Retries().Failed(key_, CauseOf(r, desired), e.IsQuotaExceeded() ? kQuotaRetry : kRefusedRetry, d_.now(), blocker);
  if (const auto pending = Retries().Wait(key_, CauseOf(r, desired), d_.now())) RequeueWithin(pending->wait);
}

void Pass::EnsureAbsent(const kube::Resource& r, const std::string& name) {
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

}  // namespace tfws::workspace
