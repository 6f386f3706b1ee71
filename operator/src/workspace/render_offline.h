// `tfws-operator render`: the child objects the operator would create for the TFWorkspaces of some
// manifests, without a cluster. TFWorkspaceClass objects among the manifests (the same file, or
// files given with --class) play the cluster's classes: each workspace is resolved against them as
// the reconciler does (workspace_class.h: spec.className, else the default class; defaults filled
// in, limits checked), so the output equals what the operator creates under those classes. Other
// kinds are ignored. Pure; thread-safe.
#pragma once

#include <vector>

#include "workspace/operator_config.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

// The rendered objects of every TFWorkspace of `manifests`, in manifest order and each in apply
// order. A workspace without metadata.namespace renders into "default", without metadata.uid with
// the nil UUID. Throws InvalidSpecError for a spec that does not parse, and std::runtime_error
// naming the workspace and the reason (ClassViolation, ClassNotFound) for one its class refuses or
// whose class is not among the manifests, as the operator's ConfigValid condition would.
std::vector<Json> RenderOffline(const std::vector<Json>& manifests, const OperatorConfig& config);

}  // namespace tfws::workspace
