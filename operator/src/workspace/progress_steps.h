// ProgressSteps: per workspace, the progress step its status would show next
// (e.g. "Pending/WaitingForClaims") and since when this process has seen that
// step without writing it.
//
// A step of normal progress is written only once it has lasted the write
// interval: in a create storm most steps last a few seconds, and each would
// cost a status patch nobody reads. Process memory only (a restart starts
// empty, so a step already shown is not written again). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "time/clock.h"  // WallTime

namespace tfws::workspace {

class ProgressSteps {
 public:
  // Records that `workspace` ("namespace/name") would show `step` at `now`;
  // returns how long it has shown that step so far (zero for a new step).
  time::Duration Lasted(const std::string& workspace, const std::string& step, time::WallTime now) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = since_.try_emplace(workspace, Since{step, now});
    // A new step, or the wall clock went back: the step starts now.
    if (!inserted && (it->second.step != step || now < it->second.at)) it->second = Since{step, now};
    return std::chrono::duration_cast<time::Duration>(now - it->second.at);
  }
  // The step was written, or the workspace left normal progress or is gone.
  void Forget(const std::string& workspace) {
    std::lock_guard lock(mu_);
    since_.erase(workspace);
  }

 private:
  struct Since {
    std::string step;
    time::WallTime at;
  };
  std::mutex mu_;
  std::map<std::string, Since> since_;
};

}  // namespace tfws::workspace
