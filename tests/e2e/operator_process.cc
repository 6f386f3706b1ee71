#include "operator_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "chart_identity.h"
#include "kube/api_error.h"
#include "testenv_fixture.h"
#include "time/rfc3339.h"
#include "workspace/manifest.h"

namespace tfws::e2e {

using Json = nlohmann::json;
namespace fs = std::filesystem;

int FreeLocalPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind/getsockname failed");
  }
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

int HttpGetStatus(int port, const std::string& path, std::string* body) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return -1;
  }
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  // "HTTP/1.1 200 OK"
  auto space = response.find(' ');
  if (response.rfind("HTTP/", 0) != 0 || space == std::string::npos) return -1;
  if (body) {
    auto end = response.find("\r\n\r\n");
    *body = end == std::string::npos ? "" : response.substr(end + 4);
  }
  try {
    return std::stoi(response.substr(space + 1, 3));
  } catch (const std::exception&) {
    return -1;
  }
}

OperatorProcess::OperatorProcess(Options options) : options_(std::move(options)) {}

OperatorProcess::~OperatorProcess() { Kill(); }

namespace {

// The value of flag `name` in args ("--name value" or "--name=value"), or fallback.
std::string FlagValue(const std::vector<std::string>& args, const std::string& name, const std::string& fallback) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(name + "=", 0) == 0) return args[i].substr(name.size() + 1);
  }
  return fallback;
}

}  // namespace

void OperatorProcess::ExpectNothingForbidden() {
  if (audit_user_.empty()) return;
  std::vector<std::string> refused;
  try {
    refused = ForbiddenSince(audit_user_, audit_offset_);
    audit_offset_ = AuditLogSize();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "reading the audit log for requests refused to " << audit_user_ << ": " << e.what();
    return;
  }
  if (refused.empty()) return;
  std::map<std::string, int> times;  // the operator retries: each refusal once, with its count
  for (const std::string& r : refused) ++times[r];
  std::string list;
  for (const auto& [r, n] : times) list += "  " + r + (n > 1 ? " x" + std::to_string(n) : "") + "\n";
  ADD_FAILURE() << "the API server refused the operator (running as the chart's ServiceAccount " << audit_user_
                << ") " << refused.size() << " request(s):\n"
                << list
                << "grant the verb in charts/tfws-operator/templates/_helpers.tpl (and the rule table of "
                   "tests/contract/chart/assert_rendered.py), or stop the operator from using it\n"
                << Tail(2000);
}

void OperatorProcess::Start() {
  if (pid_ > 0) throw std::runtime_error("operator already running as pid " + std::to_string(pid_));
  health_port_ = FreeLocalPort();
  static std::atomic<int> counter{0};
  fs::create_directories("/tmp/tfws-e2e-logs");
  log_path_ = "/tmp/tfws-e2e-logs/operator-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".log";
  ++starts_;

  std::string kubeconfig = options_.kubeconfig;
  if (kubeconfig.empty()) {
    const ChartIdentity& identity = ProcessOperatorIdentity();
    const auto& extra = options_.extra_args;
    if (std::find(extra.begin(), extra.end(), "--leader-elect") != extra.end()) {
      // The operator's defaults: its own namespace (out of cluster: "default") and Lease tfws-operator.
      GrantProcessIdentityLease(FlagValue(extra, "--leader-election-namespace", "default"),
                                FlagValue(extra, "--leader-election-id", "tfws-operator"));
    }
    kubeconfig = identity.kubeconfig;
    audit_user_ = identity.Username();
    audit_offset_ = AuditLogSize();
  }

  std::vector<std::string> args = {TFWS_OPERATOR_BIN,
                                   "--kubeconfig",
                                   kubeconfig,
                                   "--metrics-bind-address",
                                   "127.0.0.1:0",
                                   "--health-probe-bind-address",
                                   "127.0.0.1:" + std::to_string(health_port_),
                                   "--workers",
                                   std::to_string(options_.workers),
                                   "--log-level",
                                   options_.log_level};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = log_path_;
  const pid_t parent = ::getpid();

  pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    // Only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    // The operator blocks SIGTERM/SIGINT itself; start from a clean mask.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = child;
}

int OperatorProcess::Reap(bool block) {
  if (pid_ <= 0) return 0;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (r == 0) return INT32_MIN;  // still running
  pid_ = -1;
  if (r < 0) return -1000;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

bool OperatorProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  pid_ = -1;
  return false;
}

bool OperatorProcess::WaitReady(std::chrono::milliseconds timeout, std::source_location caller) {
  return WaitFor(
      [&] {
        if (!Running()) throw std::runtime_error("operator exited");
        return HttpGetStatus(health_port_, "/readyz") == 200;
      },
      timeout, std::chrono::milliseconds(200), caller) &&
         Running();
}

int OperatorProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    ExpectNothingForbidden();
    return 0;
  }
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = -SIGKILL;
  for (;;) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      Reap(true);
      break;
    }
    if (int s = Reap(false); s != INT32_MIN) {
      status = s;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ExpectNothingForbidden();
  return status;
}

void OperatorProcess::Kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Reap(true);
  }
  ExpectNothingForbidden();
}

std::string OperatorProcess::Tail(std::size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return "operator log " + log_path_ + ":\n" + text;
}

void InstallWorkspaceCrd(kube::Client& client) {
  static std::mutex mu;
  static bool installed = false;
  std::lock_guard lock(mu);
  if (installed) return;
  // Every CRD of crds/ (TFWorkspace and TFWorkspaceClass): the operator watches both.
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(TFWS_SOURCE_DIR "/crds")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  for (const fs::path& file : files) {
    auto docs = workspace::ReadManifestFile(file.string());
    if (docs.size() != 1) throw std::runtime_error(file.string() + ": expected exactly one document");
    const Json& crd = docs[0];
    kube::PatchOptions options;
    options.field_manager = "tfws-e2e";
    options.force = true;
    client.Apply(kube::resources::kCustomResourceDefinitions, "", crd, options);
    const std::string name = crd["metadata"]["name"];
    // Measured: Established and served 0.0-0.1 s after the apply (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s.
    bool established = WaitFor(
        [&] {
          Json live = client.Get(kube::resources::kCustomResourceDefinitions, "", name);
          for (const Json& c : live["status"].value("conditions", Json::array())) {
            if (c.value("type", "") == "Established" && c.value("status", "") == "True") return true;
          }
          return false;
        },
        std::chrono::seconds(5));
    if (!established) throw std::runtime_error("CRD " + name + " not Established within 5 s");
  }
  if (!WaitFor(
          [&] {
            client.List(kube::resources::kTFWorkspaces, "default", {.limit = 1});
            client.List(kube::resources::kTFWorkspaceClasses, "", {.limit = 1});
            return true;
          },
          std::chrono::seconds(5))) {
    throw std::runtime_error("TFWorkspace / TFWorkspaceClass resources not served within 5 s");
  }
  installed = true;
}

Json WorkspaceObject(const std::string& name, const Json& spec, const Json& labels) {
  Json ws = {{"apiVersion", "tfws.io/v1alpha1"},
             {"kind", "TFWorkspace"},
             {"metadata", {{"name", name}}},
             {"spec", spec}};
  if (!labels.empty()) ws["metadata"]["labels"] = labels;
  return ws;
}

std::string Phase(const Json& ws) {
  if (!ws.contains("status") || !ws["status"].is_object()) return "";
  return ws["status"].value("phase", "");
}

Json Condition(const Json& ws, const std::string& type) {
  if (!ws.contains("status") || !ws["status"].is_object()) return nullptr;
  for (const Json& c : ws["status"].value("conditions", Json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

std::string DescribeStatus(const Json& ws) {
  std::ostringstream out;
  out << ws["metadata"].value("name", "?") << ": phase=" << Phase(ws);
  if (ws.contains("status") && ws["status"].is_object()) {
    out << " message=\"" << ws["status"].value("message", "") << "\"";
    for (const Json& c : ws["status"].value("conditions", Json::array())) {
      out << "\n  " << c.value("type", "") << "=" << c.value("status", "") << " reason=" << c.value("reason", "")
          << " message=\"" << c.value("message", "") << "\"";
    }
  }
  return out.str();
}

bool WaitForPhase(kube::Client& client, const std::string& ns, const std::string& name, const std::string& phase,
                  std::chrono::milliseconds timeout, std::string* last, std::source_location caller) {
  Json seen;
  bool ok = WaitFor(
      [&] {
        seen = client.Get(kube::resources::kTFWorkspaces, ns, name);
        return Phase(seen) == phase;
      },
      timeout, std::chrono::milliseconds(250), caller);
  if (last) *last = seen.is_null() ? name + ": never read" : DescribeStatus(seen);
  return ok;
}

bool Exists(kube::Client& client, const kube::Resource& r, const std::string& ns, const std::string& name) {
  try {
    client.Get(r, ns, name);
    return true;
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) return false;
    throw;
  }
}

std::string UidOf(kube::Client& client, const kube::Resource& r, const std::string& ns, const std::string& name) {
  try {
    return client.Get(r, ns, name)["metadata"].value("uid", "");
  } catch (const kube::ApiError& e) {
    if (e.IsNotFound()) return "";
    throw;
  }
}

std::uintmax_t AuditLogSize() {
  std::error_code ec;
  auto size = fs::file_size(AuditLogPath(), ec);
  if (ec) throw std::runtime_error("audit log " + AuditLogPath() + ": " + ec.message());
  return size;
}

std::vector<AuditWrite> OperatorWritesSince(std::uintmax_t offset) {
  std::ifstream in(AuditLogPath(), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read audit log " + AuditLogPath());
  in.seekg(static_cast<std::streamoff>(offset));
  std::vector<AuditWrite> writes;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("tfws-operator/") == std::string::npos) continue;
    Json entry = Json::parse(line, nullptr, false);
    if (entry.is_discarded()) continue;  // a partially written last line
    if (entry.value("stage", "") != "ResponseComplete") continue;
    const std::string agent = entry.value("userAgent", "");
    if (agent.rfind("tfws-operator/", 0) != 0) continue;
    const std::string verb = entry.value("verb", "");
    if (verb != "create" && verb != "update" && verb != "patch" && verb != "delete" && verb != "deletecollection")
      continue;
    writes.push_back({verb, entry.value("requestURI", ""), agent, entry.value("requestReceivedTimestamp", "")});
  }
  return writes;
}

std::string Describe(const std::vector<AuditWrite>& writes, std::size_t max) {
  std::ostringstream out;
  for (std::size_t i = 0; i < writes.size() && i < max; ++i) {
    out << "  " << writes[i].timestamp << " " << writes[i].verb << " " << writes[i].uri << "\n";
  }
  if (writes.size() > max) out << "  ... and " << writes.size() - max << " more\n";
  return out.str();
}

}  // namespace tfws::e2e

