// Helpers for the controller end-to-end tests (tests/e2e/controller_*_test.cc):
//
// - OperatorProcess starts the real tfws-operator binary (TFWS_OPERATOR_BIN) as a
//   subprocess against the testenv cluster, waits until /readyz says the
//   informers are synced, and stops it with SIGTERM or SIGKILL. Its stdout and
//   stderr go to a log file (LogPath()); Tail() returns the end of it for
//   failure messages. The child gets PR_SET_PDEATHSIG so a crashed test binary
//   never leaves an operator running.
//   By default it runs as the chart's ServiceAccount (ProcessOperatorIdentity(),
//   chart_identity.h; with --leader-elect also granted the chart's Lease Role for
//   the Lease it names), and every request the API server refused that identity
//   while it ran fails the current test (at Stop, Kill or destruction) with verb,
//   resource and URI.
// - InstallWorkspaceCrd applies every CRD of crds/ (server-side
//   apply) once per process and waits for Established and discovery.
// - Workspace accessors (phase, conditions) and an audit-log reader that counts
//   the operator's writes (userAgent "tfws-operator/...", verbs
//   create/update/patch/delete/deletecollection).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <source_location>
#include <string>
#include <vector>

#include "kube/client.h"
#include "testenv_fixture.h"

namespace tfws::e2e {

class OperatorProcess {
 public:
  struct Options {
    int workers = 4;
    std::string log_level = "info";
    std::vector<std::string> extra_args;  // e.g. {"--leader-elect"}
    std::string kubeconfig;               // empty = the chart's ServiceAccount (ProcessOperatorIdentity())
  };

  OperatorProcess() : OperatorProcess(Options{}) {}
  explicit OperatorProcess(Options options);
  ~OperatorProcess();  // SIGKILL if still running
  OperatorProcess(const OperatorProcess&) = delete;
  OperatorProcess& operator=(const OperatorProcess&) = delete;

  // Starts the binary (throws std::runtime_error when it cannot). A fresh
  // health port is chosen on each start.
  void Start();
  // Polls GET /readyz until 200 (informers synced) or the process exits.
  // Measured: ready 0.6-1.2 s after Start (TFWS_E2E_WAIT_LOG=1, every controller suite, with 100
  // workspaces too, and as the chart's ServiceAccount), 1.5-2.9 s beside an ASan build on the same
  // 2 cores; 10 s is ~2x the worst, rounded up.
  bool WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                 std::source_location caller = std::source_location::current());
  // Sends SIGTERM and waits up to timeout (then SIGKILL). Returns the exit
  // status (>= 0) or -signal when it died of a signal. Measured: a leader that
  // lost its Lease exits 4.3-4.5 s after SIGCONT (controller_fencing_test.cc:
  // 2 s to stop the informers, ~2 s of shutdown); 10 s.
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL and reap.
  void Kill();
  bool Running();

  pid_t pid() const { return pid_; }
  int health_port() const { return health_port_; }
  const std::string& LogPath() const { return log_path_; }
  // The last max_bytes of the log file.
  std::string Tail(std::size_t max_bytes = 4000) const;

 private:
  int Reap(bool block);
  // Fails the current test with the requests refused to the chart identity since the last start.
  void ExpectNothingForbidden();
  Options options_;
  std::string audit_user_;  // the chart identity's username; empty with a test's own kubeconfig
  std::uintmax_t audit_offset_ = 0;
  pid_t pid_ = -1;
  int health_port_ = 0;
  int starts_ = 0;
  std::string log_path_;
};

// A TCP port on 127.0.0.1 that nobody listens on right now.
int FreeLocalPort();
// Plain HTTP GET on 127.0.0.1:port; returns the status code or -1.
int HttpGetStatus(int port, const std::string& path, std::string* body = nullptr);

// Server-side applies every CRD of crds/ (TFWorkspace, TFWorkspaceClass; once
// per process) and waits for Established plus discovery. Throws std::runtime_error on failure.
void InstallWorkspaceCrd(kube::Client& client);

// ---- workspaces ----
nlohmann::json WorkspaceObject(const std::string& name, const nlohmann::json& spec,
                               const nlohmann::json& labels = nlohmann::json::object());
std::string Phase(const nlohmann::json& ws);
// The condition of that type in status.conditions, or null.
nlohmann::json Condition(const nlohmann::json& ws, const std::string& type);
// "phase=Running Ready=True/PodReady ..." for failure messages.
std::string DescribeStatus(const nlohmann::json& ws);
// Polls until the workspace's phase is `phase`; on timeout returns false and
// puts the last status in *last.
bool WaitForPhase(kube::Client& client, const std::string& ns, const std::string& name,
                  const std::string& phase, std::chrono::milliseconds timeout, std::string* last = nullptr,
                  std::source_location caller = std::source_location::current());
// True when the object exists (GET gives 200); false on 404; throws otherwise.
bool Exists(kube::Client& client, const kube::Resource& r, const std::string& ns, const std::string& name);
// metadata.uid or "" when absent.
std::string UidOf(kube::Client& client, const kube::Resource& r, const std::string& ns, const std::string& name);

// ---- audit log ----
// Current size of the audit log (an offset to read from later).
std::uintmax_t AuditLogSize();
struct AuditWrite {
  std::string verb, uri, user_agent, timestamp;
};
// The operator's write requests (stage ResponseComplete) logged after offset.
std::vector<AuditWrite> OperatorWritesSince(std::uintmax_t offset);
std::string Describe(const std::vector<AuditWrite>& writes, std::size_t max = 20);

// Base fixture of the controller suites: one operator process per test suite
// (started in SetUpTestSuite after installing the CRD, stopped in
// TearDownTestSuite), and a client whose userAgent is "tfws-e2e-controller/1"
// so the audit log tells the test's own writes from the operator's.
class ControllerTest : public TestenvTest {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static OperatorProcess& op() { return *operator_; }
  // Set when the suite's operator did not start; SetUp fails every test with it.
  static std::string& suite_error();

  void SetUp() override;

  kube::Client& c() { return *test_client_; }
  nlohmann::json CreateWorkspace(const std::string& name, const nlohmann::json& spec);
  nlohmann::json GetWorkspace(const std::string& name);
  // JSON merge patch of .spec.
  nlohmann::json PatchSpec(const std::string& name, const nlohmann::json& spec_patch);
  // Sets spec.restartedAt to the current time (what `kubectl patch` in the user guide does).
  nlohmann::json RequestRestart(const std::string& name);
  // Fails the test (with status and operator log tail) unless phase is reached.
  void ExpectPhase(const std::string& name, const std::string& phase,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60),
                   std::source_location caller = std::source_location::current());
  // A workspace spec that runs anywhere cheaply: no GPU, tiny requests, tolerates the GPU taint
  // (so pods spread over all 5 nodes), 1Gi volume.
  static nlohmann::json CpuSpec();

 private:
  static std::unique_ptr<OperatorProcess> operator_;
  std::shared_ptr<kube::Client> test_client_;
};

}  // namespace tfws::e2e
