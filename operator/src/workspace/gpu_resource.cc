#include "workspace/gpu_resource.h"

namespace tfws::workspace {

bool IsGpuResource(std::string_view r) {
  if (r == "nvidia.com/gpu" || r == "nvidia.com/gpu.shared") return true;
  // nvidia.com/mig-<g>g.<mem>gb with g in 1..7 and mem a positive integer.
  constexpr std::string_view kMig = "nvidia.com/mig-";
  if (r.substr(0, kMig.size()) != kMig) return false;
  std::string_view rest = r.substr(kMig.size());
  if (rest.size() < 6 || rest[0] < '1' || rest[0] > '7' || rest.substr(1, 2) != "g.") return false;
  rest = rest.substr(3);
  if (rest.size() < 3 || rest.substr(rest.size() - 2) != "gb") return false;
  std::string_view mem = rest.substr(0, rest.size() - 2);
  for (char c : mem) {
    if (c < '0' || c > '9') return false;
  }
  return mem[0] != '0';
}

}  // namespace tfws::workspace
