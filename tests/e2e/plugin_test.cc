// kubectl-tfws end to end (issue 14): the real plugin binary (TFWS_PLUGIN_BIN)
// against hack/testenv with the real operator (one process for the suite).
// Each test's name states the behaviour it proves. Waits: a workspace on KWOK
// goes from apply to Running in ~3 s (measured); commands get --timeout 60s.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "kube/base64.h"
#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using ::testing::HasSubstr;

const char* kPublicKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDx5ZJ0vbb3gFDrdUu0mTt6TVdrTdUeN2ZyYrMOF6v7S e2e@plugin";

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr
};

class PluginTest : public ControllerTest {
 protected:
  // Runs `kubectl-tfws <args> --kubeconfig <testenv> -n <test namespace>`.
  Result Plugin(const std::string& args) {
    Result r;
    const std::string command = std::string(TFWS_PLUGIN_BIN) + " " + args + " --kubeconfig '" + KubeconfigPath() +
                                "' -n " + ns() + " 2>&1";
    r.code = RunCommand(command, &r.output);
    return r;
  }
  Json Get(const std::string& name) { return c().Get(res::kTFWorkspaces, ns(), name); }
};

// The whitespace-separated columns of the first line of a table whose first columns are the
// words of `first` ("w-gpu", or "<namespace> w-gpu").
std::vector<std::string> RowOf(const std::string& table, const std::string& first) {
  auto words_of = [](const std::string& text) {
    std::istringstream words(text);
    std::vector<std::string> out;
    for (std::string w; words >> w;) out.push_back(w);
    return out;
  };
  const auto key = words_of(first);
  std::istringstream lines(table);
  std::string line;
  while (std::getline(lines, line)) {
    const auto columns = words_of(line);
    if (columns.size() >= key.size() && std::equal(key.begin(), key.end(), columns.begin())) return columns;
  }
  return {};
}

std::string ShortKeyFile() {
  const auto path = std::filesystem::temp_directory_path() / ("tfws-e2e-" + UniqueName("key") + ".pub");
  std::ofstream(path) << "# e2e key\n" << kPublicKey << "\n";
  return path.string();
}

