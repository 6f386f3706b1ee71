#include "runtime/manager.h"

#include <stdexcept>

namespace tfws::runtime {

Manager::Manager(ManagerOptions options) : options_(std::move(options)), log_("runtime.manager") {
  if (options_.leader_election) {
    if (!options_.leases) throw std::invalid_argument("Manager: leader election needs a LeaseClient");
    LeaderElectionConfig config = *options_.leader_election;
    config.on_started_leading = [this](std::stop_token stop) { RunControllers(stop); };
    elector_ = std::make_unique<LeaderElector>(*options_.leases, std::move(config));
  }
}

Manager::~Manager() {
  for (auto& [name, informer] : informers_) informer->Stop();
}

Informer& Manager::AddInformer(const std::string& name, std::unique_ptr<ListerWatcher> lister_watcher,
                               Transform transform, WatcherOptions options) {
  if (informers_.contains(name)) throw std::invalid_argument("Manager: informer \"" + name + "\" added twice");
  if (options.name == "watcher") options.name = name;
  auto informer = std::make_unique<Informer>(std::move(lister_watcher), std::move(transform), std::move(options));
  Informer& ref = *informer;
  informers_.emplace(name, std::move(informer));
  return ref;
}

Informer* Manager::GetInformer(const std::string& name) {
  auto it = informers_.find(name);
  return it == informers_.end() ? nullptr : it->second.get();
}

Controller& Manager::AddController(Reconciler& reconciler, ControllerOptions options) {
  controllers_.push_back(std::make_unique<Controller>(reconciler, std::move(options)));
  return *controllers_.back();
}

void Manager::RunControllers(std::stop_token stop) {
  std::vector<std::jthread> threads;
  for (auto& c : controllers_) {
    threads.emplace_back([&c, stop] { c->Run(stop); });
  }
  // jthread destructors join: each controller returns after draining.
}

Manager::Outcome Manager::Run(std::stop_token stop) {
  for (auto& [name, informer] : informers_) informer->Start();
  Outcome outcome = Outcome::kStopped;
  if (elector_) {
    if (elector_->Run(stop) == LeaderElector::Outcome::kLostLease) outcome = Outcome::kLostLease;
  } else {
    RunControllers(stop);
  }
  for (auto& [name, informer] : informers_) informer->Stop();
  log_.Info("manager stopped", {{"lostLease", outcome == Outcome::kLostLease}});
  return outcome;
}

bool Manager::Synced() const {
  for (auto& [name, informer] : informers_) {
    if (!informer->Synced()) return false;
  }
  return true;
}

bool Manager::IsLeader() const { return elector_ ? elector_->IsLeader() : true; }

bool Manager::Healthy() const { return elector_ ? elector_->Healthy() : true; }

}  // namespace tfws::runtime
