#include "workspace/conditions.h"

#include <gtest/gtest.h>

#include "workspace/pod_view.h"
#include "workspace/token.h"

namespace tfws::workspace {
namespace {

TEST(SetCondition, AddsANewConditionWithTransitionTime) {
  Json list;
  SetCondition(list, {"Ready", false, false, "Starting", "pod is starting"}, 3, "2026-01-01T00:00:00Z");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["status"], "False");
  EXPECT_EQ(list[0]["observedGeneration"], 3);
  EXPECT_EQ(list[0]["lastTransitionTime"], "2026-01-01T00:00:00Z");
}

TEST(SetCondition, KeepsTransitionTimeWhenStatusIsUnchanged) {
  Json list;
  SetCondition(list, {"Ready", false, false, "Starting", "a"}, 1, "2026-01-01T00:00:00Z");
  SetCondition(list, {"Ready", false, false, "Unschedulable", "b"}, 2, "2026-01-02T00:00:00Z");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["lastTransitionTime"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(list[0]["reason"], "Unschedulable");
}

TEST(SetCondition, MovesTransitionTimeWhenStatusFlips) {
  Json list;
  SetCondition(list, {"Ready", false, false, "Starting", "a"}, 1, "2026-01-01T00:00:00Z");
  SetCondition(list, {"Ready", true, false, "PodReady", "b"}, 1, "2026-01-02T00:00:00Z");
  EXPECT_EQ(list[0]["status"], "True");
  EXPECT_EQ(list[0]["lastTransitionTime"], "2026-01-02T00:00:00Z");
}

TEST(SetCondition, SettingTheSameConditionTwiceChangesNothing) {
  Json list;
  SetCondition(list, {"Ready", true, false, "PodReady", "ok"}, 1, "2026-01-01T00:00:00Z");
  const Json before = list;
  SetCondition(list, {"Ready", true, false, "PodReady", "ok"}, 1, "2026-05-01T00:00:00Z");
  EXPECT_EQ(list, before);
}

TEST(ViewPod, ReportsTheSchedulersReasonForAnUnschedulablePod) {
  const Json pod = Json::parse(R"({"metadata":{"name":"a"},"status":{"phase":"Pending",
    "conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable",
    "message":"0/5 nodes are available: 5 Insufficient nvidia.com/mig-1g.10gb."}]}})");
  const PodView v = ViewPod(&pod);
  EXPECT_TRUE(v.exists);
  EXPECT_FALSE(v.scheduled);
  EXPECT_TRUE(v.unschedulable);
  EXPECT_NE(v.schedule_message.find("Insufficient nvidia.com/mig-1g.10gb"), std::string::npos);
}

TEST(ViewPod, TellsWaitingForClaimsFromOtherUnschedulablePods) {
  // The scheduler's words while the Pod's claims are not bound yet (every new workspace in a storm).
  const Json waiting = Json::parse(R"({"metadata":{"name":"a"},"status":{"phase":"Pending",
    "conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable",
    "message":"0/11 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/11 nodes are available: 11 Preemption is not helpful for scheduling."}]}})");
  EXPECT_TRUE(ViewPod(&waiting).waiting_for_claims);
  const Json full = Json::parse(R"({"metadata":{"name":"a"},"status":{"phase":"Pending",
    "conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable",
    "message":"0/5 nodes are available: 5 Insufficient nvidia.com/gpu."}]}})");
  EXPECT_FALSE(ViewPod(&full).waiting_for_claims);
  EXPECT_TRUE(ViewPod(&full).unschedulable);
}

TEST(ViewPod, SeesTheClaimsGateAmongOtherSchedulingGates) {
  const Json gated = Json::parse(R"({"metadata":{"name":"a"},"spec":{"schedulingGates":[
    {"name":"example.com/queue"},{"name":"tfws.io/claims-bound"}]},"status":{"phase":"Pending",
    "conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}})");
  const PodView v = ViewPod(&gated);
  EXPECT_TRUE(v.gated_on_claims);
  EXPECT_FALSE(v.scheduled);
  EXPECT_FALSE(v.unschedulable) << "a gated Pod is not a scheduling problem";
  const Json other = Json::parse(R"({"metadata":{"name":"a"},"spec":{"schedulingGates":[
    {"name":"example.com/queue"}]}})");
  EXPECT_FALSE(ViewPod(&other).gated_on_claims);
}

TEST(ViewPod, TheProgressDeadlineStartsWhenTheClaimsGateIsRemoved) {
  const Json gated = Json::parse(R"({"metadata":{"name":"a","creationTimestamp":"2026-11-29T10:00:00Z"},
    "spec":{"schedulingGates":[{"name":"tfws.io/claims-bound"}]}})");
  EXPECT_EQ(ProgressDeadlineStart(ViewPod(&gated)), "") << "no deadline while the claim is not Bound";
  const Json opened = Json::parse(R"({"metadata":{"name":"a","creationTimestamp":"2026-11-29T10:00:00Z",
    "annotations":{"tfws.io/claims-bound-at":"2026-11-29T10:20:00Z"}}})");
  EXPECT_EQ(ProgressDeadlineStart(ViewPod(&opened)), "2026-11-29T10:20:00Z");
  const Json plain = Json::parse(R"({"metadata":{"name":"a","creationTimestamp":"2026-11-29T10:00:00Z"}})");
  EXPECT_EQ(ProgressDeadlineStart(ViewPod(&plain)), "2026-11-29T10:00:00Z");
}

TEST(ViewPod, ReportsReadyRunningPodAndIgnoresContainerCreating) {
  const Json pod = Json::parse(R"({"metadata":{"name":"a"},"spec":{"nodeName":"gpu-a100-0"},
    "status":{"phase":"Running","conditions":[{"type":"PodScheduled","status":"True"},
    {"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:10Z"}],
    "containerStatuses":[{"name":"workspace","restartCount":2,"state":{"running":{}}}]}})");
  const PodView v = ViewPod(&pod);
  EXPECT_TRUE(v.ready);
  EXPECT_EQ(v.node, "gpu-a100-0");
  EXPECT_EQ(v.restart_count, 2);
  EXPECT_TRUE(v.waiting_reason.empty());
}

TEST(ViewPod, ReportsAContainerStuckPullingItsImage) {
  const Json pod = Json::parse(R"({"metadata":{},"status":{"phase":"Pending","containerStatuses":[
    {"name":"workspace","state":{"waiting":{"reason":"ImagePullBackOff","message":"not found"}}}]}})");
  EXPECT_EQ(ViewPod(&pod).waiting_reason, "ImagePullBackOff");
}

TEST(ViewPod, NullMeansNoPod) { EXPECT_FALSE(ViewPod(nullptr).exists); }

TEST(GenerateToken, Gives64HexCharactersThatDifferEachTime) {
  const std::string a = GenerateToken(), b = GenerateToken();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace tfws::workspace
