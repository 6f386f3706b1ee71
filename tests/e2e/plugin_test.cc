// kubectl-tfws end to end (issue 14): the real plugin binary (TFWS_PLUGIN_BIN)
// against hack/testenv with the real operator (one process for the suite).
// Each test's name states the behaviour it proves. Waits: a workspace on KWOK
// goes from apply to Running in ~3 s (measured); commands get --timeout 10s.
// open/ssh reach real servers (Debian's Jupyter Notebook and OpenSSH sshd) on
// this host through the API server's port-forward: testenv's kwok serves the
// kubelet API and a kwok PortForward object sends the Pod's port to them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <sstream>

#include "kube/base64.h"
#include "operator_process.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

namespace res = kube::resources;
using Json = nlohmann::json;
using ::testing::HasSubstr;

namespace fs = std::filesystem;
using std::chrono::seconds;

// kwok's kubelet API forwards a Pod's port to ports.target (hack/testenv enables these objects).
const kube::Resource kKwokPortForwards{"kwok.x-k8s.io", "v1alpha1", "portforwards", "PortForward", true};

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

  // Sends port `pod_port` of Pod `pod` to 127.0.0.1:`local_port` (a server this test runs).
  void ForwardPodPort(const std::string& pod, int pod_port, int local_port) {
    c().Apply(kKwokPortForwards, ns(),
              {{"apiVersion", "kwok.x-k8s.io/v1alpha1"},
               {"kind", "PortForward"},
               {"metadata", {{"name", pod}, {"namespace", ns()}}},
               {"spec",
                {{"forwards", Json::array({{{"ports", {pod_port}},
                                            {"target", {{"port", local_port}, {"address", "127.0.0.1"}}}}})}}}},
              {.field_manager = "tfws-e2e", .force = true});
  }
};

// A free TCP port on 127.0.0.1 (closed again: the server started next takes it).
int FreeLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t size = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A shell command run in the background (its own process group), killed on scope exit;
// `timeout` bounds its life even if this test binary dies.
class Background {
 public:
  Background(const std::string& command, const fs::path& log) : log_(log) {
    std::string pid;
    RunCommand("setsid timeout 300 " + command + " >'" + log.string() + "' 2>&1 </dev/null & echo $!", &pid);
    pid_ = std::atoi(pid.c_str());
  }
  ~Background() {
    if (pid_ > 0) ::kill(-pid_, SIGTERM);
  }
  std::string Output() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  fs::path log_;
  pid_t pid_ = 0;
};

// A private directory for one test's servers and files, removed on scope exit. As root the
// servers run as the unprivileged user tfws-e2e (sshd refuses root logins, like the image's).
class Sandbox {
 public:
  Sandbox() : dir_(fs::temp_directory_path() / UniqueName("tfws-e2e-plugin")) {
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    if (::geteuid() == 0) {
      RunCommand("getent passwd tfws-e2e >/dev/null || useradd --no-create-home --home-dir /nonexistent "
                 "--shell /bin/sh --user-group tfws-e2e");
      user_ = "tfws-e2e";
      as_user_ = "setpriv --reuid=tfws-e2e --regid=tfws-e2e --init-groups -- ";
    } else {
      std::string me;
      RunCommand("id -un", &me);
      user_ = me.substr(0, me.find('\n'));
    }
  }
  ~Sandbox() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  const fs::path& dir() const { return dir_; }
  const std::string& user() const { return user_; }
  const std::string& as_user() const { return as_user_; }  // prefix that runs a command as user()
  // Gives the file to user() (mode 0600 when private).
  void Own(const fs::path& file, bool private_file) const {
    if (private_file) fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    if (!as_user_.empty()) RunCommand("chown " + user_ + ":" + user_ + " '" + file.string() + "'");
  }