TEST_F(PluginTest, CreateEachFlagFamilyAppliesTheFieldsAndWaitsUntilRunningThenListShowsThem) {
  c().Create(res::kPersistentVolumeClaims, ns(),
             {{"apiVersion", "v1"},
              {"kind", "PersistentVolumeClaim"},
              {"metadata", {{"name", "imagenet-pvc"}, {"namespace", ns()}}},
              {"spec", {{"accessModes", {"ReadWriteMany"}}, {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});
  const std::string key = ShortKeyFile();
  const std::map<std::string, std::string> creates = {
      {"w-gpu", "--gpus 2 --gpu-product NVIDIA-A100-SXM4-80GB --cpu 100m --memory 256Mi --size 1Gi"},
      {"w-mig", "--mig 1g.10gb --size 1Gi"},
      {"w-data", "--dataset imagenet=imagenet-pvc --size 2Gi"},
      {"w-ssh", "--ssh-key " + key + " --image tfws/tf29-workspace:e2e --size 1Gi"},
  };
  std::map<std::string, std::future<Result>> running;
  for (const auto& [name, flags] : creates) {
    running[name] = std::async(std::launch::async, [this, name, flags] {
      return Plugin("create " + name + " " + flags + " --timeout 60s");
    });
  }
  for (auto& [name, future] : running) {
    const auto r = future.get();
    EXPECT_EQ(r.code, 0) << name << ":\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr("tfworkspace/" + name + " applied in namespace " + ns()));
    EXPECT_THAT(r.output, HasSubstr("  Running   http://" + name + "." + ns() + ".svc:8888/")) << r.output;
  }
  std::filesystem::remove(key);

  const auto gpu = Get("w-gpu")["spec"];
  EXPECT_EQ(gpu["gpu"]["count"], 2);
  EXPECT_EQ(gpu["gpu"]["product"], "NVIDIA-A100-SXM4-80GB");
  EXPECT_EQ(gpu["resources"]["requests"]["cpu"], "100m");
  EXPECT_EQ(gpu["resources"]["limits"]["memory"], "256Mi");
  EXPECT_FALSE(gpu["owner"].get<std::string>().empty()) << "spec.owner comes from the SelfSubjectReview";
  EXPECT_EQ(Get("w-mig")["spec"]["gpu"]["resource"], "nvidia.com/mig-1g.10gb");
  EXPECT_EQ(Get("w-data")["spec"]["storage"]["datasets"][0]["claimName"], "imagenet-pvc");
  const auto ssh = Get("w-ssh")["spec"];
  EXPECT_EQ(ssh["ssh"]["authorizedKeys"], Json::array({kPublicKey}));
  EXPECT_EQ(ssh["image"], "tfws/tf29-workspace:e2e");
  EXPECT_EQ(Get("w-gpu")["status"]["gpusAllocated"], 2);

  // --class: stored as written when the CRD knows spec.className (workspace classes, issue 10);
  // refused by server-side apply, with nothing written, when the CRD predates it.
  const auto crd = c().Get(res::kCustomResourceDefinitions, "", "tfworkspaces.tfws.io");
  const bool has_class = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
                             ["properties"].contains("className");
  auto r = Plugin("create w-class --class a100-small --size 1Gi --wait=false");
  if (has_class) {
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(Get("w-class")["spec"]["className"], "a100-small");
  } else {
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr("--class: this cluster's TFWorkspace CRD has no spec.className"));
    EXPECT_FALSE(Exists(c(), res::kTFWorkspaces, ns(), "w-class"));
  }

  r = Plugin("list");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("NAME"));
  for (const auto& [name, flags] : creates) {
    const auto row = RowOf(r.output, name);
    EXPECT_TRUE(row.size() > 1 && row[1] == "Running") << name << " missing or not Running in:\n" << r.output;
  }
  EXPECT_THAT(r.output, HasSubstr("2 x nvidia.com/gpu (NVIDIA-A100-SXM4-80GB)"));
  r = Plugin("list -A");
  const auto across = RowOf(r.output, ns() + " w-gpu");
  EXPECT_TRUE(across.size() > 2 && across[2] == "Running") << r.output;

  // A workspace of someone else is not "mine"; --all-owners shows it with its owner.
  auto other = WorkspaceObject("w-bob", CpuSpec());
  other["metadata"]["namespace"] = ns();
  other["spec"]["owner"] = "bob";
  c().Create(res::kTFWorkspaces, ns(), other);
  r = Plugin("list");
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("w-bob")));
  r = Plugin("list --all-owners");
  const auto bob = RowOf(r.output, "w-bob");
  EXPECT_TRUE(bob.size() > 1 && bob[1] == "bob") << r.output;
}

TEST_F(PluginTest, TokenStopStartRestartDoWhatTheySayAndDescribeExplains) {
  auto r = Plugin("create w-life --cpu 50m --memory 64Mi --size 1Gi --timeout 60s");
  ASSERT_EQ(r.code, 0) << r.output;

  r = Plugin("token w-life");
  ASSERT_EQ(r.code, 0) << r.output;
  std::string token;
  ASSERT_TRUE(kube::DecodeBase64(c().Get(res::kSecrets, ns(), "w-life-token")["data"]["token"].get<std::string>(), token));
  EXPECT_EQ(r.output, token + "\n") << "token prints the token and nothing else";

  const std::string pod_uid = c().Get(res::kPods, ns(), "w-life")["metadata"]["uid"];
  r = Plugin("restart w-life");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string restarted_at = Get("w-life")["spec"]["restartedAt"];
  EXPECT_TRUE(restarted_at.size() == 20 && restarted_at[10] == 'T' && restarted_at.back() == 'Z')
      << "restartedAt is not RFC 3339 with seconds: " << restarted_at;
  EXPECT_TRUE(WaitFor([&] { return UidOf(c(), res::kPods, ns(), "w-life") != pod_uid &&
                                   Phase(Get("w-life")) == "Running"; },
                      std::chrono::seconds(60)))
      << "restart did not replace the Pod: " << DescribeStatus(Get("w-life"));

  r = Plugin("stop w-life");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Get("w-life")["spec"]["stopped"].get<bool>());
  ExpectPhase("w-life", "Stopped");
  r = Plugin("logs w-life");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.output, HasSubstr("has no Pod (phase Stopped): kubectl tfws start w-life runs it again"));

  r = Plugin("start w-life");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(Get("w-life")["spec"]["stopped"].get<bool>());
  ExpectPhase("w-life", "Running");

  r = Plugin("describe w-life");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(RowOf(r.output, "Phase:"), (std::vector<std::string>{"Phase:", "Running"})) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Conditions:"));
  const auto ready = RowOf(r.output, "Ready");
  EXPECT_TRUE(ready.size() > 1 && ready[1] == "True") << r.output;
}

