// The extended resources a workspace may request for GPUs. Pure; thread-safe.
#pragma once

#include <string_view>

namespace tfws::workspace {

// nvidia.com/gpu, nvidia.com/gpu.shared or nvidia.com/mig-<g>g.<mem>gb (g 1..7, mem a
// positive integer): the values spec.gpu.resource accepts.
bool IsGpuResource(std::string_view resource);

}  // namespace tfws::workspace
