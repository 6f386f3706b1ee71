// Hooks through which the client machinery (kube/, runtime/) reports what it
// does. The base classes do nothing, so code and tests that don't care pass
// nothing; observe/prometheus_metrics.* implements them with prometheus-cpp
// under controller-runtime's metric names (see docs/observability.md).
//
// Implementations must be thread-safe and must not block.
#pragma once

#include <chrono>
#include <string_view>

namespace tfws::observe {

using Seconds = std::chrono::duration<double>;

// rest_client_requests_total{code,method,host}, rest_client_request_duration_seconds{verb,host},
// tfws_rest_client_throttled_total{flow_schema_uid,priority_level_uid}.
class RequestMetrics {
 public:
  virtual ~RequestMetrics() = default;
  // code is the HTTP status, or 0 when no response was obtained ("<error>").
  virtual void RequestDone(std::string_view method, std::string_view host, int code, Seconds latency) {
    (void)method, (void)host, (void)code, (void)latency;
  }
  // The API server's Priority and Fairness turned a request away (429): the flow schema and
  // priority level it was classified into (X-Kubernetes-PF-FlowSchema-UID /
  // X-Kubernetes-PF-PriorityLevel-UID; empty when the answer had none).
  virtual void Throttled(std::string_view flow_schema_uid, std::string_view priority_level_uid) {
    (void)flow_schema_uid, (void)priority_level_uid;
  }
};

// workqueue_* {name}.
class QueueMetrics {
 public:
  virtual ~QueueMetrics() = default;
  virtual void Added() {}
  virtual void DepthChanged(long depth) { (void)depth; }
  virtual void Retried() {}
  // Time a key waited in the queue before a worker took it.
  virtual void Dequeued(Seconds waited) { (void)waited; }
  // Time a worker spent on a key.
  virtual void Done(Seconds worked) { (void)worked; }
  // Sampled periodically: total seconds of work in progress, and the longest single one.
  virtual void InProgress(Seconds unfinished_total, Seconds longest) { (void)unfinished_total, (void)longest; }
};

enum class ReconcileResult { kSuccess, kError, kRequeue, kRequeueAfter };

// controller_runtime_* {controller}.
class ControllerMetrics {
 public:
  virtual ~ControllerMetrics() = default;
  virtual void ReconcileDone(ReconcileResult result, Seconds took) { (void)result, (void)took; }
  virtual void ActiveWorkers(int n) { (void)n; }
  virtual void MaxConcurrentReconciles(int n) { (void)n; }
};

// leader_election_master_status{name}.
class LeaderMetrics {
 public:
  virtual ~LeaderMetrics() = default;
  virtual void Leading(bool is_leader) { (void)is_leader; }
};

}  // namespace tfws::observe
