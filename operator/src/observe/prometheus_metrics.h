// Prometheus implementations of the machinery hooks in machinery_metrics.h,
// under controller-runtime's metric names and labels (so existing dashboards
// and alerts work), plus the server that exposes /metrics.
//
// Contract:
// - Every label set a hook will use is created in its constructor, so each
//   series exists (at 0) from the first scrape.
// - Hook calls are thread-safe, lock-free on the hot path (prometheus-cpp
//   atomics) and never block or throw.
// - Ownership: each object keeps the prometheus::Registry alive through the
//   shared_ptr it was given; several objects may share one registry (families
//   with the same name are merged, so two controllers share one family).
// - MetricsServer's constructor throws std::runtime_error naming the flag when
//   the bind address is malformed or cannot be bound.
#pragma once

#include "observe/machinery_metrics.h"

#include <memory>
#include <string>

namespace prometheus {
class Registry;
class Exposer;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace tfws::observe {

// The process-wide registry every metric of the operator is registered in.
std::shared_ptr<prometheus::Registry> NewMetricsRegistry();

// The Prometheus text exposition (format 0.0.4) of everything in `registry`:
// exactly what a scrape of /metrics returns. Used by tests and promtool checks.
std::string SerializeMetrics(const prometheus::Registry& registry);

// rest_client_requests_total{code,method,host} (code "<error>" when no response)
// and rest_client_request_duration_seconds{verb,host} (histogram);
// tfws_rest_client_throttled_total{flow_schema_uid,priority_level_uid}: 429s from API Priority and
// Fairness (a handful of flow schemas and priority levels: bounded labels).
class PrometheusRequestMetrics final : public RequestMetrics {
 public:
  explicit PrometheusRequestMetrics(std::shared_ptr<prometheus::Registry> registry);
  void RequestDone(std::string_view method, std::string_view host, int code,
                   Seconds latency) override;
  void Throttled(std::string_view flow_schema_uid, std::string_view priority_level_uid) override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* duration_;
  prometheus::Family<prometheus::Counter>* throttled_;
};

// workqueue_depth, workqueue_adds_total, workqueue_retries_total,
// workqueue_queue_duration_seconds, workqueue_work_duration_seconds,
// workqueue_unfinished_work_seconds, workqueue_longest_running_processor_seconds;
// all labelled {name=<queue name>}.
class PrometheusQueueMetrics final : public QueueMetrics {
 public:
  PrometheusQueueMetrics(std::shared_ptr<prometheus::Registry> registry, const std::string& name);
  void Added() override;
  void DepthChanged(long depth) override;
  void Retried() override;
  void Dequeued(Seconds waited) override;
  void Done(Seconds worked) override;
  void InProgress(Seconds unfinished_total, Seconds longest) override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* depth_;
  prometheus::Counter* adds_;
  prometheus::Counter* retries_;
  prometheus::Histogram* queue_duration_;
  prometheus::Histogram* work_duration_;
  prometheus::Gauge* unfinished_;
  prometheus::Gauge* longest_;
};

// controller_runtime_reconcile_total{controller,result=success|error|requeue|requeue_after},
// controller_runtime_reconcile_errors_total{controller},
// controller_runtime_reconcile_time_seconds{controller} (histogram),
// controller_runtime_active_workers{controller},
// controller_runtime_max_concurrent_reconciles{controller}.
class PrometheusControllerMetrics final : public ControllerMetrics {
 public:
  PrometheusControllerMetrics(std::shared_ptr<prometheus::Registry> registry,
                              const std::string& controller);
  void ReconcileDone(ReconcileResult result, Seconds took) override;
  void ActiveWorkers(int n) override;
  void MaxConcurrentReconciles(int n) override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* success_;
  prometheus::Counter* error_;
  prometheus::Counter* requeue_;
  prometheus::Counter* requeue_after_;
  prometheus::Counter* errors_;
  prometheus::Histogram* time_;
  prometheus::Gauge* active_workers_;
  prometheus::Gauge* max_concurrent_;
};

// leader_election_master_status{name}: 1 while this process holds the lease, else 0.
class PrometheusLeaderMetrics final : public LeaderMetrics {
 public:
  PrometheusLeaderMetrics(std::shared_ptr<prometheus::Registry> registry, const std::string& name);
  void Leading(bool is_leader) override;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* status_;
};

// Serves GET /metrics for `registry` on `bind_address` (the --metrics-bind-address
// flag: ":8080" = all interfaces, "127.0.0.1:8080", "[::1]:8080", port 0 = any free
// port; see port()). Serving starts in the constructor and stops in the destructor.
class MetricsServer {
 public:
  MetricsServer(const std::string& bind_address, std::shared_ptr<prometheus::Registry> registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port actually bound (useful with port 0).
  int port() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace tfws::observe
