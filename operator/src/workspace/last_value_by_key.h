// LastValueByKey: what this process last recorded per key (a workspace's
// phase, its blocker reason, the UID of the Pod it deleted), so a pass that
// sees a stale cache does not count, announce or act on one transition twice.
// Process memory only: a restart starts empty. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

namespace tfws::workspace {

class LastValueByKey {
 public:
  // Records `value` under `key`; true when the key was new or held another value.
  bool Change(const std::string& key, const std::string& value) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = last_.try_emplace(key, value);
    if (inserted) return true;
    if (it->second == value) return false;
    it->second = value;
    return true;
  }
  // The value recorded under `key`, "" when none.
  std::string Get(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = last_.find(key);
    return it == last_.end() ? std::string() : it->second;
  }
  void Forget(const std::string& key) {
    std::lock_guard lock(mu_);
    last_.erase(key);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> last_;
};

}  // namespace tfws::workspace
