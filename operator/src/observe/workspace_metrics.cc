#include "observe/workspace_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <stdexcept>

namespace tfws::observe {
namespace {

// Phases that get a 0 series as soon as a namespace is seen, so "workspaces by
// phase" panels and alerts have data from the start.
constexpr std::array<const char*, 5> kKnownPhases = {"Pending", "Starting", "Running", "Stopped",
                                                     "Failed"};
constexpr std::array<const char*, 3> kStopReasons = {"user", "culled", "failed"};

prometheus::Labels InfoLabels(const WorkspaceSample& s) {
  return {{"namespace", s.namespace_name}, {"workspace", s.workspace}, {"owner", s.owner},
          {"team", s.team},                {"image", s.image},         {"gpu_resource", s.gpu_resource},
          {"node", s.node},                {"pod", s.pod}};
}

prometheus::Labels GpuLabels(const WorkspaceSample& s) {
  return {{"namespace", s.namespace_name}, {"workspace", s.workspace}, {"owner", s.owner},
          {"team", s.team},                {"resource", s.gpu_resource}};
}

template <typename T>
void RemoveSeries(prometheus::Family<T>& family, const prometheus::Labels& labels) {
  if (family.Has(labels)) family.Remove(&family.Add(labels));
}

}  // namespace

WorkspaceMetrics::WorkspaceMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)) {
  auto& r = *registry_;
  workspaces_ = &prometheus::BuildGauge()
                     .Name("tfws_workspaces")
                     .Help("Number of TFWorkspaces per namespace and status.phase.")
                     .Register(r);
  info_ = &prometheus::BuildGauge()
               .Name("tfws_workspace_info")
               .Help("Always 1: one series per TFWorkspace carrying its owner, team, image, GPU "
                     "resource, node and pod, for joins with DCGM exporter series.")
               .Register(r);
  gpus_ = &prometheus::BuildGauge()
               .Name("tfws_workspace_gpus_allocated")
               .Help("GPUs (or MIG slices) a TFWorkspace's Pod holds, by resource name.")
               .Register(r);
  restarts_ = &prometheus::BuildCounter()
                   .Name("tfws_workspace_restarts_total")
                   .Help("Times a TFWorkspace's Pod was recreated (restart requests, spec "
                         "roll-outs, Pod loss).")
                   .Register(r);
  stops_ = &prometheus::BuildCounter()
                .Name("tfws_workspace_stops_total")
                .Help("TFWorkspaces stopped, by reason: user (spec.stopped), culled (idle), failed.")
                .Register(r);
  startup_ = &prometheus::BuildHistogram()
                  .Name("tfws_workspace_startup_seconds")
                  .Help("Seconds from TFWorkspace creation (or start request) to Ready.")
                  .Register(r)
                  .Add({}, prometheus::Histogram::BucketBoundaries{
                               1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800});
}

WorkspaceMetrics::~WorkspaceMetrics() = default;

void WorkspaceMetrics::AddPhaseLocked(const std::string& ns, const std::string& phase,
                                      double delta) {
  if (phase.empty()) return;
  bool new_namespace = true;
  for (const auto& [key, count] : phase_counts_) {
    if (key.first == ns) {
      new_namespace = false;
      break;
    }
  }
  if (new_namespace) {
    for (const char* p : kKnownPhases) {
      phase_counts_[{ns, p}] += 0;
      workspaces_->Add({{"namespace", ns}, {"phase", p}});
    }
    for (const char* r : kStopReasons) stops_->Add({{"namespace", ns}, {"reason", r}});
  }
  long& count = phase_counts_[{ns, phase}];
  count += static_cast<long>(delta);
  if (count < 0) count = 0;
  workspaces_->Add({{"namespace", ns}, {"phase", phase}}).Set(static_cast<double>(count));
}

void WorkspaceMetrics::Observe(const WorkspaceSample& sample) {
  std::lock_guard lock(mu_);
  const Key key{sample.namespace_name, sample.workspace};
  auto it = known_.find(key);
  if (it != known_.end()) {
    const WorkspaceSample& old = it->second;
    if (InfoLabels(old) != InfoLabels(sample)) RemoveSeries(*info_, InfoLabels(old));
    if (GpuLabels(old) != GpuLabels(sample)) RemoveSeries(*gpus_, GpuLabels(old));
    if (old.phase != sample.phase) {
      AddPhaseLocked(old.namespace_name, old.phase, -1);
      AddPhaseLocked(sample.namespace_name, sample.phase, +1);
    }
  } else {
    AddPhaseLocked(sample.namespace_name, sample.phase, +1);
    restarts_->Add({{"namespace", sample.namespace_name}, {"workspace", sample.workspace}});
  }
  info_->Add(InfoLabels(sample)).Set(1);
  if (!sample.gpu_resource.empty()) gpus_->Add(GpuLabels(sample)).Set(sample.gpu_count);
  known_[key] = sample;
}

void WorkspaceMetrics::ForgetLocked(const Key& key) {
  RemoveSeries(*restarts_, {{"namespace", key.first}, {"workspace", key.second}});
  auto it = known_.find(key);
  if (it == known_.end()) return;
  const WorkspaceSample& old = it->second;
  RemoveSeries(*info_, InfoLabels(old));
  RemoveSeries(*gpus_, GpuLabels(old));
  AddPhaseLocked(old.namespace_name, old.phase, -1);
  known_.erase(it);
}

void WorkspaceMetrics::Forget(std::string_view namespace_name, std::string_view workspace) {
  std::lock_guard lock(mu_);
  ForgetLocked({std::string(namespace_name), std::string(workspace)});
}

void WorkspaceMetrics::StartupObserved(double seconds) { startup_->Observe(seconds); }

void WorkspaceMetrics::Restarted(std::string_view namespace_name, std::string_view workspace) {
  restarts_->Add({{"namespace", std::string(namespace_name)}, {"workspace", std::string(workspace)}})
      .Increment();
}

void WorkspaceMetrics::Stopped(std::string_view namespace_name, std::string_view reason) {
  bool known = false;
  for (const char* r : kStopReasons) known = known || reason == r;
  if (!known) {
    throw std::invalid_argument("tfws_workspace_stops_total: invalid reason \"" +
                                std::string(reason) + "\": must be one of user, culled, failed");
  }
  const std::string ns(namespace_name);
  std::lock_guard lock(mu_);
  // All reasons of a namespace exist together so rate() sees the first increment.
  for (const char* r : kStopReasons) stops_->Add({{"namespace", ns}, {"reason", r}});
  stops_->Add({{"namespace", ns}, {"reason", std::string(reason)}}).Increment();
}

}  // namespace tfws::observe
