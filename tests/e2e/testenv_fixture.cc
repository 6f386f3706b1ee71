#include "testenv_fixture.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "kube/api_error.h"
#include "kube/config_loader.h"
#include "kube/kubeconfig.h"

namespace tfws::e2e {

std::string TestenvDir() {
  const char* dir = std::getenv("TFWS_TESTENV_DIR");
  return dir && *dir ? dir : "/tmp/tfws-testenv";
}

std::string KubeconfigPath() {
  const char* env = std::getenv("KUBECONFIG");
  return env && *env ? env : TestenvDir() + "/kubeconfig";
}

std::string AuditLogPath() { return TestenvDir() + "/audit.log"; }
std::string TestenvScript() { return TFWS_SOURCE_DIR "/hack/testenv"; }
std::string TestenvFile(const std::string& name) { return TestenvDir() + "/" + name; }

kube::ClusterConfig LoadTestenvConfig() {
  std::string path = KubeconfigPath();
  std::error_code ec;
  std::string first = path.substr(0, path.find(':'));
  if (!std::filesystem::exists(first, ec)) {
    throw std::runtime_error("no testenv cluster: " + first +
                             " does not exist. Start one with `TFWS_TESTENV_DIR=" + TestenvDir() +
                             " " + TestenvScript() + " up` (or set KUBECONFIG)");
  }
  kube::ConfigSourceOptions options;
  options.kubeconfig = path.find(':') == std::string::npos ? path : "";
  if (options.kubeconfig.empty()) {
    return kube::Kubeconfig::LoadFiles({first}).Resolve();
  }
  return kube::LoadClusterConfig(options);
}

std::shared_ptr<kube::Client> MakeTestenvClient(const kube::ClientOptions& options) {
  return kube::MakeClient(LoadTestenvConfig(), options);
}

std::string UniqueName(const std::string& prefix) {
  static thread_local std::mt19937 engine{std::random_device{}()};
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string name = prefix + "-";
  for (int i = 0; i < 6; ++i) name += kAlphabet[std::uniform_int_distribution<int>(0, 35)(engine)];
  return name;
}

namespace {

void LogWait(const std::source_location& caller, std::chrono::steady_clock::duration took,
             std::chrono::milliseconds timeout, bool held) {
  static const bool enabled = IntFromEnv("TFWS_E2E_WAIT_LOG", 0) != 0;
  if (!enabled) return;
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string file = std::filesystem::path(caller.file_name()).filename().string();
  std::fprintf(stderr, "[ waited ] %s.%s %s:%u %.1f s of %.0f s%s\n", test ? test->test_suite_name() : "-",
               test ? test->name() : "-", file.c_str(), caller.line(),
               std::chrono::duration<double>(took).count(), std::chrono::duration<double>(timeout).count(),
               held ? "" : " TIMED OUT");
}

}  // namespace

bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds interval, std::source_location caller) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  for (;;) {
    try {
      if (predicate()) {
        LogWait(caller, std::chrono::steady_clock::now() - start, timeout, true);
        return true;
      }
    } catch (const std::exception&) {
      // not yet
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      LogWait(caller, std::chrono::steady_clock::now() - start, timeout, false);
      return false;
    }
    std::this_thread::sleep_for(interval);
  }
}

int IntFromEnv(const char* name, int fallback) {
  const char* env = std::getenv(name);
  return env && *env ? std::atoi(env) : fallback;
}

int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    if (output) output->append(buffer, n);
  }
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void TestenvTest::SetUp() {
  try {
    // Its own User-Agent, so the audit log never mistakes a test's writes for the operator's.
    client_ = MakeTestenvClient({.user_agent = "tfws-e2e/1"});
  } catch (const std::exception& e) {
    GTEST_FAIL() << e.what();
  }
}

const std::string& TestenvTest::ns() {
  std::lock_guard lock(namespace_mutex_);
  if (!namespace_) {
    std::string name = UniqueName("e2e");
    client_->Create(kube::resources::kNamespaces, "",
                    {{"apiVersion", "v1"},
                     {"kind", "Namespace"},
                     {"metadata", {{"name", name}, {"labels", {{"tfws.io/e2e", "true"}}}}}});
    // The service-account controller creates "default"; pods need it. Measured (TFWS_E2E_WAIT_LOG=1,
    // 2 runs of most suites): 0.0-0.1 s, but more than 30 s once right after the informer suite
    // restarted the apiserver (the controller manager reconnecting). Not a failure when it runs out:
    // it only bounds how long a test waits for the account, so it stays 30 s.
    WaitFor(
        [&] { return !client_->Get(kube::resources::kServiceAccounts, name, "default").is_null(); },
        std::chrono::seconds(30));
    namespace_ = name;
  }
  return *namespace_;
}

void TestenvTest::TearDown() {
  if (namespace_ && client_) {
    try {
      client_->Delete(kube::resources::kNamespaces, "", *namespace_,
                      {.propagation_policy = "Background"});
    } catch (const std::exception& e) {
      ADD_FAILURE() << "deleting namespace " << *namespace_ << ": " << e.what();
    }
  }
}

}  // namespace tfws::e2e
