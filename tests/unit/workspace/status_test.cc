// ComputeStatus: what a workspace shows for the Pod it observed.
#include "workspace/status.h"

#include <gtest/gtest.h>

#include "workspace/effective_settings.h"
#include "workspace/operator_config.h"
#include "workspace/pod_view.h"
#include "workspace_fixture.h"

namespace tfws::workspace {
namespace {

using testing::ParseSpec;

// The reason of condition `type` in `status`, "" when absent.
std::string Reason(const Json& status, const std::string& type) {
  for (const auto& c : status.value("conditions", Json::array())) {
    if (c.value("type", "") == type) return c.value("reason", "");
  }
  return "";
}

Json StatusForUnschedulablePod(const std::string& scheduler_message) {
  const Workspace ws = ParseSpec({{"owner", "alice"}});
  const Json pod = {{"metadata", {{"name", "alice"}}},
                    {"status",
                     {{"phase", "Pending"},
                      {"conditions",
                       {{{"type", "PodScheduled"},
                         {"status", "False"},
                         {"reason", "Unschedulable"},
                         {"message", scheduler_message}}}}}}};
  Observation seen;
  seen.pod = ViewPod(&pod);
  return ComputeStatus(ws, ResolveSettings(ws, DefaultOperatorConfig()), seen, Json::object(),
                       "2026-11-29T10:00:00Z");
}

TEST(ComputeStatus, APodWaitingForItsClaimsIsPendingProgressNotAProblem) {
  const Json status = StatusForUnschedulablePod(
      "0/11 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: not helpful");
  EXPECT_EQ(status["phase"], "Pending");
  EXPECT_EQ(Reason(status, "Ready"), "WaitingForClaims");
  EXPECT_EQ(Reason(status, "Scheduled"), "WaitingForClaims");
}

TEST(ComputeStatus, APodTheSchedulerCannotPlaceShowsTheSchedulersWords) {
  const Json status = StatusForUnschedulablePod("0/5 nodes are available: 5 Insufficient nvidia.com/gpu.");
  EXPECT_EQ(status["phase"], "Pending");
  EXPECT_EQ(Reason(status, "Ready"), "Unschedulable");
  EXPECT_EQ(Reason(status, "Scheduled"), "Unschedulable");
  EXPECT_NE(status.dump().find("Insufficient nvidia.com/gpu"), std::string::npos);
}

}  // namespace
}  // namespace tfws::workspace
