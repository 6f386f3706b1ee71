// The manifest `kubectl tfws create` builds:
// - golden: `create --dry-run -o yaml` for each flag family equals
//   tests/unit/plugin/golden/<case>.yaml (after an intended change run
//   TFWS_UPDATE_GOLDEN=1 build/tests/unit_plugin --gtest_filter='ManifestGolden*' and review the diff);
// - what `tfws-operator render -f` does with that YAML (ParseManifests, ParseWorkspace,
//   RenderAll) succeeds and sees the flags' values;
// - every field written exists in the CRD schema (none would be pruned).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "args.h"
#include "manifest_builder.h"
#include "workspace/manifest.h"
#include "workspace/operator_config.h"
#include "workspace/render.h"
#include "workspace/workspace_types.h"

namespace tfws::plugin {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kGolden = fs::path(TFWS_SOURCE_DIR) / "tests/unit/plugin/golden";
const char* kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDx5ZJ0vbb3gFDrdUu0mTt6TVdrTdUeN2ZyYrMOF6v7S alice@laptop";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Case {
  std::string name;
  WorkspaceRequest request;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  cases.push_back({"minimal", {.name = "alice-nb"}});
  cases.push_back({"gpus-product", {.name = "alice-resnet", .gpus = 2, .gpu_product = "NVIDIA-A100-SXM4-80GB"}});
  cases.push_back({"mig", {.name = "alice-mig", .mig_profile = "1g.10gb"}});
  cases.push_back({"resources", {.name = "alice-cpu", .gpus = 0, .cpu = "2", .memory = "8Gi"}});
  cases.push_back({"storage", {.name = "alice-data", .size = "50Gi", .datasets = {"imagenet=imagenet-pvc", "coco=coco"}}});
  cases.push_back({"ssh", {.name = "alice-ssh", .ssh_keys = {kKey}}});
  cases.push_back({"class-image-owner",
                   {.name = "alice-img", .namespace_ = "ml-team", .class_name = "a100-large",
                    .image = "registry.example.com/tfws/tf29-workspace:1", .owner = "alice"}});
  return cases;
}

TEST(ManifestGolden, EachFlagFamilyMatchesItsGoldenFile) {
  const bool update = std::getenv("TFWS_UPDATE_GOLDEN") != nullptr;
  for (const auto& c : Cases()) {
    SCOPED_TRACE(c.name);
    const std::string yaml = workspace::ToYaml(BuildWorkspaceManifest(c.request)) + "\n";
    const fs::path golden = kGolden / (c.name + ".yaml");
    if (update) {
      std::ofstream(golden) << yaml;
      continue;
    }
    ASSERT_TRUE(fs::exists(golden)) << golden << " is missing: run with TFWS_UPDATE_GOLDEN=1";
    EXPECT_EQ(yaml, ReadFile(golden));
  }
}