TEST_F(PluginTest, ErrorsNameTheObjectAndTheFixAndExitOne) {
  const struct {
    std::string args;
    int code;
    std::string says;
  } cases[] = {
      {"token nobody", 1,
       "tfworkspace \"nobody\" not found in namespace \"" + ns() + "\": kubectl tfws list shows your workspaces"},
      {"create Bad_Name", 1, "\"Bad_Name\" is not a valid workspace name"},
      {"create w-x --gpus many", 1, "--gpus: invalid value \"many\""},
      {"frobnicate", 1, "unknown command \"frobnicate\""},
      {"create --help", 0, "--dataset NAME=CLAIM"},
      {"list --context no-such-context", 1, "context \"no-such-context\" not found"},
  };
  for (const auto& expected : cases) {
    const auto r = Plugin(expected.args);
    EXPECT_EQ(r.code, expected.code) << expected.args << ":\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr(expected.says)) << expected.args;
  }
}

// The FREE figure of `gpus` for (product, resource), or -1.
int FreeOf(const std::string& gpus_output, const std::string& product, const std::string& resource) {
  const auto row = RowOf(gpus_output, product + " " + resource);
  return row.size() > 4 ? std::stoi(row[4]) : -1;
}

TEST_F(PluginTest, GpusFiguresAreWhatTheSchedulerCanStillPlace) {
  const std::string product = "NVIDIA-A100-SXM4-80GB", mig = "nvidia.com/mig-1g.10gb";
  auto r = Plugin("gpus --nodes");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("gpu-a100-mig-0"));
  int free = FreeOf(r.output, product, mig);
  ASSERT_GE(free, 1) << "no free MIG slice to start from:\n" << r.output;
  // Fill the MIG node: create workspaces until gpus says 0 free (one node of 7 slices).
  for (int i = 0; free > 0 && i < 7; ++i) {
    const int take = std::min(free, 7);
    r = Plugin("create w-fill-" + std::to_string(i) + " --mig 1g.10gb --gpus " + std::to_string(take) +
               " --size 1Gi --timeout 60s");
    ASSERT_EQ(r.code, 0) << r.output;
    r = Plugin("gpus");
    const int now_free = FreeOf(r.output, product, mig);
    EXPECT_EQ(now_free, free - take) << r.output;
    free = now_free;
  }
  ASSERT_EQ(free, 0) << r.output;
  // The scheduler agrees: the next one stays Pending with its reason.
  r = Plugin("create w-one-too-many --mig 1g.10gb --size 1Gi --timeout 10s");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Insufficient " + mig)) << r.output;
  EXPECT_THAT(r.output, HasSubstr("is not Running after 10s"));
  const auto ws = Get("w-one-too-many");
  EXPECT_EQ(Phase(ws), "Pending");
  const auto scheduled = Condition(ws, "Scheduled");
  EXPECT_EQ(scheduled.value("reason", ""), "Unschedulable") << DescribeStatus(ws);
  EXPECT_THAT(scheduled.value("message", ""), HasSubstr("Insufficient " + mig));
}

}  // namespace
}  // namespace tfws::e2e
