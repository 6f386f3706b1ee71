#include "workspace/controller.h"

#include "runtime/cache_trim.h"
#include "runtime/lister_watcher.h"
#include "runtime/object.h"
#include "workspace/naming.h"
#include "workspace/retry_schedule.h"
#include "workspace/secret_digest.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

namespace res = kube::resources;
using runtime::ObjectPtr;

namespace {
constexpr const char* kManagedBySelector = "app.kubernetes.io/managed-by=tfws-operator";

// Secrets are cached without their data: a token kept in memory is a token
// that can leak. Only a digest of it stays, to see it change (secret_digest.h).
kube::Json TrimSecret(kube::Json object) {
  return ReplaceSecretDataByDigest(runtime::DropServerBookkeeping(std::move(object)));
}
}  // namespace

// The informers of one resource: one per watched namespace, or one cluster-wide.
struct WorkspaceController::Watched {
  kube::Resource resource;
  std::vector<std::pair<std::string, std::unique_ptr<runtime::Informer>>> by_namespace;  // "" = all

  runtime::Store* StoreFor(const std::string& ns) const {
    for (const auto& [informer_ns, informer] : by_namespace) {
      if (informer_ns.empty() || informer_ns == ns) return &informer->store();
    }
    return nullptr;
  }
};

class WorkspaceController::Adapter final : public runtime::Reconciler {
 public:
  explicit Adapter(WorkspaceReconciler& r) : r_(r) {}
  runtime::ReconcileResult Reconcile(const std::string& key, std::stop_token stop) override {
    const auto [ns, name] = runtime::SplitKey(key);
    const ReconcileOutcome outcome = r_.Reconcile(ns, name, stop);
    if (outcome.requeue_after) return runtime::ReconcileResult::RequeueAfter(*outcome.requeue_after);
    return runtime::ReconcileResult::Done();
  }

 private:
  WorkspaceReconciler& r_;
};

WorkspaceController::WorkspaceController(kube::Client& client, WorkspaceControllerOptions options)
    : client_(client), options_(std::move(options)) {
  WorkspaceReconciler::Dependencies deps;
  deps.client = &client_;
  deps.cache = this;
  deps.config = options_.config;
  deps.emit_event = options_.emit_event;
  deps.metrics = options_.workspace_metrics;
  deps.probe_activity = options_.probe_activity;
  reconciler_ = std::make_unique<WorkspaceReconciler>(std::move(deps));
  adapter_ = std::make_unique<Adapter>(*reconciler_);

  runtime::ControllerOptions copts;
  copts.name = "tfworkspace";
  copts.workers = options_.workers;
  copts.queue_metrics = options_.queue_metrics;
  copts.metrics = options_.controller_metrics;
  controller_ = std::make_unique<runtime::Controller>(*adapter_, std::move(copts));

  Watch(res::kTFWorkspaces, "", runtime::TrimForCache("TFWorkspace"), controller_->EnqueueSelf());
  const auto to_workspace = EnqueueWorkspaceOfChild();
  Watch(res::kPods, kManagedBySelector, runtime::TrimForCache("Pod"), to_workspace);
  Watch(res::kServices, kManagedBySelector, runtime::TrimForCache("Service", kFieldManager), to_workspace);
  Watch(res::kSecrets, kManagedBySelector, TrimSecret, to_workspace);
  Watch(res::kPersistentVolumeClaims, kManagedBySelector, runtime::TrimForCache("PersistentVolumeClaim"),
        to_workspace);
  Watch(res::kIngresses, kManagedBySelector, runtime::TrimForCache("Ingress", kFieldManager), to_workspace);
  Watch(res::kNetworkPolicies, kManagedBySelector, runtime::TrimForCache("NetworkPolicy", kFieldManager), to_workspace);
  // A quota that changes may let a refused child in: look again at the
  // namespace's workspaces that a quota blocks (only those).
  Watch(res::kResourceQuotas, "", runtime::TrimForCache("ResourceQuota"), EnqueueWorkspacesBlockedByQuota());
  // Whether a claim binds before its Pod exists (reconcile_storage.cc); read only.
  Watch(res::kStorageClasses, "", runtime::TrimForCache("StorageClass"), std::make_shared<runtime::FuncEventHandler>());
  // A class change reaches every workspace (its rendered Pod changes -> PendingRestart).
  Watch(res::kTFWorkspaceClasses, "", runtime::TrimForCache("TFWorkspaceClass"), EnqueueAllWorkspaces());
}

WorkspaceController::~WorkspaceController() { Stop(); }

void WorkspaceController::Watch(const kube::Resource& resource, const std::string& label_selector,
                                runtime::Transform transform, std::shared_ptr<runtime::EventHandler> handler) {
  auto watched = std::make_unique<Watched>();
  watched->resource = resource;
  std::vector<std::string> namespaces = options_.namespaces;
  if (namespaces.empty() || !resource.namespaced) namespaces = {""};
  for (const auto& ns : namespaces) {
    runtime::WatcherOptions wopts;
    wopts.name = resource.resource + (ns.empty() ? "" : "." + ns);
    auto informer = std::make_unique<runtime::Informer>(
        std::make_unique<runtime::ClientListerWatcher>(client_, resource, ns, label_selector), transform, wopts);
    informer->AddHandler(handler);
    controller_->DependsOn(informer->store());
    watched->by_namespace.emplace_back(ns, std::move(informer));
  }
  watched_.push_back(std::move(watched));
}

