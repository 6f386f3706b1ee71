#include "runtime/leader_election.h"

#include "time/rfc3339.h"

#include <stdexcept>

namespace tfws::runtime {
namespace {

long Seconds(time::Duration d) { return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count()); }

}  // namespace

LeaderElector::LeaderElector(LeaseClient& leases, LeaderElectionConfig config)
    : leases_(leases),
      config_(std::move(config)),
      clock_(config_.clock ? *config_.clock : time::SystemClock::Instance()),
      fence_(config_.fence ? config_.fence : std::make_shared<kube::WriteFence>(clock_)),
      metrics_(config_.metrics ? config_.metrics : &default_metrics_),
      log_(observe::Logger("runtime.leader").With("lease", config_.lease_namespace + "/" + config_.lease_name)) {
  if (config_.identity.empty()) throw std::invalid_argument("leader election: identity must not be empty");
  if (config_.lease_namespace.empty()) {
    throw std::invalid_argument("leader election: --leader-election-namespace must not be empty");
  }
  if (config_.lease_name.empty()) throw std::invalid_argument("leader election: --leader-election-id must not be empty");
  if (config_.renew_deadline >= config_.lease_duration) {
    throw std::invalid_argument("leader election: renew deadline (" + std::to_string(Seconds(config_.renew_deadline)) +
                                "s) must be shorter than the lease duration (" +
                                std::to_string(Seconds(config_.lease_duration)) + "s)");
  }
  if (config_.retry_period <= time::Duration::zero() || config_.retry_period >= config_.renew_deadline) {
    throw std::invalid_argument("leader election: retry period must be positive and shorter than the renew deadline");
  }
  if (!config_.random) config_.random = time::DefaultRandomSource();
  metrics_->Leading(false);
}

LeaderElector::~LeaderElector() {
  if (leading_thread_.joinable()) {
    fence_->Close();
    leading_thread_.join();
  }
}

std::string LeaderElector::ObservedHolder() const {
  std::lock_guard lock(mu_);
  return observed_spec_.is_object() ? observed_spec_.value("holderIdentity", "") : "";
}

std::optional<time::TimePoint> LeaderElector::LastRenew() const {
  std::lock_guard lock(mu_);
  return last_renew_;
}

bool LeaderElector::Healthy(time::Duration tolerance) const {
  if (!IsLeader()) return true;
  auto last = LastRenew();
  return last && clock_.Now() < *last + config_.lease_duration + tolerance;
}

kube::Json LeaderElector::DesiredSpec(const kube::Json& observed_spec, bool renewing) const {
  std::string now = time::FormatRfc3339(clock_.WallNow(), time::Precision::kMicroseconds);
  kube::Json spec = {{"holderIdentity", config_.identity},
                     {"leaseDurationSeconds", Seconds(config_.lease_duration)},
                     {"renewTime", now}};
  long transitions = observed_spec.is_object() ? observed_spec.value("leaseTransitions", 0L) : 0L;
  if (renewing && observed_spec.contains("acquireTime")) {
    spec["acquireTime"] = observed_spec["acquireTime"];
    spec["leaseTransitions"] = transitions;
  } else {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = observed_spec.is_object() && !observed_spec.empty() ? transitions + 1 : 0;
  }
  return spec;
}

bool LeaderElector::TryAcquireOrRenew() {
  time::TimePoint now = clock_.Now();
  std::optional<kube::Json> lease;
  try {
    lease = leases_.Get(config_.lease_namespace, config_.lease_name);
  } catch (const std::exception& e) {
    log_.Warn("cannot read the lease", {{"error", e.what()}});
    return false;
  }

  if (!lease) {
    kube::Json spec = DesiredSpec(kube::Json::object(), false);
    kube::Json object = {{"apiVersion", "coordination.k8s.io/v1"},
                         {"kind", "Lease"},
                         {"metadata", {{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}},
                         {"spec", spec}};
    try {
      leases_.Create(config_.lease_namespace, object);
    } catch (const std::exception& e) {
      log_.Info("lost the race to create the lease", {{"error", e.what()}});
      return false;
    }
    std::lock_guard lock(mu_);
    observed_spec_ = spec;
    observed_time_ = now;
    last_renew_ = now;
    return true;
  }

  kube::Json spec = lease->value("spec", kube::Json::object());
  std::string holder = spec.value("holderIdentity", "");
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    if (spec != observed_spec_) {
      changed = observed_spec_.value("holderIdentity", "") != holder;
      observed_spec_ = spec;
      observed_time_ = now;
    }
  }
  if (changed && !holder.empty() && holder != config_.identity && config_.on_new_leader) {
    config_.on_new_leader(holder);
  }
  bool held_by_other = !holder.empty() && holder != config_.identity;
  if (held_by_other) {
    long lease_seconds = spec.value("leaseDurationSeconds", Seconds(config_.lease_duration));
    std::lock_guard lock(mu_);
    if (observed_time_ + std::chrono::seconds(lease_seconds) > now) return false;
  }

  kube::Json desired = DesiredSpec(spec, holder == config_.identity);
  kube::Json update = *lease;
  update["spec"] = desired;
  try {
    leases_.Update(config_.lease_namespace, update);
  } catch (const std::exception& e) {
    log_.Warn(holder == config_.identity ? "lease renewal failed" : "lease takeover failed", {{"error", e.what()}});
    return false;
  }
  if (held_by_other) log_.Info("took over an expired lease", {{"previousHolder", holder}});
  std::lock_guard lock(mu_);
  observed_spec_ = desired;
  observed_time_ = now;
  last_renew_ = now;
  return true;
}

