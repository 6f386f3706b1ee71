// Wires the TFWorkspace reconciler into the runtime: informers for
// TFWorkspaces and for the children the operator labels
// (app.kubernetes.io/managed-by=tfws-operator), one per watched namespace (or
// one cluster-wide), event handlers that map every change to its workspace's
// key, and the worker pool.
//
// Informers start at Start() and keep caches warm on a standby replica too;
// workers reconcile only inside RunWorkers() (called while leading). Thread-safe.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "kube/client.h"
#include "observe/machinery_metrics.h"
#include "runtime/controller.h"
#include "runtime/informer.h"
#include "workspace/object_reader.h"
#include "workspace/reconciler.h"

namespace tfws::workspace {

struct WorkspaceControllerOptions {
  std::vector<std::string> namespaces;  // empty = all namespaces
  int workers = 4;
  OperatorConfig config;
  EventEmitter emit_event;
  observe::WorkspaceMetrics* workspace_metrics = nullptr;
  observe::QueueMetrics* queue_metrics = nullptr;
  observe::ControllerMetrics* controller_metrics = nullptr;
  ActivityProbe probe_activity;  // idle culling; empty = never cull
};

class WorkspaceController final : public ObjectReader {
 public:
  WorkspaceController(kube::Client& client, WorkspaceControllerOptions options);
  ~WorkspaceController() override;

  void Start();                        // starts every informer
  bool Synced() const;                 // every informer has listed once
  bool RunWorkers(std::stop_token stop);  // blocks; see runtime::Controller::Run
  void Stop();                         // stops the informers

  // ObjectReader over the informer caches.
  std::shared_ptr<const kube::Json> Get(const kube::Resource& resource, const std::string& ns,
                                        const std::string& name) const override;
  std::vector<std::shared_ptr<const kube::Json>> List(const kube::Resource& resource) const override;
  std::size_t CachedObjects() const;

 private:
  class Adapter;
  struct Watched;
  void Watch(const kube::Resource& resource, const std::string& label_selector, runtime::Transform transform,
             std::shared_ptr<runtime::EventHandler> handler);
  std::shared_ptr<runtime::EventHandler> EnqueueWorkspaceOfChild();
  std::shared_ptr<runtime::EventHandler> EnqueueWorkspacesBlockedByQuota();
  std::shared_ptr<runtime::EventHandler> EnqueueAllWorkspaces();

  kube::Client& client_;
  WorkspaceControllerOptions options_;
  std::unique_ptr<WorkspaceReconciler> reconciler_;
  std::unique_ptr<Adapter> adapter_;
  std::unique_ptr<runtime::Controller> controller_;
  std::vector<std::unique_ptr<Watched>> watched_;
};

}  // namespace tfws::workspace
