// `tfws-operator render` resolves workspaces against the classes given with them, as the
// reconciler does, so its output is what the operator creates under those classes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "workspace/manifest.h"
#include "workspace/render.h"
#include "workspace/render_offline.h"
#include "workspace/workspace_class.h"

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;

Json ExampleClass() { return ReadManifestFile(TFWS_SOURCE_DIR "/examples/classes/shared-gpu-cluster.yaml").at(0); }
Json Example(const std::string& name) { return ReadManifestFile(TFWS_SOURCE_DIR "/examples/" + name).at(0); }

// What the reconciler renders for `workspace` (as stored: with a namespace and uid) under `classes`.
std::vector<Json> WhatTheOperatorCreates(Json workspace, const std::vector<Json>& classes, const OperatorConfig& config) {
  workspace["metadata"]["namespace"] = "default";
  workspace["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000";
  std::vector<std::shared_ptr<const Json>> cache;
  for (const Json& klass : classes) cache.push_back(std::make_shared<const Json>(klass));
  std::vector<Json> out;
  const Workspace ws = ResolveClass(ParseWorkspace(workspace), cache);
  const RenderedObjects rendered = RenderAll(ws, config);
  for (const Json* object : rendered.InApplyOrder()) out.push_back(*object);
  return out;
}

TEST(RenderOffline, UnderAClassTheOutputIsWhatTheOperatorCreates) {
  const OperatorConfig config = DefaultOperatorConfig();
  for (const char* example : {"minimal.yaml", "ssh-with-keys.yaml"}) {
    const Json ws = Example(example);
    const std::vector<Json> rendered = RenderOffline({ws, ExampleClass()}, config);
    EXPECT_EQ(rendered, WhatTheOperatorCreates(ws, {ExampleClass()}, config)) << example;
    EXPECT_NE(rendered, RenderOffline({ws}, config)) << example << ": the class made no difference";
  }
  // The default class's defaults are in the Pod: the image, requests and limits, /dev/shm.
  const std::vector<Json> rendered = RenderOffline({ExampleClass(), Example("minimal.yaml")}, config);
  const auto pod = std::find_if(rendered.begin(), rendered.end(), [](const Json& o) { return o["kind"] == "Pod"; });
  ASSERT_NE(pod, rendered.end());
  EXPECT_EQ((*pod)["spec"]["containers"][0]["resources"]["requests"]["cpu"], "2");
  EXPECT_THAT((*pod)["spec"]["volumes"].dump(), HasSubstr(R"({"emptyDir":{"medium":"Memory","sizeLimit":"2Gi"},"name":"shm"})"));
}

TEST(RenderOffline, RefusesWhatTheOperatorRefusesNamingTheWorkspace) {
  Json ws = Example("minimal.yaml");
  ws["spec"]["className"] = "training-a100";
  try {
    RenderOffline({ws, ExampleClass()}, DefaultOperatorConfig());
    FAIL() << "a missing class was rendered";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("(ClassNotFound): spec.className: TFWorkspaceClass \"training-a100\" does not exist"));
    EXPECT_THAT(e.what(), HasSubstr("TFWorkspace default/" + ws["metadata"]["name"].get<std::string>()));
  }
  ws["spec"].erase("className");
  ws["spec"]["gpu"] = {{"count", 8}};
  try {
    RenderOffline({ws, ExampleClass()}, DefaultOperatorConfig());
    FAIL() << "a spec outside its class was rendered";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("(ClassViolation): spec.gpu.count: 8 is more than the 4 GPUs TFWorkspaceClass shared-gpu"));
  }
}

TEST(RenderOffline, WithoutClassesTheOperatorConfigurationAloneApplies) {
  const Json ws = Example("minimal.yaml");
  EXPECT_EQ(RenderOffline({ws}, DefaultOperatorConfig()), WhatTheOperatorCreates(ws, {}, DefaultOperatorConfig()));
}

}  // namespace
}  // namespace tfws::workspace
