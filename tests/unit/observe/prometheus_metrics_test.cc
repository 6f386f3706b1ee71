// Specification of the machinery metrics: controller-runtime names and labels,
// series present from the start, and /metrics served over HTTP.
#include "observe/prometheus_metrics.h"

#include "metrics_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace tfws::observe {
namespace {

using ::testing::HasSubstr;
using testing::SampleValue;

TEST(ControllerMetrics, EveryResultSeriesExistsAtZeroBeforeTheFirstReconcile) {
  auto registry = NewMetricsRegistry();
  PrometheusControllerMetrics metrics(registry, "tfworkspace");
  for (const char* result : {"success", "error", "requeue", "requeue_after"}) {
    EXPECT_EQ(SampleValue(*registry, "controller_runtime_reconcile_total",
                          {{"controller", "tfworkspace"}, {"result", result}}),
              0.0)
        << result;
  }
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_reconcile_errors_total",
                        {{"controller", "tfworkspace"}}),
            0.0);
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_active_workers", {{"controller", "tfworkspace"}}), 0.0);
}

TEST(ControllerMetrics, CountsResultsErrorsAndTimesEachReconcile) {
  auto registry = NewMetricsRegistry();
  PrometheusControllerMetrics metrics(registry, "tfworkspace");
  metrics.ReconcileDone(ReconcileResult::kSuccess, Seconds(0.01));
  metrics.ReconcileDone(ReconcileResult::kError, Seconds(0.2));
  metrics.ReconcileDone(ReconcileResult::kRequeueAfter, Seconds(0.02));
  metrics.ActiveWorkers(3);
  metrics.MaxConcurrentReconciles(4);
  const testing::LabelMap c{{"controller", "tfworkspace"}};
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_reconcile_total",
                        {{"controller", "tfworkspace"}, {"result", "success"}}), 1.0);
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_reconcile_total",
                        {{"controller", "tfworkspace"}, {"result", "error"}}), 1.0);
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_reconcile_errors_total", c), 1.0);
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_reconcile_time_seconds", c), 3.0);
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_active_workers", c), 3.0);
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_max_concurrent_reconciles", c), 4.0);
}

TEST(ControllerMetrics, TwoControllersShareOneFamilyWithTheirOwnSeries) {
  auto registry = NewMetricsRegistry();
  PrometheusControllerMetrics a(registry, "a"), b(registry, "b");
  a.ReconcileDone(ReconcileResult::kSuccess, Seconds(0));
  EXPECT_EQ(testing::SeriesCount(*registry, "controller_runtime_reconcile_total"), 8u);
  EXPECT_EQ(SampleValue(*registry, "controller_runtime_reconcile_total",
                        {{"controller", "b"}, {"result", "success"}}), 0.0);
}

TEST(QueueMetrics, ReportsDepthAddsRetriesDurationsAndStuckWork) {
  auto registry = NewMetricsRegistry();
  PrometheusQueueMetrics q(registry, "tfworkspace");
  const testing::LabelMap n{{"name", "tfworkspace"}};
  EXPECT_EQ(SampleValue(*registry, "workqueue_depth", n), 0.0);
  q.Added();
  q.Added();
  q.DepthChanged(2);
  q.Retried();
  q.Dequeued(Seconds(0.5));
  q.Done(Seconds(0.1));
  q.InProgress(Seconds(12), Seconds(7));
  EXPECT_EQ(SampleValue(*registry, "workqueue_adds_total", n), 2.0);
  EXPECT_EQ(SampleValue(*registry, "workqueue_depth", n), 2.0);
  EXPECT_EQ(SampleValue(*registry, "workqueue_retries_total", n), 1.0);
  EXPECT_EQ(SampleValue(*registry, "workqueue_queue_duration_seconds", n), 1.0);
  EXPECT_EQ(SampleValue(*registry, "workqueue_work_duration_seconds", n), 1.0);
  EXPECT_EQ(SampleValue(*registry, "workqueue_unfinished_work_seconds", n), 12.0);
  EXPECT_EQ(SampleValue(*registry, "workqueue_longest_running_processor_seconds", n), 7.0);
}

