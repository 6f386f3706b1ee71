#include "workspace/culling.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "workspace/conditions.h"
#include "workspace/effective_settings.h"
#include "workspace/render.h"
#include "workspace/status.h"
#include "workspace_fixture.h"
#include "time/rfc3339.h"

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;
using std::chrono::minutes;
using testing::ParseError;
using testing::WorkspaceObject;
using Json = nlohmann::json;

time::WallTime At(const std::string& rfc3339) {
  const auto t = time::ParseRfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(time::WallTime{});
}

// Shaped like Jupyter Notebook 6.4's answers.
const Json kStatus = {{"started", "2026-11-26T08:00:00.000000Z"},
                      {"last_activity", "2026-11-26T09:00:00.123456Z"},
                      {"connections", 0},
                      {"kernels", 1}};

TEST(JupyterActivity, TakesTheLatestOfTheServerAndItsKernels) {
  const Json kernels = Json::array({{{"id", "k1"},
                                     {"name", "python3"},
                                     {"last_activity", "2026-11-26T09:30:00.000001Z"},
                                     {"execution_state", "idle"},
                                     {"connections", 1}}});
  const JupyterActivity a = ParseJupyterActivity(kStatus, kernels);
  ASSERT_TRUE(a.last_activity);
  EXPECT_EQ(time::FormatRfc3339(*a.last_activity), "2026-11-26T09:30:00Z");
  EXPECT_EQ(a.kernels, 1);
  EXPECT_FALSE(a.busy);
}

TEST(JupyterActivity, ABusyKernelAndUtcOffsetsAreUnderstood) {
  const Json status = {{"last_activity", "2026-11-26T09:00:00+00:00"}};
  const Json kernels = Json::array({{{"last_activity", "2026-11-26T08:00:00Z"}, {"execution_state", "busy"}}});
  const JupyterActivity a = ParseJupyterActivity(status, kernels);
  EXPECT_TRUE(a.busy);
  EXPECT_EQ(time::FormatRfc3339(*a.last_activity), "2026-11-26T09:00:00Z");
}

TEST(JupyterActivity, AnswersThatAreNotJupyterAreRefusedWithWhatIsWrong) {
  EXPECT_THROW(ParseJupyterActivity(Json::object(), Json::array()), std::runtime_error);
  EXPECT_THROW(ParseJupyterActivity(kStatus, Json::object()), std::runtime_error);
  try {
    ParseJupyterActivity({{"last_activity", "yesterday"}}, Json::array());
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("api/status: last_activity \"yesterday\""));
  }
}

TEST(DecideCull, CullsOnlyOnceIdleForTheWholeTimeout) {
  JupyterActivity a;
  a.last_activity = At("2026-11-26T09:00:00Z");
  const time::WallTime ready = At("2026-11-26T08:00:00Z");
  CullDecision d = DecideCull(minutes(60), ready, std::nullopt, a, At("2026-11-26T09:59:00Z"));
  EXPECT_FALSE(d.cull);
  EXPECT_EQ(d.check_again_in, std::chrono::seconds(60)) << "come back exactly when the timeout is reached";
  d = DecideCull(minutes(60), ready, std::nullopt, a, At("2026-11-26T10:00:00Z"));
  EXPECT_TRUE(d.cull);
  EXPECT_EQ(time::FormatRfc3339(d.idle_since), "2026-11-26T09:00:00Z");
}

TEST(DecideCull, AFreshPodOrRestartCountsAsActivity) {
  JupyterActivity never_used;  // Jupyter saw nothing since it started
  const time::WallTime now = At("2026-11-26T10:00:00Z");
  EXPECT_FALSE(DecideCull(minutes(30), At("2026-11-26T09:45:00Z"), std::nullopt, never_used, now).cull)
      << "ready 15 min ago";
  EXPECT_TRUE(DecideCull(minutes(30), At("2026-11-26T09:00:00Z"), std::nullopt, never_used, now).cull);
  EXPECT_FALSE(
      DecideCull(minutes(30), At("2026-11-26T09:00:00Z"), At("2026-11-26T09:50:00Z"), never_used, now).cull)
      << "restarted 10 min ago";
}

