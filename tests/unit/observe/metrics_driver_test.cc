// A metrics-only stand-in for the operator, for tests/contract/prometheus_queries.sh and
// hack/render-dashboard: serves /metrics (the real MetricsServer and metric classes) for a
// fixed set of demo workspaces while simulating reconciles, queue traffic and API calls.
// Skipped unless TFWS_METRICS_DRIVER_PORT_FILE is set; it writes the bound port there and
// runs until the file TFWS_METRICS_DRIVER_STOP_FILE exists (or TFWS_METRICS_DRIVER_SECONDS,
// default 900, pass).
#include "observe/prometheus_metrics.h"
#include "observe/workspace_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace tfws::observe {
namespace {

using namespace std::chrono_literals;

// The demo workspaces (also used by the fake DCGM exporter through tfws_workspace_info).
std::vector<WorkspaceSample> DemoWorkspaces() {
  const std::string tf = "tensorflow/tensorflow:2.9.0-gpu-jupyter";
  const std::string own = "tfws/tf29-workspace:0.1.0";
  return {
      {"team-a", "ws-idle", "alice", "vision", tf, "nvidia.com/gpu", 2, "gpu-a100-0", "ws-idle", "Running"},
      {"team-a", "ws-train", "carol", "vision", own, "nvidia.com/gpu", 4, "gpu-a100-1", "ws-train", "Running"},
      {"team-a", "ws-stopped", "gina", "vision", tf, "nvidia.com/gpu", 0, "", "", "Stopped"},
      {"team-b", "ws-nlp", "bob", "nlp", own, "nvidia.com/mig-1g.10gb", 1, "gpu-a100-mig-0", "ws-nlp", "Running"},
      {"team-b", "ws-notebook", "dave", "nlp", tf, "nvidia.com/gpu", 1, "gpu-a100-0", "ws-notebook", "Running"},
      {"team-b", "ws-cpu", "erin", "nlp", tf, "", 0, "cpu-0", "ws-cpu", "Running"},
      {"team-c", "ws-pending", "frank", "research", tf, "nvidia.com/gpu", 0, "", "", "Pending"},
  };
}

TEST(MetricsDriver, ServesDemoWorkspaceMetricsUntilStopped) {
  const char* port_file = std::getenv("TFWS_METRICS_DRIVER_PORT_FILE");
  if (!port_file) GTEST_SKIP() << "TFWS_METRICS_DRIVER_PORT_FILE not set";
  const char* stop_file = std::getenv("TFWS_METRICS_DRIVER_STOP_FILE");
  const char* seconds_env = std::getenv("TFWS_METRICS_DRIVER_SECONDS");
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::seconds(seconds_env ? std::atoi(seconds_env) : 900);

  auto registry = NewMetricsRegistry();
  PrometheusRequestMetrics requests(registry);
  PrometheusQueueMetrics queue(registry, "tfworkspace");
  PrometheusControllerMetrics controller(registry, "tfworkspace");
  PrometheusLeaderMetrics leader(registry, "tfws-operator");
  WorkspaceMetrics workspaces(registry);
  controller.MaxConcurrentReconciles(4);
  leader.Leading(true);
  for (const auto& w : DemoWorkspaces()) workspaces.Observe(w);

  MetricsServer server("127.0.0.1:0", registry);
  {
    std::ofstream out(std::string(port_file) + ".tmp");
    out << server.port() << "\n";
  }
  std::filesystem::rename(std::string(port_file) + ".tmp", port_file);

  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  const std::string host = "https://127.0.0.1:6443";
  int tick = 0;
  while (std::chrono::steady_clock::now() < until &&
         !(stop_file && std::filesystem::exists(stop_file))) {
    // One simulated reconcile round per tick.
    for (int i = 0; i < 3; ++i) {
      queue.Added();
      queue.DepthChanged(static_cast<long>(u(rng) * 4));
      queue.Dequeued(Seconds(u(rng) * 0.01));
      const double took = 0.005 + u(rng) * 0.08;
      queue.Done(Seconds(took));
      const double r = u(rng);
      controller.ReconcileDone(r < 0.85   ? ReconcileResult::kSuccess
                               : r < 0.9  ? ReconcileResult::kError
                               : r < 0.95 ? ReconcileResult::kRequeue
                                          : ReconcileResult::kRequeueAfter,
                               Seconds(took));
      if (r >= 0.85 && r < 0.9) queue.Retried();
      requests.RequestDone("GET", host, 200, Seconds(0.002 + u(rng) * 0.01));
      requests.RequestDone("PATCH", host, u(rng) < 0.95 ? 200 : 409, Seconds(0.005 + u(rng) * 0.02));
    }
    controller.ActiveWorkers(static_cast<int>(u(rng) * 3));
    queue.InProgress(Seconds(u(rng) * 0.05), Seconds(u(rng) * 0.03));
    if (tick % 5 == 0) workspaces.StartupObserved(20 + u(rng) * 70);
    if (tick % 40 == 0) workspaces.Stopped("team-a", "user");
    if (tick % 60 == 30) workspaces.Restarted("team-b", "ws-notebook");
    ++tick;
    std::this_thread::sleep_for(250ms);
  }
}

}  // namespace
}  // namespace tfws::observe
