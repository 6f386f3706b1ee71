// Writes a fully populated scrape (every metric family the operator exports)
// to $TFWS_METRICS_DUMP, for tests/contract/promtool_metrics.sh to lint with
// `promtool check metrics`. Skipped when the variable is unset.
#include "observe/loki_sink.h"
#include "observe/prometheus_metrics.h"
#include "observe/workspace_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cstdlib>
#include <fstream>

namespace tfws::observe {
namespace {

TEST(ExpositionDump, WritesEveryOperatorMetricFamilyForPromtool) {
  const char* path = std::getenv("TFWS_METRICS_DUMP");
  if (!path) GTEST_SKIP() << "TFWS_METRICS_DUMP not set";
  auto registry = NewMetricsRegistry();
  PrometheusRequestMetrics requests(registry);
  PrometheusQueueMetrics queue(registry, "tfworkspace");
  PrometheusControllerMetrics controller(registry, "tfworkspace");
  PrometheusLeaderMetrics leader(registry, "tfws-operator");
  WorkspaceMetrics workspaces(registry);
  requests.RequestDone("GET", "https://127.0.0.1:6443", 200, Seconds(0.01));
  requests.RequestDone("PATCH", "https://127.0.0.1:6443", 0, Seconds(0.01));
  queue.Added();
  queue.Dequeued(Seconds(0.001));
  queue.Done(Seconds(0.02));
  controller.ReconcileDone(ReconcileResult::kSuccess, Seconds(0.02));
  leader.Leading(true);
  workspaces.Observe({"team-a", "ws-1", "alice", "vision", "tensorflow/tensorflow:2.9.0-gpu-jupyter",
                      "nvidia.com/gpu", 2, "gpu-a100-0", "ws-1", "Running"});
  workspaces.StartupObserved(35);
  workspaces.Stopped("team-a", "user");
  LokiSinkOptions loki;
  loki.url = "http://127.0.0.1:1/loki/api/v1/push";
  loki.registry = registry;
  LokiSink sink(loki);
  sink.Stop(std::chrono::steady_clock::now());
  std::ofstream(path) << SerializeMetrics(*registry);
}

}  // namespace
}  // namespace tfws::observe