TEST(DecideCull, ABusyKernelIsNeverIdle) {
  JupyterActivity a;
  a.last_activity = At("2026-11-20T00:00:00Z");
  a.busy = true;
  const CullDecision d = DecideCull(minutes(60), At("2026-11-20T00:00:00Z"), std::nullopt, a, At("2026-11-26T10:00:00Z"));
  EXPECT_FALSE(d.cull);
  EXPECT_EQ(d.check_again_in, std::chrono::minutes(60));
}

TEST(DecideCull, ActivityStampedInTheFutureIsNotLaterThanNow) {
  JupyterActivity a;
  a.last_activity = At("2026-11-26T12:00:00Z");  // the node's clock is ahead
  const CullDecision d = DecideCull(minutes(60), At("2026-11-26T08:00:00Z"), std::nullopt, a, At("2026-11-26T10:00:00Z"));
  EXPECT_FALSE(d.cull);
  EXPECT_EQ(d.check_again_in, std::chrono::minutes(60));
}

Workspace CulledWorkspace(const std::string& culled_at, const std::string& restarted_at = "") {
  Json object = WorkspaceObject();
  object["metadata"]["annotations"] = {{kCulledAtAnnotation, culled_at}};
  object["spec"] = {{"gpu", {{"count", 1}}}, {"culling", {{"idleTimeoutMinutes", 30}}}};
  if (!restarted_at.empty()) object["spec"]["restartedAt"] = restarted_at;
  return ParseWorkspace(object);
}

TEST(CulledWorkspace, RunsNoPodUntilRestartedAfterTheCull) {
  const OperatorConfig config = DefaultOperatorConfig();
  const Workspace culled = CulledWorkspace("2026-11-26T10:00:00Z");
  EXPECT_TRUE(culled.Culled());
  EXPECT_EQ(culled.spec.idle_timeout_minutes, 30);
  EXPECT_FALSE(RenderPod(culled, config)) << "a culled workspace runs no Pod";
  EXPECT_TRUE(CulledWorkspace("2026-11-26T10:00:00Z", "2026-11-26T09:00:00Z").Culled())
      << "a restart before the cull does not undo it";
  const Workspace restarted = CulledWorkspace("2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z");
  EXPECT_FALSE(restarted.Culled());
  EXPECT_FALSE(CulledWorkspace("2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z").Culled())
      << "a restart in the same second as the cull wins";
  EXPECT_TRUE(RenderPod(restarted, config));
  EXPECT_FALSE(CulledWorkspace("not a time").Culled()) << "an annotation that is not a time is ignored";
}

TEST(CulledWorkspace, StatusSaysItWasCulledAndHowToStartIt) {
  const Workspace ws = CulledWorkspace("2026-11-26T10:00:00Z");
  Observation seen;
  seen.stopped = ws.StoppedOrCulled();
  const Json status = ComputeStatus(ws, ResolveSettings(ws, DefaultOperatorConfig()), seen, Json::object(),
                                    "2026-11-26T10:00:01Z");
  EXPECT_EQ(status["phase"], "Stopped");
  EXPECT_THAT(status["message"].get<std::string>(), HasSubstr("set spec.restartedAt to the current time"));
  bool found = false;
  for (const auto& c : status["conditions"]) {
    if (c["type"] == "Ready") {
      found = true;
      EXPECT_EQ(c["reason"], "Culled");
    }
  }
  EXPECT_TRUE(found);
}

TEST(CulledWorkspace, TheTimeoutComesFromTheSpecElseTheOperatorConfig) {
  OperatorConfig config = DefaultOperatorConfig();
  config.idle_timeout_minutes = 240;
  EXPECT_EQ(ResolveSettings(testing::ParseSpec(Json::object()), config).idle_timeout_minutes, 240);
  EXPECT_EQ(ResolveSettings(testing::ParseSpec({{"culling", {{"idleTimeoutMinutes", 0}}}}), config).idle_timeout_minutes, 0)
      << "0 opts a workspace out";
  EXPECT_THAT(ParseError({{"culling", {{"idleTimeoutMinutes", -1}}}}), HasSubstr("spec.culling.idleTimeoutMinutes"));
  EXPECT_THAT(ParseError({{"culling", {{"idleTimeoutMinutes", "2h"}}}}), HasSubstr("must be of type integer"));
}

}  // namespace
}  // namespace tfws::workspace
