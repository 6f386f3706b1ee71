// Which GPUs are free right now: per node and GPU resource (whole GPUs,
// time-sliced GPUs, each MIG profile), node allocatable minus the requests of
// the Pods bound to it that have not terminated — the sum the scheduler's
// resource-fit check uses. Pure functions of Node, Pod and ResourceQuota JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace tfws::plugin {

struct NodeGpus {
  std::string node;
  std::string product;   // label nvidia.com/gpu.product, "" when absent
  std::string resource;  // e.g. nvidia.com/mig-1g.10gb
  long long allocatable = 0;
  long long allocated = 0;  // requests of non-terminated Pods bound to the node
  bool schedulable = true;  // false: spec.unschedulable (cordoned)
  long long Free() const { return schedulable ? std::max(0LL, allocatable - allocated) : 0; }
};

// One row per (node, GPU resource) with allocatable > 0, sorted by node then resource.
// pods: every Pod of the cluster (Succeeded/Failed and unbound ones are skipped here).
std::vector<NodeGpus> ComputeNodeGpus(const nlohmann::json& nodes, const nlohmann::json& pods);

// The same rows summed per (product, resource).
struct ProductGpus {
  std::string product;
  std::string resource;
  long long allocatable = 0;
  long long allocated = 0;
  long long free = 0;
  long long largest_free_on_one_node = 0;  // the most one workspace can get
};
std::vector<ProductGpus> SummarizeByProduct(const std::vector<NodeGpus>& rows);

// What ResourceQuotas of a namespace still allow for one GPU resource:
// min over quotas with a hard limit on requests.<resource> (or <resource>) of hard - used.
struct QuotaLeft {
  std::string quota;     // ResourceQuota name
  std::string resource;  // the hard key, e.g. requests.nvidia.com/gpu
  long long hard = 0;
  long long used = 0;
  long long Left() const { return std::max(0LL, hard - used); }
};
std::vector<QuotaLeft> GpuQuotas(const nlohmann::json& quotas);

// A non-negative integer quantity ("8", "8k" is not a GPU count); nullopt otherwise.
std::optional<long long> IntegerQuantity(const nlohmann::json& value);

}  // namespace tfws::plugin
