// Domain metrics of TFWorkspaces (tfws_*), fed by the workspace controller.
//
// Series (all bounded: one per workspace or per namespace x phase, no free text):
//   tfws_workspaces{namespace,phase}                         gauge, workspaces per phase
//   tfws_workspace_info{namespace,workspace,owner,team,image,gpu_resource,node,pod} = 1
//   tfws_workspace_gpus_allocated{namespace,workspace,owner,team,resource}   gauge
//   tfws_workspace_startup_seconds                            histogram, creation -> Ready
//   tfws_workspace_restarts_total{namespace,workspace}        counter
//   tfws_workspace_stops_total{namespace,reason=user|culled|failed}  counter
//
// Contract: Observe() is idempotent — calling it again with the same sample
// changes nothing; when any label of a workspace changes, its old series are
// removed and new ones created (never two info series for one workspace).
// Forget() removes every per-workspace series (info, gpus, restarts) and its
// phase count. Thread-safe (one internal mutex, no I/O). Throws nothing except
// std::invalid_argument from Stopped() for an unknown reason.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace tfws::observe {

// What the controller knows about one workspace after a reconcile.
// Empty strings are exported as empty label values (Prometheus treats them as absent).
struct WorkspaceSample {
  std::string namespace_name;
  std::string workspace;
  std::string owner;         // spec.owner / tfws.io/owner, "" if unknown
  std::string team;          // spec.team / tfws.io/team, "" if unknown
  std::string image;         // container image reference
  std::string gpu_resource;  // "nvidia.com/gpu", "nvidia.com/mig-1g.10gb", "" for CPU-only
  double gpu_count = 0;      // GPUs the scheduled Pod holds (0 while Stopped, unscheduled or CPU-only)
  std::string node;          // spec.nodeName of the Pod, "" when not scheduled
  std::string pod;           // Pod name, "" when no Pod exists
  std::string phase;         // status.phase: Pending, Starting, Running, Stopped, Failed, ...
};

class WorkspaceMetrics {
 public:
  explicit WorkspaceMetrics(std::shared_ptr<prometheus::Registry> registry);
  ~WorkspaceMetrics();
  WorkspaceMetrics(const WorkspaceMetrics&) = delete;
  WorkspaceMetrics& operator=(const WorkspaceMetrics&) = delete;

  void Observe(const WorkspaceSample& sample);
  void Forget(std::string_view namespace_name, std::string_view workspace);
  // One workspace became Ready `seconds` after its creation.
  void StartupObserved(double seconds);
  void Restarted(std::string_view namespace_name, std::string_view workspace);
  // reason: "user" | "culled" | "failed".
  void Stopped(std::string_view namespace_name, std::string_view reason);

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, workspace
  void ForgetLocked(const Key& key);
  void AddPhaseLocked(const std::string& ns, const std::string& phase, double delta);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>* workspaces_;
  prometheus::Family<prometheus::Gauge>* info_;
  prometheus::Family<prometheus::Gauge>* gpus_;
  prometheus::Family<prometheus::Counter>* restarts_;
  prometheus::Family<prometheus::Counter>* stops_;
  prometheus::Histogram* startup_;

  std::mutex mu_;
  std::map<Key, WorkspaceSample> known_;             // last sample per workspace
  std::map<std::pair<std::string, std::string>, long> phase_counts_;  // (ns, phase) -> count
};

}  // namespace tfws::observe
