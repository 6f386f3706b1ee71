// A Store kept current by a Watcher running on its own thread: the unit a
// controller reads from. Owns the ListerWatcher, the Store, the Watcher and
// the thread.
//
// Add indexes and handlers before Start(). Start() once; Stop() (also run by
// the destructor) requests stop and joins. Readers use store() from any thread.
#pragma once

#include <memory>
#include <thread>

#include "runtime/watcher.h"

namespace tfws::runtime {

class Informer {
 public:
  Informer(std::unique_ptr<ListerWatcher> lister_watcher, Transform transform = {},
           WatcherOptions options = {});
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  Store& store() { return store_; }
  const Store& store() const { return store_; }
  Watcher& watcher() { return watcher_; }
  void AddHandler(std::shared_ptr<EventHandler> handler) { watcher_.AddHandler(std::move(handler)); }

  void Start();
  void Stop();
  bool Synced() const { return store_.Synced(); }

 private:
  std::unique_ptr<ListerWatcher> lister_watcher_;
  Store store_;
  Watcher watcher_;
  std::jthread thread_;
};

}  // namespace tfws::runtime