 private:
  fs::path dir_;
  std::string user_;
  std::string as_user_;
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
  // `create` waits until Running: measured within 2.7 s for all six at once (the whole test, 2 runs);
  // 10 s here and below, where a lone create takes under 1 s.
  for (const auto& [name, flags] : creates) {
    running[name] = std::async(std::launch::async, [this, name, flags] {
      return Plugin("create " + name + " " + flags + " --timeout 10s");
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
  auto r = Plugin("create w-life --cpu 50m --memory 64Mi --size 1Gi --timeout 10s");
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
  // Measured (TFWS_E2E_WAIT_LOG=1, 2 runs): 0.0 s, Stopped 0.0 s, Running again 0.3 s; 10 s each
  // (a Pod deleted and created: the garbage collector, scheduler and kwok).
  EXPECT_TRUE(WaitFor([&] { return UidOf(c(), res::kPods, ns(), "w-life") != pod_uid &&
                                   Phase(Get("w-life")) == "Running"; },
                      std::chrono::seconds(10)))
      << "restart did not replace the Pod: " << DescribeStatus(Get("w-life"));

  r = Plugin("stop w-life");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Get("w-life")["spec"]["stopped"].get<bool>());
  ExpectPhase("w-life", "Stopped", std::chrono::seconds(10));
  r = Plugin("logs w-life");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.output, HasSubstr("has no Pod (phase Stopped): kubectl tfws start w-life runs it again"));

  r = Plugin("start w-life");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(Get("w-life")["spec"]["stopped"].get<bool>());
  ExpectPhase("w-life", "Running", std::chrono::seconds(10));

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
  // Earlier tests' namespaces are deleted in the background: wait until none of their Pods still
  // holds a MIG slice, or the figures below move under our feet (measured: gone within ~5 s).
  auto leaving = [&] {
    kube::ListOptions on_node;
    on_node.field_selector = "spec.nodeName=gpu-a100-mig-0";
    const Json pods = c().List(res::kPods, "", on_node);
    for (const auto& pod : pods["items"]) {
      const std::string pod_ns = pod["metadata"]["namespace"];
      if (pod["metadata"].contains("deletionTimestamp") ||
          c().Get(res::kNamespaces, "", pod_ns).value("/status/phase"_json_pointer, "") == "Terminating") {
        return true;
      }
    }
    return false;
  };
  // Measured: 2.4 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 10 s.
  ASSERT_TRUE(WaitFor([&] { return !leaving(); }, seconds(10))) << "MIG Pods of earlier tests are still leaving";
  auto r = Plugin("gpus --nodes");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("gpu-a100-mig-0"));
  int free = FreeOf(r.output, product, mig);
  ASSERT_GE(free, 1) << "no free MIG slice to start from:\n" << r.output;
  // Fill the MIG node: create workspaces until gpus says 0 free (one node of 7 slices).
  for (int i = 0; free > 0 && i < 7; ++i) {
    const int take = std::min(free, 7);
    r = Plugin("create w-fill-" + std::to_string(i) + " --mig 1g.10gb --gpus " + std::to_string(take) +
               " --size 1Gi --timeout 10s");
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

TEST_F(PluginTest, OpenForwardsToARealJupyterWhoseTokenWorksAndLogsReadTheContainerLog) {
  auto r = Plugin("create w-open --cpu 50m --memory 64Mi --size 1Gi --timeout 10s");
  ASSERT_EQ(r.code, 0) << r.output;
  std::string token;
  ASSERT_TRUE(kube::DecodeBase64(c().Get(res::kSecrets, ns(), "w-open-token")["data"]["token"].get<std::string>(), token));
  const std::string base = "/tfws/" + ns() + "/w-open/";

  // Debian's Jupyter Notebook with the workspace's token and base_url, as the Pod runs it.
  Sandbox box;
  const int jupyter_port = FreeLocalPort();
  Background jupyter("env HOME='" + box.dir().string() + "' JUPYTER_TOKEN='" + token +
                         "' jupyter notebook --ip=127.0.0.1 --port=" + std::to_string(jupyter_port) +
                         " --port-retries=0 --no-browser --NotebookApp.base_url=" + base +
                         " --notebook-dir='" + box.dir().string() + "'" + (::geteuid() == 0 ? " --allow-root" : ""),
                     box.dir() / "jupyter.log");
  ForwardPodPort("w-open", 8888, jupyter_port);

  const int local_port = FreeLocalPort();
  const auto started = std::chrono::steady_clock::now();
  Background open(std::string(TFWS_PLUGIN_BIN) + " open w-open --no-browser --port " + std::to_string(local_port) +
                      " --kubeconfig " + KubeconfigPath() + " -n " + ns(),
                  box.dir() / "open.log");
  const std::string url = "http://127.0.0.1:" + std::to_string(local_port) + base + "?token=" + token;
  // Measured: Jupyter's first answer through the port-forward 1.1-1.8 s after `open` starts
  // (Jupyter's own start-up dominates; the URL is printed well before; TFWS_E2E_WAIT_LOG=1 shows
  // 0.3 s for each wait). Waits are ~2x that, with room for a loaded 2-core machine.
  ASSERT_TRUE(WaitFor([&] { return open.Output().find(url) != std::string::npos; }, seconds(5)))
      << "open did not print " << url << ":\n" << open.Output();
  auto status = [&](const std::string& args) {
    std::string code;
    RunCommand("curl -s -o /dev/null -w '%{http_code}' " + args, &code);
    return code;
  };
  const std::string api = "http://127.0.0.1:" + std::to_string(local_port) + base + "api";
  ASSERT_TRUE(WaitFor([&] { return status("'" + api + "'") == "200"; }, seconds(10)))
      << "Jupyter did not answer through the port-forward:\n" << open.Output() << jupyter.Output();
  const auto first_answer = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  EXPECT_EQ(status("-H 'Authorization: token " + token + "' '" + api + "/status'"), "200") << "the token works";
  EXPECT_EQ(status("'" + url.substr(0, url.find('?')) + "tree?token=" + token + "'"), "200") << "the printed URL works";
  EXPECT_EQ(status("'" + api + "/status'"), "403") << "without the token Jupyter refuses";
  EXPECT_EQ(status("-H 'Authorization: token wrong' '" + api + "/status'"), "403");
  std::cout << "[ measured ] open: first Jupyter answer through the port-forward after " << first_answer.count()
            << " ms\n";

  r = Plugin("logs w-open");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("kwok simulates this container")) << "the API server reached kwok's kubelet API";

  // ssh on a workspace without SSH says how to turn it on.
  r = Plugin("ssh-proxy w-open </dev/null");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("SSH off (spec.ssh.enabled is false)"));
}

