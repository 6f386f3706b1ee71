// Specification of the tfws_* domain metrics.
#include "observe/workspace_metrics.h"

#include "metrics_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tfws::observe {
namespace {

using testing::SampleValue;
using testing::SeriesCount;

WorkspaceSample Running() {
  return {"team-a", "ws-1", "alice", "vision", "tensorflow/tensorflow:2.9.0-gpu-jupyter",
          "nvidia.com/gpu", 2, "gpu-a100-0", "ws-1", "Running"};
}

testing::LabelMap InfoOf(const WorkspaceSample& s) {
  return {{"namespace", s.namespace_name}, {"workspace", s.workspace}, {"owner", s.owner},
          {"team", s.team}, {"image", s.image}, {"gpu_resource", s.gpu_resource},
          {"node", s.node}, {"pod", s.pod}};
}

class WorkspaceMetricsTest : public ::testing::Test {
 protected:
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  WorkspaceMetrics metrics_{registry_};
};

TEST_F(WorkspaceMetricsTest, ObserveExportsInfoGpusAndPhaseCount) {
  metrics_.Observe(Running());
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_info", InfoOf(Running())), 1.0);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_gpus_allocated",
                        {{"namespace", "team-a"}, {"workspace", "ws-1"}, {"owner", "alice"},
                         {"team", "vision"}, {"resource", "nvidia.com/gpu"}}),
            2.0);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspaces", {{"namespace", "team-a"}, {"phase", "Running"}}), 1.0);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_restarts_total",
                        {{"namespace", "team-a"}, {"workspace", "ws-1"}}), 0.0);
}

TEST_F(WorkspaceMetricsTest, EveryKnownPhaseOfANamespaceExistsAtZero) {
  metrics_.Observe(Running());
  for (const char* phase : {"Pending", "Starting", "Stopped", "Failed"}) {
    EXPECT_EQ(SampleValue(*registry_, "tfws_workspaces", {{"namespace", "team-a"}, {"phase", phase}}), 0.0)
        << phase;
  }
  for (const char* reason : {"user", "culled", "failed"}) {
    EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_stops_total",
                          {{"namespace", "team-a"}, {"reason", reason}}), 0.0);
  }
}

TEST_F(WorkspaceMetricsTest, ObservingTheSameSampleTwiceChangesNothing) {
  metrics_.Observe(Running());
  metrics_.Observe(Running());
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspaces", {{"namespace", "team-a"}, {"phase", "Running"}}), 1.0);
  EXPECT_EQ(SeriesCount(*registry_, "tfws_workspace_info"), 1u);
}

TEST_F(WorkspaceMetricsTest, ALabelChangeReplacesTheOldSeries) {
  auto pending = Running();
  pending.phase = "Pending";
  pending.node = "";
  metrics_.Observe(pending);
  metrics_.Observe(Running());
  EXPECT_EQ(SeriesCount(*registry_, "tfws_workspace_info"), 1u);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_info", InfoOf(pending)), std::nullopt);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_info", InfoOf(Running())), 1.0);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspaces", {{"namespace", "team-a"}, {"phase", "Pending"}}), 0.0);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspaces", {{"namespace", "team-a"}, {"phase", "Running"}}), 1.0);
}

TEST_F(WorkspaceMetricsTest, StoppingKeepsTheGpuSeriesAtZeroAndMovesThePhase) {
  metrics_.Observe(Running());
  auto stopped = Running();
  stopped.phase = "Stopped";
  stopped.gpu_count = 0;
  stopped.pod = stopped.node = "";
  metrics_.Observe(stopped);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_gpus_allocated",
                        {{"namespace", "team-a"}, {"workspace", "ws-1"}, {"owner", "alice"},
                         {"team", "vision"}, {"resource", "nvidia.com/gpu"}}),
            0.0);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspaces", {{"namespace", "team-a"}, {"phase", "Stopped"}}), 1.0);
}

TEST_F(WorkspaceMetricsTest, ForgetRemovesEveryPerWorkspaceSeries) {
  metrics_.Observe(Running());
  metrics_.Restarted("team-a", "ws-1");
  metrics_.Forget("team-a", "ws-1");
  EXPECT_EQ(SeriesCount(*registry_, "tfws_workspace_info"), 0u);
  EXPECT_EQ(SeriesCount(*registry_, "tfws_workspace_gpus_allocated"), 0u);
  EXPECT_EQ(SeriesCount(*registry_, "tfws_workspace_restarts_total"), 0u);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspaces", {{"namespace", "team-a"}, {"phase", "Running"}}), 0.0);
  metrics_.Forget("team-a", "never-seen");  // harmless
}

TEST_F(WorkspaceMetricsTest, CpuOnlyWorkspacesHaveNoGpuSeries) {
  auto cpu = Running();
  cpu.gpu_resource = "";
  cpu.gpu_count = 0;
  metrics_.Observe(cpu);
  EXPECT_EQ(SeriesCount(*registry_, "tfws_workspace_gpus_allocated"), 0u);
  EXPECT_EQ(SeriesCount(*registry_, "tfws_workspace_info"), 1u);
}

TEST_F(WorkspaceMetricsTest, CountsRestartsStopsAndStartupTimes) {
  metrics_.Observe(Running());
  metrics_.Restarted("team-a", "ws-1");
  metrics_.Restarted("team-a", "ws-1");
  metrics_.Stopped("team-a", "culled");
  metrics_.StartupObserved(42);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_restarts_total",
                        {{"namespace", "team-a"}, {"workspace", "ws-1"}}), 2.0);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_stops_total",
                        {{"namespace", "team-a"}, {"reason", "culled"}}), 1.0);
  EXPECT_EQ(SampleValue(*registry_, "tfws_workspace_startup_seconds", {}), 1.0);
}

TEST_F(WorkspaceMetricsTest, AnUnknownStopReasonIsRejectedNamingTheChoices) {
  try {
    metrics_.Stopped("team-a", "oom");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("user, culled, failed"));
  }
}

}  // namespace
}  // namespace tfws::observe
