// Leader election on a coordination.k8s.io/v1 Lease, following client-go:
//  - a candidate takes the Lease when it does not exist, has no holder, or its
//    holder has not renewed for leaseDurationSeconds as measured on OUR clock
//    from when we last saw the record change (no trust in other clocks);
//  - writes use the Lease's resourceVersion (a lost race is a 409, not a split brain);
//  - the leader renews every retry_period; if no renew succeeds for
//    renew_deadline it stops leading at once (the leading stop_token is
//    requested, OnStoppedLeading runs) and Run returns;
//  - fencing: each period of leadership is a term of the WriteFence
//    (kube/write_fence.h), open until the last renewal + renew_deadline. The
//    fence ends the term on the clock alone at that instant (even while a
//    renewal call hangs), so the leading stop_token, the client's writes in
//    flight and Run's own wait all stop at the renew deadline, not when the
//    next renewal attempt gives up;
//  - on a clean stop the leader releases the Lease (holderIdentity cleared,
//    leaseDurationSeconds=1) so a successor takes over at its next retry.
// Defaults: lease 15 s, renew deadline 10 s, retry 2 s.
//
// Run() blocks on the caller's thread; OnStartedLeading runs on a thread of
// its own with the term's stop_token, requested when leadership ends. The
// accessors are thread-safe (for /healthz and metrics).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "observe/log.h"
#include "observe/machinery_metrics.h"
#include "time/backoff.h"
#include "time/clock.h"
#include "kube/write_fence.h"
#include "runtime/lease_client.h"

namespace tfws::runtime {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name = "tfws-operator";
  std::string identity;  // unique per candidate: pod name + random suffix
  time::Duration lease_duration = std::chrono::seconds(15);
  time::Duration renew_deadline = std::chrono::seconds(10);
  time::Duration retry_period = std::chrono::seconds(2);
  double retry_jitter = 0.2;  // acquire attempts wait retry * (1 + jitter * r)
  bool release_on_stop = true;

  std::function<void(std::stop_token)> on_started_leading;  // should return when the token stops
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& holder)> on_new_leader;  // another candidate took over

  time::Clock* clock = nullptr;                     // default time::SystemClock
  time::RandomSource random;                        // default time::DefaultRandomSource()
  observe::LeaderMetrics* metrics = nullptr;  // default no-op
  // Share it with the client's writes (kube::ClientOptions::fence); default: one of its own.
  std::shared_ptr<kube::WriteFence> fence;
};

class LeaderElector {
 public:
  enum class Outcome { kStopped, kLostLease };

  // Throws std::invalid_argument naming the field when the config is unusable
  // (empty identity/namespace, renew_deadline >= lease_duration, ...).
  LeaderElector(LeaseClient& leases, LeaderElectionConfig config);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Campaigns until leading, leads until stop or loss. kStopped: stop was
  // requested (lease released if we held it). kLostLease: renewals failed.
  Outcome Run(std::stop_token stop);

  bool IsLeader() const { return leading_.load(); }
  std::string ObservedHolder() const;
  // Steady time of the last successful acquire/renew (nullopt if never).
  std::optional<time::TimePoint> LastRenew() const;
  // For /healthz: false only when we believe we lead but have not renewed for
  // lease_duration + tolerance (client-go's HealthzAdaptor).
  bool Healthy(time::Duration tolerance = std::chrono::seconds(20)) const;
  // True while leading and the last renewal is younger than the renew
  // deadline (measured on our steady clock, so a process frozen past it is
  // fenced the moment it runs again, before the elector notices).
  bool MayWrite() const { return IsLeader() && fence_->IsOpen(); }

 private:
  bool TryAcquireOrRenew();
  void Release();
  std::stop_token StartLeading();
  void StopLeading();
  kube::Json DesiredSpec(const kube::Json& observed_spec, bool renewing) const;

  LeaseClient& leases_;
  LeaderElectionConfig config_;
  time::Clock& clock_;
  std::shared_ptr<kube::WriteFence> fence_;
  observe::LeaderMetrics default_metrics_;
  observe::LeaderMetrics* metrics_;
  observe::Logger log_;

  mutable std::mutex mu_;
  kube::Json observed_spec_ = kube::Json::object();  // last Lease spec we saw
  time::TimePoint observed_time_{};     // our clock when it last changed
  std::optional<time::TimePoint> last_renew_;
  std::atomic<bool> leading_{false};
  std::jthread leading_thread_;
};

}  // namespace tfws::runtime