TEST_F(PluginTest, SshThroughThePortForwardLogsInWithTheKeyCopiesAFileAndRefusesAPassword) {
  Sandbox box;
  const auto key = box.dir() / "id_ed25519";
  ASSERT_EQ(RunCommand("ssh-keygen -q -t ed25519 -N '' -C e2e -f '" + key.string() + "'"), 0);
  auto r = Plugin("create w-sshd --ssh-key " + key.string() + ".pub --image tfws/tf29-workspace:0.1.0 --cpu 50m --memory 64Mi --size 1Gi --timeout 10s");
  ASSERT_EQ(r.code, 0) << r.output;
  // Measured: the fingerprint is in status by the time create has seen Running (0.1 s, TFWS_E2E_WAIT_LOG=1).
  std::string fingerprint;
  ASSERT_TRUE(WaitFor([&] { return !(fingerprint = Get("w-sshd")["status"].value("sshHostKeyFingerprint", "")).empty(); },
                      seconds(5)));

  // Debian's sshd with the image's sshd_config (paths, port and user substituted) and the host
  // key the operator generated into Secret w-sshd-ssh-host, unprivileged like the image runs it.
  const Json host = c().Get(res::kSecrets, ns(), "w-sshd-ssh-host");
  std::string host_key;
  ASSERT_TRUE(kube::DecodeBase64(host["data"]["ssh_host_ed25519_key"].get<std::string>(), host_key));
  std::ofstream(box.dir() / "host_key") << host_key;
  box.Own(box.dir() / "host_key", true);
  fs::copy_file(key.string() + ".pub", box.dir() / "authorized_keys");
  box.Own(box.dir() / "authorized_keys", true);
  const int sshd_port = FreeLocalPort();
  {
    std::ifstream image(std::string(TFWS_SOURCE_DIR) + "/images/tf29-workspace/sshd_config");
    std::ofstream config(box.dir() / "sshd_config");
    for (std::string line; std::getline(image, line);) {
      const std::string word = line.substr(0, line.find(' '));
      if (word == "Port") line = "Port " + std::to_string(sshd_port);
      else if (line == "ListenAddress 0.0.0.0") line = "ListenAddress 127.0.0.1";
      else if (line == "ListenAddress ::" || word == "AuthorizedKeysCommandUser") continue;
      else if (word == "PidFile") line = "PidFile " + (box.dir() / "sshd.pid").string();
      else if (word == "Include") line = "HostKey " + (box.dir() / "host_key").string();
      else if (word == "AuthorizedKeysFile") line = "AuthorizedKeysFile " + (box.dir() / "authorized_keys").string();
      else if (word == "AuthorizedKeysCommand") line = "AuthorizedKeysCommand none";
      else if (word == "AllowUsers") line = "AllowUsers " + box.user();
      else if (word == "StrictModes") line = "StrictModes no";  // the sandbox lives under /tmp
      // kwok keeps its side of a forward open after the WebSocket closes (it waits for both
      // directions): sshd's keepalive ends such sessions within ~10 s instead of 3 min.
      else if (word == "ClientAliveInterval") line = "ClientAliveInterval 5";
      else if (word == "ClientAliveCountMax") line = "ClientAliveCountMax 1";
      config << line << "\n";
    }
  }
  Background sshd(box.as_user() + "/usr/sbin/sshd -D -e -f '" + (box.dir() / "sshd_config").string() + "'",
                  box.dir() / "sshd.log");
  ForwardPodPort("w-sshd", 2222, sshd_port);
  ASSERT_TRUE(WaitFor([&] { return RunCommand("ssh-keyscan -p " + std::to_string(sshd_port) + " 127.0.0.1 >/dev/null 2>&1") == 0; },
                      seconds(5)))  // measured: sshd answers ~0.1 s after start
      << "sshd did not start:\n" << sshd.Output();

  // kubectl tfws ssh: key login, host key pinned from the Secret (StrictHostKeyChecking=yes).
  const std::string env = "XDG_CACHE_HOME='" + box.dir().string() + "/cache' ";
  const std::string common = " --kubeconfig '" + KubeconfigPath() + "' -n " + ns();
  const std::string batch = " -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=20";
  std::string out;
  const auto started = std::chrono::steady_clock::now();
  int code = RunCommand(env + TFWS_PLUGIN_BIN + " ssh w-sshd -l " + box.user() + " -i '" + key.string() + "'" + common +
                            " --" + batch + " 'echo logged-in-as-$(id -un)' 2>&1",
                        &out);
  const auto login = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  EXPECT_EQ(code, 0) << out << sshd.Output();
  EXPECT_THAT(out, HasSubstr("logged-in-as-" + box.user()));
  std::cout << "[ measured ] ssh: key login and one command through the port-forward in " << login.count() << " ms\n";
  std::string known_hosts;
  RunCommand("cat '" + box.dir().string() + "/cache/tfws/known_hosts'", &known_hosts);
  EXPECT_THAT(known_hosts, HasSubstr("tfws-w-sshd." + ns() + " ssh-ed25519 ")) << "the host key is pinned";

  // A password is refused: sshd offers public keys only.
  code = RunCommand(env + TFWS_PLUGIN_BIN + " ssh w-sshd -l " + box.user() + common + " --" + batch +
                        " -o PubkeyAuthentication=no -o PreferredAuthentications=password true 2>&1",
                    &out);
  EXPECT_EQ(code, 255) << out;
  EXPECT_THAT(out, HasSubstr("Permission denied (publickey)")) << out;

  // ssh-config: a Host block scp uses as is.
  r = Plugin("ssh-config w-sshd -l " + box.user() + " -i " + key.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Host tfws-w-sshd\n"));
  EXPECT_THAT(r.output, HasSubstr("StrictHostKeyChecking yes"));
  std::ofstream(box.dir() / "ssh_config") << r.output.substr(r.output.find("Host tfws-w-sshd"));
  const auto uploaded = box.dir() / "uploaded.txt";
  std::ofstream(box.dir() / "payload.txt") << "a file for the workspace\n";
  RunCommand("touch '" + uploaded.string() + "'");
  box.Own(uploaded, false);
  code = RunCommand("HOME='" + box.dir().string() + "' scp -F '" + (box.dir() / "ssh_config").string() + "'" + batch + " '" +
                        (box.dir() / "payload.txt").string() + "' tfws-w-sshd:'" + uploaded.string() + "' 2>&1",
                    &out);
  EXPECT_EQ(code, 0) << out << sshd.Output();
  std::ifstream copied(uploaded);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(copied), {}), "a file for the workspace\n");

  // Nothing behind the Pod's port: the kubelet's error, with the Pod, the port and what to check.
  c().Delete(kKwokPortForwards, ns(), "w-sshd");
  // ssh writes its banner at once: the kubelet's error must not be lost to the closing connection.
  code = RunCommand(env + TFWS_PLUGIN_BIN + " ssh w-sshd -l " + box.user() + " -i '" + key.string() + "'" + common +
                        " --" + batch + " true 2>&1",
                    &out);
  EXPECT_EQ(code, 255) << out;
  EXPECT_THAT(out, HasSubstr("port-forward to pod \"w-sshd\" port 2222 (tfworkspace \"w-sshd\") failed"));
  EXPECT_THAT(out, HasSubstr("is the server in the Pod listening on that port?"));

  // An image without sshd: the operator's reason, not a connection error.
  r = Plugin("create w-nosshd --ssh-key " + key.string() + ".pub --cpu 50m --memory 64Mi --size 1Gi --timeout 10s");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Plugin("ssh-proxy w-nosshd </dev/null");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cannot ssh to tfworkspace \"w-nosshd\": SSH is off: image tensorflow/tensorflow"));

  // Another namespace: the workspace is not there, and the error says how to find it.
  code = RunCommand(std::string(TFWS_PLUGIN_BIN) + " ssh-proxy w-sshd --kubeconfig '" + KubeconfigPath() +
                        "' -n no-such-namespace </dev/null 2>&1",
                    &out);
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("tfworkspace \"w-sshd\" not found in namespace \"no-such-namespace\""));
}

