// A settled cluster sees zero writes from the operator (issues 4 and 11):
// after the workspaces converge — running, stopped, and blocked ones (a
// missing Secret, an Ingress the API server refuses) — the API server's audit
// log holds no create/update/patch/delete from userAgent tfws-operator/*
// during a quiet window, and none after a restart of the operator either (the
// new process finds everything as desired and its status as computed). A
// workspace blocked by a quota is covered by controller_blocked_test.cc (it
// needs a namespace of its own).
//
// TFWS_E2E_QUIET_SECONDS sets the quiet window (default 60, as issue 4 asks).
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "kube/api_error.h"
#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;

int QuietSeconds() { return IntFromEnv("TFWS_E2E_QUIET_SECONDS", 60); }

// Leader-election Lease renewals are writes by design; this suite runs the
// operator without --leader-elect, but keep them out of the count in case the
// default changes (and say so in the failure).
std::vector<AuditWrite> WithoutLeases(std::vector<AuditWrite> writes) {
  std::erase_if(writes, [](const AuditWrite& w) { return w.uri.find("/leases/") != std::string::npos; });
  return writes;
}

class ControllerZeroWrites : public ControllerTest {
 protected:
  // Other tests' namespaces still being deleted make the operator write
  // legitimately (it reacts to those deletions); wait for them to go.
  void WaitForOtherE2eNamespacesGone() {
    WaitFor(
        [&] {
          Json list = c().List(res::kNamespaces, "", {.label_selector = "tfws.io/e2e=true"});
          for (const Json& n : list["items"]) {
            if (n["metadata"]["name"] != ns() && n["status"].value("phase", "") == "Terminating") return false;
          }
          return true;
        },
        seconds(25), std::chrono::seconds(1));  // measured 7.3-11.3 s after 4 suites in one process
  }
};

TEST_F(ControllerZeroWrites, SettledWorkspacesCauseNoOperatorWritesAtRestNorAfterRestart) {
  ns();
  WaitForOtherE2eNamespacesGone();
  const std::string cpu = UniqueName("quiet-cpu");
  const std::string gpu = UniqueName("quiet-gpu");
  const std::string stopped = UniqueName("quiet-stop");
  CreateWorkspace(cpu, CpuSpec());
  CreateWorkspace(gpu, {{"gpu", {{"count", 1}}}, {"storage", {{"workspace", {{"size", "1Gi"}}}}}});
  Json stopped_spec = CpuSpec();
  stopped_spec["stopped"] = true;
  CreateWorkspace(stopped, stopped_spec);
  const std::string no_secret = UniqueName("quiet-nosecret");
  Json no_secret_spec = CpuSpec();
  no_secret_spec["jupyter"] = {{"tokenSecretRef", {{"name", "nobody-made-this"}, {"key", "token"}}}};
  CreateWorkspace(no_secret, no_secret_spec);
  const std::string bad_ingress = UniqueName("quiet-badingress");
  Json bad_ingress_spec = CpuSpec();
  bad_ingress_spec["ingress"] = {{"enabled", true}, {"path", "/a/../b/"}};
  CreateWorkspace(bad_ingress, bad_ingress_spec);
  // Measured (TFWS_E2E_WAIT_LOG=1, 2 runs): all five within 0.0-1.7 s.
  ExpectPhase(cpu, "Running", seconds(10));
  ExpectPhase(gpu, "Running", seconds(10));
  ExpectPhase(stopped, "Stopped", seconds(10));
  ExpectPhase(no_secret, "Failed", seconds(10));
  ExpectPhase(bad_ingress, "Failed", seconds(10));
  ASSERT_FALSE(HasFailure());

  // Converged: no operator write for 5 s in a row (status updates after the
  // phase change, events). Measured: the first 5 s window is quiet (2 runs).
  std::uintmax_t mark = AuditLogSize();
  ASSERT_TRUE(WaitFor(
      [&] {
        std::this_thread::sleep_for(seconds(5));
        bool quiet = WithoutLeases(OperatorWritesSince(mark)).empty();
        mark = AuditLogSize();
        return quiet;
      },
      seconds(15), std::chrono::milliseconds(0)))
      << "the operator kept writing for 15s after the workspaces converged:\n"
      << Describe(WithoutLeases(OperatorWritesSince(mark)));

  const int quiet = QuietSeconds();
  std::uintmax_t start = AuditLogSize();
  std::this_thread::sleep_for(seconds(quiet));
  auto writes = OperatorWritesSince(start);
  auto counted = WithoutLeases(writes);
  EXPECT_EQ(counted.size(), 0u) << "operator writes during " << quiet << "s at rest:\n"
                                << Describe(counted) << "(Lease writes not counted: "
                                << writes.size() - counted.size() << ")";

  // Restart: SIGTERM, a fresh process, informers synced, then quiet again.
  std::uintmax_t before_restart = AuditLogSize();
  int status = op().Stop();
  EXPECT_EQ(status, 0) << "SIGTERM should end the operator cleanly\n" << op().Tail(2000);
  op().Start();
  ASSERT_TRUE(op().WaitReady()) << "restarted operator not ready\n" << op().Tail(3000);
  // Let the initial list's reconciles of every workspace run.
  std::this_thread::sleep_for(seconds(std::max(15, quiet / 2)));
  writes = OperatorWritesSince(before_restart);
  counted = WithoutLeases(writes);
  EXPECT_EQ(counted.size(), 0u) << "operator writes after a restart with nothing changed:\n"
                                << Describe(counted) << op().Tail(2000);
  EXPECT_EQ(Phase(GetWorkspace(cpu)), "Running");
  EXPECT_EQ(Phase(GetWorkspace(stopped)), "Stopped");
  EXPECT_EQ(Phase(GetWorkspace(no_secret)), "Failed");
  EXPECT_EQ(Phase(GetWorkspace(bad_ingress)), "Failed");
}

}  // namespace
}  // namespace tfws::e2e
