// Owns the lifecycles: informers (caches), controllers, leader election and
// graceful shutdown, so reconcilers stay pure domain code.
//
//  Run(stop):
//    1. starts every informer (followers keep warm caches too);
//    2. with leader election: campaigns; while leading runs the controllers
//       (each waits for its informers to sync); without it: runs them at once;
//    3. on stop: controllers stop taking keys and drain (bounded by their
//       drain timeout), the lease is released, informers stop.
//    Returns kStopped after a clean stop, kLostLease when leadership was lost
//    (the process should exit non-zero and be restarted: its caches and
//    in-flight work may be stale).
//
// Add informers/controllers before Run(). Synced()/IsLeader()/Healthy() are
// thread-safe, for /readyz and /healthz.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/controller.h"
#include "runtime/informer.h"
#include "runtime/leader_election.h"

namespace tfws::runtime {

struct ManagerOptions {
  // Leader election is on when set; its callbacks are the manager's.
  std::optional<LeaderElectionConfig> leader_election;
  LeaseClient* leases = nullptr;  // required with leader election
};

class Manager {
 public:
  enum class Outcome { kStopped, kLostLease };

  explicit Manager(ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Registers an informer under a unique name ("pods", "tfworkspaces").
  // Throws std::invalid_argument when the name is taken.
  Informer& AddInformer(const std::string& name, std::unique_ptr<ListerWatcher> lister_watcher,
                        Transform transform = {}, WatcherOptions options = {});
  Informer* GetInformer(const std::string& name);
  // The reconciler must outlive the manager.
  Controller& AddController(Reconciler& reconciler, ControllerOptions options);

  Outcome Run(std::stop_token stop);

  // True when every informer has listed once.
  bool Synced() const;
  bool IsLeader() const;
  // False when we lead but failed to renew the lease for too long.
  bool Healthy() const;

 private:
  void RunControllers(std::stop_token stop);

  ManagerOptions options_;
  std::map<std::string, std::unique_ptr<Informer>> informers_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::unique_ptr<LeaderElector> elector_;
  observe::Logger log_;
};

}  // namespace tfws::runtime
