// The testenv cluster as the operator sees it: TLS with the admin client
// certificate from the kubeconfig, the server version, and the simulated GPU
// nodes with their capacity, GPU Feature Discovery labels and taints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "kube/api_error.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

using kube::Json;

class KubeCluster : public TestenvTest {
 protected:
  std::map<std::string, Json> Nodes() {
    std::map<std::string, Json> nodes;
    Json list = client().ListAll(kube::resources::kNodes, "");
    for (auto& node : list["items"]) {
      nodes[node["metadata"]["name"].get<std::string>()] = node;
    }
    return nodes;
  }
  static bool HasGpuTaint(const Json& node) {
    for (const auto& taint : node["spec"].value("taints", Json::array())) {
      if (taint.value("key", "") == "nvidia.com/gpu" && taint.value("effect", "") == "NoSchedule")
        return true;
    }
    return false;
  }
};

TEST_F(KubeCluster, KubeconfigUsesAClientCertificateOverTls) {
  kube::ClusterConfig config = LoadTestenvConfig();
  EXPECT_THAT(config.server, ::testing::StartsWith("https://127.0.0.1:"));
  EXPECT_FALSE(config.tls.ca_pem.empty());
  EXPECT_FALSE(config.tls.client_cert_pem.empty());
  EXPECT_TRUE(config.credentials->Get().bearer_token.empty());

  // The server says who we are: the admin certificate's subject.
  Json review = client().Create(
      {"authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false}, "",
      {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
  EXPECT_EQ(review["status"]["userInfo"]["username"], "tfws-admin");
  EXPECT_THAT(review["status"]["userInfo"]["groups"], ::testing::Contains("system:masters"));
}

TEST_F(KubeCluster, ServerReportsAStampedKubernetesVersion) {
  kube::HttpRequest request;
  request.method = "GET";
  request.path = "/version";
  request.idempotent = true;
  kube::HttpResponse response = client().transport().Send(request);
  ASSERT_EQ(response.status, 200) << response.body;
  Json version = Json::parse(response.body);
  EXPECT_EQ(version["major"], "1");
  EXPECT_THAT(version["gitVersion"].get<std::string>(),
              ::testing::MatchesRegex("v1\\.[0-9]+\\.[0-9]+.*"));
  EXPECT_GE(std::stoi(version["minor"].get<std::string>()), 30);
}

TEST_F(KubeCluster, A100NodesOfferEightGpusWithFeatureDiscoveryLabelsAndTheGpuTaint) {
  auto nodes = Nodes();
  for (std::string name : {"gpu-a100-0", "gpu-a100-1"}) {
    ASSERT_TRUE(nodes.count(name)) << name << " missing";
    const Json& node = nodes[name];
    const Json& labels = node["metadata"]["labels"];
    EXPECT_EQ(node["status"]["capacity"]["nvidia.com/gpu"], "8") << name;
    EXPECT_EQ(node["status"]["allocatable"]["nvidia.com/gpu"], "8") << name;
    EXPECT_EQ(labels["nvidia.com/gpu.product"], "NVIDIA-A100-SXM4-80GB") << name;
    EXPECT_EQ(labels["nvidia.com/gpu.compute.major"], "8") << name;
    EXPECT_EQ(labels["nvidia.com/gpu.compute.minor"], "0") << name;
    EXPECT_EQ(labels["nvidia.com/gpu.memory"], "81920") << name;
    EXPECT_EQ(labels["nvidia.com/cuda.driver-version.major"], "535") << name;
    EXPECT_TRUE(HasGpuTaint(node)) << name;
  }
}

TEST_F(KubeCluster, H100NodeHasComputeCapabilityNine) {
  auto nodes = Nodes();
  ASSERT_TRUE(nodes.count("gpu-h100-0"));
  const Json& node = nodes["gpu-h100-0"];
  EXPECT_EQ(node["status"]["capacity"]["nvidia.com/gpu"], "8");
  EXPECT_EQ(node["metadata"]["labels"]["nvidia.com/gpu.compute.major"], "9");
  EXPECT_THAT(node["metadata"]["labels"]["nvidia.com/gpu.product"].get<std::string>(),
              ::testing::HasSubstr("H100"));
  EXPECT_TRUE(HasGpuTaint(node));
}

TEST_F(KubeCluster, MigNodeOffersSevenMigSlicesInMixedMode) {
  auto nodes = Nodes();
  ASSERT_TRUE(nodes.count("gpu-a100-mig-0"));
  const Json& node = nodes["gpu-a100-mig-0"];
  EXPECT_EQ(node["status"]["capacity"]["nvidia.com/mig-1g.10gb"], "7");
  EXPECT_EQ(node["metadata"]["labels"]["nvidia.com/mig.strategy"], "mixed");
  EXPECT_TRUE(HasGpuTaint(node));
}

TEST_F(KubeCluster, CpuNodeHasNoGpusAndNoTaint) {
  auto nodes = Nodes();
  ASSERT_TRUE(nodes.count("cpu-0"));
  const Json& node = nodes["cpu-0"];
  EXPECT_FALSE(node["status"]["capacity"].contains("nvidia.com/gpu"));
  EXPECT_FALSE(HasGpuTaint(node));
  for (const auto& [key, value] : node["metadata"]["labels"].items()) {
    EXPECT_THAT(key, ::testing::Not(::testing::StartsWith("nvidia.com/")));
  }
}

TEST_F(KubeCluster, AllNodesAreReady) {
  for (auto& [name, node] : Nodes()) {
    bool ready = false;
    for (const auto& condition : node["status"]["conditions"]) {
      if (condition["type"] == "Ready") ready = condition["status"] == "True";
    }
    EXPECT_TRUE(ready) << name;
  }
}

}  // namespace
}  // namespace tfws::e2e
