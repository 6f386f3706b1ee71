#include "observe/prometheus_metrics.h"

#include "observe/bind_address.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <stdexcept>
#include <vector>

namespace tfws::observe {
namespace {

using prometheus::Histogram;

// client-go's rest_client_request_duration_seconds buckets.
const Histogram::BucketBoundaries kRequestBuckets = {0.005, 0.025, 0.1, 0.25, 0.5, 1.0,
                                                     2.0,   4.0,   8.0, 15.0, 30.0, 60.0};
// client-go's workqueue buckets: ExponentialBuckets(10e-9, 10, 10).
const Histogram::BucketBoundaries kQueueBuckets = {1e-8, 1e-7, 1e-6, 1e-5, 1e-4,
                                                   1e-3, 1e-2, 1e-1, 1.0,  10.0};
// controller-runtime's reconcile_time_seconds buckets.
const Histogram::BucketBoundaries kReconcileBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
    0.7,   0.8,  0.9,   1.0,  1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0,  4.5, 5.0,
    6.0,   7.0,  8.0,   9.0,  10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0};

std::string CodeLabel(int code) { return code <= 0 ? "<error>" : std::to_string(code); }

}  // namespace

std::shared_ptr<prometheus::Registry> NewMetricsRegistry() {
  return std::make_shared<prometheus::Registry>();
}

