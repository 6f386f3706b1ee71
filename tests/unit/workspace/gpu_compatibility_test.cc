#include "workspace/gpu_compatibility.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;

const std::string kTf29 = "tensorflow/tensorflow:2.9.0-gpu-jupyter";

GpuSpec Gpus(int count) {
  GpuSpec gpu;
  gpu.count = count;
  return gpu;
}

TEST(GpuCompatibility, Tf29AvoidsComputeCapabilityNineAndSaysWhy) {
  GpuCompatibility c = CheckGpuCompatibility(Gpus(1), kTf29, DefaultOperatorConfig());
  EXPECT_TRUE(c.compatible);
  EXPECT_EQ(c.reason, "IncompatibleNodesAvoided");
  EXPECT_EQ(c.message,
            "image tensorflow/tensorflow:2.9.0-gpu-jupyter (CUDA 11.2) does not support compute capability 9.x or "
            "newer; avoiding nodes with nvidia.com/gpu.compute.major > 8 — set spec.gpu.allowIncompatibleGPUs to "
            "override");
  EXPECT_EQ(c.node_requirement,
            Json::parse(R"({"key":"nvidia.com/gpu.compute.major","operator":"Lt","values":["9"]})"));
}

TEST(GpuCompatibility, UserOverrideDropsTheGuardAndReportsIncompatible) {
  GpuSpec gpu = Gpus(1);
  gpu.allow_incompatible = true;
  GpuCompatibility c = CheckGpuCompatibility(gpu, kTf29, DefaultOperatorConfig());
  EXPECT_FALSE(c.compatible);
  EXPECT_EQ(c.reason, "IncompatibleGPUsAllowed");
  EXPECT_THAT(c.message, HasSubstr("allowIncompatibleGPUs is true"));
  EXPECT_TRUE(c.node_requirement.is_null());
}

TEST(GpuCompatibility, UnknownImagesAreNotRestricted) {
  GpuCompatibility c = CheckGpuCompatibility(Gpus(1), "pytorch/pytorch:2.3", DefaultOperatorConfig());
  EXPECT_TRUE(c.compatible);
  EXPECT_EQ(c.reason, "NoKnownRestriction");
  EXPECT_TRUE(c.node_requirement.is_null());
}

TEST(GpuCompatibility, CpuOnlyWorkspacesNeedNoGuard) {
  GpuCompatibility c = CheckGpuCompatibility(Gpus(0), kTf29, DefaultOperatorConfig());
  EXPECT_TRUE(c.compatible);
  EXPECT_EQ(c.reason, "NoGPURequested");
  EXPECT_TRUE(c.node_requirement.is_null());
}

}  // namespace
}  // namespace tfws::workspace
