// The operator's half of TFWorkspaceClass enforcement, with no admission policy in the way (these
// namespaces are outside the admission suite's bindings, as on a cluster without the policy or for
// objects created before it): a spec outside its class gets ConfigValid=False naming the class, the
// field and the limit, and no Pod; a missing class is refused the same way; class defaults reach
// the Pod; and a class change shows as PendingRestart, never as a surprise restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;

class ControllerWorkspaceClass : public ControllerTest {
 protected:
  void TearDown() override {
    for (const std::string& name : classes_) {
      try {
        c().Delete(res::kTFWorkspaceClasses, "", name);
      } catch (const std::exception&) {
      }
    }
    ControllerTest::TearDown();
  }

  // A class (never the default: other suites share the cluster) that fits CpuSpec().
  std::string CreateClass(const Json& spec) {
    const std::string name = UniqueName("e2e-class");
    c().Create(res::kTFWorkspaceClasses, "",
               {{"apiVersion", "tfws.io/v1alpha1"}, {"kind", "TFWorkspaceClass"}, {"metadata", {{"name", name}}}, {"spec", spec}});
    classes_.push_back(name);
    return name;
  }

  static Json SmallClass() {
    return {{"gpu", {{"maxCount", 1}}},
            {"resources", {{"defaultLimits", {{"cpu", "500m"}}}, {"max", {{"cpu", "1"}, {"memory", "1Gi"}}}, {"scratchSizeLimit", "2Gi"}}},
            {"scheduling", {{"allowedTolerationKeys", {"nvidia.com/gpu"}}}}};
  }

  // Waits for ConfigValid=False with `reason` and returns the condition (null on timeout). The
  // reason is waited for, not only the status: a workspace created right after its class may first
  // meet an operator whose cache lacks the class (ClassNotFound) until the class event re-enqueues it.
  Json WaitForConfigInvalid(const std::string& name, const std::string& reason) {
    Json cond;
    const auto invalid = [&] {
      return cond.is_object() && cond.value("status", "") == "False" && cond.value("reason", "") == reason;
    };
    WaitFor(
        [&] {
          cond = Condition(GetWorkspace(name), "ConfigValid");
          return invalid();
        },
        seconds(5));  // one or two passes (TFWS_E2E_WAIT_LOG=1, 3 runs: 0.0-0.1 s); 5 s for a loaded CI machine
    return invalid() ? cond : Json();
  }

  std::vector<std::string> classes_;
};

TEST_F(ControllerWorkspaceClass, ASpecOutsideItsClassIsRefusedWithTheClassFieldAndLimitAndGetsNoPod) {
  const std::string klass = CreateClass(SmallClass());
  const std::string name = UniqueName("too-big");
  Json spec = CpuSpec();
  spec["className"] = klass;
  spec["resources"]["limits"]["cpu"] = "4";
  CreateWorkspace(name, spec);
  const Json cond = WaitForConfigInvalid(name, "ClassViolation");
  ASSERT_TRUE(cond.is_object()) << DescribeStatus(GetWorkspace(name)) << "\n" << op().Tail(2000);
  EXPECT_THAT(cond.value("message", ""), HasSubstr("spec.resources.limits.cpu: 4 is more than 1, the most TFWorkspaceClass " + klass));
  EXPECT_EQ(Phase(GetWorkspace(name)), "Failed");
  EXPECT_FALSE(Exists(c(), res::kPods, ns(), name)) << "a refused workspace must get no Pod";
}

TEST_F(ControllerWorkspaceClass, AMissingClassIsRefusedAndGetsNoPod) {
  const std::string name = UniqueName("no-class");
  Json spec = CpuSpec();
  spec["className"] = "e2e-does-not-exist";
  CreateWorkspace(name, spec);
  const Json cond = WaitForConfigInvalid(name, "ClassNotFound");
  ASSERT_TRUE(cond.is_object()) << DescribeStatus(GetWorkspace(name)) << "\n" << op().Tail(2000);
  EXPECT_THAT(cond.value("message", ""), HasSubstr("TFWorkspaceClass \"e2e-does-not-exist\" does not exist"));
  EXPECT_FALSE(Exists(c(), res::kPods, ns(), name));
}

TEST_F(ControllerWorkspaceClass, ClassDefaultsReachThePodAndAClassChangeShowsAsPendingRestart) {
  const std::string klass = CreateClass(SmallClass());
  const std::string name = UniqueName("classy");
  Json spec = CpuSpec();
  spec["className"] = klass;
  CreateWorkspace(name, spec);
  ExpectPhase(name, "Running", seconds(10));  // claim bound, scheduled, kwok: measured 0.3-0.6 s
  ASSERT_FALSE(HasFailure());
  const Json pod = c().Get(res::kPods, ns(), name);
  EXPECT_EQ(pod["spec"]["containers"][0]["resources"]["limits"].value("cpu", ""), "500m") << "the class's default limit";
  for (const Json& volume : pod["spec"]["volumes"]) {
    if (volume["name"] == "tmp") {
      EXPECT_EQ(volume["emptyDir"].value("sizeLimit", ""), "2Gi");
    }
  }
  const std::string pod_uid = pod["metadata"]["uid"];

  Json changed = SmallClass();
  changed["resources"]["defaultLimits"]["cpu"] = "1";
  c().Patch(res::kTFWorkspaceClasses, "", klass, kube::PatchType::kMerge, {{"spec", changed}}, {.field_manager = "tfws-e2e"});
  Json ws;
  EXPECT_TRUE(WaitFor(
      [&] {
        ws = GetWorkspace(name);
        const Json cond = Condition(ws, "PendingRestart");
        return cond.is_object() && cond.value("status", "") == "True";
      },
      seconds(5)))  // one pass after the class event, which enqueues every workspace: measured 0.1-0.2 s
      << "PendingRestart did not become True after the class changed:\n"
      << DescribeStatus(ws) << "\n"
      << op().Tail(2000);
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(UidOf(c(), res::kPods, ns(), name), pod_uid) << "a class change must never restart the Pod by itself";
}

}  // namespace
}  // namespace tfws::e2e
