// Asks a workspace's Jupyter how active it is: GET <base>api/status and
// GET <base>api/kernels?no_track_activity=1 with the workspace token, so the
// probe itself never counts as activity. The seam between the reconciler and
// the network (tests of the reconciler pass their own function).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "workspace/culling.h"

namespace tfws::workspace {

struct ActivityProbeResult {
  std::optional<JupyterActivity> activity;  // nullopt: Jupyter could not be asked
  std::string error;                        // why not, for the log (never holds the token)
};

// base_url: "http://<pod IP>:8888/tfws/<ns>/<name>/" (trailing slash).
// token: empty when the workspace has auth "none".
using ActivityProbe = std::function<ActivityProbeResult(const std::string& base_url, const std::string& token)>;

// The most the probe reads of one answer; a larger answer is an error (the
// server belongs to the workspace's user: the operator's memory must not).
inline constexpr std::size_t kMaxJupyterAnswerBytes = 16 * 1024;

// The cpprestsdk probe; each call gives up after `timeout` of silence and
// reads at most kMaxJupyterAnswerBytes of each answer.
ActivityProbe MakeJupyterActivityProbe(std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace tfws::workspace