std::stop_token LeaderElector::StartLeading() {
  leading_ = true;  // before the fence's timer waits on the clock (a fake clock's tests count on it)
  metrics_->Leading(true);
  std::stop_token term = fence_->Open(*LastRenew() + config_.renew_deadline);
  log_.Info("started leading", {{"identity", config_.identity}});
  leading_thread_ = std::jthread([this, term] {
    if (config_.on_started_leading) config_.on_started_leading(term);
  });
  return term;
}

void LeaderElector::StopLeading() {
  leading_ = false;
  metrics_->Leading(false);
  fence_->Close();
  if (leading_thread_.joinable()) leading_thread_.join();
}

void LeaderElector::Release() {
  try {
    auto lease = leases_.Get(config_.lease_namespace, config_.lease_name);
    if (!lease) return;
    kube::Json spec = lease->value("spec", kube::Json::object());
    if (spec.value("holderIdentity", "") != config_.identity) return;
    std::string now = time::FormatRfc3339(clock_.WallNow(), time::Precision::kMicroseconds);
    kube::Json released = *lease;
    released["spec"] = {{"leaseDurationSeconds", 1},
                        {"acquireTime", now},
                        {"renewTime", now},
                        {"leaseTransitions", spec.value("leaseTransitions", 0L)}};
    leases_.Update(config_.lease_namespace, released);
    log_.Info("released the lease");
  } catch (const std::exception& e) {
    log_.Warn("could not release the lease; a successor will wait for it to expire", {{"error", e.what()}});
  }
}

LeaderElector::Outcome LeaderElector::Run(std::stop_token stop) {
  log_.Info("campaigning for leadership", {{"identity", config_.identity}});
  while (!stop.stop_requested()) {
    if (TryAcquireOrRenew()) break;
    auto wait = std::chrono::duration_cast<time::Duration>(config_.retry_period * (1.0 + config_.retry_jitter * config_.random()));
    if (!clock_.SleepFor(wait, stop)) break;
  }
  if (stop.stop_requested()) return Outcome::kStopped;

  const std::stop_token term = StartLeading();
  // The wait between renewals ends early when we are stopped or the term ends
  // (the fence's timer ends it at the renew deadline).
  std::stop_source wake;
  std::stop_callback wake_on_stop(stop, [&wake] { wake.request_stop(); });
  std::stop_callback wake_on_term(term, [&wake] { wake.request_stop(); });
  while (true) {
    clock_.SleepFor(config_.retry_period, wake.get_token());
    if (stop.stop_requested()) break;
    if (!term.stop_requested() && TryAcquireOrRenew() &&
        fence_->Extend(*LastRenew() + config_.renew_deadline))
      continue;
    std::string holder = ObservedHolder();
    bool taken = !holder.empty() && holder != config_.identity;
    if (taken || term.stop_requested() || clock_.Now() - *LastRenew() >= config_.renew_deadline) {
      // Stop at once: workers and writes in flight see the term end before we wait for them.
      leading_ = false;
      metrics_->Leading(false);
      fence_->Close();
      log_.Error("lost the lease; stopped leading",
                 {{"holder", holder},
                  {"cause", taken ? "another candidate holds it" : "not renewed within the renew deadline"},
                  {"renewDeadlineSeconds", Seconds(config_.renew_deadline)}});
      if (config_.on_stopped_leading) config_.on_stopped_leading();
      StopLeading();
      return Outcome::kLostLease;
    }
  }
  StopLeading();
  if (config_.release_on_stop) Release();
  if (config_.on_stopped_leading) config_.on_stopped_leading();
  log_.Info("stopped leading");
  return Outcome::kStopped;
}

}  // namespace tfws::runtime
