// Fencing (issue 11): two operators with --leader-elect; the leader is frozen
// (SIGSTOP) past its Lease, the other takes over and writes; when the old
// leader runs again it writes nothing more — its write fence ended its term at
// the renew deadline on the clock alone, which cancels its passes and any
// write in flight and refuses new ones (kube/write_fence.h) — and it exits.
// The audit log tells the replicas apart by the identity in their User-Agent.
//
// Not a ControllerTest: the suite's own operator (no leader election) would
// reconcile the same workspace. Both operators watch only this test's
// namespace: watching all of them, the leader also reconciled workspaces of
// namespaces other tests were deleting, and a write of those in flight at the
// SIGSTOP was logged after the freeze (the one failure seen, beside a
// terminating namespace).
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
                                         "--leader-election-id", lease, "--watch-namespaces", ns()};
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
  ASSERT_TRUE(first.WaitReady()) << first.Tail(3000);
  std::string old_leader;
  // Measured: the first candidate acquires at once (~0.1 s after it starts campaigning).
  ASSERT_TRUE(WaitFor([&] { return !(old_leader = holder()).empty(); }, seconds(10))) << first.Tail(3000);
  OperatorProcess second({.extra_args = args});
  second.Start();
  ASSERT_TRUE(second.WaitReady()) << second.Tail(3000);

  const std::uintmax_t frozen_at = AuditLogSize();
  const auto frozen = std::chrono::steady_clock::now();
  auto since = [](std::chrono::steady_clock::time_point t) {
    return std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count()) +
           " ms";
  };
  ASSERT_EQ(::kill(first.pid(), SIGSTOP), 0);
  // Work for whoever leads next: a new workspace.
  Json ws = WorkspaceObject("fenced", {{"gpu", {{"count", 0}}}, {"storage", {{"workspace", {{"size", "1Gi"}}}}}});
  ws["metadata"]["namespace"] = ns();
  client().Create(res::kTFWorkspaces, ns(), ws);

  // The Lease (15 s) expires, the second candidate takes it at its next retry
  // (2 s) and reconciles. Measured: takeover 15.3 s after the SIGSTOP, its
  // first write 2 ms later (4 runs, alone and beside another e2e suite).
  std::string new_leader;
  ASSERT_TRUE(WaitFor(
      [&] {
        new_leader = holder();
        return !new_leader.empty() && new_leader != old_leader;
      },
      seconds(30)))
      << "no takeover\n" << second.Tail(3000);
  std::cout << "takeover " << since(frozen) << " after SIGSTOP\n";
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& w : OperatorWritesSince(frozen_at)) {
          if (w.user_agent.find("(" + new_leader + ")") != std::string::npos) return true;
        }
        return false;
      },
      seconds(5)))  // a pass on a warm cache; 5 s for a loaded machine
      << "the new leader wrote nothing\n" << second.Tail(3000);
  std::cout << "the new leader's first write seen " << since(frozen) << " after SIGSTOP\n";

  // Thaw the old leader: its fence's timer ends the term at once (the renew
  // deadline passed while it was frozen), its first write attempt is refused
  // (log: "refused POST ... (fenced)"), its workers drain and it exits (status
  // 1, lost the Lease). Measured: 4.3-4.5 s from SIGCONT to exit (5 runs):
  // ~2 ms to end the term and drain, 2 s to stop the informers, ~2 s of
  // process shutdown after that.
  const auto thawed = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(first.pid(), SIGCONT), 0);
  EXPECT_TRUE(WaitFor([&] { return !first.Running(); }, seconds(10)))
      << "the old leader kept running after losing its Lease\n" << first.Tail(3000);
  std::cout << "old leader exited " << since(thawed) << " after SIGCONT\n";
  std::this_thread::sleep_for(seconds(2));  // let its last audit lines land

  // What fencing promises (issue 11): no write by the old leader once the new
  // one writes. Not "none after the freeze": a Lease renewal (every 2 s, same
  // User-Agent) in flight at the SIGSTOP is logged after frozen_at; that race
  // was the other way this test could fail.
  const auto writes = OperatorWritesSince(frozen_at);
  std::string new_leader_first;  // requestReceivedTimestamp: RFC 3339 UTC, same width, so strings compare
  for (const auto& w : writes) {
    if (w.user_agent.find("(" + new_leader + ")") != std::string::npos &&
        (new_leader_first.empty() || w.timestamp < new_leader_first))
      new_leader_first = w.timestamp;
  }
  std::vector<AuditWrite> by_old, by_old_after_takeover;
  ASSERT_FALSE(new_leader_first.empty());
  for (const auto& w : writes) {
    if (w.user_agent.find("(" + old_leader + ")") == std::string::npos) continue;
    by_old.push_back(w);
    if (w.timestamp >= new_leader_first) by_old_after_takeover.push_back(w);
  }
  EXPECT_TRUE(by_old_after_takeover.empty())
      << "writes by the old leader " << old_leader << " after the new leader's first write (" << new_leader_first
      << "):\n" << Describe(by_old_after_takeover) << first.Tail(3000);
  std::cout << by_old.size() << " write(s) by the old leader logged after the freeze, all before the takeover\n"
            << Describe(by_old);
  // Measured: 0.0 s (TFWS_E2E_WAIT_LOG=1, 2 runs: Running by then); 10 s (the scheduler, kwok).
  EXPECT_TRUE(WaitForPhase(client(), ns(), "fenced", "Running", seconds(10)));
  second.Stop();
}

}  // namespace
}  // namespace tfws::e2e
