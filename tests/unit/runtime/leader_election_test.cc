#include "runtime/leader_election.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "kube/api_error.h"
#include "support/fake_clock.h"

namespace tfws::runtime {
namespace {

using namespace std::chrono_literals;
using kube::Json;

// An in-memory Lease API with the API server's optimistic concurrency, and a
// switch that cuts off one candidate (as if its network or process died).
class FakeLeases final : public LeaseClient {
 public:
  std::optional<Json> Get(const std::string&, const std::string&) override {
    WaitWhileHung();
    std::lock_guard lock(mu_);
    Check();
    if (lease_.is_null()) return std::nullopt;
    return lease_;
  }
  Json Create(const std::string&, const Json& lease) override {
    std::lock_guard lock(mu_);
    Check();
    if (!lease_.is_null()) throw kube::ApiError(409, "AlreadyExists", "leases \"tfws-operator\" already exists");
    lease_ = lease;
    lease_["metadata"]["resourceVersion"] = std::to_string(++rv_);
    return lease_;
  }
  Json Update(const std::string&, const Json& lease) override {
    std::lock_guard lock(mu_);
    Check();
    if (lease["metadata"]["resourceVersion"] != lease_["metadata"]["resourceVersion"]) {
      throw kube::ApiError(409, "Conflict", "the object has been modified");
    }
    lease_ = lease;
    lease_["metadata"]["resourceVersion"] = std::to_string(++rv_);
    ++updates_;
    return lease_;
  }
  Json Spec() {
    std::lock_guard lock(mu_);
    return lease_.is_null() ? Json() : lease_["spec"];
  }
  // While set, every call fails as if the API server were unreachable.
  std::atomic<bool> unreachable{false};
  // While set, Get blocks (a hung API server) until Unhang().
  void Hang() {
    std::lock_guard lock(hang_mu_);
    hung_ = true;
  }
  // Waits (real time, bounded) until a call is blocked by Hang().
  bool BlockUntilHung() {
    std::unique_lock lock(hang_mu_);
    return hang_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return blocked_ > 0; });
  }
  void Unhang() {
    std::lock_guard lock(hang_mu_);
    hung_ = false;
    hang_cv_.notify_all();
  }

 private:
  void WaitWhileHung() {
    std::unique_lock lock(hang_mu_);
    if (!hung_) return;
    ++blocked_;
    hang_cv_.notify_all();
    hang_cv_.wait(lock, [this] { return !hung_; });
  }
  int blocked_ = 0;
  std::mutex hang_mu_;
  std::condition_variable hang_cv_;
  bool hung_ = false;
  void Check() {
    if (unreachable) throw kube::TransportError("connection refused");
  }
  std::mutex mu_;
  Json lease_;
  int rv_ = 0;
  int updates_ = 0;
};

struct Candidate {
  Candidate(FakeLeases& leases, time::FakeClock& clock, const std::string& id) {
    LeaderElectionConfig config;
    config.lease_namespace = "tfws-system";
    config.identity = id;
    config.clock = &clock;
    config.random = [] { return 0.0; };
    config.on_started_leading = [this](std::stop_token stop) {
      started = true;
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      cv.wait(lock, stop, [] { return false; });
      leading_stopped = true;
    };
    config.on_stopped_leading = [this] { stopped_callback = true; };
    elector = std::make_unique<LeaderElector>(leases, config);
  }
  void Start() {
    thread = std::jthread([this](std::stop_token stop) {
      outcome = elector->Run(stop);
      done = true;
    });
  }
  std::unique_ptr<LeaderElector> elector;
  std::atomic<bool> started{false}, leading_stopped{false}, stopped_callback{false}, done{false};
  LeaderElector::Outcome outcome{};
  std::jthread thread;
};

// Advances the fake clock from one deadline to the next, each time waiting
// until the electors have acted (pred() holds or `sleepers` threads are parked
// on the clock again), until pred() holds or `limit` of clock time passes.
// Returns the clock time it took.
template <typename P>
time::Duration AdvanceUntil(time::FakeClock& clock, int sleepers, P pred, time::Duration limit = 60s) {
  auto settled = [&] {
    for (int i = 0; i < 10000; ++i) {
      if (pred() || clock.BlockUntilSleeping(sleepers, 1ms)) return true;
    }
    return false;
  };
  time::Duration elapsed{};
  while (settled() && !pred() && elapsed < limit) elapsed += clock.AdvanceToNextDeadline();
  return elapsed;
}

bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 10000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

TEST(LeaderElection, FirstCandidateCreatesTheLeaseAndLeads) {
  time::FakeClock clock;
  FakeLeases leases;
  Candidate a(leases, clock, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.started.load(); }));
  EXPECT_TRUE(a.elector->IsLeader());
  Json spec = leases.Spec();
  EXPECT_EQ(spec["holderIdentity"], "a");
  EXPECT_EQ(spec["leaseDurationSeconds"], 15);
  EXPECT_EQ(spec["leaseTransitions"], 0);
  EXPECT_EQ(spec["renewTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_TRUE(a.elector->Healthy());
}

TEST(LeaderElection, LeaderRenewsEveryRetryPeriodAndOthersWait) {
  time::FakeClock clock;
  FakeLeases leases;
  Candidate a(leases, clock, "a"), b(leases, clock, "b");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.started.load(); }));
  b.Start();
  ASSERT_TRUE(clock.BlockUntilSleeping(3));  // a's renewal loop and fence timer, b's campaign
  for (int i = 0; i < 20; ++i) {  // 40 s of renewals
    clock.Advance(2s);
    ASSERT_TRUE(clock.BlockUntilSleeping(3));
  }
  EXPECT_FALSE(b.started);
  EXPECT_EQ(b.elector->ObservedHolder(), "a");
  EXPECT_EQ(leases.Spec()["acquireTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_NE(leases.Spec()["renewTime"], "2026-01-01T00:00:00.000000Z");
}

TEST(LeaderElection, ACleanStopReleasesTheLeaseSoASuccessorTakesOverAtOnce) {
  time::FakeClock clock;
  FakeLeases leases;
  Candidate a(leases, clock, "a"), b(leases, clock, "b");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.started.load(); }));
  b.Start();
  ASSERT_TRUE(clock.BlockUntilSleeping(3));  // a's renewal loop and fence timer, b's campaign
  a.thread.request_stop();
  a.thread.join();
  EXPECT_EQ(a.outcome, LeaderElector::Outcome::kStopped);
  EXPECT_TRUE(a.leading_stopped);
  EXPECT_TRUE(a.stopped_callback);
  EXPECT_EQ(leases.Spec().value("holderIdentity", ""), "");
  EXPECT_EQ(leases.Spec()["leaseDurationSeconds"], 1);
  // a's fence timer leaves the clock once its term ended (else its deadline looks like b's).
  ASSERT_TRUE(Eventually([&] { return clock.Waiters() <= 1; }));
  time::Duration took = AdvanceUntil(clock, 1, [&] { return b.elector->IsLeader(); });
  ASSERT_TRUE(Eventually([&] { return b.started.load(); }));
  EXPECT_TRUE(b.started);
  EXPECT_LE(took, 2s) << "one retry period, not a lease duration";
  EXPECT_EQ(leases.Spec()["leaseTransitions"], 1);
}

TEST(LeaderElection, SuccessorTakesOverAnUnreleasedLeaseAfterTheLeaseDuration) {
  time::FakeClock clock;
  FakeLeases leases;
  // A lease left behind by a crashed leader "dead".
  leases.Create("tfws-system", Json{{"metadata", {{"name", "tfws-operator"}, {"namespace", "tfws-system"}}},
                                    {"spec",
                                     {{"holderIdentity", "dead"},
                                      {"leaseDurationSeconds", 15},
                                      {"acquireTime", "2026-01-01T00:00:00.000000Z"},
                                      {"renewTime", "2026-01-01T00:00:00.000000Z"},
                                      {"leaseTransitions", 3}}}});
  Candidate b(leases, clock, "b");
  b.Start();
  time::Duration took = AdvanceUntil(clock, 1, [&] { return b.elector->IsLeader(); });
  ASSERT_TRUE(Eventually([&] { return b.started.load(); }));
  ASSERT_TRUE(b.started);
  EXPECT_GE(took, 15s);
  EXPECT_LE(took, 15s + 2s) << "within the lease duration plus one retry";
  EXPECT_EQ(leases.Spec()["holderIdentity"], "b");
  EXPECT_EQ(leases.Spec()["leaseTransitions"], 4);
}

