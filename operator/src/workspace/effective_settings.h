// What the operator will actually run for a workspace under a given
// OperatorConfig: the image and how it starts, whether SSH is really on (and
// why not), the base URL and user-facing URL, where the Jupyter token comes
// from, GPU compatibility. Renderers and the status both use it, so what the
// status says is what was rendered. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "workspace/gpu_compatibility.h"
#include "workspace/operator_config.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

struct EffectiveSettings {
  std::string image;                        // spec.image or config.defaultImage
  std::optional<ImagePolicy> image_policy;  // empty for an image the config does not know
  Launcher launcher = Launcher::kJupyter;

  bool ssh_enabled = false;  // spec.ssh.enabled AND the image declares SSH AND the profile allows it
  // When spec.ssh.enabled but SSH is off: why, in plain words with the fix
  // (for the ConfigValid condition). Empty otherwise.
  std::string ssh_problem;

  std::string base_url;  // Jupyter base_url, e.g. /tfws/team-a/alice/
  // Where to open Jupyter: https://<host><base> through the Ingress when enabled
  // (http without TLS), else the in-cluster http://<name>.<ns>.svc:8888<base>.
  std::string url;

  // JUPYTER_TOKEN source: the user's Secret or <name>-token; nullopt with auth none.
  std::optional<SecretKeyRef> token_ref;
  bool owns_token_secret = false;  // the operator creates <name>-token

  GpuCompatibility gpu;

  // Idle culling: spec.culling.idleTimeoutMinutes, else the config default; 0 = never.
  int idle_timeout_minutes = 0;
};

EffectiveSettings ResolveSettings(const Workspace& ws, const OperatorConfig& config);

}  // namespace tfws::workspace