TEST(RequestMetrics, CountsByCodeMethodHostAndErrorsWithoutResponseAsError) {
  auto registry = NewMetricsRegistry();
  PrometheusRequestMetrics r(registry);
  r.RequestDone("GET", "https://127.0.0.1:6443", 200, Seconds(0.01));
  r.RequestDone("GET", "https://127.0.0.1:6443", 200, Seconds(0.02));
  r.RequestDone("PATCH", "https://127.0.0.1:6443", 0, Seconds(1));
  EXPECT_EQ(SampleValue(*registry, "rest_client_requests_total",
                        {{"code", "200"}, {"method", "GET"}, {"host", "https://127.0.0.1:6443"}}), 2.0);
  EXPECT_EQ(SampleValue(*registry, "rest_client_requests_total",
                        {{"code", "<error>"}, {"method", "PATCH"}, {"host", "https://127.0.0.1:6443"}}), 1.0);
  EXPECT_EQ(SampleValue(*registry, "rest_client_request_duration_seconds",
                        {{"verb", "GET"}, {"host", "https://127.0.0.1:6443"}}), 2.0);
}

TEST(RequestMetrics, CountsPriorityAndFairnessRejectionsByFlowSchemaAndPriorityLevel) {
  auto registry = NewMetricsRegistry();
  PrometheusRequestMetrics r(registry);
  r.Throttled("fs-1", "pl-1");
  r.Throttled("fs-1", "pl-1");
  r.Throttled("", "");
  EXPECT_EQ(SampleValue(*registry, "tfws_rest_client_throttled_total",
                        {{"flow_schema_uid", "fs-1"}, {"priority_level_uid", "pl-1"}}), 2.0);
  EXPECT_EQ(SampleValue(*registry, "tfws_rest_client_throttled_total",
                        {{"flow_schema_uid", ""}, {"priority_level_uid", ""}}), 1.0);
}

TEST(LeaderMetrics, IsZeroUntilLeadingThenOne) {
  auto registry = NewMetricsRegistry();
  PrometheusLeaderMetrics l(registry, "tfws-operator");
  EXPECT_EQ(SampleValue(*registry, "leader_election_master_status", {{"name", "tfws-operator"}}), 0.0);
  l.Leading(true);
  EXPECT_EQ(SampleValue(*registry, "leader_election_master_status", {{"name", "tfws-operator"}}), 1.0);
  l.Leading(false);
  EXPECT_EQ(SampleValue(*registry, "leader_election_master_status", {{"name", "tfws-operator"}}), 0.0);
}

TEST(SerializeMetrics, WritesTheTextExpositionWithHelpAndType) {
  auto registry = NewMetricsRegistry();
  PrometheusLeaderMetrics l(registry, "tfws-operator");
  const std::string text = SerializeMetrics(*registry);
  EXPECT_THAT(text, HasSubstr("# TYPE leader_election_master_status gauge"));
  EXPECT_THAT(text, HasSubstr("leader_election_master_status{name=\"tfws-operator\"} 0"));
}

TEST(MetricsServer, ServesTheRegistryOnMetricsOverHttp) {
  auto registry = NewMetricsRegistry();
  PrometheusControllerMetrics c(registry, "tfworkspace");
  MetricsServer server("127.0.0.1:0", registry);
  ASSERT_GT(server.port(), 0);
  const auto answer = testing::HttpGet(server.port(), "/metrics");
  EXPECT_EQ(answer.status, 200);
  EXPECT_THAT(answer.body, HasSubstr("controller_runtime_reconcile_total{controller=\"tfworkspace\",result=\"success\"} 0"));
}

TEST(MetricsServer, RefusesAMalformedAddressNamingTheFlag) {
  try {
    MetricsServer server("nonsense", NewMetricsRegistry());
    FAIL() << "no exception";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("--metrics-bind-address"));
  }
}

}  // namespace
}  // namespace tfws::observe
