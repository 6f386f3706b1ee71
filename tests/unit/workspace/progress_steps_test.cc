// How long a workspace has shown one progress step (workspace/progress_steps.h).
#include "workspace/progress_steps.h"

#include <gtest/gtest.h>

namespace tfws::workspace {
namespace {

using std::chrono::seconds;

const time::WallTime kT0{seconds(1000)};

TEST(ProgressSteps, AStepLastsFromTheFirstTimeItIsSeen) {
  ProgressSteps steps;
  EXPECT_EQ(steps.Lasted("ns/a", "Pending/WaitingForClaims", kT0), seconds(0));
  EXPECT_EQ(steps.Lasted("ns/a", "Pending/WaitingForClaims", kT0 + seconds(9)), seconds(9));
  EXPECT_EQ(steps.Lasted("ns/a", "Pending/WaitingForClaims", kT0 + seconds(16)), seconds(16));
}

TEST(ProgressSteps, ANewStepStartsAfresh) {
  ProgressSteps steps;
  steps.Lasted("ns/a", "Pending/WaitingForClaims", kT0);
  EXPECT_EQ(steps.Lasted("ns/a", "Pending/PodPending", kT0 + seconds(10)), seconds(0))
      << "the claim bound: a storm's short steps never add up to the interval";
  EXPECT_EQ(steps.Lasted("ns/a", "Pending/PodPending", kT0 + seconds(14)), seconds(4));
}

TEST(ProgressSteps, WorkspacesAreSeparateAndForgetDropsOne) {
  ProgressSteps steps;
  steps.Lasted("ns/a", "Pending/PodPending", kT0);
  steps.Lasted("ns/ab", "Pending/PodPending", kT0);
  steps.Forget("ns/a");
  EXPECT_EQ(steps.Lasted("ns/a", "Pending/PodPending", kT0 + seconds(20)), seconds(0)) << "written: a later step starts afresh";
  EXPECT_EQ(steps.Lasted("ns/ab", "Pending/PodPending", kT0 + seconds(20)), seconds(20)) << "another workspace is kept";
}

TEST(ProgressSteps, AWallClockThatWentBackRestartsTheStep) {
  ProgressSteps steps;
  steps.Lasted("ns/a", "Starting/ContainerCreating", kT0);
  EXPECT_EQ(steps.Lasted("ns/a", "Starting/ContainerCreating", kT0 - seconds(3600)), seconds(0))
      << "never a negative time (a delay of an hour)";
}

}  // namespace
}  // namespace tfws::workspace
