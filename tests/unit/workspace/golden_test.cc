// Golden files: for every manifest in examples/, RenderAll's output must equal
// tests/unit/workspace/golden/<example>.json. After an intended change, run
//   TFWS_UPDATE_GOLDEN=1 build/tests/unit_workspace --gtest_filter='Golden*'
// and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "workspace/manifest.h"
#include "workspace/render.h"
#include "workspace/workspace_types.h"

namespace tfws::workspace {
namespace {

namespace fs = std::filesystem;

const fs::path kExamples = fs::path(TFWS_SOURCE_DIR) / "examples";
const fs::path kGolden = fs::path(TFWS_SOURCE_DIR) / "tests/unit/workspace/golden";

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

TEST(Golden, EveryExampleRendersToItsGoldenFile) {
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
    const Json rendered = RenderAll(ParseWorkspace(object), GoldenConfig()).ToJson();
    const fs::path golden = kGolden / (entry.path().stem().string() + ".json");
    if (update) {
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

TEST(Golden, EveryGoldenFileHasItsExample) {
  for (const auto& entry : fs::directory_iterator(kGolden)) {
    EXPECT_TRUE(fs::exists(kExamples / (entry.path().stem().string() + ".yaml")))
        << entry.path() << " has no example: delete it";
  }
}

}  // namespace
}  // namespace tfws::workspace
