#include "operator_runtime.h"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
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
#include "runtime/event_recorder.h"
#include "runtime/leader_election.h"
#include "runtime/lease_client.h"
#include "runtime/malloc_tuning.h"
#include "time/clock.h"
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

// Requests `source` to stop at the first SIGTERM/SIGINT (a graceful shutdown:
// drain, release the Lease); a second one exits at once with status 2 (for a
// shutdown stuck on a hung API server). Returns when `done` is requested.
void WaitForSignal(const sigset_t& set, std::stop_source source, std::stop_token done) {
  const timespec tick{0, 200 * 1000 * 1000};
  while (!done.stop_requested()) {
    const int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig != SIGTERM && sig != SIGINT) continue;
    const char* name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (source.stop_requested()) {
      Logger("main").Error("second signal received, exiting at once", {{"signal", name}});
      std::_Exit(2);
    }
    Logger("main").Info("signal received, shutting down (send it again to exit at once)", {{"signal", name}});
    source.request_stop();
  }
}

bool Enabled(const std::string& bind_address) { return !bind_address.empty() && bind_address != "0"; }

// The operator's own namespace: the chart sets POD_NAMESPACE; in-cluster the
// service account says it; else "default".
std::string OwnNamespace(const OperatorRuntimeOptions& options, const kube::ClusterConfig& cluster) {
  if (!options.leader_election_namespace.empty()) return options.leader_election_namespace;
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns != nullptr && *ns != '\0') return ns;
  return cluster.default_namespace.empty() ? "default" : cluster.default_namespace;
}

// Unique per candidate: the pod name (or host name) plus a random suffix.
std::string CandidateIdentity() {
  char host[256] = {0};
  const char* pod = std::getenv("POD_NAME");
  std::string base = pod != nullptr && *pod != '\0' ? pod : (gethostname(host, sizeof host - 1) == 0 ? host : "tfws");
  std::srand(static_cast<unsigned>(std::time(nullptr)) ^ static_cast<unsigned>(getpid()));
  return base + "_" + std::to_string(std::rand() % 1000000);
}

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
  copts.limit_until_flow_control = options.qps_until_flow_control;
  copts.metrics = &request_metrics;
  // Fencing: with leader election every write needs the elector's open term
  // (kube/write_fence.h), so a replica that lost its Lease (or was frozen past
  // it) starts no write and its writes in flight are cancelled, whatever its
  // workers are doing. Its identity is in the User-Agent, so the audit log
  // tells replicas apart.
  const std::string identity = options.leader_elect ? CandidateIdentity() : "";
  if (options.leader_elect) {
    copts.user_agent = std::string("tfws-operator/") + TFWS_VERSION + " (" + identity + ")";
    copts.fence = std::make_shared<kube::WriteFence>();
  }
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
  wopts.probe_activity = workspace::MakeJupyterActivityProbe();
  runtime::ClientEventSink event_sink(*client);
  runtime::EventRecorder recorder(event_sink);
  wopts.emit_event = [&recorder](const kube::Json& regarding, bool warning, const std::string& reason,
                                 const std::string& action, const std::string& note) {
    recorder.Eventf(runtime::ObjectReference::From(regarding),
                    warning ? runtime::EventType::kWarning : runtime::EventType::kNormal, reason, action, note);
  };
  workspace::WorkspaceController controller(*client, wopts);
  controller.Start();

  // Declared before the health server, which reads them, so they outlive it.
  std::shared_ptr<kube::Client> lease_api;
  std::unique_ptr<runtime::ClientLeaseClient> leases;
  std::unique_ptr<runtime::LeaderElector> elector;
  if (options.leader_elect) {
    runtime::LeaderElectionConfig lcfg;
    // Lease calls get their own client whose deadline is the retry period: a renewal stuck on a
    // hung apiserver then gives up in time for the elector to stop leading before the lease
    // (15 s) expires — worst case renew deadline + 2 x retry period = 14 s.
    kube::ClientOptions lease_copts = copts;
    lease_copts.fence = nullptr;  // the Lease itself is how we stay leader
    lease_copts.request_deadline = std::chrono::duration_cast<std::chrono::milliseconds>(lcfg.retry_period);
    lease_api = kube::MakeClient(cluster, lease_copts);
    leases = std::make_unique<runtime::ClientLeaseClient>(*lease_api);
    lcfg.lease_namespace = OwnNamespace(options, cluster);
    lcfg.lease_name = options.leader_election_id;
    lcfg.identity = identity;
    lcfg.metrics = &leader_metrics;
    lcfg.fence = copts.fence;
    lcfg.on_started_leading = [&controller](std::stop_token leading) { controller.RunWorkers(leading); };
    log.Info("campaigning for leadership",
             {{"lease", lcfg.lease_namespace + "/" + lcfg.lease_name}, {"identity", lcfg.identity}});
    elector = std::make_unique<runtime::LeaderElector>(*leases, lcfg);
  }

  std::unique_ptr<observe::HealthServer> health;
  if (Enabled(options.health_bind_address)) {
    health = std::make_unique<observe::HealthServer>(options.health_bind_address);
    health->AddHealthCheck("ping", [] { return observe::CheckResult::Ok(); });
    health->AddHealthCheck("leader-election", [&elector] {
      return !elector || elector->Healthy()
                 ? observe::CheckResult::Ok()
                 : observe::CheckResult::Failed("leading but the Lease was not renewed in time");
    });
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
  // After a burst of work (a create storm, a relist) glibc keeps the freed
  // pages mapped; hand them back every half minute (malloc_tuning.h).
  std::jthread memory_returner([](std::stop_token done) {
    while (time::SystemClock::Instance().SleepFor(std::chrono::seconds(30), done)) runtime::ReturnFreedMemory();
  });

  int exit_code = 0;
  if (elector) {
    if (elector->Run(stop.get_token()) == runtime::LeaderElector::Outcome::kLostLease) {
      log.Error("lost the leader Lease; exiting so a fresh process starts with fresh caches");
      exit_code = 1;
    }
  } else {
    leader_metrics.Leading(true);
    controller.RunWorkers(stop.get_token());
    leader_metrics.Leading(false);
  }
  log.Info("stopping informers");
  controller.Stop();
  if (health) health->Stop();
  log.Info("tfws-operator stopped");
  if (loki) {
    loki->Stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    observe::RemoveLogSink(loki);
  }
  recorder.Stop();
  signal_thread.request_stop();
  memory_returner.request_stop();
  return exit_code;
}

}  // namespace tfws