std::shared_ptr<runtime::EventHandler> WorkspaceController::EnqueueWorkspaceOfChild() {
  auto handler = std::make_shared<runtime::FuncEventHandler>();
  auto enqueue = [this](const ObjectPtr& o) {
    if (!o) return;
    const auto labels = (*o)["metadata"].value("labels", kube::Json::object());
    const std::string workspace = labels.value(kWorkspaceLabel, "");
    if (!workspace.empty()) {
      controller_->queue().Add(runtime::MakeKey(runtime::NamespaceOf(*o), workspace),
                               runtime::WorkQueue::Lane::kFollowUp);
    }
  };
  handler->on_add = enqueue;
  handler->on_update = [enqueue](const ObjectPtr&, const ObjectPtr& o) { enqueue(o); };
  handler->on_delete = enqueue;
  return handler;
}

namespace {
// Its status says a ResourceQuota refused one of its children.
bool BlockedByQuota(const kube::Json& workspace) {
  const auto status = workspace.value("status", kube::Json::object());
  for (const auto& c : status.value("conditions", kube::Json::array())) {
    if (c.value("status", "") == "False" && c.value("reason", "") == "QuotaExceeded") return true;
  }
  return false;
}
}  // namespace

std::shared_ptr<runtime::EventHandler> WorkspaceController::EnqueueWorkspacesBlockedByQuota() {
  auto handler = std::make_shared<runtime::FuncEventHandler>();
  auto enqueue = [this](const ObjectPtr& o) {
    if (!o) return;
    const std::string ns = runtime::NamespaceOf(*o);
    const runtime::Store* store = watched_.front()->StoreFor(ns);  // TFWorkspaces come first
    if (!store) return;
    for (const auto& ws : store->ByIndex(runtime::kIndexNamespace, ns)) {
      if (!BlockedByQuota(*ws)) continue;
      const std::string key = runtime::KeyOf(*ws);
      Retries().RetryNowBlockedBy(key, "QuotaExceeded", std::chrono::system_clock::now());
      controller_->queue().Add(key, runtime::WorkQueue::Lane::kFollowUp);
    }
  };
  // A quota that changes (its usage, its limits) or goes away may let a child
  // in; a new one only restricts more (and the initial list after a restart
  // must not retry what status says is still refused).
  handler->on_update = [enqueue](const ObjectPtr&, const ObjectPtr& o) { enqueue(o); };
  handler->on_delete = enqueue;
  return handler;
}

std::shared_ptr<runtime::EventHandler> WorkspaceController::EnqueueAllWorkspaces() {
  auto handler = std::make_shared<runtime::FuncEventHandler>();
  auto enqueue = [this](const ObjectPtr&) {
    for (const auto& [ns, informer] : watched_.front()->by_namespace) {  // TFWorkspaces come first
      for (const auto& ws : informer->store().List()) controller_->queue().Add(runtime::KeyOf(*ws));
    }
  };
  handler->on_add = enqueue;
  handler->on_update = [enqueue](const ObjectPtr&, const ObjectPtr& o) { enqueue(o); };
  handler->on_delete = enqueue;
  return handler;
}

std::vector<std::shared_ptr<const kube::Json>> WorkspaceController::List(const kube::Resource& resource) const {
  for (const auto& w : watched_) {
    if (w->resource.resource == resource.resource && w->resource.group == resource.group) {
      if (const runtime::Store* store = w->StoreFor("")) return store->List();
    }
  }
  return {};
}

void WorkspaceController::Start() {
  for (auto& w : watched_) {
    for (auto& [ns, informer] : w->by_namespace) informer->Start();
  }
}

bool WorkspaceController::Synced() const {
  for (const auto& w : watched_) {
    for (const auto& [ns, informer] : w->by_namespace) {
      if (!informer->Synced()) return false;
    }
  }
  return true;
}

bool WorkspaceController::RunWorkers(std::stop_token stop) { return controller_->Run(stop); }

void WorkspaceController::Stop() {
  for (auto& w : watched_) {
    for (auto& [ns, informer] : w->by_namespace) informer->Stop();
  }
}

std::shared_ptr<const kube::Json> WorkspaceController::Get(const kube::Resource& resource, const std::string& ns,
                                                           const std::string& name) const {
  for (const auto& w : watched_) {
    if (w->resource.resource != resource.resource || w->resource.group != resource.group) continue;
    const runtime::Store* store = w->StoreFor(ns);
    return store ? store->Get(ns, name) : nullptr;
  }
  return nullptr;
}

std::size_t WorkspaceController::CachedObjects() const {
  std::size_t n = 0;
  for (const auto& w : watched_) {
    for (const auto& [ns, informer] : w->by_namespace) n += informer->store().Size();
  }
  return n;
}

}  // namespace tfws::workspace
