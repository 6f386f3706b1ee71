#include "workspace/culling.h"

#include <algorithm>
#include <stdexcept>

#include "workspace/conditions.h"
#include "time/rfc3339.h"

namespace tfws::workspace {

namespace {

// Jupyter writes ISO 8601 with microseconds and "Z" (or "+00:00").
std::optional<time::WallTime> Timestamp(const nlohmann::json& object, const char* key, const char* what) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw std::runtime_error(std::string(what) + ": " + key + " is not a string");
  const std::string text = it->get<std::string>();
  const auto t = time::ParseRfc3339(text);
  if (!t) throw std::runtime_error(std::string(what) + ": " + key + " \"" + text + "\" is not a time");
  return t;
}

void Latest(std::optional<time::WallTime>& acc, std::optional<time::WallTime> t) {
  if (t && (!acc || *t > *acc)) acc = t;
}

}  // namespace

JupyterActivity ParseJupyterActivity(const nlohmann::json& status, const nlohmann::json& kernels) {
  if (!status.is_object() || !status.contains("last_activity")) {
    throw std::runtime_error("api/status: not a Jupyter status object (no last_activity)");
  }
  if (!kernels.is_array()) throw std::runtime_error("api/kernels: not a list of kernels");
  JupyterActivity a;
  Latest(a.last_activity, Timestamp(status, "last_activity", "api/status"));
  for (const auto& k : kernels) {
    if (!k.is_object()) throw std::runtime_error("api/kernels: an entry is not an object");
    ++a.kernels;
    Latest(a.last_activity, Timestamp(k, "last_activity", "api/kernels"));
    if (k.value("execution_state", "") == "busy") a.busy = true;
  }
  return a;
}

CullDecision DecideCull(std::chrono::minutes timeout, time::WallTime ready_since, std::optional<time::WallTime> restarted_at,
                        const JupyterActivity& activity, time::WallTime now) {
  CullDecision d;
  d.idle_since = ready_since;
  if (restarted_at) d.idle_since = std::max(d.idle_since, *restarted_at);
  if (activity.last_activity) d.idle_since = std::max(d.idle_since, *activity.last_activity);
  if (activity.busy) d.idle_since = now;
  d.idle_since = std::min(d.idle_since, now);  // a clock ahead of ours is not future activity
  const auto idle = now - d.idle_since;
  if (timeout.count() > 0 && idle >= timeout) {
    d.cull = true;
  } else {
    d.check_again_in = std::chrono::ceil<std::chrono::seconds>(timeout - idle);
  }
  return d;
}

}  // namespace tfws::workspace