// What `tfws-operator render -f` does with a file (operator/src/main.cc Render).
workspace::Workspace AsRenderReadsIt(const std::string& yaml) {
  auto docs = workspace::ParseManifests(yaml, "kubectl tfws create --dry-run");
  EXPECT_EQ(docs.size(), 1u);
  auto doc = docs.at(0);
  if (!doc["metadata"].contains("namespace")) doc["metadata"]["namespace"] = "default";
  doc["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000";
  auto ws = workspace::ParseWorkspace(doc);
  const auto rendered = workspace::RenderAll(ws, workspace::DefaultOperatorConfig());
  EXPECT_FALSE(rendered.InApplyOrder().empty());
  return ws;
}

TEST(ManifestRender, RenderAcceptsEveryCaseAndSeesTheFlags) {
  for (const auto& c : Cases()) {
    SCOPED_TRACE(c.name);
    const auto manifest = BuildWorkspaceManifest(c.request);
    const auto yaml = workspace::ToYaml(manifest);
    EXPECT_EQ(workspace::ParseManifests(yaml).at(0), manifest) << "YAML round trip changed the manifest";
    EXPECT_NO_THROW(AsRenderReadsIt(yaml));
  }
  auto ws = AsRenderReadsIt(workspace::ToYaml(BuildWorkspaceManifest(Cases()[1].request)));
  EXPECT_EQ(ws.spec.gpu.count, 2);
  EXPECT_EQ(ws.spec.gpu.product, "NVIDIA-A100-SXM4-80GB");
  EXPECT_EQ(ws.spec.gpu.resource, "nvidia.com/gpu");
  ws = AsRenderReadsIt(workspace::ToYaml(BuildWorkspaceManifest(Cases()[2].request)));
  EXPECT_EQ(ws.spec.gpu.count, 1);
  EXPECT_EQ(ws.spec.gpu.resource, "nvidia.com/mig-1g.10gb");
  ws = AsRenderReadsIt(workspace::ToYaml(BuildWorkspaceManifest(Cases()[3].request)));
  EXPECT_EQ(ws.spec.resources.requests.cpu, "2");
  EXPECT_EQ(ws.spec.resources.limits.memory, "8Gi");
  EXPECT_EQ(ws.spec.gpu.count, 0);
  ws = AsRenderReadsIt(workspace::ToYaml(BuildWorkspaceManifest(Cases()[4].request)));
  EXPECT_EQ(ws.spec.storage.workspace.size, "50Gi");
  ASSERT_EQ(ws.spec.storage.datasets.size(), 2u);
  EXPECT_EQ(ws.spec.storage.datasets[0].mount_path, "/data/imagenet");
  ws = AsRenderReadsIt(workspace::ToYaml(BuildWorkspaceManifest(Cases()[5].request)));
  EXPECT_TRUE(ws.spec.ssh.enabled);
  EXPECT_EQ(ws.spec.ssh.authorized_keys, std::vector<std::string>{kKey});
}

TEST(ManifestRender, UnsetFieldsGetTheCrdDefaultsFromTheParser) {
  const auto ws = AsRenderReadsIt(workspace::ToYaml(BuildWorkspaceManifest({.name = "alice-nb"})));
  EXPECT_EQ(ws.spec.storage.workspace.size, "10Gi");
  EXPECT_EQ(ws.spec.gpu.count, 0);
  EXPECT_EQ(ws.spec.shm_size, "1Gi");
  EXPECT_FALSE(ws.spec.ssh.enabled);
}

// Every object key the builder writes under spec is a property of the CRD schema.
void ExpectKnown(const json& value, const json& schema, const std::string& path) {
  if (value.is_object()) {
    for (const auto& [key, sub] : value.items()) {
      // spec.className arrives with workspace classes (issue 10); until the CRD has it,
      // server-side apply refuses the field and `create --class` says why (cmd_create.cc).
      if (path == "spec" && key == "className" && !schema["properties"].contains(key)) continue;
      ASSERT_TRUE(schema.contains("properties") && schema["properties"].contains(key))
          << path + "." + key << " is not in the CRD schema: the API server would prune it";
      ExpectKnown(sub, schema["properties"][key], path + "." + key);
    }
  } else if (value.is_array() && schema.contains("items")) {
    for (const auto& item : value) ExpectKnown(item, schema["items"], path + "[]");
  }
}

TEST(ManifestRender, EveryFieldExistsInTheCrdSchema) {
  const auto crd = workspace::ParseManifests(ReadFile(fs::path(TFWS_SOURCE_DIR) / "crds/tfws.io_tfworkspaces.yaml")).at(0);
  const auto& schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
  for (const auto& c : Cases()) {
    SCOPED_TRACE(c.name);
    ExpectKnown(BuildWorkspaceManifest(c.request)["spec"], schema, "spec");
  }
}

TEST(ManifestErrors, BadFlagsNameTheFlagAndTheFix) {
  auto message = [](WorkspaceRequest r) {
    try {
      BuildWorkspaceManifest(r);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({.name = "Alice"}).find("not a valid workspace name"), std::string::npos);
  EXPECT_NE(message({.name = std::string(60, 'a')}).find("at most 59"), std::string::npos);
  EXPECT_NE(message({.name = "a", .mig_profile = "10gb"}).find("--mig: invalid value \"10gb\""), std::string::npos);
  EXPECT_NE(message({.name = "a", .gpus = 8, .mig_profile = "1g.10gb"}).find("1 to 7"), std::string::npos);
  EXPECT_NE(message({.name = "a", .gpus = 0, .mig_profile = "1g.10gb"}).find("at least one GPU"), std::string::npos);
  EXPECT_NE(message({.name = "a", .cpu = "lots"}).find("--cpu: invalid value \"lots\""), std::string::npos);
  EXPECT_NE(message({.name = "a", .size = "-5Gi"}).find("--size"), std::string::npos);
  EXPECT_NE(message({.name = "a", .datasets = {"imagenet"}}).find("NAME=CLAIM"), std::string::npos);
  EXPECT_NE(message({.name = "a", .datasets = {"x=a", "x=b"}}).find("given twice"), std::string::npos);
  EXPECT_NE(message({.name = "a", .gpu_product = "A100 80GB"}).find("--gpu-product"), std::string::npos);
}

TEST(PublicKeys, ReadsKeysSkipsCommentsAndRefusesPrivateKeys) {
  EXPECT_EQ(ParsePublicKeys(std::string("# mine\n\n") + kKey + "\n", "k.pub"), std::vector<std::string>{kKey});
  try {
    ParsePublicKeys("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n", "id_ed25519");
    ADD_FAILURE() << "a private key was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--ssh-key id_ed25519: line 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("never the private key"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ParsePublicKeys("\n# nothing\n", "empty.pub"), UsageError);
}

TEST(Owner, UserNamesBecomeLabelValues) {
  EXPECT_EQ(OwnerFromUsername("alice"), "alice");
  EXPECT_EQ(OwnerFromUsername("alice@example.com"), "alice-example.com");
  EXPECT_EQ(OwnerFromUsername("system:serviceaccount:ml:bob"), "system-serviceaccount-ml-bob");
  EXPECT_EQ(OwnerFromUsername(":admin:"), "admin");
  EXPECT_EQ(OwnerFromUsername(std::string(70, 'x')).size(), 63u);
}

}  // namespace
}  // namespace tfws::plugin
