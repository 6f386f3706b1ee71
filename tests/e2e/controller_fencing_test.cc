// Fencing (issue 11): two operators with --leader-elect; the leader is frozen
// (SIGSTOP) past its Lease, the other takes over and writes; when the old
// leader runs again it writes nothing more — its client refuses writes once
// its last renewal is older than the renew deadline, and its in-flight passes
// are cancelled between steps — and it exits within the renew deadline. The
// audit log tells the replicas apart by the identity in their User-Agent.
//
// Not a ControllerTest: the suite's own operator (no leader election) would
// reconcile the same workspace.
#include <gtest/gtest.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "kube/api_error.h"
#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;

class ControllerFencing : public TestenvTest {};

TEST_F(ControllerFencing, AFrozenLeaderWritesNothingAfterItsSuccessorTakesOver) {
  InstallWorkspaceCrd(client());
  const std::string lease = UniqueName("fence");
  const std::vector<std::string> args = {"--leader-elect", "--leader-election-namespace", ns(),
                                         "--leader-election-id", lease};
  auto holder = [&]() -> std::string {
    try {
      return client().Get(res::kLeases, ns(), lease)["spec"].value("holderIdentity", "");
    } catch (const kube::ApiError& e) {
      if (e.IsNotFound()) return "";
      throw;
    }
  };

  OperatorProcess first({.extra_args = args});
  first.Start();
  ASSERT_TRUE(first.WaitReady(seconds(60))) << first.Tail(3000);
  std::string old_leader;
  // Measured: the first candidate acquires at once (~0.1 s after it starts campaigning).
  ASSERT_TRUE(WaitFor([&] { return !(old_leader = holder()).empty(); }, seconds(10))) << first.Tail(3000);
  OperatorProcess second({.extra_args = args});
  second.Start();
  ASSERT_TRUE(second.WaitReady(seconds(60))) << second.Tail(3000);

  const std::uintmax_t frozen_at = AuditLogSize();
  ASSERT_EQ(::kill(first.pid(), SIGSTOP), 0);
  // Work for whoever leads next: a new workspace.
  Json ws = WorkspaceObject("fenced", {{"gpu", {{"count", 0}}}, {"storage", {{"workspace", {{"size", "1Gi"}}}}}});
  ws["metadata"]["namespace"] = ns();
  client().Create(res::kTFWorkspaces, ns(), ws);

  // The Lease (15 s) expires, the second candidate takes it at its next retry
  // (2 s) and reconciles. Measured: ~17 s.
  std::string new_leader;
  EXPECT_TRUE(WaitFor(
      [&] {
        new_leader = holder();
        return !new_leader.empty() && new_leader != old_leader;
      },
      seconds(40)))
      << "no takeover\n" << second.Tail(3000);
  EXPECT_TRUE(WaitFor(
      [&] {
        for (const auto& w : OperatorWritesSince(frozen_at)) {
          if (w.user_agent.find(new_leader) != std::string::npos) return true;
        }
        return false;
      },
      seconds(20)))
      << "the new leader wrote nothing\n" << second.Tail(3000);

  // Thaw the old leader: it must not write; its in-flight passes are cancelled
  // between steps and it exits (status 1, lost the Lease) within the renew
  // deadline (10 s). Measured: 4.3 s from SIGCONT to exit (2 runs): ~2 s to
  // find the Lease lost, ~1 ms to drain the cancelled passes, ~2 s to stop
  // the informers.
  const auto thawed = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(first.pid(), SIGCONT), 0);
  EXPECT_TRUE(WaitFor([&] { return !first.Running(); }, seconds(10)))
      << "the old leader kept running after losing its Lease\n" << first.Tail(3000);
  std::cout << "old leader exited "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - thawed).count()
            << " ms after SIGCONT\n";
  std::this_thread::sleep_for(seconds(2));  // let its last audit lines land

  std::vector<AuditWrite> by_old;
  for (const auto& w : OperatorWritesSince(frozen_at)) {
    if (w.user_agent.find(old_leader) != std::string::npos) by_old.push_back(w);
  }
  EXPECT_TRUE(by_old.empty()) << "writes by the old leader " << old_leader << " after it was frozen:\n"
                              << Describe(by_old) << first.Tail(3000);
  EXPECT_TRUE(WaitForPhase(client(), ns(), "fenced", "Running", seconds(60)));
  second.Stop();
}

}  // namespace
}  // namespace tfws::e2e