namespace tfws::e2e {

std::unique_ptr<OperatorProcess> ControllerTest::operator_;

std::string& ControllerTest::suite_error() {
  static std::string error;
  return error;
}

void ControllerTest::SetUpTestSuite() {
  suite_error().clear();
  try {
    auto client = MakeTestenvClient({.user_agent = "tfws-e2e-controller/1"});
    InstallWorkspaceCrd(*client);
  } catch (const std::exception& e) {
    suite_error() = std::string("installing the CRD: ") + e.what();
    return;
  }
  operator_ = std::make_unique<OperatorProcess>();
  try {
    operator_->Start();
  } catch (const std::exception& e) {
    suite_error() = std::string("starting the operator: ") + e.what();
    return;
  }
  if (!operator_->WaitReady()) {
    suite_error() = "the operator did not become ready in time\n" + operator_->Tail();
  }
}

void ControllerTest::TearDownTestSuite() {
  if (operator_) operator_->Stop();
  operator_.reset();
}

void ControllerTest::SetUp() {
  TestenvTest::SetUp();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(suite_error().empty()) << suite_error();
  ASSERT_TRUE(operator_ && operator_->Running()) << "the suite's operator is not running\n"
                                                 << (operator_ ? operator_->Tail() : "");
  test_client_ = MakeTestenvClient({.user_agent = "tfws-e2e-controller/1"});
}

nlohmann::json ControllerTest::CpuSpec() {
  return {{"gpu", {{"count", 0}}},
          {"resources", {{"requests", {{"cpu", "50m"}, {"memory", "64Mi"}}}, {"limits", {{"memory", "512Mi"}}}}},
          {"shmSize", "64Mi"},
          {"tolerations", nlohmann::json::array({{{"key", "nvidia.com/gpu"}, {"operator", "Exists"}, {"effect", "NoSchedule"}}})},
          {"storage", {{"workspace", {{"size", "1Gi"}}}}}};
}

nlohmann::json ControllerTest::CreateWorkspace(const std::string& name, const nlohmann::json& spec) {
  auto ws = WorkspaceObject(name, spec);
  ws["metadata"]["namespace"] = ns();
  return c().Create(kube::resources::kTFWorkspaces, ns(), ws);
}

nlohmann::json ControllerTest::GetWorkspace(const std::string& name) {
  return c().Get(kube::resources::kTFWorkspaces, ns(), name);
}

nlohmann::json ControllerTest::RequestRestart(const std::string& name) {
  return PatchSpec(name, {{"restartedAt", time::FormatRfc3339(std::chrono::system_clock::now())}});
}

nlohmann::json ControllerTest::PatchSpec(const std::string& name, const nlohmann::json& spec_patch) {
  kube::PatchOptions options;
  options.field_manager = "tfws-e2e";
  return c().Patch(kube::resources::kTFWorkspaces, ns(), name, kube::PatchType::kMerge, {{"spec", spec_patch}},
                   options);
}

void ControllerTest::ExpectPhase(const std::string& name, const std::string& phase,
                                 std::chrono::milliseconds timeout, std::source_location caller) {
  std::string last;
  EXPECT_TRUE(WaitForPhase(c(), ns(), name, phase, timeout, &last, caller))
      << "workspace " << ns() << "/" << name << " did not reach phase " << phase << " within "
      << std::chrono::duration_cast<std::chrono::seconds>(timeout).count() << "s; last status:\n"
      << last << "\n"
      << op().Tail(2500);
}

}  // namespace tfws::e2e
