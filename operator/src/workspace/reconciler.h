// Reconciles one TFWorkspace: renders the desired children, writes only what
// differs from the informer cache (create, or server-side apply when the
// tfws.io/spec-hash annotation differs), never restarts a running Pod unless
// asked (PendingRestart instead), and writes status only when it changed.
// With an idle timeout it asks the workspace's Jupyter about activity and,
// once idle that long, marks the workspace culled (annotation
// tfws.io/culled-at) and stops it; a Jupyter it cannot ask is never culled.
//
// Level-triggered and idempotent: running it again on a settled workspace
// issues zero writes. Thread-safe for different keys; the work queue
// guarantees one worker per key. Throws (kube::ApiError/TransportError) only
// for failures worth a rate-limited retry.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include "kube/client.h"
#include "workspace/jupyter_activity_probe.h"
#include "workspace/object_reader.h"
#include "workspace/operator_config.h"

namespace tfws::observe {
class WorkspaceMetrics;
}

namespace tfws::workspace {

// Records a Kubernetes Event about `regarding` (an object with apiVersion, kind, metadata).
using EventEmitter = std::function<void(const kube::Json& regarding, bool warning, const std::string& reason,
                                        const std::string& action, const std::string& note)>;

struct ReconcileOutcome {
  // Run again after this long even if nothing changes (a deadline to check,
  // a referenced object that may appear). nullopt = wait for the next event.
  std::optional<std::chrono::seconds> requeue_after;
};

class WorkspaceReconciler {
 public:
  struct Dependencies {
    kube::Client* client = nullptr;
    const ObjectReader* cache = nullptr;
    OperatorConfig config;
    EventEmitter emit_event;                      // may be empty
    observe::WorkspaceMetrics* metrics = nullptr;  // may be null
    // Asks Jupyter about activity for idle culling; empty = never cull.
    ActivityProbe probe_activity;
    std::function<std::chrono::system_clock::time_point()> now = [] {
      return std::chrono::system_clock::now();
    };
  };

  explicit WorkspaceReconciler(Dependencies deps);

  // `stop`: requested when the operator stops or loses its Lease; the pass
  // then ends between two steps without writing more.
  ReconcileOutcome Reconcile(const std::string& ns, const std::string& name, std::stop_token stop = {});

 private:
  Dependencies deps_;
};

}  // namespace tfws::workspace
