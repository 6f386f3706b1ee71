// The CRD file itself: `kubectl explain` teaches every field, and the schema
// defaults agree with the defaults ParseWorkspace applies to older objects.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "workspace/manifest.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {
namespace {

Json LoadCrd(const std::string& file = "crds/tfws.io_tfworkspaces.yaml") {
  std::ifstream in(std::filesystem::path(TFWS_SOURCE_DIR) / file);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<Json> docs = ParseManifests(text.str(), file);
  return docs.at(0);
}

const Json& Schema(const Json& crd) { return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]; }

void ExpectDescriptions(const Json& schema, const std::string& path, int& fields) {
  if (schema.contains("properties")) {
    for (const auto& [name, sub] : schema["properties"].items()) {
      const std::string child = path + "." + name;
      if (child == ".metadata") continue;
      ++fields;
      EXPECT_TRUE(sub.contains("description") && !sub["description"].get<std::string>().empty())
          << child << " has no description";
      ExpectDescriptions(sub, child, fields);
    }
  }
  if (schema.contains("items")) ExpectDescriptions(schema["items"], path + "[]", fields);
}

TEST(Crd, EveryFieldHasADescription) {
  int fields = 0;
  const Json crd = LoadCrd();
  ExpectDescriptions(Schema(crd), "", fields);
  EXPECT_GT(fields, 80);
}

TEST(Crd, EveryClassFieldHasADescription) {
  int fields = 0;
  ExpectDescriptions(Schema(LoadCrd("crds/tfws.io_tfworkspaceclasses.yaml")), "", fields);
  EXPECT_GT(fields, 40);
}

TEST(Crd, TheClassIsClusterScopedWithUsefulColumns) {
  const Json crd = LoadCrd("crds/tfws.io_tfworkspaceclasses.yaml");
  EXPECT_EQ(crd["metadata"]["name"], "tfworkspaceclasses.tfws.io");
  EXPECT_EQ(crd["spec"]["scope"], "Cluster");
  EXPECT_EQ(crd["spec"]["names"]["shortNames"], Json::array({"tfwsclass"}));
  std::vector<std::string> columns;
  for (const Json& c : crd["spec"]["versions"][0]["additionalPrinterColumns"]) columns.push_back(c["name"]);
  EXPECT_EQ(columns, (std::vector<std::string>{"Default", "Max-GPUs", "Max-CPU", "Max-Memory", "SSH", "Host", "Images", "Age"}));
}

TEST(Crd, NamesAndVersionFollowTheContract) {
  Json crd = LoadCrd();
  EXPECT_EQ(crd["metadata"]["name"], "tfworkspaces.tfws.io");
  EXPECT_EQ(crd["spec"]["names"]["shortNames"], Json::array({"tfws"}));
  const Json& version = crd["spec"]["versions"][0];
  EXPECT_EQ(version["name"], "v1alpha1");
  EXPECT_EQ(version["served"], true);
  EXPECT_EQ(version["storage"], true);
  EXPECT_TRUE(version["subresources"].contains("status"));
  std::vector<std::string> columns;
  for (const Json& c : version["additionalPrinterColumns"]) columns.push_back(c["name"]);
  EXPECT_EQ(columns, (std::vector<std::string>{"Phase", "GPUs", "Node", "URL", "Owner", "Class", "Age"}));
}

TEST(Crd, SchemaDefaultsMatchTheDefaultsTheOperatorApplies) {
  const Json crd = LoadCrd();
  const Json& spec = Schema(crd)["properties"]["spec"]["properties"];
  const WorkspaceSpec defaults = ParseWorkspace({{"metadata", {{"name", "a"}}}}).spec;
  EXPECT_EQ(spec["imagePullPolicy"]["default"], defaults.image_pull_policy);
  EXPECT_FALSE(spec["shmSize"].contains("default")) << "absent lets the class decide (defaultShmSize)";
  EXPECT_EQ(defaults.shm_size, "1Gi");
  EXPECT_EQ(spec["gpu"]["properties"]["count"]["default"], defaults.gpu.count);
  EXPECT_EQ(spec["gpu"]["properties"]["count"]["maximum"], kMaxGpuCount);
  EXPECT_EQ(spec["gpu"]["properties"]["resource"]["default"], defaults.gpu.resource);
  EXPECT_EQ(spec["storage"]["properties"]["reclaimPolicy"]["default"],
            std::string(ReclaimPolicyName(defaults.storage.reclaim_policy)));
  EXPECT_EQ(spec["jupyter"]["properties"]["auth"]["default"], std::string(JupyterAuthName(defaults.jupyter.auth)));
  EXPECT_EQ(spec["ssh"]["properties"]["serviceType"]["default"], defaults.ssh.service_type);
  EXPECT_EQ(spec["profile"]["default"], std::string(ProfileName(defaults.profile)));
  EXPECT_FALSE(spec["image"].contains("default")) << "the operator config decides the default image";
}

}  // namespace
}  // namespace tfws::workspace
