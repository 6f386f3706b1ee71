// The TFWorkspace CRD on the real API server: it installs and becomes
// Established, refuses every manifest in tests/e2e/testdata/invalid/ with the
// message fragment written in its "# expect:" line, accepts every example in
// examples/, and applies the schema defaults.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kube/api_error.h"
#include "operator_process.h"
#include "testenv_fixture.h"
#include "workspace/manifest.h"

namespace tfws::e2e {
namespace {

namespace fs = std::filesystem;
using kube::Json;

const fs::path kSource(TFWS_SOURCE_DIR);

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Json ReadSingleManifest(const fs::path& path) {
  std::vector<Json> docs = workspace::ParseManifests(ReadText(path), path.string());
  if (docs.size() != 1) throw std::runtime_error(path.string() + ": expected exactly one document");
  return docs[0];
}

std::vector<std::string> YamlFilesIn(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The "# expect: <fragment>" line of an invalid manifest.
std::string ExpectedFragment(const fs::path& path) {
  std::istringstream in(ReadText(path));
  std::string line;
  const std::string marker = "# expect: ";
  while (std::getline(in, line)) {
    if (line.rfind(marker, 0) == 0) return line.substr(marker.size());
  }
  throw std::runtime_error(path.string() + ": no '# expect: ' line");
}

// Every message the server gave: the Status message plus each cause.
std::string AllMessages(const kube::ApiError& e) {
  std::string text = e.message();
  for (const auto& cause : e.causes()) text += "\n" + cause.field + ": " + cause.message;
  return text;
}

class CrdValidation : public TestenvTest {
 protected:
  void SetUp() override {
    TestenvTest::SetUp();
    ASSERT_NO_THROW(InstallWorkspaceCrd(client()));  // once per binary, shared with the controller tests
  }

  Json DryRunCreate(Json object) {
    object["metadata"]["namespace"] = ns();
    kube::WriteOptions options;
    options.dry_run = true;
    return client().Create(kube::resources::kTFWorkspaces, ns(), object, options);
  }
};

class InvalidManifest : public CrdValidation, public ::testing::WithParamInterface<std::string> {};

TEST_P(InvalidManifest, IsRefusedWithAFieldSpecificMessage) {
  const fs::path path = kSource / "tests/e2e/testdata/invalid" / GetParam();
  const std::string fragment = ExpectedFragment(path);
  try {
    DryRunCreate(ReadSingleManifest(path));
    FAIL() << GetParam() << " was accepted; expected a refusal containing: " << fragment;
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.IsInvalid()) << e.code() << " " << e.what();
    EXPECT_THAT(AllMessages(e), ::testing::HasSubstr(fragment));
  }
}

std::string TestNameOf(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(TestdataInvalid, InvalidManifest,
                         ::testing::ValuesIn(YamlFilesIn(kSource / "tests/e2e/testdata/invalid")), TestNameOf);

class Example : public CrdValidation, public ::testing::WithParamInterface<std::string> {};

TEST_P(Example, IsAccepted) {
  const fs::path path = kSource / "examples" / GetParam();
  try {
    Json created = DryRunCreate(ReadSingleManifest(path));
    EXPECT_EQ(created["kind"], "TFWorkspace");
  } catch (const kube::ApiError& e) {
    FAIL() << GetParam() << " was refused: " << AllMessages(e);
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, Example, ::testing::ValuesIn(YamlFilesIn(kSource / "examples")), TestNameOf);

TEST_F(CrdValidation, ThereAreAtLeastTwentyFiveInvalidCasesAndSevenExamples) {
  EXPECT_GE(YamlFilesIn(kSource / "tests/e2e/testdata/invalid").size(), 25u);
  EXPECT_GE(YamlFilesIn(kSource / "examples").size(), 7u);
}

TEST_F(CrdValidation, SchemaDefaultsFillAnEmptySpec) {
  Json object = {{"apiVersion", "tfws.io/v1alpha1"},
                 {"kind", "TFWorkspace"},
                 {"metadata", {{"name", "defaults"}}},
                 {"spec", Json::object()}};
  Json created = DryRunCreate(object);
  const Json& spec = created["spec"];
  EXPECT_EQ(spec["gpu"]["count"], 0);
  EXPECT_EQ(spec["gpu"]["resource"], "nvidia.com/gpu");
  EXPECT_EQ(spec["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(spec["jupyter"]["auth"], "token");
  EXPECT_EQ(spec["ssh"]["enabled"], false);
  EXPECT_EQ(spec["ingress"]["enabled"], false);
  EXPECT_EQ(spec["storage"]["reclaimPolicy"], "Retain");
  EXPECT_EQ(spec["profile"], "development");
  EXPECT_FALSE(spec.contains("shmSize")) << "the class decides the default /dev/shm size (else the operator's 1Gi)";
  EXPECT_FALSE(spec.contains("image")) << "the operator config decides the default image";
}

TEST_F(CrdValidation, StatusIsASubresourceSoSpecWritesIgnoreIt) {
  Json object = {{"apiVersion", "tfws.io/v1alpha1"},
                 {"kind", "TFWorkspace"},
                 {"metadata", {{"name", "status-sub"}}},
                 {"spec", Json::object()},
                 {"status", {{"phase", "Running"}}}};
  Json created = DryRunCreate(object);
  EXPECT_FALSE(created.contains("status") && created["status"].contains("phase"));
}

// selectableFields: `kubectl get tfws --field-selector status.phase!=Running,spec.owner=alice`
// is filtered by the API server (bench/scale polls this way), and a field the CRD does not
// declare is refused by name.
TEST_F(CrdValidation, ListsSelectOnPhaseOwnerTeamAndClass) {
  const auto workspace = [&](const std::string& name, const std::string& owner) {
    Json object = {{"apiVersion", "tfws.io/v1alpha1"},
                   {"kind", "TFWorkspace"},
                   {"metadata", {{"name", name}, {"namespace", ns()}}},
                   {"spec", {{"owner", owner}, {"team", "vision"}}}};
    client().Create(kube::resources::kTFWorkspaces, ns(), object);
  };
  workspace("fs-alice", "alice");
  workspace("fs-bob", "bob");
  client().Patch(kube::resources::kTFWorkspaces, ns(), "fs-bob", kube::PatchType::kMerge,
                 Json{{"status", {{"phase", "Running"}}}}, {}, "status");

  const auto names = [&](const std::string& selector) {
    std::vector<std::string> out;
    kube::ListOptions options;
    options.field_selector = selector;
    const Json list = client().List(kube::resources::kTFWorkspaces, ns(), options);
    for (const auto& item : list["items"]) {
      out.push_back(item["metadata"]["name"].get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_THAT(names("status.phase=Running"), ::testing::ElementsAre("fs-bob"));
  EXPECT_THAT(names("status.phase!=Running"), ::testing::ElementsAre("fs-alice")) << "no status yet: phase \"\"";
  EXPECT_THAT(names("spec.owner=alice"), ::testing::ElementsAre("fs-alice"));
  EXPECT_THAT(names("spec.team=vision,status.phase=Running"), ::testing::ElementsAre("fs-bob"));
  EXPECT_THAT(names("spec.className="), ::testing::ElementsAre("fs-alice", "fs-bob"));
  try {
    names("spec.image=x");
    FAIL() << "a field the CRD does not declare was accepted";
  } catch (const kube::ApiError& e) {
    EXPECT_EQ(e.code(), 400) << e.what();
    EXPECT_THAT(e.message(), ::testing::HasSubstr("spec.image"));
  }
}

}  // namespace
}  // namespace tfws::e2e
