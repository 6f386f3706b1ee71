// Idle culling, the pure part: what Jupyter says about activity, and whether a
// Running workspace has been idle long enough to stop. No I/O, no clock.
//
// Activity is what Jupyter Notebook itself tracks: its server-wide
// last_activity (API requests, kernel messages) and each kernel's
// last_activity; a kernel whose execution_state is "busy" (a long cell that
// prints nothing) counts as active now. An open but idle browser tab does not.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "time/clock.h"

namespace tfws::workspace {

struct JupyterActivity {
  std::optional<time::WallTime> last_activity;  // the latest of the server's and every kernel's
  int kernels = 0;
  bool busy = false;  // some kernel is executing
};

// From the answers of GET <base>api/status and GET <base>api/kernels.
// Throws std::runtime_error saying which answer does not look like Jupyter's.
JupyterActivity ParseJupyterActivity(const nlohmann::json& status, const nlohmann::json& kernels);

struct CullDecision {
  bool cull = false;
  time::WallTime idle_since;  // when the workspace last did anything
  // When not culling: when the workspace would reach the timeout if nothing
  // happens meanwhile (the moment to ask Jupyter again).
  std::chrono::seconds check_again_in{0};
};

// Idle since = the latest of: the Pod became Ready (ready_since), a restart
// request (restarted_at, may be empty), Jupyter's last activity; `now` when a
// kernel is busy. Cull when now - idle since >= timeout (timeout > 0).
CullDecision DecideCull(std::chrono::minutes timeout, time::WallTime ready_since,
                        std::optional<time::WallTime> restarted_at, const JupyterActivity& activity, time::WallTime now);

}  // namespace tfws::workspace