std::string SerializeMetrics(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// ---- rest_client_* ----

PrometheusRequestMetrics::PrometheusRequestMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      requests_(&prometheus::BuildCounter()
                     .Name("rest_client_requests_total")
                     .Help("Number of HTTP requests to the Kubernetes API server, partitioned by "
                           "status code, method, and host.")
                     .Register(*registry_)),
      duration_(&prometheus::BuildHistogram()
                     .Name("rest_client_request_duration_seconds")
                     .Help("Request latency in seconds to the Kubernetes API server, broken down "
                           "by verb and host.")
                     .Register(*registry_)),
      throttled_(&prometheus::BuildCounter()
                      .Name("tfws_rest_client_throttled_total")
                      .Help("Requests the API server's Priority and Fairness answered with 429, by "
                            "the flow schema and priority level UIDs it reported.")
                      .Register(*registry_)) {}

void PrometheusRequestMetrics::RequestDone(std::string_view method, std::string_view host, int code,
                                           Seconds latency) {
  const std::string m(method), h(host);
  requests_->Add({{"code", CodeLabel(code)}, {"method", m}, {"host", h}}).Increment();
  duration_->Add({{"verb", m}, {"host", h}}, kRequestBuckets).Observe(latency.count());
}

void PrometheusRequestMetrics::Throttled(std::string_view flow_schema_uid,
                                         std::string_view priority_level_uid) {
  throttled_->Add({{"flow_schema_uid", std::string(flow_schema_uid)},
                   {"priority_level_uid", std::string(priority_level_uid)}})
      .Increment();
}

// ---- workqueue_* ----

PrometheusQueueMetrics::PrometheusQueueMetrics(std::shared_ptr<prometheus::Registry> registry,
                                               const std::string& name)
    : registry_(std::move(registry)) {
  auto& r = *registry_;
  const prometheus::Labels labels{{"name", name}};
  depth_ = &prometheus::BuildGauge()
                .Name("workqueue_depth")
                .Help("Current depth of workqueue")
                .Register(r)
                .Add(labels);
  adds_ = &prometheus::BuildCounter()
               .Name("workqueue_adds_total")
               .Help("Total number of adds handled by workqueue")
               .Register(r)
               .Add(labels);
  retries_ = &prometheus::BuildCounter()
                  .Name("workqueue_retries_total")
                  .Help("Total number of retries handled by workqueue")
                  .Register(r)
                  .Add(labels);
  queue_duration_ = &prometheus::BuildHistogram()
                         .Name("workqueue_queue_duration_seconds")
                         .Help("How long in seconds an item stays in workqueue before being "
                               "requested")
                         .Register(r)
                         .Add(labels, kQueueBuckets);
  work_duration_ = &prometheus::BuildHistogram()
                        .Name("workqueue_work_duration_seconds")
                        .Help("How long in seconds processing an item from workqueue takes.")
                        .Register(r)
                        .Add(labels, kQueueBuckets);
  unfinished_ = &prometheus::BuildGauge()
                     .Name("workqueue_unfinished_work_seconds")
                     .Help("How many seconds of work has been done that is in progress and "
                           "hasn't been observed by work_duration. Large values indicate stuck "
                           "threads. One can deduce the number of stuck threads by observing the "
                           "rate at which this increases.")
                     .Register(r)
                     .Add(labels);
  longest_ = &prometheus::BuildGauge()
                  .Name("workqueue_longest_running_processor_seconds")
                  .Help("How many seconds has the longest running processor for workqueue been "
                        "running.")
                  .Register(r)
                  .Add(labels);
}

void PrometheusQueueMetrics::Added() { adds_->Increment(); }
void PrometheusQueueMetrics::DepthChanged(long depth) { depth_->Set(static_cast<double>(depth)); }
void PrometheusQueueMetrics::Retried() { retries_->Increment(); }
void PrometheusQueueMetrics::Dequeued(Seconds waited) { queue_duration_->Observe(waited.count()); }
void PrometheusQueueMetrics::Done(Seconds worked) { work_duration_->Observe(worked.count()); }
void PrometheusQueueMetrics::InProgress(Seconds unfinished_total, Seconds longest) {
  unfinished_->Set(unfinished_total.count());
  longest_->Set(longest.count());
}

// ---- controller_runtime_* ----

PrometheusControllerMetrics::PrometheusControllerMetrics(
    std::shared_ptr<prometheus::Registry> registry, const std::string& controller)
    : registry_(std::move(registry)) {
  auto& r = *registry_;
  auto& total = prometheus::BuildCounter()
                    .Name("controller_runtime_reconcile_total")
                    .Help("Total number of reconciliations per controller")
                    .Register(r);
  success_ = &total.Add({{"controller", controller}, {"result", "success"}});
  error_ = &total.Add({{"controller", controller}, {"result", "error"}});
  requeue_ = &total.Add({{"controller", controller}, {"result", "requeue"}});
  requeue_after_ = &total.Add({{"controller", controller}, {"result", "requeue_after"}});
  const prometheus::Labels labels{{"controller", controller}};
  errors_ = &prometheus::BuildCounter()
                 .Name("controller_runtime_reconcile_errors_total")
                 .Help("Total number of reconciliation errors per controller")
                 .Register(r)
                 .Add(labels);
  time_ = &prometheus::BuildHistogram()
               .Name("controller_runtime_reconcile_time_seconds")
               .Help("Length of time per reconciliation per controller")
               .Register(r)
               .Add(labels, kReconcileBuckets);
  active_workers_ = &prometheus::BuildGauge()
                         .Name("controller_runtime_active_workers")
                         .Help("Number of currently used workers per controller")
                         .Register(r)
                         .Add(labels);
  max_concurrent_ = &prometheus::BuildGauge()
                         .Name("controller_runtime_max_concurrent_reconciles")
                         .Help("Maximum number of concurrent reconciles per controller")
                         .Register(r)
                         .Add(labels);
}

void PrometheusControllerMetrics::ReconcileDone(ReconcileResult result, Seconds took) {
  switch (result) {
    case ReconcileResult::kSuccess: success_->Increment(); break;
    case ReconcileResult::kError:
      error_->Increment();
      errors_->Increment();
      break;
    case ReconcileResult::kRequeue: requeue_->Increment(); break;
    case ReconcileResult::kRequeueAfter: requeue_after_->Increment(); break;
  }
  time_->Observe(took.count());
}

void PrometheusControllerMetrics::ActiveWorkers(int n) { active_workers_->Set(n); }
void PrometheusControllerMetrics::MaxConcurrentReconciles(int n) { max_concurrent_->Set(n); }

// ---- leader_election_master_status ----

PrometheusLeaderMetrics::PrometheusLeaderMetrics(std::shared_ptr<prometheus::Registry> registry,
                                                 const std::string& name)
    : registry_(std::move(registry)),
      status_(&prometheus::BuildGauge()
                   .Name("leader_election_master_status")
                   .Help("Gauge of if the reporting system is master of the relevant lease, 0 "
                         "indicates backup, 1 indicates master. 'name' is the string used to "
                         "identify the lease.")
                   .Register(*registry_)
                   .Add({{"name", name}})) {}

void PrometheusLeaderMetrics::Leading(bool is_leader) { status_->Set(is_leader ? 1 : 0); }

// ---- /metrics ----

MetricsServer::MetricsServer(const std::string& bind_address,
                             std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)) {
  const std::string ports = CivetListeningPorts(bind_address, "--metrics-bind-address");
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(ports, 2);
  } catch (const std::exception& e) {
    throw std::runtime_error("--metrics-bind-address: cannot listen on \"" + bind_address +
                             "\": " + e.what() + " (is the port already in use?)");
  }
  exposer_->RegisterCollectable(registry_);
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const {
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace tfws::observe