TEST_F(PluginTest, TheChartsUserRolesAreEnoughForEveryCommandAndAMissingRightIsNamed) {
  // The chart's ClusterRoles tfws-user and tfws-gpu-viewer, rendered by helm as installed.
  std::string bin;
  RunCommand(TestenvScript() + " bin", &bin);
  bin = bin.substr(0, bin.find('\n'));
  const std::string kubectl = bin + "/kubectl --kubeconfig '" + KubeconfigPath() + "' ";
  std::string out;
  const std::string roles = bin + "/helm template t " + TFWS_SOURCE_DIR + "/charts/tfws-operator -s templates/user-roles.yaml | ";
  ASSERT_EQ(RunCommand(roles + kubectl + "apply --server-side --field-manager=tfws-e2e -f - 2>&1", &out), 0) << out;
  // Removed again (also on failure), so a later `helm install` into this cluster owns them.
  struct RemoveRoles {
    std::string command;
    ~RemoveRoles() { RunCommand(command); }
  } remove_roles{roles + kubectl + "delete --ignore-not-found -f - >/dev/null 2>&1"};
  const std::string key = ShortKeyFile();
  auto r = Plugin("create w-rbac --ssh-key " + key + " --image tfws/tf29-workspace:0.1.0 --size 1Gi --timeout 10s");
  std::filesystem::remove(key);
  ASSERT_EQ(r.code, 0) << r.output;

  // alice: a ServiceAccount with only tfws-user in this namespace, through her own kubeconfig.
  ASSERT_EQ(RunCommand(kubectl + "-n " + ns() + " create serviceaccount alice 2>&1 && " + kubectl + "-n " + ns() +
                           " create rolebinding alice-tfws-user --clusterrole=tfws-user --serviceaccount=" + ns() +
                           ":alice 2>&1",
                       &out),
            0)
      << out;
  std::string token;
  ASSERT_EQ(RunCommand(kubectl + "-n " + ns() + " create token alice --duration=10m", &token), 0) << token;
  Sandbox box;
  const auto alice_config = box.dir() / "alice.kubeconfig";
  std::ofstream(alice_config) << "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: "
                              << LoadTestenvConfig().server << "\n    certificate-authority: " << TestenvFile("certs/ca.crt")
                              << "\nusers:\n- name: alice\n  user:\n    token: " << token.substr(0, token.find('\n'))
                              << "\ncontexts:\n- name: alice\n  context:\n    cluster: testenv\n    user: alice\n"
                              << "    namespace: " << ns() << "\ncurrent-context: alice\n";
  auto as_alice = [&](const std::string& args) {
    Result result;
    result.code = RunCommand("XDG_CACHE_HOME='" + box.dir().string() + "' " + TFWS_PLUGIN_BIN + " " + args +
                                 " --kubeconfig '" + alice_config.string() + "' </dev/null 2>&1",
                             &result.output);
    return result;
  };

  for (const std::string command : {"create w-alice --size 1Gi --timeout 10s", "list", "describe w-rbac",
                                    "stop w-alice", "start w-alice", "restart w-alice"}) {
    r = as_alice(command);
    EXPECT_EQ(r.code, 0) << command << ":\n" << r.output;
  }
  r = as_alice("logs w-rbac");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("kwok simulates this container"));
  r = as_alice("token w-rbac");
  EXPECT_EQ(r.code, 0) << r.output;
  r = as_alice("ssh-config w-rbac");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("StrictHostKeyChecking yes")) << "tfws-user reads the host key Secret";
  // Authorized: the upgrade passes the API server; only kwok has nothing behind the port.
  r = as_alice("ssh-proxy w-rbac");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no forward found for port 2222")) << r.output;
  r = as_alice("gpus");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("you may not list nodes"));
  const std::string viewers = UniqueName("e2e-gpu-viewers");
  ASSERT_EQ(RunCommand(kubectl + "create clusterrolebinding " + viewers + " --clusterrole=tfws-gpu-viewer --serviceaccount=" +
                           ns() + ":alice 2>&1",
                       &out),
            0)
      << out;
  // RBAC changes reach the authorizer: measured 0.1 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s.
  EXPECT_TRUE(WaitFor([&] { return (r = as_alice("gpus")).code == 0; }, seconds(5))) << r.output;
  RunCommand(kubectl + "delete clusterrolebinding " + viewers);

  // Without pods/portforward the error names the right and where it comes from.
  ASSERT_EQ(RunCommand(kubectl + "-n " + ns() + " delete rolebinding alice-tfws-user 2>&1 && " + kubectl + "-n " + ns() +
                           " create role workspaces-only --verb=get,list --resource=tfworkspaces.tfws.io 2>&1 && " +
                           kubectl + "-n " + ns() + " create rolebinding alice-workspaces-only --role=workspaces-only " +
                           "--serviceaccount=" + ns() + ":alice 2>&1",
                       &out),
            0)
      << out;
  // Measured: 0.3 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s.
  EXPECT_TRUE(WaitFor([&] { return (r = as_alice("ssh-proxy w-rbac")).output.find("you may not port-forward") !=
                                   std::string::npos; },
                      seconds(5)))
      << r.output;
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.output, HasSubstr("you may not port-forward to pod \"w-rbac\" port 2222 (tfworkspace \"w-rbac\")"));
  EXPECT_THAT(r.output, HasSubstr("create and get on pods/portforward"));
}

}  // namespace
}  // namespace tfws::e2e
