// Leader election on a real Lease: one of two electors leads; a killed leader
// (no release) is replaced within the lease duration; a clean stop hands over
// at once.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "runtime/leader_election.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Short timings so the test runs in seconds; the logic is the same as with
// the 15/10/2 s defaults.
constexpr auto kLease = 4s;
constexpr auto kRenew = 3s;
constexpr auto kRetry = 500ms;

struct Elector {
  Elector(kube::Client& client, const std::string& ns, const std::string& id, bool release_on_stop = true)
      : leases(client) {
    runtime::LeaderElectionConfig config;
    config.lease_namespace = ns;
    config.lease_name = "tfws-operator-e2e";
    config.identity = id;
    config.lease_duration = kLease;
    config.renew_deadline = kRenew;
    config.retry_period = kRetry;
    config.release_on_stop = release_on_stop;
    config.on_started_leading = [this](std::stop_token stop) {
      started_at = Clock::now();
      leading = true;
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      cv.wait(lock, stop, [] { return false; });
      leading = false;
    };
    elector = std::make_unique<runtime::LeaderElector>(leases, config);
    thread = std::jthread([this](std::stop_token stop) { elector->Run(stop); });
  }
  void Stop() {
    thread.request_stop();
    thread.join();
  }
  runtime::ClientLeaseClient leases;
  std::unique_ptr<runtime::LeaderElector> elector;
  std::atomic<bool> leading{false};
  Clock::time_point started_at{};
  std::jthread thread;
};

class RuntimeLeaderElectionTest : public TestenvTest {};

TEST_F(RuntimeLeaderElectionTest, OneOfTwoLeadsAndAKilledLeaderIsReplacedWithinTheLeaseDuration) {
  Elector a(client(), ns(), "a", /*release_on_stop=*/false);
  ASSERT_TRUE(WaitFor([&] { return a.leading.load(); }, 20s));
  Elector b(client(), ns(), "b");
  std::this_thread::sleep_for(2 * kLease);
  EXPECT_TRUE(a.leading);
  EXPECT_FALSE(b.leading) << "only one leader at a time";

  auto killed = Clock::now();
  a.Stop();  // "killed": stops renewing and does not release
  auto lease = client().Get(kube::resources::kLeases, ns(), "tfws-operator-e2e");
  EXPECT_EQ(lease["spec"]["holderIdentity"], "a") << "a did not release";
  ASSERT_TRUE(WaitFor([&] { return b.leading.load(); }, 30s));
  auto handover = b.started_at - killed;
  EXPECT_LE(handover, kLease + 2 * kRetry + 1s)
      << "took " << std::chrono::duration<double>(handover).count() << " s";
  lease = client().Get(kube::resources::kLeases, ns(), "tfws-operator-e2e");
  EXPECT_EQ(lease["spec"]["holderIdentity"], "b");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 1);
}

TEST_F(RuntimeLeaderElectionTest, ACleanStopReleasesTheLeaseAndTheSuccessorTakesOverAtOnce) {
  Elector a(client(), ns(), "a");
  ASSERT_TRUE(WaitFor([&] { return a.leading.load(); }, 20s));
  Elector b(client(), ns(), "b");
  std::this_thread::sleep_for(kRetry * 3);
  ASSERT_FALSE(b.leading);

  auto stopped = Clock::now();
  a.Stop();
  auto lease = client().Get(kube::resources::kLeases, ns(), "tfws-operator-e2e");
  EXPECT_NE(lease["spec"].value("holderIdentity", ""), "a");
  ASSERT_TRUE(WaitFor([&] { return b.leading.load(); }, 30s, 20ms));
  auto handover = b.started_at - stopped;
  EXPECT_LT(handover, kLease) << "took " << std::chrono::duration<double>(handover).count()
                              << " s: a released lease must not wait for expiry";
}

}  // namespace
}  // namespace tfws::e2e
