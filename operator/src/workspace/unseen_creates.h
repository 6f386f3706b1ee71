// UnseenCreates: children this process created that its cache has not shown
// yet, per workspace ("namespace/name") and object ("Kind/name").
//
// Between a create and its watch event another event may run the workspace's
// pass on a cache without the child. Creating it again only gets AlreadyExists
// (and a read to tell whose), and under a ResourceQuota the refused create is
// still charged to the quota's usage until the quota controller's next full
// sync (5 min by default): in bench/scale the quota namespace's last Pods were
// refused for exactly that and waited minutes. So a created child is awaited
// for kAwaitCreated; once the cache shows it, or after that time (it was
// deleted before the cache saw it), the pass decides on what the cache shows.
//
// Process memory only. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "time/clock.h"  // WallTime

namespace tfws::workspace {

class UnseenCreates {
 public:
  static constexpr std::chrono::seconds kAwaitCreated{30};

  void Created(const std::string& workspace, const std::string& object, time::WallTime at) {
    std::lock_guard lock(mu_);
    created_[workspace][object] = at;
    awaiting_ = true;
  }
  // True while `object` was created less than kAwaitCreated before `now` and
  // the cache has not shown it: do not create it again.
  bool Awaited(const std::string& workspace, const std::string& object, time::WallTime now) {
    std::lock_guard lock(mu_);
    const auto ws = created_.find(workspace);
    if (ws == created_.end()) return false;
    const auto it = ws->second.find(object);
    if (it == ws->second.end()) return false;
    if (now >= it->second && now - it->second < kAwaitCreated) return true;
    ws->second.erase(it);
    if (ws->second.empty()) created_.erase(ws);
    awaiting_ = !created_.empty();
    return false;
  }
  // False while nothing is awaited (always at rest): callers on the hot path
  // (every cache read of a child) skip Seen() and its key then. No lock.
  bool AnyAwaited() const { return awaiting_.load(std::memory_order_relaxed); }
  // The cache shows `object`.
  void Seen(const std::string& workspace, const std::string& object) {
    std::lock_guard lock(mu_);
    const auto ws = created_.find(workspace);
    if (ws == created_.end()) return;
    ws->second.erase(object);
    if (ws->second.empty()) created_.erase(ws);
    awaiting_ = !created_.empty();
  }
  void ForgetWorkspace(const std::string& workspace) {
    std::lock_guard lock(mu_);
    created_.erase(workspace);
    awaiting_ = !created_.empty();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, time::WallTime>> created_;
  std::atomic<bool> awaiting_{false};  // !created_.empty(), readable without the lock
};

// The process-wide memory of the reconciler.
inline UnseenCreates& CreatesNotSeen() {
  static UnseenCreates creates;
  return creates;
}

}  // namespace tfws::workspace