TEST(LeaderElection, LeaderThatCannotRenewWithinTheDeadlineStopsLeadingImmediately) {
  time::FakeClock clock;
  FakeLeases leases;
  Candidate a(leases, clock, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.started.load(); }));
  leases.unreachable = true;
  time::Duration took = AdvanceUntil(clock, 2, [&] { return !a.elector->IsLeader(); });
  ASSERT_TRUE(Eventually([&] { return a.done.load(); }));
  EXPECT_TRUE(a.done);
  EXPECT_EQ(a.outcome, LeaderElector::Outcome::kLostLease);
  EXPECT_TRUE(a.leading_stopped);
  EXPECT_TRUE(a.stopped_callback);
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_EQ(took, 10s) << "the renew deadline";
}

TEST(LeaderElection, WritesAreFencedTheMomentTheLastRenewalIsOlderThanTheRenewDeadline) {
  time::FakeClock clock;
  FakeLeases leases;
  Candidate a(leases, clock, "a");
  Candidate b(leases, clock, "b");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.started.load(); }));
  b.Start();
  EXPECT_TRUE(a.elector->MayWrite());
  EXPECT_FALSE(b.elector->MayWrite()) << "a follower never writes";
  // Frozen, or cut off from the API server: no renewal. The fence closes on
  // the clock alone, whether or not the elector has run since.
  leases.unreachable = true;
  clock.Advance(9s);
  EXPECT_TRUE(a.elector->MayWrite()) << "within the renew deadline (10 s)";
  clock.Advance(1s);
  EXPECT_FALSE(a.elector->MayWrite()) << "past the renew deadline";
}

TEST(LeaderElection, ARenewalHangingPastTheRenewDeadlineStillStopsTheWorkersAtTheDeadline) {
  time::FakeClock clock;
  FakeLeases leases;
  Candidate a(leases, clock, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.started.load(); }));
  leases.Hang();
  ASSERT_TRUE(clock.BlockUntilSleeping(2));
  clock.Advance(2s);  // the renewal starts and hangs in Get
  ASSERT_TRUE(leases.BlockUntilHung());
  clock.Advance(8s - 1ms);
  EXPECT_FALSE(a.leading_stopped);
  EXPECT_TRUE(a.elector->MayWrite());
  clock.Advance(1ms);  // the renew deadline, 10 s after the last renewal
  EXPECT_TRUE(Eventually([&] { return a.leading_stopped.load(); }))
      << "the workers' token (and every write in flight) stops at the deadline, not when Get returns";
  EXPECT_FALSE(a.elector->MayWrite());
  EXPECT_FALSE(a.done) << "Run is still inside the hung renewal";
  leases.Unhang();
  ASSERT_TRUE(Eventually([&] { return a.done.load(); }));
  EXPECT_EQ(a.outcome, LeaderElector::Outcome::kLostLease) << "a renewal after the deadline does not reopen the term";
  EXPECT_TRUE(a.stopped_callback);
}

TEST(LeaderElection, LeaderWhoseLeaseWasTakenStopsAtItsNextRenewal) {
  time::FakeClock clock;
  FakeLeases leases;
  Candidate a(leases, clock, "a");
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.started.load(); }));
  Json stolen = *leases.Get("", "");
  stolen["spec"]["holderIdentity"] = "usurper";
  leases.Update("", stolen);
  time::Duration took = AdvanceUntil(clock, 2, [&] { return !a.elector->IsLeader(); });
  ASSERT_TRUE(Eventually([&] { return a.done.load(); }));
  EXPECT_EQ(a.outcome, LeaderElector::Outcome::kLostLease);
  EXPECT_LE(took, 2s);
  EXPECT_EQ(leases.Spec()["holderIdentity"], "usurper") << "a must not release someone else's lease";
}

TEST(LeaderElection, RejectsAConfigWhoseRenewDeadlineIsNotShorterThanTheLease) {
  FakeLeases leases;
  LeaderElectionConfig config;
  config.lease_namespace = "ns";
  config.identity = "a";
  config.renew_deadline = 15s;
  try {
    LeaderElector elector(leases, config);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "leader election: renew deadline (15s) must be shorter than the lease duration (15s)");
  }
}

}  // namespace
}  // namespace tfws::runtime
