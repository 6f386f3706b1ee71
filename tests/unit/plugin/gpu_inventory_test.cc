// Free GPUs = node allocatable minus requests of bound, non-terminated Pods
// (init containers by max, requests defaulting to limits), per product and MIG
// profile, capped by the namespace quota.
#include <gtest/gtest.h>

#include "gpu_inventory.h"

namespace tfws::plugin {
namespace {

using nlohmann::json;

json Node(const std::string& name, const std::string& product, json allocatable, bool cordoned = false) {
  return {{"metadata", {{"name", name}, {"labels", {{"nvidia.com/gpu.product", product}}}}},
          {"spec", {{"unschedulable", cordoned}}},
          {"status", {{"allocatable", allocatable}}}};
}

json Pod(const std::string& node, const std::string& phase, json containers, json init = json::array()) {
  return {{"spec", {{"nodeName", node}, {"containers", containers}, {"initContainers", init}}},
          {"status", {{"phase", phase}}}};
}

json Requests(const std::string& resource, const std::string& n) {
  return {{"resources", {{"requests", {{resource, n}}}, {"limits", {{resource, n}}}}}};
}

TEST(GpuInventory, AllocatableMinusBoundNonTerminatedPods) {
  const json nodes = {{"items",
                       {Node("a100-0", "A100", {{"nvidia.com/gpu", "8"}, {"cpu", "64"}}),
                        Node("a100-1", "A100", {{"nvidia.com/gpu", "8"}}),
                        Node("mig-0", "A100", {{"nvidia.com/mig-1g.10gb", "7"}}),
                        Node("cpu-0", "", {{"cpu", "64"}}),
                        Node("h100-0", "H100", {{"nvidia.com/gpu", "8"}}, /*cordoned=*/true)}}};
  const json limits_only = {{"resources", {{"limits", {{"nvidia.com/gpu", "1"}}}}}};
  const json pods = {{"items",
                      {Pod("a100-0", "Running", {Requests("nvidia.com/gpu", "2"), limits_only}),
                       Pod("a100-0", "Pending", {Requests("nvidia.com/gpu", "1")}, {Requests("nvidia.com/gpu", "4")}),
                       Pod("a100-0", "Succeeded", {Requests("nvidia.com/gpu", "8")}),
                       Pod("", "Pending", {Requests("nvidia.com/gpu", "8")}),
                       Pod("mig-0", "Running", {Requests("nvidia.com/mig-1g.10gb", "3")})}}};
  const auto rows = ComputeNodeGpus(nodes, pods);
  ASSERT_EQ(rows.size(), 4u);  // the CPU node has no GPU row
  EXPECT_EQ(rows[0].node, "a100-0");
  EXPECT_EQ(rows[0].allocated, 3 + 4);  // 2+1 running, max(1, init 4) pending; Succeeded and unbound ignored
  EXPECT_EQ(rows[0].Free(), 1);
  EXPECT_EQ(rows[1].Free(), 8);
  EXPECT_EQ(rows[2].node, "h100-0");
  EXPECT_EQ(rows[2].Free(), 0) << "a cordoned node offers nothing";
  EXPECT_EQ(rows[3].resource, "nvidia.com/mig-1g.10gb");
  EXPECT_EQ(rows[3].Free(), 4);

  const auto products = SummarizeByProduct(rows);
  ASSERT_EQ(products.size(), 3u);
  EXPECT_EQ(products[0].product, "A100");
  EXPECT_EQ(products[0].resource, "nvidia.com/gpu");
  EXPECT_EQ(products[0].free, 9);
  EXPECT_EQ(products[0].largest_free_on_one_node, 8);
  EXPECT_EQ(products[1].resource, "nvidia.com/mig-1g.10gb");
  EXPECT_EQ(products[1].free, 4);
  EXPECT_EQ(products[2].product, "H100");
  EXPECT_EQ(products[2].free, 0);
}

TEST(GpuInventory, QuotaLeftPerGpuResource) {
  const json quotas = {{"items",
                        {{{"metadata", {{"name", "gpu"}}},
                          {"status",
                           {{"hard", {{"requests.nvidia.com/gpu", "4"}, {"requests.cpu", "10"}}},
                            {"used", {{"requests.nvidia.com/gpu", "3"}}}}}}}}};
  const auto left = GpuQuotas(quotas);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].quota, "gpu");
  EXPECT_EQ(left[0].resource, "requests.nvidia.com/gpu");
  EXPECT_EQ(left[0].Left(), 1);
}

TEST(GpuInventory, OnlyWholeCountsAreGpuQuantities) {
  EXPECT_EQ(IntegerQuantity("8"), 8);
  EXPECT_EQ(IntegerQuantity(3), 3);
  EXPECT_FALSE(IntegerQuantity("500m"));
  EXPECT_FALSE(IntegerQuantity("1k"));
}

}  // namespace
}  // namespace tfws::plugin
