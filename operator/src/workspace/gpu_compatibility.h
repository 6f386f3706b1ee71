// Keeps images off GPUs they cannot use: from the image table of the
// OperatorConfig, the node-affinity requirement to add to the Pod and the
// sentence for the GPUCompatible condition. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "workspace/operator_config.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {

// Reasons of the GPUCompatible condition.
namespace gpu_reason {
inline constexpr const char* kNoGpuRequested = "NoGPURequested";
inline constexpr const char* kNoKnownRestriction = "NoKnownRestriction";
inline constexpr const char* kIncompatibleNodesAvoided = "IncompatibleNodesAvoided";
inline constexpr const char* kIncompatibleGpusAllowed = "IncompatibleGPUsAllowed";
}  // namespace gpu_reason

inline constexpr const char* kComputeMajorLabel = "nvidia.com/gpu.compute.major";
inline constexpr const char* kGpuProductLabel = "nvidia.com/gpu.product";

struct GpuCompatibility {
  // GPUCompatible condition: True unless the user overrode a known restriction
  // (then False: the Pod may land on a GPU the image cannot use).
  bool compatible = true;
  std::string reason;   // one of gpu_reason::*
  std::string message;  // plain words, e.g. "image tensorflow/tensorflow:2.9.0-gpu-jupyter (CUDA 11.2) does
                        // not support compute capability 9.x; avoiding nodes with nvidia.com/gpu.compute.major
                        // > 8 — set spec.gpu.allowIncompatibleGPUs to override"
  // A nodeSelectorRequirement to AND into every required node-affinity term,
  // e.g. {"key":"nvidia.com/gpu.compute.major","operator":"Lt","values":["9"]}; null when none.
  nlohmann::json node_requirement;
};

// `image` is the effective image (spec.image or the config's default).
GpuCompatibility CheckGpuCompatibility(const GpuSpec& gpu, const std::string& image,
                                       const OperatorConfig& config);

}  // namespace tfws::workspace
