#include "workspace/gpu_compatibility.h"

namespace tfws::workspace {
GpuCompatibility CheckGpuCompatibility(const GpuSpec& gpu, const std::string& image, const OperatorConfig& config) {
  GpuCompatibility result;
  if (gpu.count == 0) {
    result.reason = gpu_reason::kNoGpuRequested;
    result.message = "no GPU requested (spec.gpu.count is 0)";
    return result;
  }
  const ImagePolicy* policy = config.FindImagePolicy(image);
  if (policy == nullptr || !policy->max_compute_capability_major) {
    result.reason = gpu_reason::kNoKnownRestriction;
    result.message = "image " + image + " has no known GPU restriction; any " + gpu.resource + " node is used";
    return result;
  }
  const int max_major = *policy->max_compute_capability_major;
  const std::string unsupported = "image " + image + (policy->cuda_version.empty() ? "" : " (CUDA " + policy->cuda_version + ")") + " does not support compute capability " +
                                  std::to_string(max_major + 1) + ".x or newer";
  if (gpu.allow_incompatible) {
    result.compatible = false;
    result.reason = gpu_reason::kIncompatibleGpusAllowed;
    result.message = unsupported +
                     "; spec.gpu.allowIncompatibleGPUs is true, so the workspace may land on such a GPU and fail "
                     "or run slowly — unset it to avoid those nodes";
    return result;
  }
  result.reason = gpu_reason::kIncompatibleNodesAvoided;
  result.message = unsupported + "; avoiding nodes with " + kComputeMajorLabel + " > " + std::to_string(max_major) +
                   " — set spec.gpu.allowIncompatibleGPUs to override";
  result.node_requirement = {
      {"key", kComputeMajorLabel},
      {"operator", "Lt"},
      {"values", nlohmann::json::array({std::to_string(max_major + 1)})},
  };
  return result;
}

}  // namespace tfws::workspace
