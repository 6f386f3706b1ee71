// Idle culling end to end: the real operator, the real control plane, and a
// real Jupyter Notebook (Debian's) serving the workspace Pod's address. testenv
// gives Pods loopback IPs (docs/testenv.md), so Jupyter started on
// <pod IP>:8888 with the workspace's base URL and token is exactly what the
// operator's activity probe reaches in a cluster.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "kube/base64.h"
#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace fs = std::filesystem;
namespace res = kube::resources;
using Json = nlohmann::json;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr int kIdleMinutes = 1;

// Debian's Jupyter Notebook on ip:8888 for one workspace; killed on scope exit.
class JupyterForPod {
 public:
  JupyterForPod(const std::string& ip, const std::string& base_url, const std::string& token)
      : dir_(fs::temp_directory_path() / ("tfws-e2e-jupyter-" + std::to_string(::getpid()) + "-" + ip)) {
    fs::create_directories(dir_);
    const std::string root_flag = ::geteuid() == 0 ? " --allow-root" : "";
    std::string pid;
    // `timeout` bounds its life even if this test binary dies.
    RunCommand("cd '" + dir_.string() + "' && HOME='" + dir_.string() + "' JUPYTER_TOKEN='" + token +
                   "' nohup timeout 300 jupyter notebook --ip=" + ip +
                   " --port=8888 --port-retries=0 --no-browser --NotebookApp.base_url=" + base_url +
                   " --NotebookApp.allow_remote_access=True --notebook-dir='" + dir_.string() + "'" + root_flag +
                   " >'" + dir_.string() + "/jupyter.log' 2>&1 & echo $!",
               &pid);
    pid_ = std::atoi(pid.c_str());
    url_ = "http://" + ip + ":8888" + base_url;
  }
  ~JupyterForPod() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  bool WaitServing(seconds timeout) const {
    return WaitFor([&] { return RunCommand("curl -fsS -o /dev/null '" + url_ + "api'") == 0; }, timeout,
                   std::chrono::milliseconds(300));
  }
  std::string Log() const {
    std::string out;
    RunCommand("tail -c 2000 '" + (dir_ / "jupyter.log").string() + "'", &out);
    return out;
  }

 private:
  fs::path dir_;
  pid_t pid_ = 0;
  std::string url_;
};

class ControllerCulling : public ControllerTest {
 protected:
  Json CullingSpec() {
    Json spec = CpuSpec();
    spec["culling"] = {{"idleTimeoutMinutes", kIdleMinutes}};
    return spec;
  }
  std::string Token(const std::string& workspace) {
    const Json secret = c().Get(res::kSecrets, ns(), workspace + "-token");
    std::string token;
    kube::DecodeBase64(secret["data"].value("token", ""), token);
    return token;
  }
  std::string CulledAt(const std::string& workspace) {
    return GetWorkspace(workspace)["metadata"].value("annotations", Json::object()).value("tfws.io/culled-at", "");
  }
  bool HasEvent(const std::string& workspace, const std::string& reason, std::string* note) {
    const Json events = c().List(res::kEvents, ns());
    for (const Json& e : events["items"]) {
      if (e["regarding"].value("name", "") == workspace && e.value("reason", "") == reason) {
        if (note) *note = e.value("note", "");
        return true;
      }
    }
    return false;
  }
};

TEST_F(ControllerCulling, AnIdleJupyterIsCulledAnUnreachableOneNeverAndARestartBringsItBack) {
  CreateWorkspace("idle", CullingSpec());
  CreateWorkspace("unasked", CullingSpec());  // no Jupyter answers for it
  // Measured 12.4 s when the crash suite's 100 workspaces were still being
  // deleted before it (the operator's queue), 0.3 s otherwise.
  ExpectPhase("idle", "Running", seconds(30));
  ExpectPhase("unasked", "Running", seconds(10));

  const Json pod = c().Get(res::kPods, ns(), "idle");
  const std::string ip = pod["status"].value("podIP", "");
  ASSERT_THAT(ip, ::testing::StartsWith("127.")) << "testenv gives Pods loopback IPs (docs/testenv.md)";
  const std::string base = "/tfws/" + ns() + "/idle/";
  const std::string token = Token("idle");
  ASSERT_FALSE(token.empty());
  JupyterForPod jupyter(ip, base, token);
  ASSERT_TRUE(jupyter.WaitServing(seconds(20))) << jupyter.Log();  // a real Jupyter: measured 1.0 s
  // The operator first asks Jupyter once the Pod has been ready for the idle
  // timeout; a change of the workspace brings a reconcile now either way.
  c().Patch(res::kTFWorkspaces, ns(), "idle", kube::PatchType::kMerge,
            {{"metadata", {{"labels", {{"e2e/jupyter", "started"}}}}}}, {.field_manager = "tfws-e2e"});

  const auto started = std::chrono::steady_clock::now();
  ExpectPhase("idle", "Stopped", seconds(kIdleMinutes * 60 + 30));  // measured 60.4 s
  const auto culled_after = std::chrono::steady_clock::now() - started;
  EXPECT_GE(culled_after, seconds(kIdleMinutes * 60 - 10)) << "culled before the idle timeout";
  const Json ws = GetWorkspace("idle");
  EXPECT_FALSE(CulledAt("idle").empty()) << ws.dump();
  EXPECT_EQ(Condition(ws, "Ready").value("reason", ""), "Culled") << DescribeStatus(ws);
  EXPECT_THAT(ws["status"].value("message", ""), HasSubstr("spec.restartedAt"));
  EXPECT_TRUE(WaitFor([&] { return !Exists(c(), res::kPods, ns(), "idle"); }, seconds(5)))  // measured 0.0 s
      << "the Pod is deleted";
  EXPECT_TRUE(Exists(c(), res::kPersistentVolumeClaims, ns(), "idle-home")) << "storage is kept";
  EXPECT_TRUE(Exists(c(), res::kSecrets, ns(), "idle-token")) << "the token is kept";
  std::string note;
  EXPECT_TRUE(HasEvent("idle", "Culled", &note));
  EXPECT_THAT(note, HasSubstr("no Jupyter activity since"));

  // Safety: a workspace whose Jupyter cannot be asked is never culled.
  const Json unasked = GetWorkspace("unasked");
  EXPECT_EQ(Phase(unasked), "Running") << DescribeStatus(unasked);
  EXPECT_TRUE(CulledAt("unasked").empty());

  // Starting it again is the documented restart.
  RequestRestart("idle");
  ExpectPhase("idle", "Running", seconds(10));  // measured 0.3 s
  EXPECT_TRUE(Exists(c(), res::kPods, ns(), "idle"));
}

}  // namespace
}  // namespace tfws::e2e
