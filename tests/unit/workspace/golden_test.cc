// Golden files: for every manifest in examples/, RenderAll's output must equal
// tests/unit/workspace/golden/<example>.json, and under the example class
// (examples/classes/shared-gpu-cluster.yaml: defaults filled in, ingress host, TLS and
// auth annotations from the class) golden/class-shared-gpu/<example>.json. After an
// intended change, run
//   TFWS_UPDATE_GOLDEN=1 build/tests/unit_workspace --gtest_filter='Golden*'
// and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "workspace/manifest.h"
#include "workspace/render.h"
#include "workspace/workspace_class.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {
namespace {

namespace fs = std::filesystem;

const fs::path kExamples = fs::path(TFWS_SOURCE_DIR) / "examples";
const fs::path kGolden = fs::path(TFWS_SOURCE_DIR) / "tests/unit/workspace/golden";
const fs::path kExampleClass = kExamples / "classes/shared-gpu-cluster.yaml";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The golden config: the defaults plus the values a platform team typically sets,
// so that every renderer branch shows in some golden file.
OperatorConfig GoldenConfig() {
  OperatorConfig config = DefaultOperatorConfig();
  config.ingress.class_name = "nginx";
  config.ingress.tls_secret_name = "wildcard-tls";
  config.operator_namespace = "tfws-system";
  return config;
}

// Renders every example (under `classes`, when given) and compares with golden_dir/<example>.json.
void CheckExamples(const fs::path& golden_dir, const std::vector<std::shared_ptr<const Json>>& classes) {
  const bool update = std::getenv("TFWS_UPDATE_GOLDEN") != nullptr;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(kExamples)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    std::vector<Json> documents = ParseManifests(ReadFile(entry.path()), entry.path().string());
    ASSERT_EQ(documents.size(), 1u);
    Json object = documents[0];
    object["metadata"]["namespace"] = "team-a";
    object["metadata"]["uid"] = "00000000-0000-0000-0000-000000000001";
    object["metadata"]["generation"] = 1;
    const Json rendered = RenderAll(ResolveClass(ParseWorkspace(object), classes), GoldenConfig()).ToJson();
    const fs::path golden = golden_dir / (entry.path().stem().string() + ".json");
    if (update) {
      fs::create_directories(golden_dir);
      std::ofstream(golden) << rendered.dump(2) << "\n";
    } else {
      ASSERT_TRUE(fs::exists(golden)) << golden << " is missing: run with TFWS_UPDATE_GOLDEN=1";
      const Json expected = Json::parse(ReadFile(golden));
      EXPECT_EQ(rendered, expected) << "rendered:\n" << rendered.dump(2);
    }
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

TEST(Golden, EveryExampleRendersToItsGoldenFile) { CheckExamples(kGolden, {}); }

TEST(Golden, EveryExampleRendersUnderTheExampleClassToItsGoldenFile) {
  const auto klass = std::make_shared<const Json>(ParseManifests(ReadFile(kExampleClass), kExampleClass.string()).at(0));
  CheckExamples(kGolden / "class-shared-gpu", {klass});
}

TEST(Golden, EveryGoldenFileHasItsExample) {
  for (const auto& entry : fs::recursive_directory_iterator(kGolden)) {
    if (entry.is_directory()) continue;
    EXPECT_TRUE(fs::exists(kExamples / (entry.path().stem().string() + ".yaml")))
        << entry.path() << " has no example: delete it";
  }
}

}  // namespace
}  // namespace tfws::workspace
