#include "operator_runtime.h"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <stop_token>
#include <thread>

#include "kube/client_factory.h"
#include "kube/config_loader.h"
#include "observe/health_server.h"
#include "observe/log.h"
#include "observe/loki_sink.h"
#include "observe/prometheus_metrics.h"
#include "observe/workspace_metrics.h"
#include "workspace/controller.h"

namespace tfws {

namespace {

using observe::Logger;

// Blocks SIGTERM/SIGINT in this thread and every thread it starts afterwards;
// WaitForSignal() takes them synchronously.
sigset_t BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Requests `source` to stop at the first SIGTERM/SIGINT; returns when stopped either way.
void WaitForSignal(const sigset_t& set, std::stop_source source, std::stop_token done) {
  const timespec tick{0, 200 * 1000 * 1000};
  while (!done.stop_requested() && !source.stop_requested()) {
    const int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      Logger("main").Info("signal received, shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      source.request_stop();
    }
  }
}

bool Enabled(const std::string& bind_address) { return !bind_address.empty() && bind_address != "0"; }

}  // namespace

int RunOperator(const OperatorRuntimeOptions& options) {
  const sigset_t signals = BlockTerminationSignals();
  Logger log("main");

  auto registry = observe::NewMetricsRegistry();
  observe::PrometheusRequestMetrics request_metrics(registry);
  observe::PrometheusQueueMetrics queue_metrics(registry, "tfworkspace");
  observe::PrometheusControllerMetrics controller_metrics(registry, "tfworkspace");
  observe::PrometheusLeaderMetrics leader_metrics(registry, options.leader_election_id);
  observe::WorkspaceMetrics workspace_metrics(registry);

  std::shared_ptr<observe::LokiSink> loki;
  if (!options.loki_url.empty()) {
    observe::LokiSinkOptions lopts;
    lopts.url = options.loki_url;
    lopts.tenant = options.loki_tenant;
    lopts.static_labels = observe::ParseLokiLabels(options.loki_labels);
    lopts.registry = registry;
    loki = std::make_shared<observe::LokiSink>(lopts);
    observe::AddLogSink(loki);
  }

  kube::ConfigSourceOptions source;
  source.kubeconfig = options.kubeconfig;
  source.context = options.context;
  const kube::ClusterConfig cluster = kube::LoadClusterConfig(source);
  kube::ClientOptions copts;
  copts.qps = options.qps;
  copts.burst = options.burst;
  copts.metrics = &request_metrics;
  auto client = kube::MakeClient(cluster, copts);
  log.Info("tfws-operator starting",
           {{"version", TFWS_VERSION}, {"cluster", cluster.origin}, {"server", cluster.server},
            {"workers", options.workers}, {"leaderElect", options.leader_elect}});

  workspace::WorkspaceControllerOptions wopts;
  wopts.namespaces = options.namespaces;
  wopts.workers = options.workers;
  wopts.config = options.config;
  wopts.workspace_metrics = &workspace_metrics;
  wopts.queue_metrics = &queue_metrics;
  wopts.controller_metrics = &controller_metrics;
  wopts.emit_event = [](const kube::Json& regarding, bool warning, const std::string& reason, const std::string&,
                        const std::string& note) {
    Logger("events").Info(note, {{"namespace", regarding["metadata"].value("namespace", "")},
                                 {"workspace", regarding["metadata"].value("name", "")},
                                 {"reason", reason},
                                 {"type", warning ? "Warning" : "Normal"}});
  };
  workspace::WorkspaceController controller(*client, wopts);
  controller.Start();

  std::unique_ptr<observe::HealthServer> health;
  if (Enabled(options.health_bind_address)) {
    health = std::make_unique<observe::HealthServer>(options.health_bind_address);
    health->AddHealthCheck("ping", [] { return observe::CheckResult::Ok(); });
    health->AddReadyCheck("informers-synced", [&controller] {
      return controller.Synced() ? observe::CheckResult::Ok()
                                 : observe::CheckResult::Failed("informer caches are not synced yet");
    });
    health->Start();
  }
  std::unique_ptr<observe::MetricsServer> metrics_server;
  if (Enabled(options.metrics_bind_address)) {
    metrics_server = std::make_unique<observe::MetricsServer>(options.metrics_bind_address, registry);
  }

  std::stop_source stop;
  std::jthread signal_thread([&](std::stop_token done) { WaitForSignal(signals, stop, done); });

  leader_metrics.Leading(true);
  controller.RunWorkers(stop.get_token());
  leader_metrics.Leading(false);

  log.Info("stopping informers");
  controller.Stop();
  if (health) health->Stop();
  log.Info("tfws-operator stopped");
  if (loki) {
    loki->Stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    observe::RemoveLogSink(loki);
  }
  signal_thread.request_stop();
  return 0;
}

}  // namespace tfws
