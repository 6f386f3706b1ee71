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

// The pass that creates a Pod does not see it in its cache yet; the next pass
// does, as `pod`. Both must write the same status, or a storm pays a second
// status patch per workspace. Returns the first pass's status.
Json StatusBeforeAndAfterTheCacheSawThePod(const std::string& waits_for_claim, const Json& pod) {
  const Workspace ws = ParseSpec({{"owner", "alice"}});
  const auto settings = ResolveSettings(ws, DefaultOperatorConfig());
  Observation created;  // this pass created the Pod
  created.pod_waits_for_claim = waits_for_claim;
  created.pod_created = true;
  Observation cached = created;  // the next pass, its cache showing the Pod
  cached.pod_created = false;
  cached.pod = ViewPod(&pod);

  const Json first = ComputeStatus(ws, settings, created, Json::object(), "2026-11-29T10:00:00Z");
  EXPECT_EQ(first, ComputeStatus(ws, settings, cached, first, "2026-11-29T10:00:05Z"));
  EXPECT_EQ(first["phase"], "Pending");
  EXPECT_EQ(first["podName"], "alice");
  return first;
}

TEST(ComputeStatus, AGatedPodWaitingForItsClaimShowsTheSameStatusAsBeforeTheCacheSawIt) {
  const Json first = StatusBeforeAndAfterTheCacheSawThePod("alice-home", Json::parse(R"({"metadata":{"name":"alice"},
    "spec":{"schedulingGates":[{"name":"tfws.io/claims-bound"}]},"status":{"phase":"Pending",
    "conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}})"));
  EXPECT_EQ(Reason(first, "Ready"), "WaitingForClaims");
  EXPECT_EQ(Reason(first, "Scheduled"), "WaitingForClaims");
  EXPECT_NE(first.dump().find("alice-home"), std::string::npos) << "the message names the claim";
}

// A Pod created without the gate (its claim binds when the Pod is placed,
// WaitForFirstConsumer, or is Bound already) waits for a node.
TEST(ComputeStatus, ANewPodWaitingForANodeShowsTheSameStatusAsBeforeTheCacheSawIt) {
  const Json first = StatusBeforeAndAfterTheCacheSawThePod(
      "", Json::parse(R"({"metadata":{"name":"alice"},"status":{"phase":"Pending"}})"));
  EXPECT_EQ(Reason(first, "Ready"), "PodPending");
  EXPECT_EQ(Reason(first, "Scheduled"), "PodPending");
}

TEST(ComputeStatus, WithoutAPodAndNoneCreatedTheStatusSaysSo) {
  const Workspace ws = ParseSpec({{"owner", "alice"}});
  const Json status = ComputeStatus(ws, ResolveSettings(ws, DefaultOperatorConfig()), Observation{},
                                    Json::object(), "2026-11-29T10:00:00Z");
  EXPECT_EQ(Reason(status, "Ready"), "PodNotCreated");
  EXPECT_EQ(Reason(status, "Scheduled"), "PodNotCreated");
  EXPECT_FALSE(status.contains("podName"));
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
